"""Drift per window: ``mlmon drift --timestamp ts --window 1D`` (calibrated thresholds) against
NannyML's ``UnivariateDriftCalculator`` with its default methods and thresholds, on the same daily chunks.

Two cases (seeded, generated in memory):

- ``credit``: the issue's shape. A 50,000-row reference spread over 300 days (about 165 rows a
  day), nine columns (six numerical, some heavy-tailed, one integer count; three categorical),
  then ``--stable-days`` stable days and ``--shift-days`` days where three columns move (the
  amount's log-mean by +0.35, utilisation's beta mean by ~+0.05, one region's share from 20 % to
  30 %); about 165 rows a day (Poisson).
- ``large``: 1,000,000 reference rows, 365 daily windows of 3,000 rows, 25 columns (20
  numerical, 5 categorical), shift from day 300 on five columns. ``--small`` scales it to
  200,000 reference rows, 120 windows of 1,000 rows (shift from day 100).

For each tool: the time per window, wall clock and CPU (the machine may be shared: CPU time is
the steadier figure; everything from the tables in memory to the result: the
whole period, calibration and every window for mlmon; ``fit`` and ``calculate`` for NannyML,
divided by the number of windows), the false-alarm rate on stable windows (flagged (column,
window) pairs over all pairs before the shift) against the rate asked for, the dataset-level
false alarms (stable windows where mlmon's ``dataset_drift`` is set / NannyML alerts on half the
columns or more), and the detection delay on each shifted column (windows from the shift to its
first flag, and the reported onset for mlmon). Then the ratios.

NannyML 0.13.1 pins other pandas/numpy versions than mlmon, so it runs in a child process from
an environment of its own built from ``benchmarks/requirements-nannyml.txt`` with
``scripts/env.sh`` (first run: a minute or two), or ``--nannyml-python PATH``; ``--no-nannyml``
skips it.

    benchmarks/run windowed_drift                   # credit case and the large case
    benchmarks/run windowed_drift --small           # credit case and the scaled-down large case
    benchmarks/run windowed_drift --case credit
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from cbpe_vs_nannyml import nannyml_python  # NannyML's own environment, built the same way for both

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NANNYML_CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
import nannyml as nml
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
cols = [c for c in ref.columns if c != "ts"]
t0, c0 = time.perf_counter(), time.process_time()
calc = nml.UnivariateDriftCalculator(column_names=cols, timestamp_column_name="ts", chunk_period="D")
calc.fit(ref)
res = calc.calculate(cur).filter(period="analysis")
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
df = res.to_df()
out = []
for _, row in df.iterrows():
    item = {"start": pd.Timestamp(row[("chunk", "chunk", "start_date")]).isoformat(), "alerts": {}}
    for c in cols:
        methods = sorted({m for (col, m, _) in df.columns if col == c})
        item["alerts"][c] = any(bool(row[(c, m, "alert")]) for m in methods)
    out.append(item)
methods = sorted({f"{col}:{m}" for (col, m, _) in df.columns if col in cols})
print(json.dumps({"version": nml.__version__, "seconds": elapsed, "cpu": cpu, "windows": out, "methods": methods}))
"""


# ---------------------------------------------------------------------------- data


def _days_ts(rng, days, sizes, start):
    parts = [pd.Timestamp(start) + pd.Timedelta(days=d) + pd.to_timedelta(np.sort(rng.uniform(0, 86_399, k)), unit="s")
             for d, k in enumerate(sizes)]
    return pd.DatetimeIndex(np.concatenate([p.values for p in parts])) if parts else pd.DatetimeIndex([])


def credit_side(rng, sizes, shifted, start):
    n = int(sum(sizes))
    day = np.repeat(np.arange(len(sizes)), sizes)
    s = shifted[day] if len(shifted) else np.zeros(n, dtype=bool)
    region_p = np.array([0.2, 0.2, 0.2, 0.15, 0.15, 0.1])
    region_q = np.array([0.3, 0.17, 0.17, 0.13, 0.13, 0.1])
    region = np.where(s, rng.choice(6, n, p=region_q), rng.choice(6, n, p=region_p))
    util = np.where(s, rng.beta(2.6, 5, n), rng.beta(2, 5, n))
    return pd.DataFrame({
        "ts": _days_ts(rng, len(sizes), sizes, start),
        "amount": rng.lognormal(6 + 0.35 * s, 1.0, n),
        "age": rng.normal(42, 12, n),
        "income": rng.lognormal(10, 0.6, n),
        "tenure": rng.gamma(2, 3, n),
        "utilization": util,
        "n_accounts": rng.poisson(3, n).astype(np.int64),
        "region": np.array(list("ABCDEF"))[region],
        "product": rng.choice(["card", "loan", "mortgage", "line"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "channel": rng.choice(["web", "branch", "phone"], n, p=[0.6, 0.3, 0.1]),
    })


def credit_case(args, rng):
    ref_sizes = rng.poisson(50_000 / 300, 300)
    ref = credit_side(rng, ref_sizes, np.zeros(300, dtype=bool), "2023-01-01")
    days = args.stable_days + args.shift_days
    shifted = np.arange(days) >= args.stable_days
    cur = credit_side(rng, rng.poisson(165, days), shifted, "2024-01-01")
    return ref, cur, args.stable_days, ["amount", "utilization", "region"]


def large_side(rng, sizes, shifted, start, n_num=20, n_cat=5):
    n = int(sum(sizes))
    day = np.repeat(np.arange(len(sizes)), sizes)
    s = shifted[day].astype(float) if len(shifted) else np.zeros(n)
    cols = {"ts": _days_ts(rng, len(sizes), sizes, start)}
    for j in range(n_num):
        move = 0.15 * s if j < 3 else 0.0  # three numerical columns move by 0.15 sd
        cols[f"x{j:02d}"] = (rng.normal(move, 1, n) if j % 2 == 0 else rng.gamma(2 + 0.3 * (j < 3) * s, 1.0, n))
    for j in range(n_cat):
        p = np.array([0.4, 0.3, 0.2, 0.1])
        q = np.array([0.33, 0.3, 0.22, 0.15])
        k = np.where((j < 2) & (s > 0), rng.choice(4, n, p=q), rng.choice(4, n, p=p))
        cols[f"c{j}"] = np.array(list("pqrs"))[k]
    return pd.DataFrame(cols)


def large_case(args, rng):
    ref_rows, days, per_day, shift_at = (200_000, 120, 1_000, 100) if args.small else (1_000_000, 365, 3_000, 300)
    ref_days = 365
    ref = large_side(rng, rng.multinomial(ref_rows, np.full(ref_days, 1 / ref_days)), np.zeros(ref_days, dtype=bool),
                     "2023-01-01")
    shifted = np.arange(days) >= shift_at
    cur = large_side(rng, np.full(days, per_day), shifted, "2024-01-01")
    return ref, cur, shift_at, ["x00", "x01", "x02", "c0", "c1"]


# ---------------------------------------------------------------------------- measures


def measure(flags, stable_until, shifted_cols):
    """flags: list (per window) of {column: bool or None}. False alarms before the shift, delays after."""
    stable = [f for f in flags[:stable_until]]
    pairs = [v for f in stable for v in f.values() if v is not None]
    fa = float(np.mean(pairs)) if pairs else float("nan")
    dataset = sum(1 for f in stable if [v for v in f.values() if v is not None]
                  and np.mean([v for v in f.values() if v is not None]) >= 0.5)
    delays = {}
    for c in shifted_cols:
        hit = next((i - stable_until for i in range(stable_until, len(flags)) if flags[i].get(c)), None)
        delays[c] = hit
    return fa, dataset, len(stable), delays


def run_mlmon(ref_path, cur_path, rate):
    from mlmon.io.tables import read_table
    from mlmon.services.drift import DriftOptions
    from mlmon.services.drift.windowed import run_windowed

    import mlmon.stats.from_counts  # noqa: F401  imports (scipy.stats) are not the work being timed

    ref, cur = read_table(ref_path, role="reference"), read_table(cur_path, role="current")
    opts = DriftOptions().override(timestamp="ts", window="1D", false_alarm_rate=rate)
    t0, c0 = time.perf_counter(), time.process_time()
    d = run_windowed(ref, cur, opts).to_dict()
    return d, time.perf_counter() - t0, time.process_time() - c0


def run_nannyml(rp, cp, python):
    child = subprocess.run([python, "-c", NANNYML_CHILD, rp, cp], capture_output=True, text=True)
    if child.returncode != 0:
        raise RuntimeError("NannyML failed:\n" + child.stderr[-3000:])
    return json.loads(child.stdout.strip().splitlines()[-1])


def _delay_text(delays):
    vals = [v for v in delays.values() if v is not None]
    missed = sum(v is None for v in delays.values())
    mean = f"{np.mean(vals):.1f}" if vals else "-"
    return f"mean {mean} windows" + (f", {missed} never flagged" if missed else ""), (np.mean(vals) if vals else None)


def case(name, ref, cur, shift_at, shifted_cols, args):
    n_cols = ref.shape[1] - 1
    print(f"== {name}: reference {len(ref):,} rows, {cur['ts'].dt.floor('D').nunique()} daily windows of "
          f"~{len(cur) / cur['ts'].dt.floor('D').nunique():,.0f} rows, {n_cols} columns; shift from window {shift_at} on "
          f"{', '.join(shifted_cols)}; false-alarm rate asked {args.rate}")
    tmp = tempfile.TemporaryDirectory()
    rp, cp = os.path.join(tmp.name, "ref.parquet"), os.path.join(tmp.name, "cur.parquet")
    ref.to_parquet(rp, index=False)
    cur.to_parquet(cp, index=False)
    d, secs, cpu = run_mlmon(rp, cp, args.rate)
    W = len(d["windows"])
    flags = [{c: (r["drifted"] if r else None) for c, r in w["columns"].items()} for w in d["windows"]]
    fa, ds, stable_n, delays = measure(flags, shift_at, shifted_cols)
    ours_delay, ours_mean = _delay_text(delays)
    n_cal = sum(len(v) for v in d["calibration"]["columns"].values())
    print(f"mlmon     {secs / W * 1000:8.1f} ms/window ({secs:.1f} s wall, {cpu:.1f} s CPU, {n_cal} calibrations); false alarms "
          f"{fa:.4f} per (column, window) [asked {args.rate}], dataset-level {ds} of {stable_n} stable windows "
          f"(expected {d['calibration']['expected_false_alarms_per_30_windows'] * stable_n / 30:.2f}); "
          f"delay {ours_delay} {delays}; onsets {({c: d['onsets'][c] and d['onsets'][c][:10] for c in shifted_cols})}")
    if args.no_nannyml:
        return
    theirs = run_nannyml(rp, cp, nannyml_python(args.nannyml_python))
    tmp.cleanup()
    tflags = [w["alerts"] for w in theirs["windows"]]
    tfa, tds, tstable, tdelays = measure(tflags, shift_at, shifted_cols)
    their_delay, their_mean = _delay_text(tdelays)
    tW = len(tflags)
    print(f"NannyML   {theirs['seconds'] / tW * 1000:8.1f} ms/window ({theirs['seconds']:.1f} s wall, {theirs['cpu']:.1f} s CPU; {theirs['version']}, "
          f"default methods and thresholds, {tW} chunks); false alarms {tfa:.4f} per (column, window), dataset-level "
          f"{tds} of {tstable} stable windows; delay {their_delay} {tdelays}")
    speed = (theirs["seconds"] / tW) / (secs / W)
    speed_cpu = (theirs["cpu"] / tW) / (cpu / W)
    fa_ratio = tfa / fa if fa else float("inf")
    delay_cmp = "-" if ours_mean is None or their_mean is None else f"{ours_mean - their_mean:+.1f} windows"
    print(f"ratios    mlmon is {speed:.1f}x faster per window ({speed_cpu:.1f}x in CPU time); NannyML's false-alarm rate / mlmon's = {fa_ratio:.1f}; "
          f"mlmon's false alarms / asked = {fa / args.rate:.2f}; delay mlmon - NannyML = {delay_cmp}")
    print()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=["credit", "large", "both"], default="both")
    ap.add_argument("--small", action="store_true", help="the large case scaled down (200k reference rows, 120 x 1,000)")
    ap.add_argument("--stable-days", type=int, default=240)
    ap.add_argument("--shift-days", type=int, default=30)
    ap.add_argument("--rate", type=float, default=0.01, help="false-alarm rate asked of mlmon (default 0.01)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-nannyml", action="store_true")
    ap.add_argument("--nannyml-python", metavar="PATH", help="python of an environment with nannyml")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    if args.case in ("credit", "both"):
        case("credit", *credit_case(args, rng), args)
    if args.case in ("large", "both"):
        case("large (small form)" if args.small else "large", *large_case(args, rng), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
