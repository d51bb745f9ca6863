"""Estimated performance without labels: ``mlmon perf --estimate`` (CBPE) against NannyML's
``CBPE`` on the same data, both checked against the realized metrics of held-back labels.

Data (seeded, generated in memory): two features, a true outcome model
``P(y=1|x) = sigmoid(1.5·x1 - x2 + 0.5·x1·x2)`` and a deployed model whose score is
*miscalibrated* (``sigmoid(0.7·logit + 0.3)``), so both tools must calibrate on the reference.
The reference holds ``--reference-rows`` labeled rows; the analysis period ``--days`` days of
``--rows-per-day`` rows each, with the features' mean drifting day by day (covariate shift,
no concept drift: the setting CBPE assumes). The analysis labels are held back from both
estimators and used only to compute the realized metrics.

For every daily window and for accuracy, F1 and ROC AUC the script prints realized, mlmon's
estimate and NannyML's estimate, then per tool: the mean absolute error of the estimate, the
largest error, and the share of windows whose realized value lies inside the tool's own
band (mlmon: 95 % sampling band; NannyML: its default ±3 sampling errors).

NannyML pins other pandas/numpy versions than mlmon, so it runs in a child process from an
environment of its own built from ``benchmarks/requirements-nannyml.txt`` with
``scripts/env.sh`` (first run: a minute or two), or ``--nannyml-python PATH``.

    benchmarks/run cbpe_vs_nannyml
    benchmarks/run cbpe_vs_nannyml --days 60 --rows-per-day 5000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = {"accuracy": "accuracy", "f1_score": "f1", "auc_roc": "roc_auc"}

NANNYML_CHILD = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
import nannyml as nml
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
est = nml.CBPE(y_pred_proba="p", y_pred="yhat", y_true="y", timestamp_column_name="ts",
               metrics=["accuracy", "f1", "roc_auc"], chunk_period="D", problem_type="classification_binary")
est.fit(ref)
res = est.estimate(cur.drop(columns=["y"])).filter(period="analysis").to_df()
out = []
for _, row in res.iterrows():
    item = {"start": pd.Timestamp(row[("chunk", "start_date")]).isoformat()}
    for m in ("accuracy", "f1", "roc_auc"):
        item[m] = {"value": float(row[(m, "value")]),
                   "lower": float(row[(m, "lower_confidence_boundary")]),
                   "upper": float(row[(m, "upper_confidence_boundary")])}
    out.append(item)
print(json.dumps({"version": nml.__version__, "windows": out}))
"""


def make_data(n, days, seed, shift_per_day=0.0, start="2024-01-01"):
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, n)
    x1 = rng.normal(shift_per_day * day, 1.0)
    x2 = rng.normal(-0.5 * shift_per_day * day, 1.0)
    logit = 1.5 * x1 - x2 + 0.5 * x1 * x2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    p = 1 / (1 + np.exp(-(0.7 * logit + 0.3)))
    ts = pd.Timestamp(start) + pd.to_timedelta(day * 86400 + rng.integers(0, 86400, n), unit="s")
    return pd.DataFrame({"ts": ts, "x1": x1, "x2": x2, "y": y, "p": p, "yhat": (p >= 0.5).astype(np.int64)})


def nannyml_python(given):
    if given:
        return given
    cmd = '. scripts/env.sh; mlmon_ensure_env "$PWD" benchmarks/requirements-nannyml.txt >&2; echo "$MLMON_VENV"'
    venv = subprocess.run(["sh", "-c", cmd], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(venv, "bin", "python")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference-rows", type=int, default=50_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--rows-per-day", type=int, default=2_000)
    ap.add_argument("--shift-per-day", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nannyml-python", metavar="PATH", help="python of an environment with nannyml")
    args = ap.parse_args(argv)

    from mlmon.services.performance import PerfOptions, compute_performance
    from sklearn import metrics as skm

    ref = make_data(args.reference_rows, 1, args.seed, start="2023-12-01")
    cur = make_data(args.days * args.rows_per_day, args.days, args.seed + 1, args.shift_per_day)

    hidden = cur.assign(y=np.nan)  # mlmon gets no analysis labels either
    d = compute_performance(hidden, PerfOptions(task="binary", target="y", prediction="yhat", proba="p",
                                                timestamp="ts", window="1D", estimate=True), ref).to_dict()
    ours = {w["start"]: w for w in d["windows"] if w["n"]}

    with tempfile.TemporaryDirectory() as tmp:
        ref_path, cur_path = os.path.join(tmp, "ref.parquet"), os.path.join(tmp, "cur.parquet")
        ref.to_parquet(ref_path)
        cur.to_parquet(cur_path)
        child = subprocess.run([nannyml_python(args.nannyml_python), "-c", NANNYML_CHILD, ref_path, cur_path],
                               capture_output=True, text=True)
    if child.returncode != 0:
        print("NannyML failed:\n" + child.stderr[-3000:])
        return 1
    theirs_doc = json.loads(child.stdout.strip().splitlines()[-1])
    theirs = {w["start"]: w for w in theirs_doc["windows"]}

    realized = {}
    for day, g in cur.groupby(cur["ts"].dt.floor("1D")):
        realized[day.isoformat()] = {"accuracy": skm.accuracy_score(g.y, g.yhat), "f1_score": skm.f1_score(g.y, g.yhat),
                                     "auc_roc": skm.roc_auc_score(g.y, g.p)}
    starts = sorted(set(realized) & set(ours) & set(theirs))
    print(f"data        reference {len(ref):,} labeled rows; analysis {len(cur):,} rows in {len(starts)} daily windows "
          f"(labels held back); mlmon calibration: {d['estimation']['calibration']}, "
          f"reference ECE raw {d['estimation']['ece_raw']:.4f}; NannyML {theirs_doc['version']}")
    print(f"{'window':<12} {'realized acc':>12} {'mlmon':>8} {'NannyML':>8}")
    for s in starts:
        print(f"{s[:10]:<12} {realized[s]['accuracy']:12.4f} {ours[s]['estimated']['accuracy']:8.4f} "
              f"{theirs[s]['accuracy']['value']:8.4f}")
    print()
    print(f"{'metric':<10} {'tool':<8} {'mean |est-real|':>15} {'max':>8} {'realized inside band':>21}")
    for ours_name, their_name in METRICS.items():
        for tool in ("mlmon", "NannyML"):
            errs, inside = [], 0
            for s in starts:
                real = realized[s][ours_name]
                if tool == "mlmon":
                    est = ours[s]["estimated"][ours_name]
                    lo, hi = ours[s]["estimated_intervals"][ours_name]["lower"], ours[s]["estimated_intervals"][ours_name]["upper"]
                else:
                    est, lo, hi = (theirs[s][their_name][k] for k in ("value", "lower", "upper"))
                errs.append(abs(est - real))
                inside += lo <= real <= hi
            band = "95% sampling" if tool == "mlmon" else "±3 sampling errors"
            print(f"{ours_name:<10} {tool:<8} {np.mean(errs):15.4f} {np.max(errs):8.4f} "
                  f"{inside:>4}/{len(starts)} ({band})")
    print()
    for ours_name, their_name in METRICS.items():
        gap = max(abs(ours[s]["estimated"][ours_name] - theirs[s][their_name]["value"]) for s in starts)
        print(f"tools agree {ours_name:<10} max |mlmon - NannyML| estimate {gap:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
