"""Windowed performance metrics: ``mlmon``'s ``compute_performance`` against a straightforward
pandas ``groupby`` plus scikit-learn loop, on the same in-memory predictions, in one run.

The requirement: 10,000,000 binary predictions over daily windows, at least **10× faster**
than the loop, with **equal values** (every metric of every window within 1e-9).

Data (generated in memory, seeded): ``--rows`` predictions spread uniformly over ``--days``
days; a probability ``p`` rounded to 4 decimals (ties, as real scores have), a label drawn as
Bernoulli(p) and the prediction ``p >= 0.5``.

What each side computes per daily window: accuracy, precision, recall, F1, ROC AUC and log
loss.

- scikit-learn: ``df.groupby(df.ts.dt.floor("1D"))`` and, per group, ``accuracy_score``,
  ``precision_score``, ``recall_score``, ``f1_score`` (``zero_division=0``),
  ``roc_auc_score`` and ``log_loss(labels=[0, 1])``;
- mlmon: ``compute_performance(df, PerfOptions(task="binary", ..., window="1D"))``, the whole
  service (encoding, windows, every metric and its 95 % interval, the business costs, the
  result dict); its kernel time alone (``binary_metrics`` on the arrays) is shown too.

Each side runs ``--repeat`` times interleaved; medians are reported.

    benchmarks/run perf_vs_sklearn                       # 10,000,000 rows, 100 days
    benchmarks/run perf_vs_sklearn --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

METRICS = ("accuracy", "precision", "recall", "f1_score", "auc_roc", "log_loss")


def make_data(rows: int, days: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(2, 3, rows), 4)
    y = (rng.random(rows) < p).astype(np.int64)
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, days * 86400, rows), unit="s")
    return pd.DataFrame({"ts": ts, "y": y, "p": p, "yhat": (p >= 0.5).astype(np.int64)})


def sklearn_loop(df: pd.DataFrame):
    from sklearn import metrics as skm

    out = {}
    for day, g in df.groupby(df["ts"].dt.floor("1D")):
        y, yhat, p = g["y"].to_numpy(), g["yhat"].to_numpy(), g["p"].to_numpy()
        out[day.isoformat()] = {
            "accuracy": skm.accuracy_score(y, yhat),
            "precision": skm.precision_score(y, yhat, zero_division=0),
            "recall": skm.recall_score(y, yhat, zero_division=0),
            "f1_score": skm.f1_score(y, yhat, zero_division=0),
            "auc_roc": skm.roc_auc_score(y, p),
            "log_loss": skm.log_loss(y, p, labels=[0, 1]),
        }
    return out


def mlmon_service(df: pd.DataFrame):
    from mlmon.services.performance import PerfOptions, compute_performance

    d = compute_performance(df, PerfOptions(task="binary", target="y", prediction="yhat", proba="p",
                                            timestamp="ts", window="1D")).to_dict()
    return {w["start"]: w["metrics"] for w in d["windows"] if w["n"]}


def mlmon_kernel(df: pd.DataFrame):
    from mlmon.stats.classification import binary_metrics

    ns = df["ts"].to_numpy().view(np.int64)
    day = 86400 * 10**9
    groups = (ns - (ns.min() // day) * day) // day
    return binary_metrics(df["y"].to_numpy(), df["yhat"].to_numpy(), groups, int(groups.max()) + 1,
                          proba=df["p"].to_numpy())


def timed(func, *args):
    start = time.perf_counter()
    value = func(*args)
    return time.perf_counter() - start, value


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--check-targets", action="store_true", help="exit 1 when the speed target is missed")
    args = ap.parse_args(argv)

    df = make_data(args.rows, args.days, args.seed)
    mlmon_service(df.iloc[:1000])  # imports and first-call costs out of the timing
    sk_times, ml_times, kernel_times = [], [], []
    sk = ml = None
    for _ in range(args.repeat):
        t, sk = timed(sklearn_loop, df)
        sk_times.append(t)
        t, ml = timed(mlmon_service, df)
        ml_times.append(t)
        kernel_times.append(timed(mlmon_kernel, df)[0])

    worst, where = 0.0, None
    if sorted(sk) != sorted(ml):
        print(f"agreement   FAIL: windows differ ({len(sk)} vs {len(ml)})")
        return 1
    for start, expected in sk.items():
        for name in METRICS:
            diff = abs(ml[start][name] - expected[name])
            if diff > worst:
                worst, where = diff, (start, name)
    sk_t, ml_t, k_t = (statistics.median(x) for x in (sk_times, ml_times, kernel_times))
    ratio = sk_t / ml_t
    print(f"data        {args.rows:,} predictions, {len(sk)} daily windows, seed {args.seed}")
    print(f"wall time   scikit-learn loop {sk_t:8.2f} s   mlmon perf service {ml_t:6.2f} s   "
          f"ratio {ratio:6.1f}x   (median of {args.repeat})")
    print(f"            mlmon kernels alone {k_t:6.2f} s   ratio {sk_t / k_t:6.1f}x")
    ok_values = worst <= 1e-9
    print(f"agreement   {'PASS' if ok_values else 'FAIL'}: {len(sk)} windows x {len(METRICS)} metrics, "
          f"max |diff| {worst:.1e} (<= 1e-09){'' if where is None else f' at {where[0]} {where[1]}'}")
    print(f"speed       {'PASS' if ratio >= 10 else 'MISS'}: {ratio:.1f}x (target >= 10x; "
          f"aim >= 20x: {'met' if ratio >= 20 else 'missed'})")
    if not ok_values or (args.check_targets and ratio < 10):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
