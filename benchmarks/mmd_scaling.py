"""Time and peak memory of ``mlmon.stats.mmd.mmd_test`` as inputs grow.

Part 1 runs ``mmd_test`` on standard-normal data with 10k, 100k and 1M rows per side and
5, 10 and 20 features. Part 2 compares it, at sizes where a full kernel matrix still fits,
with the textbook implementation: build the pooled ``(m+n)×(m+n)`` kernel matrix once, then
for every permutation reorder it (``K[idx][:, idx]``) and sum its blocks.

Peak memory is measured with ``tracemalloc`` (numpy reports its buffers to it) and excludes
the input arrays, which exist before measuring starts. Because the naive implementation's
permutations are slow at 5k rows per side, it runs ``--naive-permutations`` of them and its
total for ``--permutations`` is extrapolated (marked ``est.``); its memory peak is measured.

Run from the repository root::

    PYTHONPATH=scripts python benchmarks/mmd_scaling.py
    PYTHONPATH=scripts python benchmarks/mmd_scaling.py --rows 10000 --features 5 --naive-rows 1000
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from typing import Callable, List, Tuple

import numpy as np

from mlmon.stats.mmd import mmd_test

MIB = 2**20


def measure(func: Callable[[], object]) -> Tuple[float, float, object]:
    """Wall time (s), peak traced memory (MiB) and return value of ``func()``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        value = func()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return elapsed, peak / MIB, value


def naive_mmd_test(
    x: np.ndarray, y: np.ndarray, n_permutations: int, gamma: float, seed: int = 0
) -> Tuple[float, int, float]:
    """Full-kernel-matrix permutation test; returns (statistic, #perm >= observed, seconds
    spent per permutation)."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    z = (np.concatenate([x, y]) - mean) / std
    sq = np.einsum("ij,ij->i", z, z)
    kernel = np.exp(-gamma * np.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0))
    np.fill_diagonal(kernel, 0.0)
    m, n = len(x), len(y)

    def statistic(k: np.ndarray) -> float:
        return (
            k[:m, :m].sum() / (m * (m - 1))
            + k[m:, m:].sum() / (n * (n - 1))
            - 2.0 * k[:m, m:].sum() / (m * n)
        )

    observed = statistic(kernel)
    rng = np.random.default_rng(seed)
    exceed = 0
    start = time.perf_counter()
    for _ in range(n_permutations):
        idx = rng.permutation(m + n)
        exceed += statistic(kernel[idx][:, idx]) >= observed
    per_permutation = (time.perf_counter() - start) / max(n_permutations, 1)
    return observed, exceed, per_permutation


def scaling_table(rows: List[int], features: List[int], permutations: int) -> None:
    print(f"mmd_test, {permutations} permutations, default max_samples and block size")
    print(f"{'rows/side':>10} {'features':>8} {'seconds':>8} {'peak MiB':>9} {'estimator':>11}")
    rng = np.random.default_rng(0)
    for n_rows in rows:
        for n_features in features:
            x = rng.normal(size=(n_rows, n_features))
            y = rng.normal(size=(n_rows, n_features))
            seconds, peak, result = measure(
                lambda: mmd_test(x, y, n_permutations=permutations)
            )
            print(
                f"{n_rows:>10} {n_features:>8} {seconds:>8.2f} {peak:>9.1f} "
                f"{result.estimator:>11}"
            )
            del x, y


def naive_table(rows: List[int], n_features: int, permutations: int, naive_perms: int) -> None:
    print()
    print(
        f"mmd_test vs full kernel matrix, {n_features} features, {permutations} permutations"
    )
    print(
        f"{'rows/side':>10} {'mmd_test s':>10} {'MiB':>7} {'naive s':>12} {'MiB':>7} "
        f"{'time ratio':>10} {'mem ratio':>9}"
    )
    rng = np.random.default_rng(1)
    for n_rows in rows:
        x = rng.normal(size=(n_rows, n_features))
        y = rng.normal(size=(n_rows, n_features))
        ours_s, ours_mib, result = measure(lambda: mmd_test(x, y, n_permutations=permutations))
        run = min(naive_perms, permutations)
        naive_s, naive_mib, (naive_stat, _, per_perm) = measure(
            lambda: naive_mmd_test(x, y, run, result.gamma)
        )
        estimated = run < permutations
        naive_total = naive_s + (permutations - run) * per_perm
        assert abs(naive_stat - result.statistic) < 1e-9, (naive_stat, result.statistic)
        label = f"{naive_total:.2f}" + (" est." if estimated else "")
        print(
            f"{n_rows:>10} {ours_s:>10.2f} {ours_mib:>7.1f} {label:>12} {naive_mib:>7.1f} "
            f"{naive_total / ours_s:>10.1f} {naive_mib / ours_mib:>9.1f}"
        )


def main() -> None:
    def int_list(text: str) -> List[int]:
        return [int(v) for v in text.split(",") if v]

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int_list, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--features", type=int_list, default=[5, 10, 20])
    parser.add_argument("--permutations", type=int, default=200)
    parser.add_argument("--naive-rows", type=int_list, default=[1000, 2000, 5000])
    parser.add_argument("--naive-features", type=int, default=5)
    parser.add_argument(
        "--naive-permutations",
        type=int,
        default=20,
        help="permutations the naive version actually runs; the rest are extrapolated",
    )
    args = parser.parse_args()
    scaling_table(args.rows, args.features, args.permutations)
    if args.naive_rows:
        naive_table(args.naive_rows, args.naive_features, args.permutations, args.naive_permutations)


if __name__ == "__main__":
    main()
