"""The history store: every drift run appended to SQLite, so trends and timelines come from
real past runs.

Default location: ``.mlmon/history.db`` in the working directory. One row per run in ``runs``
(the whole result as JSON too, for anything not broken out), one row per tested column in
``drift_columns``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any, Dict, List, Optional

DEFAULT_PATH = os.path.join(".mlmon", "history.db")

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
CREATE INDEX IF NOT EXISTS runs_kind_time ON runs(kind, created_at);
"""


class HistoryStore:
    def __init__(self, path: str = DEFAULT_PATH):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.executescript(_SCHEMA)
        return conn

    def append_drift(self, result: Dict[str, Any], created_at: Optional[float] = None) -> int:
        """Record one drift result (its ``to_dict()``); returns the run id."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO runs (kind, created_at, reference_path, current_path, reference_rows, current_rows,"
                " dataset_drift, drift_share, severity, result_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    "drift",
                    time.time() if created_at is None else created_at,
                    result["reference"]["path"],
                    result["current"]["path"],
                    result["reference"]["rows"],
                    result["current"]["rows"],
                    int(result["dataset_drift"]),
                    result["drift_share"],
                    result["severity"],
                    json.dumps(result),
                ),
            )
            run_id = int(cur.lastrowid)
            rows = []
            for name, c in result["columns"].items():
                rows.append((run_id, name, c["role"], c["type"], c["method"], c["score"], c["threshold"], int(c["drifted"])))
            for key in ("target_drift", "prediction_drift"):
                c = result.get(key)
                if c:
                    rows.append((run_id, c["column"], c["role"], c["type"], c["method"], c["score"], c["threshold"], int(c["drifted"])))
            conn.executemany("INSERT INTO drift_columns VALUES (?,?,?,?,?,?,?,?)", rows)
        conn.close()
        return run_id

    def drift_runs(self, limit: int = 50) -> List[Dict[str, Any]]:
        """Most recent drift runs first."""
        if not os.path.exists(self.path):
            return []
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT id, created_at, reference_path, current_path, dataset_drift, drift_share, severity"
                " FROM runs WHERE kind='drift' ORDER BY created_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        conn.close()
        return [dict(r) for r in rows]

    def column_scores(self, run_id: int) -> Dict[str, Dict[str, Any]]:
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM drift_columns WHERE run_id=?", (run_id,)).fetchall()
        conn.close()
        return {r["column_name"]: dict(r) for r in rows}
