"""Benchmark: what each command path pays in imports before it does any work.

A run should import only what the tests it runs need (a two-file drift check with the default
tests needs no ``scipy.stats``, no Evidently, no Dask, no DataSketches). For each command path
this runs ``python -X importtime -m mlmon ...`` on small files made here, adds up the
interpreter's own per-module import times, and prints the total, the heaviest top-level
packages and which of the heavy optional packages were loaded; then the same for
``import evidently`` with its report and presets (what a user of the peer tool pays before its
first line of work), and the ratio.

    benchmarks/run import_time [--repeat K]

Import times are the median of K runs (default 5); the machine may be shared, so read the ratios
and the package lists, not the absolute milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAVY = ("scipy.stats", "evidently", "dask", "datasketches", "sklearn", "psycopg")
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)")


def make_inputs(folder: str) -> dict:
    """Small inputs for every command path. 5,000 rows: above Evidently's 1,000-row switch, so the
    drift check chooses its large-sample default tests (wasserstein, jensenshannon); 400 and 300
    rows for the small-sample ones (ks, chisquare, z). Neither needs scipy; the work itself stays
    negligible."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 5000
    ts = pd.Timestamp("2026-11-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 4 * 86400, n), unit="s")
    frame = lambda shift: pd.DataFrame({  # noqa: E731
        "x": rng.normal(shift, 1, n), "y": rng.exponential(1, n), "c": rng.choice(["a", "b", "c"], n),
        "label": rng.integers(0, 2, n), "score": rng.random(n), "ts": ts,
    })
    paths = {name: os.path.join(folder, f"{name}.parquet") for name in ("ref", "cur", "small_ref", "small_cur")}
    frame(0.0).to_parquet(paths["ref"])
    frame(0.5).to_parquet(paths["cur"])
    # at most 1,000 rows a side: Evidently's small-sample defaults (ks, chisquare, z)
    frame(0.0).iloc[:400].to_parquet(paths["small_ref"])
    frame(0.5).iloc[:300].to_parquet(paths["small_cur"])
    events = pd.DataFrame({"arm": rng.choice(["control", "treatment"], 2000), "converted": rng.integers(0, 2, 2000)})
    paths["events"] = os.path.join(folder, "events.parquet")
    events.to_parquet(paths["events"])
    paths["config"] = os.path.join(ROOT, "assets", "config.yaml")
    paths["profile"] = os.path.join(folder, "ref.mlprofile")
    subprocess.run([sys.executable, "-m", "mlmon", "profile", paths["ref"], "--out", paths["profile"]],
                   env=_env(), cwd=folder, check=True, capture_output=True)
    return paths


def command_paths(p: dict) -> dict:
    return {
        "--help": ["--help"],
        "validate": ["validate", p["config"]],
        "methods": ["methods"],
        "drift (rows, default tests)": ["drift", p["ref"], p["cur"], "--exclude", "ts", "--no-history"],
        "drift (small: ks, chisquare, z)": ["drift", p["small_ref"], p["small_cur"], "--exclude", "ts",
                                                  "--no-history"],
        "drift --window 1D": ["drift", p["ref"], p["cur"], "--timestamp", "ts", "--window", "1D", "--no-history"],
        "drift (against a profile)": ["drift", p["profile"], p["cur"], "--exclude", "ts", "--no-history"],
        "perf": ["perf", p["cur"], "--task", "binary", "--target", "label", "--proba", "score", "--no-history"],
        "ab analyze": ["ab", "analyze", p["events"], "--variant-col", "arm", "--metric-col", "converted",
                       "--control", "control", "--no-history"],
        "diagnose": ["diagnose", "--reference", p["ref"], "--current", p["cur"], "--target", "label", "--proba",
                     "score", "--no-history"],
    }


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "scripts") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def import_profile(argv: list, cwd: str) -> dict:
    """Total import seconds, the top-level packages by cumulative time, and the modules loaded."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], env=_env(), cwd=cwd,
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    total, top, modules = 0, {}, set()
    for line in proc.stderr.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        self_us, cumulative_us, indent, name = int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)
        total += self_us
        modules.add(name)
        if indent <= 1:  # imported from the program itself, not by another module
            root = name.split(".")[0]
            top[root] = top.get(root, 0) + cumulative_us
    return {"seconds": total / 1e6, "top": top, "modules": modules}


def measure(argv: list, cwd: str, repeat: int) -> dict:
    runs = [import_profile(argv, cwd) for _ in range(repeat)]
    best = runs[-1]
    return {"seconds": statistics.median(r["seconds"] for r in runs), "top": best["top"], "modules": best["modules"]}


def main(args=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ns = ap.parse_args(args)
    with tempfile.TemporaryDirectory() as folder:
        paths = make_inputs(folder)
        peer = measure(["-c", "import evidently; from evidently import Report; from evidently.presets import "
                              "DataDriftPreset"], folder, ns.repeat)
        print(f"imports per command path (median of {ns.repeat}); peer: `import evidently` + Report + "
              f"DataDriftPreset = {peer['seconds']:.3f} s\n")
        print(f"{'command path':<30} {'imports':>9} {'peer/this':>10}  heavy optional packages loaded   "
              "heaviest top-level imports")
        rows = {}
        for name, argv in command_paths(paths).items():
            m = measure(["-m", "mlmon", *argv], folder, ns.repeat)
            heavy = [h for h in HEAVY if any(mod == h or mod.startswith(h + ".") for mod in m["modules"])] or ["none"]
            top = sorted(m["top"].items(), key=lambda kv: -kv[1])[:3]
            print(f"{name:<30} {m['seconds']:>8.3f}s {peer['seconds'] / m['seconds']:>9.1f}x  "
                  f"{', '.join(heavy):<32} {', '.join(f'{k} {v / 1e6:.2f}s' for k, v in top)}")
            rows[name] = {"seconds": m["seconds"], "heavy": heavy}
        if os.environ.get("MLMON_BENCH_JSON"):
            print(json.dumps({"peer_seconds": peer["seconds"], "paths": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
