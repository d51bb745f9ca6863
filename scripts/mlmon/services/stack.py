"""The monitoring stack generated from a monitoring config: Prometheus alerting rules (with a
``promtool test rules`` file), an Alertmanager config, a Grafana dashboard with its provisioning
files, and a compose file that runs them beside ``mlmon serve``.

The templates live in ``assets/stack/``; this module fills them from the config. Mappings:

- each condition of each tier in ``alerts`` becomes one rule labelled ``severity: <tier>``;
  the rule's ``for:`` is ``alerts.consecutive_failures`` x the evaluation interval, the
  Prometheus reading of "the condition held on that many checks in a row";
- ``alerts.cooldown`` becomes Alertmanager's ``repeat_interval`` (no re-notification of a firing
  alert within it); warnings are inhibited while a critical alert of the same name fires;
- each tier's ``notify`` channels become that tier's receiver; secrets are read from files
  (``*_file`` fields) that the compose file fills from the environment variables the config names.
  The generic ``webhook`` channel becomes ``webhook_configs`` with ``url_file``, which needs
  Alertmanager 0.26 or later (the compose file runs a later one).
"""

from __future__ import annotations

import json
import os
import re
import string
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from mlmon.errors import MlmonError
from mlmon.services.config import parse_duration
from mlmon.services.metrics_from_history import HIGHER_IS_BETTER

STACK_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "assets", "stack"))
TOOLKIT_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ARTIFACTS = ("prometheus-rules", "alertmanager", "grafana", "compose")
TIERS = ("critical", "warning", "info")
# the conditions only a model server's exporter can show (``mlmon run`` observes every other one
# from batch data): ``--conditions serving`` writes rules for these alone
SERVING_CONDITIONS = ("latency_p99", "latency_p95", "error_rate")
CONDITION_SETS = ("all", "serving")
WEBHOOK_URL_FILE_SINCE = "0.26"  # the first Alertmanager whose webhook_configs read url_file
DEFAULT_LATENCY_TOP_BUCKET = 1.0  # mlmon.exporter.LATENCY_BUCKETS[-1], without importing prometheus_client

RULES_FILE = "prometheus/rules/mlmon.rules.yml"
RULES_TEST_FILE = "prometheus/rules/mlmon.rules.test.yml"
PROMETHEUS_FILE = "prometheus/prometheus.yml"
ALERTMANAGER_FILE = "alertmanager/alertmanager.yml"
DATASOURCE_FILE = "grafana/provisioning/datasources/mlmon.yml"
DASHBOARDS_PROVIDER_FILE = "grafana/provisioning/dashboards/mlmon.yml"
DASHBOARD_FILE = "grafana/dashboards/mlmon.json"
COMPOSE_FILE = "compose.yaml"


@dataclass
class StackOptions:
    evaluation_interval: str = "1m"
    scrape_interval: str = "15s"
    rate_window: str = "5m"
    secrets_dir: str = "/run/secrets"
    serve_target: str = "mlmon:9108"
    alertmanager_target: str = "alertmanager:9093"
    prometheus_url: str = "http://prometheus:9090"
    datasource_uid: str = "mlmon-prometheus"
    conditions: str = "all"  # or "serving": rules only for SERVING_CONDITIONS


@dataclass
class GeneratedStack:
    artifact: str
    files: Dict[str, str]
    warnings: List[str] = field(default_factory=list)
    written: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"schema_version": 1, "artifact": self.artifact, "files": sorted(self.files),
                "written": list(self.written), "warnings": list(self.warnings)}


def prometheus_duration(seconds: float) -> str:
    """The shortest exact Prometheus duration for ``seconds``.

    >>> prometheus_duration(180), prometheus_duration(3600), prometheus_duration(0.5), prometheus_duration(90)
    ('3m', '1h', '500ms', '90s')
    """
    ms = int(round(seconds * 1000))
    for unit, size in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _seconds(text: str, where: str) -> float:
    value = parse_duration(text)
    if value is None or value <= 0:
        raise MlmonError(f"invalid duration: {text}", where, "use a number and a unit, e.g. 30s, 1m, 5m")
    return value


def _number(value: Any) -> str:
    return repr(float(value)) if not isinstance(value, bool) else str(int(value))


def _template(name: str) -> str:
    with open(os.path.join(STACK_DIR, name), encoding="utf-8") as fh:
        return fh.read()


def _yaml(data: Any, header: str) -> str:
    import yaml

    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-") or "model"


# ------------------------------------------------------------------------ entry point


def generate(config: Dict[str, Any], artifact: str, options: Optional[StackOptions] = None,
             config_path: str = "monitoring.yaml", out_dir: str = ".") -> GeneratedStack:
    """The files of one artifact (``compose`` means the whole stack), keyed by relative path."""
    if artifact not in ARTIFACTS:
        raise MlmonError(f"unknown artifact: {artifact}", "mlmon generate", f"choose one of {', '.join(ARTIFACTS)}")
    options = options or StackOptions()
    for name in ("evaluation_interval", "scrape_interval", "rate_window"):
        _seconds(getattr(options, name), f"--{name.replace('_', '-')} {getattr(options, name)}")
    if options.conditions not in CONDITION_SETS:
        raise MlmonError(f"unknown condition set: {options.conditions}", "--conditions", f"choose one of {', '.join(CONDITION_SETS)}")
    stack = GeneratedStack(artifact, {})
    if artifact in ("prometheus-rules", "compose"):
        rules, tests, warnings = prometheus_rules(config, options)
        stack.files[RULES_FILE] = rules
        stack.files[RULES_TEST_FILE] = tests
        stack.warnings += warnings
    if artifact in ("alertmanager", "compose"):
        stack.files[ALERTMANAGER_FILE] = alertmanager_config(config, options)
        if "webhook" in _receiving_channels(config):
            stack.warnings.append(f"notifications.webhook: webhook_configs read the URL from url_file, which needs "
                                  f"Alertmanager {WEBHOOK_URL_FILE_SINCE} or later; an older one rejects this file")
        if artifact == "compose" and options.secrets_dir.rstrip("/") != "/run/secrets":
            stack.warnings.append(f"--secrets-dir {options.secrets_dir}: the compose file mounts the secrets at "
                                  "/run/secrets, where this Alertmanager config will not look")
    if artifact in ("grafana", "compose"):
        stack.files.update(grafana_files(config, options))
    if artifact == "compose":
        stack.files[PROMETHEUS_FILE] = prometheus_config(config, options)
        stack.files[COMPOSE_FILE] = compose_file(config, options, config_path, out_dir)
    return stack


# ------------------------------------------------------------------------ Prometheus rules


def _conditions() -> Dict[str, Dict[str, str]]:
    import yaml

    return yaml.safe_load(_template("alert-conditions.yml"))


def _primary_metrics(config: Dict[str, Any]) -> Tuple[List[str], List[str]]:
    performance = config.get("performance") or {}
    task = (config.get("model") or {}).get("task", "binary")
    section = performance.get("regression" if task == "regression" else "classification") or {}
    primary = [str(m) for m in section.get("primary") or (["rmse"] if task == "regression" else ["accuracy"])]
    return [m for m in primary if m in HIGHER_IS_BETTER], [m for m in primary if m not in HIGHER_IS_BETTER]


def _rule_specs(config: Dict[str, Any], options: StackOptions):
    """(tier, condition, threshold seconds-or-ratio, rule dict) for every alertable condition."""
    alerts = config.get("alerts") or {}
    catalog = _conditions()
    higher, lower = _primary_metrics(config)
    consecutive = int(alerts.get("consecutive_failures") or 1)
    hold = prometheus_duration(consecutive * _seconds(options.evaluation_interval, "--evaluation-interval"))
    model = str((config.get("model") or {}).get("name") or "model")
    specs, warnings = [], []
    for tier in TIERS:
        section = alerts.get(tier) or {}
        for condition, raw in (section.get("conditions") or {}).items():
            if options.conditions == "serving" and condition not in SERVING_CONDITIONS:
                continue  # left to `mlmon run`, so it is not sent twice
            entry = catalog.get(condition)
            if entry is None:
                warnings.append(f"alerts.{tier}.conditions.{condition}: no Prometheus metric carries it; "
                                "`mlmon run` alerts on it from the history store")
                continue
            if raw is False or raw is None:
                continue
            threshold = _seconds(raw, f"alerts.{tier}.conditions.{condition}") if isinstance(raw, str) else (
                None if raw is True else float(raw))
            if condition.startswith("latency_") and threshold is not None and threshold >= DEFAULT_LATENCY_TOP_BUCKET:
                warnings.append(
                    f"alerts.{tier}.conditions.{condition}: {raw} is at or above the exporter's largest default "
                    f"latency bucket ({DEFAULT_LATENCY_TOP_BUCKET:g}s); histogram_quantile cannot exceed it, so give "
                    "MetricsExporter(latency_buckets=...) buckets beyond the threshold or the rule never fires")
            fill = {"threshold": _number(threshold) if threshold is not None else "0", "rate_window": options.rate_window,
                    "higher": "|".join(map(re.escape, higher)), "lower": "|".join(map(re.escape, lower))}
            if "expr" in entry:
                expr = string.Template(entry["expr"]).safe_substitute(fill)
            else:  # accuracy_drop: one branch per direction that has primary metrics
                branches = [string.Template(entry[f"expr_{side}"]).safe_substitute(fill)
                            for side, metrics in (("higher", higher), ("lower", lower)) if metrics]
                expr = " or ".join(branches)
            rule = {
                "alert": entry["alert"],
                "expr": " ".join(expr.split()),
                "for": hold,
                "labels": {"severity": tier, "model": model, "condition": condition},
                "annotations": {
                    "summary": entry["summary"],
                    "description": string.Template(entry["description"]).safe_substitute(
                        {**fill, "threshold": str(raw) if threshold is not None else "its check"}),
                    "response_time": str(section.get("response_time", "")),
                },
            }
            if threshold is not None:
                rule["annotations"]["threshold"] = str(raw)
            specs.append((tier, condition, threshold, rule))
    return specs, warnings, hold


def prometheus_rules(config: Dict[str, Any], options: Optional[StackOptions] = None) -> Tuple[str, str, List[str]]:
    """The rules file, its ``promtool test rules`` file, and warnings."""
    options = options or StackOptions()
    specs, warnings, hold = _rule_specs(config, options)
    model = _slug((config.get("model") or {}).get("name") or "model")
    groups = {"groups": [{"name": f"mlmon-{model}", "interval": options.evaluation_interval,
                          "rules": [s[3] for s in specs]}]}
    header = ("# Prometheus alerting rules written by `mlmon generate prometheus-rules` from the monitoring\n"
              "# config's alert tiers. `for:` = alerts.consecutive_failures x the evaluation interval.\n"
              "# Check: promtool check rules mlmon.rules.yml; promtool test rules mlmon.rules.test.yml\n")
    return _yaml(groups, header), _rules_test(specs, config, options, hold), warnings


# the synthetic series each condition's test feeds, the labels its alert then carries, the step
# from which its expression holds, and the value the expression then has (None: not in the summary)
def _test_input(condition: str, thresholds: List[float], config: Dict[str, Any], step: float):
    top = max(thresholds) if thresholds else 0.0
    model = {"model_name": "m", "model_version": "v"}
    if condition == "accuracy_drop":
        higher, lower = _primary_metrics(config)
        labels = {"metric": (higher or lower)[0], "window": "1d", "kind": "realized"}
        value = (1 - top) / 2 if higher else 2 + 2 * top
        return ([_series("ml_model_metric", labels, f"{value!r}x60"),
                 _series("ml_model_baseline_metric", {"metric": labels["metric"]}, "1x60")],
                labels, 0, 1 - value if higher else value - 1)
    if condition in ("latency_p99", "latency_p95"):
        edges = [top / 2, top * 2, top * 4]  # every observation lands in (2t, 4t]: the quantile is above t
        q = 0.99 if condition == "latency_p99" else 0.95
        series = [_series("ml_prediction_latency_seconds_bucket", {**model, "le": _le(e)}, "0x60") for e in edges[:2]]
        series += [_series("ml_prediction_latency_seconds_bucket", {**model, "le": le}, "0+60x60") for le in (_le(edges[2]), "+Inf")]
        return series, model, 1, edges[1] + (edges[2] - edges[1]) * q
    if condition == "error_rate":
        share = (1 + top) / 2
        return ([_series("ml_predictions_total", {**model, "status": "error"}, f"0+{share * 100!r}x60"),
                 _series("ml_predictions_total", {**model, "status": "success"}, f"0+{(1 - share) * 100!r}x60")],
                model, 1, share)
    if condition == "drift_score":
        return [_series("ml_drift_share_ratio", {}, f"{(1 + top) / 2!r}x60")], {}, 0, (1 + top) / 2
    if condition == "feature_distribution_shift":
        labels = {"drift_type": "psi", "feature": "amount"}
        return [_series("ml_drift_detected", labels, "1x60")], labels, 0, None
    if condition == "traffic_pattern_change":  # a day at 10 per step, then 100 times that
        day = int(86400 / step)
        return ([_series("ml_predictions_total", {**model, "status": "success"},
                         f"0+10x{day} {10 * day}+1000x60")], {"model_name": "m"}, day + 1, None)
    raise AssertionError(condition)


def humanize_percentage(value: float) -> str:
    """Prometheus's ``humanizePercentage`` template function (Go ``%.4g``).

    >>> humanize_percentage(0.575), humanize_percentage(0.75)
    ('57.5%', '75%')
    """
    return f"{value * 100:.4g}%"


def humanize_duration(value: float) -> str:
    """Prometheus's ``humanizeDuration`` for the values a latency alert shows.

    >>> humanize_duration(7.96), humanize_duration(0.8), humanize_duration(90.0)
    ('7.96s', '800ms', '1m 30s')
    """
    if abs(value) >= 1:
        whole = int(abs(value))
        days, hours, minutes, seconds = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
        sign = "-" if value < 0 else ""
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{value:.4g}s"
    prefix = ""
    for p in ("m", "u", "n", "p"):
        if abs(value) >= 1 or value == 0:
            break
        prefix, value = p, value * 1000
    return f"{value:.4g}{prefix}s"


def _expand(template: str, labels: Dict[str, str], value: Optional[float]) -> str:
    """An annotation as Prometheus expands it, for the few template forms the catalog uses."""
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), ""), template)
    if value is not None:
        text = text.replace("{{ $value | humanizePercentage }}", humanize_percentage(value))
        text = text.replace("{{ $value | humanizeDuration }}", humanize_duration(value))
    return text


def _le(value: float) -> str:
    return repr(float(value))


def _series(name: str, labels: Dict[str, str], values: str) -> Dict[str, str]:
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{inner}}}" if inner else name, "values": values}


def _rules_test(specs, config: Dict[str, Any], options: StackOptions, hold: str) -> str:
    step = _seconds(options.evaluation_interval, "--evaluation-interval")
    hold_seconds = _seconds(hold, "for")
    by_condition: Dict[str, List[Tuple[str, Optional[float], Dict[str, Any]]]] = {}
    for tier, condition, threshold, rule in specs:
        by_condition.setdefault(condition, []).append((tier, threshold, rule))
    tests = []
    for condition, entries in by_condition.items():
        thresholds = [t for _, t, _ in entries if t is not None]
        series, labels, first_step, value = _test_input(condition, thresholds, config, step)
        alertname = entries[0][2]["alert"]
        pending_at = (first_step + 1) * step  # the expression holds from first_step on
        firing_at = pending_at + hold_seconds
        expected = []
        for _tier, _threshold, rule in entries:
            alert_labels = {**labels, **rule["labels"]}
            annotations = {k: _expand(v, alert_labels, value) for k, v in rule["annotations"].items()}
            expected.append({"exp_labels": alert_labels, "exp_annotations": annotations})
        tests.append({
            "name": f"{condition}: pending, then firing after {hold}",
            "interval": options.evaluation_interval,
            "input_series": series,
            "alert_rule_test": [
                {"eval_time": prometheus_duration(pending_at), "alertname": alertname, "exp_alerts": []},
                {"eval_time": prometheus_duration(firing_at), "alertname": alertname, "exp_alerts": expected},
            ],
            "promql_expr_test": [{
                "expr": f'count(ALERTS{{alertname="{alertname}", alertstate="pending"}})',
                "eval_time": prometheus_duration(pending_at),
                "exp_samples": [{"labels": "{}", "value": len(entries)}],
            }],
        })
    header = ("# Unit tests of mlmon.rules.yml on synthetic series: each alert is pending first, then firing.\n"
              "# Run: promtool test rules mlmon.rules.test.yml\n")
    return _yaml({"rule_files": ["mlmon.rules.yml"], "evaluation_interval": options.evaluation_interval,
                  "tests": tests}, header)

# ------------------------------------------------------------------------ Alertmanager

# channel -> (config key naming the environment variable, secret file name)
SECRET_FIELDS = {
    "slack": ("webhook_url_env", "slack_webhook_url"),
    "pagerduty": ("routing_key_env", "pagerduty_routing_key"),
    "email": ("password_env", "smtp_password"),
    "webhook": ("url_env", "webhook_url"),
}


def _receiving_channels(config: Dict[str, Any]) -> List[str]:
    """The enabled channels that some tier notifies: the ones Alertmanager gets a config for."""
    alerts = config.get("alerts") or {}
    notifications = config.get("notifications") or {}
    named = {str(c) for tier in TIERS for c in ((alerts.get(tier) or {}).get("notify") or [])}
    return [c for c in SECRET_FIELDS
            if c in named and notifications.get(c) and notifications[c].get("enabled", True)]


def _secrets(config: Dict[str, Any]) -> List[Tuple[str, str]]:
    """(secret file name, environment variable) for every channel Alertmanager sends to that has a
    secret; a channel no tier notifies needs none, so compose does not ask for its variable."""
    out = []
    for channel in _receiving_channels(config):
        key, name = SECRET_FIELDS[channel]
        section = (config.get("notifications") or {})[channel]
        if section.get(key):
            out.append((name, str(section[key])))
    return out


def _receiver_configs(config: Dict[str, Any], channel: str, tier: str, options: StackOptions) -> Dict[str, Any]:
    section = (config.get("notifications") or {}).get(channel) or {}
    secret = f"{options.secrets_dir.rstrip('/')}/{SECRET_FIELDS[channel][1]}"
    if channel == "slack":
        entry = {"send_resolved": True, "api_url_file": secret,
                 "title": '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})',
                 "text": '{{ range .Alerts }}{{ .Annotations.summary }} (threshold {{ .Annotations.threshold }})\n{{ end }}'}
        if section.get("channel"):
            entry["channel"] = str(section["channel"])
        return {"slack_configs": [entry]}
    if channel == "pagerduty":
        severity = {"critical": "critical", "warning": "warning"}.get(tier, "info")
        return {"pagerduty_configs": [{"send_resolved": True, "routing_key_file": secret, "severity": severity,
                                       "description": '{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}'}]}
    if channel == "webhook":  # the URL is the secret (it often carries a token), so it is read from a file
        return {"webhook_configs": [{"send_resolved": True, "url_file": secret}]}
    entry = {"send_resolved": True, "to": ", ".join(map(str, section.get("recipients") or [])),
             "from": str(section.get("sender") or section.get("username") or ""),
             "smarthost": f"{section.get('smtp_host', 'localhost')}:{section.get('smtp_port', 587)}",
             "require_tls": bool(section.get("use_tls", True))}
    if section.get("username"):
        entry["auth_username"] = str(section["username"])
    if section.get("password_env"):
        entry["auth_password_file"] = secret
    return {"email_configs": [entry]}


def alertmanager_config(config: Dict[str, Any], options: Optional[StackOptions] = None) -> str:
    options = options or StackOptions()
    alerts = config.get("alerts") or {}
    cooldown = prometheus_duration(_seconds(str(alerts.get("cooldown") or "1h"), "alerts.cooldown"))
    receiving = _receiving_channels(config)
    receivers = [{"name": "mlmon-default"}]
    routes = []
    for tier in TIERS:
        section = alerts.get(tier)
        if not section:
            continue
        receiver: Dict[str, Any] = {"name": f"mlmon-{tier}"}
        for channel in section.get("notify") or []:
            if channel in receiving:
                receiver.update(_receiver_configs(config, channel, tier, options))
        receivers.append(receiver)
        route: Dict[str, Any] = {"receiver": f"mlmon-{tier}", "matchers": [f'severity="{tier}"']}
        if tier == "critical":
            route["group_wait"] = "10s"
        routes.append(route)
    data = {
        "route": {"receiver": "mlmon-default", "group_by": ["alertname", "model"], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": cooldown, "routes": routes},
        "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                           "equal": ["alertname", "model"]}],
        "receivers": receivers,
    }
    header = ("# Alertmanager configuration written by `mlmon generate alertmanager`: one receiver per alert\n"
              "# tier, routed by the severity label; warnings are silenced while the same alert is critical;\n"
              "# repeat_interval is alerts.cooldown. Secrets are read from files (never written here):\n"
              + "".join(f"#   {options.secrets_dir.rstrip('/')}/{name}  <- ${env}\n" for name, env in _secrets(config))
              + (f"# webhook_configs read url_file: Alertmanager {WEBHOOK_URL_FILE_SINCE} or later.\n"
                 if "webhook" in receiving else "")
              + "# Check: amtool check-config alertmanager.yml\n")
    return _yaml(data, header)


# ------------------------------------------------------------------------ Grafana


def grafana_files(config: Dict[str, Any], options: Optional[StackOptions] = None) -> Dict[str, str]:
    options = options or StackOptions()
    grafana = (config.get("integrations") or {}).get("grafana") or {}
    model = (config.get("model") or {})
    replacements = {"__DATASOURCE_UID__": options.datasource_uid,
                    "__DASHBOARD_UID__": str(grafana.get("dashboard_uid") or "mlmon"),
                    "__TITLE__": f"ML monitoring: {model.get('name', 'model')} {model.get('version', '')}".strip()}

    def fill(node):
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return replacements.get(node, node) if isinstance(node, str) else node

    dashboard = fill(json.loads(_template("grafana-dashboard.json")))
    fields = {"datasource_uid": options.datasource_uid, "prometheus_url": options.prometheus_url,
              "dashboards_path": "/var/lib/grafana/dashboards"}
    return {
        DATASOURCE_FILE: string.Template(_template("grafana-datasource.yml")).substitute(fields),
        DASHBOARDS_PROVIDER_FILE: string.Template(_template("grafana-dashboards.yml")).substitute(fields),
        DASHBOARD_FILE: json.dumps(dashboard, indent=2) + "\n",
    }


# ------------------------------------------------------------------------ Prometheus and compose


def prometheus_config(config: Dict[str, Any], options: Optional[StackOptions] = None) -> str:
    options = options or StackOptions()
    prometheus = (config.get("integrations") or {}).get("prometheus") or {}
    return string.Template(_template("prometheus.yml")).substitute(
        scrape_interval=options.scrape_interval, evaluation_interval=options.evaluation_interval,
        alertmanager=options.alertmanager_target, serve_target=options.serve_target,
        metrics_path="/" + str(prometheus.get("path") or "/metrics").strip("/"))


def compose_file(config: Dict[str, Any], options: StackOptions, config_path: str, out_dir: str) -> str:
    prometheus = (config.get("integrations") or {}).get("prometheus") or {}
    port = int(prometheus.get("port") or 9108)
    out = os.path.abspath(out_dir)
    config_abs = os.path.abspath(config_path)
    secrets = _secrets(config)
    rel = lambda p: os.path.relpath(p, out)  # noqa: E731 - compose resolves paths from its own directory
    history_arg, serve_environment = _history_for_serve(config, os.path.dirname(config_abs))
    fields = {
        "project": _slug((config.get("model") or {}).get("name") or "model"),
        "config_name": os.path.basename(config_abs),
        "config_dir": rel(os.path.dirname(config_abs)),
        "toolkit_dir": rel(TOOLKIT_DIR),
        "serve_port": str(port),
        "history_arg": history_arg,
        "serve_environment": serve_environment,
        "secret_help": "\n".join(f"#   export {env}=...   (read by Alertmanager as /run/secrets/{name})" for name, env in secrets)
                       or "#   (no notification channel with a secret is enabled)",
        "alertmanager_secrets": ("    secrets: [" + ", ".join(n for n, _ in secrets) + "]") if secrets else "",
        "secrets_section": ("secrets:\n" + "".join(f"  {n}:\n    environment: {env}\n" for n, env in secrets)) if secrets else "",
    }
    for key in ("config_dir", "toolkit_dir"):  # compose reads a bare name as a named volume
        if not fields[key].startswith("."):
            fields[key] = "./" + fields[key]
    return string.Template(_template("compose.yaml")).substitute(fields)


def _history_for_serve(config: Dict[str, Any], config_dir: str) -> Tuple[str, str]:
    """How the container's ``mlmon serve`` finds the history: a SQLite file inside the config's
    folder (mounted as /work) by ``--history``; a PostgreSQL store through the environment
    variables that name it, passed on from the host (its password never enters the file)."""
    from mlmon.services.metrics_from_history import history_path
    from mlmon.store.backends import is_postgres

    if is_postgres(history_path(config, None, config_dir)):
        names = ["MLMON_DB_URL"]
        env_name = (config.get("storage") or {}).get("history_url_env")
        if env_name and env_name not in names:
            names.append(env_name)
        return "", "    environment: [" + ", ".join(names) + "]\n"
    return " --history /work/" + "/".join(_history_in_workdir(config, config_dir).split(os.sep)), ""


def _history_in_workdir(config: Dict[str, Any], config_dir: str) -> str:
    """The history file relative to the config's folder (what the container sees as /work)."""
    from mlmon.services.metrics_from_history import history_path

    path = os.path.relpath(os.path.abspath(history_path(config, None, config_dir)), config_dir)
    if path.startswith(".."):
        raise MlmonError("the compose stack needs the history store inside the config's folder", path,
                         "use a relative storage.history_url such as sqlite:///.mlmon/history.db")
    return path


# ------------------------------------------------------------------------ writing


def write_stack(stack: GeneratedStack, out_dir: str, force: bool = False) -> List[str]:
    """Write every file atomically; refuse (before writing anything) to replace a file that
    exists unless ``force``. Returns the paths written."""
    import tempfile

    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise MlmonError("output path is not a directory", f"--out {out_dir}", "give a directory")
    targets = [(os.path.join(out_dir, *rel.split("/")), text) for rel, text in sorted(stack.files.items())]
    existing = [p for p, _ in targets if os.path.exists(p)]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise MlmonError("file already exists", existing[0] + more, "pass --force to overwrite, or --out another directory")
    written = []
    for path, text in targets:
        directory = os.path.dirname(path)
        try:
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".mlmon-", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except OSError as exc:
            raise MlmonError(f"cannot write: {exc.strerror or exc}", path, "choose a writable --out directory") from exc
        written.append(path)
    stack.written = written
    return written
