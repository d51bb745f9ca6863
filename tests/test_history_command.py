"""``mlmon history``: points by model and window with the as-of rule, each model's summary, the
Markdown and CSV forms, and every bad input, on a SQLite file and on a real PostgreSQL server.

The history is built through the store's own API (``append_metrics`` with ``identity=`` and rows
carrying ``kind``/``known_at``, ``append_drift``, ``append_scheduled``, alert events and state),
so every expected value below is read off the builder by hand:

- accuracy, window 2026-03-01: estimated 0.80 (known 03-02), re-estimated 0.82 (known 03-03),
  realized 0.90 (known 03-21), realized 0.91 (known 03-22), and a realized 0.50 written last but
  known 03-20: the point is 0.91 (latest realized by ``known_at``), the latest estimate 0.82;
- accuracy, window 2026-03-02: only estimated, 0.78, severity degraded;
- f1_score, window 2026-03-01: realized 0.70;
- drift: amount 0.02 on 03-01; on 03-02 a run with amount 0.34, age 0.02 and a rerun with amount
  0.30, age 0.12 (the rerun stands); drift share 0.0 then 1.0 (threshold 0.5);
- alerts: accuracy_drop/critical firing on 03-02 (0.20 over 0.15), resolved on 03-03 (0.01); the
  rule drift_score/warning firing since 2026-03-03T00:00:00Z;
- a second model, fraud: accuracy realized 0.95 on 03-05.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone

import pytest

from mlmon.store.history import HistoryStore
from mlmon_testing import run_mlmon


def D(day: int) -> str:
    return f"2026-03-{day:02d}T00:00:00"


def period(day: int, model: str = "credit", version: str = "2"):
    return {"model": model, "version": version, "period_start": D(day), "period_end": D(day + 1)}


def metric(day, value, kind, known, n, lower=None, upper=None, severity=None, name="accuracy"):
    return {"timestamp": D(day), "window_end": D(day + 1), "window": "1D", "metric": name, "value": value,
            "lower": lower, "upper": upper, "kind": kind, "n": n, "severity": severity, "known_at": D(known)}


def drift_result(share, columns, threshold=0.5):
    def col(name, score, drifted):
        return {"column": name, "role": "feature", "type": "numerical", "method": "wasserstein", "score": score,
                "threshold": 0.1, "drifted": drifted}

    return {"schema_version": 1, "reference": {"path": "ref.parquet", "rows": 100}, "current": {"path": "cur.parquet", "rows": 50},
            "dataset_drift": share >= threshold, "drift_share": share, "drift_share_threshold": threshold,
            "severity": "critical" if share >= threshold else "healthy", "columns": {c[0]: col(*c) for c in columns}}


def scheduled(day: int, severity: str):
    return {"model": {"name": "credit", "version": "2"}, "date": f"2026-03-{day:02d}",
            "reference": {"path": "ref.parquet", "rows": 100}, "current": {"path": "cur.parquet", "rows": 50},
            "severity": severity}


FIRING_SINCE = datetime(2026, 3, 3, tzinfo=timezone.utc).timestamp()


def build_history(store: HistoryStore) -> None:
    """The history the module docstring describes (run ids 1..12 in this order)."""
    store.append_scheduled(scheduled(1, "healthy"), created_at=1.0)
    store.append_metrics({}, [metric(1, 0.80, "estimated", 2, 500, 0.75, 0.85, "healthy")], created_at=2.0,
                         identity=period(1))
    second = store.append_metrics({}, [metric(1, 0.82, "estimated", 3, 500, 0.77, 0.87, "healthy"),
                                       metric(2, 0.78, "estimated", 3, 480, 0.72, 0.84, "degraded")],
                                  created_at=3.0, identity=period(2))
    store.append_scheduled(scheduled(2, "critical"), created_at=3.5)
    store.append_metrics({}, [metric(1, 0.90, "realized", 21, 400, 0.85, 0.95, "healthy")], created_at=4.0,
                         identity=period(21))
    store.append_metrics({}, [metric(1, 0.91, "realized", 22, 410, 0.87, 0.94, "healthy"),
                              metric(1, 0.70, "realized", 22, 410, name="f1_score")], created_at=5.0,
                         identity=period(22))
    store.append_metrics({}, [metric(1, 0.50, "realized", 20, 10)], created_at=6.0, identity=period(23))
    store.append_drift(drift_result(0.0, [("amount", 0.02, False)]), created_at=7.0, identity=period(1))
    store.append_drift(drift_result(0.5, [("amount", 0.34, True), ("age", 0.02, False)]), created_at=8.0,
                       identity=period(2))
    store.append_drift(drift_result(1.0, [("amount", 0.30, True), ("age", 0.12, True)]), created_at=9.0,
                       identity=period(2))
    store.append_alert_event("credit/accuracy_drop/critical", "firing", 0.20, 0.15, 10.0, second)
    store.append_alert_event("credit/accuracy_drop/critical", "resolved", 0.01, 0.15, 11.0, None, (D(3), D(4)))
    store.save_alert_state({"key": "credit/drift_score/warning", "model": "credit", "rule": "drift_score",
                            "tier": "warning", "consecutive": 2, "firing": True, "notified": True,
                            "started_at": FIRING_SINCE, "last_value": 0.4, "threshold": 0.3, "updated_at": 12.0})
    store.append_metrics({}, [metric(5, 0.95, "realized", 6, 300)], created_at=13.0,
                         identity=period(5, "fraud", "7"), severity="healthy")


def pt(name, kind, day, value, source, lower=None, upper=None, n=None, threshold=None, breached=None, end=None):
    return {"name": name, "kind": kind, "start": D(day), "end": D(end or day + 1), "value": value, "lower": lower,
            "upper": upper, "source": source, "n": n, "threshold": threshold, "breached": breached}


ACCURACY = [pt("accuracy", "metric", 1, 0.91, "realized", 0.87, 0.94, 410, breached=False),
            pt("accuracy", "metric", 2, 0.78, "estimated", 0.72, 0.84, 480, breached=True)]
CREDIT_POINTS = ACCURACY + [
    pt("f1_score", "metric", 1, 0.70, "realized", n=410),
    pt("age", "drift", 2, 0.12, "measured", n=50, threshold=0.1, breached=True),
    pt("amount", "drift", 1, 0.02, "measured", n=50, threshold=0.1, breached=False),
    pt("amount", "drift", 2, 0.30, "measured", n=50, threshold=0.1, breached=True),
    pt("drift_share", "drift", 1, 0.0, "measured", n=50, threshold=0.5, breached=False),
    pt("drift_share", "drift", 2, 1.0, "measured", n=50, threshold=0.5, breached=True),
    pt("accuracy_drop/critical", "alert", 2, 0.20, "measured", threshold=0.15, breached=True),
    pt("accuracy_drop/critical", "alert", 3, 0.01, "measured", threshold=0.15, breached=False),
]
SUMMARY = {"schema_version": 1, "models": [
    {"model": "credit", "version": "2",
     "alerts_firing": [{"key": "credit/drift_score/warning", "rule": "drift_score", "tier": "warning",
                        "since": "2026-03-03T00:00:00Z", "value": 0.4, "threshold": 0.3}],
     "last_run": {"period_start": D(2), "period_end": D(3), "severity": "critical"},
     "last_drift": {"period_start": D(2), "period_end": D(3), "drift_share": 1.0, "drifted": ["age", "amount"]},
     "metrics": {"accuracy": {"realized": {"start": D(1), "end": D(2), "value": 0.91, "lower": 0.87, "upper": 0.94, "n": 410},
                              "estimated": {"start": D(2), "end": D(3), "value": 0.78, "lower": 0.72, "upper": 0.84, "n": 480}},
                 "f1_score": {"realized": {"start": D(1), "end": D(2), "value": 0.70, "lower": None, "upper": None, "n": 410},
                              "estimated": None}},
     "label_coverage": {"windows": 2, "realized": 1, "waiting": 1, "latest_realized_end": D(2)},
     "estimate_disagreement": []},
    {"model": "fraud", "version": "7", "alerts_firing": [],
     "last_run": {"period_start": D(5), "period_end": D(6), "severity": "healthy"}, "last_drift": None,
     "metrics": {"accuracy": {"realized": {"start": D(5), "end": D(6), "value": 0.95, "lower": None, "upper": None, "n": 300},
                              "estimated": None}},
     "label_coverage": {"windows": 1, "realized": 1, "waiting": 0, "latest_realized_end": D(6)},
     "estimate_disagreement": []}]}


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path, monkeypatch):
    """A built history's location, as ``--history`` takes it (PostgreSQL: through MLMON_DB_URL,
    the only place a URL with a password is accepted)."""
    if request.param == "sqlite":
        where = str(tmp_path / "history.db")
        build_history(HistoryStore(where))
        return ["--history", where]
    url = request.getfixturevalue("pg").create_database()
    store = HistoryStore(url)
    build_history(store)
    store.close()
    monkeypatch.setenv("MLMON_DB_URL", url)
    return []


def history_json(*args):
    run = run_mlmon("history", *args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


# ---------------------------------------------------------------------------- points and summary


def test_points_of_a_model_follow_the_as_of_rule_on_both_databases(location):
    assert history_json(*location, "--model", "credit") == {"schema_version": 1, "model": "credit",
                                                            "points": CREDIT_POINTS}


def test_metric_and_dates_select_windows_by_start_both_days_included(location):
    got = history_json(*location, "--model", "credit", "--metric", "accuracy", "--since", "2026-03-02",
                       "--until", "2026-03-02")
    assert got["points"] == ACCURACY[1:]
    assert history_json(*location, "--model", "credit", "--metric", "accuracy", "--until", "2026-03-01")["points"] \
        == ACCURACY[:1]


def test_all_sources_puts_the_latest_estimate_beside_the_realized_value(location):
    got = history_json(*location, "--model", "credit", "--metric", "accuracy", "--all-sources")
    assert got["points"] == [pt("accuracy", "metric", 1, 0.82, "estimated", 0.77, 0.87, 500, breached=False),
                             ACCURACY[0], ACCURACY[1]]


def test_series_filters_name_columns_drift_share_and_alert_rules(location):
    got = history_json(*location, "--model", "credit", "--column", "amount", "--metric", "drift_share",
                       "accuracy_drop")
    assert got["points"] == CREDIT_POINTS[4:]


def test_summary_gives_each_models_state_now(location):
    assert history_json(*location, "--summary") == SUMMARY
    assert history_json(*location, "--summary", "--model", "fraud") == {"schema_version": 1,
                                                                        "models": SUMMARY["models"][1:]}


def test_a_history_naming_one_model_needs_no_model_flag(tmp_path):
    store = HistoryStore(str(tmp_path / "h.db"))
    store.append_metrics({}, [metric(5, 0.95, "realized", 6, 300)], identity=period(5, "fraud", "7"))
    store.append_drift(drift_result(0.0, [("amount", 0.02, False)]))  # a check by hand: no model, no period
    got = history_json("--history", tmp_path / "h.db")
    assert got == {"schema_version": 1, "model": "fraud",
                   "points": [pt("accuracy", "metric", 5, 0.95, "realized", n=300)]}


# ---------------------------------------------------------------------------- Markdown and CSV


@pytest.fixture
def sqlite_history(tmp_path):
    where = tmp_path / "history.db"
    build_history(HistoryStore(str(where)))
    return where


def test_markdown_starts_with_a_verdict_then_a_trend_table_with_directions(sqlite_history):
    run = run_mlmon("history", "--history", sqlite_history, "--model", "credit")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == ("**model `credit`, 2026-03-01 to 2026-03-04: 6 series, 4 breached in their latest window "
                        "(accuracy, age, amount, drift_share); accuracy ↓ 0.9100 → 0.7800.**")
    assert "| accuracy | metric | 2 | 0.9100 | 0.7800 | ↓ -0.13 | 0.7800 | 0.9100 | 1 | 2026-03-02 | estimated |" in lines
    assert "| drift_share | drift | 2 | 0 | 1.0000 | ↑ +1 | 0 | 1.0000 | 1 | 2026-03-02 | measured |" in lines
    assert "| 2026-03-02 | 0.7800 est. ! |  |" in lines  # the recent-windows table: f1_score has no such window


def test_markdown_summary_lists_firing_alerts_and_label_coverage(sqlite_history):
    run = run_mlmon("history", "--history", sqlite_history, "--summary")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "**2 models; alerts firing for `credit`.**"
    assert ("last run 2026-03-02: critical; last drift check 2026-03-02: drift share 1.0000 (age, amount); "
            "labels: 1 of 2 windows realized, 1 waiting, the latest realized window ends 2026-03-02.") in lines
    assert "| drift_score/warning | 2026-03-03T00:00:00Z | 0.4000 | 0.3000 |" in lines


def test_csv_has_one_row_per_point(sqlite_history):
    run = run_mlmon("history", "--history", sqlite_history, "--model", "credit", "--metric", "accuracy", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out == ("model,name,kind,start,end,value,lower,upper,source,n,threshold,breached\n"
                       "credit,accuracy,metric,2026-03-01T00:00:00,2026-03-02T00:00:00,0.91,0.87,0.94,realized,410,,false\n"
                       "credit,accuracy,metric,2026-03-02T00:00:00,2026-03-03T00:00:00,0.78,0.72,0.84,estimated,480,,true\n")


def test_output_file_gets_the_report(sqlite_history, tmp_path):
    out = tmp_path / "trend.json"
    run = run_mlmon("history", "--history", sqlite_history, "--model", "fraud", "--format", "json", "--output", out)
    assert run.code == 0 and run.out == ""
    assert json.loads(out.read_text())["points"][0]["value"] == 0.95


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("args, line", [
    (["--since", "2026-03-05", "--until", "2026-03-01"],
     "mlmon: error: --since 2026-03-05 is after --until 2026-03-01 (command line); swap them, or drop one"),
    (["--since", "2026-13-01"], "mlmon: error: not a date: '2026-13-01' (--since); write it as YYYY-MM-DD"),
    (["--until", "yesterday"], "mlmon: error: not a date: 'yesterday' (--until); write it as YYYY-MM-DD"),
    (["--summary", "--format", "csv"],
     "mlmon: error: CSV holds points, one row each; a summary is not points (--format csv); "
     "drop --summary, or use --format md or json"),
    (["--summary", "--metric", "accuracy"],
     "mlmon: error: --summary is each model's state now: it takes no series or dates (--summary); "
     "drop --metric/--column/--since/--until/--all-sources, or drop --summary"),
])
def test_bad_arguments_are_one_line_and_exit_2(sqlite_history, args, line):
    run = run_mlmon("history", "--history", sqlite_history, *args)
    assert (run.code, run.out, run.err) == (2, "", line + "\n")


def test_an_unknown_model_names_the_models_there_are(sqlite_history):
    run = run_mlmon("history", "--history", sqlite_history, "--model", "churn")
    assert (run.code, run.err) == (2, f"mlmon: error: no model 'churn' in the history ({sqlite_history}); "
                                      "models recorded: credit, fraud\n")
    run = run_mlmon("history", "--history", sqlite_history, "--summary", "--model", "churn")
    assert run.code == 2 and "models recorded: credit, fraud" in run.err


def test_several_models_without_model_flag_is_refused_with_their_names(sqlite_history):
    run = run_mlmon("history", "--history", sqlite_history)
    assert (run.code, run.err) == (2, f"mlmon: error: the history holds several models ({sqlite_history}); "
                                      "pass --model NAME, one of: credit, fraud\n")


def test_a_missing_store_is_an_empty_result_with_a_note_and_is_not_created(tmp_path):
    where = tmp_path / "none" / "history.db"
    run = run_mlmon("history", "--history", where, "--format", "json")
    assert run.code == 0
    assert json.loads(run.out) == {"schema_version": 1, "model": None, "points": []}
    assert run.err == f"mlmon: no history at {where} yet: nothing recorded there\n"
    run = run_mlmon("history", "--history", where, "--summary")
    assert run.code == 0 and run.out.startswith("**No model in the history yet.**")
    assert not where.exists() and not where.parent.exists()


def test_a_store_from_a_newer_mlmon_is_refused_with_its_version(sqlite_history):
    with sqlite3.connect(sqlite_history) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'from the future', 0)")
    for extra in ([], ["--summary"]):
        run = run_mlmon("history", "--history", sqlite_history, *extra)
        assert run.code == 2
        assert run.err.startswith("mlmon: error: the history store is at schema version 99, newer than this mlmon knows (3)")


def test_config_and_history_together_are_refused(sqlite_history, tmp_path):
    config = tmp_path / "monitoring.yaml"
    config.write_text("model:\n  name: credit\n")
    run = run_mlmon("history", "--history", sqlite_history, "--config", config)
    assert run.code == 2 and "not allowed with argument" in run.err


def test_the_config_names_the_store(sqlite_history, tmp_path, monkeypatch):
    monkeypatch.delenv("MLMON_DB_URL", raising=False)
    config = tmp_path / "monitoring.yaml"
    config.write_text("version: 1\nmodel: {name: credit, task: binary}\ndata:\n  reference: {path: ref.parquet}\n"
                      f"  current: {{path: cur.parquet}}\nstorage: {{history_url: 'sqlite:///{os.path.basename(sqlite_history)}'}}\n")
    assert history_json("--config", config, "--model", "fraud")["points"][0]["value"] == 0.95


# ---------------------------------------------------------------------------- the as-of rule, as a property

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mlmon.services.history import latest_by_window, points  # noqa: E402

_ROWS = st.lists(st.tuples(st.sampled_from(["accuracy", "f1_score"]), st.integers(1, 3),
                           st.sampled_from(["realized", "estimated"]), st.integers(1, 30),
                           st.floats(0, 1, allow_nan=False)), min_size=1, max_size=12)


def _expected(rows):
    """The as-of rule written plainly: per (metric, window) the realized rows if any, else the
    estimated ones; of those, the one with the largest (known_at, run)."""
    out = {}
    for metric, day in {(r[0], r[1]) for r in rows}:
        mine = [(i, r) for i, r in enumerate(rows) if (r[0], r[1]) == (metric, day)]
        realized = [(i, r) for i, r in mine if r[2] == "realized"]
        i, r = max(realized or mine, key=lambda ir: (D(ir[1][3]), ir[0] + 1))
        out[(metric, D(day))] = (r[2], r[4])
    return out


@settings(max_examples=200, deadline=None)
@given(_ROWS, st.randoms())
def test_the_point_of_a_window_is_its_latest_realized_else_latest_estimated_in_any_order(rows, rnd):
    dicts = [{"metric": m, "timestamp": D(day), "kind": kind, "known_at": D(known), "run_id": i + 1, "value": v}
             for i, (m, day, kind, known, v) in enumerate(rows)]
    rnd.shuffle(dicts)
    got = {(r["metric"], r["timestamp"]): (r["kind"], r["value"]) for r in latest_by_window(dicts)}
    assert got == _expected(rows)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ROWS)
def test_points_read_from_a_store_follow_the_same_rule(tmp_path_factory, rows):
    store = HistoryStore(str(tmp_path_factory.mktemp("h") / "h.db"))
    for m, day, kind, known, v in rows:  # one run per row, in order: run ids 1, 2, ...
        store.append_metrics({}, [metric(day, v, kind, known, 10, name=m)], identity=period(day))
    got = {(p["name"], p["start"]): (p["source"], p["value"]) for p in points(store, "credit")["points"]}
    assert got == _expected(rows)
