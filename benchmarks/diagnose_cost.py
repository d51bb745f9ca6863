"""Benchmark: what a whole `mlmon diagnose` costs, against the drift check alone (`mlmon drift`)
and against Evidently's `Report([DataDriftPreset()])` on the same parquet files.

A diagnosis runs a drift check plus the performance, concept, pipeline, coverage, infrastructure
and change-event diagnostics; this shows what those add, and how a full root-cause analysis
compares with the drift report people otherwise start from. The data is the scenario suite's
generator (tests/rca_scenarios.py) scaled up, with one injected cause (income arrives x100), plus
its 5-minute infrastructure series and events file.

Each tool runs in its own process (interpreter start, imports, reading, computing, printing);
peak RSS is that process's own high-water mark.

    python benchmarks/diagnose_cost.py [--rows N] [--repeat K] [--data-dir DIR]

Exit status 0 when every run succeeded and the diagnosis names the injected cause, 2 otherwise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from drift_vs_evidently import run_checked  # noqa: E402  (same measuring for every benchmark)

GENERATOR_VERSION = 1
FEATURES = ["income", "tenure", "debt", "noise_a", "noise_b", "country"]


def ensure_data(data_dir: Path, rows: int) -> dict:
    import numpy as np
    import pandas as pd

    import rca_scenarios as rs

    base = data_dir / f"diagnose_v{GENERATOR_VERSION}_{rows}"
    files = {"ref": base.with_name(base.name + "_ref.parquet"), "cur": base.with_name(base.name + "_cur.parquet"),
             "infra": base.with_name(base.name + "_infra.csv"), "events": base.with_name(base.name + "_events.json")}
    if all(p.exists() for p in files.values()):
        return files
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20260301)
    model = rs.train(rng)

    def side(start, days, unit=1.0):
        f = rs.features(rng, rows)
        f["label"] = rs.labels(rng, f)
        f["income"] = f["income"] * unit
        f = rs.score(model, f)
        f["event_time"] = rs.times(rng, rows, start, days)
        return f

    side(rs.START, rs.REF_DAYS).to_parquet(files["ref"])
    side(rs.START + pd.Timedelta(days=rs.REF_DAYS), rs.CUR_DAYS, unit=100.0).to_parquet(files["cur"])
    rs.infra_series(rng).to_csv(files["infra"], index=False)
    files["events"].write_text(json.dumps(rs.BACKGROUND_EVENTS))
    return files


def evidently_child(ref_path: str, cur_path: str) -> None:
    import pandas as pd

    from evidently_oracle import evidently_drift  # the parity test reads Evidently the same way

    keep = FEATURES + ["label", "score"]
    t0 = time.perf_counter()
    out = evidently_drift(pd.read_parquet(ref_path, columns=keep), pd.read_parquet(cur_path, columns=keep))
    out["seconds"] = time.perf_counter() - t0
    json.dump({"drift_share": out.get("drift_share"), "seconds": out["seconds"]}, sys.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per side (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per tool, interleaved (medians reported)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--evidently-child", nargs=2, metavar=("REF", "CUR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.evidently_child:
        evidently_child(*args.evidently_child)
        return 0
    f = ensure_data(args.data_dir, args.rows)
    mlmon = str(ROOT / "bin" / "mlmon")
    roles = ["--target", "label", "--prediction", "predicted", "--proba", "score"]
    diagnose = [mlmon, "diagnose", "--reference", str(f["ref"]), "--current", str(f["cur"]), *roles,
                "--timestamp", "event_time", "--infra", str(f["infra"]), "--events", str(f["events"]),
                "--format", "json", "--no-history"]
    drift = [mlmon, "drift", str(f["ref"]), str(f["cur"]), "--target", "label", "--prediction", "score",
             "--exclude", "predicted,event_time", "--format", "json", "--no-history"]
    evidently = [sys.executable, str(Path(__file__).resolve()), "--evidently-child", str(f["ref"]), str(f["cur"])]
    runs = {"mlmon diagnose": [], "mlmon drift": [], "Evidently drift": []}
    for i in range(args.repeat):
        for name, cmd in (("mlmon diagnose", diagnose), ("mlmon drift", drift), ("Evidently drift", evidently)):
            runs[name].append(run_checked(name, cmd))
            print(f"run {i + 1}/{args.repeat}: {name} {runs[name][-1]['wall']:.2f} s, "
                  f"{runs[name][-1]['rss_mb']:.0f} MB", flush=True)
    wall = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
    rss = {k: max(r["rss_mb"] for r in v) for k, v in runs.items()}
    verdict = runs["mlmon diagnose"][-1]["result"]["primary_cause"]
    print(f"\n{args.rows:,} rows per side; diagnosis: {verdict}")
    for k in runs:
        print(f"{k:16s} {wall[k]:8.2f} s  {rss[k]:7.0f} MB")
    print(f"diagnose / mlmon drift     time x{wall['mlmon diagnose'] / wall['mlmon drift']:.2f}   "
          f"memory x{rss['mlmon diagnose'] / rss['mlmon drift']:.2f}")
    print(f"diagnose / Evidently drift time x{wall['mlmon diagnose'] / wall['Evidently drift']:.2f}   "
          f"memory x{rss['mlmon diagnose'] / rss['Evidently drift']:.2f}")
    if verdict != "model_bug":
        print(f"the diagnosis missed the injected unit change: {verdict}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
