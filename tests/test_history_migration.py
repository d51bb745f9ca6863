"""Migration 3 on a real pre-migration history: ``data/history-v2.sql`` is the dump of a store
written by mlmon at schema version 2 (three ``mlmon run --date`` days of a model ``churn``, version
3, the second and third firing a drift alert, then an ``mlmon drift`` and an ``mlmon perf`` by
hand). Opened by this mlmon, on SQLite and on a real PostgreSQL, it keeps every row and learns
each run's model, version and data period, each drift column's and alert event's too.
Specification: the dates and names are the ones those runs were made with; a migration that
fails half-way leaves the store at version 2 with nothing changed."""

from __future__ import annotations

import os
import sqlite3

import pytest

from mlmon.store import history as history_module
from mlmon.store.history import LATEST_VERSION, MIGRATIONS, HistoryStore

DUMP = os.path.join(os.path.dirname(__file__), "data", "history-v2.sql")
TABLES = ["runs", "drift_columns", "ml_metrics", "alert_state", "alert_events", "notifications", "ab_comparisons"]
DAYS = {1: "2026-02-01", 4: "2026-02-02", 7: "2026-02-03"}  # scheduled run id -> its --date


def v2_sqlite(path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(open(DUMP, encoding="utf-8").read())
    return str(path)


def v2_postgres(pg, tmp_path) -> str:
    """The same store on PostgreSQL at version 2: migrations 1 and 2 as that mlmon applied them,
    then every row of the dump."""
    from mlmon.store.backends import connect_postgres, statements

    source = sqlite3.connect(v2_sqlite(tmp_path / "source.db"))
    source.row_factory = sqlite3.Row
    url = pg.create_database()
    conn = connect_postgres(url)
    conn.execute(history_module._VERSION_TABLE)
    for number, description, ddl, *_ in MIGRATIONS[:2]:
        for statement in statements(ddl):
            conn.execute(conn.dialect.render(statement))
        conn.execute("INSERT INTO schema_version VALUES (?, ?, 0)", (number, description))
    for table in TABLES:
        rows = source.execute(f"SELECT * FROM {table}").fetchall()
        if not rows:
            continue
        names = ", ".join(f'"{k}"' for k in rows[0].keys())
        overriding = " OVERRIDING SYSTEM VALUE" if "id" in rows[0].keys() else ""
        conn.executemany(f"INSERT INTO {table} ({names}){overriding} VALUES ({', '.join('?' * len(rows[0]))})",
                         [tuple(r) for r in rows])
    conn.commit()
    conn.close()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request, tmp_path):
    if request.param == "sqlite":
        return v2_sqlite(tmp_path / "history.db")
    return v2_postgres(request.getfixturevalue("pg"), tmp_path)


def counts(store):
    return {t: store.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in TABLES}


def test_the_dump_is_a_version_2_store_with_rows_in_every_area(tmp_path):
    conn = sqlite3.connect(v2_sqlite(tmp_path / "h.db"))
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (2,)
    got = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert got == {"runs": 11, "drift_columns": 16, "ml_metrics": 24, "alert_state": 1, "alert_events": 1,
                   "notifications": 1, "ab_comparisons": 0}


def test_every_row_is_kept_and_learns_its_model_version_and_period(old_store):
    store = HistoryStore(old_store)
    assert store.schema_version() == LATEST_VERSION == 3
    assert counts(store) == {"runs": 11, "drift_columns": 16, "ml_metrics": 24, "alert_state": 1,
                             "alert_events": 1, "notifications": 1, "ab_comparisons": 0}
    runs = {r["id"]: r for r in store.query("SELECT id, kind, model, version, period_start, period_end FROM runs")}
    for run_id, day in DAYS.items():
        end = {"2026-02-01": "2026-02-02", "2026-02-02": "2026-02-03", "2026-02-03": "2026-02-04"}[day]
        for part in (run_id, run_id + 1, run_id + 2):  # the scheduled run, its drift run, its performance run
            assert (runs[part]["model"], runs[part]["version"], runs[part]["period_start"], runs[part]["period_end"]) \
                == ("churn", "3", f"{day}T00:00:00", f"{end}T00:00:00"), part
    assert [runs[i]["kind"] for i in (1, 2, 3)] == ["scheduled", "drift", "perf"]
    # by hand: the drift run named no model and no period; the perf run's windows give its period
    assert (runs[10]["kind"], runs[10]["model"], runs[10]["period_start"]) == ("drift", None, None)
    assert (runs[11]["kind"], runs[11]["model"], runs[11]["period_start"], runs[11]["period_end"]) \
        == ("perf", None, "2026-02-03T00:00:00", "2026-02-04T00:00:00")
    columns = store.query("SELECT d.run_id, d.model, d.version, d.period_start, d.period_end, r.model AS rm,"
                          " r.version AS rv, r.period_start AS rs, r.period_end AS re"
                          " FROM drift_columns d JOIN runs r ON r.id = d.run_id")
    assert columns and all((c["model"], c["version"], c["period_start"], c["period_end"])
                           == (c["rm"], c["rv"], c["rs"], c["re"]) for c in columns)
    assert {c["model"] for c in columns} == {"churn", None}
    (event,) = store.query("SELECT key, status, model, rule, tier, period_start, period_end FROM alert_events")
    assert event == {"key": "churn/drift_score/critical", "status": "firing", "model": "churn", "rule": "drift_score",
                     "tier": "critical", "period_start": "2026-02-02T00:00:00", "period_end": "2026-02-03T00:00:00"}
    metrics = store.query("SELECT DISTINCT model FROM ml_metrics ORDER BY model")
    assert [m["model"] for m in metrics] == [None, "churn"] or [m["model"] for m in metrics] == ["churn", None]


def test_a_migration_that_fails_half_way_leaves_version_2_and_every_row(tmp_path, monkeypatch):
    path = v2_sqlite(tmp_path / "h.db")

    def broken(conn):
        conn.execute("UPDATE runs SET model = 'half-written'")
        raise RuntimeError("disk went away")

    number, description, ddl, _ = MIGRATIONS[2]
    monkeypatch.setattr(history_module, "MIGRATIONS", [*MIGRATIONS[:2], (number, description, ddl, broken)])
    with pytest.raises(RuntimeError, match="disk went away"):
        HistoryStore(path).schema_version()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (2,)
    assert "model" not in [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (11,)
    monkeypatch.undo()
    assert HistoryStore(path).schema_version() == 3  # the next mlmon migrates it whole
