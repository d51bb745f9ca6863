"""Comparing one treatment with its control: Welch's t, the two-proportion z-test, lifts, CUPED.

Every test here compares a treatment arm ``t`` with a control arm ``c`` through their means
:math:`\\bar y_t, \\bar y_c` and the variances of those means :math:`v_t = s_t^2/n_t`,
:math:`v_c = s_c^2/n_c`.

- :func:`welch_t` (continuous metrics): :math:`t = (\\bar y_t - \\bar y_c)/\\sqrt{v_t + v_c}`
  with the Welch-Satterthwaite degrees of freedom
  :math:`\\nu = (v_t + v_c)^2 / (v_t^2/(n_t-1) + v_c^2/(n_c-1))`, as
  ``scipy.stats.ttest_ind(equal_var=False)``. Welch (1947), Biometrika 34(1/2).
- :func:`two_proportion_z` (binary metrics): :math:`z = (\\hat p_t - \\hat p_c)/
  \\sqrt{\\hat p(1-\\hat p)(1/n_t + 1/n_c)}` with the pooled rate :math:`\\hat p`, as
  ``statsmodels.stats.proportion.proportions_ztest`` (its default ``prop_var=False``); the
  confidence interval of the difference uses the unpooled (Wald) variance.
- Relative lift :math:`r = \\bar y_t/\\bar y_c - 1` with a delta-method interval
  :math:`\\operatorname{Var}(r) \\approx v_t/\\bar y_c^2 + \\bar y_t^2 v_c/\\bar y_c^4`
  (Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics", KDD).
- :func:`cuped` removes the part of a metric a pre-period covariate :math:`x` predicts:
  :math:`y - \\theta(x - \\bar x)` with :math:`\\theta = \\operatorname{cov}(y, x)/\\operatorname{var}(x)`
  pooled over both arms (Deng, Xu, Kohavi & Walker 2013, "Improving the Sensitivity of Online
  Controlled Experiments by Utilizing Pre-Experiment Data", WSDM).

Examples
--------
>>> r = welch_t([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0])
>>> round(r.statistic, 4), round(r.p_value, 4), round(r.df, 3)
(2.2514, 0.0691, 5.521)
>>> z = two_proportion_z(100, 1000, 130, 1000)
>>> round(z.statistic, 4), round(z.p_value, 4), round(z.relative_lift, 2)
(2.1027, 0.0355, 0.3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from scipy import special, stats


@dataclass(frozen=True)
class Comparison:
    """One treatment against its control.

    ``difference`` is treatment minus control (absolute lift), ``relative_lift`` the treatment
    over control minus one (None when the control mean is 0); intervals are two-sided at
    ``1 - alpha``. ``df`` is None for z-tests.
    """

    control_mean: float
    treatment_mean: float
    control_n: int
    treatment_n: int
    difference: float
    difference_ci: Tuple[float, float]
    relative_lift: Optional[float]
    relative_lift_ci: Optional[Tuple[Optional[float], Optional[float]]]
    statistic: float
    p_value: float
    standard_error: float
    df: Optional[float] = None


def relative_lift(mean_c: float, var_mean_c: float, mean_t: float, var_mean_t: float,
                  alpha: float = 0.05):
    """Relative lift ``mean_t/mean_c - 1`` and its delta-method interval (None if ``mean_c`` is 0).

    >>> lift, (lo, hi) = relative_lift(0.10, 0.0001, 0.12, 0.0001)
    >>> round(lift, 3), round(lo, 3), round(hi, 3)
    (0.2, -0.106, 0.506)
    """
    if mean_c == 0:
        return None, None
    with np.errstate(over="ignore", invalid="ignore"):  # a control mean near 0: infinite, not an error
        ratio = np.float64(mean_t) / np.float64(mean_c)
        se = np.sqrt(var_mean_t + ratio ** 2 * var_mean_c) / abs(mean_c)
    lift = ratio - 1.0
    half = special.ndtri(1 - alpha / 2) * se
    with np.errstate(invalid="ignore"):
        return float(lift), (float(lift - half), float(lift + half))


def welch_t(control, treatment, alpha: float = 0.05) -> Comparison:
    """Welch's unequal-variance t-test of treatment against control (two-sided)."""
    c = np.asarray(control, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    if c.size < 2 or t.size < 2:
        raise ValueError("each arm needs at least two observations")
    return welch_t_from_stats(c.mean(), c.var(ddof=1), c.size, t.mean(), t.var(ddof=1), t.size, alpha)


def welch_t_from_stats(mean_c, var_c, n_c, mean_t, var_t, n_t, alpha: float = 0.05) -> Comparison:
    """:func:`welch_t` from each arm's mean, sample variance (ddof=1) and size."""
    vc, vt = var_c / n_c, var_t / n_t
    se2 = vc + vt
    if not se2 > 0:
        raise ValueError("both arms have zero variance")
    se = float(np.sqrt(se2))
    wc, wt = vc / se2, vt / se2  # shares of the variance: no underflow in the squares
    df = float(1.0 / (wc ** 2 / (n_c - 1) + wt ** 2 / (n_t - 1)))
    diff = float(mean_t - mean_c)
    stat = diff / se
    p = float(2 * stats.t.sf(abs(stat), df))
    half = float(stats.t.ppf(1 - alpha / 2, df) * se)
    lift, lift_ci = relative_lift(float(mean_c), vc, float(mean_t), vt, alpha)
    return Comparison(float(mean_c), float(mean_t), int(n_c), int(n_t), diff, (diff - half, diff + half),
                      lift, lift_ci, float(stat), p, se, df)


def two_proportion_z(count_c, n_c, count_t, n_t, alpha: float = 0.05) -> Comparison:
    """Two-sided two-proportion z-test (pooled variance) of treatment against control."""
    p_c, p_t = count_c / n_c, count_t / n_t
    pooled = (count_c + count_t) / (n_c + n_t)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    if not se0 > 0:
        raise ValueError("both arms have zero variance (every outcome is the same)")
    z = float((p_t - p_c) / se0)
    p = float(2 * special.ndtr(-abs(z)))
    vc, vt = p_c * (1 - p_c) / n_c, p_t * (1 - p_t) / n_t
    se = float(np.sqrt(vc + vt))
    half = float(special.ndtri(1 - alpha / 2) * se)
    diff = float(p_t - p_c)
    lift, lift_ci = relative_lift(float(p_c), vc, float(p_t), vt, alpha)
    return Comparison(float(p_c), float(p_t), int(n_c), int(n_t), diff, (diff - half, diff + half),
                      lift, lift_ci, z, p, se, None)


def two_proportion_z_statistic(count_c, n_c, count_t, n_t):
    """The pooled z statistic alone, vectorised over arrays of counts (for simulations).

    >>> two_proportion_z_statistic(np.array([100, 100]), 1000, np.array([130, 100]), 1000).round(4).tolist()
    [2.1027, 0.0]
    """
    count_c, count_t = np.asarray(count_c, dtype=np.float64), np.asarray(count_t, dtype=np.float64)
    pooled = (count_c + count_t) / (n_c + n_t)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / np.asarray(n_c, dtype=np.float64) + 1 / np.asarray(n_t, dtype=np.float64)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (count_t / n_t - count_c / n_c) / se0
    return np.where(se0 > 0, z, 0.0)


@dataclass(frozen=True)
class Cuped:
    """A CUPED-adjusted metric: ``adjusted = y - theta * (x - mean(x))`` (same mean as ``y``)."""

    adjusted: np.ndarray
    theta: float
    variance_reduction: float  # 1 - var(adjusted)/var(y) = squared correlation of y and x


def cuped(y, x) -> Cuped:
    """Adjust ``y`` with the pre-period covariate ``x`` (both arms together, so the adjustment
    is the same for every arm and the difference of means stays unbiased).

    >>> r = cuped([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0])
    >>> round(r.theta, 4), round(r.variance_reduction, 4)
    (0.7429, 0.9657)
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    var_x = x.var(ddof=1)
    if not var_x > 0:
        raise ValueError("the covariate is constant")
    theta = float(np.cov(y, x, ddof=1)[0, 1] / var_x)
    adjusted = y - theta * (x - x.mean())
    var_y = y.var(ddof=1)
    reduction = float(1 - adjusted.var(ddof=1) / var_y) if var_y > 0 else 0.0
    return Cuped(adjusted, theta, reduction)


def one_sided_rate_below(count, n, bound):
    """One-sided exact binomial test that a rate is below ``bound``: ``P(X <= count)`` for
    ``X ~ Binomial(n, bound)``; small when the observed rate is convincingly below the bound
    (Clopper & Pearson 1934 duality; ``scipy.stats.binomtest(..., alternative="less")``).

    >>> round(one_sided_rate_below(2, 1000, 0.01), 6)
    0.002679
    """
    return float(stats.binom.cdf(count, n, bound))


def one_sided_rate_above(count, n, bound):
    """``P(X >= count)`` for ``X ~ Binomial(n, bound)``: small when the rate is above ``bound``.

    >>> round(one_sided_rate_above(20, 1000, 0.01), 6)
    0.003288
    """
    return float(stats.binom.sf(count - 1, n, bound))
