"""mlmon serve: the history store's latest drift, performance and A/B results as metrics, read
afresh at every scrape; the server binds loopback, stops cleanly, and refuses bad input."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from datetime import date

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from mlmon.errors import MlmonError
from mlmon.services.metrics_from_history import history_path, registry_for
from mlmon.services.scheduled import data_time
from mlmon.store.history import HistoryStore
from mlmon_testing import ROOT, run_mlmon
from prometheus_tools import http_get, stop_process

CONFIG = ROOT / "assets" / "config.yaml"


def drift_result(share, columns, target=None):
    def col(name, method, score, threshold, drifted, role="feature"):
        return {"column": name, "role": role, "type": "numerical", "method": method, "score": score,
                "threshold": threshold, "drifted": drifted}

    return {
        "schema_version": 1, "reference": {"path": "ref.parquet", "rows": 100}, "current": {"path": "cur.parquet", "rows": 50},
        "dataset_drift": share >= 0.5, "drift_share": share, "severity": "critical" if share > 0.5 else "healthy",
        "columns": {c[0]: col(*c) for c in columns},
        "target_drift": col(*target, role="target") if target else None, "prediction_drift": None,
    }


def metric_row(metric, window, timestamp, value, kind="realized", model="fraud-detector"):
    return {"timestamp": timestamp, "window": window, "metric": metric, "value": value, "kind": kind, "model": model}


def samples(registry):
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


def mkey(name, model="", version="", **labels):
    """A model's series: every family but mlmon_history_up carries model and version ("" when the
    run recorded none)."""
    return key(name, model=model, version=version, **labels)


@pytest.fixture
def store(tmp_path):
    return HistoryStore(str(tmp_path / "history.db"))


def test_latest_drift_run_becomes_scores_detections_and_share(store):
    store.append_drift(drift_result(0.0, [("amount", "ks", 0.9, 0.05, False)]), created_at=1000.0)
    store.append_drift(drift_result(0.5, [("amount", "wasserstein", 0.34, 0.1, True), ("age", "wasserstein", 0.02, 0.1, False)],
                                    target=("is_fraud", "jensenshannon", 0.2, 0.1, True)), created_at=2000.0)
    got = samples(registry_for(store.path))
    assert got[mkey("ml_drift_score", drift_type="wasserstein", feature="amount")] == 0.34
    assert got[mkey("ml_drift_score", drift_type="wasserstein", feature="age")] == 0.02
    assert got[mkey("ml_drift_score", drift_type="jensenshannon", feature="is_fraud")] == 0.2
    assert got[mkey("ml_drift_detected", drift_type="wasserstein", feature="amount")] == 1
    assert got[mkey("ml_drift_detected", drift_type="wasserstein", feature="age")] == 0
    assert got[mkey("ml_drift_threshold", drift_type="wasserstein", feature="amount")] == 0.1
    assert got[mkey("ml_drift_share_ratio")] == 0.5
    assert got[mkey("ml_dataset_drift_detected")] == 1
    assert got[mkey("ml_drift_last_run_timestamp_seconds")] == 2000.0
    assert mkey("ml_drift_score", drift_type="ks", feature="amount") not in got  # the older run is gone
    assert got[key("mlmon_history_up")] == 1


def test_newest_window_per_model_metric_and_source_and_the_latest_runs_baseline(store):
    store.append_metrics({"baseline": {"metrics": {"accuracy": 0.95, "f1_score": 0.8}}},
                         [metric_row("accuracy", "1D", "2026-01-01", 0.94), metric_row("accuracy", "1D", "2026-01-02", 0.90),
                          metric_row("f1_score", "1D", "2026-01-02", 0.70),
                          metric_row("accuracy", "7D", "2026-01-01", 0.92),
                          metric_row("accuracy", "1D", "2026-01-03", 0.88, kind="estimated"),
                          metric_row("f1_score", "1D", "2026-01-03", 0.50, model="another-model"),
                          metric_row("auc_roc", "1D", "2026-01-02", None)],
                         created_at=3000.0)
    got = samples(registry_for(store.path, "fraud-detector"))
    fraud = dict(model="fraud-detector")
    assert got[mkey("ml_model_accuracy_ratio", window="1D", **fraud)] == 0.90  # realized preferred to estimated
    assert got[mkey("ml_model_accuracy_ratio", window="7D", **fraud)] == 0.92
    assert got[mkey("ml_model_f1_score_ratio", window="1D", **fraud)] == 0.70  # the other model's row is not ours
    assert got[mkey("ml_model_metric", metric="accuracy", window="1D", source="estimated", **fraud)] == 0.88
    assert got[mkey("ml_model_metric", metric="accuracy", window="1D", source="realized", **fraud)] == 0.90
    assert mkey("ml_model_metric", metric="auc_roc", window="1D", source="realized", **fraud) not in got  # NULL value
    assert not [k for k in got if ("model", "another-model") in k[1]]  # --model keeps one model's series
    # the run itself names no model: its baseline and time are the unnamed model's, so --model leaves them out
    assert not [k for k in got if k[0] in ("ml_model_baseline_metric", "ml_perf_last_run_timestamp_seconds")]
    every = samples(registry_for(store.path))
    assert every[mkey("ml_model_f1_score_ratio", window="1D", model="another-model")] == 0.50
    assert every[mkey("ml_model_baseline_metric", metric="accuracy")] == 0.95
    assert every[mkey("ml_perf_last_run_timestamp_seconds")] == 3000.0


def perf_result(model, version, baseline, primary=("accuracy",), tiers=None):
    return {"model": model, "version": version, "primary": list(primary), "baseline": {"metrics": baseline},
            "tiers": tiers or {"warning": 0.05, "critical": 0.15}, "windows": []}


def test_realized_supersedes_estimated_and_the_estimate_known_last_wins(store):
    def row(value, kind, known_at, timestamp="2026-01-01T00:00:00"):
        return {"timestamp": timestamp, "window": "1D", "metric": "accuracy", "value": value, "kind": kind,
                "known_at": known_at}

    # day 1: the window is estimated; day 2: estimated again (more rows seen); day 21: its labels arrive
    store.append_metrics(perf_result("credit", "1", {"accuracy": 0.9}), [row(0.80, "estimated", "2026-01-02T00:00:00")], 1.0)
    store.append_metrics(perf_result("credit", "1", {"accuracy": 0.9}), [row(0.82, "estimated", "2026-01-03T00:00:00")], 2.0)
    store.append_metrics(perf_result("credit", "2", {"accuracy": 0.9}),
                         [row(0.84, "realized", "2026-01-22T00:00:00"),
                          row(0.79, "estimated", "2026-01-22T00:00:00", timestamp="2026-01-21T00:00:00")], 3.0)
    got = samples(registry_for(store.path))
    credit = dict(model="credit", metric="accuracy", window="1D")
    assert got[mkey("ml_model_metric", version="2", source="realized", **credit)] == 0.84
    assert got[mkey("ml_model_metric", version="2", source="estimated", **credit)] == 0.79  # the newest window's estimate
    assert mkey("ml_model_metric", version="1", source="estimated", **credit) not in got  # an older window's estimates
    assert got[mkey("ml_model_accuracy_ratio", model="credit", version="2", window="1D")] == 0.84


def test_baseline_and_tier_thresholds_per_primary_metric_and_model(store):
    # severity drop = (baseline - value) / |baseline| (lower is better: its negative): the tier's
    # threshold is the value at which the drop equals the tier. By hand: 0.9 x (1 - 0.05) = 0.855,
    # 0.9 x (1 - 0.15) = 0.765; log loss 0.4 x (1 + 0.05) = 0.42, 0.4 x (1 + 0.15) = 0.46
    store.append_metrics(perf_result("fraud", "3", {"accuracy": 0.9, "log_loss": 0.4, "recall": 0.7},
                                     primary=("accuracy", "log_loss")), [], 1.0)
    store.append_metrics(perf_result("churn", "7", {"rmse": 2.0}, primary=("rmse",), tiers={"warning": 0.1}), [], 2.0)
    got = samples(registry_for(store.path))
    fraud = dict(model="fraud", version="3")
    assert got[mkey("ml_model_baseline_metric", metric="recall", **fraud)] == 0.7
    assert got[mkey("ml_model_metric_threshold", metric="accuracy", tier="warning", **fraud)] == pytest.approx(0.855, abs=1e-12)
    assert got[mkey("ml_model_metric_threshold", metric="accuracy", tier="critical", **fraud)] == pytest.approx(0.765, abs=1e-12)
    assert got[mkey("ml_model_metric_threshold", metric="log_loss", tier="warning", **fraud)] == pytest.approx(0.42, abs=1e-12)
    assert got[mkey("ml_model_metric_threshold", metric="log_loss", tier="critical", **fraud)] == pytest.approx(0.46, abs=1e-12)
    assert mkey("ml_model_metric_threshold", metric="recall", tier="warning", **fraud) not in got  # not primary
    assert got[mkey("ml_model_metric_threshold", metric="rmse", tier="warning", model="churn", version="7")] == pytest.approx(2.2)
    assert got[mkey("ml_perf_last_run_timestamp_seconds", model="churn", version="7")] == 2.0


def test_two_models_in_one_store_keep_their_own_latest_drift(store):
    store.append_drift(drift_result(0.5, [("amount", "psi", 0.3, 0.2, True)]), 1.0, identity={"model": "fraud", "version": "1"})
    store.append_drift(drift_result(0.25, [("tenure", "ks", 0.01, 0.05, True)]), 2.0, identity={"model": "churn", "version": "4"})
    store.append_drift(drift_result(0.0, [("amount", "psi", 0.05, 0.2, False)]), 3.0, identity={"model": "fraud", "version": "2"})
    got = samples(registry_for(store.path))
    assert got[mkey("ml_drift_share_ratio", model="fraud", version="2")] == 0.0
    assert got[mkey("ml_drift_share_ratio", model="churn", version="4")] == 0.25
    assert got[mkey("ml_drift_score", model="churn", version="4", drift_type="ks", feature="tenure")] == 0.01
    assert got[mkey("ml_drift_score", model="fraud", version="2", drift_type="psi", feature="amount")] == 0.05
    assert mkey("ml_drift_share_ratio", model="fraud", version="1") not in got
    assert got[mkey("ml_drift_last_run_timestamp_seconds", model="churn", version="4")] == 2.0
    store.append_drift(drift_result(0.4, [("amount", "psi", 0.25, 0.2, True)]), 4.0)  # by hand, no model: beside them
    got = samples(registry_for(store.path))
    assert got[mkey("ml_drift_share_ratio")] == 0.4 and got[mkey("ml_drift_share_ratio", model="churn", version="4")] == 0.25
    assert got[key("mlmon_history_up")] == 1


def test_latest_ab_analysis_per_experiment(store):
    def ab(created, experiment, lift, recommendation):  # the shape `mlmon ab analyze` records
        result = {"schema_version": 1, "experiment": experiment, "source": {"path": "events.csv", "rows": 2000},
                  "srm": {"p_value": 0.4, "mismatch": False},
                  "comparisons": [{"control": "A", "treatment": "B", "metric": "conversion", "control_mean": 0.1,
                                   "treatment_mean": 0.1 * (1 + lift), "lift": lift, "lift_ci": [lift - 0.01, lift + 0.01],
                                   "p_value": 0.01, "significant": True}],
                  "recommendation": recommendation}
        store.append_ab(result, created_at=created)

    ab(1.0, "checkout", 0.01, "CONTINUE")
    ab(2.0, "checkout", 0.03, "SHIP")
    ab(1.5, "ranking", -0.02, "REVERT")
    got = samples(registry_for(store.path))
    cmp = dict(control="A", treatment="B", metric="conversion")
    key = mkey  # an A/B run names no model: model="" (no label once scraped)
    assert got[key("ml_experiment_lift_ratio", experiment="checkout", **cmp)] == 0.03
    assert got[key("ml_experiment_lift_ratio", experiment="ranking", **cmp)] == -0.02
    assert got[key("ml_experiment_p_value", experiment="checkout", **cmp)] == 0.01
    assert got[key("ml_experiment_significant", experiment="checkout", **cmp)] == 1
    assert got[key("ml_experiment_srm_p_value", experiment="checkout")] == 0.4
    assert got[key("ml_experiment_recommendation", experiment="checkout", recommendation="SHIP")] == 1
    assert key("ml_experiment_recommendation", experiment="checkout", recommendation="CONTINUE") not in got


ALERTING_CONFIG = """version: 1
model: {name: churn, version: "3", task: binary}
data:
  reference: {path: ref.parquet}
  current: {path: "cur/{date}.parquet", date_format: "%Y%m%d"}
alerts:
  consecutive_failures: 2
  cooldown: 1h
  critical:
    conditions: {drift_score: 0.5}
  warning:
    conditions: {drift_score: 0.2}
storage: {history_url: "sqlite:///history.db"}
"""


def _alerting_data(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)

    def frame(shift):
        return pd.DataFrame({f"x{i}": rng.normal(shift, 1, 400) for i in range(4)})

    frame(0.0).to_parquet(tmp_path / "ref.parquet")
    (tmp_path / "cur").mkdir()
    frame(2.0).to_parquet(tmp_path / "cur" / "20260101.parquet")  # every feature drifts: share 1.0
    frame(2.0).to_parquet(tmp_path / "cur" / "20260102.parquet")
    frame(0.0).to_parquet(tmp_path / "cur" / "20260103.parquet")  # the reference's process again
    (tmp_path / "monitoring.yaml").write_text(ALERTING_CONFIG)
    return tmp_path / "monitoring.yaml", str(tmp_path / "history.db")


def test_the_alert_engines_state_from_mlmon_run_becomes_firing_and_breach_metrics(tmp_path):
    config, db = _alerting_data(tmp_path)
    labels = {tier: dict(rule="drift_score", tier=tier, model="churn", version="3") for tier in ("critical", "warning")}

    def scrape_after(date):
        r = run_mlmon("run", "--config", config, "--date", date, "--format", "json")
        assert r.code == 0, r.err
        return r.json(), samples(registry_for(db, "churn"))

    result, got = scrape_after("2026-01-01")  # first breach of both tiers: pending (2 in a row needed)
    assert result["drift"]["drift_share"] == 1.0
    for tier in ("critical", "warning"):
        assert got[key("ml_alert_firing", **labels[tier])] == 0
        assert got[key("ml_alert_consecutive_breaches", **labels[tier])] == 1
    assert got[key("ml_alert_threshold", **labels["critical"])] == 0.5
    assert got[key("ml_alert_threshold", **labels["warning"])] == 0.2
    assert not [k for k in got if k[0] == "ml_alert_firing_since_timestamp_seconds"]

    result, got = scrape_after("2026-01-02")  # second breach: both fire (the warning inhibited, still firing)
    assert {a["tier"]: a["status"] for a in result["alerts"]} == {"critical": "firing", "warning": "inhibited"}
    for tier in ("critical", "warning"):
        assert got[key("ml_alert_firing", **labels[tier])] == 1
        assert got[key("ml_alert_consecutive_breaches", **labels[tier])] == 2
        # the episode began with this run: at the end of its day of data (the engine's clock with --date)
        assert got[key("ml_alert_firing_since_timestamp_seconds", **labels[tier])] == data_time(date(2026, 1, 2))

    result, got = scrape_after("2026-01-03")  # recovered: resolved, the count starts again
    assert result["drift"]["drift_share"] == 0.0
    for tier in ("critical", "warning"):
        assert got[key("ml_alert_firing", **labels[tier])] == 0
        assert got[key("ml_alert_consecutive_breaches", **labels[tier])] == 0
    assert not [k for k in got if k[0] == "ml_alert_firing_since_timestamp_seconds"]
    # another model's serve exports none of churn's rules
    assert not [k for k in samples(registry_for(db, "fraud-detector")) if k[0].startswith("ml_alert_")]


def test_odd_ab_results_are_read_defensively(store):
    with store._connection() as conn:
        store._insert_run(conn, "ab", {"comparisons": ["not a dict", {"lift": "n/a", "significant": "yes"}]}, 1.0)
        conn.execute("INSERT INTO runs (kind, created_at, result_json) VALUES ('ab', 2.0, 'not json')")
    got = samples(registry_for(store.path))
    assert got[mkey("ml_experiment_last_run_timestamp_seconds", experiment="default")] == 2.0
    assert got[key("mlmon_history_up")] == 1


def test_missing_store_is_down_and_missing_tables_give_only_the_up_metric(tmp_path, capsys):
    registry = registry_for(str(tmp_path / "absent.db"))  # a wrong --history must not look healthy
    assert samples(registry) == {key("mlmon_history_up"): 0.0}
    assert samples(registry) == {key("mlmon_history_up"): 0.0}
    assert not (tmp_path / "absent.db").exists()  # serving never creates the store
    err = capsys.readouterr().err
    assert err.count("mlmon: warning: cannot read history") == 1 and "absent.db" in err
    import sqlite3

    bare = tmp_path / "bare.db"  # an older database: runs only, no drift_columns or ml_metrics
    with sqlite3.connect(bare) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT, created_at REAL, drift_share REAL,"
                     " dataset_drift INTEGER, result_json TEXT)")
        conn.execute("INSERT INTO runs VALUES (1, 'drift', 5.0, 0.25, 0, '{}')")
    got = samples(registry_for(str(bare)))
    assert got[mkey("ml_drift_share_ratio")] == 0.25 and got[key("mlmon_history_up")] == 1
    with sqlite3.connect(bare) as conn:  # a scrape reads only: no table was added
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["runs"]


def test_unreadable_store_reports_down_instead_of_failing_the_scrape(tmp_path, capsys):
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"this is not a database" * 100)
    registry = registry_for(str(bad))
    assert samples(registry) == {key("mlmon_history_up"): 0.0}
    assert samples(registry) == {key("mlmon_history_up"): 0.0}
    err = capsys.readouterr().err
    assert err.count("mlmon: warning: cannot read history") == 1  # once, not once per scrape


def test_history_path_is_relative_to_the_config_like_mlmon_run(monkeypatch):
    assert history_path({"storage": {"history_url": "sqlite:///data/h.db"}}, base="/srv/m") == "/srv/m/data/h.db"
    assert history_path({"storage": {"history_url": "sqlite:///data/h.db"}}, "x.db", base="/srv/m") == "x.db"
    assert history_path({}) == os.path.join(".mlmon", "history.db")
    monkeypatch.setenv("HIST_URL", "sqlite:////abs/from-env.db")
    assert history_path({"storage": {"history_url_env": "HIST_URL"}}, base="/srv/m") == "/abs/from-env.db"
    monkeypatch.delenv("HIST_URL")
    with pytest.raises(MlmonError, match="environment variable HIST_URL is not set"):
        history_path({"storage": {"history_url_env": "HIST_URL"}})
    assert history_path({"storage": {"history_url": "postgresql://mlmon@db/h"}}, base="/srv/m") == "postgresql://mlmon@db/h"
    with pytest.raises(MlmonError, match="unsupported history database: mysql"):
        history_path({"storage": {"history_url": "mysql://db/h"}})


def test_serve_finds_the_store_mlmon_run_writes_beside_the_config(tmp_path, served):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "monitoring.yaml").write_text(
        CONFIG.read_text().replace("sqlite:///.mlmon/history.db", "sqlite:///state/history.db"))
    HistoryStore(str(tmp_path / "conf" / "state" / "history.db")).append_drift(
        drift_result(0.25, [("amount", "psi", 0.05, 0.1, False)]))
    os.mkdir(tmp_path / "elsewhere")
    proc, _host, port, _path = start_serve("--config", tmp_path / "conf" / "monitoring.yaml", "--port", 0,
                                           cwd=tmp_path / "elsewhere")
    try:
        assert b'ml_drift_share_ratio{model="",version=""} 0.25' in http_get(f"http://127.0.0.1:{port}/metrics")
    finally:
        assert stop_process(proc) == 0


# ---------------------------------------------------------------------------- the real server


def start_serve(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"))
    proc = subprocess.Popen([sys.executable, "-m", "mlmon", "serve", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    match = re.search(r"http://([\d.]+):(\d+)(/\S*)", line)
    if not match:
        stop_process(proc)
        pytest.fail(f"mlmon serve did not start: {line}{proc.stderr.read()}")
    return proc, match.group(1), int(match.group(2)), match.group(3)


@pytest.fixture
def served(tmp_path):
    procs = []

    def start(*args):
        proc, host, port, path = start_serve(*args, cwd=tmp_path)
        procs.append(proc)
        return proc, host, port, path

    yield start
    for proc in procs:
        stop_process(proc)


def test_serve_binds_loopback_reads_fresh_and_stops_on_sigterm(tmp_path, served):
    store = HistoryStore(str(tmp_path / "h.db"))
    store.append_drift(drift_result(0.25, [("amount", "psi", 0.05, 0.1, False)]), created_at=1.0)
    proc, host, port, path = served("--config", CONFIG, "--port", 0, "--history", store.path)
    assert host == "127.0.0.1" and path == "/metrics"
    body = http_get(f"http://127.0.0.1:{port}/metrics").decode()
    assert 'ml_drift_score{drift_type="psi",feature="amount",model="",version=""} 0.05' in body
    store.append_drift(drift_result(0.75, [("amount", "psi", 0.4, 0.1, True)]), created_at=2.0)
    body = http_get(f"http://127.0.0.1:{port}/metrics").decode()  # no restart: read at each scrape
    assert 'ml_drift_score{drift_type="psi",feature="amount",model="",version=""} 0.4' in body
    assert 'ml_drift_share_ratio{model="",version=""} 0.75' in body
    assert http_get(f"http://127.0.0.1:{port}/-/healthy") == b"ok\n"
    with pytest.raises(Exception, match="404"):
        http_get(f"http://127.0.0.1:{port}/other")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "mlmon: serve stopped" in proc.stderr.read()


def test_serve_stops_cleanly_on_sigint(tmp_path, served):
    proc, _host, port, _path = served("--config", CONFIG, "--port", 0, "--history", tmp_path / "none.db")
    assert b"mlmon_history_up 0.0" in http_get(f"http://127.0.0.1:{port}/metrics")  # no store there
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    assert "serve stopped" in proc.stderr.read()


def test_serve_takes_port_and_path_from_the_config(tmp_path, served):
    port = _free_port()
    text = CONFIG.read_text().replace("port: 9108", f"port: {port}").replace("path: /metrics", "path: /stats")
    (tmp_path / "monitoring.yaml").write_text(text)
    _proc, _host, bound, path = served("--config", tmp_path / "monitoring.yaml")
    assert (bound, path) == (port, "/stats")
    assert b"mlmon_history_up" in http_get(f"http://127.0.0.1:{port}/stats")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_port_in_use_is_one_line_and_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_mlmon("serve", "--config", CONFIG, "--port", port)
    assert r.code == 2
    assert r.err == (f"mlmon: error: port {port} is already in use (127.0.0.1:{port}); "
                     "stop the other server or pass --port with a free port\n")


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "mlmon: error: invalid port: 70000 (--port); give a number from 1 to 65535 (0 picks a free one)"),
    (["--port", "http"], "mlmon: error: invalid port: http (--port)"),
    (["--host", "no.such.host.invalid", "--port", "0"], "mlmon: error: cannot listen:"),
])
def test_bad_port_or_host_is_one_line_and_exit_2(args, message):
    r = run_mlmon("serve", "--config", CONFIG, *args)
    assert r.code == 2 and r.err.startswith(message) and r.err.count("\n") == 1


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "monitoring.yaml").write_text(CONFIG.read_text().replace("task: binary", "task: nonsense"))
    r = run_mlmon("serve", "--config", tmp_path / "monitoring.yaml", "--port", "0")
    assert r.code == 2 and r.err.startswith("mlmon: error: invalid monitoring config: model.task") and r.err.count("\n") == 1
    r = run_mlmon("serve", "--config", tmp_path / "absent.yaml", "--port", "0")
    assert r.code == 2 and "file not found" in r.err
    r = run_mlmon("serve", "--port", "0")
    assert r.code == 2 and "--config" in r.err


def test_an_unsupported_history_url_is_refused(tmp_path):
    text = CONFIG.read_text().replace("history_url: sqlite:///.mlmon/history.db", "history_url: mysql://db.example/mlmon")
    (tmp_path / "monitoring.yaml").write_text(text)
    r = run_mlmon("serve", "--config", tmp_path / "monitoring.yaml", "--port", "0")
    assert r.code == 2
    assert r.err == ("mlmon: error: unsupported history database: mysql (storage.history_url); "
                     "use a SQLite path (sqlite:///PATH) or postgresql://USER@HOST:PORT/DATABASE\n")


def test_the_port_flag_beats_the_config_and_the_config_beats_the_default():
    from mlmon.cli.serve import ServeOptions
    from mlmon.services.config.model import from_dict

    configured = from_dict({"integrations": {"prometheus": {"port": 9200, "path": "/m"}}})
    assert (ServeOptions.from_config(from_dict({})).port, ServeOptions.from_config(from_dict({})).source("port")) == (9108, "default")
    assert (ServeOptions.from_config(configured).port, ServeOptions.from_config(configured).source("port")) == (9200, "config")
    flagged = ServeOptions.from_config(configured).override(port=9300)
    assert (flagged.port, flagged.source("port"), flagged.path) == (9300, "flag", "/m")
    assert ServeOptions.from_config(configured).override(port=None).port == 9200  # a flag not given changes nothing


def test_serve_exposes_every_model_unless_model_names_one(tmp_path, served):
    store = HistoryStore(str(tmp_path / "h.db"))
    store.append_drift(drift_result(0.5, [("amount", "psi", 0.3, 0.2, True)]), 1.0, identity={"model": "fraud", "version": "1"})
    store.append_drift(drift_result(0.25, [("tenure", "ks", 0.01, 0.05, True)]), 2.0, identity={"model": "churn", "version": "4"})
    _proc, _host, port, _path = served("--config", CONFIG, "--port", 0, "--history", store.path)
    body = http_get(f"http://127.0.0.1:{port}/metrics").decode()
    assert 'ml_drift_share_ratio{model="fraud",version="1"} 0.5' in body
    assert 'ml_drift_share_ratio{model="churn",version="4"} 0.25' in body
    _proc, _host, port, _path = served("--config", CONFIG, "--port", 0, "--history", store.path, "--model", "churn")
    body = http_get(f"http://127.0.0.1:{port}/metrics").decode()
    assert 'ml_drift_share_ratio{model="churn",version="4"} 0.25' in body and 'model="fraud"' not in body
