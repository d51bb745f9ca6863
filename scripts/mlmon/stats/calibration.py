"""Drift thresholds calibrated on the reference: a false-alarm rate you choose, at the window's size.

A fixed threshold (Wasserstein 0.1, PSI 0.1, p < 0.05) means something different at every
window size: at 165 rows a Wasserstein distance of 0.1 is crossed by chance on a fifth of
stable days. Here the threshold is read off the score's distribution *under no change*, for
windows of the size in use, estimated from the reference itself:

- **random** draws: ``n`` reference rows drawn without replacement, scored against the
  *rest* of the reference. The real comparison puts a window that is not part of the
  reference against the whole reference; a draw scored against the full reference would
  contain its own rows on both sides and look closer than a real window does (at
  ``n/N = 0.3`` the Wasserstein distance shrinks by about that share), so thresholds would
  come out too low and alarms too frequent. Against the rest, window and comparison are
  disjoint, as in the real case, with ``N - n`` rows instead of ``N`` on the reference side:
  slightly more noise, so a slightly higher (safe) threshold, negligible when ``n << N``.
- **contiguous** chunks: where the reference has a timestamp, its own consecutive runs of
  ``n`` rows in time order (non-overlapping), each scored against the rest. These carry the
  reference's own day-to-day variation, which random draws average away; a stable production
  day varies as a reference day does, so this is what a real window sees under no change.
- **both** (what ``auto`` picks when there is a time order and enough chunks): the more
  conservative of the two thresholds (the higher distance, the lower p-value): random draws
  measure pure sampling noise precisely, chunks are few but realistic.

The threshold is an order statistic chosen so that at most ``m = floor(R (B + 1))`` of the
``B`` null scores would be flagged under the test's own drift rule (``score >= t`` for
distances, ``p < t`` or ``p <= t`` for p-values, ties included). For a new window
exchangeable with the draws this is the split-conformal bound: a false alarm with probability
``m / (B + 1) <= R``. p-value tests are calibrated the same way (their nominal level assumes
independent rows, which a day of production data seldom is). ``B + 1 >= 1 / R`` draws are
needed at all; the order statistic's own uncertainty is reported as a distribution-free 95 %
interval (the order statistics at the binomial ranks ``B q +- 1.96 sqrt(B q (1 - q))``) and a
standard error read from it.

Windows of nearly the same size share one calibration: sizes are grouped on a geometric grid
of ratio 1.05 (:func:`size_bucket`; at most 5 % between the smallest and largest size of a
group) and each group is calibrated at its *smallest* size, whose null scores are the
largest, so the rate holds for every size in the group. :class:`CalibrationCache` keeps the
null scores by (column, test, method, group) for a run.

Limits: the reference must be stable itself (a drifting reference widens every threshold);
``n`` can be at most half the reference; with few contiguous chunks their quantile is
coarse (``both`` then leans on random draws only when there are fewer than ``1/R - 1``
chunks); discrete scores (few categories, tiny windows) can make the achieved rate far below
``R`` (reported as ``achieved_rate``).

>>> import numpy as np
>>> from mlmon.stats.univariate import get
>>> ref = np.sort(np.random.default_rng(0).normal(size=5000))
>>> cal = calibrate(ref, get("wasserstein"), "numerical", 165, false_alarm_rate=0.05, draws=199, seed=1, presorted=True)
>>> cal.method, cal.draws, cal.rule, round(cal.threshold, 3), cal.achieved_rate
('random', 199, '>=', 0.173, 0.05)
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from mlmon.errors import MlmonError

#: Windows whose sizes differ by at most this ratio share one calibration.
GRID_RATIO = 1.05
#: The smallest window a calibration is attempted for.
MIN_WINDOW_ROWS = 2
#: The fast path: draws from a held-out ``min(N // 2, max(HOLDOUT_FACTOR * n, HOLDOUT_MIN))`` rows,
#: for references of at least ``FAST_MIN_RATIO`` windows.
HOLDOUT_FACTOR = 50
HOLDOUT_MIN = 10_000
FAST_MIN_RATIO = 20
#: ... and contiguous chunks take at most half the reference, at least this many of them (rates down to 0.01).
FAST_MIN_CHUNKS = 100

_UPPER = (">=", ">")   # distances: drift when the score is high
_LOWER = ("<", "<=")   # p-values: drift when the score is low


@dataclass(frozen=True)
class NullScores:
    """Scores of ``len(scores)`` no-change windows of ``n`` rows, ascending."""

    scores: np.ndarray
    method: str  # "random" | "contiguous"
    n: int


@dataclass(frozen=True)
class Calibration:
    """A threshold for windows of ``min_window_size..max_window_size`` rows.

    ``achieved_rate``: flagged null draws / (draws + 1), the chance that a new no-change window
    exchangeable with the draws is flagged (the largest over the methods used), at most
    ``false_alarm_rate``. ``ci``: 95 % interval of the estimated
    quantile; ``standard_error``: its half-width / 1.96.
    """

    threshold: float
    rule: str
    false_alarm_rate: float
    achieved_rate: float
    method: str  # "random" | "contiguous" | "both"
    draws: int
    standard_error: float
    ci: Tuple[float, float]
    min_window_size: int
    max_window_size: int
    per_method: Dict[str, float] = field(default_factory=dict)  # threshold each method alone gives

    def serves(self, n: int) -> bool:
        return self.min_window_size <= n <= self.max_window_size

    def to_dict(self) -> Dict[str, Any]:
        return {"threshold": self.threshold, "rule": self.rule, "false_alarm_rate": self.false_alarm_rate,
                "achieved_rate": self.achieved_rate, "method": self.method, "draws": self.draws,
                "standard_error": self.standard_error, "ci": list(self.ci),
                "window_sizes": [self.min_window_size, self.max_window_size], "per_method": dict(self.per_method)}


# ------------------------------------------------------------------------------ sizes


def size_bucket(n: int, ratio: float = GRID_RATIO) -> Tuple[int, int]:
    """``(lo, hi)``: the group of window sizes ``n`` belongs to (``hi / lo <= ratio``).

    >>> size_bucket(165), size_bucket(170), size_bucket(3000), size_bucket(7)
    ((160, 167), (168, 176), (2986, 3134), (7, 7))
    """
    if n < 1:
        raise ValueError("window size must be positive")
    k = math.floor(math.log(n) / math.log(ratio) + 1e-9)
    lo = max(1, math.ceil(ratio ** k - 1e-9))
    hi = math.ceil(ratio ** (k + 1) - 1e-9) - 1
    while lo > n:  # float edges: keep n inside its group
        k -= 1
        lo = max(1, math.ceil(ratio ** k - 1e-9))
    return lo, max(hi, n)


# ------------------------------------------------------------------------------ draws


def _rule_of(test: Any, rule: Optional[str]) -> str:
    if rule is not None:
        if rule not in _UPPER + _LOWER:
            raise ValueError(f"unknown drift rule {rule!r}")
        return rule
    if getattr(test, "score_kind", None) is not None:
        from mlmon.stats.univariate import drift_rule

        return drift_rule(test)
    raise ValueError("pass rule= ('>=', '>', '<' or '<=') for a test that is not a StatTest")


def _rng(seed: Any, method: str, n: int) -> np.random.Generator:
    key = list(seed) if isinstance(seed, (list, tuple)) else [int(seed)]
    return np.random.default_rng(key + [zlib.crc32(method.encode()), int(n)])


def seed_for(column: str, seed: int = 0) -> Tuple[int, int]:
    """A reproducible per-column seed (Python's ``hash`` of text changes between runs)."""
    return int(seed), zlib.crc32(str(column).encode("utf-8"))


def chunk_count(n_reference: int, n: int) -> int:
    """Non-overlapping contiguous chunks of ``n`` rows the reference holds."""
    return n_reference // n if n else 0


def holdout_size(N: int, n: int) -> int:
    """Reference rows the fast path sets aside to draw windows of ``n`` from: ``min(N // 2, max(50 n, 10,000))``.

    The fast path scores every draw against one fixed comparison set (the rest of the
    reference), prepared once, so a draw costs O(n log N) (Wasserstein: prefix sums) or one
    pass of the test, never a copy of the reference. The comparison side then holds ``N - h``
    rows instead of ``N - n``: a little more noise, so a slightly *higher* threshold (for a
    distance the null spread grows by at most ``sqrt((1/n + 2/N) / (1/n + 1/N))``, under 2.5 %
    when ``N >= 20 n``) and a false-alarm rate slightly *below* the one asked for: safe.
    Used when the reference holds at least :data:`FAST_MIN_RATIO` windows; smaller ones are cheap exactly.

    >>> holdout_size(1_000_000, 3000), holdout_size(50_000, 165), holdout_size(12_000, 300)
    (150000, 10000, 6000)
    """
    return int(min(N // 2, max(HOLDOUT_FACTOR * n, HOLDOUT_MIN)))


#: Categorical tests computed from count vectors (:mod:`mlmon.stats.from_counts`: the same formulas).
_COUNT_TESTS = {"jensenshannon": "jensenshannon_counts", "psi": "psi_counts", "chisquare": "chisquare_counts",
                "z": "z_counts", "kl_div": "kl_div_counts", "hellinger": "hellinger_counts"}


def scorer(test: Callable, reference: np.ndarray, column_type: str) -> Callable[[np.ndarray, float], Tuple[float, bool]]:
    """``score(window_sorted, threshold) -> (score, drifted)`` against a fixed sorted ``reference``.

    Wasserstein on numbers gets the O(n log N) kernel (the reference's prefix sums are built
    once); categorical count tests count the reference once; every other test is called as it
    is (one pass over the reference)."""
    many = _fast_scorer(test, reference, column_type)
    if many is None:
        ref = np.asarray(reference)

        def plain(x: np.ndarray, threshold: float) -> Tuple[float, bool]:
            out = test(ref, x, column_type, threshold, presorted=True)
            return float(out.score), bool(out.drifted)

        return plain
    rule = _rule_of(test, None)

    def score(x: np.ndarray, threshold: float) -> Tuple[float, bool]:
        s = float(many(np.asarray(x)[None, :], threshold)[0])
        return s, (not np.isnan(s)) and flagged_share(np.array([s]), threshold, rule) == 1.0

    return score


def batch_scorer(test: Callable, reference: np.ndarray, column_type: str) -> Callable[[np.ndarray, float], np.ndarray]:
    """``scores(windows, probe)``: the score of every row of ``windows`` (rows sorted, one size)."""
    fast = _fast_scorer(test, reference, column_type)
    if fast is not None:
        return fast
    ref = np.asarray(reference)

    def plain(W: np.ndarray, probe: float) -> np.ndarray:
        return np.asarray([float(test(ref, x, column_type, probe, presorted=True).score) for x in W])

    return plain


def window_scorer(test: Callable, reference: np.ndarray,
                  column_type: str) -> Optional[Callable[[np.ndarray, np.ndarray], Optional[np.ndarray]]]:
    """``scores(values, offsets)``: the score of every window ``values[offsets[i]:offsets[i + 1]]``
    (each sorted, sizes free) in one pass, the same figures as :func:`scorer` window by window;
    None for a test without the batch kernel. Wasserstein on numbers; Jensen-Shannon on category
    codes (the function answers None when a window holds a category the reference lacks)."""
    from mlmon.stats.univariate import NUMERICAL

    ref = np.asarray(reference)
    tid = _test_id(test)
    if tid == "wasserstein" and column_type == NUMERICAL and ref.dtype.kind == "f" and ref.size:
        from mlmon.stats.univariate.wasserstein import SortedReference, wasserstein_to_reference_ragged

        prep = SortedReference(ref)
        norm = max(prep.std, 0.001)
        return lambda values, offsets: wasserstein_to_reference_ragged(prep, values, offsets) / norm
    if tid == "jensenshannon" and column_type != NUMERICAL and ref.dtype.kind in "iu" and ref.size:
        from mlmon.stats.univariate.jensenshannon import js_terms

        ref_counts = np.bincount(ref)
        k = ref_counts.size
        p = ref_counts.astype(np.float64)
        p = p / p.sum()

        def js(values: np.ndarray, offsets: np.ndarray) -> Optional[np.ndarray]:
            if values.size and int(values.max()) >= k:
                return None  # a category only in current widens that window's count vector: window by window
            sizes = np.diff(offsets)
            row = np.repeat(np.arange(sizes.size), sizes)
            q = np.bincount(values + k * row, minlength=k * sizes.size).reshape(sizes.size, k).astype(np.float64)
            q = q / q.sum(axis=1, keepdims=True)
            return np.sqrt(js_terms(p, q).sum(axis=1) / 2.0)

        return js
    return None


def crosses(score: float, threshold: float, rule: str) -> bool:
    """Whether ``score`` is flagged at ``threshold`` under ``rule`` (NaN never is).

    >>> crosses(0.2, 0.2, ">="), crosses(0.2, 0.2, ">"), crosses(float("nan"), 0.1, ">=")
    (True, False, False)
    """
    if score != score:
        return False
    return {">=": score >= threshold, ">": score > threshold, "<": score < threshold, "<=": score <= threshold}[rule]


def _fast_scorer(test: Callable, reference: np.ndarray, column_type: str):
    from mlmon.stats.univariate import NUMERICAL

    ref = np.asarray(reference)
    if _test_id(test) == "wasserstein" and column_type == NUMERICAL and ref.dtype.kind == "f" and ref.size:
        from mlmon.stats.univariate.wasserstein import SortedReference, wasserstein_to_reference_many

        prep = SortedReference(ref)
        norm = max(prep.std, 0.001)

        def wasserstein_rows(W: np.ndarray, probe: float, left: Optional[np.ndarray] = None) -> np.ndarray:
            return wasserstein_to_reference_many(prep, W, left) / norm

        wasserstein_rows.takes_left = True  # type: ignore[attr-defined]
        return wasserstein_rows
    counts_test = _COUNT_TESTS.get(_test_id(test)) if column_type != NUMERICAL and ref.dtype.kind in "iu" else None
    if counts_test is not None and ref.size:
        from mlmon.stats import from_counts

        kernel = getattr(from_counts, counts_test)
        ref_counts = np.bincount(ref)
        if counts_test == "jensenshannon_counts":
            return lambda W, probe: _js_rows(ref_counts, W)

        def counted(W: np.ndarray, probe: float) -> np.ndarray:
            k = max(ref_counts.size, int(W.max()) + 1 if W.size else 0)
            rc = np.pad(ref_counts, (0, k - ref_counts.size))
            rows = np.bincount((W + k * np.arange(W.shape[0])[:, None]).ravel(), minlength=k * W.shape[0])
            out = []
            for cc in rows.reshape(W.shape[0], k):
                seen = (rc + cc) > 0
                out.append(float(kernel(rc[seen], cc[seen], probe).score))
            return np.asarray(out)

        return counted
    return None


def _js_rows(ref_counts: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (natural log, as ``js_distance``) of each row's category counts."""
    from mlmon.stats.univariate.jensenshannon import js_terms

    k = max(ref_counts.size, int(W.max()) + 1 if W.size else 0)
    p = np.pad(ref_counts, (0, k - ref_counts.size)).astype(np.float64)
    p = p / p.sum()
    rows = np.bincount((W + k * np.arange(W.shape[0])[:, None]).ravel(), minlength=k * W.shape[0])
    q = rows.reshape(W.shape[0], k).astype(np.float64)
    q = q / q.sum(axis=1, keepdims=True)
    return np.sqrt(js_terms(p, q).sum(axis=1) / 2.0)


def null_scores(reference: np.ndarray, test: Callable, column_type: str, n: int, *, draws: int = 200,
                method: str = "random", seed: Any = 0, presorted: bool = False,
                time_order: Optional[np.ndarray] = None, fast: bool = False) -> NullScores:
    """Scores of windows of ``n`` reference rows against the rest of the reference.

    ``reference``: the column's values (float64, or int64 category codes), missing values
    removed; ``presorted=True`` promises ascending order. ``time_order``: positions of
    ``reference``'s values in time order (needed for ``method="contiguous"``). Random draws:
    ``draws`` windows; contiguous: up to ``draws`` of the reference's non-overlapping chunks
    (all of them, from a random offset, when there are fewer). ``fast``: every draw against one
    fixed rest of the reference (:func:`holdout_size`: random draws come from a held-out part,
    contiguous chunks are scored against the reference without all the chunks used), when the
    reference is large enough (at least ``FAST_MIN_RATIO`` windows; the rest keeps half of it).
    """
    ref = np.asarray(reference)
    order = np.argsort(ref, kind="stable") if not presorted else None
    values = ref[order] if order is not None else ref
    N = values.size
    if n < MIN_WINDOW_ROWS or 2 * n > N:
        raise MlmonError(f"cannot calibrate windows of {n} rows on a reference of {N} rows", "window",
                         f"calibration needs windows of {MIN_WINDOW_ROWS} to {N // 2} rows (at most half the reference)")
    rng = _rng(seed, method, n)
    probe = getattr(test, "default_threshold", 0.05)
    fast = fast and N >= FAST_MIN_RATIO * n
    if method == "random":
        if fast:
            held = np.sort(rng.choice(N, holdout_size(N, n), replace=False))
            mask = np.ones(N, dtype=bool)
            mask[held] = False
            score = batch_scorer(test, values[mask], column_type)
            pool = values[held]
            per = pool.size // n  # one permutation of the holdout gives this many disjoint windows
            rows = np.concatenate([rng.permutation(pool.size)[:per * n].reshape(per, n)
                                   for _ in range(-(-draws // per))])[:draws]
            # pool ascends (held and values do), so sorted row positions give sorted values
            return _null(_score_positions(score, values, mask, held[np.sort(rows, axis=1)], probe), method, n)
        sets = (rng.choice(N, n, replace=False) for _ in range(draws))
    elif method == "contiguous":
        if time_order is None:
            raise ValueError("contiguous chunks need time_order")
        pos = np.asarray(time_order)
        if order is not None:  # time_order indexes the caller's array: map to sorted positions
            rank = np.empty(N, dtype=np.int64)
            rank[order] = np.arange(N)
            pos = rank[pos]
        C = chunk_count(N, n)
        if C > draws:
            starts = np.sort(rng.choice(C, draws, replace=False)) * n
        else:
            starts = int(rng.integers(0, N - C * n + 1)) + np.arange(C) * n
        room = N // (2 * n)  # chunks that fit in half the reference, the rest staying the comparison
        if fast and room >= min(starts.size, FAST_MIN_CHUNKS):
            if starts.size > room:
                starts = np.sort(rng.choice(starts, room, replace=False))
            mask = np.ones(N, dtype=bool)
            for s in starts:
                mask[pos[s:s + n]] = False
            score = batch_scorer(test, values[mask], column_type)
            chunks = np.sort(pos[starts[:, None] + np.arange(n)], axis=1)  # positions in ascending values
            return _null(_score_positions(score, values, mask, chunks, probe), method, n)
        sets = (pos[s:s + n] for s in starts)
    else:
        raise ValueError(f"unknown method {method!r}")
    scores = []
    keep = np.ones(N, dtype=bool)
    for idx in sets:
        idx = np.sort(idx)
        keep[idx] = False
        rest = values[keep]
        keep[idx] = True
        scores.append(float(test(rest, values[idx], column_type, probe, presorted=True).score))
    return _null(scores, method, n)


def _score_positions(score: Callable, values: np.ndarray, mask: np.ndarray, positions: np.ndarray,
                     probe: float) -> np.ndarray:
    """Scores of the windows ``values[positions]`` (rows ascending) against ``values[mask]``.

    A Wasserstein scorer is handed where each drawn value falls in the comparison set, counted
    from the masks (rest values below ``values[p]``: the kept positions before the first one
    equal to it), instead of a binary search per value: the same integers."""
    W = values[positions]
    if not getattr(score, "takes_left", False):
        return score(W, probe)
    first = positions.copy()
    tied = (positions > 0) & (values[np.maximum(positions - 1, 0)] == W)  # a value equal to its predecessor
    if tied.any():
        first[tied] = np.searchsorted(values, W[tied], "left")
    kept = np.cumsum(mask)  # kept positions up to and including each one
    return score(W, probe, kept[first] - mask[first])


def _null(scores, method: str, n: int) -> NullScores:
    s = np.asarray(scores, dtype=np.float64)
    # a test that has no answer on a draw (NaN: no variation on either side) says nothing about the tail
    return NullScores(np.sort(s[~np.isnan(s)]), method, int(n))


# ------------------------------------------------------------------------------ thresholds


def flagged_share(scores: np.ndarray, threshold: float, rule: str) -> float:
    """Share of (sorted) ``scores`` the rule flags at ``threshold``.

    >>> flagged_share(np.array([0.1, 0.2, 0.2, 0.4]), 0.2, ">="), flagged_share(np.array([0.01, 0.2]), 0.05, "<")
    (0.75, 0.5)
    """
    s = np.asarray(scores)
    if s.size == 0:
        return float("nan")
    count = {">=": s.size - np.searchsorted(s, threshold, "left"), ">": s.size - np.searchsorted(s, threshold, "right"),
             "<": np.searchsorted(s, threshold, "left"), "<=": np.searchsorted(s, threshold, "right")}[rule]
    return float(count) / s.size


def threshold_from_scores(scores: np.ndarray, rule: str, false_alarm_rate: float) -> Tuple[float, float]:
    """``(threshold, achieved share)``: the tightest threshold flagging at most ``floor(R (B+1))`` draws.

    >>> threshold_from_scores(np.arange(1.0, 20.0), ">=", 0.1)  # B = 19, m = 2: flag 18 and 19
    (18.0, 0.10526315789473684)
    >>> threshold_from_scores(np.array([0.01, 0.02, 0.02, 0.5]), "<", 0.4)  # m = 2, the tie stays out
    (0.02, 0.25)
    """
    s = np.asarray(scores, dtype=np.float64)
    B = s.size
    m = math.floor(false_alarm_rate * (B + 1) + 1e-9)
    if m < 1:
        raise ValueError(f"{B} draws cannot set a false-alarm rate of {false_alarm_rate}")
    values = np.unique(s)
    if rule in _UPPER:
        side = "left" if rule == ">=" else "right"
        counts = B - np.searchsorted(s, values, side)
        ok = np.flatnonzero(counts <= m)
        t = values[ok[0]] if ok.size else np.nextafter(values[-1], np.inf)
    else:
        side = "left" if rule == "<" else "right"
        counts = np.searchsorted(s, values, side)
        ok = np.flatnonzero(counts <= m)
        t = values[ok[-1]] if ok.size else np.nextafter(values[0], -np.inf)
    return float(t), flagged_share(s, float(t), rule)


def quantile_interval(scores: np.ndarray, q: float, z: float = 1.96) -> Tuple[float, float]:
    """Distribution-free interval for the ``q`` quantile: order statistics at ranks ``B q -+ z sqrt(B q (1-q))``."""
    s = np.asarray(scores)
    B = s.size
    half = z * math.sqrt(B * q * (1 - q))
    lo = min(B - 1, max(0, math.floor(B * q - half) - 1))
    hi = min(B - 1, max(0, math.ceil(B * q + half) - 1))
    return float(s[lo]), float(s[hi])


def calibrate(reference: np.ndarray, test: Callable, column_type: str, n: int, *, false_alarm_rate: float = 0.01,
              draws: int = 200, method: str = "auto", seed: Any = 0, presorted: bool = False,
              time_order: Optional[np.ndarray] = None, rule: Optional[str] = None,
              pools: Optional[Dict[str, NullScores]] = None) -> Calibration:
    """The threshold for windows in ``n``'s size group (see the module docstring).

    ``method``: ``random``, ``contiguous``, ``both`` or ``auto`` (``both`` when ``time_order``
    is given and the reference holds at least ``1/R - 1`` chunks of the group's size, else
    ``random``). ``pools``: null scores already drawn, by method (the cache passes them).
    """
    check_rate(false_alarm_rate)
    rule = _rule_of(test, rule)
    lo, hi = size_bucket(n)
    N = np.asarray(reference).size
    methods = _methods(method, time_order, N, lo, false_alarm_rate)
    pools = dict(pools or {})
    for m in methods:
        if m not in pools:
            pools[m] = null_scores(reference, test, column_type, lo, draws=draws, method=m, seed=seed,
                                   presorted=presorted, time_order=time_order)
    per: Dict[str, Tuple[float, float]] = {}
    for m in methods:
        size = pools[m].scores.size
        if math.floor(false_alarm_rate * (size + 1) + 1e-9) < 1:
            raise MlmonError(f"{size} {m} draws cannot set a false-alarm rate of {false_alarm_rate}", "false_alarm_rate",
                             f"use at least {math.ceil(1 / false_alarm_rate - 1)} draws, a higher rate, or another method")
        per[m] = threshold_from_scores(pools[m].scores, rule, false_alarm_rate)
    pick = max if rule in _UPPER else min
    chosen = pick(methods, key=lambda m: per[m][0])
    threshold = per[chosen][0]
    # flagged draws / (B + 1): the chance that a new exchangeable window is flagged
    achieved = max(flagged_share(pools[m].scores, threshold, rule) * pools[m].scores.size / (pools[m].scores.size + 1)
                   for m in methods)
    q = 1 - false_alarm_rate if rule in _UPPER else false_alarm_rate
    ci = quantile_interval(pools[chosen].scores, q)
    return Calibration(threshold=threshold, rule=rule, false_alarm_rate=false_alarm_rate, achieved_rate=achieved,
                       method=methods[0] if len(methods) == 1 else "both",
                       draws=sum(pools[m].scores.size for m in methods), standard_error=(ci[1] - ci[0]) / (2 * 1.96),
                       ci=ci, min_window_size=lo, max_window_size=hi, per_method={m: per[m][0] for m in methods})


def check_rate(false_alarm_rate: float) -> None:
    if not (isinstance(false_alarm_rate, (int, float)) and 0 < false_alarm_rate < 0.5):
        raise MlmonError(f"false-alarm rate must lie strictly between 0 and 0.5, got {false_alarm_rate!r}",
                         "false_alarm_rate", "use e.g. 0.01 (one false alarm per column in 100 windows)")


def _methods(method: str, time_order: Optional[np.ndarray], N: int, n: int, rate: float) -> Tuple[str, ...]:
    if method == "auto":
        enough = time_order is not None and chunk_count(N, n) + 1 >= 1 / rate
        return ("random", "contiguous") if enough else ("random",)
    if method == "both":
        return ("random", "contiguous")
    if method in ("random", "contiguous"):
        return (method,)
    raise MlmonError(f"unknown calibration method {method!r}", "calibration.method", "use auto, random, contiguous or both")


def noise_floor(pool: NullScores, threshold: float, rule: str) -> float:
    """Share of no-change windows of the pool's size whose score crosses a *fixed* threshold.

    The figure behind "wasserstein 0.1 on amount is crossed by chance on 27 % of 165-row
    windows".

    >>> noise_floor(NullScores(np.array([0.05, 0.08, 0.12, 0.2]), "random", 165), 0.1, ">=")
    0.5
    """
    return flagged_share(pool.scores, threshold, rule)


# ------------------------------------------------------------------------------ the run's cache


class CalibrationCache:
    """Null scores and thresholds for one run, by (column, test, method, size group).

    Keep one per run: 300 daily windows of 150 to 180 rows fall in about four size groups, so
    each column is calibrated four times, not 300.

    >>> from mlmon.stats.univariate import get
    >>> ref = np.sort(np.random.default_rng(0).normal(size=4000))
    >>> cache = CalibrationCache(false_alarm_rate=0.05, draws=99, seed=3)
    >>> a = cache.calibration("x", ref, get("wasserstein"), "numerical", 165, presorted=True)
    >>> b = cache.calibration("x", ref, get("wasserstein"), "numerical", 162, presorted=True)
    >>> a is b, len(cache), a.min_window_size, a.max_window_size
    (True, 1, 160, 167)
    """

    def __init__(self, false_alarm_rate: float = 0.01, draws: int = 200, method: str = "auto", seed: int = 0,
                 fast: bool = False):
        """``fast``: every draw against one fixed rest of the reference (:func:`holdout_size`)."""
        check_rate(false_alarm_rate)
        self.fast = fast
        self.false_alarm_rate = false_alarm_rate
        self.draws = draws
        self.method = method
        self.seed = seed
        self._pools: Dict[Tuple[str, str, str, int], NullScores] = {}
        self._calibrations: Dict[Tuple[str, str, int], Calibration] = {}

    def __len__(self) -> int:
        return len(self._calibrations)

    def calibration(self, column: str, reference: np.ndarray, test: Callable, column_type: str, n: int, *,
                    presorted: bool = False, time_order: Optional[np.ndarray] = None,
                    rule: Optional[str] = None) -> Calibration:
        lo, _ = size_bucket(n)
        tid = _test_id(test)
        key = (str(column), tid, lo)
        if key not in self._calibrations:
            methods = _methods(self.method, time_order, np.asarray(reference).size, lo, self.false_alarm_rate)
            pools = {m: self.pool(column, reference, test, column_type, n, method=m, presorted=presorted,
                                  time_order=time_order) for m in methods}
            self._calibrations[key] = calibrate(reference, test, column_type, n, false_alarm_rate=self.false_alarm_rate,
                                                draws=self.draws, method=self.method, presorted=presorted,
                                                time_order=time_order, rule=rule, pools=pools)
        return self._calibrations[key]

    def pool(self, column: str, reference: np.ndarray, test: Callable, column_type: str, n: int, *,
             method: str = "random", presorted: bool = False, time_order: Optional[np.ndarray] = None) -> NullScores:
        """The null scores of ``n``'s size group (drawn once, at the group's smallest size)."""
        lo, _ = size_bucket(n)
        key = (str(column), _test_id(test), method, lo)
        if key not in self._pools:
            self._pools[key] = null_scores(reference, test, column_type, lo, draws=self.draws, method=method,
                                           seed=seed_for(column, self.seed), presorted=presorted, time_order=time_order,
                                           fast=self.fast)
        return self._pools[key]

    def noise_floor(self, column: str, reference: np.ndarray, test: Callable, column_type: str, n: int,
                    threshold: float, *, presorted: bool = False, time_order: Optional[np.ndarray] = None,
                    rule: Optional[str] = None) -> float:
        """Share of no-change windows of ``n`` rows that cross the fixed ``threshold``.

        The larger share over the methods calibration would use (random draws, and the
        reference's own chunks when there is a time order and enough of them).
        """
        lo, _ = size_bucket(n)
        methods = _methods(self.method, time_order, np.asarray(reference).size, lo, self.false_alarm_rate)
        rule = _rule_of(test, rule)
        return max(noise_floor(self.pool(column, reference, test, column_type, n, method=m, presorted=presorted,
                                         time_order=time_order), threshold, rule) for m in methods)


def _test_id(test: Any) -> str:
    return str(getattr(test, "id", None) or getattr(test, "__name__", None) or repr(test))
