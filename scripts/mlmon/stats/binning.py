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
    """Size, mean and the :data:`BIN_PROBS` quantiles of one sample's finite values."""

    n: int
    mean: float
    quantiles: np.ndarray  # at BIN_PROBS; empty when n == 0

    def named_quantiles(self) -> dict:
        return {k: float(self.quantiles[i]) for k, i in SUMMARY_PROBS.items()} if self.n else {}


def summarize(values: np.ndarray) -> SampleSummary:
    """The summary of ``values`` (finite floats, any order).

    >>> s = summarize(np.arange(101.0))
    >>> s.n, s.mean, s.named_quantiles()["p25"]
    (101, 50.0, 25.0)
    """
    if values.size == 0:
        return SampleSummary(0, float("nan"), np.empty(0))
    return SampleSummary(int(values.size), float(values.mean()), np.quantile(values, BIN_PROBS))


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


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of ``values`` in ``[e_i, e_{i+1})``, the last bin closed; values outside the edges
    go to the nearest end bin (none are, for the samples the edges came from).

    >>> bin_counts(np.array([0.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))
    array([2, 2])
    """
    k = edges.size - 1
    idx = np.searchsorted(edges, values, side="right") - 1
    np.clip(idx, 0, k - 1, out=idx)
    return np.bincount(idx, minlength=k)


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


def numeric_bins(reference: np.ndarray, current: np.ndarray) -> Tuple[np.ndarray, SampleSummary, SampleSummary,
                                                                       np.ndarray, np.ndarray]:
    """Everything a picture of two numeric samples needs: edges, both summaries, both counts.

    >>> edges, r, c, rc, cc = numeric_bins(np.arange(21.0), np.arange(21.0) + 0.5)
    >>> int(rc.sum()), int(cc.sum()), edges.size
    (21, 21, 22)
    """
    rs, cs = summarize(reference), summarize(current)
    edges = shared_edges(rs, cs)
    return edges, rs, cs, bin_counts(reference, edges), bin_counts(current, edges)

