"""The monitoring config: schema, semantic checks, positions, `mlmon validate` and `mlmon init`.

Each rule has a test that breaks one thing in the shipped default (assets/config.yaml) and
checks the exact problem: its path, its line and column, and what it tells the user to do.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError
from mlmon.services import config
from mlmon.services.config import Problem, is_config_path, load_config, validate_file, validate_text
from mlmon_testing import ROOT, run_mlmon

DEFAULT = (ROOT / "assets" / "config.yaml").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "assets" / "schema.json").read_text(encoding="utf-8"))


def edit(old: str, new: str, text: str = DEFAULT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def errors(text: str):
    return [p for p in validate_text(text) if p.severity == "error"]


def only_error(text: str) -> Problem:
    found = errors(text)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


# ---------------------------------------------------------------------------- the shipped files


def test_default_config_validates_without_any_problem():
    assert validate_file(str(ROOT / "assets" / "config.yaml")) == []


def test_default_config_holds_the_issue_defaults():
    data = load_config(str(ROOT / "assets" / "config.yaml")).as_dict()
    critical, warning, info = (data["alerts"][t] for t in ("critical", "warning", "info"))
    assert critical["conditions"] == {"accuracy_drop": 0.15, "latency_p99": "2s", "error_rate": 0.05, "drift_score": 0.5}
    assert critical["notify"] == ["pagerduty", "slack"]
    assert warning["conditions"] == {"accuracy_drop": 0.05, "latency_p95": "500ms", "error_rate": 0.01, "drift_score": 0.2}
    assert warning["notify"] == ["slack"]
    assert set(info["conditions"]) == {"feature_distribution_shift", "traffic_pattern_change", "new_category_detected"}
    assert info["notify"] == ["email"]
    assert data["experiments"]["minimum_detectable_effect"] == 0.02
    assert (data["experiments"]["power"], data["experiments"]["significance"]) == (0.8, 0.05)
    assert data["experiments"]["traffic_split"] == {"control": 0.5, "treatment": 0.5}
    assert data["experiments"]["guardrails"] == {"latency_p99_max": "200ms", "error_rate_max": 0.01}
    assert data["storage"]["history_url"].startswith("sqlite:")
    assert data["performance"]["classification"]["primary"] == ["accuracy", "f1_score", "auc_roc"]
    assert data["performance"]["regression"]["secondary"] == ["mape", "quantile_loss"]


def test_schema_is_valid_2020_12_and_strict_with_a_description_everywhere():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
                for name, prop in node["properties"].items():
                    assert prop.get("description"), f"{where}.{name}"
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(SCHEMA, "$")


def test_schema_drift_methods_are_the_registry_ids():
    from mlmon.stats.univariate import known_ids

    assert SCHEMA["$defs"]["method"]["enum"] == known_ids()
    assert SCHEMA["properties"]["drift"]["properties"]["method"]["enum"] == known_ids() + [None]


def test_validator_column_types_mirror_the_registry():
    from mlmon.stats import univariate

    from mlmon.services.config import semantics

    assert {k: tuple(sorted(t.column_types)) for k, t in univariate.available().items()} == semantics.METHOD_COLUMN_TYPES


def test_committed_schema_is_the_generated_one():
    # the drift method enums are filled from the test catalog; edit the catalog, then run
    # `python -m mlmon.services.config.schema --write`
    from mlmon.services.config.schema import build_schema, render

    committed = (ROOT / "assets" / "schema.json").read_text(encoding="utf-8")
    assert render(build_schema(json.loads(committed))) == committed


def test_schema_generator_fills_the_method_enums_from_the_catalog():
    from mlmon.services.config.schema import build_schema
    from mlmon.stats.univariate import catalog

    stale = json.loads(json.dumps(SCHEMA))
    stale["$defs"]["method"]["enum"] = ["ks"]
    stale["properties"]["drift"]["properties"]["method"]["enum"] = ["ks", None]
    built = build_schema(stale)
    assert built["$defs"]["method"]["enum"] == catalog.ids()
    assert built["properties"]["drift"]["properties"]["method"]["enum"] == catalog.ids() + [None]
    assert built["properties"]["alerts"] == SCHEMA["properties"]["alerts"]  # channels: hand-kept for now


def test_validating_imports_neither_numpy_nor_pandas():
    code = ("import sys; from mlmon.services.config import validate_file; "
            f"assert validate_file({str(ROOT / 'assets' / 'config.yaml')!r}) == []; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "scripts")})
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------- schema rules


def test_unknown_key_is_an_error_at_the_key_with_did_you_mean():
    text = edit("  drift_share: 0.5", "  drift_shar: 0.5")
    p = only_error(text)
    assert (p.line, p.col, p.path) == (line_of(text, "drift_shar"), 3, "drift.drift_shar")
    assert p.message == "unknown key 'drift_shar'; did you mean 'drift_share'?"


def test_unknown_key_far_from_any_lists_the_known_keys():
    p = only_error(edit("model:\n", "model:\n  flavour: vanilla\n"))
    assert p.path == "model.flavour"
    assert p.message == "unknown key 'flavour'; known keys: name, version, task"


def test_unknown_top_level_section():
    p = only_error(edit("storage:\n", "storag:\n"))
    assert p.path == "storag" and "did you mean 'storage'?" in p.message


def test_enum_names_the_choices_and_the_close_one():
    text = edit("task: binary", "task: binry")
    p = only_error(text)
    assert p.format() == (f"monitoring.yaml:{line_of(text, 'task: binry')}:9: model.task: "
                          "'binry' is not one of: binary, multiclass, regression; did you mean 'binary'?")


def test_unknown_drift_method():
    p = only_error(edit("column_methods: {}", "column_methods: {amount: wasserstien}"))
    assert p.path == "drift.column_methods.amount"
    assert "did you mean 'wasserstein'?" in p.message


def test_ratio_above_one_is_out_of_range_with_the_percent_hint():
    p = only_error(edit("      error_rate: 0.05", "      error_rate: 5"))
    assert p.path == "alerts.critical.conditions.error_rate"
    assert p.message == "5 is out of range [0, 1]; ratios are written 0-1 (5 % is 0.05)"


def test_negative_ratio_is_out_of_range():
    assert only_error(edit("drift_share: 0.5", "drift_share: -0.1")).message.startswith("-0.1 is out of range [0, 1]")


def test_wrong_type():
    p = only_error(edit("consecutive_failures: 3", "consecutive_failures: three"))
    assert p.message == "expected a whole number, got 'three'"


def test_missing_required_key_points_at_its_parent():
    text = edit("  task: binary                   # binary | multiclass | regression: chooses the performance metrics\n", "")
    p = only_error(text)
    assert (p.line, p.col, p.path, p.message) == (line_of(text, "model:"), 1, "model", "missing required key 'task'")


def test_env_var_field_must_hold_a_name():
    p = only_error(edit("password_env: SMTP_PASSWORD", "password_env: my pass"))
    assert p.path == "notifications.email.password_env"
    assert "not an environment variable name" in p.message


def test_top_level_must_be_a_mapping():
    assert only_error("- a\n- b\n").message == "expected a mapping of keys, got a list"


def test_empty_document():
    assert only_error("# nothing yet\n").message == "the config is empty; start from `mlmon init`"


def test_duplicate_key_is_reported():
    text = edit("  cooldown: 1h", "  cooldown: 1h\n  cooldown: 2h")
    p = only_error(text)
    assert p.path == "alerts.cooldown" and p.line == line_of(text, "cooldown: 2h")
    assert p.message.startswith("duplicate key 'cooldown'")


# ---------------------------------------------------------------------------- semantic rules


def test_warning_threshold_not_less_severe_than_critical():
    text = edit("      drift_score: 0.2", "      drift_score: 0.6")
    p = only_error(text)
    assert (p.line, p.path) == (line_of(text, "drift_score: 0.6"), "alerts.warning.conditions.drift_score")
    assert p.message.startswith("warning threshold 0.6 is not less severe than critical's 0.5")


def test_warning_latency_compared_as_durations():
    text = edit("      latency_p99: 2s", "      latency_p99: 2s\n      latency_p95: 1s")
    assert errors(text) == []
    text = edit("      latency_p95: 500ms", "      latency_p95: 500ms\n      latency_p99: 3s", text)
    assert only_error(text).path == "alerts.warning.conditions.latency_p99"


@pytest.mark.parametrize("value", ["1h", "7D", "30m", "1d", "500ms", "2w", "1.5h"])
def test_durations_that_parse(value):
    assert errors(edit("cooldown: 1h", f"cooldown: {value}")) == []


@pytest.mark.parametrize("value", ["1hour", "h", "soon", "-1h", "10"])
def test_durations_that_do_not_parse(value):
    p = only_error(edit("cooldown: 1h", f"cooldown: {value}"))
    assert p.path == "alerts.cooldown"
    assert "is not a duration; write a number and a unit" in p.message


def test_duration_in_a_list_has_its_index():
    p = only_error(edit("windows: [1h, 1d, 7d]", "windows: [1h, 1 day, 7d]"))
    assert p.path == "performance.windows[1]"


def test_per_column_method_must_fit_the_declared_type():
    text = edit("column_methods: {}", "column_methods: {amount: chisquare, country: jensenshannon}")
    p = only_error(text)
    assert p.path == "drift.column_methods.amount"
    assert p.message.startswith("'chisquare' tests categorical columns but 'amount' is declared numerical")
    assert "wasserstein" in p.message


def test_per_column_numerical_test_on_a_categorical_column():
    assert only_error(edit("column_methods: {}", "column_methods: {country: ks}")).path == "drift.column_methods.country"


def test_column_in_both_type_lists():
    p = only_error(edit("categorical: [merchant_category,", "categorical: [amount, merchant_category,"))
    assert p.path == "data.columns.categorical[0]"


def test_unknown_placeholder_in_a_source_path():
    p = only_error(edit("path: data/current/{date}.parquet", "path: data/current/{day}.parquet"))
    assert p.path == "data.current.path" and "unknown placeholder {day}" in p.message


def test_traffic_split_must_sum_to_one():
    p = only_error(edit("    treatment: 0.5", "    treatment: 0.6"))
    assert p.message == "shares sum to 1.1, not 1; make them add up to 1"


def test_tier_notifying_an_unconfigured_channel():
    text = edit("  pagerduty:\n    enabled: true\n    routing_key_env: PAGERDUTY_ROUTING_KEY   # environment variable holding the Events API v2 routing key\n", "")
    p = only_error(text)
    assert p.path == "alerts.critical.notify[0]" and "notifications.pagerduty is not configured" in p.message


def test_tier_notifying_a_disabled_channel_is_a_warning():
    text = edit("  email:\n    enabled: true", "  email:\n    enabled: false")
    (p,) = validate_text(text)
    assert p.severity == "warning" and p.path == "alerts.info.notify[0]"
    assert ": warning: " in p.format()


def test_inline_slack_webhook_names_the_env_form():
    url = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
    p = only_error(edit("webhook_url_env: SLACK_WEBHOOK_URL", f"webhook_url_env: {url}"))
    assert p.path == "notifications.slack.webhook_url_env"
    assert p.message.endswith("`webhook_url_env: SLACK_WEBHOOK_URL`")


def test_secret_named_key_is_refused_and_the_missing_env_key_not_reported_twice():
    text = edit("routing_key_env: PAGERDUTY_ROUTING_KEY", "routing_key: R0UT1NGKEY0123456789abcdefabcdef")
    p = only_error(text)
    assert p.path == "notifications.pagerduty.routing_key"
    assert "`routing_key_env: PAGERDUTY_ROUTING_KEY`" in p.message


def test_32_character_routing_key_value_anywhere():
    p = only_error(edit('channel: "#ml-alerts"', "channel: a1b2c3d4e5f60718293a4b5c6d7e8f90"))
    assert "32-character routing key" in p.message and "routing_key_env: PAGERDUTY_ROUTING_KEY" in p.message


def test_password_inline_and_in_a_database_url():
    assert "`password_env: SMTP_PASSWORD`" in only_error(edit("password_env: SMTP_PASSWORD", "password: hunter2")).message
    p = only_error(edit("history_url: sqlite:///.mlmon/history.db", "history_url: postgresql://mlmon:s3cret@db/mlmon"))
    assert p.path == "storage.history_url" and "history_url_env: MLMON_HISTORY_URL" in p.message


# ---------------------------------------------------------------------------- positions and syntax


def test_yaml_syntax_error_has_its_position():
    (p,) = validate_text("model:\n  name: x\n  task: [binary\ndata: {}\n", "m.yaml")
    assert (p.file, p.line, p.path) == ("m.yaml", 4, "(document)")
    assert p.message.startswith("YAML syntax error:")


def test_tab_indentation_is_a_syntax_error_on_its_line():
    (p,) = validate_text("model:\n\tname: x\n")
    assert (p.line, p.col) == (2, 1)


def test_problems_come_sorted_by_position_with_exact_columns():
    text = edit("task: binary", "task: binry")
    text = edit("  cooldown: 1h", "  cooldown: later", text)
    found = validate_text(text)
    assert [(p.line, p.col) for p in found] == [(line_of(text, "binry"), 9), (line_of(text, "later"), 13)]


def test_validate_text_never_raises_on_garbage():
    for text in ["{", "]", "a: *nope", "\x00", ": :", "a: !!python/object:os.system x"]:
        assert all(isinstance(p, Problem) for p in validate_text(text))


def test_missing_and_undecodable_files(tmp_path):
    (p,) = validate_file(str(tmp_path / "absent.yaml"))
    assert p.message == "file not found; check the path"
    bad = tmp_path / "latin.monitoring.yaml"
    bad.write_bytes(b"model:\n  name: caf\xe9\n")
    (p,) = validate_file(str(bad))
    assert (p.line, p.message) == (2, "not UTF-8 text; save the file as UTF-8")


def test_load_config_raises_one_line(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text(edit("task: binary", "task: binry"))
    with pytest.raises(MlmonError) as exc:
        load_config(str(path)).as_dict()
    assert "\n" not in exc.value.line() and "model.task" in exc.value.line()


# ---------------------------------------------------------------------------- which files are configs


@pytest.mark.parametrize("path,expected", [
    ("monitoring.yaml", True), ("/repo/deploy/monitoring.yml", True), ("fraud.monitoring.yaml", True),
    ("x/churn.monitoring.yml", True), ("monitoring.yaml.bak", False), ("mymonitoring.yaml", False),
    ("config.yaml", False), ("monitoring.json", False), ("", False),
])
def test_is_config_path_by_name(path, expected):
    assert is_config_path(path) is expected


def test_is_config_path_from_project_settings():
    assert is_config_path("/repo/conf/alerts.yaml", ["conf/alerts.yaml"])
    assert is_config_path("conf/models/a.yaml", ["conf/models/*.yaml"])
    assert not is_config_path("conf/other.yaml", ["conf/alerts.yaml"])


# ---------------------------------------------------------------------------- the CLI


def test_validate_exit_0_on_valid_and_prints_no_problem_lines():
    run = run_mlmon("validate", ROOT / "assets" / "config.yaml")
    assert (run.code, run.out) == (0, "")


def test_validate_exit_2_with_one_line_per_problem(tmp_path):
    bad = tmp_path / "monitoring.yaml"
    bad.write_text(edit("drift_share: 0.5", "drift_shar: 0.5"))
    run = run_mlmon("validate", bad, tmp_path / "absent.yaml")
    assert run.code == 2
    assert run.out.splitlines() == [
        f"{bad}:{line_of(bad.read_text(), 'drift_shar')}:3: drift.drift_shar: unknown key 'drift_shar'; did you mean 'drift_share'?",
        f"{tmp_path / 'absent.yaml'}:1:1: (file): file not found; check the path",
    ]


def test_validate_json(tmp_path):
    bad = tmp_path / "monitoring.yaml"
    bad.write_text(edit("task: binary", "task: binry"))
    run = run_mlmon("validate", "--format", "json", bad, ROOT / "assets" / "config.yaml")
    assert run.code == 2
    data = run.json()
    assert data["valid"] is False and data["schema_version"] == 1
    assert [f["valid"] for f in data["files"]] == [False, True]
    assert data["files"][0]["problems"][0]["path"] == "model.task"
    assert set(data["files"][0]["problems"][0]) == {"file", "line", "col", "path", "message", "severity"}


def test_warnings_alone_keep_exit_0(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text(edit("  email:\n    enabled: true", "  email:\n    enabled: false"))
    run = run_mlmon("validate", path)
    assert run.code == 0 and ": warning: " in run.out


@pytest.fixture
def sample(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({
        "amount": rng.normal(size=n), "country": rng.choice(["de", "fr"], n), "user_id": [f"u{i}" for i in range(n)],
        "is_fraud": rng.integers(0, 2, n), "fraud_proba": rng.random(n), "prediction": rng.integers(0, 2, n),
        "event_time": pd.date_range("2024-01-01", periods=n, freq="h"), "n_items": rng.integers(0, 4, n),
    })
    path = tmp_path / "sample.parquet"
    frame.to_parquet(path)
    return path


def test_init_infers_roles_and_validates(sample, tmp_path):
    out = tmp_path / "monitoring.yaml"
    run = run_mlmon("init", "--data", sample, "--output", out)
    assert run.code == 0, run.err
    assert validate_file(str(out)) == []
    columns = load_config(str(out)).as_dict()["data"]["columns"]
    assert columns == {
        "target": "is_fraud", "prediction": "prediction", "prediction_proba": "fraud_proba",
        "timestamp": "event_time", "id": "user_id", "numerical": ["amount"],
        "categorical": ["country", "n_items"], "exclude": [],
    }
    assert load_config(str(out)).as_dict()["model"]["task"] == "binary"


def test_init_regression_target_from_a_csv(tmp_path):
    rng = np.random.default_rng(1)
    pd.DataFrame({"x": rng.normal(size=100), "target": rng.normal(size=100)}).to_csv(tmp_path / "s.csv", index=False)
    assert run_mlmon("init", "--data", tmp_path / "s.csv").code == 0
    data = load_config("monitoring.yaml").as_dict()
    assert data["model"]["task"] == "regression" and data["data"]["format"] == "csv"


def test_init_without_data_writes_the_default(tmp_path):
    assert run_mlmon("init").code == 0
    assert (tmp_path / "monitoring.yaml").read_text() == DEFAULT


def test_init_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "monitoring.yaml"
    out.write_text("mine\n")
    run = run_mlmon("init", "--output", out)
    assert run.code == 2 and run.out == ""
    assert run.err.strip().splitlines() == [
        f"mlmon: error: file already exists ({out}); pass --force to overwrite it, or --output another name"]
    assert out.read_text() == "mine\n"
    assert run_mlmon("init", "--output", out, "--force").code == 0
    assert validate_file(str(out)) == []


def test_alias_bomb_and_huge_text_are_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    (p,) = validate_text(bomb)
    assert "more than 100,000 YAML nodes" in p.message
    (p,) = validate_text("a: " + "x" * 1_000_001)
    assert p.message.startswith("the config is 1,000,004 characters")
