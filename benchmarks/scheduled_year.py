"""``mlmon run`` time per day as the history grows to a year, on SQLite and on PostgreSQL.

The scenario is ``tests/late_labels_scenario.py``: a credit model with 300 predictions a day
whose labels come 20 days later (``data.labels``), so every run reads 41 days of predictions and
label files, records realized metrics for the window whose labels arrived and an estimate for
its own day, steps the alert rules and writes one transaction. The days are replayed in order
(``mlmon run --date``, in process, as a scheduler would call it); the benchmark prints the median
time per run over the 30 days after the lookback is first full (days 42-71) and over the last 30,
and their ratio: a run must not get slower as the history grows (ratio near 1). PostgreSQL is a private server from Debian's
``postgresql`` package with ``fsync`` off (the store's cost, not a disk's).

    benchmarks/run scheduled_year [--days 365] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import late_labels_scenario as scenario  # noqa: E402
from mlmon.services.scheduled import RunSettings, run_scheduled  # noqa: E402


def replay(config: str, history: str, days: int):
    """``history``: a SQLite path, or a PostgreSQL URL (passed as ``MLMON_DB_URL``: a URL with a
    password is never taken from the command line)."""
    times = []
    given, env = (None, {"MLMON_DB_URL": history}) if "://" in history else (history, {})
    for day in scenario.dates(days):
        start = time.perf_counter()
        run_scheduled(RunSettings(config, date=day, history=given, env=env))
        times.append(time.perf_counter() - start)
    return times


FULL = 41  # from this day on every run reads the whole lookback (label delay 20 days and a margin as long)


def report(name: str, times) -> None:
    window = min(30, (len(times) - FULL) // 2)
    first, last = statistics.median(times[FULL:FULL + window]), statistics.median(times[-window:])
    print(f"{name:<11} {len(times)} days: median per run, days {FULL + 1}-{FULL + window}: {first * 1000:.0f} ms; "
          f"last {window}: {last * 1000:.0f} ms; last/first = {last / first:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config, _ = scenario.write(folder, days=args.days)
        if args.only != "postgresql":
            report("sqlite", replay(config, os.path.join(folder, "history.db"), args.days))
        if args.only != "sqlite":
            import postgres_server

            server = postgres_server.start_or_skip()
            try:
                report("postgresql", replay(config, server.create_database(), args.days))
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
