"""Regression metrics for many windows in one pass, with confidence intervals.

Same shape as :mod:`mlmon.stats.classification`: rows with a window index ``groups``, one
value per window from ``np.bincount``. Values equal scikit-learn's ``root_mean_squared_error``,
``mean_absolute_error``, ``r2_score``, ``mean_absolute_percentage_error`` and
``mean_pinball_loss`` on each window (tests check 1e-9).

- ``mape`` divides by ``max(|y|, eps)`` with float64's machine epsilon, as scikit-learn does,
  so a zero target gives a huge but finite term instead of a crash or infinity.
- ``quantile_loss`` is the pinball loss at quantile ``α``:
  ``mean(α·(y-ŷ)⁺ + (1-α)·(ŷ-y)⁺)`` (Koenker & Bassett 1978).
- ``prediction_interval_coverage`` is the share of rows with ``lower <= y <= upper``.
- ``business_value_captured`` is ``1 - Σ cost_i / Σ c_u·|y_i|`` with
  ``cost_i = c_u·(y_i-ŷ_i)⁺ + c_o·(ŷ_i-y_i)⁺``: the share of the cost of predicting nothing
  (for a non-negative target, every unit missed) that the model avoids. 1 is perfect, 0 no
  better than predicting zero. With ``c_u = c_o = 1`` it is one minus the weighted absolute
  percentage error (WAPE).

Intervals (95 %): means of per-row losses (MAE, MAPE, pinball) by the central limit theorem;
RMSE as the square root of the bounds of the mean squared error's interval; coverage by
Wilson; R² and business value captured by the delta method for a ratio of means
(``R = Σa/Σb``, ``Var(R) ≈ Σ(a_i - R b_i)² / (Σb)²``; Cochran (1977), Sampling Techniques,
§6.4), treating the window mean in R²'s denominator as known.

Examples
--------
>>> import numpy as np
>>> y = np.array([3.0, -0.5, 2.0, 7.0]); yhat = np.array([2.5, 0.0, 2.0, 8.0])
>>> m = regression_metrics(y, yhat, np.zeros(4, dtype=int), 1)
>>> float(m.values["mae"][0]), round(float(m.values["r2_score"][0]), 4)
(0.5, 0.9486)
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from mlmon.stats.classification import WindowMetrics, _div
from mlmon.stats.intervals import Z95, normal, normal_mean, wilson

REGRESSION_METRICS = ("rmse", "mae", "r2_score", "mape", "quantile_loss",
                      "prediction_interval_coverage", "business_value_captured")


def _sums(values, groups, n_groups):
    return np.bincount(groups, weights=values, minlength=n_groups)


def _mean_iv(values, groups, n_groups, n, z, lo=0.0):
    sums = _sums(values, groups, n_groups)
    mean = _div(sums, n)
    dev = values - mean[groups]
    iv = normal_mean(sums, _sums(dev * dev, groups, n_groups), n, z, lo=lo)
    return mean, iv


def _ratio_iv(a, b, groups, n_groups, z):
    """``R = Σa/Σb`` per window with its delta-method standard error."""
    sa = _sums(a, groups, n_groups)
    sb = _sums(b, groups, n_groups)
    r = _div(sa, sb)
    resid = a - r[groups] * b
    se = np.sqrt(_div(_sums(resid * resid, groups, n_groups), sb * sb))
    return r, se


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int, *,
                       quantile: Optional[float] = None, lower: Optional[np.ndarray] = None,
                       upper: Optional[np.ndarray] = None, under_prediction_cost: float = 1.0,
                       over_prediction_cost: float = 1.0, z: float = Z95) -> WindowMetrics:
    """Regression metrics per window (see the module docstring for definitions).

    ``quantile_loss`` needs ``quantile`` (0 < α < 1); ``prediction_interval_coverage`` needs
    ``lower`` and ``upper``. R² follows scikit-learn for a constant target: 1 when the
    predictions are exact, else 0.

    >>> y = np.array([1.0, 2.0, 3.0, 4.0]); yhat = np.array([1.0, 3.0, 3.0, 2.0])
    >>> m = regression_metrics(y, yhat, np.array([0, 0, 1, 1]), 2, quantile=0.9)
    >>> m.values["rmse"].round(4).tolist(), m.values["quantile_loss"].round(4).tolist()
    ([0.7071, 1.4142], [0.05, 0.9])
    """
    groups = np.asarray(groups, dtype=np.int64)
    y = np.asarray(y_true, dtype=np.float64)
    yhat = np.asarray(y_pred, dtype=np.float64)
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)
    err = yhat - y
    values: Dict[str, np.ndarray] = {}
    lo: Dict[str, np.ndarray] = {}
    hi: Dict[str, np.ndarray] = {}

    def put(name, value, iv):
        values[name] = value
        lo[name], hi[name] = iv

    sq = err * err
    mse, mse_iv = _mean_iv(sq, groups, n_groups, n, z)
    put("rmse", np.sqrt(mse), (np.sqrt(np.maximum(mse_iv.lower, 0.0)), np.sqrt(mse_iv.upper)))
    mae, iv = _mean_iv(np.abs(err), groups, n_groups, n, z)
    put("mae", mae, iv)

    ymean = _div(_sums(y, groups, n_groups), n)
    dev = y - ymean[groups]
    ss_tot = _sums(dev * dev, groups, n_groups)
    ss_res = _sums(sq, groups, n_groups)
    frac, se = _ratio_iv(sq, dev * dev, groups, n_groups, z)
    r2 = 1.0 - frac
    constant = ss_tot == 0
    r2[constant] = np.where(ss_res[constant] == 0, 1.0, 0.0)
    r2[n == 0] = np.nan
    r2_iv = normal(r2, np.where(constant, np.nan, se), z, hi=1.0)
    put("r2_score", r2, r2_iv)

    eps = np.finfo(np.float64).eps
    mape, iv = _mean_iv(np.abs(err) / np.maximum(np.abs(y), eps), groups, n_groups, n, z)
    put("mape", mape, iv)

    if quantile is not None:
        a = float(quantile)
        diff = y - yhat
        pinball = np.where(diff >= 0, a * diff, (a - 1) * diff)
        ql, iv = _mean_iv(pinball, groups, n_groups, n, z)
        put("quantile_loss", ql, iv)

    if lower is not None and upper is not None:
        inside = ((y >= np.asarray(lower, dtype=np.float64)) & (y <= np.asarray(upper, dtype=np.float64)))
        k = _sums(inside.astype(np.float64), groups, n_groups)
        put("prediction_interval_coverage", _div(k, n), wilson(k, n, z))

    cu, co = float(under_prediction_cost), float(over_prediction_cost)
    cost = cu * np.maximum(y - yhat, 0.0) + co * np.maximum(yhat - y, 0.0)
    ratio, se = _ratio_iv(cost, cu * np.abs(y), groups, n_groups, z)
    bvc = 1.0 - ratio
    put("business_value_captured", bvc, normal(bvc, se, z, hi=1.0))
    return WindowMetrics(values, lo, hi, n)
