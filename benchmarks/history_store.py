"""The history store's write cost: SQLite file against a PostgreSQL server on this machine.

For each database: drift runs of 25 columns appended one by one (each its own transaction and
connection, as ``mlmon drift`` does), then the same from two processes at once (as two scheduled
jobs), and ``mlmon run``'s reads (the alert state, the outbox). Prints runs per second and the
PostgreSQL / SQLite ratio. The PostgreSQL server is a private one started for the run from
Debian's ``postgresql`` package (``initdb`` + ``pg_ctl``), with ``fsync`` off: it measures the
store's own cost, not a disk's.

    benchmarks/run history_store [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))  # the tests' throwaway PostgreSQL server

from mlmon.store.history import HistoryStore  # noqa: E402

COLUMNS = 25
WRITER = """
import sys
from mlmon.store.history import HistoryStore
from history_store import drift_result
store = HistoryStore(sys.argv[1])
for i in range(int(sys.argv[2])):
    store.append_drift(drift_result(i))
"""


def drift_result(i: int) -> dict:
    return {"reference": {"path": "ref.parquet", "rows": 100_000}, "current": {"path": f"cur-{i}.parquet", "rows": 20_000},
            "dataset_drift": False, "drift_share": 0.04, "severity": "healthy",
            "columns": {f"f{j}": {"role": "feature", "type": "numerical", "method": "wasserstein", "score": 0.01 * j,
                                  "threshold": 0.1, "drifted": False} for j in range(COLUMNS)}}


def serial(location: str, runs: int) -> float:
    store = HistoryStore(location)
    store.schema_version()
    start = time.perf_counter()
    for i in range(runs):
        store.append_drift(drift_result(i))
    return runs / (time.perf_counter() - start)


def two_processes(location: str, runs: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "scripts"), os.path.dirname(__file__)]))
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, location, str(runs)], env=env) for _ in range(2)]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("a writer process failed")
    elapsed = time.perf_counter() - start
    got = HistoryStore(location).query("SELECT COUNT(*) AS n FROM runs")[0]["n"]
    return 2 * runs / elapsed, got


def reads(location: str, repeat: int = 50) -> float:
    store = HistoryStore(location)
    start = time.perf_counter()
    for _ in range(repeat):
        store.alert_states()
        store.pending_notifications()
        store.drift_runs(7)
    return repeat / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="drift runs per writer (default 200)")
    args, _ = parser.parse_known_args()

    import postgres_server

    folder = postgres_server.bindir()
    if folder is None:
        print("history_store: skipped, PostgreSQL server binaries not found (Debian package postgresql)")
        return 0
    server = postgres_server.PostgresServer(folder).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stores = {"sqlite": (os.path.join(tmp, "a.db"), os.path.join(tmp, "b.db")),
                      "postgresql": (server.create_database(), server.create_database())}
            rows = {}
            for name, (one, two) in stores.items():
                rate = serial(one, args.runs)
                both, count = two_processes(two, args.runs)
                rows[name] = (rate, both, count, reads(one))
    finally:
        server.stop()
    print(f"history store: drift runs of {COLUMNS} columns, {args.runs} per writer; PostgreSQL "
          f"{os.path.basename(os.path.dirname(folder))} on 127.0.0.1 (fsync off)")
    print(f"{'store':<12}{'1 writer runs/s':>17}{'2 writers runs/s':>18}{'rows kept':>11}{'reads/s':>10}")
    for name, (rate, both, count, read) in rows.items():
        print(f"{name:<12}{rate:>17.1f}{both:>18.1f}{count:>6}/{2 * args.runs:<4}{read:>10.1f}")
    lite, pg = rows["sqlite"], rows["postgresql"]
    print(f"ratio PostgreSQL / SQLite: 1 writer {pg[0] / lite[0]:.2f}, 2 writers {pg[1] / lite[1]:.2f}, "
          f"reads {pg[3] / lite[3]:.2f}")
    return 0 if all(r[2] == 2 * args.runs for r in rows.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
