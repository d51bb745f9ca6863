"""mlmon generate: rules, Alertmanager config, Grafana files and the compose stack, checked by
the real promtool and amtool, plus what they are built from and what they must never contain."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from mlmon.errors import MlmonError
from mlmon.services.config import load_config
from mlmon.services.stack import StackOptions, generate, prometheus_duration
from mlmon_testing import ROOT, run_mlmon
from prometheus_tools import require_binary

CONFIG = ROOT / "assets" / "config.yaml"


def gen(tmp_path, artifact, *extra, config=CONFIG):
    out = tmp_path / "stack"
    r = run_mlmon("generate", artifact, "--config", config, "--out", out, *extra)
    assert r.code == 0, r.err
    return out, r


def tool(name, *args, cwd):
    proc = subprocess.run([require_binary(name), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def rules_by_tier(out):
    data = yaml.safe_load((out / "prometheus/rules/mlmon.rules.yml").read_text())
    (group,) = data["groups"]
    return {(r["labels"]["severity"], r["labels"]["condition"]): r for r in group["rules"]}


# ---------------------------------------------------------------------------- checked by the real tools


def test_generated_rules_pass_promtool_check_and_their_unit_tests(tmp_path):
    out, _ = gen(tmp_path, "prometheus-rules")
    code, text = tool("promtool", "check", "rules", "mlmon.rules.yml", cwd=out / "prometheus/rules")
    assert code == 0 and "SUCCESS: 10 rules found" in text, text
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code == 0 and "SUCCESS" in text, text


def test_rule_unit_tests_show_each_alert_pending_then_firing(tmp_path):
    out, _ = gen(tmp_path, "prometheus-rules")
    tests = yaml.safe_load((out / "prometheus/rules/mlmon.rules.test.yml").read_text())["tests"]
    alerts = {r["alert"] for r in rules_by_tier(out).values()}
    assert {t["alert_rule_test"][0]["alertname"] for t in tests} == alerts  # every alert has its test
    for t in tests:
        pending, firing = t["alert_rule_test"]
        assert pending["exp_alerts"] == [] and firing["exp_alerts"], t["name"]
        (check,) = t["promql_expr_test"]
        assert 'alertstate="pending"' in check["expr"] and check["eval_time"] == pending["eval_time"]
        assert check["exp_samples"][0]["value"] == len(firing["exp_alerts"])


def test_rule_unit_tests_fail_when_an_alert_would_not_fire(tmp_path):
    """The generated tests can fail: with a threshold doubled in the rules only, promtool says so."""
    out, _ = gen(tmp_path, "prometheus-rules")
    rules = out / "prometheus/rules/mlmon.rules.yml"
    rules.write_text(rules.read_text().replace('"fraud-detector"} > 0.5', '"fraud-detector"} > 0.9'))
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code != 0 and "MLDataDriftHigh" in text


def test_alertmanager_config_passes_amtool(tmp_path):
    out, _ = gen(tmp_path, "alertmanager")
    code, text = tool("amtool", "check-config", "alertmanager/alertmanager.yml", cwd=out)
    assert code == 0 and "SUCCESS" in text and "1 inhibit rules" in text and "4 receivers" in text, text


def test_compose_stack_prometheus_config_passes_promtool(tmp_path):
    out, _ = gen(tmp_path, "compose")
    code, text = tool("promtool", "check", "config", "prometheus.yml", cwd=out / "prometheus")
    assert code == 0 and "SUCCESS: 1 rule files found" in text, text
    code, text = tool("amtool", "check-config", "alertmanager/alertmanager.yml", cwd=out)
    assert code == 0, text


# ---------------------------------------------------------------------------- what the rules say


def test_one_rule_per_tier_condition_with_the_configs_thresholds(tmp_path):
    out, r = gen(tmp_path, "prometheus-rules")
    rules = rules_by_tier(out)
    assert set(rules) == {
        ("critical", "accuracy_drop"), ("critical", "latency_p99"), ("critical", "error_rate"), ("critical", "drift_score"),
        ("warning", "accuracy_drop"), ("warning", "latency_p95"), ("warning", "error_rate"), ("warning", "drift_score"),
        ("info", "feature_distribution_shift"), ("info", "traffic_pattern_change"),
    }
    # every rule selects the config's model and keeps its label: rules of several models share one Prometheus
    assert rules[("critical", "drift_score")]["expr"] == 'ml_drift_share_ratio{model="fraud-detector"} > 0.5'
    assert rules[("warning", "drift_score")]["expr"] == 'ml_drift_share_ratio{model="fraud-detector"} > 0.2'
    assert rules[("critical", "latency_p99")]["expr"] == (
        "histogram_quantile(0.99, sum by (le, model, version) "
        '(rate(ml_prediction_latency_seconds_bucket{model="fraud-detector"}[5m]))) > 2.0')
    assert rules[("warning", "latency_p95")]["expr"].endswith("> 0.5")  # 500ms in seconds
    assert rules[("warning", "error_rate")]["expr"] == (
        'sum by (model, version) (rate(ml_predictions_total{model="fraud-detector", status="error"}[5m])) '
        '/ sum by (model, version) (rate(ml_predictions_total{model="fraud-detector"}[5m])) > 0.01')
    # primary classification metrics: accuracy, f1_score, auc_roc, all higher-is-better
    assert rules[("critical", "accuracy_drop")]["expr"] == (
        '(1 - ml_model_metric{model="fraud-detector", metric=~"accuracy|f1_score|auc_roc"} / on(model, metric) group_left() '
        'ml_model_baseline_metric{model="fraud-detector"}) > 0.15')
    for (tier, condition), rule in rules.items():
        assert rule["for"] == "3m"  # consecutive_failures 3 x evaluation interval 1m
        assert rule["labels"] == {"severity": tier, "model": "fraud-detector", "condition": condition}
    assert rules[("critical", "error_rate")]["annotations"]["threshold"] == "0.05"
    assert rules[("critical", "error_rate")]["annotations"]["response_time"] == "15m"
    # the config's new_category_detected has no metric, and a 2s p99 is above the top bucket: said, not hidden
    assert "new_category_detected: no Prometheus metric carries it" in r.err
    assert "latency_p99: 2s is at or above the exporter's largest default latency bucket (1s)" in r.err


def test_serving_conditions_only_leave_the_batch_ones_to_mlmon_run(tmp_path):
    """--conditions serving: rules only for what mlmon run cannot observe, so no alert is sent by both."""
    out, r = gen(tmp_path, "prometheus-rules", "--conditions", "serving")
    assert set(rules_by_tier(out)) == {("critical", "latency_p99"), ("critical", "error_rate"),
                                       ("warning", "latency_p95"), ("warning", "error_rate")}
    code, text = tool("promtool", "check", "rules", "mlmon.rules.yml", cwd=out / "prometheus/rules")
    assert code == 0 and "SUCCESS: 4 rules found" in text, text
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code == 0 and "SUCCESS" in text, text
    assert "new_category_detected" not in r.err  # not skipped for want of a metric: left to mlmon run
    with pytest.raises(MlmonError, match="unknown condition set: batch"):
        generate(load_config(str(CONFIG)).as_dict(), "prometheus-rules", StackOptions(conditions="batch"))


def test_for_duration_is_consecutive_failures_times_evaluation_interval(tmp_path):
    text = CONFIG.read_text().replace("consecutive_failures: 3", "consecutive_failures: 4")
    (tmp_path / "m.yaml").write_text(text)
    out, _ = gen(tmp_path, "prometheus-rules", "--evaluation-interval", "30s", config=tmp_path / "m.yaml")
    assert {r["for"] for r in rules_by_tier(out).values()} == {"2m"}
    data = yaml.safe_load((out / "prometheus/rules/mlmon.rules.yml").read_text())
    assert data["groups"][0]["interval"] == "30s"
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code == 0, text


def test_regression_primary_metrics_alert_on_a_rise_of_errors(tmp_path):
    text = CONFIG.read_text().replace("task: binary", "task: regression")
    (tmp_path / "m.yaml").write_text(text)
    out, _ = gen(tmp_path, "prometheus-rules", config=tmp_path / "m.yaml")
    expr = rules_by_tier(out)[("critical", "accuracy_drop")]["expr"]
    assert '(1 - ml_model_metric{model="fraud-detector", metric=~"r2_score"}' in expr
    assert ('(ml_model_metric{model="fraud-detector", metric=~"rmse|mae"} / on(model, metric) group_left() '
            'ml_model_baseline_metric{model="fraud-detector"} - 1) > 0.15') in expr
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code == 0, text


def test_prometheus_duration():
    assert [prometheus_duration(s) for s in (60, 90, 3600, 5400, 86400, 0.25)] == ["1m", "90s", "1h", "90m", "1d", "250ms"]


# ---------------------------------------------------------------------------- Alertmanager


def test_alertmanager_routes_by_severity_inhibits_warnings_and_repeats_after_cooldown(tmp_path):
    out, _ = gen(tmp_path, "alertmanager")
    am = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    route = am["route"]
    assert route["group_by"] == ["alertname", "model"]
    assert route["repeat_interval"] == "1h"  # alerts.cooldown
    assert [(r["receiver"], r["matchers"]) for r in route["routes"]] == [
        ("mlmon-critical", ['severity="critical"']), ("mlmon-warning", ['severity="warning"']), ("mlmon-info", ['severity="info"'])]
    assert am["inhibit_rules"] == [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                                    "equal": ["alertname", "model"]}]
    receivers = {r["name"]: r for r in am["receivers"]}
    critical = receivers["mlmon-critical"]  # notify: [pagerduty, slack]
    assert critical["pagerduty_configs"] == [{
        "send_resolved": True, "routing_key_file": "/run/secrets/pagerduty_routing_key", "severity": "critical",
        "description": "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}"}]
    assert critical["slack_configs"][0]["api_url_file"] == "/run/secrets/slack_webhook_url"
    assert critical["slack_configs"][0]["channel"] == "#ml-alerts"
    assert set(receivers["mlmon-warning"]) == {"name", "slack_configs"}
    email = receivers["mlmon-info"]["email_configs"][0]
    assert email["to"] == "ml-team@example.com" and email["smarthost"] == "smtp.example.com:587"
    assert email["auth_password_file"] == "/run/secrets/smtp_password"


def test_disabled_channel_gets_no_receiver_config(tmp_path):
    text = CONFIG.read_text().replace("  pagerduty:\n    enabled: true", "  pagerduty:\n    enabled: false")
    (tmp_path / "m.yaml").write_text(text)
    out, _ = gen(tmp_path, "alertmanager", config=tmp_path / "m.yaml")
    receivers = {r["name"]: r for r in yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())["receivers"]}
    assert set(receivers["mlmon-critical"]) == {"name", "slack_configs"}


def test_no_secret_value_ever_lands_in_a_generated_file(tmp_path, monkeypatch):
    secrets = {"SLACK_WEBHOOK_URL": "https://hooks.example/T000/B000/very-secret",
               "PAGERDUTY_ROUTING_KEY": "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12", "SMTP_PASSWORD": "hunter2-smtp"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    out, _ = gen(tmp_path, "compose")
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for value in secrets.values():
        assert value not in text
    compose = yaml.safe_load((out / "compose.yaml").read_text())
    # the webhook channel is enabled but no tier notifies it: compose asks for no variable of its own
    assert compose["secrets"] == {"slack_webhook_url": {"environment": "SLACK_WEBHOOK_URL"},
                                  "pagerduty_routing_key": {"environment": "PAGERDUTY_ROUTING_KEY"},
                                  "smtp_password": {"environment": "SMTP_PASSWORD"}}


def webhook_config(tmp_path, enabled=True):
    """The default config with the warning tier also notifying the generic webhook."""
    config = yaml.safe_load(CONFIG.read_text())
    assert config["alerts"]["warning"]["notify"] == ["slack"]
    config["alerts"]["warning"]["notify"].append("webhook")
    config["notifications"]["webhook"]["enabled"] = enabled
    path = tmp_path / "with-webhook.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_webhook_channel_reads_its_url_from_a_secret_file_that_compose_fills(tmp_path, monkeypatch):
    monkeypatch.setenv("MLMON_WEBHOOK_URL", "https://hooks.example/incoming/very-secret-token")
    out, r = gen(tmp_path, "compose", config=webhook_config(tmp_path))
    am = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    receivers = {x["name"]: x for x in am["receivers"]}
    assert receivers["mlmon-warning"]["webhook_configs"] == [{"send_resolved": True, "url_file": "/run/secrets/webhook_url"}]
    assert set(receivers["mlmon-warning"]) == {"name", "slack_configs", "webhook_configs"}
    assert "webhook_configs" not in receivers["mlmon-critical"]  # only the tier that names it
    compose = yaml.safe_load((out / "compose.yaml").read_text())
    assert compose["secrets"]["webhook_url"] == {"environment": "MLMON_WEBHOOK_URL"}  # notifications.webhook.url_env
    assert "webhook_url" in compose["services"]["alertmanager"]["secrets"]
    header = (out / "alertmanager/alertmanager.yml").read_text()
    assert "/run/secrets/webhook_url  <- $MLMON_WEBHOOK_URL" in header
    assert ("# notifications.webhook: webhook_configs read the URL from url_file, which needs Alertmanager 0.26 "
            "or later; an older one rejects this file.\n") in header
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "very-secret-token" not in text
    assert "mlmon: warning: notifications.webhook: webhook_configs read the URL from url_file, which needs Alertmanager 0.26" in r.err


def test_webhook_secret_file_follows_secrets_dir(tmp_path):
    out, _ = gen(tmp_path, "alertmanager", "--secrets-dir", "/etc/alertmanager/secrets", config=webhook_config(tmp_path))
    am = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    (warning,) = [x for x in am["receivers"] if x["name"] == "mlmon-warning"]
    assert warning["webhook_configs"][0]["url_file"] == "/etc/alertmanager/secrets/webhook_url"


def test_a_disabled_or_unnotified_webhook_gets_no_receiver_and_no_secret(tmp_path):
    for config in (webhook_config(tmp_path, enabled=False), CONFIG):  # CONFIG: enabled, but no tier notifies it
        out, r = gen(tmp_path, "compose", "--force", config=config)
        text = (out / "alertmanager/alertmanager.yml").read_text()
        assert not [x for x in yaml.safe_load(text)["receivers"] if "webhook_configs" in x]
        assert "/webhook_url" not in text and "notifications.webhook" not in text
        assert "webhook_url" not in yaml.safe_load((out / "compose.yaml").read_text())["secrets"]
        assert "notifications.webhook" not in r.out


def _amtool_version():
    out = subprocess.run([require_binary("amtool"), "--version"], capture_output=True, text=True, timeout=60)
    match = re.search(r"version (\d+)\.(\d+)", out.stdout + out.stderr)
    assert match, out.stdout + out.stderr
    return int(match.group(1)), int(match.group(2))


def test_alertmanager_config_with_a_webhook_passes_amtool(tmp_path):
    """amtool accepts the file; an amtool older than 0.26 (Debian's is 0.25) does not know url_file,
    which is what the generator warns about, and accepts everything else in the file."""
    out, _ = gen(tmp_path, "alertmanager", config=webhook_config(tmp_path))
    code, text = tool("amtool", "check-config", "alertmanager/alertmanager.yml", cwd=out)
    if _amtool_version() >= (0, 26):
        assert code == 0 and "SUCCESS" in text and "4 receivers" in text, text
        return
    assert code != 0 and "field url_file not found" in text, text
    path = out / "alertmanager/alertmanager.yml"
    path.write_text(path.read_text().replace("url_file: /run/secrets/webhook_url", "url: http://127.0.0.1:9/hook"))
    code, text = tool("amtool", "check-config", "alertmanager/alertmanager.yml", cwd=out)
    assert code == 0 and "SUCCESS" in text and "4 receivers" in text, text


# ---------------------------------------------------------------------------- Grafana and compose


def test_grafana_dashboard_uses_the_fixed_datasource_uid_everywhere(tmp_path):
    out, _ = gen(tmp_path, "grafana")
    dashboard = json.loads((out / "grafana/dashboards/mlmon.json").read_text())
    assert dashboard["uid"] == "mlmon"  # integrations.grafana.dashboard_uid
    assert dashboard["title"] == "ML monitoring: fraud-detector 1.0.0"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert panels and {p["datasource"]["uid"] for p in panels} == {"mlmon-prometheus"}
    assert {t["datasource"]["uid"] for p in panels for t in p["targets"]} == {"mlmon-prometheus"}
    assert dashboard["templating"]["list"][0]["datasource"]["uid"] == "mlmon-prometheus"  # the model variable's query
    exprs = " ".join(t["expr"] for p in panels for t in p["targets"])
    for family in ("ml_predictions_total", "ml_prediction_latency_seconds_bucket", "ml_model_accuracy_ratio",
                   "ml_drift_score", "ml_drift_share_ratio", "ml_experiment_lift_ratio"):
        assert family in exprs
    datasource = yaml.safe_load((out / "grafana/provisioning/datasources/mlmon.yml").read_text())
    assert datasource["datasources"][0]["uid"] == "mlmon-prometheus"
    provider = yaml.safe_load((out / "grafana/provisioning/dashboards/mlmon.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_compose_runs_the_four_services_on_loopback_ports(tmp_path):
    out, r = gen(tmp_path, "compose")
    compose = yaml.safe_load((out / "compose.yaml").read_text())
    assert set(compose["services"]) == {"mlmon", "prometheus", "alertmanager", "grafana"}
    ports = [p for s in compose["services"].values() for p in s.get("ports", [])]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)
    command = compose["services"]["mlmon"]["command"]
    assert command == ["python", "-I", "/mlmon/scripts/entry.py", "mlmon", "serve", "--config", "/work/config.yaml",
                       "--host", "0.0.0.0", "--port", "9108", "--history", "/work/.mlmon/history.db"]
    volumes = compose["services"]["mlmon"]["volumes"]
    # relative to the compose file, so the stack moves with its directory
    assert os.path.normpath(out / volumes[0].split(":")[0]) == str(ROOT)
    assert os.path.normpath(out / volumes[1].split(":")[0]) == str(CONFIG.parent)
    assert compose["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert len(r.out.splitlines()[0].split()) and "Wrote 8 file(s) for compose" in r.out


def test_compose_passes_a_postgresql_store_on_by_environment_never_in_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MLMON_DB_URL", raising=False)
    config = yaml.safe_load(CONFIG.read_text())
    config["storage"] = {"history_url_env": "FRAUD_HISTORY_URL"}
    path = tmp_path / "pg.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    monkeypatch.setenv("FRAUD_HISTORY_URL", "postgresql://mlmon:s3cret@db.internal:5432/monitoring")
    out, _ = gen(tmp_path, "compose", config=path)
    text = (out / "compose.yaml").read_text()
    mlmon = yaml.safe_load(text)["services"]["mlmon"]
    assert mlmon["environment"] == ["MLMON_DB_URL", "FRAUD_HISTORY_URL"]
    assert "--history" not in mlmon["command"] and "s3cret" not in text and "db.internal" not in text


# ---------------------------------------------------------------------------- never overwrite silently


def test_existing_files_are_refused_without_force_and_left_untouched(tmp_path):
    out, _ = gen(tmp_path, "alertmanager")
    target = out / "alertmanager/alertmanager.yml"
    target.write_text("# my own edits\n")
    r = run_mlmon("generate", "alertmanager", "--config", CONFIG, "--out", out)
    assert r.code == 2
    assert r.err == (f"mlmon: error: file already exists ({target}); pass --force to overwrite, or --out another directory\n")
    assert target.read_text() == "# my own edits\n"
    r = run_mlmon("generate", "compose", "--config", CONFIG, "--out", out)  # one clash refuses the whole stack
    assert r.code == 2 and not (out / "compose.yaml").exists()
    r = run_mlmon("generate", "alertmanager", "--config", CONFIG, "--out", out, "--force")
    assert r.code == 0 and target.read_text().startswith("# Alertmanager configuration")
    assert not [p for p in out.rglob(".mlmon-*")]  # no temporary file left behind


def test_json_summary_lists_files_and_warnings(tmp_path):
    out, r = gen(tmp_path, "prometheus-rules", "--format", "json")
    data = json.loads(r.out)
    assert data["schema_version"] == 1 and data["artifact"] == "prometheus-rules"
    assert data["files"] == ["prometheus/rules/mlmon.rules.test.yml", "prometheus/rules/mlmon.rules.yml"]
    assert len(data["warnings"]) == 2


@pytest.mark.parametrize("args, message", [
    (["generate", "nonsense", "--config", CONFIG, "--out", "x"], "mlmon: error: argument ARTIFACT: invalid choice: 'nonsense'"),
    (["generate", "grafana", "--out", "x"], "mlmon: error: the following arguments are required: --config"),
    (["generate", "grafana", "--config", "absent.yaml", "--out", "x"], "mlmon: error: invalid monitoring config: (file): file not found"),
    (["generate", "prometheus-rules", "--config", CONFIG, "--out", "x", "--evaluation-interval", "often"],
     "mlmon: error: invalid duration: often (--evaluation-interval often); use a number and a unit, e.g. 30s, 1m, 5m"),
    (["generate", "prometheus-rules", "--config", CONFIG, "--out", "x", "--conditions", "batch"],
     "mlmon: error: argument --conditions: invalid choice: 'batch'"),
])
def test_bad_invocations_are_one_line_and_exit_2(args, message):
    r = run_mlmon(*args)
    assert r.code == 2 and r.err.startswith(message) and r.err.count("\n") == 1, r.err


def test_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    r = run_mlmon("generate", "grafana", "--config", CONFIG, "--out", tmp_path / "file")
    assert r.code == 2 and r.err.startswith("mlmon: error: output path is not a directory")


def test_generate_service_needs_no_cli():
    stack = generate(load_config(str(CONFIG)), "grafana", StackOptions(datasource_uid="other"))
    assert sorted(stack.files) == ["grafana/dashboards/mlmon.json", "grafana/provisioning/dashboards/mlmon.yml",
                                   "grafana/provisioning/datasources/mlmon.yml"]
    assert '"uid": "other"' in stack.files["grafana/dashboards/mlmon.json"]


def test_a_missing_tool_fails_under_ci_and_skips_locally(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="promtool not found"):
        require_binary("promtool")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="promtool not found"):
        require_binary("promtool")


# ---------------------------------------------------------------------------- rough edges a first user hit


def test_each_warning_is_printed_once(tmp_path):
    _, r = gen(tmp_path, "prometheus-rules")
    # the default config has two: latency_p99's 2s past the top bucket, new_category_detected without a metric
    lines = (r.out + r.err).splitlines()
    assert len([x for x in lines if "latency_p99: 2s is at or above" in x]) == 1
    assert len([x for x in lines if "new_category_detected: no Prometheus metric carries it" in x]) == 1
    assert [x[:16] for x in r.err.splitlines()] == ["mlmon: warning: "] * 2


def test_compose_leaves_the_batch_conditions_to_mlmon_run_by_default_and_says_so(tmp_path):
    # following the README (`mlmon run` plus the compose stack) must not alert twice
    out, r = gen(tmp_path, "compose")
    assert {c for _, c in rules_by_tier(out)} == {"latency_p99", "latency_p95", "error_rate"}
    assert "note: Prometheus alerts on the serving conditions only (latency, error rate): `mlmon run` alerts on " \
           "drift and performance, so nothing is sent twice." in r.out
    out, r = gen(tmp_path, "compose", "--force", "--conditions", "all")
    assert ("critical", "drift_score") in rules_by_tier(out) and "note:" not in r.out
    out, _ = gen(tmp_path, "prometheus-rules", "--force")  # the rules alone still get every condition
    assert ("critical", "drift_score") in rules_by_tier(out)


def test_the_compose_service_installs_its_dependencies_at_build_not_at_every_start(tmp_path):
    out, _ = gen(tmp_path, "compose")
    service = yaml.safe_load((out / "compose.yaml").read_text())["services"]["mlmon"]
    assert "pip" not in " ".join(service["command"])
    assert os.path.normpath(out / service["build"]["context"]) == str(ROOT / "scripts")
    assert "RUN pip install --no-cache-dir --disable-pip-version-check -r /tmp/mlmon-requirements.txt" in \
        service["build"]["dockerfile_inline"]
    assert (ROOT / "scripts" / "requirements.txt").is_file()  # what the build copies


def test_rule_tests_pass_promtool_with_consecutive_failures_1(tmp_path):
    text = CONFIG.read_text()
    assert "consecutive_failures: 3" in text
    (tmp_path / "m.yaml").write_text(text.replace("consecutive_failures: 3", "consecutive_failures: 1"))
    out, _ = gen(tmp_path, "prometheus-rules", config=tmp_path / "m.yaml")
    assert {r["for"] for r in rules_by_tier(out).values()} == {"1m"}
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code == 0 and "SUCCESS" in text, text


def test_a_model_name_with_template_braces_is_not_expanded_by_prometheus(tmp_path):
    text = CONFIG.read_text()
    assert "name: fraud-detector" in text
    (tmp_path / "m.yaml").write_text(text.replace("name: fraud-detector", 'name: "fraud {{ $value }}"'))
    out, _ = gen(tmp_path, "prometheus-rules", config=tmp_path / "m.yaml")
    assert {r["labels"]["model"] for r in rules_by_tier(out).values()} == {'fraud {{ "{{" }} $value {{ "}}" }}'}
    tests = yaml.safe_load((out / "prometheus/rules/mlmon.rules.test.yml").read_text())["tests"]
    assert {a["exp_labels"]["model"] for t in tests for a in t["alert_rule_test"][1]["exp_alerts"]} == {"fraud {{ $value }}"}
    # promtool runs the rules: the alert carries the name itself, not the value it would expand to
    code, text = tool("promtool", "test", "rules", "mlmon.rules.test.yml", cwd=out / "prometheus/rules")
    assert code == 0 and "SUCCESS" in text, text


def test_a_newline_in_secrets_dir_cannot_inject_yaml(tmp_path):
    r = run_mlmon("generate", "alertmanager", "--config", CONFIG, "--out", tmp_path / "stack",
                  "--secrets-dir", "/run/secrets\nglobal: {smtp_smarthost: evil.example.com:25}\n#")
    assert r.code == 2 and not (tmp_path / "stack").exists()
    assert r.err == ("mlmon: error: --secrets-dir holds a control character (a newline?) (command line); "
                     "give a plain directory path, e.g. /run/secrets\n")
