"""Drift tests computed from a column's summaries instead of its rows, exact or bounded.

What a summary holds is given by :class:`NumericSummaryView` (numbers) or by two aligned count
vectors (categories, in category order). The tests declare in the catalog
(:mod:`mlmon.stats.univariate.catalog`) which summaries they use and how exactly; their
modules hand the work to the functions here:

- :func:`counts` (chi-square, z, G): exact on category counts and on numbers with exact value
  counts;
- :func:`binned` (PSI, Jensen-Shannon, KL, Hellinger): exact on counts; on numbers otherwise,
  Evidently's Sturges bins (edges from the exact extremes and sizes) filled from the fine
  histogram. A fine bin that straddles a Sturges edge could hold values on either side, so each
  Sturges bin's count lies in an interval; every term of the score is a convex (PSI, JS, KL) or
  concave and monotone (Hellinger's Bhattacharyya term) function of the two shares, so its
  extremes over the box of possible shares bound the score. The estimate gives each fine bin
  wholly to the Sturges bin holding its left end;
- :func:`ks`, :func:`wasserstein`: exact on value counts, else bounded from the fine
  histogram and the KLL sketch (see :mod:`mlmon.stats.from_counts`).

A bounded result says ``approximate=True`` with ``score_bounds`` that hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from mlmon.stats import from_counts as fc
from mlmon.stats.univariate import CATEGORICAL, NUMERICAL, get
from mlmon.stats.univariate._binning import MAX_VALUE_BINS, sturges_edges, unit_exponent, weighted_sum

KS_EXACT_MAX_N = 10_000  # the ks kernel's exact-distribution limit (scipy's ks_2samp "auto")
_SLACK = 1e-12  # float rounding between the estimate's formula and the bound's


@dataclass(frozen=True)
class NumericSummaryView:
    """What a summary knows of one side's finite numbers.

    ``bin_left``/``bin_right`` are the fine bins' ends clipped to ``[min, max]`` (a bin's values
    lie in ``[left, right]``); ``sketch`` answers ``items()``, ``cdf(points)`` and ``rank_error``.
    """

    count: int
    min: float
    max: float
    std: float
    value_counts: Optional[Dict[float, int]]
    values: Optional[np.ndarray]
    bin_keys: np.ndarray
    bin_counts: np.ndarray
    bin_left: np.ndarray
    bin_right: np.ndarray
    sketch: Any = None


@dataclass
class SummaryResult:
    score: float
    drifted: bool
    statistic: Optional[float] = None
    approximate: bool = False
    error_bound: Optional[float] = None
    statistic_bounds: Optional[List[float]] = None
    score_bounds: Optional[List[float]] = None
    verdict_certain: bool = True
    basis: str = "exact"
    note: str = ""


def _exact(r, basis: str) -> SummaryResult:
    return SummaryResult(score=r.score, drifted=r.drifted, statistic=r.statistic, basis=basis)


def _aligned_value_counts(rn: NumericSummaryView, cn: NumericSummaryView) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = np.array(sorted(set(rn.value_counts) | set(cn.value_counts)), dtype=np.float64)
    ref = np.array([rn.value_counts.get(k, 0) for k in keys.tolist()], dtype=np.int64)
    cur = np.array([cn.value_counts.get(k, 0) for k in keys.tolist()], dtype=np.int64)
    return keys, ref, cur


# ---------------------------------------------------------------------------- count tests

_COUNT_FUNCS = {"chisquare": fc.chisquare_counts, "z": fc.z_counts, "g_test": fc.g_test_counts}


def counts(test_id: str, reference, current, column_type: str, threshold: float) -> SummaryResult:
    func = _COUNT_FUNCS[test_id]
    if column_type == CATEGORICAL:
        return _exact(func(reference, current, threshold), "exact counts")
    if reference.value_counts is None or current.value_counts is None:
        raise ValueError("more distinct values than a profile counts exactly")
    _, ref, cur = _aligned_value_counts(reference, current)
    return _exact(func(ref, cur, threshold), "exact value counts")


# ---------------------------------------------------------------------------- histogram tests

_BIN_FUNCS = {"psi": fc.psi_counts, "jensenshannon": fc.jensenshannon_counts, "kl_div": fc.kl_div_counts}


class _SketchInUnit:
    """A quantile sketch read in a unit of ``2**e``: its items divided, points asked about multiplied back."""

    def __init__(self, sketch, e: int):
        self._sketch, self._e = sketch, e
        self.rank_error = sketch.rank_error

    def items(self):
        x, w = self._sketch.items()
        return np.ldexp(np.asarray(x, dtype=np.float64), -self._e), w

    def cdf(self, points):
        return self._sketch.cdf(np.ldexp(np.asarray(points, dtype=np.float64), self._e))


def _in_small_unit(rn, cn):
    """Both sides' summaries in a unit of a power of two, ``2**e``, that brings the largest
    magnitude near 1 when it exceeds ``HUGE`` (else as they are, ``e = 0``): exact, so a score
    that does not depend on the unit is unchanged, and no width, difference or density overflows
    (the rows' tests do the same, ``_binning.rescaled``)."""
    e = unit_exponent(max(abs(rn.min), abs(rn.max), abs(cn.min), abs(cn.max)))
    if not e:
        return rn, cn, 0

    def scaled(v):
        return replace(v, min=math.ldexp(v.min, -e), max=math.ldexp(v.max, -e), std=math.ldexp(v.std, -e),
                       value_counts=None if v.value_counts is None else
                       {math.ldexp(k, -e): c for k, c in v.value_counts.items()},
                       values=None if v.values is None else np.ldexp(v.values, -e),
                       bin_left=np.ldexp(v.bin_left, -e), bin_right=np.ldexp(v.bin_right, -e),
                       sketch=None if v.sketch is None else _SketchInUnit(v.sketch, e))

    return scaled(rn), scaled(cn), e


def binned(test_id: str, reference, current, column_type: str, threshold: float) -> SummaryResult:
    if column_type == CATEGORICAL:
        func = fc.hellinger_counts if test_id == "hellinger" else _BIN_FUNCS[test_id]
        return _exact(func(reference, current, threshold), "exact counts")
    rn, cn = reference, current
    if test_id == "hellinger":  # densities times widths: beyond about 1e150 in a smaller unit
        rn, cn, _ = _in_small_unit(rn, cn)
    if rn.value_counts is not None and cn.value_counts is not None:
        return _binned_exact(test_id, rn, cn, threshold)
    if test_id == "hellinger":
        return _hellinger_bounded(rn, cn, threshold)
    edges = sturges_edges(min(rn.min, cn.min), max(rn.max, cn.max), rn.count + cn.count)
    return _binned_bounded(test_id, rn, cn, edges, threshold)


def _binned_exact(test_id: str, rn, cn, threshold: float) -> SummaryResult:
    """Evidently's bins from exact value counts: one per value for few reference values, else
    Sturges bins over the rows (over the distinct values for Hellinger)."""
    keys, ref, cur = _aligned_value_counts(rn, cn)
    if test_id == "hellinger":
        edges = sturges_edges(keys[0], keys[-1], keys.size)
        r = fc.hellinger_density(np.histogram(keys, edges, weights=ref)[0], np.histogram(keys, edges, weights=cur)[0],
                                 edges, threshold)
        return _exact(r, "exact value counts")
    if len(rn.value_counts) > MAX_VALUE_BINS:
        edges = sturges_edges(keys[0], keys[-1], rn.count + cn.count)
        ref, cur = np.histogram(keys, edges, weights=ref)[0], np.histogram(keys, edges, weights=cur)[0]
    return _exact(_BIN_FUNCS[test_id](ref, cur, threshold), "exact value counts")


def coarse_counts(n: NumericSummaryView, edges: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts per coarse bin over ``edges``: the estimate, and the lowest and highest counts the
    fine bins allow. A fine bin inside one coarse bin counts there exactly; one that straddles
    edges is shared out in proportion to its overlap with each (values spread evenly in it).

    >>> v = NumericSummaryView(4, 0.0, 4.0, 1.0, None, None, np.array([1, 2]), np.array([3, 1]),
    ...                        np.array([0.0, 1.5]), np.array([1.0, 2.5]))
    >>> [a.tolist() for a in coarse_counts(v, np.array([0.0, 2.0, 4.0]))]
    [[3.5, 0.5], [3, 0], [4, 1]]
    """
    nb = edges.size - 1
    lo_idx = np.clip(np.searchsorted(edges, n.bin_left, side="right") - 1, 0, nb - 1)
    hi_idx = np.clip(np.searchsorted(edges, n.bin_right, side="right") - 1, 0, nb - 1)
    c = np.asarray(n.bin_counts, dtype=np.int64)
    sure = lo_idx == hi_idx
    low = np.bincount(lo_idx[sure], weights=c[sure], minlength=nb).astype(np.int64)
    spread = np.zeros(nb + 1, dtype=np.int64)  # each unsure fine bin may put all its values in any bin it spans
    np.add.at(spread, lo_idx[~sure], c[~sure])
    np.add.at(spread, hi_idx[~sure] + 1, -c[~sure])
    high = low + np.cumsum(spread)[:nb]
    estimate = low.astype(np.float64)
    for i in np.flatnonzero(~sure).tolist():
        j = np.arange(lo_idx[i], hi_idx[i] + 1)
        left, right = n.bin_left[i], n.bin_right[i]
        overlap = np.clip(np.minimum(right, edges[j + 1]) - np.maximum(left, edges[j]), 0.0, None)
        share = overlap / overlap.sum() if overlap.sum() > 0 else np.eye(1, j.size)[0]
        estimate[j] += c[i] * share
    return estimate, low, high


def _share_box(low: np.ndarray, high: np.ndarray, n: int, fill: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Bounds on each bin's share, after Evidently's zero filling when ``fill``."""
    lo, hi = low / n, np.minimum(high, n) / n
    if not fill:
        return lo, hi
    m_lo = float(np.min(np.maximum(low[high > 0], 1))) / n  # the smallest non-zero share is at least this
    m_hi = float(np.min(high[low > 0])) / n if (low > 0).any() else 1.0  # ... and at most this
    eps_lo, eps_hi = _zero_fill(m_lo), _zero_fill(m_hi)
    lo = np.where(low > 0, lo, min(eps_lo, 1.0 / n))
    hi = np.where(low > 0, hi, np.maximum(hi, eps_hi))
    return lo, hi


def _zero_fill(smallest: float) -> float:
    return smallest / 10**6 if smallest <= 0.0001 else 0.0001


def _psi_term(r, c):
    return (r - c) * np.log(r / c)


def _js_term(p, q):
    m = (p + q) / 2
    with np.errstate(all="ignore"):
        a = np.where(p > 0, p * np.log(p / m), 0.0)
        b = np.where(q > 0, q * np.log(q / m), 0.0)
    return np.nan_to_num(a) + np.nan_to_num(b)


def _kl_term(r, c):
    return r * np.log(r / c)


def _convex_box(term, r_lo, r_hi, c_lo, c_hi, diagonal_zero: bool) -> Tuple[float, float]:
    """Bounds on ``sum_i term(r_i, c_i)`` over the box: a convex term's maximum is at a corner;
    its minimum is 0 where the intervals meet (terms zero on ``r == c``), else the nearest corner."""
    corners = [term(a, b) for a in (r_lo, r_hi) for b in (c_lo, c_hi)]
    high = float(np.sum(np.max(corners, axis=0)))
    if diagonal_zero:
        near = np.where(r_hi < c_lo, term(r_hi, c_lo), np.where(c_hi < r_lo, term(r_lo, c_hi), 0.0))
    else:  # r ln(r/c): decreasing in c; in r, least at r = c/e
        r_best = np.clip(c_hi / math.e, r_lo, r_hi)
        near = term(r_best, c_hi)
    return float(np.sum(near)), high


def _binned_bounded(test_id: str, rn, cn, edges: np.ndarray, threshold: float) -> SummaryResult:
    ref, ref_lo, ref_hi = coarse_counts(rn, edges)
    cur, cur_lo, cur_hi = coarse_counts(cn, edges)
    score = _BIN_FUNCS[test_id](ref, cur, threshold).score
    fill = test_id != "jensenshannon"
    r_lo, r_hi = _share_box(ref_lo, ref_hi, rn.count, fill)
    c_lo, c_hi = _share_box(cur_lo, cur_hi, cn.count, fill)
    with np.errstate(all="ignore"):
        if test_id == "psi":
            low, high = _convex_box(_psi_term, r_lo, r_hi, c_lo, c_hi, True)
        elif test_id == "jensenshannon":
            low, high = _convex_box(_js_term, r_lo, r_hi, c_lo, c_hi, True)
            low, high = math.sqrt(max(low, 0.0) / 2), math.sqrt(max(high, 0.0) / 2)
        else:  # kl_div renormalises the filled shares: each sum lies in [1, 1 + bins * largest fill]
            grow = 1 + edges.size * 0.0001
            low, high = _convex_box(_kl_term, r_lo / grow, r_hi, c_lo / grow, c_hi, False)
    return _bounded(score, low, high, threshold, rn, cn, edges)


def _bounded(score: float, low: float, high: float, threshold: float, rn, cn, edges) -> SummaryResult:
    low = max(min(low, score) - _SLACK * (1 + abs(low)), 0.0)
    high = max(high, score) + _SLACK * (1 + abs(high))
    certain = (low >= threshold) == (high >= threshold)
    note = ""
    occupied = int(np.union1d(rn.bin_keys, cn.bin_keys).size)
    if occupied < edges.size - 1:
        note = (f"the profile's fine bins ({occupied} occupied) are coarser than the test's {edges.size - 1} bins "
                "(values spread little relative to their size): read this histogram score with care")
    return SummaryResult(score=score, drifted=bool(score >= threshold), approximate=high > low,
                         error_bound=float(max(score - low, high - score)), score_bounds=[low, high],
                         verdict_certain=certain, basis="sturges bins from the fine histogram", note=note)


def _hellinger_bounded(rn, cn, threshold: float) -> SummaryResult:
    """Evidently's numerical Hellinger: Sturges bins over the *distinct* values. A profile knows
    the number of distinct values only within bounds (at least one per occupied fine bin, at most
    one per row); the estimate takes every row as distinct (continuous data), the bounds cover
    every bin count the bounds allow."""
    keys = np.union1d(rn.bin_keys, cn.bin_keys)
    n_low, n_high = int(keys.size), int(rn.count + cn.count)
    lo_v, hi_v = min(rn.min, cn.min), max(rn.max, cn.max)
    candidates = {n_low, n_high} | {2 ** k + d for k in range(max(n_low, 1).bit_length() - 1, n_high.bit_length() + 1)
                                    for d in (0, 1) if n_low <= 2 ** k + d <= n_high}
    edge_sets = {}
    for n in sorted(candidates):
        e = sturges_edges(lo_v, hi_v, max(n, 1))
        edge_sets.setdefault(e.size, e)
    score_edges = sturges_edges(lo_v, hi_v, max(n_high, 1))
    ref, _, _ = coarse_counts(rn, score_edges)
    cur, _, _ = coarse_counts(cn, score_edges)
    score = fc.hellinger_density(ref, cur, score_edges).score  # the verdict is _bounded's
    low, high = score, score
    # each edge set's estimate has counts inside its box, yet is kept: the density formula rounds the
    # Bhattacharyya sum, and the square root near 0 makes one rounding step of it 1.5e-8 of the score
    for edges in edge_sets.values():
        ref, ref_lo, ref_hi = coarse_counts(rn, edges)
        cur, cur_lo, cur_hi = coarse_counts(cn, edges)
        est = fc.hellinger_density(ref, cur, edges).score
        bc_lo = float(np.sum(np.sqrt(ref_lo / rn.count * cur_lo / cn.count)))
        bc_hi = float(np.sum(np.sqrt(np.minimum(ref_hi, rn.count) / rn.count * np.minimum(cur_hi, cn.count) / cn.count)))
        low = min(low, est, math.sqrt(1 - min(max(bc_hi, 0.0), 1.0)))
        high = max(high, est, math.sqrt(1 - min(max(bc_lo, 0.0), 1.0)))
    return _bounded(score, low, high, threshold, rn, cn, score_edges)


# ---------------------------------------------------------------------------- CDF tests


def ks(reference, current, column_type: str, threshold: float) -> SummaryResult:
    rn, cn = reference, current
    if rn.value_counts is not None and cn.value_counts is not None:
        keys, ref, cur = _aligned_value_counts(rn, cn)
        if max(rn.count, cn.count) <= KS_EXACT_MAX_N:
            # small enough for the exact distribution the row check uses: rebuild the samples
            r = get("ks")(np.repeat(keys, ref), np.repeat(keys, cur), NUMERICAL, threshold, presorted=True)
            return _exact(r, "exact value counts")
        d = fc.ks_from_histograms(ref, cur).low  # on single values the lower bound is the statistic itself
        p = fc.ks_pvalue(d, rn.count, cn.count)
        return SummaryResult(score=p, drifted=p <= threshold, statistic=d, basis="exact value counts")
    keys, ref, cur = _aligned_bins(rn, cn)
    hist = fc.ks_from_histograms(ref, cur, points=keys == 0)  # zero's bin is a single value
    points = np.union1d(rn.sketch.items()[0], cn.sketch.items()[0])
    sk = fc.ks_from_cdfs(rn.sketch.cdf(points), cn.sketch.cdf(points), rn.sketch.rank_error, cn.sketch.rank_error)
    # the estimate is the histogram's lower end, |F_ref - F_cur| at real points: it depends on exact
    # counts only (KLL compacts at random, so a sketch estimate would change from run to run), and
    # moves only where the sketches prove the statistic larger
    b = fc.intersect(fc.Bounded(hist.low, hist.low, hist.high), sk, keep="a")
    d = b.estimate
    p = fc.ks_pvalue(d, rn.count, cn.count)
    p_lo, p_hi = fc.ks_pvalue(b.high, rn.count, cn.count), fc.ks_pvalue(b.low, rn.count, cn.count)
    return SummaryResult(score=p, drifted=p <= threshold, statistic=d, approximate=b.high > b.low,
                         error_bound=b.error_bound, statistic_bounds=[b.low, b.high], score_bounds=[p_lo, p_hi],
                         verdict_certain=(p_hi <= threshold) == (p_lo <= threshold),
                         basis="fine histogram and KLL sketch")


def _aligned_bins(rn, cn) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = np.union1d(rn.bin_keys, cn.bin_keys)
    ref = np.zeros(keys.size, dtype=np.int64)
    cur = np.zeros(keys.size, dtype=np.int64)
    ref[np.searchsorted(keys, rn.bin_keys)] = rn.bin_counts
    cur[np.searchsorted(keys, cn.bin_keys)] = cn.bin_counts
    return keys, ref, cur


def wasserstein(reference, current, column_type: str, threshold: float) -> SummaryResult:
    # beyond about 1e150 in a unit of 2**e: the distance over the deviation is the same number
    rn, cn, e = _in_small_unit(reference, current)
    norm = max(rn.std, math.ldexp(0.001, -e))  # the floor of 0.001 in the data's own unit
    if rn.value_counts is not None and cn.value_counts is not None:
        rk, rw = zip(*sorted(rn.value_counts.items()))
        ck, cw = zip(*sorted(cn.value_counts.items()))
        score = fc.wasserstein_weighted(np.array(rk), np.array(rw), np.array(ck), np.array(cw)) / norm
        return SummaryResult(score=score, drifted=score >= threshold, basis="exact value counts")
    # histogram: each bin's mass at the middle of the bin clipped to the side's extremes
    hist_w, hist_err = _hist_wasserstein(rn, cn)
    rx, rw = rn.sketch.items()
    cx, cw = cn.sketch.items()
    sk_w = fc.wasserstein_weighted(rx, rw, cx, cw)
    sk_err = (rn.sketch.rank_error + cn.sketch.rank_error) * (max(rn.max, cn.max) - min(rn.min, cn.min))
    w, err, basis = (hist_w, hist_err, "fine histogram") if hist_err <= sk_err else (sk_w, sk_err, "KLL sketch")
    score, score_err = w / norm, err / norm
    lo, hi = max(score - score_err, 0.0), score + score_err
    return SummaryResult(score=score, drifted=score >= threshold, approximate=err > 0, error_bound=score_err,
                         score_bounds=[lo, hi], verdict_certain=(lo >= threshold) == (hi >= threshold), basis=basis)


def _hist_wasserstein(rn, cn) -> Tuple[float, float]:
    def points(n):
        mid = (n.bin_left + n.bin_right) / 2
        err = weighted_sum(n.bin_counts, (n.bin_right - n.bin_left) / 2) / n.count
        return mid, n.bin_counts, err

    rm, rw, re = points(rn)
    cm, cw, ce = points(cn)
    return fc.wasserstein_weighted(rm, rw, cm, cw), re + ce
