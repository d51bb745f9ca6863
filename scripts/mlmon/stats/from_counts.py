"""Drift tests from summaries instead of rows: bin counts, weighted points, CDF bounds.

A profile keeps counts, not rows. The count-based tests here are the very formulas of
:mod:`mlmon.stats.univariate` (they reuse its helpers) applied to count vectors, so given the
same bins they give the same numbers as the row-based kernels. The KS statistic and the
Wasserstein distance need the whole CDF; from a fine histogram or a quantile sketch they come
with *bounds*:

- histogram on bins ``[a_i, b_i)``: at every bin boundary both CDFs are exact, so
  ``D >= max_i |G(b_i)|`` with ``G = F_ref - F_cur``; inside bin ``i`` the difference moves by at
  most the bin's share on each side, so ``D <= max_i max(G(a_i) + p_i, q_i - G(a_i))``;
- quantile sketch with rank errors ``e_r``, ``e_c`` (``|F_hat - F| <= e`` everywhere):
  ``|D_hat - D| <= e_r + e_c`` and ``|W_hat - W| <= (e_r + e_c) * (max - min)``;
- weighted points (each bin's mass put at its midpoint): moving mass by at most half a bin
  width changes ``W`` by at most the mass-weighted half widths, summed over both sides.

Sources: Evidently 0.7 stattests (the count formulas); Kolmogorov (1933) and Smirnov (1948) for
``D``; Villani (2009), *Optimal Transport*, ch. 6 (``W_1`` as the CDF integral and the triangle
inequality behind the bounds); Karnin, Lang & Liberty (2016) for the sketch's rank error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from scipy import special, stats

from mlmon.stats.univariate import StatTestResult
from mlmon.stats.univariate._binning import fill_zeroes, weighted_sum
from mlmon.stats.univariate.chisquare import chi2_sf, pearson_chisquare
from mlmon.stats.univariate.g_test import g_statistic
from mlmon.stats.univariate.jensenshannon import js_distance
from mlmon.stats.univariate.psi import psi_value


# ---------------------------------------------------------------------------- count tests


def chisquare_counts(ref: np.ndarray, cur: np.ndarray, threshold: float = 0.05) -> StatTestResult:
    """Evidently's ``chisquare`` on per-category counts.

    >>> r = chisquare_counts(np.array([50, 50]), np.array([30, 70]))
    >>> round(r.statistic, 4), round(r.score, 6)
    (16.0, 6.3e-05)
    """
    ref, cur = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    stat, p = pearson_chisquare(cur, ref * (cur.sum() / ref.sum()))
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=stat)


def z_counts(ref: np.ndarray, cur: np.ndarray, threshold: float = 0.05) -> StatTestResult:
    """Evidently's two-proportion ``z`` on counts (first entry = the smallest category).

    >>> r = z_counts(np.array([50, 50]), np.array([30, 70]))
    >>> round(r.statistic, 4), round(r.score, 6)
    (-2.8868, 0.003892)
    """
    n1, n2 = int(np.sum(ref)), int(np.sum(cur))
    if len(ref) == 1:
        return StatTestResult(score=1.0, drifted=bool(1 < threshold), statistic=0.0)
    p1, p2 = float(n1 - ref[0]) / n1, float(n2 - cur[0]) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(all="ignore"):
        stat = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = float(2 * (1 - special.ndtr(np.abs(stat))))
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(stat))


def g_test_counts(ref: np.ndarray, cur: np.ndarray, threshold: float = 0.1) -> StatTestResult:
    """Evidently's ``g_test`` on counts (both sides must have the same size)."""
    ref, cur = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    if abs(cur.sum() - ref.sum()) / min(cur.sum(), ref.sum()) > np.finfo(np.float64).eps ** 0.5:
        raise ValueError("G-test compares raw counts: reference and current must have the same size")
    stat = g_statistic(cur, ref)
    p = chi2_sf(stat, ref.size - 1)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=stat)


def shares(ref: np.ndarray, cur: np.ndarray, n_ref: float, n_cur: float, feel_zeroes: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Each side's share per bin (Evidently's ``get_binned_data`` on counts)."""
    r, c = np.asarray(ref) / n_ref, np.asarray(cur) / n_cur
    return (fill_zeroes(r), fill_zeroes(c)) if feel_zeroes else (r, c)


def psi_counts(ref, cur, threshold: float = 0.1) -> StatTestResult:
    """PSI on bin counts.

    >>> round(psi_counts(np.array([3, 1]), np.array([1, 3])).score, 4)
    1.0986
    """
    r, c = shares(ref, cur, float(np.sum(ref)), float(np.sum(cur)), True)  # counts may be fractional estimates
    score = psi_value(r, c)
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def jensenshannon_counts(ref, cur, threshold: float = 0.1) -> StatTestResult:
    """Jensen-Shannon distance on bin counts.

    >>> round(jensenshannon_counts(np.array([2, 2]), np.array([1, 3])).score, 4)
    0.1839
    """
    r, c = shares(ref, cur, float(np.sum(ref)), float(np.sum(cur)), False)  # counts may be fractional estimates
    score = js_distance(r, c)
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def kl_div_counts(ref, cur, threshold: float = 0.1) -> StatTestResult:
    """Kullback-Leibler divergence on bin counts (Evidently's zero filling).

    >>> round(kl_div_counts(np.array([2, 2]), np.array([1, 3])).score, 4)
    0.1438
    """
    r, c = shares(ref, cur, float(np.sum(ref)), float(np.sum(cur)), True)  # counts may be fractional estimates
    score = float(np.sum(special.rel_entr(r / np.sum(r), c / np.sum(c))))
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def hellinger_counts(ref, cur, threshold: float = 0.1) -> StatTestResult:
    """Hellinger distance on category counts.

    >>> round(hellinger_counts(np.array([2, 2]), np.array([1, 3])).score, 4)
    0.1846
    """
    ref, cur = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    bc = float(np.sum(np.sqrt((ref / ref.sum()) * (cur / cur.sum()))))
    score = float(np.sqrt(1 - np.clip(bc, 0, 1)))
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def hellinger_density(ref, cur, edges: np.ndarray, threshold: float = 0.1) -> StatTestResult:
    """Evidently's numerical Hellinger on histogram counts over ``edges`` (densities)."""
    ref, cur = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    widths = np.diff(edges)
    with np.errstate(all="ignore"):
        f = np.where(widths > 0, ref / ref.sum() / widths, 0.0)
        g = np.where(widths > 0, cur / cur.sum() / widths, 0.0)
    bin_width = (edges.max() - edges.min()) / (edges.size - 1)
    bc = float(np.sum(np.sqrt(f * g) * bin_width))
    score = float(np.sqrt(1 - np.clip(bc, 0, 1)))
    return StatTestResult(score=score, drifted=bool(score >= threshold))


# ---------------------------------------------------------------------------- CDF distances


@dataclass(frozen=True)
class Bounded:
    """A statistic known to lie in ``[low, high]``, with the point estimate reported."""

    estimate: float
    low: float
    high: float

    @property
    def error_bound(self) -> float:
        return float(max(self.estimate - self.low, self.high - self.estimate, 0.0))


def ks_from_histograms(ref_counts: np.ndarray, cur_counts: np.ndarray, points: Optional[np.ndarray] = None) -> Bounded:
    """Bounds on the KS statistic from counts on shared, ordered bins.

    ``ref_counts``/``cur_counts`` are counts on the same bins in value order; ``points`` marks
    bins that hold a single value (no interior). The lower bound is attained between bins, the
    upper one allows all of a bin's mass to sit at either end.

    >>> b = ks_from_histograms(np.array([5, 5, 0]), np.array([0, 5, 5]))
    >>> b.low, b.high
    (0.5, 1.0)
    >>> ks_from_histograms(np.array([5, 5, 0]), np.array([0, 5, 5]), np.array([True, True, True])).high
    0.5
    """
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    p, q = r / r.sum(), c / c.sum()
    after = np.cumsum(p) - np.cumsum(q)  # G just after each bin
    before = np.concatenate(([0.0], after[:-1]))  # G just before each bin
    low = float(np.max(np.abs(after)))
    inside = np.ones(p.size, dtype=bool) if points is None else ~np.asarray(points, dtype=bool)
    high = low
    if inside.any():
        high = float(max(low, np.max((before + p)[inside]), np.max((q - before)[inside])))
    return Bounded(low, low, min(high, 1.0))


def ks_from_cdfs(ref_cdf: np.ndarray, cur_cdf: np.ndarray, ref_error: float, cur_error: float) -> Bounded:
    """KS statistic from estimated CDFs on the same points, each within its rank error.

    >>> b = ks_from_cdfs(np.array([0.5, 1.0]), np.array([0.2, 1.0]), 0.01, 0.02)
    >>> round(b.estimate, 2), round(b.low, 2), round(b.high, 2)
    (0.3, 0.27, 0.33)
    """
    d = float(np.max(np.abs(np.asarray(ref_cdf) - np.asarray(cur_cdf)))) if len(ref_cdf) else 0.0
    e = ref_error + cur_error
    return Bounded(d, max(d - e, 0.0), min(d + e, 1.0))


def intersect(a: Bounded, b: Bounded, keep: str = "b") -> Bounded:
    """Both bounds at once; the estimate is ``a``'s, moved into the common interval.

    When the intervals do not meet (a probabilistic bound failed) the ``keep`` side is returned:
    name the deterministic bound (the histogram's).

    >>> intersect(Bounded(0.25, 0.22, 0.28), Bounded(0.2, 0.2, 0.3))
    Bounded(estimate=0.25, low=0.22, high=0.28)
    >>> intersect(Bounded(0.5, 0.45, 0.55), Bounded(0.2, 0.2, 0.3))
    Bounded(estimate=0.2, low=0.2, high=0.3)
    """
    low, high = max(a.low, b.low), min(a.high, b.high)
    if low > high:
        return a if keep == "a" else b
    return Bounded(float(np.clip(a.estimate, low, high)), low, high)


def ks_pvalue(d: float, n_ref: int, n_cur: int) -> float:
    """Smirnov's limiting two-sided p-value, as ``ks_2samp`` uses for large samples.

    >>> round(ks_pvalue(0.05, 20000, 20000), 6)
    0.0
    >>> round(ks_pvalue(0.01, 20000, 20000), 4)
    0.2682
    """
    m, n = sorted([float(n_ref), float(n_cur)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def wasserstein_weighted(xa: np.ndarray, wa: np.ndarray, xb: np.ndarray, wb: np.ndarray) -> float:
    """``W_1`` between two weighted point sets (``xa``, ``xb`` ascending; weights need not sum to 1).

    Equals ``scipy.stats.wasserstein_distance(xa, xb, wa, wb)``.

    >>> wasserstein_weighted(np.array([0.0, 1.0]), np.array([1, 1]), np.array([1.0, 2.0]), np.array([1, 1]))
    1.0
    """
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    wa = np.asarray(wa, dtype=np.float64) / np.sum(wa)
    wb = np.asarray(wb, dtype=np.float64) / np.sum(wb)
    pts = np.concatenate((xa, xb))
    order = np.argsort(pts, kind="stable")
    pts = pts[order]
    step = np.concatenate((wa, -wb))[order]
    gap = np.cumsum(step)[:-1]
    return weighted_sum(np.abs(gap), np.diff(pts))
