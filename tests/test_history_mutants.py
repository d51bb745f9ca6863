"""The history store's reads and writes pinned where the other store tests leave room: each test
writes rows with known values and reads them back with SQL or the store's own readers, so a
changed query, bound, default or column mapping shows (found by mutation testing:
``scripts/mutation history``).

Expected values are the rows written (hand-computed where a rule picks among them)."""

from __future__ import annotations

import json

import pytest

from mlmon.errors import MlmonError
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


# ---------------------------------------------------------------------------- reading by model and period


def _drift(model, day, share=0.5, columns=("x",)):
    result = {"reference": {"path": "r", "rows": 10}, "current": {"path": "c", "rows": 20}, "dataset_drift": True,
              "drift_share": share, "severity": "critical", "drift_share_threshold": 0.5,
              "columns": {c: {"role": "feature", "type": "numerical", "method": "psi", "score": 0.3, "threshold": 0.2,
                              "drifted": True} for c in columns}}
    return result, {"model": model, "period_start": f"2026-03-{day:02d}T00:00:00",
                    "period_end": f"2026-03-{day + 1:02d}T00:00:00"}


def _add(store, model, day):
    result, identity = _drift(model, day)
    return store.append_drift(result, identity=identity)


def test_models_are_those_of_runs_and_of_metric_rows_named_ones_sorted_then_none(store):
    _add(store, "b", 1)
    store.append_metrics({}, [_metric("2026-01-01", "realized", 10, model="a")])  # a run without a model
    assert store.models() == ["a", "b", None]
    assert [r["value"] for r in store.metric_rows_of(None)] == []
    store.append_metrics({}, [_metric("2026-01-01", "realized", 10, model=None, value=0.5)])
    assert [r["value"] for r in store.metric_rows_of(None)] == [0.5]


def test_period_bounds_include_the_first_start_and_exclude_the_end(store):
    for day in (1, 2, 3):
        run_id = _add(store, "m", day)
        store.append_alert_event("m/drift_share/critical", "firing", 0.5, 0.3, float(day), run_id=run_id)
    starts = {"start_from": "2026-03-02T00:00:00", "start_before": "2026-03-03T00:00:00"}
    assert [r["period_start"] for r in store.drift_column_rows_of("m", **starts)] == ["2026-03-02T00:00:00"]
    assert [r["period_start"] for r in store.drift_share_rows_of("m", **starts)] == ["2026-03-02T00:00:00"]
    assert [r["period_start"] for r in store.alert_event_rows_of("m", **starts)] == ["2026-03-02T00:00:00"]
    assert [r["share_threshold"] for r in store.drift_share_rows_of("m")] == [0.5, 0.5, 0.5]
    assert len(store.drift_column_rows_of("m", start_from="2026-03-02T00:00:00")) == 2
    assert len(store.drift_column_rows_of("m", start_before="2026-03-02T00:00:00")) == 1
    assert len(store.alert_event_rows_of("m", start_before="2026-03-03T00:00:00")) == 2


def test_metric_rows_of_several_metrics(store):
    store.append_metrics({}, [_metric("2026-01-01", "realized", 10, metric=m) for m in ("a", "b", "c")])
    assert [r["metric"] for r in store.metric_rows_of("m", metrics=["a", "c"])] == ["a", "c"]


def test_drift_runs_lists_the_latest_fifty(store):
    with store.transaction():
        for i in range(51):
            store.append_drift(_drift(None, 1)[0], created_at=float(i))
    assert len(store.drift_runs()) == 50


# ---------------------------------------------------------------------------- retention and copy


def test_retention_of_one_day_is_allowed_and_of_none_refused_in_one_line(store):
    _add(store, "m", 1)
    assert store.enforce_retention(1, 0.0)["runs"] == 0
    with pytest.raises(MlmonError) as info:
        store.enforce_retention(0, 0.0)
    assert (info.value.what, info.value.where, info.value.todo) == (
        "retention of 0 days", "storage.retention_days", "give a whole number of days, 1 or more")


def test_the_retention_cutoff_is_utc_whatever_the_local_zone(store, monkeypatch):
    import time
    from datetime import datetime, timezone

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        _add(store, "m", 1)  # period ends 2026-03-02T00:00:00
        now = datetime(2026, 3, 3, tzinfo=timezone.utc).timestamp()  # one day after, UTC
        assert store.enforce_retention(1, now - 1)["runs"] == 0
        assert store.enforce_retention(1, now)["runs"] == 1
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_copy_refuses_a_non_empty_target_by_default_and_reads_in_batches(tmp_path):
    source, target = HistoryStore(str(tmp_path / "a.db")), HistoryStore(str(tmp_path / "b.db"))
    for day in (1, 2, 3, 4, 5):
        _add(source, "m", day)
    assert source.copy_into(target, batch=2)["runs"] == 5
    assert target.row_counts()["runs"] == 5
    with pytest.raises(MlmonError, match="the target history is not empty"):
        source.copy_into(target)


# ---------------------------------------------------------------------------- connections


def test_postgresql_parameters_are_not_replaced_inside_quoted_names():
    from mlmon.store.backends import PostgresDialect

    assert PostgresDialect().sql('SELECT "a?b" FROM t WHERE x=?') == 'SELECT "a?b" FROM t WHERE x=%s'


def test_a_sqlite_connection_is_idle_outside_a_transaction_only(tmp_path):
    from mlmon.store.backends import connect_sqlite

    conn = connect_sqlite(str(tmp_path / "c.db"))
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    assert conn.idle()
    conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.idle()
    conn.close()


def test_without_psycopg_a_postgresql_store_is_one_line_naming_the_package(monkeypatch):
    import sys

    from mlmon.store.backends import connect_postgres

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MlmonError) as info:
        connect_postgres("postgresql://mlmon:s3cret@db/h")
    assert (info.value.what, info.value.where, info.value.todo) == (
        "a PostgreSQL history store needs the psycopg package", "postgresql://mlmon:***@db/h",
        "pip install 'psycopg[binary]' (scripts/requirements.txt lists it)")


# ---------------------------------------------------------------------------- on a PostgreSQL server


def test_a_failing_statement_on_postgresql_is_a_store_error_with_the_drivers_first_line(pg):
    from mlmon.store.backends import StoreError

    store = HistoryStore(pg.create_database())
    with pytest.raises(StoreError) as info:
        store.query("SELECT * FROM nope")
    assert str(info.value) == 'UndefinedTable: relation "nope" does not exist'
    store.close()


def test_a_postgresql_connection_is_idle_only_when_open_and_outside_a_transaction(pg):
    from mlmon.store.backends import connect_postgres

    conn = connect_postgres(pg.create_database())
    assert conn.idle()
    conn.execute("SELECT 1")
    assert not conn.idle()
    conn.commit()
    assert conn.idle()
    conn.close()
    assert not conn.idle()
