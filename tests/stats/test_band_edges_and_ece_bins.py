"""Bands clipped to [0, 1] for multiclass macro metrics and AUC, a window of one row, and the
bins of the expected calibration error, each against a hand calculation or scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlmon.stats.cbpe import expected_calibration_error
from mlmon.stats.classification import binary_metrics, hanley_mcneil_se, multiclass_metrics
from mlmon.stats.intervals import Z95


def test_multiclass_macro_bands_are_clipped_at_one():
    # class 0: precision 3/4, var 3/4*1/4/4; class 1: precision 1/1, var 0.
    # macro 0.875, se = sqrt(0.046875)/2; 0.875 + 1.96*0.108 > 1
    m = multiclass_metrics(np.array([0, 0, 0, 1, 1]), np.array([0, 0, 0, 1, 0]), np.zeros(5, dtype=int), 1, 2)
    se = np.sqrt(0.75 * 0.25 / 4) / 2
    assert m.values["precision"][0] == 0.875
    assert m.lower["precision"][0] == pytest.approx(0.875 - Z95 * se, abs=1e-12)
    assert m.upper["precision"][0] == 1.0 and m.upper["recall"][0] == 1.0 and m.upper["f1_score"][0] == 1.0


def test_multiclass_macro_bands_are_clipped_at_zero():
    # class 0: precision 0/2; class 1: 1/3, var 1/3*2/3/3. macro 1/6, se = sqrt(2/27)/2
    m = multiclass_metrics(np.array([0, 0, 1, 1, 1]), np.array([1, 1, 0, 0, 1]), np.zeros(5, dtype=int), 1, 2)
    se = np.sqrt(2 / 27) / 2
    assert m.values["precision"][0] == pytest.approx(1 / 6, abs=1e-15)
    assert m.lower["precision"][0] == 0.0 and m.lower["recall"][0] == 0.0 and m.lower["f1_score"][0] == 0.0
    assert m.upper["precision"][0] == pytest.approx(1 / 6 + Z95 * se, abs=1e-12)


def _proba(seed, scale_true):
    y = np.array([0, 1, 2] * 3)
    p = np.random.default_rng(seed).dirichlet([1, 1, 1], 9)
    p[np.arange(9), y] = p[np.arange(9), y] * scale_true[0] + scale_true[1]
    return y, p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("seed, scale_true, clipped", [(0, (1.0, 0.6), "upper"), (1, (0.1, 0.0), "lower")])
def test_multiclass_auc_band_is_clipped_to_the_unit_interval(seed, scale_true, clipped):
    y, p = _proba(seed, scale_true)
    m = multiclass_metrics(y, p.argmax(axis=1), np.zeros(9, dtype=int), 1, 3, proba=p)
    auc = roc_auc_score(y, p, multi_class="ovr")  # scikit-learn's one-vs-rest macro average
    aucs = [roc_auc_score(y == c, p[:, c]) for c in range(3)]
    se = np.sqrt(sum(float(hanley_mcneil_se(a, 3, 6)) ** 2 for a in aucs)) / 3
    assert m.values["auc_roc"][0] == pytest.approx(auc, abs=1e-12)
    if clipped == "upper":
        assert auc + Z95 * se > 1 and m.upper["auc_roc"][0] == 1.0
        assert m.lower["auc_roc"][0] == pytest.approx(auc - Z95 * se, abs=1e-12)
    else:
        assert auc - Z95 * se < 0 and m.lower["auc_roc"][0] == 0.0
        assert m.upper["auc_roc"][0] == pytest.approx(auc + Z95 * se, abs=1e-12)


def test_a_window_of_one_row_has_values_but_no_log_loss_band():
    # window 0: one row, y=1, p=0.9; window 1: y=(0, 1), p=(0.2, 0.4)
    m = binary_metrics(np.array([1, 0, 1]), np.array([1, 0, 0]), np.array([0, 1, 1]), 2, proba=np.array([0.9, 0.2, 0.4]))
    assert m.values["log_loss"][0] == pytest.approx(-np.log(0.9), abs=1e-15)
    assert np.isnan(m.lower["log_loss"][0]) and np.isnan(m.upper["log_loss"][0])
    # Wilson for 1 of 1: lower = 1/(1+z^2), upper 1
    assert m.lower["accuracy"][0] == pytest.approx(1 / (1 + Z95 ** 2), abs=1e-12) and m.upper["accuracy"][0] == 1.0
    assert np.isnan(m.values["auc_roc"][0])  # one class only
    # window 1: losses a = -ln 0.8, b = -ln 0.4; se of the mean of two = |a - b|/2; floored at 0
    a, b = -np.log(0.8), -np.log(0.4)
    assert m.values["log_loss"][1] == pytest.approx((a + b) / 2, abs=1e-12)
    assert m.lower["log_loss"][1] == 0.0
    assert m.upper["log_loss"][1] == pytest.approx((a + b) / 2 + Z95 * abs(a - b) / 2, abs=1e-9)


def test_ece_bins_are_closed_on_the_left_and_the_last_holds_one():
    # 10 bins of width 0.1: 0.05 -> bin 0, 0.1 -> bin 1 (left edge), 0.85 -> bin 8, 0.92 and 1.0 -> bin 9.
    # gaps |Σy - Σp|: bin 0 |0 - 0.05|, bin 1 |1 - 0.1|, bin 8 |1 - 0.85|, bin 9 |1 - 1.92|
    p, y = [0.05, 0.1, 0.85, 0.92, 1.0], [0, 1, 1, 1, 0]
    assert expected_calibration_error(p, y) == pytest.approx((0.05 + 0.9 + 0.15 + 0.92) / 5, abs=1e-15)
    # 5 bins of width 0.2: 0.05 and 0.1 share bin 0, the last three bin 4: (|1 - 0.15| + |2 - 2.77|)/5
    assert expected_calibration_error(p, y, n_bins=5) == pytest.approx((0.85 + 0.77) / 5, abs=1e-15)
    assert np.isnan(expected_calibration_error([], []))


def test_multiclass_bands_per_window_equal_one_window_at_a_time():
    y = np.array([0, 1, 2, 0, 1, 2, 2, 0, 1, 1, 0])
    yhat = np.array([0, 2, 2, 0, 1, 1, 2, 1, 1, 0, 0])
    groups = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2])  # the last window holds one row
    m = multiclass_metrics(y, yhat, groups, 3, 3, z=1.5)
    for w in range(3):
        one = multiclass_metrics(y[groups == w], yhat[groups == w], np.zeros((groups == w).sum(), dtype=int), 1, 3, z=1.5)
        for name in m.values:
            np.testing.assert_allclose([m.lower[name][w], m.upper[name][w]], [one.lower[name][0], one.upper[name][0]],
                                       rtol=1e-12)
    # the one-row window (right): precision 1 with zero variance, a band of width 0, not NaN
    assert (m.lower["precision"][2], m.upper["precision"][2]) == (1.0, 1.0)
    # accuracy by Wilson at z = 1.5 for 1 of 1: lower = 1/(1 + z^2)
    assert m.lower["accuracy"][2] == pytest.approx(1 / (1 + 1.5 ** 2), abs=1e-12)


def test_multiclass_variance_leaves_out_absent_and_never_predicted_classes():
    # y = (0, 0, 1), yhat = (0, 1, 1), class 2 absent: precision 1 and 1/2, variances 0 and 1/8,
    # macro 0.75 with se = sqrt(1/8)/2
    m = multiclass_metrics(np.array([0, 0, 1]), np.array([0, 1, 1]), np.zeros(3, dtype=int), 1, 3)
    assert m.lower["precision"][0] == pytest.approx(0.75 - Z95 * np.sqrt(1 / 8) / 2, abs=1e-12)
    # y = (0, 1), yhat = (0, 0): class 1 never predicted, its precision 0 with variance 0;
    # class 0 precision 1/2, variance 1/8: macro 1/4, se = sqrt(1/8)/2
    m = multiclass_metrics(np.array([0, 1]), np.array([0, 0]), np.zeros(2, dtype=int), 1, 2)
    assert m.upper["precision"][0] == pytest.approx(0.25 + Z95 * np.sqrt(1 / 8) / 2, abs=1e-12)
    # recall: class 0 recall 1 (var 0), class 1 recall 0 over support 1 (var 0): a band of width 0
    assert (m.lower["recall"][0], m.upper["recall"][0]) == (0.5, 0.5)
