"""The history store's own methods (``mlmon.store.history``) stated row by row where the other
store tests leave room: the summary's readers (latest run, latest metric row, coverage, firing
alerts), the alert state's columns, the outbox, migrations, retention and copies (found by mutation
testing: ``scripts/mutation history``).

Expected values are the rows each test writes, the rule under test picking among them by hand."""

from __future__ import annotations

import json

import pytest

from mlmon.errors import MlmonError
from mlmon.store.history import HistoryStore, split_alert_key


@pytest.fixture
def store(tmp_path):
    return HistoryStore(str(tmp_path / "history.db"))


def _metric(timestamp, kind, value, metric="accuracy", model="m", **more):
    return {"timestamp": timestamp, "window": "1D", "metric": metric, "value": value, "kind": kind, "model": model,
            **more}


def _drift(share=0.5, columns=(("x", True),), target=None, prediction=None):
    def col(name, drifted, role="feature"):
        return {"column": name, "role": role, "type": "numerical", "method": "psi", "score": 0.3 if drifted else 0.1,
                "threshold": 0.2, "drifted": drifted}
    return {"reference": {"path": "r", "rows": 10}, "current": {"path": "c", "rows": 20}, "dataset_drift": share >= 0.5,
            "drift_share": share, "severity": "critical", "drift_share_threshold": 0.5,
            "columns": {name: col(name, d) for name, d in columns},
            "target_drift": col(*target, role="target") if target else None,
            "prediction_drift": col(*prediction, role="prediction") if prediction else None}


def _period(model, day, **more):
    return {"model": model, "period_start": f"2026-03-{day:02d}T00:00:00", "period_end": f"2026-03-{day + 1:02d}T00:00:00",
            **more}


# ---------------------------------------------------------------------------- alert keys


@pytest.mark.parametrize("key, parts", [
    ("m/accuracy_drop/critical", ("m", "accuracy_drop", "critical")),
    ("a/b/c/d", ("a/b", "c", "d")),
    ("m/rule", ("m/rule", "", "")),
    ("m", ("m", "", "")),
])
def test_an_alert_key_splits_from_the_right_into_model_condition_and_tier(key, parts):
    assert split_alert_key(key) == parts


# ---------------------------------------------------------------------------- the summary's readers


def test_the_latest_run_of_a_kind_is_the_one_with_the_latest_period_then_the_last_written(store):
    late = store.append_drift(_drift(0.25), created_at=1.0, identity=_period("m", 5, version="2"))
    store.append_drift(_drift(0.75), created_at=2.0, identity=_period("m", 3))
    store.append_drift(_drift(0.9), created_at=3.0)                     # no model
    store.append_drift(_drift(0.1), created_at=4.0, identity={"model": "m"})  # no period: not a candidate
    assert store.latest_run_of("m", "drift") == {"id": late, "version": "2", "period_start": "2026-03-05T00:00:00",
                                                 "period_end": "2026-03-06T00:00:00", "severity": "critical",
                                                 "drift_share": 0.25}
    again = store.append_drift(_drift(0.5), created_at=0.5, identity=_period("m", 5))
    assert store.latest_run_of("m", "drift")["id"] == again
    assert store.latest_run_of("m", "perf") is None
    assert store.latest_run_of("other", "drift") is None


def test_drifted_columns_of_a_run_are_the_drifted_ones_by_name(store):
    run_id = store.append_drift(_drift(columns=(("b", True), ("c", False), ("a", True)), target=("y", True),
                                       prediction=("p", False)))
    assert store.drifted_columns(run_id) == ["a", "b", "y"]
    assert sorted(store.column_scores(run_id)) == ["a", "b", "c", "p", "y"]
    assert store.drifted_columns(run_id + 1) == []


def test_metric_names_of_a_model_are_distinct_and_sorted(store):
    store.append_metrics({}, [_metric("2026-01-01", "realized", 0.9, metric="recall"),
                              _metric("2026-01-02", "realized", 0.9, metric="f1"),
                              _metric("2026-01-02", "estimated", 0.9, metric="recall"),
                              _metric("2026-01-02", "realized", 0.9, metric="auc", model="other")])
    assert store.metric_names_of("m") == ["f1", "recall"]
    assert store.metric_names_of(None) == []


def test_the_latest_metric_row_is_of_the_latest_window_then_latest_known_then_last_written(store):
    first = store.append_metrics({}, [
        _metric("2026-01-02", "realized", 0.7, n=5, known_at="2026-01-09", lower=0.6, upper=0.8,
                window_end="2026-01-03"),
        _metric("2026-01-01", "realized", 0.1, known_at="2026-01-30"),
        _metric("2026-01-03", "estimated", 0.5),
        _metric("2026-01-03", "realized", 0.2, metric="f1")])
    assert store.latest_metric_row("m", "accuracy", "realized") == {
        "timestamp": "2026-01-02", "window_end": "2026-01-03", "value": 0.7, "lower": 0.6, "upper": 0.8, "n": 5,
        "known_at": "2026-01-09", "run_id": first}
    store.append_metrics({}, [_metric("2026-01-02", "realized", 0.6, known_at="2026-01-05")])  # known earlier
    assert store.latest_metric_row("m", "accuracy", "realized")["value"] == 0.7
    store.append_metrics({}, [_metric("2026-01-02", "realized", 0.65)])                         # known_at unknown
    assert store.latest_metric_row("m", "accuracy", "realized")["value"] == 0.7
    last = store.append_metrics({}, [_metric("2026-01-02", "realized", 0.75, known_at="2026-01-09")])
    assert store.latest_metric_row("m", "accuracy", "realized")["run_id"] == last
    assert store.latest_metric_row("m", "accuracy", "estimated")["value"] == 0.5
    assert store.latest_metric_row("m", "recall", "realized") is None


def test_window_coverage_says_per_window_whether_a_label_arrived_and_its_latest_end(store):
    store.append_metrics({}, [
        _metric("2026-01-01", "realized", 0.7, window_end="2026-01-02"),
        _metric("2026-01-01", "realized", 0.7, window_end="2026-01-02T12:00:00", metric="f1"),
        _metric("2026-01-01", "estimated", 0.7, window_end="2026-01-05"),
        _metric("2026-01-02", "estimated", 0.7, window_end="2026-01-03"),
        _metric("2026-01-03", "realized", 0.7, model="other")])
    assert store.window_coverage("m") == [
        {"timestamp": "2026-01-01", "realized": 1, "realized_end": "2026-01-02T12:00:00"},
        {"timestamp": "2026-01-02", "realized": 0, "realized_end": None}]


def test_firing_alerts_of_a_model_are_its_firing_rules_by_key(store):
    def state(key, firing, started_at=None):
        model, rule, tier = split_alert_key(key)
        return {"key": key, "model": model, "rule": rule, "tier": tier, "consecutive": 2, "firing": firing,
                "started_at": started_at, "last_value": 0.4, "threshold": 0.5, "updated_at": 1.0}
    store.save_alert_state(state("m/z_rule/warning", True, 5.0))
    store.save_alert_state(state("m/a_rule/critical", True, 3.0))
    store.save_alert_state(state("m/b_rule/critical", False))
    store.save_alert_state(state("other/a_rule/critical", True))
    assert store.firing_alerts("m") == [
        {"key": "m/a_rule/critical", "rule": "a_rule", "tier": "critical", "started_at": 3.0, "last_value": 0.4,
         "threshold": 0.5},
        {"key": "m/z_rule/warning", "rule": "z_rule", "tier": "warning", "started_at": 5.0, "last_value": 0.4,
         "threshold": 0.5}]
    assert store.firing_alerts(None) == []


# ---------------------------------------------------------------------------- alert state, events and the outbox


def test_an_alert_state_keeps_every_column_and_counts_flags_as_zero_or_one(store):
    run_id = store.append_drift(_drift(), created_at=1.0)
    store.save_alert_state({"key": "m/drift_share/critical", "model": "m", "rule": "drift_share", "tier": "critical",
                            "consecutive": 3, "clean": None, "firing": "yes", "notified": 0, "started_at": 4.0,
                            "last_fired_at": 5.0, "last_value": 0.6, "threshold": 0.5, "updated_at": 6.0}, run_id)
    assert store.alert_states() == {"m/drift_share/critical": {
        "key": "m/drift_share/critical", "model": "m", "rule": "drift_share", "tier": "critical", "consecutive": 3,
        "clean": 0, "firing": 1, "notified": 0, "started_at": 4.0, "last_fired_at": 5.0, "last_value": 0.6,
        "threshold": 0.5, "updated_at": 6.0, "run_id": run_id}}
    store.save_alert_state({"key": "m/drift_share/critical", "model": "m2", "rule": "r2", "tier": "warning",
                            "consecutive": 0, "clean": 2, "firing": 0, "notified": 7, "updated_at": 8.0})
    assert store.alert_states()["m/drift_share/critical"] == {
        "key": "m/drift_share/critical", "model": "m2", "rule": "r2", "tier": "warning", "consecutive": 0, "clean": 2,
        "firing": 0, "notified": 1, "started_at": None, "last_fired_at": None, "last_value": None, "threshold": None,
        "updated_at": 8.0, "run_id": None}


def test_an_alert_event_takes_the_given_period_else_its_runs(store):
    run_id = store.append_drift(_drift(), created_at=1.0, identity=_period("m", 4))
    store.append_alert_event("m/x/critical", "firing", 0.6, 0.5, 2.0, run_id=run_id)
    store.append_alert_event("m/x/critical", "repeat", None, None, 3.0, run_id=run_id,
                             period=("2026-01-01T00:00:00", None))
    store.append_alert_event("a/b/x/info", "resolved", 0.1, 0.5, 4.0)
    cols = "run_id, key, status, value, threshold, created_at, model, rule, tier, period_start, period_end"
    assert store.query(f"SELECT {cols} FROM alert_events ORDER BY id") == [
        {"run_id": run_id, "key": "m/x/critical", "status": "firing", "value": 0.6, "threshold": 0.5, "created_at": 2.0,
         "model": "m", "rule": "x", "tier": "critical", "period_start": "2026-03-04T00:00:00",
         "period_end": "2026-03-05T00:00:00"},
        {"run_id": run_id, "key": "m/x/critical", "status": "repeat", "value": None, "threshold": None, "created_at": 3.0,
         "model": "m", "rule": "x", "tier": "critical", "period_start": "2026-01-01T00:00:00", "period_end": None},
        {"run_id": None, "key": "a/b/x/info", "status": "resolved", "value": 0.1, "threshold": 0.5, "created_at": 4.0,
         "model": "a/b", "rule": "x", "tier": "info", "period_start": None, "period_end": None}]
    assert [r["status"] for r in store.alert_event_rows_of("m")] == ["firing", "repeat"]
    assert store.alert_event_rows_of("a/b") == []  # no period: not on a timeline


def test_the_outbox_keeps_each_message_pending_until_sent_and_names_its_channels_once(store):
    first = store.enqueue_notification("m/x/critical", "webhook", {"status": "firing", "value": 0.5}, 1.0, run_id=None)
    second = store.enqueue_notification("m/x/critical", "slack", {"status": "firing"}, 2.0)
    third = store.enqueue_notification("a/x/critical", "slack", {"status": "resolved"}, 3.0)
    store.enqueue_notification("m/x/critical", "slack", {"status": "resolved"}, 4.0)
    row = store.query("SELECT * FROM notifications WHERE id=?", (first,))[0]
    assert row == {"id": first, "run_id": None, "alert_key": "m/x/critical", "channel": "webhook",
                   "payload_json": '{"status": "firing", "value": 0.5}', "status": "pending", "attempts": 0,
                   "last_error": None, "created_at": 1.0, "sent_at": None, "claimed_until": None}
    assert store.notified_channels() == {"a/x/critical": ["slack"], "m/x/critical": ["slack", "webhook"]}
    assert store.claim_notification(second, now=10.0, lease=5.0)
    assert store.query("SELECT claimed_until FROM notifications WHERE id=?", (second,)) == [{"claimed_until": 15.0}]
    assert not store.claim_notification(second, now=14.9, lease=5.0)
    store.mark_notification(second, sent=False, attempts=2, error="HTTP 503", at=11.0)
    assert store.query("SELECT status, attempts, last_error, sent_at, claimed_until FROM notifications WHERE id=?",
                       (second,)) == [{"status": "pending", "attempts": 2, "last_error": "HTTP 503", "sent_at": None,
                                       "claimed_until": None}]
    store.mark_notification(third, sent=True, attempts=1, error=None, at=12.0)
    assert [(n["id"], n["payload"]) for n in store.pending_notifications()][:2] == [
        (first, {"status": "firing", "value": 0.5}), (second, {"status": "firing"})]
    assert third not in [n["id"] for n in store.pending_notifications()]
    assert not store.claim_notification(third, now=100.0, lease=5.0)
    with pytest.raises(ValueError):
        store.enqueue_notification("m/x/critical", "slack", {"value": float("nan")}, 5.0)  # JSON has no NaN


# ---------------------------------------------------------------------------- runs of every kind


def test_a_scheduled_run_keeps_its_paths_rows_severity_model_and_day(store):
    result = {"reference": {"path": "ref.parquet", "rows": 100}, "current": {"path": "day.parquet", "rows": 40},
              "severity": "warning", "model": {"name": "fraud", "version": 2}, "date": "2026-03-05"}
    run_id = store.append_scheduled(result, created_at=9.0)
    row = store.query("SELECT * FROM runs WHERE id=?", (run_id,))[0]
    assert json.loads(row.pop("result_json")) == result
    assert row == {"id": run_id, "kind": "scheduled", "created_at": 9.0, "reference_path": "ref.parquet",
                   "current_path": "day.parquet", "reference_rows": 100, "current_rows": 40, "dataset_drift": None,
                   "drift_share": None, "severity": "warning", "model": "fraud", "version": "2",
                   "period_start": "2026-03-05T00:00:00", "period_end": "2026-03-06T00:00:00"}


def test_a_run_without_a_time_is_stamped_now(store):
    import time

    before = time.time()
    run_id = store.append_diagnosis({"primary_cause": "label_shift"})
    after = time.time()
    row = store.query("SELECT kind, severity, created_at FROM runs WHERE id=?", (run_id,))[0]
    assert (row["kind"], row["severity"]) == ("diagnose", "label_shift")
    assert before <= row["created_at"] <= after


def test_a_drift_run_writes_its_columns_target_and_prediction_with_the_runs_identity(store):
    run_id = store.append_drift(_drift(0.25, columns=(("x", True), ("z", False)), target=("y", False),
                                       prediction=("p", True)), created_at=3.0,
                                identity=_period("m", 2, version="7"))
    cols = "run_id, column_name, role, type, method, score, threshold, drifted, model, version, period_start, period_end"
    ident = {"model": "m", "version": "7", "period_start": "2026-03-02T00:00:00", "period_end": "2026-03-03T00:00:00"}
    assert store.query(f"SELECT {cols} FROM drift_columns ORDER BY column_name") == [
        {"run_id": run_id, "column_name": name, "role": role, "type": "numerical", "method": "psi", "score": score,
         "threshold": 0.2, "drifted": drifted, **ident}
        for name, role, score, drifted in (("p", "prediction", 0.3, 1), ("x", "feature", 0.3, 1),
                                           ("y", "target", 0.1, 0), ("z", "feature", 0.1, 0))]
    assert store.query("SELECT reference_path, current_path, reference_rows, current_rows, dataset_drift, drift_share,"
                       " severity FROM runs") == [
        {"reference_path": "r", "current_path": "c", "reference_rows": 10, "current_rows": 20, "dataset_drift": 0,
         "drift_share": 0.25, "severity": "critical"}]
    assert store.drift_share_rows_of("m") == [
        {"run_id": run_id, "period_start": "2026-03-02T00:00:00", "period_end": "2026-03-03T00:00:00",
         "drift_share": 0.25, "dataset_drift": 0, "current_rows": 20, "share_threshold": 0.5}]
    assert store.drift_column_rows_of("m", columns=["z", "p"]) == [
        {"run_id": run_id, "column_name": name, "period_start": "2026-03-02T00:00:00",
         "period_end": "2026-03-03T00:00:00", "score": score, "threshold": 0.2, "drifted": drifted, "current_rows": 20}
        for name, score, drifted in (("p", 0.3, 1), ("z", 0.1, 0))]


def test_metric_rows_without_a_model_or_version_take_the_runs(store):
    run_id = store.append_metrics({"model": "m", "version": "4"}, [
        {"timestamp": "t1", "window": "1D", "metric": "accuracy", "value": 0.9, "kind": "realized"},
        {"timestamp": "t2", "window": "1D", "metric": "accuracy", "value": 0.8, "kind": "estimated", "model": "own",
         "version": "9", "severity": "degraded", "known_at": "k", "window_end": "e", "lower": 0.7, "upper": 0.85,
         "n": 3}], created_at=2.0)
    assert store.query('SELECT run_id, timestamp, window_end, model, version, "window", metric, value, lower, upper,'
                       " kind, n, severity, known_at FROM ml_metrics ORDER BY timestamp") == [
        {"run_id": run_id, "timestamp": "t1", "window_end": None, "model": "m", "version": "4", "window": "1D",
         "metric": "accuracy", "value": 0.9, "lower": None, "upper": None, "kind": "realized", "n": None,
         "severity": None, "known_at": None},
        {"run_id": run_id, "timestamp": "t2", "window_end": "e", "model": "own", "version": "9", "window": "1D",
         "metric": "accuracy", "value": 0.8, "lower": 0.7, "upper": 0.85, "kind": "estimated", "n": 3,
         "severity": "degraded", "known_at": "k"}]
    assert store.query("SELECT kind, created_at, model, version FROM runs") == [
        {"kind": "perf", "created_at": 2.0, "model": "m", "version": "4"}]


def _ab(experiment, recommendation, comparisons=1):
    return {"experiment": experiment, "source": {"path": "events.csv", "rows": 500}, "srm": {"p_value": 0.3},
            "recommendation": recommendation,
            "comparisons": [{"control": "A", "treatment": t, "metric": "conversion", "control_mean": 0.1,
                             "treatment_mean": 0.12, "lift": 0.2, "lift_ci": [0.1, 0.3], "p_value": 0.02,
                             "significant": False} for t in "BC"[:comparisons]]}


def test_an_ab_run_writes_one_row_per_comparison_with_the_runs_verdict(store):
    run_id = store.append_ab(_ab("checkout", "CONTINUE", comparisons=2), created_at=4.0)
    assert store.query("SELECT * FROM ab_comparisons ORDER BY treatment") == [
        {"run_id": run_id, "experiment": "checkout", "control": "A", "treatment": t, "metric": "conversion",
         "control_mean": 0.1, "treatment_mean": 0.12, "lift": 0.2, "lift_lower": 0.1, "lift_upper": 0.3,
         "p_value": 0.02, "significant": 0, "recommendation": "CONTINUE", "srm_p_value": 0.3} for t in "BC"]
    assert store.query("SELECT current_path, current_rows, severity FROM runs") == [
        {"current_path": "events.csv", "current_rows": 500, "severity": "CONTINUE"}]


def test_the_latest_ab_analysis_is_per_experiment_or_of_the_one_named(store):
    store.append_ab(_ab("b_exp", "CONTINUE"), created_at=1.0)
    latest_b = store.append_ab(_ab("b_exp", "SHIP", comparisons=2), created_at=2.0)
    latest_a = store.append_ab(_ab("a_exp", "REVERT"), created_at=3.0)
    assert [(r["experiment"], r["run_id"], r["treatment"], r["created_at"]) for r in store.latest_ab()] == [
        ("a_exp", latest_a, "B", 3.0), ("b_exp", latest_b, "B", 2.0), ("b_exp", latest_b, "C", 2.0)]
    assert [(r["run_id"], r["treatment"]) for r in store.latest_ab("b_exp")] == [(latest_b, "B"), (latest_b, "C")]
    stopped = store.append_ab({**_ab("b_exp", "STOP"), "comparisons": []}, created_at=5.0)
    assert store.latest_ab("b_exp") == []  # the latest run stopped: no comparisons
    assert store.ab_runs(limit=1) == [{"id": stopped, "created_at": 5.0, "current_path": "events.csv",
                                       "recommendation": "STOP", "experiment": "b_exp"}]


# ---------------------------------------------------------------------------- reading a store that is not there


def test_reading_a_sqlite_store_that_was_never_written_creates_nothing(tmp_path):
    where = tmp_path / "sub" / "h.db"
    store = HistoryStore(str(where))
    assert (store.exists(), store.query("SELECT * FROM runs"), store.models()) == (False, [], [])
    assert not where.exists() and not where.parent.exists()
    assert store.schema_version() == 3  # migrating creates it, folder and all
    assert store.exists() and where.exists()


def test_a_store_names_its_dialect_and_masks_a_password():
    store = HistoryStore("postgresql://u:pw@db/h")
    assert (store.dialect_name, store.path, store.location, store.exists()) == (
        "postgresql", "postgresql://u:***@db/h", "postgresql://u:pw@db/h", True)
    assert store.json_text("c", "a.b") == "(c::jsonb #>> '{a,b}')"
    local = HistoryStore("h.db")
    assert (local.dialect_name, local.path) == ("sqlite", "h.db")
    assert local.json_text("c", "a.b") == "json_extract(c, '$.a.b')"


# ---------------------------------------------------------------------------- migration 3's backfill


def _v2_store(path, runs, metrics=(), events=(), columns=()):
    """A SQLite store at schema version 2 (migrations 1 and 2 as written) holding the given rows."""
    import sqlite3

    from mlmon.store import history as history_module
    from mlmon.store.backends import statements

    with sqlite3.connect(path) as conn:
        conn.execute(history_module._VERSION_TABLE)
        for number, description, ddl, *_ in history_module.MIGRATIONS[:2]:
            for statement in statements(ddl):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, 0)", (number, description))
        conn.executemany("INSERT INTO runs (id, kind, created_at, result_json) VALUES (?, ?, ?, ?)",
                         [(i, kind, created, text if isinstance(text, str) else json.dumps(text))
                          for i, kind, created, text in runs])
        conn.executemany('INSERT INTO ml_metrics (run_id, timestamp, model, "window", metric, value, kind)'
                         " VALUES (?, ?, ?, '1D', 'accuracy', 0.5, 'realized')", metrics)
        conn.executemany("INSERT INTO alert_events (run_id, key, status, created_at) VALUES (?, ?, 'firing', 1.0)",
                         events)
        conn.executemany("INSERT INTO drift_columns VALUES (?, ?, 'feature', 'numerical', 'ks', 0.1, 0.05, 0)", columns)
    return str(path)


def test_migration_3_gives_old_runs_the_model_and_period_their_results_or_scheduled_run_name(tmp_path):
    scheduled = {"model": {"name": "churn"}, "date": "2026-02-01"}
    path = _v2_store(tmp_path / "h.db", runs=[
        (1, "scheduled", 100.0, scheduled),
        (2, "drift", 100.0, {"model": "own", "version": "5"}),    # part of run 1: its model and day, its own version
        (3, "perf", 100.0, {"windows": [{"start": "2020-01-01", "end": "2020-01-02"}]}),
        (4, "diagnose", 100.0, {"model": "dx"}),                   # same time, not a part: keeps its own
        (5, "drift", 200.0, "not json"),
        (6, "perf", 300.0, "[1, 2]"),
        (7, "perf", 400.0, {"model": "m", "version": 2, "windows": [{"start": "2026-01-01", "end": "2026-01-02"}]}),
    ], metrics=[(3, "2020-01-01", None), (7, "2026-01-01", None), (7, "2026-01-01", "kept")],
        events=[(2, "churn/drift_score/critical"), (None, "x/y/z"), (5, "lonely")],
        columns=[(2, "a"), (5, "b")])
    store = HistoryStore(path)
    assert store.schema_version() == 3
    assert store.query("SELECT id, model, version, period_start, period_end FROM runs ORDER BY id") == [
        {"id": 1, "model": "churn", "version": None, "period_start": "2026-02-01T00:00:00",
         "period_end": "2026-02-02T00:00:00"},
        {"id": 2, "model": "churn", "version": "5", "period_start": "2026-02-01T00:00:00",
         "period_end": "2026-02-02T00:00:00"},
        {"id": 3, "model": "churn", "version": None, "period_start": "2026-02-01T00:00:00",
         "period_end": "2026-02-02T00:00:00"},
        {"id": 4, "model": "dx", "version": None, "period_start": None, "period_end": None},
        {"id": 5, "model": None, "version": None, "period_start": None, "period_end": None},
        {"id": 6, "model": None, "version": None, "period_start": None, "period_end": None},
        {"id": 7, "model": "m", "version": "2", "period_start": "2026-01-01", "period_end": "2026-01-02"}]
    assert store.query("SELECT run_id, model FROM ml_metrics ORDER BY run_id, model") == [
        {"run_id": 3, "model": "churn"}, {"run_id": 7, "model": "kept"}, {"run_id": 7, "model": "m"}]
    assert store.query("SELECT run_id, column_name, model, version, period_start, period_end FROM drift_columns"
                       " ORDER BY run_id") == [
        {"run_id": 2, "column_name": "a", "model": "churn", "version": "5", "period_start": "2026-02-01T00:00:00",
         "period_end": "2026-02-02T00:00:00"},
        {"run_id": 5, "column_name": "b", "model": None, "version": None, "period_start": None, "period_end": None}]
    assert store.query("SELECT run_id, model, rule, tier, period_start, period_end FROM alert_events ORDER BY id") == [
        {"run_id": 2, "model": "churn", "rule": "drift_score", "tier": "critical",
         "period_start": "2026-02-01T00:00:00", "period_end": "2026-02-02T00:00:00"},
        {"run_id": None, "model": "x", "rule": "y", "tier": "z", "period_start": None, "period_end": None},
        {"run_id": 5, "model": "lonely", "rule": "", "tier": "", "period_start": None, "period_end": None}]
    assert [(r["version"], r["description"]) for r in store.query("SELECT * FROM schema_version ORDER BY version")][2] \
        == (3, "model, version and data period on runs, drift columns and alert events; metric severity and known_at")


def test_a_store_newer_than_this_mlmon_is_refused_naming_both_versions(tmp_path):
    store = HistoryStore(str(tmp_path / "h.db"))
    with store._connection() as conn:
        conn.execute("INSERT INTO schema_version VALUES (9, 'future', 0)")
    with pytest.raises(MlmonError) as info:
        HistoryStore(str(tmp_path / "h.db")).models()
    assert (info.value.what, info.value.where, info.value.todo) == (
        "the history store is at schema version 9, newer than this mlmon knows (3)", str(tmp_path / "h.db"),
        "upgrade mlmon, or point --history at another store")


# ---------------------------------------------------------------------------- a copy's own checks


def _copy_pair(tmp_path):
    source, target = HistoryStore(str(tmp_path / "a.db")), HistoryStore(str(tmp_path / "b.db"))
    source.append_drift(_drift(), created_at=1.0, identity=_period("m", 1))
    return source, target


def test_a_copy_between_stores_of_different_schema_versions_is_refused(tmp_path, monkeypatch):
    source, target = _copy_pair(tmp_path)
    monkeypatch.setattr(source, "schema_version", lambda: 2)  # as a source one migration behind would say
    with pytest.raises(MlmonError) as info:
        source.copy_into(target)
    assert (info.value.what, info.value.where, info.value.todo) == (
        "the target is at schema version 3, the source at 2", str(tmp_path / "b.db"),
        "upgrade mlmon where the older one runs")
    assert target.row_counts()["runs"] == 0


def test_a_copy_whose_rows_do_not_all_arrive_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    source, target = _copy_pair(tmp_path)
    copy_table = HistoryStore._copy_table

    def miscounted(self, src, out, table, batch):  # as if a concurrent writer had changed the target
        return copy_table(self, src, out, table, batch) + (table == "runs")

    monkeypatch.setattr(HistoryStore, "_copy_table", miscounted)
    with pytest.raises(MlmonError) as info:
        source.copy_into(target)
    counts = {"runs": 1, "drift_columns": 1, "ml_metrics": 0, "alert_state": 0, "alert_events": 0,
              "notifications": 0, "ab_comparisons": 0}
    assert (info.value.what, info.value.where, info.value.todo) == (
        f"the copy is incomplete ({counts} of {dict(counts, runs=2)})", str(tmp_path / "b.db"),
        "nothing was written; run it again")
    assert target.row_counts() == dict.fromkeys(counts, 0)


def test_closing_a_store_closes_its_kept_connection_even_one_that_fails_to_close():
    closed = []

    class Kept:
        def close(self):
            closed.append(True)
            raise OSError("the server is gone already")

    store = HistoryStore("postgresql://u@db/h")
    store.close()  # nothing kept: nothing to do
    store._kept = Kept()
    store.close()
    assert closed == [True] and store._kept is None
    store.close()
    assert closed == [True]
