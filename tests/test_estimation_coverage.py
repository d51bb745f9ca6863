"""Band coverage by simulation: when the assumption holds (the input-label relation of the
reference still holds; inputs may move within its support), the 95 % bands of the estimates
cover the realized metric on at least 90 % of windows. Seeds fixed; 3 references x 40 daily
windows of about 1,000 rows per task."""

from __future__ import annotations

import numpy as np
import pytest

from estimation_data import MC, REG, multiclass_frame, regression_frame
from mlmon.services.performance import PerfOptions, compute_performance


def _coverage(make, options, metrics, ref_rows, seeds, hide, **shift):
    inside = {m: [] for m in metrics}
    for seed in seeds:
        ref = make(ref_rows, seed=100 + seed)
        cur = make(40_000, seed=200 + seed, days=40, **shift)
        est = compute_performance(cur.assign(y=hide), PerfOptions(**options, estimate=True), ref).to_dict()
        real = compute_performance(cur, PerfOptions(**options), ref).to_dict()
        for e, r in zip(est["windows"], real["windows"]):
            for m in metrics:
                iv = e["estimated_intervals"][m]
                inside[m].append(iv["lower"] <= r["metrics"][m] <= iv["upper"])
    return {m: float(np.mean(v)) for m, v in inside.items()}


def test_multiclass_bands_cover_at_least_90_percent_of_windows():
    cov = _coverage(multiclass_frame, MC, ("accuracy", "precision", "recall", "f1_score", "auc_roc"), 20_000,
                    (1, 2, 3), None, shift=0.3)
    assert min(cov.values()) >= 0.90, cov
    assert cov["accuracy"] <= 0.995, cov   # and not by being uselessly wide


@pytest.mark.parametrize("metric", ["mae", "rmse"])
def test_regression_bands_cover_at_least_90_percent_of_windows(metric, regression_coverage):
    assert regression_coverage[metric] >= 0.90, regression_coverage
    assert regression_coverage[metric] <= 0.995, regression_coverage


@pytest.fixture(scope="module")
def regression_coverage():
    return _coverage(regression_frame, REG, ("mae", "rmse"), 10_000, (1, 2, 3), np.nan)
