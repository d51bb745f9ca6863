"""Which quantile sketch for reference profiles: Apache DataSketches KLL or a t-digest?

A profile's sketch feeds the KS statistic (the largest CDF gap) and the Wasserstein distance
(the integral of CDF gaps), so what matters is the **rank error** ``max_x |F_hat(x) - F(x)|``
over the whole range, after **merging** partitions, at what cost in time and bytes, and whether
the error has a **stated bound** a drift score can carry. This benchmark measures all four on
the same data for KLL (k = 200, 400, 800) and the t-digest (``fastdigest``, 200 and 1000
centroids), built in one pass and merged from 16 partitions.

    benchmarks/run sketch_choice                 # 1,000,000 values per distribution
    benchmarks/run sketch_choice --rows 200000 --seed 3

Reading the output: ``max rank err`` is the worst CDF error over 2,000 query points (every
0.05 % quantile of the data); ``bound`` is the error the sketch promises (KLL: DataSketches'
``normalized_rank_error``, 99 % confidence; the t-digest promises none); ``ns/value`` is build
time; ``merged err`` the worst error after merging 16 partition sketches. The last lines give,
per distribution, the ratio of the t-digest's worst error to KLL's at a similar size.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def distributions(n: int, rng):
    return {
        "normal": rng.normal(0, 1, n),
        "lognormal": rng.lognormal(0, 1.5, n),
        "bimodal": np.where(rng.random(n) < 0.3, rng.normal(-4, 0.5, n), rng.normal(3, 1, n)),
        "ties (Poisson counts)": rng.poisson(3, n).astype(np.float64),
        "zero-inflated spend": np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(3, 1, n)),
    }


def kll(k):
    from datasketches import kll_doubles_sketch

    def build(parts):
        sketches = []
        for p in parts:
            s = kll_doubles_sketch(k)
            s.update(p)
            sketches.append(s)
        out = sketches[0]
        for s in sketches[1:]:
            out.merge(s)
        return out

    def cdf(s, points):
        return np.asarray(s.get_cdf(points.tolist(), True)[:-1])

    def size(s):
        return len(s.serialize())

    def bound(s):
        return s.normalized_rank_error(False)

    return f"KLL k={k}", build, cdf, size, bound


def tdigest(centroids):
    from fastdigest import TDigest

    def build(parts):
        digests = [TDigest.from_values(p, max_centroids=centroids) for p in parts]
        out = digests[0]
        for d in digests[1:]:
            out = out.merge(d)
        return out

    def cdf(d, points):
        return np.asarray(d.cdf_vec(points))

    def size(d):
        return len(d.to_bytes())

    return f"t-digest {centroids}", build, cdf, size, lambda d: None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--partitions", type=int, default=16)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    candidates = [kll(200), kll(400), kll(800)]
    try:
        candidates += [tdigest(200), tdigest(1000)]
    except ImportError:
        print("fastdigest is not installed: comparing KLL sizes only (pip install fastdigest)")

    print(f"{args.rows:,} values per distribution; merged from {args.partitions} partitions\n")
    print(f"{'distribution':<24}{'sketch':<16}{'max rank err':>13}{'bound':>9}{'merged err':>12}{'ns/value':>10}{'bytes':>9}")
    worst = {}
    for dname, x in distributions(args.rows, rng).items():
        xs = np.sort(x)
        points = np.unique(np.quantile(xs, np.linspace(0.0005, 0.9995, 2000)))
        truth = np.searchsorted(xs, points, side="right") / xs.size
        for name, build, cdf, size, bound in candidates:
            t0 = time.perf_counter()
            one = build([x])
            ns = (time.perf_counter() - t0) / x.size * 1e9
            err = float(np.max(np.abs(cdf(one, points) - truth)))
            merged = build(np.array_split(x, args.partitions))
            merr = float(np.max(np.abs(cdf(merged, points) - truth)))
            b = bound(merged)
            worst[(dname, name)] = max(err, merr)
            print(f"{dname:<24}{name:<16}{err:>13.5f}{'none' if b is None else f'{b:.5f}':>9}{merr:>12.5f}{ns:>10.1f}{size(merged):>9,}")
        print()
    if any(name.startswith("t-digest") for name, *_ in candidates):
        print("worst rank error, t-digest 1000 / KLL k=400 (similar bytes):")
        for dname in distributions(10, np.random.default_rng(0)):
            t, k = worst[(dname, "t-digest 1000")], worst[(dname, "KLL k=400")]
            print(f"  {dname:<24}{t / k:>8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
