"""The generated Grafana dashboard: checked against Grafana's own dashboard schema (the typed models
of Grafana 11.1, the version the compose stack runs, from the grafana-foundation-sdk package), and
every panel's query run, for each model, against a real Prometheus scraping a real `mlmon serve`
on a history holding two models and two instrumented model servers: a query that returns nothing
fails."""

from __future__ import annotations

import enum
import json
import math
import re
import subprocess
import sys
import typing

import pytest
import yaml

from mlmon.exporter import MetricsExporter
from mlmon.services.config import load_config
from mlmon.services.stack import StackOptions, generate
from mlmon.store.history import HistoryStore
from mlmon_testing import ROOT, run_mlmon
from prometheus_tools import free_port, http_get, query, require_binary, stop_process, wait_for
from test_serve import drift_result, start_serve

CONFIG = ROOT / "assets" / "config.yaml"
DASHBOARD = "grafana/dashboards/mlmon.json"
PRIMARY = ["accuracy", "f1_score", "auc_roc"]  # assets/config.yaml: performance.classification.primary

# the schema package needs Python 3.11 (typing.Self); the project runs on 3.10 too, where the schema
# checks skip and the queries are still run against Prometheus
SCHEMA = sys.version_info >= (3, 11)
if SCHEMA:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.cog.runtime import panelcfg_config
    from grafana_foundation_sdk.models import prometheus as prometheus_query
    from grafana_foundation_sdk.models.dashboard import Dashboard

    register_default_plugins()
needs_schema = pytest.mark.skipif(not SCHEMA, reason="grafana-foundation-sdk needs Python 3.11")


def dashboard_of(config_path=CONFIG):
    return json.loads(generate(load_config(str(config_path)), "grafana", StackOptions()).files[DASHBOARD])


# ---------------------------------------------------------------------------- Grafana's schema


def schema_errors(dashboard: dict) -> typing.List[str]:
    """What Grafana's dashboard schema says is wrong with ``dashboard``: keys it does not know
    (decoding into the typed models drops them, so they are missing after a round trip), values
    of the wrong type or outside an enum (checked against the models' type hints), panel types
    with no panel plugin, and Prometheus queries that do not decode as Prometheus queries."""
    model = Dashboard.from_json(dashboard)
    errors: typing.List[str] = []
    _same(dashboard, json.loads(json.dumps(model, cls=JSONEncoder)), "", errors)
    _conforms(model, Dashboard, "", errors)
    for i, panel in enumerate(model.panels or []):
        if panel.type_val == "row":
            continue
        if panelcfg_config(panel.type_val) is None:
            errors.append(f"/panels[{i}]/type: no panel plugin {panel.type_val!r}")
        for j, target in enumerate(panel.targets or []):
            if not isinstance(target, prometheus_query.Dataquery):
                errors.append(f"/panels[{i}]/targets[{j}]: not a Prometheus query ({type(target).__name__})")
    return errors


def _same(given, decoded, path, errors):
    if isinstance(given, dict):
        if not isinstance(decoded, dict):
            errors.append(f"{path}: an object became {type(decoded).__name__}")
            return
        for key, value in given.items():
            if key not in decoded:
                errors.append(f"{path}/{key}: not in Grafana's schema (dropped on decoding)")
            else:
                _same(value, decoded[key], f"{path}/{key}", errors)
    elif isinstance(given, list):
        if not isinstance(decoded, list) or len(given) != len(decoded):
            errors.append(f"{path}: a list of {len(given)} did not survive decoding")
            return
        for i, (a, b) in enumerate(zip(given, decoded)):
            _same(a, b, f"{path}[{i}]", errors)
    elif given != decoded:
        errors.append(f"{path}: {given!r} came back as {decoded!r}")


def _conforms(value, hint, path, errors) -> None:
    """``value`` against a type hint of the generated models (Optional, Union, Literal, list,
    dict, enums, scalars, nested models)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (typing.Any, object) or value is None and origin is typing.Union and type(None) in args:
        if hasattr(value, "to_json") and not isinstance(value, enum.Enum):
            _model(value, path, errors)
        return
    if origin is typing.Union:
        trials = []
        for arm in args:
            trial: typing.List[str] = []
            _conforms(value, arm, path, trial)
            if not trial:
                return
            trials.append((arm, trial))
        # one arm of the value's own shape (Optional[X], a list among scalars...): its errors say the most
        shaped = [trial for arm, trial in trials if _shape(value, arm)]
        errors.extend(shaped[0] if len(shaped) == 1 else [f"{path}: {value!r} is none of {hint}"])
    elif origin is typing.Literal:
        if value not in args:
            errors.append(f"{path}: {value!r} is not one of {args}")
    elif origin is list:
        if not isinstance(value, list):
            errors.append(f"{path}: {value!r} is not a list")
            return
        for i, item in enumerate(value):
            _conforms(item, args[0] if args else typing.Any, f"{path}[{i}]", errors)
    elif origin is dict:
        if not isinstance(value, dict):
            errors.append(f"{path}: {value!r} is not an object")
            return
        for key, item in value.items():
            _conforms(item, args[1] if args else typing.Any, f"{path}/{key}", errors)
    elif isinstance(hint, type) and issubclass(hint, enum.Enum):
        if value not in {m.value for m in hint} and not isinstance(value, hint):
            errors.append(f"{path}: {value!r} is not one of {[m.value for m in hint]}")
    elif hint is bool:
        if not isinstance(value, bool):
            errors.append(f"{path}: {value!r} is not a boolean")
    elif hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (hint is int and not isinstance(value, int)):
            errors.append(f"{path}: {value!r} is not {'an integer' if hint is int else 'a number'}")
    elif hint is str:
        if not isinstance(value, str):
            errors.append(f"{path}: {value!r} is not a string")
    elif isinstance(hint, type):
        if not isinstance(value, hint):
            errors.append(f"{path}: {type(value).__name__} is not {hint.__name__}")
        elif hasattr(value, "to_json"):
            _model(value, path, errors)


def _shape(value, hint) -> bool:
    origin = typing.get_origin(hint) or hint
    return isinstance(origin, type) and not issubclass(origin, enum.Enum) and isinstance(value, origin)


def _model(value, path, errors) -> None:
    """A decoded model object: each attribute against its class's hints, the actual class's (a
    panel's options decode to its plugin's Options)."""
    hints = typing.get_type_hints(type(value))
    for name, hint in hints.items():
        if hasattr(value, name):
            _conforms(getattr(value, name), hint, f"{path}/{name}", errors)


@needs_schema
def test_the_generated_dashboard_conforms_to_grafanas_dashboard_schema():
    assert schema_errors(dashboard_of()) == []


@needs_schema
def test_a_regression_models_dashboard_conforms_too(tmp_path):
    (tmp_path / "m.yaml").write_text(CONFIG.read_text().replace("task: binary", "task: regression"))
    dashboard = dashboard_of(tmp_path / "m.yaml")
    assert schema_errors(dashboard) == []
    titles = [p["title"] for p in dashboard["panels"]]
    assert [t.split(":")[0] for t in titles if t.endswith("against the baseline")] == ["r2_score", "rmse", "mae"]


@needs_schema
@pytest.mark.parametrize("break_it, error", [
    (lambda d: d["panels"][1].update(gridpos=d["panels"][1].pop("gridPos")), "/panels[1]/gridpos: not in Grafana's schema"),
    (lambda d: d["panels"][1]["gridPos"].update(w="12"), "/panels[1]/grid_pos/w: '12' is not an integer"),
    (lambda d: d["panels"][1].update(type="timeseriez"), "/panels[1]/type: no panel plugin 'timeseriez'"),
    (lambda d: d["templating"]["list"][0].update(refresh=7), "/templating/list_val[0]/refresh: 7 is none of"),
    (lambda d: d["panels"][1]["options"]["tooltip"].update(mode="everything"), "/panels[1]/options/tooltip/mode: 'everything'"),
    (lambda d: d["panels"][1]["datasource"].update(type="loki"), "/panels[1]/targets[0]: not a Prometheus query"),
])
def test_the_schema_check_finds_what_grafana_would_reject(break_it, error):
    dashboard = dashboard_of()
    break_it(dashboard)
    assert any(e.startswith(error) for e in schema_errors(dashboard)), schema_errors(dashboard)


# ---------------------------------------------------------------------------- what the dashboard shows


def targets(dashboard):
    """(panel title, refId, expr) of every query."""
    return [(p["title"], t["refId"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def test_a_model_variable_selects_the_model_of_every_per_model_query():
    dashboard = dashboard_of()
    (variable,) = dashboard["templating"]["list"]
    assert variable["name"] == "model" and variable["type"] == "query"
    assert variable["query"]["query"] == (
        'label_values({__name__=~"ml_drift_share_ratio|ml_model_metric|ml_alert_firing|ml_predictions_total"}, model)')
    assert variable["current"]["value"] == "fraud-detector"  # the config's model first
    for title, ref, expr in targets(dashboard):
        series = re.findall(r"\b(ml_\w+|ALERTS)(\{[^}]*\})?", expr)
        assert series, (title, ref, expr)
        for name, selector in series:
            if title.startswith("A/B"):  # experiments are keyed by experiment, not by model
                assert "$model" not in expr
            else:
                assert 'model="$model"' in selector, (title, ref, name)


def test_each_primary_metric_has_realized_estimated_baseline_and_thresholds_over_time():
    panels = {p["title"]: p for p in dashboard_of()["panels"]}
    for metric in PRIMARY:
        panel = panels[f"{metric}: realized and estimated against the baseline"]
        assert panel["type"] == "timeseries"
        assert [(t["expr"], t["legendFormat"]) for t in panel["targets"]] == [
            (f'ml_model_metric{{model="$model", metric="{metric}", source="realized"}}', "realized {{window}}"),
            (f'ml_model_metric{{model="$model", metric="{metric}", source="estimated"}}', "estimated {{window}}"),
            (f'ml_model_baseline_metric{{model="$model", metric="{metric}"}}', "baseline"),
            (f'ml_model_metric_threshold{{model="$model", metric="{metric}"}}', "{{tier}} threshold"),
        ]
    assert panels["Share of drifted features"]["type"] == "timeseries"
    assert panels["Drift score by feature"]["type"] == "timeseries"
    assert [t["expr"] for t in panels["Alert engine (mlmon run): firing rules"]["targets"]] == ['ml_alert_firing{model="$model"}']
    # laid out on the 24-column grid without overlaps
    cells = set()
    for p in dashboard_of()["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24
        area = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & area, p["title"]
        cells |= area


# ---------------------------------------------------------------------------- against a real Prometheus

MODELS = {"fraud-detector": {"version": "1.0.0", "share": 0.75, "accuracy": 0.93},
          "churn": {"version": "4", "share": 1.0, "accuracy": 0.81}}


def _history(path):
    """Two models' drift, realized and estimated performance, and alert state, through the store."""
    store = HistoryStore(str(path))
    for model, m in MODELS.items():
        identity = {"model": model, "version": m["version"]}
        drifted = int(m["share"] * 4)
        columns = [(f"x{i}", "wasserstein", 0.3 if i < drifted else 0.01, 0.1, i < drifted) for i in range(4)]
        run_id = store.append_drift(drift_result(m["share"], columns), identity=identity)
        baseline = {"accuracy": 0.95, "f1_score": 0.9, "auc_roc": 0.97}
        rows = [{"timestamp": day, "window": "1D", "metric": metric, "value": value * (m["accuracy"] / 0.95), "kind": kind}
                for metric, value in baseline.items()
                for day, kind in (("2026-01-01", "realized"), ("2026-01-02", "estimated"))]
        store.append_metrics({"model": model, "version": m["version"], "primary": PRIMARY, "baseline": {"metrics": baseline},
                              "tiers": {"warning": 0.05, "critical": 0.15}, "windows": []}, rows, identity=identity)
        for tier, threshold in (("critical", 0.5), ("warning", 0.2)):
            store.save_alert_state({"key": f"{model}/drift_score/{tier}", "model": model, "rule": "drift_score", "tier": tier,
                                    "consecutive": 3, "firing": True, "started_at": 1.0, "threshold": threshold,
                                    "last_value": m["share"], "updated_at": 1.0}, run_id=run_id)
    store.append_ab({"schema_version": 1, "experiment": "checkout", "source": {"path": "events.csv", "rows": 100},
                     "srm": {"p_value": 0.4}, "recommendation": "SHIP",
                     "comparisons": [{"control": "A", "treatment": "B", "metric": "conversion", "control_mean": 0.1,
                                      "treatment_mean": 0.103, "lift": 0.03, "lift_ci": [0.02, 0.04], "p_value": 0.01,
                                      "significant": True}]})
    return store.path


def _serve_traffic(exporters, n):
    """Predictions, some failing, with confidence: between two scrapes every counter rises."""
    for exporter in exporters:
        for i in range(n):
            exporter.observe_prediction(0.002 * (i + 1), status="error" if i % 5 == 0 else "success",
                                        predicted_class="fraud" if i % 2 else "legit", confidence=0.6 + 0.03 * i)


@pytest.fixture
def processes():
    started = []
    yield started
    for item in reversed(started):
        if isinstance(item, subprocess.Popen):
            stop_process(item)
            for stream in (item.stdout, item.stderr):
                if stream:
                    stream.close()
        else:  # an exporter's HTTP server
            item.shutdown()
            item.server_close()


def test_every_panel_query_returns_data_for_each_model_from_a_real_prometheus(tmp_path, processes):
    prometheus = require_binary("prometheus")
    history = _history(tmp_path / "history.db")
    serve, _host, serve_port, _path = start_serve("--config", CONFIG, "--port", 0, "--history", history, cwd=tmp_path)
    processes.append(serve)
    exporters, targets_ = [], [f"127.0.0.1:{serve_port}"]
    for model, m in MODELS.items():
        exporter = MetricsExporter(model, m["version"])
        server, _thread = exporter.start_http_server(0)
        processes.append(server)
        exporters.append(exporter)
        targets_.append(f"127.0.0.1:{server.server_address[1]}")
    _serve_traffic(exporters, 10)

    rule_files = []  # each model's generated rules, evaluated every second: their ALERTS go to the alerts table
    for model in MODELS:
        config = tmp_path / f"{model}.yaml"
        config.write_text(CONFIG.read_text().replace("name: fraud-detector", f"name: {model}"))
        r = run_mlmon("generate", "prometheus-rules", "--config", config, "--out", tmp_path / model, "--evaluation-interval", "1s")
        assert r.code == 0, r.err
        rule_files.append(str(tmp_path / model / "prometheus/rules/mlmon.rules.yml"))
    prom_port = free_port()
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": rule_files,
        "scrape_configs": [{"job_name": "mlmon", "static_configs": [{"targets": targets_}]}],
    }))
    with open(tmp_path / "prometheus.log", "w") as log:
        prom = subprocess.Popen([prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=subprocess.DEVNULL, stderr=log)
    processes.append(prom)
    url = f"http://127.0.0.1:{prom_port}"
    wait_for(lambda: http_get(f"{url}/-/ready"), what="prometheus ready")
    wait_for(lambda: len([s for s in query(url, "up") if s["value"][1] == "1"]) == 3, what="three targets up")
    _serve_traffic(exporters, 10)  # a second batch after the first scrape: rate() sees the counters rise

    dashboard = dashboard_of()
    # the model variable's query lists both models (Grafana asks Prometheus's label values API)
    selector = dashboard["templating"]["list"][0]["query"]["query"][len("label_values("):-len(", model)")]
    values = json.loads(http_get(f"{url}/api/v1/label/model/values?match[]={_quote(selector)}"))["data"]
    assert sorted(values) == ["churn", "fraud-detector"]

    for model in MODELS:
        for title, ref, expr in targets(dashboard):
            promql = expr.replace("$model", model).replace("$__rate_interval", "1m")

            def answered():
                result = query(url, promql)
                return result if result and all(math.isfinite(float(s["value"][1])) for s in result) else None

            result = wait_for(answered, timeout=30, what=f"{title} ({ref}) for {model}: {promql}")
            assert {s["metric"]["model"] for s in result if "model" in s["metric"]} <= {model}, (title, ref, result)

    def one(expr):
        (sample,) = query(url, expr)
        return float(sample["value"][1])

    for model, m in MODELS.items():  # each model's own values, not the other's
        assert one(f'ml_drift_share_ratio{{model="{model}"}}') == m["share"]
        assert one(f'ml_model_metric{{model="{model}", metric="accuracy", source="realized"}}') == pytest.approx(m["accuracy"])
        assert one(f'ml_model_metric_threshold{{model="{model}", metric="accuracy", tier="critical"}}') == pytest.approx(0.95 * 0.85)
        assert one(f'sum(ml_alert_firing{{model="{model}"}})') == 2


def _quote(text):
    import urllib.parse

    return urllib.parse.quote(text, safe="")
