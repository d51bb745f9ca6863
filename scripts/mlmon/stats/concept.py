r"""Concept-drift tests: did the relation between inputs and outcome change, rather than the
inputs themselves?

They work on *residuals* :math:`r = y - \hat y` (the label minus the predicted probability for a
binary model, minus the prediction for a regression). For a model that was right on the
reference, :math:`E[r \mid x] = 0` there. If only the inputs move (covariate shift),
:math:`P(y \mid x)` is unchanged, so :math:`E[r \mid x]` stays 0 wherever the current rows fall;
if the concept moves, it does not. Three tests read this:

- :func:`residual_shift`: the mean residual (calibration-in-the-large, Steyerberg 2009,
  *Clinical Prediction Models*, ch. 15) in current against reference, Welch's t test (Welch 1947).
- :func:`correlation_change`: whether a feature's correlation with the residual differs between
  the two periods, by Fisher's z transform (Fisher 1921; Cohen, Cohen, West & Aiken 2003,
  *Applied Multiple Regression*, eq. 2.8.11):

  .. math::  z = \frac{\operatorname{atanh} r_c - \operatorname{atanh} r_r}
                     {\sqrt{1/(n_c - 3) + 1/(n_r - 3)}}

  A feature whose effect on the outcome changed shows up here by name.
- :func:`intercept_offset`: the logit offset :math:`\delta` that makes the mean adjusted
  probability :math:`\sigma(\operatorname{logit} p + \delta)` equal the observed rate. Under pure
  label shift (:math:`P(x \mid y)` fixed, :math:`P(y)` moved) the true posterior is the old one
  with its prior odds rescaled, i.e. exactly such an offset (Saerens, Latinne & Decaestecker
  2002, "Adjusting the outputs of a classifier to new a priori probabilities", Neural Comput.
  14(1), eq. 2.4). Residual structure that survives the offset is concept drift, not label shift.

Examples
--------
>>> import numpy as np
>>> round(residual_shift([0.1, -0.1, 0.0, 0.2], [0.3, 0.5, 0.4, 0.2]).difference, 3)
0.3
>>> c = correlation_change([1, 2, 3, 4, 5], [0.0, 0.1, 0.0, 0.1, 0.0], [1, 2, 3, 4, 5], [0, 1, 2, 3, 5])
>>> round(c.reference_r, 3), round(c.current_r, 3)
(0.0, 0.986)
>>> d = intercept_offset(np.array([0.2, 0.2, 0.2, 0.2]), np.array([1, 0, 0, 1]))
>>> round(d, 4)   # logit(0.5) - logit(0.2) = log(4)
1.3863
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import optimize, special, stats


class MeanShift(NamedTuple):
    reference_mean: float
    current_mean: float
    difference: float   # current - reference
    t: float
    p_value: float      # two-sided, Welch's t test


class CorrelationChange(NamedTuple):
    reference_r: float
    current_r: float
    z: float
    p_value: float      # two-sided


def residual_shift(reference, current) -> MeanShift:
    """Welch's t test of the mean residual, current against reference."""
    a = _finite(reference)
    b = _finite(current)
    if a.size < 2 or b.size < 2:
        return MeanShift(_mean(a), _mean(b), _mean(b) - _mean(a), float("nan"), float("nan"))
    if a.min() == a.max() and b.min() == b.max():
        # both sides constant: their values, not means whose rounding differs with the count
        # (seven 0.1s average 0.09999999999999999, five 0.1s 0.1, and Welch's t on the rounding
        # would call that a shift at p = 0.05)
        ra, rb = float(a[0]), float(b[0])
        t, p = (0.0, 1.0) if ra == rb else (math.copysign(math.inf, rb - ra), 0.0)
        return MeanShift(ra, rb, rb - ra, t, p)
    res = stats.ttest_ind(b, a, equal_var=False)
    t, p = float(res.statistic), float(res.pvalue)
    return MeanShift(float(a.mean()), float(b.mean()), float(b.mean() - a.mean()), t, p)


def correlation_change(x_reference, r_reference, x_current, r_current) -> CorrelationChange:
    """Fisher z test that corr(x, r) differs between reference and current (pairs with a
    non-finite member are dropped)."""
    rr, nr = _pearson(x_reference, r_reference)
    rc, nc = _pearson(x_current, r_current)
    if nr <= 3 or nc <= 3 or math.isnan(rr) or math.isnan(rc):
        return CorrelationChange(rr, rc, float("nan"), float("nan"))
    clip = 1 - 1e-12
    z = (math.atanh(max(-clip, min(clip, rc))) - math.atanh(max(-clip, min(clip, rr)))) / math.sqrt(
        1 / (nc - 3) + 1 / (nr - 3))
    return CorrelationChange(rr, rc, float(z), float(2 * special.ndtr(-abs(z))))


def intercept_offset(proba, y) -> float:
    """The logit offset delta with mean(sigmoid(logit(proba) + delta)) == mean(y).

    ``proba`` is clipped to [1e-6, 1 - 1e-6]; an observed rate of exactly 0 or 1 has no finite
    offset and returns -inf or +inf.
    """
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-6, 1 - 1e-6)
    target = float(np.mean(np.asarray(y, dtype=np.float64)))
    if target <= 0:
        return -math.inf
    if target >= 1:
        return math.inf
    logits = special.logit(p)
    f = lambda d: float(special.expit(logits + d).mean()) - target  # noqa: E731
    return float(optimize.brentq(f, -50.0, 50.0, xtol=1e-12))


def _pearson(x, r):
    x = np.asarray(x, dtype=np.float64).ravel()
    r = np.asarray(r, dtype=np.float64).ravel()
    ok = np.isfinite(x) & np.isfinite(r)
    x, r = x[ok], r[ok]
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(r) == 0:
        return (0.0 if x.size >= 2 else float("nan")), int(x.size)
    return float(np.corrcoef(x, r)[0, 1]), int(x.size)


def _finite(values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if a.size else float("nan")
