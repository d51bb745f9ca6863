"""Confidence intervals for per-window metrics, computed for many windows at once.

Every function takes arrays with one entry per window and returns an :class:`Interval` of
arrays of the same length; a window where the interval is undefined (no rows, no variance
estimate) gets NaN bounds.

- :func:`wilson` for proportions (accuracy, precision, recall, coverage, error rates): the
  Wilson score interval, which stays inside [0, 1] and behaves at p near 0 or 1 and small n,
  unlike the Wald interval. Wilson (1927), "Probable inference, the law of succession, and
  statistical inference", JASA 22(158); statsmodels ``proportion_confint(method="wilson")``.
- :func:`normal_mean` for means of per-row losses (log loss, MAE, pinball loss, MAPE): the
  central-limit interval ``mean ± z·s/√n`` with the sample standard deviation ``s``.
- :func:`normal` for any estimate with a standard error (F1 and ratios by the delta method,
  AUC by Hanley-McNeil), optionally clipped to a range.

The default ``z`` is the 97.5 % normal quantile, i.e. 95 % two-sided intervals.

Examples
--------
>>> iv = wilson([8], [10])
>>> round(float(iv.lower[0]), 4), round(float(iv.upper[0]), 4)
(0.4902, 0.9433)
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


class Interval(NamedTuple):
    lower: np.ndarray
    upper: np.ndarray


def wilson(successes, n, z: float = Z95) -> Interval:
    """Wilson score interval for ``successes`` out of ``n``, per window.

    .. math:: \\frac{\\hat p + \\frac{z^2}{2n} \\pm z\\sqrt{\\frac{\\hat p(1-\\hat p)}{n} + \\frac{z^2}{4n^2}}}{1 + z^2/n}

    Windows with ``n == 0`` get NaN bounds.

    >>> iv = wilson([0, 5], [10, 5])
    >>> [round(float(x), 4) for x in iv.lower], [round(float(x), 4) for x in iv.upper]
    ([0.0, 0.5655], [0.2775, 1.0])
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / denom
    lower = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    upper = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return Interval(lower, upper)


def normal(estimate, se, z: float = Z95, lo: Optional[float] = None, hi: Optional[float] = None) -> Interval:
    """``estimate ± z·se``, clipped to ``[lo, hi]`` where given; NaN where either is NaN.

    >>> iv = normal([0.9], [0.1], lo=0.0, hi=1.0)
    >>> round(float(iv.lower[0]), 4), float(iv.upper[0])
    (0.704, 1.0)
    """
    est = np.asarray(estimate, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    lower = est - z * se
    upper = est + z * se
    if lo is not None or hi is not None:
        lower = np.clip(lower, lo, hi)
        upper = np.clip(upper, lo, hi)
    return Interval(lower, upper)


def normal_mean(sums, sums_sq_dev, n, z: float = Z95, lo: Optional[float] = None) -> Interval:
    """Interval for a window mean from the window's sum, sum of squared deviations from its
    mean and count: ``mean ± z·s/√n`` with ``s² = Σ(x - mean)² / (n - 1)``. NaN for n < 2.

    >>> iv = normal_mean([10.0], [8.0], [5])
    >>> round(float(iv.lower[0]), 4), round(float(iv.upper[0]), 4)
    (0.7604, 3.2396)
    """
    sums = np.asarray(sums, dtype=np.float64)
    ssd = np.asarray(sums_sq_dev, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums / n
        se = np.sqrt(ssd / (n - 1) / n)
    se = np.where(n >= 2, se, np.nan)
    return normal(mean, se, z, lo=lo)
