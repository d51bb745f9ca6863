"""Wall time of the config guard hook process (hooks/config_guard), as Claude Code runs it: one
process per Write/Edit/MultiEdit, the event JSON on stdin.

Three paths, 100 invocations each (--runs): a Write of an unrelated file (the common case, which
must stay cheap: target under 50 ms median), a Write of an unrelated file whose text names
monitoring.yaml (the shell filter lets it through; Python rules it out with the standard library)
and a Write of a valid monitoring config (assets/config.yaml), validated in the hook's Python
environment. Prints median and
p95 per path. The hook environment is built first if missing (scripts/requirements-hook.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "hooks" / "config_guard"


def payload(cwd: Path, name: str, content: str) -> bytes:
    return json.dumps({
        "session_id": "bench", "transcript_path": str(cwd / "t.jsonl"), "cwd": str(cwd),
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Write",
        "tool_input": {"file_path": str(cwd / name), "content": content}, "tool_use_id": "toolu_bench",
    }).encode()


def timed_runs(stdin: bytes, cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([str(HOOK)], input=stdin, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0 or proc.stdout.strip():
            sys.exit(f"the hook did not allow silently: exit {proc.returncode}, stdout {proc.stdout[:300]!r}")
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args, _ = parser.parse_known_args()  # benchmarks/run passes every script the same arguments
    subprocess.run(["sh", "-c", '. "$1/scripts/env.sh"; mlmon_ensure_env "$1" scripts/requirements-hook.txt',
                    "sh", str(ROOT)], check=True, stdin=subprocess.DEVNULL)
    config = (ROOT / "assets" / "config.yaml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        cases = [
            ("unrelated file (train.py)", payload(cwd, "train.py", "import numpy as np\n" * 200)),
            # passes the shell's cheap filter, so Python decides it is not a config
            ("unrelated file naming the config", payload(cwd, "README.md", "See monitoring.yaml.\n" * 50)),
            ("valid config (monitoring.yaml)", payload(cwd, "monitoring.yaml", config)),
        ]
        print(f"hooks/config_guard, {args.runs} invocations per path (wall time of the hook process)")
        for label, stdin in cases:
            times = timed_runs(stdin, cwd, args.runs)
            print(f"  {label:34s} median {statistics.median(times) * 1000:7.1f} ms   "
                  f"p95 {p95(times) * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
