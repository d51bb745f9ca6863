"""The mergeable pieces of a numerical column's profile.

Three summaries, each chosen so that summarising two batches and merging gives the summary of
their union:

- :func:`fine_bins` — a histogram on **value-determined** bins: a value's bin depends on the
  value alone (its sign, binary exponent and the first ``log2(bins_per_octave)`` bits of its
  mantissa), never on the rest of the data, so two partitions count into the same bins and
  merged counts are exactly the counts of the union. With 1024 bins per octave a bin is at most
  1/1024 of its values' magnitude wide (about 0.1 %); zero has a bin of its own.
- :class:`ExactSum` — the sum of float64 values held exactly as an integer multiple of
  ``2**-1126`` (the smallest power that represents every float64 and every sum of them), so the
  order in which batches are added never changes the result by even one bit.
- :class:`QuantileSketch` — Apache DataSketches' KLL sketch: ``n`` values summarised in a few
  kilobytes with a normalised rank error ``epsilon(k)`` (``|rank_hat(x) - rank(x)| <= epsilon``
  with 99 % confidence, for every ``x`` at once). Merging is its own operation and keeps the
  guarantee; it is the one part of a profile that is approximate.

References: Karnin, Lang & Liberty (2016), "Optimal Quantile Approximation in Streams", FOCS;
Apache DataSketches, KLL sketch documentation (``get_normalized_rank_error``); Shewchuk (1997)
for why float sums need exact accumulation to be order-independent.
"""

from __future__ import annotations

import base64
import math
from fractions import Fraction
from typing import Optional, Tuple

import numpy as np

#: every float64 is an integer multiple of 2**-1074, and its 53-bit significand times 2**(e-53)
#: with e >= -1073 (np.frexp of subnormals): 2**-1126 is the common unit of all of them
SUM_UNIT_EXP = -1126
_SUM_CHUNK = 1 << 24  # per bincount: 2**24 values of < 2**27 sum exactly in float64

#: fine-bin keys of positive values start above this offset, so every key of a positive value is
#: >= 1, zero's key is 0 and a negative value's key is minus its magnitude's key: key order is
#: value order
_KEY_OFFSET_OCTAVES = 1100
#: values below 2**-1001 in magnitude share one bin per sign (finer edges would not be
#: representable as float64)
_TINY_EXP = -1000


def fine_bins(values: np.ndarray, bins_per_octave: int) -> Tuple[np.ndarray, np.ndarray]:
    """Keys and counts of the non-empty fine bins of finite ``values`` (keys ascending).

    >>> keys, counts = fine_bins(np.array([0.0, 1.0, 1.0, 1.5, -1.0]), 2)
    >>> counts.tolist(), [bin_edges(k, 2) for k in keys.tolist()]
    ([1, 1, 2, 1], [(-1.5, -1.0), (0.0, 0.0), (1.0, 1.5), (1.5, 2.0)])
    """
    keys = fine_bin_keys(values, bins_per_octave)
    if keys.size == 0:
        return keys, np.zeros(0, dtype=np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo < 4 * keys.size + 1024:  # a dense count is cheaper than sorting
        dense = np.bincount(keys - lo, minlength=hi - lo + 1)
        occupied = np.flatnonzero(dense)
        return occupied + lo, dense[occupied].astype(np.int64)
    uniq, counts = np.unique(keys, return_counts=True)
    return uniq, counts.astype(np.int64)


def fine_bin_keys(values: np.ndarray, bins_per_octave: int) -> np.ndarray:
    """The fine-bin key of every value (int64; monotone in the value)."""
    x = np.asarray(values, dtype=np.float64)
    m, e = np.frexp(np.abs(x))  # |x| = m * 2**e, m in [0.5, 1)
    sub = ((2.0 * m - 1.0) * bins_per_octave).astype(np.int64)  # exact: power-of-two scaling
    e = e.astype(np.int64)
    tiny = e < _TINY_EXP
    if tiny.any():
        e = np.where(tiny, _TINY_EXP - 1, e)
        sub = np.where(tiny, 0, sub)
    key = (e + _KEY_OFFSET_OCTAVES) * bins_per_octave + sub + 1
    key = np.where(x > 0, key, np.where(x < 0, -key, 0))
    return key


def bin_edges(key: int, bins_per_octave: int) -> Tuple[float, float]:
    """``(left, right)`` value range of one fine bin, in value order.

    Positive bins are ``[left, right)``, negative ones ``(left, right]``, zero's is ``[0, 0]``.
    """
    if key == 0:
        return 0.0, 0.0
    left, right = bins_edges(np.array([abs(key)]), bins_per_octave)
    lo, hi = float(left[0]), float(right[0])
    return (lo, hi) if key > 0 else (-hi, -lo)


def bins_edges(keys: np.ndarray, bins_per_octave: int) -> Tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`bin_edges`: arrays of left and right ends."""
    keys = np.asarray(keys, dtype=np.int64)
    k = np.abs(keys) - 1
    e = k // bins_per_octave - _KEY_OFFSET_OCTAVES
    sub = k % bins_per_octave
    shift = (e - 1 - int(np.log2(bins_per_octave))).astype(np.int64)
    with np.errstate(over="ignore"):  # the top octave's last edge is 2**1024: inf
        lo = np.ldexp((bins_per_octave + sub).astype(np.float64), shift)
        hi = np.ldexp((bins_per_octave + sub + 1).astype(np.float64), shift)
    tiny = e < _TINY_EXP
    lo = np.where(tiny, 0.0, lo)
    hi = np.where(tiny, np.ldexp(1.0, _TINY_EXP - 1), hi)
    left = np.where(keys > 0, lo, np.where(keys < 0, -hi, 0.0))
    right = np.where(keys > 0, hi, np.where(keys < 0, -lo, 0.0))
    return left, right


def merge_bins(keys_a, counts_a, keys_b, counts_b) -> Tuple[np.ndarray, np.ndarray]:
    """Sum two sparse histograms on the same fine grid."""
    keys = np.concatenate((keys_a, keys_b)).astype(np.int64)
    counts = np.concatenate((counts_a, counts_b)).astype(np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    out = np.zeros(uniq.size, dtype=np.int64)
    np.add.at(out, inverse, counts)
    return uniq, out


def fraction_sqrt(x: Fraction) -> float:
    """The square root of an exact ``x`` as a float (0 for ``x <= 0``), also where ``x`` itself
    lies beyond float64 (the variance of values above 1e154): an integer square root, 64 bits
    finer than the float it rounds to.

    >>> fraction_sqrt(Fraction(9, 4)), fraction_sqrt(Fraction(10) ** 400) == 1e200, fraction_sqrt(Fraction(-1))
    (1.5, True, 0.0)
    """
    if x <= 0:
        return 0.0
    try:
        return math.sqrt(float(x))
    except OverflowError:
        root = math.isqrt((x.numerator << 128) // x.denominator)  # sqrt(x) * 2**64, rounded down
        shift = max(root.bit_length() - 64, 0)
        return math.ldexp(float(root >> shift), shift - 64)


class ExactSum:
    """An exact, order-independent sum of float64 values.

    >>> a, b = ExactSum.of(np.array([1e16, 1.0])), ExactSum.of(np.array([-1e16, 1.0]))
    >>> float(a + b), sum([1e16, 1.0, -1e16, 1.0])
    (2.0, 1.0)
    """

    __slots__ = ("units",)

    def __init__(self, units: int = 0):
        self.units = int(units)  # the sum is units * 2**SUM_UNIT_EXP

    @classmethod
    def of(cls, values: np.ndarray) -> "ExactSum":
        x = np.asarray(values, dtype=np.float64)
        total = 0
        for start in range(0, x.size, _SUM_CHUNK):
            total += _exact_units(x[start:start + _SUM_CHUNK])
        return cls(total)

    @classmethod
    def of_squares(cls, values: np.ndarray) -> "ExactSum":
        """The exact sum of each value's square rounded to float64; squares that overflow
        float64 are added exactly instead (so the sum stays finite and order-independent)."""
        x = np.asarray(values, dtype=np.float64)
        big = np.abs(x) > 1e150
        total = cls.of(x[~big] * x[~big]) if big.any() else cls.of(x * x)
        for v in x[big].tolist():
            m, e = math.frexp(v)
            sig = int(m * 9007199254740992.0)
            total = total + cls((sig * sig) << (2 * (e - 53) - SUM_UNIT_EXP))
        return total

    def __add__(self, other: "ExactSum") -> "ExactSum":
        return ExactSum(self.units + other.units)

    def __eq__(self, other) -> bool:
        return isinstance(other, ExactSum) and self.units == other.units

    def __hash__(self):
        return hash(self.units)

    def fraction(self) -> Fraction:
        return Fraction(self.units, 1 << -SUM_UNIT_EXP)

    def __float__(self) -> float:
        try:
            return float(self.fraction())
        except OverflowError:  # beyond float64 (squares of values above 1e154): as float arithmetic does
            return math.copysign(math.inf, self.units)

    def __repr__(self) -> str:
        return f"ExactSum({float(self)!r})"


def _exact_units(x: np.ndarray) -> int:
    if x.size == 0:
        return 0
    m, e = np.frexp(x)
    sig = (m * 9007199254740992.0).astype(np.int64)  # m * 2**53: exact 53-bit signed integer
    shift = e.astype(np.int64) + 1073  # >= 0 for every finite float64
    lo = (sig & ((1 << 27) - 1)).astype(np.float64)
    hi = (sig >> 27).astype(np.float64)
    n_shift = int(shift.max()) + 1
    lo_sum = np.bincount(shift, weights=lo, minlength=n_shift)
    hi_sum = np.bincount(shift, weights=hi, minlength=n_shift)
    total = 0
    for s in np.flatnonzero((lo_sum != 0) | (hi_sum != 0)).tolist():
        total += ((int(hi_sum[s]) << 27) + int(lo_sum[s])) << s
    return total


class QuantileSketch:
    """A KLL sketch of float64 values (Apache DataSketches), with its rank-error guarantee."""

    __slots__ = ("k", "_sketch")

    def __init__(self, k: int, sketch=None):
        from datasketches import kll_doubles_sketch

        self.k = int(k)
        self._sketch = sketch if sketch is not None else kll_doubles_sketch(self.k)

    @classmethod
    def of(cls, values: np.ndarray, k: int) -> "QuantileSketch":
        s = cls(k)
        if np.asarray(values).size:
            s._sketch.update(np.ascontiguousarray(values, dtype=np.float64))
        return s

    @property
    def n(self) -> int:
        return int(self._sketch.n)

    @property
    def exact(self) -> bool:
        """True while the sketch still holds every value (no compaction yet)."""
        return not self._sketch.is_estimation_mode()

    @property
    def rank_error(self) -> float:
        """Normalised rank error bound of CDF queries (0 while the sketch is exact)."""
        if self.exact:
            return 0.0
        return float(self._sketch.normalized_rank_error(False))

    def merged(self, other: "QuantileSketch") -> "QuantileSketch":
        out = QuantileSketch(self.k, type(self._sketch).deserialize(self._sketch.serialize()))
        out._sketch.merge(other._sketch)
        return out

    def cdf(self, points: np.ndarray) -> np.ndarray:
        """Estimated share of values ``<= x`` at each of ``points`` (ascending)."""
        if self.n == 0:
            return np.zeros(len(points))
        return np.array([self._sketch.get_rank(float(p), True) for p in points]) if len(points) < 4 else \
            np.asarray(self._sketch.get_cdf(list(map(float, points)), True)[:-1])

    def items(self) -> Tuple[np.ndarray, np.ndarray]:
        """Retained values (ascending) and their weights."""
        pairs = sorted(self._sketch)
        if not pairs:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        vals, weights = zip(*pairs)
        return np.asarray(vals, dtype=np.float64), np.asarray(weights, dtype=np.int64)

    def quantile(self, q: float) -> Optional[float]:
        return None if self.n == 0 else float(self._sketch.get_quantile(q))

    def __getstate__(self):
        # pickling (process pools, dask workers) goes through DataSketches' own bytes
        return {"k": self.k, "sketch": self._sketch.serialize()}

    def __setstate__(self, state):
        from datasketches import kll_doubles_sketch

        self.k = state["k"]
        self._sketch = kll_doubles_sketch.deserialize(state["sketch"])

    def to_text(self) -> str:
        return base64.b64encode(self._sketch.serialize()).decode("ascii")

    @classmethod
    def from_text(cls, text: str, k: int) -> "QuantileSketch":
        from datasketches import kll_doubles_sketch

        return cls(k, kll_doubles_sketch.deserialize(base64.b64decode(text.encode("ascii"), validate=True)))
