"""Binned summaries of two samples for pictures: shared histogram bins, counts, quantiles, and the
categories whose share moved most.

A page draws these, never the rows, so its size depends on the number of bins and categories,
not on the data. Bins are the reference's quantiles (every bin holds about the same share of the
reference, so its shape shows wherever its mass is), widened by the current sample's quantiles
where the current data reaches past the reference's range (a unit change puts it all there).

Sources: Hyndman & Fan (1996), "Sample quantiles in statistical packages", definition 7 (numpy's
default ``linear`` method) for the quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

#: Probabilities of the bin edges: 0, 0.05, ..., 1 (so the 5/25/50/75/95 % quantiles are edges).
BIN_PROBS = np.linspace(0.0, 1.0, 21)
#: The quantiles a summary reports, as positions in :data:`BIN_PROBS`.
SUMMARY_PROBS = {"p05": 1, "p25": 5, "p50": 10, "p75": 15, "p95": 19}


@dataclass(frozen=True)
class SampleSummary:
    """Size, mean and the :data:`BIN_PROBS` quantiles of one sample's finite values, and the
    values sorted (bins are counted on them)."""

    n: int
    mean: float
    quantiles: np.ndarray  # at BIN_PROBS; empty when n == 0
    sorted: np.ndarray

    def named_quantiles(self) -> dict:
        return {k: float(self.quantiles[i]) for k, i in SUMMARY_PROBS.items()} if self.n else {}


def sorted_quantiles(values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantiles of already sorted ``values`` by numpy's default (``linear``, Hyndman & Fan's
    definition 7), computed as numpy computes them, so they are equal to ``np.quantile``'s to the
    last digit, without its partition pass.

    >>> sorted_quantiles(np.array([1.0, 2.0, 4.0, 8.0]), np.array([0.0, 0.5, 0.9]))
    array([1. , 3. , 6.8])
    """
    n = values.size
    virtual = (n - 1) * probs  # numpy's virtual index for "linear"
    previous = np.floor(virtual)
    gamma = virtual - previous
    lo = previous.astype(np.intp)
    hi = lo + 1
    last = virtual >= n - 1  # past the last value: the last value
    lo[last] = hi[last] = n - 1
    a, b = values[lo], values[hi]
    diff = b - a
    out = a + diff * gamma
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), out)  # numpy's _lerp


def summarize(values: np.ndarray, owned: bool = False) -> SampleSummary:
    """The summary of ``values`` (finite floats, any order; sorted in place when ``owned``). One sort (numpy's vectorized sort is
    faster than its quantile's partition) gives the quantiles and, later, the bin counts.

    >>> s = summarize(np.arange(101.0))
    >>> s.n, s.mean, s.named_quantiles()["p25"]
    (101, 50.0, 25.0)
    """
    if values.size == 0:
        return SampleSummary(0, float("nan"), np.empty(0), values)
    ordered = values if owned else values.copy()  # owned: the caller's array may be sorted in place
    ordered.sort()
    return SampleSummary(int(values.size), float(values.mean()), sorted_quantiles(ordered, BIN_PROBS), ordered)


def summarize_sorted(ordered: np.ndarray) -> SampleSummary:
    """:func:`summarize` of values already sorted (no copy, no sort).

    >>> summarize_sorted(np.arange(101.0)).named_quantiles()["p75"]
    75.0
    """
    if ordered.size == 0:
        return SampleSummary(0, float("nan"), np.empty(0), ordered)
    return SampleSummary(int(ordered.size), float(ordered.mean()), sorted_quantiles(ordered, BIN_PROBS), ordered)


def shared_edges(reference: SampleSummary, current: SampleSummary) -> np.ndarray:
    """Bin edges for both samples: the reference's quantiles, plus the current's quantiles that
    fall outside the reference's range; strictly increasing, at least two.

    >>> shared_edges(summarize(np.arange(21.0)), summarize(np.arange(21.0)))[:4]
    array([0., 1., 2., 3.])
    >>> shared_edges(summarize(np.zeros(5)), summarize(np.zeros(5)))
    array([-0.5,  0.5])
    >>> shared_edges(summarize(np.arange(21.0)), summarize(np.arange(21.0) + 100))[-3:]
    array([118., 119., 120.])
    """
    parts = [q for q in (reference.quantiles, current.quantiles) if q.size]
    if not parts:
        return np.array([0.0, 1.0])
    edges = reference.quantiles if reference.n else current.quantiles
    if reference.n and current.n:
        lo, hi = reference.quantiles[0], reference.quantiles[-1]
        outside = current.quantiles[(current.quantiles < lo) | (current.quantiles > hi)]
        edges = np.concatenate([edges, outside])
    edges = np.unique(edges)
    if edges.size == 1:
        v = float(edges[0])
        return np.array([v - 0.5, v + 0.5])
    return edges


def bin_counts(ordered: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of sorted values in ``[e_i, e_{i+1})``, the last bin closed (numpy's histogram
    rule); values outside the edges are not counted (none are, for the samples the edges came from).

    >>> bin_counts(np.array([0.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))
    array([2, 2])
    """
    at = np.searchsorted(ordered, edges, side="left")
    at[-1] = np.searchsorted(ordered, edges[-1], side="right")
    return np.diff(at)


def densities(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts as a density (area 1) over bins of unequal width.

    >>> densities(np.array([2, 2]), np.array([0.0, 1.0, 3.0]))
    array([0.5 , 0.25])
    """
    total = counts.sum()
    if total == 0:
        return np.zeros(counts.size)
    return counts / (total * np.diff(edges))


@dataclass(frozen=True)
class CategoryShares:
    """Which categories a picture shows and which moved most; positions into the category list."""

    shown: List[int]       # the most common categories (largest share on either side)
    moved: List[int]       # the largest absolute changes of share, largest first
    reference_share: np.ndarray
    current_share: np.ndarray


def category_shares(reference_counts: np.ndarray, current_counts: np.ndarray, top: int = 12,
                    moved: int = 5) -> CategoryShares:
    """Shares of each category on both sides; the ``top`` largest shown, the ``moved`` largest
    changes named (ties: the earlier category first).

    >>> s = category_shares(np.array([50, 30, 20]), np.array([20, 30, 50]), top=2, moved=2)
    >>> s.shown, s.moved, s.current_share.tolist()
    ([0, 2], [0, 2], [0.2, 0.3, 0.5])
    """
    r = _shares(reference_counts)
    c = _shares(current_counts)
    largest = np.maximum(r, c)
    shown = np.argsort(-largest, kind="stable")[:top]
    change = np.abs(c - r)
    order = np.argsort(-change, kind="stable")[:moved]
    return CategoryShares(sorted(int(i) for i in shown), [int(i) for i in order if change[i] > 0], r, c)


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros(counts.size)


def numeric_bins(reference: np.ndarray, current: np.ndarray, owned: bool = False, presorted: bool = False
                 ) -> Tuple[np.ndarray, SampleSummary, SampleSummary, np.ndarray, np.ndarray]:
    """Everything a picture of two numeric samples needs: edges, both summaries, both counts
    (``owned``: the arrays are the caller's to sort in place; ``presorted``: they are sorted
    already, as the drift run left them, and are read as they are).

    >>> edges, r, c, rc, cc = numeric_bins(np.arange(21.0), np.arange(21.0) + 0.5)
    >>> int(rc.sum()), int(cc.sum()), edges.size
    (21, 21, 22)
    """
    rs, cs = (summarize_sorted(reference), summarize_sorted(current)) if presorted else \
        (summarize(reference, owned), summarize(current, owned))
    edges = shared_edges(rs, cs)
    return edges, rs, cs, bin_counts(rs.sorted, edges), bin_counts(cs.sorted, edges)

