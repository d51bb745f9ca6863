"""Scores do not depend on how many threads BLAS uses.

OpenBLAS splits a dot product of more than 10,000 values over its threads, and each thread
count rounds the sum differently: Wasserstein calibration thresholds moved in the 16th digit
between one thread and two, so the same data gave different figures on machines with different
numbers of cores. The kernels sum their products with numpy's own pairwise sum
(``_binning.weighted_sum``). Each thread count needs a fresh process: BLAS reads it at import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

SCORES = """
import numpy as np
from mlmon.stats import from_counts as fc
from mlmon.stats.univariate.ed import energy_distance_sorted
from mlmon.stats.univariate.wasserstein import MERGE_PIECE, wasserstein_distance_sorted

rng = np.random.default_rng(3)
small_a, small_b = np.sort(rng.normal(0, 1, 30_000)), np.sort(rng.normal(0.1, 1.2, 20_011))
big_a, big_b = np.sort(rng.normal(0, 1, MERGE_PIECE)), np.sort(rng.normal(0.1, 1.2, MERGE_PIECE // 3 + 7))
wa, wb = rng.integers(1, 9, small_a.size), rng.integers(1, 9, small_b.size)
print(repr([wasserstein_distance_sorted(small_a, small_b), wasserstein_distance_sorted(big_a, big_b),
            energy_distance_sorted(small_a, small_b), fc.wasserstein_weighted(small_a, wa, small_b, wb)]))
"""


def _scores(threads: int) -> str:
    env = dict(os.environ, PYTHONPATH=str(SCRIPTS), OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    run = subprocess.run([sys.executable, "-c", SCORES], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_one_thread_and_four_threads_give_the_same_digits():
    one, four = _scores(1), _scores(4)
    assert one == four
