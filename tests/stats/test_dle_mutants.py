"""Direct loss estimation's kernel (stats/dle.py): the error models are scikit-learn's
HistGradientBoostingRegressor with the settings the module declares, fitted on ``[X, ŷ]``; κ,
the reference's own error and the per-window estimates and bands are checked against the
formulas of the module docstring computed by hand, window by window."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from mlmon.stats import dle
from mlmon.stats.dle import (ErrorModels, Kappa, PredictedErrors, estimate_regression, fit_error_models, kappa,
                             mape_defined, predict_errors, reference_error)
from mlmon.stats.intervals import Z95

SETTINGS = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20, l2_regularization=0.0,
                early_stopping=False, random_state=0)


def test_the_declared_settings():
    assert dle.BOOSTING == SETTINGS
    assert (dle.MIN_REFERENCE_ROWS, dle.HELD_BACK, dle.MAPE_EPS) == (500, 0.25, 1e-12)


def test_mape_is_defined_only_when_no_target_is_within_eps_of_zero():
    assert mape_defined([1.0, -2.0, 3e-12, -3e-12]) is True
    assert mape_defined([1.0, 1e-12]) is False      # |y| must exceed eps
    assert mape_defined([1.0, -1e-12]) is False
    assert mape_defined([1.0, 0.0]) is False
    assert mape_defined(np.array([5, -7])) is True   # integers


def _data(n=200, seed=7):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-2, 2, n)
    code = rng.integers(0, 4, n).astype(float)
    y = 3.0 + x0 + 0.5 * code + rng.normal(0, 0.3 + 0.4 * np.abs(x0), n)
    yhat = 3.0 + 0.9 * x0 + 0.5 * code
    return np.column_stack([x0, code]), y, yhat


def _sklearn(design, target, categorical=None):
    return HistGradientBoostingRegressor(categorical_features=categorical, **SETTINGS).fit(design, target)


def test_error_models_are_sklearns_boosters_on_features_and_prediction():
    X, y, yhat = _data()
    with threadpool_limits(1):
        models = fit_error_models(X, y, yhat, [False, True], with_ape=True)
        design = np.column_stack([X, yhat])
        err = np.abs(y - yhat)
        grid = np.column_stack([np.linspace(-2.5, 2.5, 50), np.arange(50) % 4, np.linspace(0.0, 6.0, 50)])
        for model, target in [(models.abs, err), (models.sq, err ** 2), (models.ape, err / np.abs(y))]:
            want = _sklearn(design, target, np.array([False, True, False]))
            assert model.predict(grid).tolist() == want.predict(grid).tolist()
        got = predict_errors(models, X[:60], yhat[:60])
    assert got.abs.tolist() == np.maximum(models.abs.predict(design[:60]), 0.0).tolist()
    assert got.ape.tolist() == np.maximum(models.ape.predict(design[:60]), 0.0).tolist()


def test_error_models_without_ape_and_one_feature_given_flat():
    X, y, yhat = _data(n=300, seed=3)
    with threadpool_limits(1):
        models = fit_error_models(X[:, 0], y, yhat, [False], with_ape=False)
        assert models.ape is None
        design = np.column_stack([X[:, 0], yhat])
        assert models.sq.predict(design).tolist() == _sklearn(design, (y - yhat) ** 2).predict(design).tolist()
        pred = predict_errors(models, X[:5, 0], yhat[:5])
    assert pred.ape is None and pred.abs.shape == (5,) and pred.sq.shape == (5,)


class _Fixed:
    def __init__(self, values):
        self.values = np.asarray(values, dtype=float)
        self.seen = None

    def predict(self, design):
        self.seen = design
        return self.values


def test_predicted_errors_are_clipped_at_zero_and_read_features_then_prediction():
    models = ErrorModels(_Fixed([-0.5, 0.0, 2.0]), _Fixed([1.0, -1e-9, 4.0]), _Fixed([-3.0, 0.25, 0.0]))
    got = predict_errors(models, np.array([[1, 2], [3, 4], [5, 6]]), np.array([7, 8, 9]))
    assert got.abs.tolist() == [0.0, 0.0, 2.0]
    assert got.sq.tolist() == [1.0, 0.0, 4.0]
    assert got.ape.tolist() == [0.0, 0.25, 0.0]
    assert models.abs.seen.tolist() == [[1.0, 2.0, 7.0], [3.0, 4.0, 8.0], [5.0, 6.0, 9.0]]
    assert models.abs.seen.dtype == np.float64


def test_kappa_by_hand_for_every_loss():
    # y = [2, -4, 1], ŷ = [1, -1, 1.5]: |e| = 1, 3, 0.5; e² = 1, 9, 0.25; |e|/|y| = 0.5, 0.75, 0.5
    pred = PredictedErrors(np.array([1.0, 2.0, 1.0]), np.array([2.0, 4.0, 1.0]), np.array([0.5, 0.5, 1.0]))
    got = kappa(pred, np.array([2.0, -4.0, 1.0]), np.array([1.0, -1.0, 1.5]))
    # abs: mean((0, 1, -.5)²) / mean(1, 4, 1) = (1.25/3) / 2
    assert got.abs == pytest.approx((1.25 / 3) / 2, rel=1e-14)
    # sq: mean((-1, 5, -.75)²) / mean(4, 16, 1) = (26.5625/3) / 7
    assert got.sq == pytest.approx((26.5625 / 3) / 7, rel=1e-14)
    # ape: mean((0, .25, -.5)²) / mean(.25, .25, 1) = (.3125/3) / .5
    assert got.ape == pytest.approx((0.3125 / 3) / 0.5, rel=1e-14)


def test_kappa_and_reference_error_are_zero_when_nothing_is_predicted():
    pred = PredictedErrors(np.zeros(2), np.zeros(2), np.zeros(2))
    y, yhat = np.array([1.0, 2.0]), np.array([0.0, 0.0])
    assert kappa(pred, y, yhat) == Kappa(0.0, 0.0, 0.0)
    assert reference_error(pred, y, yhat) == Kappa(0.0, 0.0, 0.0)
    no_ape = PredictedErrors(np.ones(2), np.ones(2), None)
    assert kappa(no_ape, y, yhat).ape is None and reference_error(no_ape, y, yhat).ape is None


def test_reference_error_by_hand_for_every_loss():
    y, yhat = np.array([2.0, -4.0, 1.0, 4.0]), np.array([1.0, -1.0, 1.5, 2.0])
    # |e| = 1, 3, .5, 2; e² = 1, 9, .25, 4; |e|/|y| = .5, .75, .5, .5
    pred = PredictedErrors(np.array([1.0, 2.0, 1.0, 2.0]), np.array([2.0, 4.0, 1.0, 5.0]),
                           np.array([0.5, 0.5, 1.0, 0.5]))
    got = reference_error(pred, y, yhat)

    def rel(gaps, preds):  # population standard deviation of the gaps / sqrt(n), over the mean prediction
        m = sum(gaps) / len(gaps)
        sd = math.sqrt(sum((g - m) ** 2 for g in gaps) / len(gaps))
        return sd / math.sqrt(len(gaps)) / (sum(preds) / len(preds))

    assert got.abs == pytest.approx(rel([0, 1, -0.5, 0], [1, 2, 1, 2]), rel=1e-14)
    assert got.sq == pytest.approx(rel([-1, 5, -0.75, -1], [2, 4, 1, 5]), rel=1e-14)
    assert got.ape == pytest.approx(rel([0, 0.25, -0.5, 0], [0.5, 0.5, 1, 0.5]), rel=1e-14)


def _by_hand(pred, groups, w, k, rel, z):
    rows = [p for p, g in zip(pred, groups) if g == w]
    n = len(rows)
    mean = sum(rows) / n
    var = k * sum(p * p for p in rows) / n ** 2 + (rel * mean) ** 2
    return mean, math.sqrt(var) * z


def test_estimates_and_bands_window_by_window():
    a = np.array([1.0, 2.0, 3.0, 0.5, 0.1])
    q = np.array([1.5, 5.0, 10.0, 0.4, 0.02])
    r = np.array([0.1, 0.2, 0.3, 0.05, 0.01])
    groups = np.array([0, 0, 1, 1, 1])
    kap, ref, z = Kappa(0.57, 2.0, 0.9), Kappa(0.1, 0.2, 0.3), 1.5
    est = estimate_regression(a, q, r, groups, 3, kap, z=z, reference=ref)
    assert est.n.tolist() == [2.0, 3.0, 0.0]
    for w in (0, 1):
        m, half = _by_hand(a, groups, w, 0.57, 0.1, z)
        assert est.values["mae"][w] == pytest.approx(m, rel=1e-14)
        assert est.lower["mae"][w] == pytest.approx(max(m - half, 0.0), rel=1e-14, abs=1e-15)
        assert est.upper["mae"][w] == pytest.approx(m + half, rel=1e-14)
        mse, half = _by_hand(q, groups, w, 2.0, 0.2, z)
        assert est.values["rmse"][w] == pytest.approx(math.sqrt(mse), rel=1e-14)
        assert est.lower["rmse"][w] == pytest.approx(math.sqrt(max(mse - half, 0.0)), rel=1e-14, abs=1e-15)
        assert est.upper["rmse"][w] == pytest.approx(math.sqrt(mse + half), rel=1e-14)
        mape, half = _by_hand(r, groups, w, 0.9, 0.3, z)
        assert est.values["mape"][w] == pytest.approx(mape, rel=1e-14)
        assert est.lower["mape"][w] == pytest.approx(max(mape - half, 0.0), rel=1e-14, abs=1e-15)
        assert est.upper["mape"][w] == pytest.approx(mape + half, rel=1e-14)
    # window 1's MSE band reaches below zero: clipped there, so RMSE's lower bound is 0
    assert est.lower["rmse"][1] == 0.0 and est.lower["mae"][1] > 0.0
    for name in ("mae", "rmse", "mape"):
        assert math.isnan(est.values[name][2])


def test_estimates_default_to_the_95_band_and_no_reference_error():
    a = np.array([1.0, 3.0])
    q = np.array([2.0, 6.0])
    est = estimate_regression(a, q, None, np.array([0, 0]), 1, Kappa(0.1, 0.25, None))
    assert set(est.values) == {"mae", "rmse"}
    # mae 2, se = sqrt(0.1 * (1 + 9) / 4) = 0.5; mse 4, se = sqrt(0.25 * (4 + 36) / 4) = sqrt(2.5)
    assert est.values["mae"][0] == 2.0
    assert est.upper["mae"][0] == pytest.approx(2.0 + Z95 * 0.5, rel=1e-14)
    assert est.lower["mae"][0] == pytest.approx(2.0 - Z95 * 0.5, rel=1e-14)
    assert est.upper["rmse"][0] == pytest.approx(math.sqrt(4.0 + Z95 * math.sqrt(2.5)), rel=1e-14)
    assert est.lower["rmse"][0] == pytest.approx(math.sqrt(4.0 - Z95 * math.sqrt(2.5)), rel=1e-14)
    # a percentage error without its κ is not estimated
    assert "mape" not in estimate_regression(a, q, np.ones(2), np.array([0, 0]), 1, Kappa(0.5, 0.25, None)).values


def test_kappa_and_reference_error_of_narrow_integer_targets_do_not_overflow():
    # int8 target and prediction: y - ŷ = 200 does not fit in int8
    y = np.array([100, -100, 100, -100], dtype=np.int8)
    yhat = np.array([-100, 100, -100, 100], dtype=np.int8)
    pred = PredictedErrors(np.full(4, 100.0), np.full(4, 1e4), None)
    # |e| = 200 on every row: mean((200 - 100)²) / mean(100²) = 1; e² = 40000: mean(30000²) / mean(1e4²) = 9
    assert kappa(pred, y, yhat) == Kappa(1.0, 9.0, None)
    assert reference_error(pred, y, yhat) == Kappa(0.0, 0.0, None)


def test_estimates_of_float32_errors_and_float_windows_equal_float64_ones():
    rng = np.random.default_rng(2)
    a, q, r = (rng.random(12).astype(np.float32) for _ in range(3))
    g = np.repeat([0, 1, 2], 4)
    kap = Kappa(0.3, 0.6, 0.4)
    got = estimate_regression(a, q, r, g.astype(float), 3, kap)
    want = estimate_regression(a.astype(float), q.astype(float), r.astype(float), g, 3, kap)
    for part in ("values", "lower", "upper"):
        for name in ("mae", "rmse", "mape"):
            assert getattr(got, part)[name].tolist() == getattr(want, part)[name].tolist(), (part, name)


def test_percentage_error_band_without_reference_error():
    r = np.array([0.2, 0.4, 0.3, 0.5])
    est = estimate_regression(np.ones(4), np.ones(4), r, np.zeros(4, dtype=int), 1, Kappa(0.1, 0.1, 0.2))
    # mean 0.35, se = sqrt(0.2 * (0.04 + 0.16 + 0.09 + 0.25) / 16) = sqrt(0.00675)
    se = math.sqrt(0.2 * 0.54 / 16)
    assert est.values["mape"][0] == pytest.approx(0.35, rel=1e-14)
    assert est.lower["mape"][0] == pytest.approx(0.35 - Z95 * se, rel=1e-12)
    assert est.upper["mape"][0] == pytest.approx(0.35 + Z95 * se, rel=1e-12)
