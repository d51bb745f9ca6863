"""``mlmon demo``: the drift check, performance per day and a diagnosis on built-in demo data."""

from __future__ import annotations

import os
import shlex
from typing import List

from mlmon.cli.common import add_common, check_output_paths, emit, record


def register(sub) -> None:
    p = sub.add_parser("demo", help="drift, performance and a diagnosis on built-in demo data",
                       description="Write a card-fraud model's labeled reference month and a current period in "
                                   "which an upstream unit change broke it, then run the drift check, performance "
                                   "per day against the reference, and the root-cause diagnosis on them.")
    add_common(p)
    p.add_argument("--out-dir", metavar="DIR", default=os.path.join(".mlmon", "demo"),
                   help="where the demo parquet files go (default .mlmon/demo)")
    p.add_argument("--no-history", action="store_true", help="do not record this run")
    p.set_defaults(func=run_demo)


def run_demo(args) -> int:
    from mlmon.io.tables import read_table
    from mlmon.services.demo import demo_checks, demo_paths, write_demo_data
    from mlmon.services.recording import record_diagnosis, record_drift, record_performance

    check_output_paths(args, demo_paths(args.out_dir), flags=("--output",))
    ref_path, cur_path = write_demo_data(args.out_dir)
    data = demo_checks(read_table(ref_path, role="reference"), read_table(cur_path, role="current")).to_dict()
    # recorded as the commands that compute each result record it
    record(data["drift"], args, record_drift)
    record(data["performance"], args, lambda store, d: record_performance(store, d, ref_path, cur_path))
    record(data["diagnosis"], args, record_diagnosis)
    emit(data, args, lambda d: _render(d, commands(ref_path, cur_path)))
    return 0


def commands(ref_path: str, cur_path: str) -> List[str]:
    """The command lines that give each of the demo's results on its files."""
    from mlmon.services.demo import DEMO_PREDICTION, DEMO_TARGET, DEMO_TIMESTAMP, DEMO_WINDOW

    ref, cur = shlex.quote(ref_path), shlex.quote(cur_path)
    return [
        f"mlmon drift {ref} {cur} --target {DEMO_TARGET} --prediction {DEMO_PREDICTION} --timestamp {DEMO_TIMESTAMP} "
        f"--window {DEMO_WINDOW}",
        f"mlmon perf {cur} --reference {ref} --task binary --target {DEMO_TARGET} --proba {DEMO_PREDICTION} "
        f"--timestamp {DEMO_TIMESTAMP} --window {DEMO_WINDOW}",
        f"mlmon diagnose --reference {ref} --current {cur} --target {DEMO_TARGET} --proba {DEMO_PREDICTION} "
        f"--timestamp {DEMO_TIMESTAMP}",
    ]


def _render(data: dict, lines: List[str]) -> str:
    from mlmon.render.demo import demo_report

    return demo_report(data, lines)
