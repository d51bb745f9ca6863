"""The history store: every run appended to a database, so trends, alert state and timelines
come from real past runs.

Default location: ``.mlmon/history.db`` (SQLite) in the working directory; a
``postgresql://`` URL puts it on a server a team shares (see :mod:`mlmon.store.location` for how
the location is chosen, :mod:`mlmon.store.backends` for how one SQL text serves both). Tables:

- ``runs``: one row per run of any kind (``drift``, ``perf``, ``ab``, ...), the whole result
  as JSON too, for anything not broken out; a scheduled run that stopped on an error leaves one
  row of kind ``failed`` (its model, period and error) and nothing else;
- ``drift_columns``: one row per tested column of a drift run;
- ``ml_metrics``: one row per (window, metric) of a performance run, realized or estimated,
  so "accuracy over the last 7 days" is one query.
- ``alert_state``: one row per alert rule (dedup key): consecutive breaches, clean checks while
  firing, firing, cooldown (``started_at``/``last_fired_at`` in data time for ``mlmon run --date``);
  ``alert_events`` logs every transition; ``notifications`` is the delivery outbox.
- ``ab_comparisons``: one row per (treatment, metric) of an experiment analysis (run kind ``ab``),
  with the run's recommendation; :meth:`HistoryStore.latest_ab` reads each experiment's latest.
- ``schema_version``: one row per migration applied (see ``MIGRATIONS``).

Each area's section below owns its tables and methods. Writes made inside
``with store.transaction():`` share one database transaction: a run interrupted half-way leaves
nothing of itself behind.

Schema changes are migrations: ``MIGRATIONS`` lists them in order, each a DDL text written once
in SQLite's spelling and rendered per database. A store is brought to the latest version when it
is first opened for writing, under a lock, so two processes starting at once migrate it once. A
new table or column goes in a NEW migration appended to the list (never an edit of an applied
one: databases already at that version would not see it).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from mlmon.errors import MlmonError
from mlmon.store.backends import (
    SQLITE, Connection, StoreError, connect_postgres, connect_sqlite, is_postgres, redact, statements,
)
from mlmon.store.location import DEFAULT_PATH

__all__ = ["DEFAULT_PATH", "HistoryStore", "MIGRATIONS", "StoreError"]

# Migration 1. Every table is created with IF NOT EXISTS: a database made before migrations were
# counted already holds them and gains only what it lacks. ("window" is quoted: PostgreSQL
# reserves the word.)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    reference_path TEXT,
    current_path TEXT,
    reference_rows INTEGER,
    current_rows INTEGER,
    dataset_drift INTEGER,
    drift_share REAL,
    severity TEXT,
    result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_kind_time ON runs(kind, created_at);

-- drift ---------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS drift_columns (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    column_name TEXT NOT NULL,
    role TEXT NOT NULL,
    type TEXT NOT NULL,
    method TEXT NOT NULL,
    score REAL,
    threshold REAL,
    drifted INTEGER NOT NULL,
    PRIMARY KEY (run_id, column_name)
);

-- performance -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS ml_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    timestamp TEXT NOT NULL,        -- window start, ISO 8601 (UTC when the data has a zone)
    window_end TEXT,
    model TEXT,
    version TEXT,
    "window" TEXT NOT NULL,         -- the window size, e.g. 1D, or chunk:N
    metric TEXT NOT NULL,
    value REAL,
    lower REAL,                     -- confidence interval / estimation band, where computed
    upper REAL,
    kind TEXT NOT NULL CHECK (kind IN ('realized', 'estimated')),
    n INTEGER
);
CREATE INDEX IF NOT EXISTS ml_metrics_metric_time ON ml_metrics(metric, timestamp);

-- alerting --------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS alert_state (
    key TEXT PRIMARY KEY,           -- model/condition/tier: the dedup key notifiers carry
    model TEXT NOT NULL,
    rule TEXT NOT NULL,             -- the condition, e.g. accuracy_drop
    tier TEXT NOT NULL,             -- critical | warning | info
    consecutive INTEGER NOT NULL DEFAULT 0,   -- breaches in a row, up to this run
    firing INTEGER NOT NULL DEFAULT 0,
    notified INTEGER NOT NULL DEFAULT 0,      -- this firing episode was announced
    started_at REAL,                -- when the current firing episode began
    last_fired_at REAL,             -- when a firing notification was last queued (cooldown)
    last_value REAL,
    threshold REAL,
    updated_at REAL NOT NULL,
    run_id INTEGER REFERENCES runs(id)
);
CREATE TABLE IF NOT EXISTS alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id),
    key TEXT NOT NULL,
    status TEXT NOT NULL,           -- firing | resolved | repeat | silenced
    value REAL,
    threshold REAL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_key_time ON alert_events(key, created_at);
CREATE TABLE IF NOT EXISTS notifications (   -- the delivery outbox: a row stays pending until sent
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id),
    alert_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    payload_json TEXT NOT NULL,     -- the alert event; each channel renders its own body from it
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at REAL NOT NULL,
    sent_at REAL,
    claimed_until REAL              -- a run delivering it holds it until then (a crashed run's lease expires)
);
CREATE INDEX IF NOT EXISTS notifications_pending ON notifications(status, id);

-- experiments ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS ab_comparisons (   -- one row per (treatment, metric) of an `ab` run
    run_id INTEGER NOT NULL REFERENCES runs(id),
    experiment TEXT NOT NULL,
    control TEXT NOT NULL,
    treatment TEXT NOT NULL,
    metric TEXT NOT NULL,
    control_mean REAL,
    treatment_mean REAL,
    lift REAL,                      -- relative: treatment / control - 1
    lift_lower REAL,
    lift_upper REAL,
    p_value REAL,
    significant INTEGER NOT NULL,
    recommendation TEXT NOT NULL,   -- the run's verdict: SHIP | REVERT | CONTINUE | STOP | NO_DECISION
    srm_p_value REAL,
    PRIMARY KEY (run_id, treatment, metric)
);
CREATE INDEX IF NOT EXISTS ab_comparisons_experiment ON ab_comparisons(experiment, run_id);
"""


# Migration 2: a firing alert resolves after ``alerts.resolve_after`` clean checks in a row;
# the count survives between runs.
_ALERT_CLEAN_COUNT = """
ALTER TABLE alert_state ADD COLUMN clean INTEGER NOT NULL DEFAULT 0   -- clean checks in a row while firing
"""


# Migration 3: every run and row knows its model, the model's version and the data period it
# describes (not only when it was computed), so history is read by model and date; a performance
# row keeps its severity and when its value became known (data time: an estimate made on day D,
# the realized value once the labels are in); an alert transition keeps its model, condition,
# tier and data period, so a watcher can describe it without joining state that may be gone.
_MODEL_AND_PERIOD = """
ALTER TABLE runs ADD COLUMN model TEXT;
ALTER TABLE runs ADD COLUMN version TEXT;
ALTER TABLE runs ADD COLUMN period_start TEXT;      -- the data period, ISO 8601, end exclusive
ALTER TABLE runs ADD COLUMN period_end TEXT;
CREATE INDEX IF NOT EXISTS runs_model_period ON runs(model, kind, period_start);
CREATE INDEX IF NOT EXISTS runs_model_time ON runs(model, kind, created_at);
ALTER TABLE drift_columns ADD COLUMN model TEXT;
ALTER TABLE drift_columns ADD COLUMN version TEXT;
ALTER TABLE drift_columns ADD COLUMN period_start TEXT;
ALTER TABLE drift_columns ADD COLUMN period_end TEXT;
CREATE INDEX IF NOT EXISTS drift_columns_model_period ON drift_columns(model, column_name, period_start);
ALTER TABLE ml_metrics ADD COLUMN severity TEXT;    -- healthy | degraded | critical, where assessed
ALTER TABLE ml_metrics ADD COLUMN known_at TEXT;    -- when this value became known (data time)
CREATE INDEX IF NOT EXISTS ml_metrics_model_metric_time ON ml_metrics(model, metric, timestamp);
CREATE INDEX IF NOT EXISTS ml_metrics_model_time ON ml_metrics(model, timestamp);
CREATE INDEX IF NOT EXISTS ml_metrics_run ON ml_metrics(run_id);           -- retention deletes by run
CREATE INDEX IF NOT EXISTS alert_events_run ON alert_events(run_id);
ALTER TABLE alert_events ADD COLUMN model TEXT;
ALTER TABLE alert_events ADD COLUMN rule TEXT;
ALTER TABLE alert_events ADD COLUMN tier TEXT;
ALTER TABLE alert_events ADD COLUMN period_start TEXT;
ALTER TABLE alert_events ADD COLUMN period_end TEXT;
CREATE INDEX IF NOT EXISTS alert_events_id_model ON alert_events(model, id)
"""


def _backfill_model_and_period(conn: Connection) -> None:
    """Migration 3's data: model, version and period of the runs and rows written before it,
    from what each run's stored result says (a scheduled run names its model and date; a
    performance run its model and windows); an alert event's model, condition and tier from
    its dedup key (``model/condition/tier``)."""
    from mlmon.store.rows import run_identity

    # a scheduled run writes its summary, drift run and performance run in one transaction with
    # one created_at: the parts take the scheduled run's model and period
    scheduled: Dict[float, Dict[str, Any]] = {}
    parsed = []
    for row in conn.execute("SELECT id, kind, created_at, result_json FROM runs ORDER BY id").fetchall():
        try:
            result = json.loads(row["result_json"])
        except ValueError:
            result = {}
        ident = run_identity(row["kind"], result if isinstance(result, dict) else {})
        if row["kind"] == "scheduled":
            scheduled[row["created_at"]] = ident
        parsed.append((row, ident))
    updates = []
    for row, ident in parsed:
        if row["kind"] in ("drift", "perf") and row["created_at"] in scheduled:
            ident = {**ident, **{k: v for k, v in scheduled[row["created_at"]].items() if v is not None}}
        updates.append((ident["model"], ident["version"], ident["period_start"], ident["period_end"], row["id"]))
    conn.executemany("UPDATE runs SET model=?, version=?, period_start=?, period_end=? WHERE id=?", updates)
    conn.execute("UPDATE drift_columns SET model = (SELECT r.model FROM runs r WHERE r.id = drift_columns.run_id),"
                 " version = (SELECT r.version FROM runs r WHERE r.id = drift_columns.run_id),"
                 " period_start = (SELECT r.period_start FROM runs r WHERE r.id = drift_columns.run_id),"
                 " period_end = (SELECT r.period_end FROM runs r WHERE r.id = drift_columns.run_id)")
    conn.execute("UPDATE ml_metrics SET model = (SELECT r.model FROM runs r WHERE r.id = ml_metrics.run_id)"
                 " WHERE model IS NULL")
    events = []
    for row in conn.execute("SELECT e.id, e.key, r.period_start, r.period_end FROM alert_events e"
                            " LEFT JOIN runs r ON r.id = e.run_id").fetchall():
        model, rule, tier = split_alert_key(row["key"])
        events.append((model, rule, tier, row["period_start"], row["period_end"], row["id"]))
    conn.executemany("UPDATE alert_events SET model=?, rule=?, tier=?, period_start=?, period_end=? WHERE id=?", events)


def split_alert_key(key: str) -> Tuple[str, str, str]:
    """``(model, condition, tier)`` of an alert's dedup key (the model may hold a ``/``).

    >>> split_alert_key("fraud/eu/accuracy_drop/critical")
    ('fraud/eu', 'accuracy_drop', 'critical')
    """
    parts = key.rsplit("/", 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (key, "", "")


_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at REAL NOT NULL
)
"""

#: (version, what it adds, DDL[, backfill]): applied in order, each once, on SQLite and PostgreSQL
#: alike; a backfill (a function of the connection) fills new columns from what is stored.
MIGRATIONS = [
    (1, "runs, drift columns, performance metrics, alerting state and outbox, A/B comparisons", _SCHEMA),
    (2, "alert_state.clean: clean checks in a row toward alerts.resolve_after", _ALERT_CLEAN_COUNT),
    (3, "model, version and data period on runs, drift columns and alert events; metric severity and known_at",
     _MODEL_AND_PERIOD, _backfill_model_and_period),
]
LATEST_VERSION = MIGRATIONS[-1][0]
_MIGRATION_LOCK = 7461016  # PostgreSQL advisory lock key: one migrating process at a time


def _applied_version(conn: Connection) -> int:
    if "schema_version" not in conn.tables():
        return 0
    row = conn.execute("SELECT MAX(version) AS v FROM schema_version").fetchone()
    return int(row["v"] or 0)


def migrate(conn: Connection) -> int:
    """Apply the migrations ``conn``'s database lacks, all in one transaction taken with the
    write lock, so a concurrent process waits and then finds nothing left to do. Returns the
    version reached. A database newer than this toolkit is refused (one line, exit 2)."""
    version = _applied_version(conn)
    if version == LATEST_VERSION:
        return version
    if version > LATEST_VERSION:
        raise MlmonError(f"the history store is at schema version {version}, newer than this mlmon knows ({LATEST_VERSION})",
                         conn.location, "upgrade mlmon, or point --history at another store")
    if conn.dialect is SQLITE:
        conn.raw.isolation_level = None  # explicit BEGIN IMMEDIATE: take the write lock before reading the version
        conn.execute("BEGIN IMMEDIATE")
    else:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
    try:
        for statement in statements(_VERSION_TABLE):
            conn.execute(conn.dialect.render(statement))
        version = _applied_version(conn)
        for number, description, ddl, *backfill in MIGRATIONS:
            if number <= version:
                continue
            for statement in statements(ddl):
                conn.execute(conn.dialect.render(statement))
            for fill in backfill:  # the data a migration derives from what is already stored
                fill(conn)
            conn.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                         (number, description, time.time()))
            version = number
        if conn.dialect is SQLITE:
            conn.execute("COMMIT")
        else:
            conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        if conn.dialect is SQLITE:
            conn.raw.isolation_level = ""
    return version


@contextlib.contextmanager
def _committed(conn: Connection) -> Iterator[Connection]:
    """Commit what the block wrote, or roll it all back when it raises."""
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


class HistoryStore:
    """The run history at ``location``: a SQLite file path or a ``postgresql://`` URL.

    ``path`` is the location as messages and results may show it (a URL's password masked).
    """

    def __init__(self, location: str = DEFAULT_PATH):
        self.location = location
        self.dialect_name = "postgresql" if is_postgres(location) else "sqlite"
        self.path = redact(location)
        self._tx: Optional[Connection] = None
        # PostgreSQL: one connection kept for the store's life (a login costs more than most writes)
        self._kept: Optional[Connection] = None

    # ------------------------------------------------------------------------ connections

    def _open(self) -> Connection:
        if self.dialect_name == "postgresql":
            if self._kept is not None and self._kept.idle():
                return self._kept
            self._drop_kept()
            conn = connect_postgres(self.location)
        else:
            parent = os.path.dirname(os.path.abspath(self.location))
            os.makedirs(parent, exist_ok=True)
            conn = connect_sqlite(self.location)
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        if self.dialect_name == "postgresql":
            self._kept = conn
        return conn

    def _release(self, conn: Connection) -> None:
        """Close a SQLite connection; keep the PostgreSQL one while it is healthy and idle."""
        if conn is not self._kept:
            conn.close()
        elif not conn.idle():
            self._drop_kept()

    def _drop_kept(self) -> None:
        if self._kept is not None:
            with contextlib.suppress(Exception):
                self._kept.close()
            self._kept = None

    def close(self) -> None:
        """Close the connection a PostgreSQL store keeps (SQLite keeps none)."""
        self._drop_kept()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Connection]:
        """The open transaction's connection, or a fresh one committed on success."""
        if self._tx is not None:
            yield self._tx
            return
        conn = self._open()
        try:
            with _committed(conn):
                yield conn
        finally:
            self._release(conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["HistoryStore"]:
        """Every write inside the block commits together or not at all."""
        if self._tx is not None:  # nested: part of the outer transaction
            yield self
            return
        conn = self._open()
        self._tx = conn
        try:
            with _committed(conn):
                yield self
        finally:
            self._tx = None
            self._release(conn)

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Dict[str, Any]]:
        """Rows of a read query as dicts; an empty list when a SQLite file does not exist yet."""
        if self._tx is None and self.dialect_name == "sqlite" and not os.path.exists(self.location):
            return []
        with self._connection() as conn:
            return [dict(r) for r in conn.execute(sql, tuple(params)).fetchall()]

    def json_text(self, column: str, dotted: str) -> str:
        """SQL for the text of field ``dotted`` (``model.name``) of the JSON column ``column``."""
        from mlmon.store.backends import POSTGRES

        return (POSTGRES if self.dialect_name == "postgresql" else SQLITE).json_text(column, dotted)

    def schema_version(self) -> int:
        """The latest migration applied to this store (migrating it first)."""
        with self._connection() as conn:
            return _applied_version(conn)

    def _insert_run(self, conn: Connection, kind: str, result: Dict[str, Any],
                    created_at: Optional[float] = None, identity: Optional[Dict[str, Any]] = None,
                    **columns: Any) -> int:
        """One ``runs`` row; its model, version and period from ``identity`` where given, else
        from what ``result`` says of itself (:func:`mlmon.store.rows.run_identity`)."""
        from mlmon.store.rows import run_identity

        columns = {**run_identity(kind, result, identity), **columns}
        names = ["kind", "created_at", "result_json", *columns]
        values = [kind, time.time() if created_at is None else created_at, json.dumps(result), *columns.values()]
        return conn.insert(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)

    def _identity_of(self, conn: Connection, run_id: int) -> Tuple[Any, ...]:
        row = conn.execute("SELECT model, version, period_start, period_end FROM runs WHERE id=?", (run_id,)).fetchone()
        return (row["model"], row["version"], row["period_start"], row["period_end"])

    # ------------------------------------------------------------------------ drift

    def append_drift(self, result: Dict[str, Any], created_at: Optional[float] = None,
                     identity: Optional[Dict[str, Any]] = None) -> int:
        """Record one drift result (its ``to_dict()``); returns the run id. ``identity``: the
        model, version and data period, where the caller knows them better than the result."""
        with self._connection() as conn:
            run_id = self._insert_run(
                conn, "drift", result, created_at, identity,
                reference_path=result["reference"]["path"],
                current_path=result["current"]["path"],
                reference_rows=result["reference"]["rows"],
                current_rows=result["current"]["rows"],
                dataset_drift=int(result["dataset_drift"]),
                drift_share=result["drift_share"],
                severity=result["severity"],
            )
            rows = []
            for name, c in result["columns"].items():
                rows.append((run_id, name, c["role"], c["type"], c["method"], c["score"], c["threshold"], int(c["drifted"])))
            for key in ("target_drift", "prediction_drift"):
                c = result.get(key)
                if c:
                    rows.append((run_id, c["column"], c["role"], c["type"], c["method"], c["score"], c["threshold"], int(c["drifted"])))
            ident = self._identity_of(conn, run_id)
            conn.executemany(
                "INSERT INTO drift_columns (run_id, column_name, role, type, method, score, threshold, drifted,"
                " model, version, period_start, period_end) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(*r, *ident) for r in rows])
        return run_id

    def drift_runs(self, limit: int = 50) -> List[Dict[str, Any]]:
        """Most recent drift runs first."""
        return self.query(
            "SELECT id, created_at, reference_path, current_path, dataset_drift, drift_share, severity"
            " FROM runs WHERE kind='drift' ORDER BY created_at DESC, id DESC LIMIT ?",
            (limit,),
        )

    def column_scores(self, run_id: int) -> Dict[str, Dict[str, Any]]:
        rows = self.query("SELECT * FROM drift_columns WHERE run_id=?", (run_id,))
        return {r["column_name"]: r for r in rows}

    # ------------------------------------------------------------------------ performance

    def append_metrics(self, result: Dict[str, Any], metric_rows: Iterable[Dict[str, Any]],
                       created_at: Optional[float] = None, identity: Optional[Dict[str, Any]] = None,
                       **run_columns: Any) -> int:
        """Record one performance run: the result in ``runs`` and one ``ml_metrics`` row per
        dict in ``metric_rows`` (keys: timestamp, window_end, model, version, window, metric,
        value, lower, upper, kind, n, severity, known_at; missing keys are NULL, a missing model
        or version is the run's). Returns the run id."""
        keys = ("timestamp", "window_end", "model", "version", "window", "metric", "value", "lower", "upper", "kind",
                "n", "severity", "known_at")
        columns = ", ".join(f'"{k}"' if k == "window" else k for k in keys)
        with self._connection() as conn:
            run_id = self._insert_run(conn, "perf", result, created_at, identity, **run_columns)
            model, version, _, _ = self._identity_of(conn, run_id)
            fallback = {"model": model, "version": version}
            conn.executemany(
                f"INSERT INTO ml_metrics (run_id, {columns}) VALUES (?, {', '.join('?' * len(keys))})",
                [(run_id, *(row.get(k) if row.get(k) is not None else fallback.get(k) for k in keys))
                 for row in metric_rows],
            )
        return run_id

    def metric_rows_since(self, model: Optional[str], since: str) -> List[Dict[str, Any]]:
        """``ml_metrics`` rows of ``model`` for windows starting at ``since`` or later, in the
        order they were written (estimated beside realized: what estimate-vs-label checks read)."""
        return self.query(
            "SELECT timestamp, metric, value, lower, upper, kind, n, known_at FROM ml_metrics"
            " WHERE model = ? AND timestamp >= ? ORDER BY run_id", (model, since))

    def metric_counts(self, model: Optional[str], since: str) -> Dict[Tuple[str, str], Optional[int]]:
        """``(window start, kind) -> n`` of the latest ``ml_metrics`` rows of ``model`` for windows
        starting at ``since`` or later: what a run with late labels compares its counts with to
        record only what changed."""
        rows = self.query(
            "SELECT timestamp, kind, n FROM ml_metrics WHERE model = ? AND timestamp >= ? ORDER BY run_id",
            (model, since))
        return {(r["timestamp"], r["kind"]): r["n"] for r in rows}

    # ------------------------------------------------------------------------ alerting

    def append_scheduled(self, result: Dict[str, Any], created_at: Optional[float] = None) -> int:
        """Record one scheduled run (``mlmon run``): its summary, alerts and observations."""
        with self._connection() as conn:
            return self._insert_run(
                conn, "scheduled", result, created_at,
                reference_path=result["reference"]["path"], current_path=result["current"]["path"],
                reference_rows=result["reference"]["rows"], current_rows=result["current"]["rows"],
                severity=result["severity"],
            )

    def append_failed(self, error: str, identity: Dict[str, Any], config: Optional[str] = None,
                      created_at: Optional[float] = None) -> int:
        """Record that a scheduled run stopped before recording anything (kind ``failed``): its
        model, data period and one-line error, so a watcher can say so. Nothing else is written."""
        with self._connection() as conn:
            return self._insert_run(conn, "failed", {"error": error, "config": config}, created_at, identity,
                                    severity="failed")

    def lock_alert_state(self) -> None:
        """Inside ``transaction()``: take the write lock of the alert state before reading it (SQLite:
        the database's; PostgreSQL: the table's), so a concurrent run waits for this one's commit
        instead of deciding from the same old state."""
        with self._connection() as conn:
            conn.execute(conn.dialect.lock("alert_state"))

    def alert_states(self) -> Dict[str, Dict[str, Any]]:
        """Every rule's stored state by dedup key."""
        return {r["key"]: r for r in self.query("SELECT * FROM alert_state")}

    def save_alert_state(self, state: Dict[str, Any], run_id: Optional[int] = None) -> None:
        """Insert or replace one rule's state (keys: the ``alert_state`` columns)."""
        cols = ("key", "model", "rule", "tier", "consecutive", "clean", "firing", "notified", "started_at",
                "last_fired_at", "last_value", "threshold", "updated_at")
        values = [state.get(c) for c in cols]
        values[cols.index("clean")] = int(state.get("clean") or 0)
        values[cols.index("firing")] = int(bool(state.get("firing")))
        values[cols.index("notified")] = int(bool(state.get("notified")))
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO alert_state ({', '.join(cols)}, run_id) VALUES ({', '.join('?' * len(cols))}, ?)"
                f" ON CONFLICT (key) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols[1:])},"
                " run_id = excluded.run_id", (*values, run_id))

    def delete_alert_state(self, key: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM alert_state WHERE key=?", (key,))

    def notified_channels(self) -> Dict[str, List[str]]:
        """Alert key -> the channels any message of it was queued for."""
        out: Dict[str, List[str]] = {}
        for r in self.query("SELECT DISTINCT alert_key, channel FROM notifications ORDER BY alert_key, channel"):
            out.setdefault(r["alert_key"], []).append(r["channel"])
        return out

    def append_alert_event(self, key: str, status: str, value: Optional[float], threshold: Optional[float],
                           created_at: float, run_id: Optional[int] = None,
                           period: Tuple[Optional[str], Optional[str]] = (None, None)) -> None:
        """One alert transition; its model, condition and tier come from the dedup key, its data
        period from ``period`` (else from the run's)."""
        model, rule, tier = split_alert_key(key)
        with self._connection() as conn:
            if period == (None, None) and run_id is not None:
                period = self._identity_of(conn, run_id)[2:]
            conn.execute("INSERT INTO alert_events (run_id, key, status, value, threshold, created_at, model, rule, tier,"
                         " period_start, period_end) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (run_id, key, status, value, threshold, created_at, model, rule, tier, *period))

    def enqueue_notification(self, alert_key: str, channel: str, payload: Dict[str, Any],
                             created_at: float, run_id: Optional[int] = None) -> int:
        """Put one message in the outbox (status ``pending``); returns its id."""
        with self._connection() as conn:
            return conn.insert(
                "INSERT INTO notifications (run_id, alert_key, channel, payload_json, status, created_at)"
                " VALUES (?,?,?,?, 'pending', ?)",
                (run_id, alert_key, channel, json.dumps(payload, allow_nan=False), created_at))

    def pending_notifications(self) -> List[Dict[str, Any]]:
        """Undelivered messages, oldest first, with ``payload`` decoded."""
        rows = self.query("SELECT * FROM notifications WHERE status='pending' ORDER BY id")
        for r in rows:
            r["payload"] = json.loads(r["payload_json"])
        return rows

    def claim_notification(self, notification_id: int, now: float, lease: float) -> bool:
        """Take a pending message for delivery until ``now + lease``; False when it is sent
        already or another run holds it."""
        with self._connection() as conn:
            cur = conn.execute(
                "UPDATE notifications SET claimed_until=? WHERE id=? AND status='pending'"
                " AND (claimed_until IS NULL OR claimed_until <= ?)", (now + lease, notification_id, now))
            return cur.rowcount == 1

    def mark_notification(self, notification_id: int, sent: bool, attempts: int,
                          error: Optional[str], at: float) -> None:
        """Record one delivery attempt and release the claim: ``sent`` closes the row, otherwise
        it stays pending."""
        with self._connection() as conn:
            conn.execute(
                "UPDATE notifications SET status=?, attempts=attempts+?, last_error=?, sent_at=?, claimed_until=NULL"
                " WHERE id=?",
                ("sent" if sent else "pending", attempts, error, at if sent else None, notification_id))

    # ------------------------------------------------------------------------ experiments

    def append_ab(self, result: Dict[str, Any], created_at: Optional[float] = None) -> int:
        """Record one A/B analysis (``AbResult.to_dict()``): the result in ``runs`` (kind ``ab``)
        and one ``ab_comparisons`` row per comparison (a stopped run records none). Returns the run id."""
        with self._connection() as conn:
            run_id = self._insert_run(conn, "ab", result, created_at,
                                      current_path=result["source"]["path"], current_rows=result["source"]["rows"],
                                      severity=result["recommendation"])
            srm_p = result["srm"]["p_value"]
            conn.executemany(
                "INSERT INTO ab_comparisons VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(run_id, result["experiment"], c["control"], c["treatment"], c["metric"], c["control_mean"],
                  c["treatment_mean"], c["lift"], c["lift_ci"][0], c["lift_ci"][1], c["p_value"],
                  int(c["significant"]), result["recommendation"], srm_p)
                 for c in result["comparisons"]])
        return run_id

    def latest_ab(self, experiment: Optional[str] = None) -> List[Dict[str, Any]]:
        """The comparisons of each experiment's latest analysis (or of ``experiment`` only), with
        the run's ``created_at``; experiments whose latest run stopped (SRM) have no rows here:
        read :meth:`ab_runs` for their verdict."""
        name = self.json_text("result_json", "experiment")
        latest = ("SELECT MAX(id) FROM runs WHERE kind='ab'"
                  + (f" AND {name} = ?" if experiment is not None else "")
                  + f" GROUP BY {name}")
        return self.query(
            "SELECT a.*, r.created_at FROM ab_comparisons a JOIN runs r ON r.id = a.run_id"
            f" WHERE a.run_id IN ({latest}) ORDER BY a.experiment, a.treatment, a.metric",
            (experiment,) if experiment is not None else ())

    def ab_runs(self, limit: int = 50) -> List[Dict[str, Any]]:
        """Most recent A/B runs first: id, created_at, path, recommendation, experiment."""
        rows = self.query(
            "SELECT id, created_at, current_path, severity AS recommendation, result_json FROM runs"
            " WHERE kind='ab' ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
        for r in rows:
            r["experiment"] = json.loads(r.pop("result_json")).get("experiment")
        return rows

    # ------------------------------------------------------------------------ diagnosis

    def append_diagnosis(self, result: Dict[str, Any], created_at: Optional[float] = None) -> int:
        """Record one root-cause diagnosis (its ``to_dict()``); ``severity`` holds the primary
        cause. Returns the run id."""
        with self._connection() as conn:
            return self._insert_run(conn, "diagnose", result, created_at, severity=result["primary_cause"])

    # ------------------------------------------------------------------------ reading by model and period
    # What ``mlmon history`` reads (:mod:`mlmon.services.history` shapes it): every query names
    # the model first, so it walks one of the (model, ...) indexes of migration 3, and a year of
    # history costs what its rows for that model and period cost. ``model`` None reads the rows
    # recorded without a model. Periods and window starts are ISO text (UTC when zoned), so a
    # bound ``[start_from, start_before)`` compares as text.

    def exists(self) -> bool:
        """False for a SQLite file that was never written (reading it must not create it)."""
        return self.dialect_name == "postgresql" or os.path.exists(self.location)

    @staticmethod
    def _model_is(model: Optional[str], column: str = "model") -> Tuple[str, Tuple[Any, ...]]:
        return (f"{column} IS NULL", ()) if model is None else (f"{column} = ?", (model,))

    @staticmethod
    def _among(column: str, names: Sequence[str]) -> Tuple[str, Tuple[Any, ...]]:
        return (f" AND {column} IN ({', '.join('?' * len(names))})", tuple(names)) if names else ("", ())

    @staticmethod
    def _between(column: str, start_from: Optional[str], start_before: Optional[str]) -> Tuple[str, Tuple[Any, ...]]:
        sql, params = "", ()
        if start_from is not None:
            sql, params = sql + f" AND {column} >= ?", params + (start_from,)
        if start_before is not None:
            sql, params = sql + f" AND {column} < ?", params + (start_before,)
        return sql, params

    def models(self) -> List[Optional[str]]:
        """Every model the history holds rows of (runs or metric rows), named ones sorted, then
        None when some rows have no model."""
        found = {r["model"] for r in self.query("SELECT DISTINCT model FROM runs")}
        found |= {r["model"] for r in self.query("SELECT DISTINCT model FROM ml_metrics")}
        return sorted(m for m in found if m is not None) + ([None] if None in found else [])

    def metric_rows_of(self, model: Optional[str], metrics: Sequence[str] = (), start_from: Optional[str] = None,
                       start_before: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every ``ml_metrics`` row of ``model`` (of ``metrics``, windows starting in the bounds):
        realized and estimated, each with the run that wrote it, in (metric, window start) order."""
        where, params = self._model_is(model)
        among, p2 = self._among("metric", metrics)
        between, p3 = self._between("timestamp", start_from, start_before)
        return self.query(
            "SELECT run_id, metric, timestamp, window_end, value, lower, upper, kind, n, severity, known_at"
            f" FROM ml_metrics WHERE {where}{among}{between} ORDER BY metric, timestamp, run_id",
            params + p2 + p3)

    def drift_column_rows_of(self, model: Optional[str], columns: Sequence[str] = (), start_from: Optional[str] = None,
                             start_before: Optional[str] = None) -> List[Dict[str, Any]]:
        """``drift_columns`` rows of ``model`` that have a data period, with the run's row count."""
        where, params = self._model_is(model, "d.model")
        among, p2 = self._among("d.column_name", columns)
        between, p3 = self._between("d.period_start", start_from, start_before)
        return self.query(
            "SELECT d.run_id, d.column_name, d.period_start, d.period_end, d.score, d.threshold, d.drifted,"
            " r.current_rows FROM drift_columns d JOIN runs r ON r.id = d.run_id"
            f" WHERE {where} AND d.period_start IS NOT NULL{among}{between}"
            " ORDER BY d.column_name, d.period_start, d.run_id", params + p2 + p3)

    def drift_share_rows_of(self, model: Optional[str], start_from: Optional[str] = None,
                            start_before: Optional[str] = None) -> List[Dict[str, Any]]:
        """Drift runs of ``model`` that have a data period: share, verdict, its threshold, rows."""
        where, params = self._model_is(model)
        between, p2 = self._between("period_start", start_from, start_before)
        threshold = self.json_text("result_json", "drift_share_threshold")
        return self.query(
            f"SELECT id AS run_id, period_start, period_end, drift_share, dataset_drift, current_rows,"
            f" {threshold} AS share_threshold FROM runs WHERE {where} AND kind = 'drift'"
            f" AND period_start IS NOT NULL{between} ORDER BY period_start, id", params + p2)

    def alert_event_rows_of(self, model: Optional[str], start_from: Optional[str] = None,
                            start_before: Optional[str] = None) -> List[Dict[str, Any]]:
        """Alert transitions of ``model`` that have a data period, oldest first."""
        where, params = self._model_is(model)
        between, p2 = self._between("period_start", start_from, start_before)
        return self.query(
            "SELECT id, key, rule, tier, status, value, threshold, period_start, period_end FROM alert_events"
            f" WHERE {where} AND period_start IS NOT NULL{between} ORDER BY id", params + p2)

    def firing_alerts(self, model: Optional[str]) -> List[Dict[str, Any]]:
        """The rules of ``model`` firing now (``alert_state``), by key."""
        where, params = self._model_is(model)
        return self.query("SELECT key, rule, tier, started_at, last_value, threshold FROM alert_state"
                          f" WHERE {where} AND firing = 1 ORDER BY key", params)

    def latest_run_of(self, model: Optional[str], kind: str) -> Optional[Dict[str, Any]]:
        """``model``'s run of ``kind`` with the latest data period (the last written among equals)."""
        where, params = self._model_is(model)
        rows = self.query(
            "SELECT id, version, period_start, period_end, severity, drift_share FROM runs"
            f" WHERE {where} AND kind = ? AND period_start IS NOT NULL"
            " ORDER BY period_start DESC, id DESC LIMIT 1", params + (kind,))
        return rows[0] if rows else None

    def drifted_columns(self, run_id: int) -> List[str]:
        return [r["column_name"] for r in self.query(
            "SELECT column_name FROM drift_columns WHERE run_id = ? AND drifted = 1 ORDER BY column_name", (run_id,))]

    def metric_names_of(self, model: Optional[str]) -> List[str]:
        where, params = self._model_is(model)
        return [r["metric"] for r in self.query(f"SELECT DISTINCT metric FROM ml_metrics WHERE {where} ORDER BY metric",
                                                params)]

    def latest_metric_row(self, model: Optional[str], metric: str, kind: str) -> Optional[Dict[str, Any]]:
        """The ``kind`` row of ``metric`` for ``model``'s latest window that has one (the latest
        known of that window)."""
        where, params = self._model_is(model)
        rows = self.query(
            "SELECT timestamp, window_end, value, lower, upper, n, known_at, run_id FROM ml_metrics"
            f" WHERE {where} AND metric = ? AND kind = ?"
            " ORDER BY timestamp DESC, COALESCE(known_at, '') DESC, run_id DESC LIMIT 1", params + (metric, kind))
        return rows[0] if rows else None

    def window_coverage(self, model: Optional[str]) -> List[Dict[str, Any]]:
        """Per window start of ``model``'s metric rows: whether a realized value exists, and the
        latest realized window end."""
        where, params = self._model_is(model)
        return self.query(
            "SELECT timestamp, MAX(CASE WHEN kind = 'realized' THEN 1 ELSE 0 END) AS realized,"
            " MAX(CASE WHEN kind = 'realized' THEN window_end END) AS realized_end"
            f" FROM ml_metrics WHERE {where} GROUP BY timestamp ORDER BY timestamp", params)

    # ------------------------------------------------------------------------ retention and copy

    # children of ``runs`` in the order a copy writes them (parents first); the tables whose ``id``
    # is an identity are copied with their ids
    COPIED_TABLES = ("runs", "drift_columns", "ml_metrics", "alert_state", "alert_events", "notifications",
                     "ab_comparisons")
    _IDENTITY_TABLES = ("runs", "alert_events", "notifications")

    def enforce_retention(self, days: int, now: float) -> Dict[str, int]:
        """Delete the runs whose data period ended more than ``days`` days before ``now`` (Unix
        seconds; a run without a period by its ``created_at``), with their drift columns, metric
        rows, A/B comparisons, alert transitions and delivered messages, in one transaction.
        The alert state (a rule may fire for longer than the retention) and undelivered messages
        stay, no longer pointing at the deleted run. Returns the rows deleted per table."""
        from datetime import datetime, timezone

        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise MlmonError(f"retention of {days!r} days", "storage.retention_days", "give a whole number of days, 1 or more")
        cutoff = now - days * 86400.0
        cutoff_iso = datetime.fromtimestamp(cutoff, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        old = ("SELECT id FROM runs WHERE (period_end IS NOT NULL AND period_end <= ?)"
               " OR (period_end IS NULL AND created_at < ?)")
        params = (cutoff_iso, cutoff)
        deleted: Dict[str, int] = {}
        with self.transaction():
            with self._connection() as conn:
                for table in ("drift_columns", "ml_metrics", "ab_comparisons", "alert_events"):
                    deleted[table] = conn.execute(f"DELETE FROM {table} WHERE run_id IN ({old})", params).rowcount
                deleted["notifications"] = conn.execute(
                    f"DELETE FROM notifications WHERE status = 'sent' AND run_id IN ({old})", params).rowcount
                conn.execute(f"UPDATE notifications SET run_id = NULL WHERE run_id IN ({old})", params)
                conn.execute(f"UPDATE alert_state SET run_id = NULL WHERE run_id IN ({old})", params)
                deleted["runs"] = conn.execute(f"DELETE FROM runs WHERE id IN ({old})", params).rowcount
        return deleted

    def row_counts(self) -> Dict[str, int]:
        """Rows per history table (the migration log aside)."""
        return {t: int(self.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]) for t in self.COPIED_TABLES}

    def copy_into(self, target: "HistoryStore", replace: bool = False, batch: int = 5000) -> Dict[str, int]:
        """Copy every row of this store into ``target`` (migrated to the latest version first),
        ids preserved (PostgreSQL: ``OVERRIDING SYSTEM VALUE``, then each identity restarts after
        the largest id copied), in ONE transaction of the target: a failure leaves it as it was.
        A target holding any row is refused unless ``replace``, which empties it in that same
        transaction. Returns the rows copied per table."""
        if target.dialect_name == self.dialect_name and target.location == self.location:
            raise MlmonError("the copy's target is its source", target.path, "name another store with --to")
        source_version = self.schema_version()  # migrates the source: both sides then have one schema
        counts: Dict[str, int] = {}
        with self.transaction(), target.transaction():
            with target._connection() as out:
                if _applied_version(out) != source_version:
                    raise MlmonError(f"the target is at schema version {_applied_version(out)}, the source at"
                                     f" {source_version}", target.path, "upgrade mlmon where the older one runs")
                held = {t: out.execute(f"SELECT COUNT(*) AS n FROM {t}").fetchone()["n"] for t in self.COPIED_TABLES}
                if any(held.values()) and not replace:
                    rows = ", ".join(f"{t} {n}" for t, n in held.items() if n)
                    raise MlmonError(f"the target history is not empty ({rows})", target.path,
                                     "copy into an empty database, or pass --force to replace what it holds")
                for table in reversed(self.COPIED_TABLES):  # children first: PostgreSQL checks the keys
                    out.execute(f"DELETE FROM {table}")
                with self._connection() as src:
                    for table in self.COPIED_TABLES:
                        counts[table] = self._copy_table(src, out, table, batch)
                for table in self._IDENTITY_TABLES:
                    if out.dialect is not SQLITE:  # SQLite's AUTOINCREMENT follows the largest id inserted
                        out.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                    f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
                copied = {t: out.execute(f"SELECT COUNT(*) AS n FROM {t}").fetchone()["n"] for t in self.COPIED_TABLES}
                if copied != counts:
                    raise MlmonError(f"the copy is incomplete ({copied} of {counts})", target.path,
                                     "nothing was written; run it again")
        return counts

    def _copy_table(self, src: Connection, out: Connection, table: str, batch: int) -> int:
        cursor = src.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cursor.description]
        quoted = ", ".join(f'"{n}"' for n in names)
        overriding = " OVERRIDING SYSTEM VALUE" if out.dialect is not SQLITE and table in self._IDENTITY_TABLES else ""
        sql = f"INSERT INTO {table} ({quoted}){overriding} VALUES ({', '.join('?' * len(names))})"
        total = 0
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return total
            out.executemany(sql, [tuple(r[n] for n in names) for r in rows])
            total += len(rows)
