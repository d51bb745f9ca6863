"""``mlmon perf`` and ``mlmon labels`` end to end in-process: flags, config, history, exit codes."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import run_mlmon
from test_perf_service import frame

ARGS = ["--task", "binary", "--target", "y", "--prediction", "yhat", "--proba", "p", "--timestamp", "ts", "--window", "1D"]


@pytest.fixture
def files(tmp_path):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    frame(seed=1).to_parquet(ref)
    frame(seed=2, noise=True).to_parquet(cur)
    return ref, cur


def test_perf_json_and_history_rows_in_one_run(files, tmp_path):
    ref, cur = files
    db = tmp_path / "h.db"
    r = run_mlmon("perf", cur, "--reference", ref, *ARGS, "--format", "json", "--history", db, "--model", "fraud")
    assert r.code == 0, r.err
    d = r.json()
    assert d["severity"] == "critical"
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT id, kind, severity, current_rows FROM runs").fetchall()
        assert runs == [(1, "perf", "critical", 3000)]
        got = conn.execute("SELECT timestamp, value, kind, n FROM ml_metrics WHERE metric='accuracy' ORDER BY timestamp").fetchall()
    assert [(g[0], g[1]) for g in got] == [(w["start"], w["metrics"]["accuracy"]) for w in d["windows"]]
    assert {g[2] for g in got} == {"realized"}


def test_markdown_starts_with_the_verdict(files):
    ref, cur = files
    r = run_mlmon("perf", cur, "--reference", ref, *ARGS, "--no-history")
    assert r.code == 0
    assert r.out.startswith("**Performance: CRITICAL**")
    assert "largest drop: " in r.out and "worse than baseline" in r.out


@pytest.mark.parametrize("fail_on, code", [("critical", 1), ("degraded", 1)])
def test_fail_on_exits_1(files, fail_on, code):
    ref, cur = files
    assert run_mlmon("perf", cur, "--reference", ref, *ARGS, "--fail-on", fail_on, "--no-history").code == code


def test_fail_on_is_quiet_when_healthy(tmp_path):
    ref, cur = tmp_path / "r.parquet", tmp_path / "c.parquet"
    frame(seed=3).to_parquet(ref)
    frame(seed=4).to_parquet(cur)
    r = run_mlmon("perf", cur, "--reference", ref, *ARGS, "--fail-on", "critical", "--critical-drop", "0.5",
                  "--warning-drop", "0.4", "--no-history")
    assert r.code == 0, r.err


def test_config_gives_task_roles_costs_and_tiers(files, tmp_path):
    ref, cur = files
    import yaml

    from mlmon_testing import ROOT

    config = yaml.safe_load((ROOT / "assets" / "config.yaml").read_text())
    config["model"].update({"name": "fraud", "version": "3", "task": "binary"})
    config["data"]["columns"] = {"target": "y", "prediction": "yhat", "prediction_proba": "p", "timestamp": "ts", "id": "id"}
    config["performance"]["classification"]["business"] = {"false_positive_cost": 2.0, "false_negative_cost": 7.0}
    config["performance"]["baseline"] = "previous_window"
    config["alerts"]["critical"]["conditions"]["accuracy_drop"] = 0.9
    config["alerts"]["warning"]["conditions"]["accuracy_drop"] = 0.8
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text(yaml.safe_dump(config))
    r = run_mlmon("perf", cur, "--reference", ref, "--config", cfg, "--window", "1D", "--format", "json", "--no-history")
    assert r.code == 0, r.err
    d = r.json()
    assert d["model"] == "fraud" and d["version"] == "3" and d["tiers"] == {"warning": 0.8, "critical": 0.9}
    assert d["baseline_kind"] == "previous_window"
    assert d["severity"] == "healthy"
    base = d["baseline"]["metrics"]
    fp = pd.read_parquet(ref).pipe(lambda f: int(((f.yhat == 1) & (f.y == 0)).sum()))
    assert base["false_positive_cost"] == 2.0 * fp


def _config_file(tmp_path, **sections):
    import yaml

    from mlmon_testing import ROOT

    config = yaml.safe_load((ROOT / "assets" / "config.yaml").read_text())
    config["model"]["task"] = "binary"
    config["data"]["columns"] = {"target": "y", "prediction": "yhat", "prediction_proba": "p", "timestamp": "ts"}
    for key, value in sections.items():
        config[key].update(value)
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text(yaml.safe_dump(config))
    return cfg


def test_config_names_the_reference_and_the_window(files, tmp_path):
    ref, cur = files
    # data.reference is relative to the config's folder; the first of performance.windows is the window
    cfg = _config_file(tmp_path, data={"reference": {"path": ref.name}}, performance={"windows": ["1d", "7d"]})
    r = run_mlmon("perf", cur, "--config", cfg, "--format", "json", "--no-history")
    assert r.code == 0, r.err
    d = r.json()
    assert d["baseline"]["n"] == len(pd.read_parquet(ref))
    assert d["window"] == "1d"
    chunks = run_mlmon("perf", cur, "--config", cfg, "--chunk-size", "500", "--format", "json", "--no-history")
    assert chunks.code == 0 and chunks.json()["window"] != "1d", chunks.err  # rows asked for: no time window


def test_a_flag_beats_the_config_and_the_config_beats_the_default(files, tmp_path):
    ref, cur = files
    cfg = _config_file(tmp_path, alerts={"warning": {"conditions": {"accuracy_drop": 0.08}}})
    base = ["perf", cur, "--reference", ref, "--config", cfg, "--window", "1D", "--format", "json", "--no-history"]
    assert run_mlmon(*base).json()["tiers"]["warning"] == 0.08                            # config, not 0.05
    assert run_mlmon(*base, "--warning-drop", "0.02").json()["tiers"]["warning"] == 0.02  # flag, not config


def test_labels_file_joined_on_id(tmp_path):
    cur = frame(n=1000, seed=5)
    preds, labels = tmp_path / "p.csv", tmp_path / "l.csv"
    cur.drop(columns="y").to_csv(preds, index=False)
    cur[["id", "y"]].iloc[:600].to_csv(labels, index=False)
    r = run_mlmon("perf", preds, *ARGS, "--labels", labels, "--join-on", "id", "--format", "json", "--no-history")
    assert r.code == 0, r.err
    assert r.json()["labels_join"]["matched"] == 600


def test_labels_command_reports_delay(tmp_path):
    cur = frame(n=1000, seed=6)
    cur["label_ts"] = cur.ts + pd.Timedelta(hours=36)
    cur.loc[cur.ts >= pd.Timestamp("2024-01-04"), ["y", "label_ts"]] = None
    path = tmp_path / "c.parquet"
    cur.to_parquet(path)
    r = run_mlmon("labels", path, "--timestamp", "ts", "--label-timestamp", "label_ts", "--target", "y",
                  "--window", "1D", "--format", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["label_delay"]["median_seconds"] == 36 * 3600
    assert [w["unlabeled_share"] for w in d["windows"]][-2:] == [1.0, 1.0]
    assert any("sparsely labeled" in w for w in d["warnings"])
    md = run_mlmon("labels", path, "--timestamp", "ts", "--label-timestamp", "label_ts", "--target", "y", "--window", "1D")
    assert "delay median 1.5 d" in md.out


@pytest.mark.parametrize("extra, message", [
    (["--window", "1D", "--chunk-size", "10"], "both window and chunk_size given (--window, --chunk-size)"),
    (["--window", "soon"], "window 'soon' is not a duration (--window)"),
    (["--chunk-size", "0"], "chunk size must be at least 1 (a whole number of rows), got 0 (--chunk-size)"),
    (["--target", "nope"], "column 'nope' not in the data"),
    (["--estimate"], "--estimate needs a labeled reference"),
])
def test_bad_flags_are_one_line_exit_2(files, extra, message):
    _, cur = files
    base = ["--task", "binary", "--target", "y", "--prediction", "yhat", "--proba", "p", "--timestamp", "ts"]
    if "--window" not in extra and "--chunk-size" not in extra:
        base += ["--window", "1D"]
    args = base + extra
    if extra[0] == "--target":
        args = [a for a in base if a not in ("--target", "y")] + extra
    r = run_mlmon("perf", cur, *args, "--no-history")
    assert r.code == 2
    assert r.err.startswith("mlmon: error: ") and message in r.err and r.err.count("\n") == 1


def test_month_windows_from_the_command_line(tmp_path):
    path = tmp_path / "c.parquet"
    frame(n=2000, start="2024-01-20", days=45, seed=3).to_parquet(path)
    args = [a if a != "1D" else "1M" for a in ARGS]
    r = run_mlmon("perf", path, *args, "--format", "json", "--no-history")
    assert r.code == 0, r.err
    assert [w["start"] for w in r.json()["windows"]] == ["2024-01-01T00:00:00", "2024-02-01T00:00:00",
                                                         "2024-03-01T00:00:00"]
    labels = run_mlmon("labels", path, "--timestamp", "ts", "--target", "y", "--window", "1M", "--format", "json")
    assert labels.code == 0, labels.err
    assert [w["n"] for w in labels.json()["windows"]] == [w["n"] for w in r.json()["windows"]]


def test_bad_data_is_one_line_exit_2(tmp_path):
    cur = frame(n=100, seed=7)
    cases = {
        "proba.csv": (cur.assign(p=cur.p + 1), "probabilities outside [0, 1]"),
        "ts.csv": (cur.assign(ts=["not a time"] * 100), "unparseable timestamp"),
    }
    for name, (f, message) in cases.items():
        f.to_csv(tmp_path / name, index=False)
        r = run_mlmon("perf", tmp_path / name, *ARGS, "--no-history")
        assert r.code == 2 and message in r.err, r.err
    reg = tmp_path / "reg.csv"
    pd.DataFrame({"y": ["x", "1"], "yhat": [1.0, 2.0]}).to_csv(reg, index=False)
    r = run_mlmon("perf", reg, "--task", "regression", "--target", "y", "--prediction", "yhat", "--no-history")
    assert r.code == 2 and "not numeric" in r.err
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"id": [9999], "y": [1]}).to_csv(labels, index=False)
    cur.drop(columns="y").to_csv(tmp_path / "preds.csv", index=False)
    r = run_mlmon("perf", tmp_path / "preds.csv", *ARGS, "--labels", labels, "--join-on", "id", "--no-history")
    assert r.code == 2 and "do not join: 0 of 100" in r.err
    r = run_mlmon("perf", tmp_path / "preds.csv", *ARGS, "--labels", labels, "--no-history")
    assert r.code == 2 and "--join-on" in r.err


def test_no_task_is_an_error(files):
    _, cur = files
    r = run_mlmon("perf", cur, "--target", "y", "--no-history")
    assert r.code == 2 and "no task given" in r.err


def test_troubleshooting_query_returns_drift_scores_and_accuracy_of_the_last_7_days(tmp_path):
    import re

    from mlmon_testing import ROOT

    db = tmp_path / "h.db"
    rng = np.random.default_rng(8)
    pd.DataFrame({"a": rng.normal(0, 1, 300)}).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"a": rng.normal(1, 1, 300)}).to_csv(tmp_path / "c.csv", index=False)
    assert run_mlmon("drift", tmp_path / "r.csv", tmp_path / "c.csv", "--history", db).code == 0
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    old = frame(n=500, start=str((today - pd.Timedelta(days=20)).date()), days=2, seed=9)
    recent = frame(n=1500, start=str((today - pd.Timedelta(days=3)).date()), days=3, seed=10)
    path = tmp_path / "p.parquet"
    pd.concat([old, recent]).to_parquet(path)
    r = run_mlmon("perf", path, *ARGS, "--history", db, "--model", "fraud", "--format", "json")
    assert r.code == 0, r.err
    d = r.json()

    doc = (ROOT / "references" / "TROUBLESHOOTING.md").read_text()
    sql = re.search(r"## Querying the history.*?```sql\n(.*?)```", doc, re.S).group(1)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(sql).fetchall()
    drift = [row for row in rows if row[1] == "drift"]
    accuracy = [row for row in rows if row[1] == "accuracy"]
    assert [(row[2], row[3]) for row in drift] == [("a", "ks")]
    cutoff = (pd.Timestamp.now(tz="UTC").tz_localize(None) - pd.Timedelta(days=7)).isoformat()
    recent_windows = [w for w in d["windows"] if w["start"] >= cutoff and w["metrics"]]
    assert len(recent_windows) == 3 and len([w for w in d["windows"] if w["metrics"]]) == 5
    assert sorted((row[0], row[4]) for row in accuracy) == sorted(
        (w["start"], w["metrics"]["accuracy"]) for w in recent_windows)
    assert {row[2] for row in accuracy} == {"fraud"}


def test_regression_costs_from_the_config(tmp_path):
    import yaml

    from mlmon_testing import ROOT

    config = yaml.safe_load((ROOT / "assets" / "config.yaml").read_text())
    config["model"]["task"] = "regression"
    config["data"]["columns"] = {"target": "y", "prediction": "yhat"}
    config["data"]["reference"] = {"path": "r.csv"}  # `perf --config` reads it, relative to the config's folder
    config["performance"]["regression"].update({"under_prediction_cost": 2.0, "over_prediction_cost": 1.0, "quantile": 0.8})
    cfg = tmp_path / "m.yaml"
    cfg.write_text(yaml.safe_dump(config))
    path = tmp_path / "r.csv"
    pd.DataFrame({"y": [10.0, 20.0, 30.0, 40.0], "yhat": [12.0, 18.0, 30.0, 30.0]}).to_csv(path, index=False)
    r = run_mlmon("perf", path, "--config", cfg, "--format", "json", "--no-history")
    assert r.code == 0, r.err
    m = r.json()["windows"][0]["metrics"]
    # under 2*2 + 10*2 = 24, over 2*1 = 2; predicting nothing costs 2*100 = 200
    assert m["business_value_captured"] == pytest.approx(1 - 26 / 200, abs=1e-12)
    # pinball at 0.8: (0.2*2 + 0.8*2 + 0 + 0.8*10) / 4
    assert m["quantile_loss"] == pytest.approx((0.2 * 2 + 0.8 * 2 + 0.8 * 10) / 4, abs=1e-12)


def test_labels_command_errors_are_one_line_exit_2(tmp_path):
    cur = frame(n=100, seed=11)
    path = tmp_path / "c.parquet"
    cur.to_parquet(path)
    cases = [
        ((path, "--target", "y"), "no timestamp column"),
        ((path, "--timestamp", "ts"), "nothing tells which rows are labeled"),
        ((path, "--timestamp", "ts", "--target", "y", "--labels", path), "--join-on"),
        ((path, "--timestamp", "when", "--target", "y"), "column 'when' not in the data"),
    ]
    for args, message in cases:
        r = run_mlmon("labels", *args)
        assert r.code == 2 and message in r.err and r.err.count("\n") == 1, (args, r.err)


def test_a_run_whose_metric_rows_fail_leaves_nothing_in_the_history(files, tmp_path, monkeypatch):
    import mlmon.store.rows as performance

    ref, cur = files
    db = tmp_path / "h.db"
    real = performance.metric_rows
    monkeypatch.setattr(performance, "metric_rows", lambda d: real(d) + [{"timestamp": "t", "window": "1D",
                                                                          "metric": "x", "kind": "bogus"}])
    r = run_mlmon("perf", cur, "--reference", ref, *ARGS, "--format", "json", "--history", db)
    assert r.code == 0
    assert any("history not recorded" in w for w in r.json()["warnings"])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM ml_metrics").fetchone() == (0,)


def test_result_texts_name_options_as_flags_on_the_command_line_and_by_field_in_the_service(files, tmp_path):
    from mlmon.errors import render_options_in
    from mlmon.services.performance import PerfOptions, compute_performance

    _, cur = files
    db = tmp_path / "h.db"
    r = run_mlmon("perf", cur, *ARGS, "--format", "json", "--history", db)
    assert r.code == 0, r.err
    assert "no baseline (no --reference): severity is not assessed" in r.json()["warnings"]
    stored = sqlite3.connect(db).execute("SELECT result_json FROM runs").fetchone()[0]
    assert "no baseline (no --reference)" in stored  # recorded as the user saw it
    service = compute_performance(pd.read_parquet(cur), PerfOptions(task="binary", target="y", prediction="yhat",
                                                                    proba="p", timestamp="ts", window="1D")).to_dict()
    assert "no baseline (no reference): severity is not assessed" in render_options_in(service)["warnings"]
