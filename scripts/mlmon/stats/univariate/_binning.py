"""Shared binning for the histogram-based tests (PSI, Jensen-Shannon, KL, Hellinger, ...).

This is Evidently 0.7's ``get_binned_data``
(``evidently/legacy/calculations/stattests/utils.py``) without pandas:

- numerical column whose *reference* has more than 20 distinct values: Sturges bins
  (``np.histogram_bin_edges(concat(reference, current), "sturges")``) and ``np.histogram``
  counts divided by each side's size;
- otherwise (categorical, or numerical with few reference values): one bin per value seen
  on either side, counts divided by each side's size;
- ``feel_zeroes``: an empty bin gets ``min(non-zero share) / 1e6`` when that minimum is at
  most ``1e-4``, else ``1e-4`` (so logarithms stay finite). The shares are *not*
  renormalised afterwards, exactly as in Evidently.

Counts on sorted data come from ``np.searchsorted`` on the bin edges, which is what
``np.histogram`` itself does for explicit edges (``_search_sorted_inclusive``: every bin is
``[a, b)`` except the last, ``[a, b]``), so the counts are identical, only cheaper because
the data are sorted once and reused.

>>> import numpy as np
>>> ref, cur = percents(np.array([0, 0, 1, 3]), np.array([1, 1, 3, 3]), "categorical")
>>> ref.tolist(), cur.tolist()
([0.5, 0.25, 0.25], [0.0001, 0.5, 0.5])
"""

from __future__ import annotations

import math
from typing import Tuple

import numpy as np

#: magnitudes beyond this can overflow a test's sums, squares or differences (float64 ends near 1.8e308)
HUGE = 2.0 ** 500

NUMERICAL = "numerical"
CATEGORICAL = "categorical"

#: Evidently switches from value bins to Sturges bins above this many reference values.
MAX_VALUE_BINS = 20


def weighted_sum(values: np.ndarray, weights: np.ndarray) -> float:
    """``sum(values * weights)`` with the same last digit on every machine. ``np.dot`` of two
    float vectors is BLAS's ``ddot``, which OpenBLAS splits over its threads beyond 10,000
    values: each thread count rounds differently, so a score would depend on the machine's cores.
    numpy's own pairwise sum does not.

    >>> weighted_sum(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 2.0]))
    7.0
    """
    return float(np.sum(np.multiply(values, weights, dtype=np.float64)))


def sorted_values(x: np.ndarray, presorted: bool) -> np.ndarray:
    """``x`` as a sorted float64 array (no copy when already sorted)."""
    x = np.asarray(x, dtype=np.float64)
    return x if presorted else np.sort(x)


def rescaled(reference: np.ndarray, current: np.ndarray, presorted: bool = False) -> Tuple[np.ndarray, np.ndarray, int]:
    """Both samples divided by one power of two, ``2**e``, that brings the largest magnitude near 1
    when it exceeds :data:`HUGE` (else as they are, ``e = 0``). Dividing by a power of two is
    exact (short of subnormal results), so a statistic that does not depend on the unit comes out
    the same, and no sum, square or difference overflows on the way.

    >>> a, b, e = rescaled(np.array([1e300, -3e300]), np.array([2e300]))
    >>> e, np.ldexp(a, e) == np.array([1e300, -3e300]), rescaled(np.array([1.0]), np.array([2.0]))[2]
    (999, array([ True,  True]), 0)
    """
    top = 0.0
    for x in (reference, current):
        if x.size:
            lo, hi = (x[0], x[-1]) if presorted else (np.min(x), np.max(x))
            top = max(top, abs(float(lo)), abs(float(hi)))
    e = unit_exponent(top)
    if not e:
        return reference, current, 0
    return np.ldexp(reference, -e), np.ldexp(current, -e), e


def unit_exponent(top: float) -> int:
    """The ``e`` of the unit ``2**e`` that brings a largest magnitude ``top`` near 1 when it
    exceeds :data:`HUGE`; 0 (the data's own unit) otherwise.

    >>> unit_exponent(1e300), unit_exponent(1e100), unit_exponent(float("inf"))
    (997, 0, 0)
    """
    return math.frexp(top)[1] if math.isfinite(top) and top > HUGE else 0


def nunique_sorted(xs: np.ndarray) -> int:
    """Number of distinct values of a sorted array."""
    if xs.size == 0:
        return 0
    return 1 + int(np.count_nonzero(xs[1:] != xs[:-1]))


def unique_sorted(xs: np.ndarray) -> np.ndarray:
    """Distinct values of a sorted array, ascending."""
    if xs.size == 0:
        return xs
    keep = np.empty(xs.size, dtype=bool)
    keep[0] = True
    np.not_equal(xs[1:], xs[:-1], out=keep[1:])
    return xs[keep]


def category_counts(reference: np.ndarray, current: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Counts per category present on at least one side, in code order.

    Categories absent from both samples are dropped: Evidently works on the values it
    sees, so an unused level of the shared category list must not exist for it either.
    """
    reference = np.asarray(reference, dtype=np.int64)
    current = np.asarray(current, dtype=np.int64)
    k = 0
    if reference.size:
        k = max(k, int(reference.max()) + 1)
    if current.size:
        k = max(k, int(current.max()) + 1)
    ref = np.bincount(reference, minlength=k)
    cur = np.bincount(current, minlength=k)
    seen = (ref > 0) | (cur > 0)
    return ref[seen], cur[seen]


def value_counts_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Counts of every value of the union of two sorted samples, ascending by value."""
    keys = np.union1d(unique_sorted(ref_sorted), unique_sorted(cur_sorted))
    return _counts_at(ref_sorted, keys), _counts_at(cur_sorted, keys)


def _counts_at(xs: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return np.searchsorted(xs, keys, side="right") - np.searchsorted(xs, keys, side="left")


def sturges_edges(lo: float, hi: float, n: int) -> np.ndarray:
    """``np.histogram_bin_edges(a, "sturges")`` for an array of size ``n``, min ``lo``, max ``hi``.

    Mirrors numpy's ``_get_outer_edges`` and ``_hist_bin_sturges`` step by step so the edges
    are bit-identical without materialising the combined array.
    """
    first, last = np.float64(lo), np.float64(hi)
    with np.errstate(over="ignore"):
        ptp = last - first
    if np.isinf(ptp):  # a range beyond float64 (values near ±1.8e308): the halved values' edges, doubled (exact)
        return sturges_edges(first / 2, last / 2, n) * 2
    if first == last:
        first, last = first - 0.5, last + 0.5
    width = ptp / (np.log2(n) + 1.0)
    n_bins = int(np.ceil((last - first) / width)) if width else 1
    return np.linspace(first, last, n_bins + 1, endpoint=True, dtype=np.float64)


def histogram_sorted(xs: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(xs, edges)[0]`` for sorted ``xs`` (last bin closed on the right)."""
    cum = np.concatenate(
        (np.searchsorted(xs, edges[:-1], side="left"), np.searchsorted(xs, edges[-1:], side="right"))
    )
    return np.diff(cum)


def fill_zeroes(shares: np.ndarray) -> np.ndarray:
    """Evidently's ``feel_zeroes`` replacement of empty bins (in a copy)."""
    shares = shares.copy()
    zero = shares == 0
    if zero.any():
        smallest = shares[~zero].min()
        shares[zero] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return shares


def counts(
    reference: np.ndarray, current: np.ndarray, column_type: str, presorted: bool = False
) -> Tuple[np.ndarray, np.ndarray]:
    """Bin counts of both samples with Evidently's choice of bins (see module docstring)."""
    if column_type == CATEGORICAL:
        return category_counts(reference, current)
    rs = sorted_values(reference, presorted)
    cs = sorted_values(current, presorted)
    if nunique_sorted(rs) > MAX_VALUE_BINS:
        edges = sturges_edges(min(rs[0], cs[0]), max(rs[-1], cs[-1]), rs.size + cs.size)
        return histogram_sorted(rs, edges), histogram_sorted(cs, edges)
    return value_counts_sorted(rs, cs)


def percents(
    reference: np.ndarray,
    current: np.ndarray,
    column_type: str,
    presorted: bool = False,
    feel_zeroes: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """Evidently's ``get_binned_data``: each side's share of its rows per bin."""
    ref_counts, cur_counts = counts(reference, current, column_type, presorted)
    ref = ref_counts / np.asarray(reference).size
    cur = cur_counts / np.asarray(current).size
    if feel_zeroes:
        ref, cur = fill_zeroes(ref), fill_zeroes(cur)
    return ref, cur


def merged_cdf_counts(us: np.ndarray, vs: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk the pooled sample of two sorted arrays in order.

    Returns ``(values, cu, gap)``: the pooled values ascending, after each position the number
    ``cu`` of ``us`` values passed, and the exact integer
    ``gap = cu * n_v - cv * n_u = n_u n_v (F_u - F_v)`` (``cv`` = number of ``vs`` passed),
    so that CDF differences cost no float temporaries. A stable argsort of two concatenated
    sorted runs is a linear merge (numpy uses timsort for stable float sorts), cheaper than
    the two ``searchsorted`` passes scipy makes over the pooled sample. At tied values only
    the last position of a run has the right-continuous CDF; callers weight by
    ``np.diff(values)`` (zero inside a run) or look only where the value changes.
    """
    nu, nv = us.size, vs.size
    pooled = np.concatenate((us, vs))
    order = np.argsort(pooled, kind="stable")
    cu = np.cumsum(order < nu)
    gap = cu * (nu + nv) - np.arange(1, nu + nv + 1) * nu
    return pooled[order], cu, gap


def discrete_counts(
    reference: np.ndarray, current: np.ndarray, column_type: str, presorted: bool = False
) -> Tuple[np.ndarray, np.ndarray]:
    """Counts per distinct value (categories, or numbers) present on either side, ascending.

    The count-based tests (chi-square, z, G, TVD, Fisher) treat a numerical column as a list
    of values, as Evidently does when its automatic choice sends a numerical column with at
    most five distinct values to ``chisquare`` or ``z``.
    """
    if column_type == CATEGORICAL:
        return category_counts(reference, current)
    return value_counts_sorted(sorted_values(reference, presorted), sorted_values(current, presorted))
