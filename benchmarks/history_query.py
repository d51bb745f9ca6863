"""What reading the history costs: ``mlmon history --summary`` and ``mlmon history --metric
accuracy`` on a SQLite history of 3 models, after 90 days and after a year.

The history is written through the store's API as ``mlmon run`` writes it, one transaction per
model and day: a scheduled run, a drift run of 25 columns (with its drift share), and a
performance run holding today's window as estimated and the window 20 days back as realized
(labels 20 days late) for five metrics; an alert transition every 10th day. A year is 3,285 runs,
27,375 drift-column rows and 10,950 metric rows.

Measured: each command as a user runs it (``python -m mlmon``, a new process: interpreter start
and imports included), median of ``--repeat`` runs; the service call alone in this process; and
SQLite's query plan for each read, which must name the (model, ...) indexes (a full scan of a
table fails the benchmark). Reading should grow with the rows of the model asked for, not with
the whole history.

    benchmarks/run history_query [--days 365] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from mlmon.services import history  # noqa: E402
from mlmon.store.history import HistoryStore  # noqa: E402
from mlmon.store.rows import day_period  # noqa: E402

MODELS = ("credit", "fraud", "churn")
METRICS = ("accuracy", "f1_score", "auc_roc", "precision", "recall")
COLUMNS = 25
LABEL_DELAY = 20
START = date(2025, 1, 1)


def drift_result(day: int, model_index: int) -> dict:
    share = 0.04 if day % 30 else 0.4
    return {"reference": {"path": "ref.parquet", "rows": 100_000}, "current": {"path": "cur.parquet", "rows": 20_000},
            "dataset_drift": share >= 0.3, "drift_share": share, "drift_share_threshold": 0.3,
            "severity": "critical" if share >= 0.3 else "healthy",
            "columns": {f"f{j}": {"role": "feature", "type": "numerical", "method": "wasserstein",
                                  "score": 0.001 * ((day * 7 + j + model_index) % 97), "threshold": 0.1,
                                  "drifted": (day + j) % 50 == 0} for j in range(COLUMNS)}}


def metric_rows(day: date, index: int) -> list:
    rows = []
    for kind, window in (("estimated", day), ("realized", day - timedelta(days=LABEL_DELAY))):
        start, end = day_period(window)
        for k, name in enumerate(METRICS):
            value = 0.9 - 0.01 * k - 0.0001 * (index % 50)
            rows.append({"timestamp": start, "window_end": end, "window": "1D", "metric": name, "value": value,
                         "lower": value - 0.02, "upper": value + 0.02, "kind": kind, "n": 20_000,
                         "severity": "healthy", "known_at": day_period(day)[1]})
    return rows


def write_days(store: HistoryStore, first: int, last: int) -> None:
    for i in range(first, last):
        day = START + timedelta(days=i)
        start, end = day_period(day)
        for m, model in enumerate(MODELS):
            identity = {"model": model, "version": "1", "period_start": start, "period_end": end}
            with store.transaction():
                run = store.append_scheduled({"model": {"name": model, "version": "1"}, "date": day.isoformat(),
                                              "reference": {"path": "ref.parquet", "rows": 100_000},
                                              "current": {"path": "cur.parquet", "rows": 20_000},
                                              "severity": "healthy"}, created_at=float(i))
                store.append_drift(drift_result(i, m), created_at=float(i), identity=identity)
                store.append_metrics({}, metric_rows(day, i), created_at=float(i), identity=identity)
                if i % 10 == 0:
                    store.append_alert_event(f"{model}/accuracy_drop/warning", "firing" if i % 20 else "resolved",
                                             0.06, 0.05, float(i), run)


def command_seconds(args: list, repeat: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts"))
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mlmon", "history", *args, "--format", "json"],
                              capture_output=True, env=env)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"mlmon history {' '.join(args)} failed: {proc.stderr.decode()}")
    return statistics.median(times)


def call_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def plans(path: str) -> list:
    """(query, SQLite's plan) of the reads the service makes for one model."""
    import sqlite3

    store = HistoryStore(path)
    probes = [
        ("metric rows", "SELECT * FROM ml_metrics WHERE model = 'credit' AND metric IN ('accuracy')"
                        " AND timestamp >= '2025-06-01' ORDER BY metric, timestamp, run_id"),
        ("latest metric", "SELECT * FROM ml_metrics WHERE model = 'credit' AND metric = 'accuracy' AND kind = 'realized'"
                          " ORDER BY timestamp DESC, COALESCE(known_at, '') DESC, run_id DESC LIMIT 1"),
        ("drift columns", "SELECT * FROM drift_columns d JOIN runs r ON r.id = d.run_id WHERE d.model = 'credit'"
                          " AND d.period_start IS NOT NULL AND d.column_name IN ('f1')"),
        ("latest run", "SELECT * FROM runs WHERE model = 'credit' AND kind = 'scheduled' AND period_start IS NOT NULL"
                       " ORDER BY period_start DESC, id DESC LIMIT 1"),
        ("coverage", "SELECT timestamp, MAX(kind) FROM ml_metrics WHERE model = 'credit' GROUP BY timestamp"),
    ]
    del store
    out = []
    with sqlite3.connect(path) as conn:
        for name, sql in probes:
            plan = "; ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
            out.append((name, plan))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mlmon-history-query-")
    path = os.path.join(folder, "history.db")
    store = HistoryStore(path)
    done = 0
    failed = False
    print(f"{'days':>5} {'runs':>6} {'metric rows':>11} {'MB':>6} | {'--summary':>10} {'--metric accuracy':>18} | "
          f"{'summary()':>10} {'points()':>10}")
    for days in sorted({min(90, args.days), args.days}):
        t = time.perf_counter()
        write_days(store, done, days)
        build = time.perf_counter() - t
        done = days
        counts = store.row_counts()
        summary_cmd = command_seconds(["--history", path, "--summary"], args.repeat)
        metric_cmd = command_seconds(["--history", path, "--model", "credit", "--metric", "accuracy"], args.repeat)
        summary_call = call_seconds(lambda: history.summary(store), args.repeat)
        points_call = call_seconds(lambda: history.points(store, "credit", ["accuracy"]), args.repeat)
        print(f"{days:>5} {counts['runs']:>6} {counts['ml_metrics']:>11} {os.path.getsize(path) / 1e6:>6.1f} | "
              f"{summary_cmd * 1000:>8.0f}ms {metric_cmd * 1000:>16.0f}ms | {summary_call * 1000:>8.1f}ms "
              f"{points_call * 1000:>8.1f}ms   (history written in {build:.0f} s)")
    print("\nquery plans (SQLite):")
    for name, plan in plans(path):
        print(f"  {name}: {plan}")
        if "SCAN" in plan and "USING" not in plan and "COVERING" not in plan:
            failed = True
    startup = command_seconds(["--history", os.path.join(folder, "none.db"), "--summary"], args.repeat)
    print(f"\nthe command on a missing store (start-up and imports only): {startup * 1000:.0f} ms")
    if failed:
        raise SystemExit("a read scans a whole table")


if __name__ == "__main__":
    main()
