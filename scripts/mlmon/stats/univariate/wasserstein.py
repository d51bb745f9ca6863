"""Wasserstein distance normed by the reference standard deviation (Evidently ``wasserstein``).

.. math::

    W_1(u, v) = \\int_{-\\infty}^{\\infty} |F_u(x) - F_v(x)|\\,dx, \\qquad
    \\text{score} = \\frac{W_1(\\text{ref}, \\text{cur})}{\\max(\\operatorname{std}(\\text{ref}), 0.001)}

with the population standard deviation (``np.std``, ``ddof=0``) and drift when the score is
at or above the threshold (default 0.1, i.e. a tenth of a reference standard deviation).
Values beyond about 1e150 are first divided by a power of two (exact, the score unchanged;
``_binning.rescaled``; a prepared reference's deviation likewise, :func:`population_std`):
Evidently's infinite deviation scores any such column 0 or NaN, "no drift", however far it moved.

Source: Evidently 0.7 ``stattests/wasserstein_distance_norm.py`` on top of
``scipy.stats.wasserstein_distance``; Ramdas, Garcia & Cuturi (2017), "On Wasserstein Two
Sample Testing and Related Families of Nonparametric Tests", Entropy 19(2).

For samples of equal size the integral is the mean absolute difference of the order
statistics, :math:`W_1 = \\frac1n \\sum_i |u_{(i)} - v_{(i)}|`; otherwise it is summed over the
pooled sample, :math:`\\sum_k |F_u(z_k) - F_v(z_k)| (z_{k+1} - z_k)`, with the CDFs read off a
linear merge of the two sorted samples. Both agree with scipy to ~1e-15.

Examples
--------
>>> import numpy as np
>>> r = wasserstein(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0]), "numerical", 0.1)
>>> round(r.score, 4), r.drifted
(0.8944, True)
"""

from __future__ import annotations

import math

import numpy as np

from . import NUMERICAL, StatTestResult, implement
from ._binning import merged_cdf_counts, rescaled, sorted_values, weighted_sum


def population_std(values: np.ndarray, presorted: bool = False) -> float:
    """``np.std`` (ddof 0) of finite values, also where their squares would overflow: taken on
    the values in a smaller unit (``_binning.rescaled``, exact) and scaled back.

    >>> round(population_std(np.array([1e200, 3e200])) / 1e200, 12), float(np.std(np.array([1.0, 3.0])))
    (1.0, 1.0)
    """
    scaled, _, e = rescaled(values, values[:0], presorted)
    return math.ldexp(float(np.std(scaled)), e)


#: pooled values merged at once for samples of unequal sizes: the merge keeps about 45 bytes a
#: value alive (89 MB for a million a side), so larger samples are walked in pieces of this many
MERGE_PIECE = 1 << 18


def wasserstein_distance_sorted(us: np.ndarray, vs: np.ndarray) -> float:
    """First Wasserstein distance between two sorted samples (same value as scipy's)."""
    nu, nv = us.size, vs.size
    if nu == nv:
        return float(np.mean(np.abs(us - vs)))
    pieces = -(-(nu + nv) // MERGE_PIECE)
    if pieces <= 1:
        values, _, gap = merged_cdf_counts(us, vs)
        widths = np.diff(values)
        return weighted_sum(np.abs(gap[:-1]), widths) / (nu * nv)
    # pieces cut at values of the larger sample, ties never split: each piece's pooled values,
    # its CDF gaps counted from the rows before it, and one more width to the next piece's first value
    big = us if nu >= nv else vs
    cuts = np.unique(big[(np.arange(1, pieces) * big.size) // pieces])
    iu = np.concatenate(([0], np.searchsorted(us, cuts, side="left"), [nu]))
    iv = np.concatenate(([0], np.searchsorted(vs, cuts, side="left"), [nv]))
    total = 0.0
    for p in range(iu.size - 1):
        a, b = us[iu[p]:iu[p + 1]], vs[iv[p]:iv[p + 1]]
        if not (a.size or b.size):
            continue
        values, cu, _ = merged_cdf_counts(a, b)
        cu += iu[p]  # us passed, counted from the start
        cv = np.arange(iu[p] + iv[p] + 1, iu[p] + iv[p] + values.size + 1) - cu  # vs passed
        gap = np.abs(cu * nv - cv * nu).astype(np.float64)
        nxt = min(us[iu[p + 1]] if iu[p + 1] < nu else np.inf, vs[iv[p + 1]] if iv[p + 1] < nv else np.inf)
        widths = np.diff(values, append=nxt if np.isfinite(nxt) else values[-1])
        total += weighted_sum(gap, widths)
    return total / (nu * nv)


class SortedReference:
    """A sorted reference prepared once for many windows: prefix sums and its standard deviation.

    :func:`wasserstein_to_reference` then scores a window of ``n`` sorted values in
    O(n log N) instead of the O(N + n) merge: windowed drift and calibration draws use it.
    """

    def __init__(self, values: np.ndarray):
        v = np.asarray(values, dtype=np.float64)
        self.values = v
        self.shift = float(v[v.size // 2]) if v.size else 0.0  # centred sums keep their precision
        self.prefix = np.concatenate([[0.0], np.cumsum(v - self.shift)])
        self.std = population_std(v, presorted=True)
        self._steps = {}  # window size -> the steps' index bounds and the reference's integral at them

    def G(self, t: np.ndarray) -> np.ndarray:
        """Integral of the reference's quantile function (centred) over index positions ``[0, t]``."""
        fl = np.minimum(t.astype(np.int64), self.values.size - 1)  # t >= 0: truncation is floor
        return self.prefix[fl] + (t - fl) * (self.values[fl] - self.shift)

    def steps(self, n: int):
        if n not in self._steps:
            N = self.values.size
            k = np.arange(n, dtype=np.float64)
            a, b = k * N / n, (k + 1) * N / n
            self._steps[n] = (a, b, self.G(a), self.G(b))
        return self._steps[n]


def wasserstein_to_reference(ref: SortedReference, current: np.ndarray) -> float:
    """W1 between a prepared reference and a sorted sample, via the quantile functions.

    :math:`W_1 = \\int_0^1 |F_R^{-1}(u) - F_W^{-1}(u)|\\,du`: on the window's ``k``-th step
    (``u`` in ``[k/n, (k+1)/n]``, value ``w_k``) the reference's quantile function runs over
    index positions ``[kN/n, (k+1)N/n]``; it lies below ``w_k`` up to ``searchsorted(r, w_k)``
    and above after, so each step's integral comes from the reference's prefix sums. Agrees
    with :func:`wasserstein_distance_sorted` to rounding (~1e-12 relative).

    >>> r = SortedReference(np.array([0.0, 1.0, 2.0, 3.0]))
    >>> round(wasserstein_to_reference(r, np.array([1.0, 2.0, 3.0, 4.0])), 12)
    1.0
    """
    w = np.asarray(current, dtype=np.float64)
    return float(wasserstein_to_reference_many(ref, w[None, :])[0])


def wasserstein_to_reference_many(ref: SortedReference, windows: np.ndarray, left: np.ndarray = None) -> np.ndarray:
    """:func:`wasserstein_to_reference` for every row of ``windows`` (each row sorted, one size).

    ``left``: ``searchsorted(ref.values, windows, "left")`` when the caller knows it already
    (calibration draws taken from the reference itself)."""
    w = np.asarray(windows, dtype=np.float64)
    a, b, Ga, Gb = ref.steps(w.shape[1])
    if left is None:
        left = np.searchsorted(ref.values, w.ravel(), "left").reshape(w.shape)
    m = np.clip(left.astype(np.float64), a, b)
    Gm = ref.G(m)
    wc = w - ref.shift
    total = wc * (m - a) - (Gm - Ga) + (Gb - Gm) - wc * (b - m)
    return total.sum(axis=1) / ref.values.size


def wasserstein_to_reference_ragged(ref: SortedReference, values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """:func:`wasserstein_to_reference` for every window ``values[offsets[i]:offsets[i + 1]]``
    (each sorted, sizes free) in one pass: the same terms, element by element, as window by window.

    >>> r = SortedReference(np.array([0.0, 1.0, 2.0, 3.0]))
    >>> wasserstein_to_reference_ragged(r, np.array([1.0, 2.0, 3.0, 4.0, 0.0, 3.0]), np.array([0, 4, 6])).round(12).tolist()
    [1.0, 0.5]
    """
    w = np.asarray(values, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    sizes = np.diff(offsets)
    N = ref.values.size
    if sizes.size:  # each size's steps once (windows of one size share them)
        a, b, Ga, Gb = (np.concatenate(part) for part in zip(*(ref.steps(int(n)) for n in sizes)))
    else:
        a = b = Ga = Gb = np.empty(0)
    m = np.clip(np.searchsorted(ref.values, w, "left").astype(np.float64), a, b)
    Gm = ref.G(m)
    wc = w - ref.shift
    total = wc * (m - a) - (Gm - Ga) + (Gb - Gm) - wc * (b - m)
    # each window's sum on its own contiguous slice: the pairwise sum of a (1, n) row, as the batch path
    sums = np.array([total[offsets[i]:offsets[i + 1]].sum() for i in range(sizes.size)], dtype=np.float64)
    return sums / N


def wasserstein(reference, current, column_type=NUMERICAL, threshold=0.1, *, presorted=False):
    us = sorted_values(reference, presorted)
    vs = sorted_values(current, presorted)
    # beyond about 1e150 both sides in a unit of 2**e (exact): the distance over the deviation
    # is the same number, and no difference or square overflows on the way
    us, vs, e = rescaled(us, vs, presorted=True)
    std = float(np.std(us))
    if np.asarray(reference).dtype == np.float32:
        # Evidently's np.std of a float32 Series is pandas' std: variance summed in float64,
        # rounded to float32, square root in float32
        std = float(np.sqrt(np.float32(np.var(us))))
    norm = max(std, math.ldexp(0.001, -e))  # the floor of 0.001 in the data's own unit
    score = wasserstein_distance_sorted(us, vs) / norm
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def from_summary(reference, current, column_type, threshold):
    """wasserstein from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.wasserstein(reference, current, column_type, threshold)


implement("wasserstein", wasserstein, from_summary=from_summary)
