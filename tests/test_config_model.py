"""The typed config: the schema's defaults filled in, frozen, field for field equal to the schema,
and the one precedence rule (flag over config over default) that every command's options use."""

import dataclasses
import json
import os

import pytest
import yaml

from mlmon.services.config import model as config_model
from mlmon.services.config import DEFAULT_CONFIG_PATH, SCHEMA_PATH
from mlmon.services.options import Options


def test_every_typed_section_has_exactly_the_schemas_properties():
    mismatched = {path: sorted(fields ^ props) for path, fields, props in config_model.schema_fields() if fields != props}
    assert mismatched == {}


def test_an_empty_config_gets_the_schemas_defaults():
    c = config_model.from_dict({"version": 1})
    schema = json.load(open(SCHEMA_PATH))
    drift = schema["properties"]["drift"]["properties"]
    assert c.drift.drift_share == drift["drift_share"]["default"] == 0.5
    assert c.alerts.consecutive_failures == 3 and c.alerts.cooldown == "1h"
    assert c.alerts.critical.response_time == "15m" and c.alerts.info.response_time == "1d"
    assert c.performance.classification.primary == ("accuracy", "f1_score", "auc_roc")
    assert c.performance.label_delay == "0s" and c.model.task == "binary"
    assert c.experiments.traffic_split == {"control": 0.5, "treatment": 0.5}
    assert c.data.columns.numerical == () and c.drift.column_methods == {}
    assert c.data.columns.target is None and c.drift.threshold is None
    assert c.notifications == {}


def test_the_files_values_win_over_defaults_and_given_tells_them_apart():
    c = config_model.from_dict({"version": 1, "alerts": {"cooldown": "6h", "warning": {"notify": ["slack"]}},
                                "notifications": {"slack": {"channel": "#ml"}}})
    assert c.alerts.cooldown == "6h" and c.alerts.warning.notify == ("slack",)
    assert c.notifications["slack"] == {"enabled": True, "webhook_url_env": "SLACK_WEBHOOK_URL", "channel": "#ml"}
    assert c.given("alerts", "cooldown") and not c.given("alerts", "consecutive_failures")
    assert not c.given("nothing", "here")


def test_the_annotated_default_config_loads_whole():
    c = config_model.from_dict(yaml.safe_load(open(DEFAULT_CONFIG_PATH)), path=DEFAULT_CONFIG_PATH)
    assert c.model.name == "fraud-detector" and c.data.columns.proba_columns == ("fraud_probability",)
    assert c.alerts.critical.notify == ("pagerduty", "slack")
    assert c.path == DEFAULT_CONFIG_PATH


def test_a_config_cannot_be_changed_by_a_command_that_reads_it():
    c = config_model.from_dict({"version": 1, "drift": {"column_methods": {"a": "psi"}}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.drift.threshold = 0.3
    with pytest.raises(TypeError):
        c.drift.column_methods["a"] = "ks"
    with pytest.raises(TypeError):
        c.raw["drift"]["fdr"] = 0.1


def test_load_config_returns_the_typed_config(tmp_path):
    from mlmon.services.config import load_config

    path = tmp_path / "monitoring.yaml"
    path.write_text("version: 1\nmodel: {name: m, task: regression}\ndata: {reference: {path: r.parquet}, current: {path: c.parquet}}\n")
    c = load_config(str(path))
    assert isinstance(c, config_model.Config)
    assert c.model.task == "regression" and c.path == str(path)


@dataclasses.dataclass(frozen=True)
class _Opts(Options):
    threshold: float = 0.1
    method: str = "auto"
    columns: tuple = ()


@pytest.mark.parametrize("config, flag, expected, source", [
    (None, None, 0.1, "default"),   # neither: the default
    (0.2, None, 0.2, "config"),     # the config over the default
    (None, 0.3, 0.3, "flag"),       # a flag over the default
    (0.2, 0.3, 0.3, "flag"),        # a flag over the config
])
def test_a_flag_wins_over_the_config_which_wins_over_the_default(config, flag, expected, source):
    o = _Opts().from_fields(threshold=config).override(threshold=flag)
    assert (o.threshold, o.source("threshold")) == (expected, source)
    assert o.source("method") == "default"


def test_an_unknown_option_is_a_programming_error():
    with pytest.raises(TypeError, match="no option"):
        _Opts().override(treshold=0.1)
