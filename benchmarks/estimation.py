"""Performance before labels for multiclass and regression models: ``mlmon perf --estimate``
against NannyML 0.13.1 (multiclass ``CBPE``, regression ``DLE``) on the same daily chunks, both
checked against the realized metrics of held-back labels, with the time each tool takes.

Data (seeded, from ``tests/estimation_data.py``): a three-class model whose probabilities are
overconfident (both tools must calibrate), and a regression model whose error grows with
``|x1|`` and in one region of a categorical input. The analysis period has ``--days`` daily
windows of ``--rows-per-day`` rows; its inputs move (covariate shift, no concept drift: the
setting both estimators assume). Labels are held back from both tools.

Printed per task and metric: the mean and largest absolute error of each tool's estimate
against the realized value, the share of windows whose realized value lies inside the tool's
own band (mlmon: 95 %; NannyML: its default ±3 sampling errors), the largest gap between the
two tools' estimates, and the wall time of fit plus estimate (NannyML's in its own process,
import excluded).

NannyML pins other pandas/numpy versions, so it runs from its own environment (see
``cbpe_vs_nannyml.py``).

    benchmarks/run estimation
    benchmarks/run estimation --days 60 --rows-per-day 4000
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from cbpe_vs_nannyml import nannyml_python  # noqa: E402  NannyML's own environment
from estimation_data import CLASSES, MC, REG, multiclass_frame, regression_frame  # noqa: E402

NANNYML_CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
pd.options.future.infer_string = False  # NannyML 0.13.1's DLE reshapes text columns, which Arrow strings refuse
import nannyml as nml
task, ref_path, cur_path, classes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
ref = pd.read_parquet(ref_path); cur = pd.read_parquet(cur_path).drop(columns=["y"])
t0 = time.perf_counter()
if task == "multiclass":
    metrics = ["accuracy", "precision", "recall", "f1", "roc_auc"]
    est = nml.CBPE(y_pred_proba={c: f"proba_{c}" for c in classes}, y_pred="yhat", y_true="y",
                   timestamp_column_name="ts", metrics=metrics, chunk_period="D",
                   problem_type="classification_multiclass")
else:
    metrics = ["mae", "rmse", "mape"]
    est = nml.DLE(feature_column_names=["x1", "x2", "region"], y_pred="yhat", y_true="y", timestamp_column_name="ts",
                  metrics=metrics, chunk_period="D", tune_hyperparameters=False)
est.fit(ref)
res = est.estimate(cur).filter(period="analysis").to_df()
seconds = time.perf_counter() - t0
out = []
for _, r in res.iterrows():
    item = {"start": pd.Timestamp(r[("chunk", "start_date")]).isoformat()}
    for m in metrics:
        item[m] = {"value": float(r[(m, "value")]), "lower": float(r[(m, "lower_confidence_boundary")]),
                   "upper": float(r[(m, "upper_confidence_boundary")])}
    out.append(item)
print(json.dumps({"version": nml.__version__, "seconds": seconds, "windows": out}))
"""

TASKS = {
    "multiclass": {"metrics": {"accuracy": "accuracy", "precision": "precision", "recall": "recall",
                               "f1_score": "f1", "auc_roc": "roc_auc"}, "options": MC, "hide": None},
    "regression": {"metrics": {"mae": "mae", "rmse": "rmse", "mape": "mape"}, "options": REG, "hide": np.nan},
}


def _nannyml(python, task, ref, cur):
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = os.path.join(tmp, "ref.parquet"), os.path.join(tmp, "cur.parquet")
        ref.to_parquet(rp)
        cur.to_parquet(cp)
        child = subprocess.run([python, "-c", NANNYML_CHILD, task, rp, cp, ",".join(CLASSES)],
                               capture_output=True, text=True)
    if child.returncode != 0:
        raise SystemExit("NannyML failed:\n" + child.stderr[-3000:])
    return json.loads(child.stdout.strip().splitlines()[-1])


def run_task(task, ref, cur, python):
    from mlmon.services.performance import PerfOptions, compute_performance

    spec = TASKS[task]
    t0 = time.perf_counter()
    ours_doc = compute_performance(cur.assign(y=spec["hide"]), PerfOptions(**spec["options"], estimate=True),
                                   ref).to_dict()
    ours_seconds = time.perf_counter() - t0
    real_doc = compute_performance(cur, PerfOptions(**spec["options"]), ref).to_dict()
    theirs_doc = _nannyml(python, task, ref, cur)
    ours = {w["start"][:10]: w for w in ours_doc["windows"] if w["n"]}
    real = {w["start"][:10]: w["metrics"] for w in real_doc["windows"] if w["n"]}
    theirs = {w["start"][:10]: w for w in theirs_doc["windows"]}
    starts = sorted(set(ours) & set(theirs) & set(real))
    print(f"\n{task}: reference {len(ref):,} labeled rows, {len(starts)} daily windows, {len(cur):,} rows "
          f"(labels held back); NannyML {theirs_doc['version']}")
    print(f"time (fit + estimate): mlmon {ours_seconds:.2f} s, NannyML {theirs_doc['seconds']:.2f} s "
          f"(ratio {theirs_doc['seconds'] / ours_seconds:.1f}x)")
    unreliable = sum(1 for s in starts if not ours[s]["estimation"]["reliable"])
    print(f"mlmon windows flagged unreliable: {unreliable}/{len(starts)}; "
          f"held-back check: {ours_doc['estimation']['held_back']}")
    print(f"{'metric':<10} {'tool':<8} {'mean |est-real|':>15} {'max':>8} {'inside own band':>16} {'max |mlmon-NannyML|':>20}")
    for name, their in spec["metrics"].items():
        gap = max(abs(ours[s]["estimated"][name] - theirs[s][their]["value"]) for s in starts)
        for tool in ("mlmon", "NannyML"):
            errs, inside = [], 0
            for s in starts:
                truth = real[s][name]
                if tool == "mlmon":
                    est = ours[s]["estimated"][name]
                    iv = ours[s]["estimated_intervals"][name]
                    lo, hi = iv["lower"], iv["upper"]
                else:
                    est, lo, hi = (theirs[s][their][k] for k in ("value", "lower", "upper"))
                errs.append(abs(est - truth))
                inside += lo <= truth <= hi
            print(f"{name:<10} {tool:<8} {np.mean(errs):15.4f} {np.max(errs):8.4f} {inside:>9}/{len(starts)}"
                  f"{'':>7}{gap if tool == 'mlmon' else '':>20}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference-rows", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--rows-per-day", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", choices=sorted(TASKS), action="append", help="only this task (repeatable)")
    ap.add_argument("--nannyml-python", metavar="PATH", help="python of an environment with nannyml")
    args = ap.parse_args(argv)
    python = nannyml_python(args.nannyml_python)
    n = args.days * args.rows_per_day
    for task in args.task or sorted(TASKS):
        if task == "multiclass":
            ref = multiclass_frame(args.reference_rows, seed=args.seed)
            cur = multiclass_frame(n, seed=args.seed + 1, shift=0.5, days=args.days)
        else:
            ref = regression_frame(args.reference_rows, seed=args.seed)
            cur = regression_frame(n, seed=args.seed + 1, shift=0.3, days=args.days)
        run_task(task, ref, cur, python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
