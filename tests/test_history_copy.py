"""``mlmon history copy`` (a SQLite history into PostgreSQL, ids preserved, one transaction) and
``HistoryStore.enforce_retention`` (``storage.retention_days``), on real databases.

Specifications: a copy reproduces every row of every table with its id, and the target's
identities continue after the largest id copied; a non-empty target is refused unless ``--force``,
which replaces it; a copy that fails half-way (PostgreSQL refusing a value SQLite kept) leaves
the target exactly as it was. Retention deletes the runs whose data period ended at or before
``now - days`` (or, without a period, were created before it) with their rows, keeping alert
state and undelivered messages. The history is :func:`test_history_command.build_history`'s.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

import pytest

import postgres_server
from mlmon.errors import MlmonError
from mlmon.store.history import HistoryStore
from mlmon_testing import run_mlmon
from test_history_command import SUMMARY, build_history, drift_result

TABLES = HistoryStore.COPIED_TABLES


@pytest.fixture
def source(tmp_path):
    where = tmp_path / "history.db"
    build_history(HistoryStore(str(where)))
    return where


@pytest.fixture
def target(pg, monkeypatch):
    """A new PostgreSQL database: its URL without the password (given through PGPASSWORD, as a
    user would), and a store that reads it."""
    name = pg.create_database().rsplit("/", 1)[1]
    monkeypatch.setenv("PGPASSWORD", postgres_server.PASSWORD)
    monkeypatch.delenv("MLMON_DB_URL", raising=False)
    url = pg.url(name, password=False)
    yield url, HistoryStore(pg.url(name))


def table_rows(store: HistoryStore, table: str):
    rows = store.query(f"SELECT * FROM {table}")
    return sorted((tuple(sorted(r.items())) for r in rows), key=repr)


def test_copy_reproduces_every_row_with_its_id_and_identities_continue(source, target):
    url, copied = target
    run = run_mlmon("history", "copy", "--history", source, "--to", url, "--format", "json")
    assert run.code == 0, run.err
    original = HistoryStore(str(source))
    counts = {"runs": 11, "drift_columns": 5, "ml_metrics": 8, "alert_state": 1, "alert_events": 2,
              "notifications": 0, "ab_comparisons": 0}
    assert json.loads(run.out) == {"schema_version": 1, "from": str(source), "to": url, "replaced": False,
                                   "tables": counts}
    for table in TABLES:
        assert table_rows(copied, table) == table_rows(original, table), table
    run = run_mlmon("history", "--history", url, "--summary", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out) == SUMMARY
    assert copied.append_drift(drift_result(0.0, [("amount", 0.01, False)])) == 12
    copied.append_alert_event("credit/x/warning", "firing", 1.0, 0.5, 20.0)
    assert copied.query("SELECT MAX(id) AS m FROM alert_events")[0]["m"] == 3


def test_a_non_empty_target_is_refused_unless_force_replaces_it(source, target):
    url, copied = target
    assert run_mlmon("history", "copy", "--history", source, "--to", url).code == 0
    copied.append_drift(drift_result(0.0, [("extra", 0.01, False)]))
    copied.close()
    run = run_mlmon("history", "copy", "--history", source, "--to", url)
    assert (run.code, run.out) == (2, "")
    assert run.err == (f"mlmon: error: the target history is not empty (runs 12, drift_columns 6, ml_metrics 8, "
                       f"alert_state 1, alert_events 2) ({url}); copy into an empty database, or pass --force to "
                       "replace what it holds\n")
    assert copied.query("SELECT COUNT(*) AS n FROM runs")[0]["n"] == 12
    copied.close()
    run = run_mlmon("history", "copy", "--history", source, "--to", url, "--force")
    assert run.code == 0, run.err
    assert run.out.startswith(f"**Copied 27 rows from `{source}` to `{url}` (its previous contents replaced).**")
    assert table_rows(copied, "runs") == table_rows(HistoryStore(str(source)), "runs")


def test_a_copy_that_fails_half_way_leaves_the_target_as_it_was(source, target):
    url, copied = target
    assert run_mlmon("history", "copy", "--history", source, "--to", url).code == 0
    before = {t: table_rows(copied, t) for t in TABLES}
    copied.close()
    with sqlite3.connect(source) as conn:  # SQLite keeps text in a REAL column; PostgreSQL refuses it
        conn.execute("UPDATE alert_events SET value = 'abc' WHERE id = 2")
    run = run_mlmon("history", "copy", "--history", source, "--to", url, "--force")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("mlmon: error: cannot copy the history: InvalidTextRepresentation:")
    assert run.err.endswith(f"({url}); nothing was written to the target\n")
    assert {t: table_rows(copied, t) for t in TABLES} == before  # runs, metrics... were written, then rolled back


def test_into_an_empty_database_a_failed_copy_leaves_it_empty(source, target):
    url, copied = target
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE alert_events SET value = 'abc' WHERE id = 2")
    assert run_mlmon("history", "copy", "--history", source, "--to", url).code == 2
    assert copied.row_counts() == dict.fromkeys(TABLES, 0)


def test_sqlite_to_sqlite_copy_keeps_ids(source, tmp_path):
    run = run_mlmon("history", "copy", "--history", source, "--to", tmp_path / "copy.db")
    assert run.code == 0, run.err
    copied = HistoryStore(str(tmp_path / "copy.db"))
    for table in TABLES:
        assert table_rows(copied, table) == table_rows(HistoryStore(str(source)), table)
    assert copied.append_drift(drift_result(0.0, [("amount", 0.01, False)])) == 12


@pytest.mark.parametrize("args, line", [
    (["--to", "postgresql://mlmon:s3cret@db:5432/h"],
     "mlmon: error: the target URL holds a password (--to); give the password through PGPASSWORD or ~/.pgpass "
     "(libpq reads both)"),
    (["--to", "mysql://db/h"], "mlmon: error: unsupported history database: mysql (--to); use a SQLite path "
                               "(sqlite:///PATH) or postgresql://USER@HOST:PORT/DATABASE"),
])
def test_bad_targets_are_refused(source, args, line):
    run = run_mlmon("history", "copy", "--history", source, *args)
    assert (run.code, run.err) == (2, line + "\n")


def test_a_missing_source_or_the_source_itself_as_target_is_refused(source, tmp_path):
    run = run_mlmon("history", "copy", "--history", tmp_path / "none.db", "--to", tmp_path / "copy.db")
    assert (run.code, run.err) == (2, f"mlmon: error: no history to copy: the file does not exist ({tmp_path / 'none.db'}); "
                                      "name the store to copy with --history PATH or --config FILE\n")
    assert not (tmp_path / "copy.db").exists()
    run = run_mlmon("history", "copy", "--history", source, "--to", source)
    assert (run.code, run.err) == (2, f"mlmon: error: the copy's target is its source ({source}); "
                                      "name another store with --to\n")


# ---------------------------------------------------------------------------- retention


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return HistoryStore(str(tmp_path / "history.db"))
    return HistoryStore(request.getfixturevalue("pg").create_database())


NOW = datetime(2026, 3, 24, tzinfo=timezone.utc).timestamp()


def test_retention_deletes_runs_whose_period_ended_by_the_cutoff_with_their_rows(store):
    build_history(store)
    # run 3 (performance, period 03-02) also holds the alert state's last run and two messages
    store.save_alert_state({"key": "credit/accuracy_drop/critical", "model": "credit", "rule": "accuracy_drop",
                            "tier": "critical", "consecutive": 1, "firing": True, "notified": True,
                            "started_at": 1.0, "last_value": 0.2, "threshold": 0.15, "updated_at": 10.0}, run_id=3)
    sent = store.enqueue_notification("credit/accuracy_drop/critical", "slack", {"m": 1}, 10.0, run_id=3)
    pending = store.enqueue_notification("credit/accuracy_drop/critical", "email", {"m": 1}, 10.0, run_id=3)
    store.mark_notification(sent, True, 1, None, 11.0)
    old_by_hand = store.append_drift(drift_result(0.0, [("x", 0.0, False)]), created_at=NOW - 22 * 86400)
    new_by_hand = store.append_drift(drift_result(0.0, [("x", 0.0, False)]), created_at=NOW - 20 * 86400)
    # 21 days before 03-24 is 03-03: the runs of 03-01 and 03-02 (periods ending 03-02, 03-03) go
    deleted = store.enforce_retention(21, NOW)
    assert deleted == {"drift_columns": 6, "ml_metrics": 3, "ab_comparisons": 0, "alert_events": 1,
                       "notifications": 1, "runs": 8}
    assert [r["id"] for r in store.query("SELECT id FROM runs ORDER BY id")] == [5, 6, 7, 11, new_by_hand]
    assert old_by_hand not in [r["id"] for r in store.query("SELECT id FROM runs")]
    assert store.query("SELECT id, run_id, status FROM notifications") == [
        {"id": pending, "run_id": None, "status": "pending"}]
    assert store.query("SELECT key, run_id FROM alert_state ORDER BY key") == [
        {"key": "credit/accuracy_drop/critical", "run_id": None}, {"key": "credit/drift_score/warning", "run_id": None}]
    assert store.query("SELECT status, run_id FROM alert_events") == [{"status": "resolved", "run_id": None}]
    assert store.enforce_retention(21, NOW) == {"drift_columns": 0, "ml_metrics": 0, "ab_comparisons": 0,
                                                "alert_events": 0, "notifications": 0, "runs": 0}


def test_retention_keeps_a_run_whose_period_ends_after_the_cutoff(store):
    build_history(store)
    # cutoff 03-02T00:00: only periods ending on or before it (the 03-01 runs) go
    assert store.enforce_retention(22, NOW)["runs"] == 3
    assert store.query("SELECT MIN(period_end) AS e FROM runs")[0]["e"] == "2026-03-03T00:00:00"


@pytest.mark.parametrize("days", [0, -1, 1.5, True, None])
def test_retention_needs_a_whole_number_of_days(days, tmp_path):
    with pytest.raises(MlmonError, match="storage.retention_days"):
        HistoryStore(str(tmp_path / "h.db")).enforce_retention(days, NOW)
