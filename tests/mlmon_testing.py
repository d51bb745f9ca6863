"""Test helpers: run the CLI in-process or as a real process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        def no_constants(name):
            raise AssertionError(f"non-strict JSON constant {name}")

        return json.loads(self.out, parse_constant=no_constants)


def run_mlmon(*args: str) -> Run:
    """Run ``mlmon ARGS`` in this process (fast) and capture what it prints."""
    from mlmon.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return Run(code, out.getvalue(), err.getvalue())


def run_mlmon_process(*args: str, cwd=None) -> Run:
    """Run ``python -m mlmon ARGS`` as a real process (exit codes, stray warnings)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "scripts") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "mlmon", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def write_pair(folder, reference, current):
    """Two frames as ``ref.parquet`` and ``cur.parquet`` in ``folder``; their paths."""
    r, c = Path(folder) / "ref.parquet", Path(folder) / "cur.parquet"
    reference.to_parquet(r, index=False)
    current.to_parquet(c, index=False)
    return r, c


def drift_json(*args):
    """``mlmon drift ARGS --format json --no-history`` that must succeed: its result."""
    run = run_mlmon("drift", *args, "--format", "json", "--no-history")
    assert run.code == 0, run.err
    return run.json()


def drift_error(*args):
    """``mlmon drift ARGS --no-history`` that must fail as bad input: one line, exit 2."""
    run = run_mlmon("drift", *args, "--no-history")
    assert run.code == 2, (run.code, run.out)
    assert run.out == "" and run.err.count("\n") == 1 and run.err.startswith("mlmon: error: ")
    return run.err
