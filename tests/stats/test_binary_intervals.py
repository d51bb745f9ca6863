"""Binary metrics' intervals (:func:`mlmon.stats.classification.binary_metrics`): accuracy,
precision and recall Wilson (statsmodels' ``proportion_confint``), F1 the delta method
(``f1_delta_se``) clipped to [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from mlmon.stats.classification import binary_metrics, f1_delta_se
from mlmon.stats.intervals import Z95


def test_wilson_bands_for_accuracy_precision_and_recall_and_a_delta_method_band_for_f1():
    rng = np.random.default_rng(17)
    y = (rng.random(400) < 0.3).astype(int)
    yhat = np.where(rng.random(400) < 0.8, y, 1 - y)
    m = binary_metrics(y, yhat, np.zeros(400, dtype=int), 1)
    tp, fp, fn = int(((y == 1) & (yhat == 1)).sum()), int(((y == 0) & (yhat == 1)).sum()), int(((y == 1) & (yhat == 0)).sum())
    for name, (k, n) in {"accuracy": (int((y == yhat).sum()), 400), "precision": (tp, tp + fp),
                         "recall": (tp, tp + fn)}.items():
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert m.lower[name][0] == pytest.approx(lo, abs=1e-9), name
        assert m.upper[name][0] == pytest.approx(hi, abs=1e-9), name
    f1 = 2 * tp / (2 * tp + fp + fn)
    se = f1_delta_se(tp, fp, fn, 400)
    assert m.lower["f1_score"][0] == pytest.approx(f1 - Z95 * se, abs=1e-12)
    assert m.upper["f1_score"][0] == pytest.approx(f1 + Z95 * se, abs=1e-12)


def test_the_f1_band_is_clipped_to_zero_and_one():
    # window 0: six rows all right (F1 1, band above 1 clipped); window 1: one true positive
    # among many misses (F1 near 0, band below 0 clipped)
    y = np.array([1, 1, 1, 0, 0, 0] + [1] * 40)
    yhat = np.array([1, 1, 1, 0, 0, 0] + [1] + [0] * 39)
    g = np.array([0] * 6 + [1] * 40)
    m = binary_metrics(y, yhat, g, 2)
    assert m.upper["f1_score"][0] == 1.0
    assert m.lower["f1_score"][1] == 0.0
    assert m.values["f1_score"][1] == pytest.approx(2 / (2 + 39))
