"""Regression metrics' bands (stats/regression.py) by hand: the CLT interval of a mean loss
(``mean ± z·s/√n``, s the sample standard deviation from Python's ``statistics``), the delta
method for R² and business value captured (Cochran 1977, §6.4), and values against
scikit-learn, including narrow integer columns and windows past the last row."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from sklearn import metrics as skm

from mlmon.stats.intervals import Z95
from mlmon.stats.regression import regression_metrics

Y = np.array([3.0, -0.5, 2.0, 7.0, 4.0, 1.0])
YHAT = np.array([2.5, 0.0, 2.0, 8.0, 1.0, 1.5])
G = np.array([0, 0, 0, 1, 1, 1])


def _mean_band(losses, z):
    m = statistics.fmean(losses)
    half = z * statistics.stdev(losses) / math.sqrt(len(losses))
    return m, max(m - half, 0.0), m + half


def _ratio_band(a, b, z):
    r = sum(a) / sum(b)
    se = math.sqrt(sum((ai - r * bi) ** 2 for ai, bi in zip(a, b)) / sum(b) ** 2)
    return r, se


@pytest.mark.parametrize("z", [Z95, 1.0])
def test_mean_loss_bands_by_hand(z):
    m = regression_metrics(Y, YHAT, G, 2, quantile=0.8, z=z)
    for w in (0, 1):
        y, yh = Y[G == w].tolist(), YHAT[G == w].tolist()
        e = [b - a for a, b in zip(y, yh)]
        for name, losses in [("mae", [abs(v) for v in e]),
                             ("mape", [abs(v) / abs(a) for v, a in zip(e, y)]),
                             ("quantile_loss", [0.8 * max(a - b, 0) + 0.2 * max(b - a, 0) for a, b in zip(y, yh)])]:
            want = _mean_band(losses, z)
            got = (m.values[name][w], m.lower[name][w], m.upper[name][w])
            assert got == pytest.approx(want, rel=1e-12, abs=1e-15), (name, w)
        mse, lo, hi = _mean_band([v * v for v in e], z)
        assert m.values["rmse"][w] == pytest.approx(math.sqrt(mse), rel=1e-12)
        assert m.lower["rmse"][w] == pytest.approx(math.sqrt(lo), rel=1e-12, abs=1e-15)
        assert m.upper["rmse"][w] == pytest.approx(math.sqrt(hi), rel=1e-12)


def test_a_mean_loss_band_is_clipped_at_zero():
    # absolute errors 0, 0, 0, 10: mean 2.5, s = 5, half-width 1.96 * 5 / 2 = 4.9 -> lower 0, not -2.4
    y, yhat = np.zeros(4), np.array([0.0, 0.0, 0.0, 10.0])
    m = regression_metrics(y + 1.0, yhat + 1.0, np.zeros(4, dtype=int), 1)
    assert m.values["mae"][0] == 2.5
    assert m.lower["mae"][0] == 0.0
    assert m.upper["mae"][0] == pytest.approx(2.5 + Z95 * 5 / 2, rel=1e-12)
    assert m.lower["rmse"][0] == 0.0


@pytest.mark.parametrize("z", [Z95, 1.0])
def test_r2_and_business_value_bands_by_the_delta_method(z):
    m = regression_metrics(Y, YHAT, G, 2, under_prediction_cost=3.0, over_prediction_cost=0.5, z=z)
    for w in (0, 1):
        y, yh = Y[G == w].tolist(), YHAT[G == w].tolist()
        ybar = statistics.fmean(y)
        frac, se = _ratio_band([(b - a) ** 2 for a, b in zip(y, yh)], [(a - ybar) ** 2 for a in y], z)
        assert m.values["r2_score"][w] == pytest.approx(skm.r2_score(y, yh), rel=1e-12)
        assert m.values["r2_score"][w] == pytest.approx(1 - frac, rel=1e-12)
        assert m.lower["r2_score"][w] == pytest.approx(1 - frac - z * se, rel=1e-12)
        assert m.upper["r2_score"][w] == pytest.approx(min(1 - frac + z * se, 1.0), rel=1e-12)
        cost = [3.0 * max(a - b, 0) + 0.5 * max(b - a, 0) for a, b in zip(y, yh)]
        ratio, se = _ratio_band(cost, [3.0 * abs(a) for a in y], z)
        assert m.values["business_value_captured"][w] == pytest.approx(1 - ratio, rel=1e-12)
        assert m.lower["business_value_captured"][w] == pytest.approx(1 - ratio - z * se, rel=1e-12)
        assert m.upper["business_value_captured"][w] == pytest.approx(min(1 - ratio + z * se, 1.0), rel=1e-12)


def test_business_value_by_default_is_one_minus_wape():
    # c_u = c_o = 1: 1 - Σ|y - ŷ| / Σ|y| per window
    m = regression_metrics(Y, YHAT, G, 2)
    for w in (0, 1):
        y, yh = Y[G == w], YHAT[G == w]
        assert m.values["business_value_captured"][w] == pytest.approx(1 - np.abs(y - yh).sum() / np.abs(y).sum(),
                                                                       rel=1e-12)


def test_windows_after_the_last_row_are_empty_and_nan():
    m = regression_metrics(Y, YHAT, G, 4, quantile=0.5, lower=YHAT - 1, upper=YHAT + 1)
    assert m.n.tolist() == [3.0, 3.0, 0.0, 0.0]
    for name, v in m.values.items():
        assert v.shape == (4,), name
        assert np.isnan(v[2:]).all(), name
        assert np.isnan(m.lower[name][2:]).all() and np.isnan(m.upper[name][2:]).all(), name


def test_narrow_integer_columns_do_not_overflow():
    # int8 target and prediction: ŷ - y = -200 does not fit in int8; every error is 200
    y = np.array([100, -100, 100, -100], dtype=np.int8)
    yhat = np.array([-100, 100, -100, 100], dtype=np.int8)
    m = regression_metrics(y, yhat, np.zeros(4, dtype=np.int8), 1)
    yf, yhf = y.astype(float), yhat.astype(float)
    assert m.values["mae"][0] == skm.mean_absolute_error(yf, yhf) == 200.0
    assert m.values["rmse"][0] == pytest.approx(skm.root_mean_squared_error(yf, yhf), rel=1e-15)
    assert m.values["mape"][0] == pytest.approx(skm.mean_absolute_percentage_error(yf, yhf), rel=1e-15)


def test_window_indices_given_as_floats_are_read_as_integers():
    m = regression_metrics(Y, YHAT, G.astype(float), 2)
    want = regression_metrics(Y, YHAT, G, 2)
    assert m.values["mae"].tolist() == want.values["mae"].tolist()


def _wilson(k, n, z):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


@pytest.mark.parametrize("z", [Z95, 1.0])
def test_interval_coverage_counts_both_bounds_as_inside_with_a_wilson_band(z):
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    lower = np.array([1.0, 0.0, 3.5, 0, 0])     # row 0 on its lower bound: inside; row 2 below: outside
    upper = np.array([2.0, 2.0, 9.0, 3.9, 5])   # row 1 and row 4 on their upper bound: inside; row 3 above
    m = regression_metrics(y, y, np.zeros(5, dtype=int), 1, lower=lower, upper=upper, z=z)
    assert m.values["prediction_interval_coverage"][0] == 3 / 5
    lo, hi = _wilson(3, 5, z)
    assert m.lower["prediction_interval_coverage"][0] == pytest.approx(lo, rel=1e-12)
    assert m.upper["prediction_interval_coverage"][0] == pytest.approx(hi, rel=1e-12)


def test_interval_coverage_needs_both_bounds():
    y = np.array([1.0, 2.0, 3.0])
    assert "prediction_interval_coverage" not in regression_metrics(y, y, np.zeros(3, dtype=int), 1,
                                                                   lower=y - 1).values
    assert "prediction_interval_coverage" not in regression_metrics(y, y, np.zeros(3, dtype=int), 1,
                                                                   upper=y + 1).values


def test_r2_and_business_value_upper_bounds_stop_at_one():
    # a good fit with a wide delta-method band: both values + z*se exceed 1, the bounds are 1
    y = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    yhat = np.array([1.5, 1.5, 3.5, 3.5, 10.0])
    m = regression_metrics(y, yhat, np.zeros(5, dtype=int), 1)
    for name in ("r2_score", "business_value_captured"):
        v = m.values[name][0]
        assert m.upper[name][0] == 1.0 and m.lower[name][0] < v < 1.0, name
    frac, se = _ratio_band(((yhat - y) ** 2).tolist(), ((y - y.mean()) ** 2).tolist(), Z95)
    assert 1 - frac + Z95 * se > 1.0
    assert m.lower["r2_score"][0] == pytest.approx(1 - frac - Z95 * se, rel=1e-12)


def test_a_constant_window_has_no_r2_band():
    # a constant target: R² is 1 for exact predictions, 0 otherwise (scikit-learn), with NaN bounds
    m = regression_metrics(np.array([2.0, 2.0, 5.0, 5.0]), np.array([2.0, 2.0, 5.0, 6.0]), np.array([0, 0, 1, 1]), 2)
    assert m.values["r2_score"].tolist() == [1.0, 0.0]
    assert skm.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0 and skm.r2_score([5.0, 5.0], [5.0, 6.0]) == 0.0
    assert np.isnan(m.lower["r2_score"]).all() and np.isnan(m.upper["r2_score"]).all()
