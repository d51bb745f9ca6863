"""The history store: every run appended to SQLite, so trends, alert state and timelines come
from real past runs.

Default location: ``.mlmon/history.db`` in the working directory. Tables:

- ``runs``: one row per run of any kind (``drift``, ``perf``, ``ab``, ...), the whole result
  as JSON too, for anything not broken out;
- ``drift_columns``: one row per tested column of a drift run;
- ``ml_metrics``: one row per (window, metric) of a performance run, realized or estimated,
  so "accuracy over the last 7 days" is one query.

Each area's section below owns its tables and methods. Writes made inside
``with store.transaction():`` share one SQLite transaction: a run interrupted half-way leaves
nothing of itself behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

DEFAULT_PATH = os.path.join(".mlmon", "history.db")

# Every table is created with IF NOT EXISTS, so an older database gains new tables on first use.
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
    window TEXT NOT NULL,           -- the window size, e.g. 1D, or chunk:N
    metric TEXT NOT NULL,
    value REAL,
    lower REAL,                     -- confidence interval / estimation band, where computed
    upper REAL,
    kind TEXT NOT NULL CHECK (kind IN ('realized', 'estimated')),
    n INTEGER
);
CREATE INDEX IF NOT EXISTS ml_metrics_metric_time ON ml_metrics(metric, timestamp);
"""


class HistoryStore:
    def __init__(self, path: str = DEFAULT_PATH):
        self.path = path
        self._tx: Optional[sqlite3.Connection] = None

    # ------------------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.executescript(_SCHEMA)
        return conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """The open transaction's connection, or a fresh one committed on success."""
        if self._tx is not None:
            yield self._tx
            return
        conn = self._open()
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["HistoryStore"]:
        """Every write inside the block commits together or not at all."""
        if self._tx is not None:  # nested: part of the outer transaction
            yield self
            return
        conn = self._open()
        self._tx = conn
        try:
            with conn:
                yield self
        finally:
            self._tx = None
            conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Dict[str, Any]]:
        """Rows of a read query as dicts; an empty list when the database does not exist yet."""
        if self._tx is None and not os.path.exists(self.path):
            return []
        with self._connection() as conn:
            return [dict(r) for r in conn.execute(sql, tuple(params)).fetchall()]

    def _insert_run(self, conn: sqlite3.Connection, kind: str, result: Dict[str, Any],
                    created_at: Optional[float] = None, **columns: Any) -> int:
        names = ["kind", "created_at", "result_json", *columns]
        values = [kind, time.time() if created_at is None else created_at, json.dumps(result), *columns.values()]
        cur = conn.execute(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
        return int(cur.lastrowid)

    # ------------------------------------------------------------------------ drift

    def append_drift(self, result: Dict[str, Any], created_at: Optional[float] = None) -> int:
        """Record one drift result (its ``to_dict()``); returns the run id."""
        with self._connection() as conn:
            run_id = self._insert_run(
                conn, "drift", result, created_at,
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
            conn.executemany("INSERT INTO drift_columns VALUES (?,?,?,?,?,?,?,?)", rows)
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
                       created_at: Optional[float] = None, **run_columns: Any) -> int:
        """Record one performance run: the result in ``runs`` and one ``ml_metrics`` row per
        dict in ``metric_rows`` (keys: timestamp, window_end, model, version, window, metric,
        value, lower, upper, kind, n; missing keys are NULL). Returns the run id."""
        keys = ("timestamp", "window_end", "model", "version", "window", "metric", "value", "lower", "upper", "kind", "n")
        with self._connection() as conn:
            run_id = self._insert_run(conn, "perf", result, created_at, **run_columns)
            conn.executemany(
                f"INSERT INTO ml_metrics (run_id, {', '.join(keys)}) VALUES (?, {', '.join('?' * len(keys))})",
                [(run_id, *(row.get(k) for k in keys)) for row in metric_rows],
            )
        return run_id
