"""CBPE's unseen-score share (stats/cbpe.py) at the edges of its rule, counted by hand: twenty
equal-width bins, a bin is thin below ``max(5, 0.001·n_ref)`` reference rows, scores binned at
their stored precision, one share per window including windows after the last row."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmon.stats import cbpe


def _share(reference, current, groups=None, n_groups=1, **kw):
    current = np.asarray(current)
    groups = np.zeros(current.size, dtype=int) if groups is None else groups
    return cbpe.unseen_share(reference, current, groups, n_groups, **kw).tolist()


def test_the_bins_are_twenty_by_default():
    # reference at 0.52: bin [0.50, 0.55) of twenty; 0.48 is in [0.45, 0.50), a bin without reference rows
    # (with 21 bins both would share [0.476, 0.524))
    assert _share(np.full(100, 0.52), [0.48, 0.51]) == [0.5]
    assert _share(np.full(100, 0.52), [0.48, 0.51], n_bins=21) == [0.0]


def test_a_bin_with_exactly_five_reference_rows_is_not_thin():
    ref = np.r_[np.full(5, 0.12), np.full(95, 0.9)]          # 5 rows in [0.10, 0.15)
    assert _share(ref, [0.12, 0.13, 0.9]) == [0.0]
    ref4 = np.r_[np.full(4, 0.12), np.full(96, 0.9)]         # 4 rows: thin
    assert _share(ref4, [0.12, 0.13, 0.9]) == [2 / 3]


def test_a_large_reference_asks_a_thousandth_of_its_rows():
    # 10 000 reference rows: a bin needs max(5, 0.001 * 10 000) = 10 rows; 9 is thin, 10 is not
    ref = np.r_[np.full(9, 0.32), np.full(1, 0.37), np.full(9990, 0.9)]
    assert _share(ref, [0.32, 0.37, 0.9, 0.91]) == [0.5]
    ref10 = np.r_[np.full(10, 0.32), np.full(9990, 0.9)]
    assert _share(ref10, [0.32, 0.9]) == [0.0]


def test_scores_are_binned_at_the_precision_they_are_stored_in():
    # float32 0.35 is 0.34999999403953552: in float64, 20 x that is 6.99999988, bin 6 ([0.30, 0.35));
    # float32 arithmetic would round the product to 7.0
    ref = np.full(100, 0.35, dtype=np.float32)
    assert _share(ref, [0.34, 0.36]) == [0.5]
    assert _share(np.full(100, 0.34), np.array([0.35, 0.36], dtype=np.float32)) == [0.5]


def test_every_window_gets_a_share_and_empty_ones_are_nan():
    ref = np.full(100, 0.52)
    got = _share(ref, [0.52, 0.1, 0.52], groups=np.array([0.0, 0.0, 2.0]), n_groups=4)
    assert got[0] == 0.5 and got[2] == 0.0
    assert math.isnan(got[1]) and math.isnan(got[3]) and len(got) == 4


def _binary_case():
    rng = np.random.default_rng(21)
    p = rng.random(40).astype(np.float32)
    yhat = (p > 0.5).astype(int)
    groups = np.repeat([0, 1], 20)
    return p, yhat, groups


def test_binary_estimates_of_float32_probabilities_are_those_of_their_float64_values():
    p, yhat, groups = _binary_case()
    a = cbpe.estimate_binary(p, yhat, p, groups, 2)
    b = cbpe.estimate_binary(p.astype(np.float64), yhat, p.astype(np.float64), groups, 2)
    for part in ("values", "lower", "upper"):
        for name in b.values:
            assert getattr(a, part)[name].tolist() == getattr(b, part)[name].tolist(), (part, name)


def test_binary_estimates_cover_windows_after_the_last_row_and_float_window_indices():
    p, yhat, groups = _binary_case()
    est = cbpe.estimate_binary(p, yhat, p, groups.astype(float), 4)
    assert est.n.tolist() == [20.0, 20.0, 0.0, 0.0]
    for w in (0, 1):
        alone = cbpe.estimate_binary(p[groups == w], yhat[groups == w], p[groups == w], np.zeros(20, dtype=int), 1)
        for name in ("accuracy", "precision", "recall", "f1_score", "auc_roc"):
            assert est.values[name].shape == (4,)
            assert est.values[name][w] == alone.values[name][0]
            assert est.upper[name][w] == alone.upper[name][0]
    assert math.isnan(est.values["accuracy"][3])


def test_ece_is_exact_to_fifteen_decimals():
    # hand: bins 3, 0, 8, 9 hold gaps |1 - 0.3|, |2 - 0|, |1 - 0.8|, |1 - 0.9|: 3.0 / 5 = 0.6
    # (the float sum is 0.6000000000000001)
    assert cbpe.expected_calibration_error([0.3, 0.0, 0.0, 0.8, 0.9], [1, 1, 1, 1, 1]) == 0.6


def test_ece_of_float32_probabilities_is_that_of_their_float64_values():
    # float32 0.7 is 0.69999998807907104: bin 6 of ten in float64, beside 0.65 (float32 arithmetic
    # would round 10 x it to 7.0 and split the two)
    p32 = np.array([0.7, 0.65], dtype=np.float32)
    y = np.array([1, 0])
    assert cbpe.expected_calibration_error(p32, y) == cbpe.expected_calibration_error(p32.astype(np.float64), y)
    # hand: bin 6 holds 0.7 and 0.65 against one positive: |1 - 1.35| / 2
    assert cbpe.expected_calibration_error(p32, y) == pytest.approx(0.35 / 2, abs=1e-7)


def test_calibration_choice_of_float32_scores_is_that_of_their_float64_values():
    rng = np.random.default_rng(5)
    s = rng.random(600).astype(np.float32)
    y = (rng.random(600) < s.astype(np.float64) ** 2).astype(int)
    a, b = cbpe.choose_calibration(s, y), cbpe.choose_calibration(s.astype(np.float64), y)
    assert (a.calibrate, a.ece_raw, a.ece_calibrated) == (b.calibrate, b.ece_raw, b.ece_calibrated)
    assert a.fit.x.tolist() == b.fit.x.tolist() and a.fit.y.tolist() == b.fit.y.tolist()
