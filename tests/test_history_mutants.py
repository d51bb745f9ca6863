"""The history store's reads and writes pinned where the other store tests leave room: each test
writes rows with known values and reads them back with SQL or the store's own readers, so a
changed query, bound, default or column mapping shows (found by mutation testing:
``scripts/mutation history``).

Expected values are the rows written (hand-computed where a rule picks among them)."""

from __future__ import annotations

import json

import pytest

from mlmon.store.history import HistoryStore


@pytest.fixture
def store(tmp_path):
    return HistoryStore(str(tmp_path / "history.db"))


def _ab(experiment, recommendation, path="events.csv", rows=2000):
    return {"schema_version": 1, "experiment": experiment, "source": {"path": path, "rows": rows},
            "srm": {"p_value": 0.4}, "recommendation": recommendation,
            "comparisons": [{"control": "A", "treatment": "B", "metric": "conversion", "control_mean": 0.1,
                             "treatment_mean": 0.11, "lift": 0.1, "lift_ci": [0.05, 0.15], "p_value": 0.01,
                             "significant": True}]}


def _metric(timestamp, kind, n, value=0.9, metric="accuracy", model="m", **more):
    return {"timestamp": timestamp, "window": "1D", "metric": metric, "value": value, "kind": kind, "n": n,
            "model": model, **more}


# ---------------------------------------------------------------------------- experiments


def test_an_ab_run_keeps_its_source_path_rows_and_recommendation_in_runs(store):
    run_id = store.append_ab(_ab("checkout", "SHIP", path="clicks.parquet", rows=1234), created_at=7.0)
    assert store.query("SELECT kind, created_at, current_path, current_rows, severity FROM runs WHERE id=?",
                       (run_id,)) == [{"kind": "ab", "created_at": 7.0, "current_path": "clicks.parquet",
                                       "current_rows": 1234, "severity": "SHIP"}]


def test_ab_runs_lists_the_latest_fifty_newest_first_with_their_experiment(store):
    with store.transaction():
        ids = [store.append_ab(_ab(f"e{i}", "CONTINUE"), created_at=float(i)) for i in range(51)]
    runs = store.ab_runs()
    assert len(runs) == 50  # the default limit
    assert [r["id"] for r in runs] == ids[::-1][:50]
    assert runs[0] == {"id": ids[50], "created_at": 50.0, "current_path": "events.csv", "recommendation": "CONTINUE",
                       "experiment": "e50"}
    assert [r["id"] for r in store.ab_runs(limit=2)] == [ids[50], ids[49]]


# ---------------------------------------------------------------------------- performance rows since a window


def test_metric_counts_are_the_latest_n_per_window_and_kind_from_the_start_on(store):
    store.append_metrics({}, [_metric("2026-01-01", "realized", 10), _metric("2026-01-02", "realized", 20),
                              _metric("2026-01-02", "estimated", 100)], created_at=1.0)
    store.append_metrics({}, [_metric("2026-01-02", "realized", 35), _metric("2026-01-03", "estimated", 90),
                              _metric("2026-01-02", "realized", 50, model="other")], created_at=2.0)
    # the start is included; a later run's count replaces an earlier one; other models are not read
    assert store.metric_counts("m", "2026-01-02") == {("2026-01-02", "realized"): 35,
                                                      ("2026-01-02", "estimated"): 100,
                                                      ("2026-01-03", "estimated"): 90}
    assert store.metric_counts("m", "2026-01-04") == {}
    assert store.metric_counts("absent", "") == {}


def test_metric_rows_since_reads_one_models_rows_from_the_start_on_in_written_order(store):
    store.append_metrics({}, [_metric("2026-01-02", "estimated", 100, 0.8, lower=0.7, upper=0.9, known_at="k1")],
                         created_at=1.0)
    store.append_metrics({}, [_metric("2026-01-01", "realized", 10, 0.5), _metric("2026-01-02", "realized", 40, 0.6),
                              _metric("2026-01-02", "realized", 40, 0.1, model="other")], created_at=2.0)
    assert store.metric_rows_since("m", "2026-01-02") == [
        {"timestamp": "2026-01-02", "metric": "accuracy", "value": 0.8, "lower": 0.7, "upper": 0.9, "kind": "estimated",
         "n": 100, "known_at": "k1"},
        {"timestamp": "2026-01-02", "metric": "accuracy", "value": 0.6, "lower": None, "upper": None, "kind": "realized",
         "n": 40, "known_at": None}]
    assert [r["timestamp"] for r in store.metric_rows_since("m", "")] == ["2026-01-02", "2026-01-01", "2026-01-02"]


def test_the_stored_result_is_the_whole_result_as_json(store):
    run_id = store.append_ab(_ab("checkout", "SHIP"), created_at=1.0)
    stored = store.query("SELECT result_json FROM runs WHERE id=?", (run_id,))[0]["result_json"]
    assert json.loads(stored) == _ab("checkout", "SHIP")


# ---------------------------------------------------------------------------- driver messages


def test_a_driver_message_quoting_the_password_shows_stars_instead():
    from mlmon.store.backends import _scrub

    url = "postgresql://mlmon:s3cret@db:5432/h"
    assert _scrub('FATAL: password "s3cret" rejected', url) == 'FATAL: password "***" rejected'
    assert _scrub("s3cret", "postgresql://db/h") == "s3cret"  # no password in the URL: nothing to hide


def test_the_first_line_of_a_driver_error_is_its_last_non_blank_line_else_its_type():
    from mlmon.store.backends import _first_line

    assert _first_line(ValueError('connection to server at "h" failed:\n  \n  FATAL:  no such database  \n')) \
        == "FATAL:  no such database"
    assert _first_line(ConnectionError("")) == "ConnectionError"
    assert _first_line(OSError("   \n ")) == "OSError"


# ---------------------------------------------------------------------------- a failed scheduled run


def test_a_failed_run_is_one_runs_row_of_kind_failed_with_its_error_model_and_period(store):
    identity = {"model": "fraud", "version": 3, "period_start": "2026-03-02T00:00:00", "period_end": "2026-03-03T00:00:00"}
    run_id = store.append_failed("mlmon: error: file not found", identity, config="monitor.yaml", created_at=99.5)
    rows = store.query("SELECT * FROM runs")
    assert len(rows) == 1
    row = rows[0]
    assert json.loads(row.pop("result_json")) == {"error": "mlmon: error: file not found", "config": "monitor.yaml"}
    assert row == {"id": run_id, "kind": "failed", "created_at": 99.5, "reference_path": None, "current_path": None,
                   "reference_rows": None, "current_rows": None, "dataset_drift": None, "drift_share": None,
                   "severity": "failed", "model": "fraud", "version": "3",
                   "period_start": "2026-03-02T00:00:00", "period_end": "2026-03-03T00:00:00"}
    assert sum(store.row_counts().values()) == 1  # nothing else is written
