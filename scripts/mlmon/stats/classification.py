"""Classification metrics for many windows in one pass, with confidence intervals.

Every function takes one row per prediction plus ``groups`` (the window index of each row,
``0 <= groups < n_groups``) and returns one value per window, computed with ``np.bincount``
and one sort, never a Python loop over windows. Values equal scikit-learn's on each window
(``accuracy_score``, ``precision_score``, ``recall_score``, ``f1_score`` with
``zero_division=0``, ``roc_auc_score``, ``log_loss``); the tests check this to 1e-9.

Intervals (95 %, see :mod:`mlmon.stats.intervals`):

- accuracy, precision, recall and the error rates behind the business costs: Wilson score;
- F1: delta method on the multinomial counts (Takahashi, Yamamoto, Kuchiba & Koyama (2022),
  "Confidence interval for micro-averaged F1 and macro-averaged F1 scores", Applied
  Intelligence 52), ``Var(F1) = 4·p_tp·(p_fp+p_fn)·(p_tp+p_fp+p_fn) / (n·(2p_tp+p_fp+p_fn)^4)``;
- AUC: Hanley & McNeil (1982), "The meaning and use of the area under a receiver operating
  characteristic (ROC) curve", Radiology 143(1), eq. 1-3;
- log loss: central-limit interval of the mean per-row loss.

Examples
--------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 1, 0, 1])
>>> p = np.array([0.1, 0.6, 0.8, 0.4, 0.2, 0.9])
>>> g = np.array([0, 0, 0, 0, 1, 1])
>>> m = binary_metrics(y, (p >= 0.5).astype(int), g, 2, proba=p)
>>> m.values["accuracy"].tolist(), m.values["auc_roc"].tolist()
([0.5, 1.0], [0.75, 1.0])
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, NamedTuple, Optional

import numpy as np

from mlmon.stats.intervals import Z95, normal, normal_mean, wilson

BINARY_METRICS = ("accuracy", "precision", "recall", "f1_score", "auc_roc", "log_loss",
                  "false_positive_cost", "false_negative_cost")
MULTICLASS_METRICS = ("accuracy", "precision", "recall", "f1_score", "auc_roc", "log_loss")
#: from this many rows on, windows' AUCs are computed on a thread pool
PARALLEL_ROWS = 200_000


class WindowMetrics(NamedTuple):
    """Per-window metric arrays: ``values[name][w]`` with ``lower``/``upper`` bounds (NaN where
    a metric or its interval is undefined in window ``w``) and the rows counted ``n[w]``;
    for realized classification metrics, ``support[w, c]``: the window's labels of class ``c``."""

    values: Dict[str, np.ndarray]
    lower: Dict[str, np.ndarray]
    upper: Dict[str, np.ndarray]
    n: np.ndarray
    support: Optional[np.ndarray] = None


def _div(a, b, zero=np.nan):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.full(np.broadcast(a, b).shape, zero, dtype=np.float64)
    np.divide(a, b, out=out, where=b != 0)
    return out


def binary_counts(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int):
    """``(tp, fp, fn, tn)`` per window for 0/1 arrays, from one ``bincount``.

    >>> binary_counts(np.array([1, 0, 1, 0]), np.array([1, 1, 0, 0]), np.array([0, 0, 0, 0]), 1)
    (array([1]), array([1]), array([1]), array([1]))
    """
    cell = groups * 4
    cell += y_true.astype(np.int64, copy=False) * 2
    cell += y_pred.astype(np.int64, copy=False)
    c = np.bincount(cell, minlength=4 * n_groups).reshape(n_groups, 4)
    # cell index 2*y + yhat: 0 tn, 1 fp, 2 fn, 3 tp
    return c[:, 3], c[:, 1], c[:, 2], c[:, 0]


def grouped_auc(score: np.ndarray, pos_weight: np.ndarray, neg_weight: np.ndarray,
                groups: np.ndarray, n_groups: int):
    """Area under the ROC curve per window, for weighted positives and negatives.

    ``AUC = Σ_i Σ_j w⁺_i w⁻_j (1[s_i > s_j] + ½·1[s_i = s_j]) / (Σ w⁺ · Σ w⁻)``, the
    Mann-Whitney form (ties count one half), which is what ``roc_auc_score`` returns for 0/1
    weights. With calibrated probabilities as weights (``w⁺ = p``, ``w⁻ = 1 - p``) it is the
    area under the *expected* ROC curve that confidence-based performance estimation uses
    (the pair of a row with itself is a tie and counts half, as the trapezoid rule on that
    curve does; with 0/1 weights that term is zero).

    Returns ``(auc, positives, negatives)``, each per window; AUC is NaN where a window has no
    positive or no negative weight.

    >>> s = np.array([0.1, 0.4, 0.35, 0.8]); y = np.array([0, 0, 1, 1])
    >>> float(grouped_auc(s, y, 1 - y, np.zeros(4, dtype=int), 1)[0][0])
    0.75
    """
    n = score.shape[0]
    pos_t = np.bincount(groups, weights=pos_weight, minlength=n_groups).astype(np.float64)
    neg_t = np.bincount(groups, weights=neg_weight, minlength=n_groups).astype(np.float64)
    if n == 0:
        return np.full(n_groups, np.nan), pos_t, neg_t
    # sort by window, then by score (stable sorts: score first, then the small-int window)
    order = np.argsort(score, kind="stable")
    gkey = groups[order]
    if n_groups < 2 ** 15:
        gkey = gkey.astype(np.int16)  # numpy's stable sort is a radix sort for 16-bit ints
    order = order[np.argsort(gkey, kind="stable")]
    s = score[order]
    g = groups[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    new[1:] |= g[1:] != g[:-1]
    run = np.cumsum(new) - 1
    run_pos = np.bincount(run, weights=pos_weight[order])
    run_neg = np.bincount(run, weights=neg_weight[order])
    run_group = g[new]
    # negative weight strictly below each run within its window: an exclusive running sum that
    # restarts at each window's first run
    below = np.cumsum(run_neg) - run_neg
    first = np.empty(run_group.shape[0], dtype=bool)
    first[0] = True
    first[1:] = run_group[1:] != run_group[:-1]
    start_of_group = np.maximum.accumulate(np.where(first, np.arange(first.shape[0]), 0))
    below = below - below[start_of_group]
    num = np.bincount(run_group, weights=run_pos * (below + 0.5 * run_neg), minlength=n_groups)
    auc = _div(num, pos_t * neg_t)
    auc[(pos_t <= 0) | (neg_t <= 0)] = np.nan
    return auc, pos_t, neg_t


def label_auc(score: np.ndarray, positive: np.ndarray, groups: np.ndarray, n_groups: int):
    """:func:`grouped_auc` for 0/1 labels and scores >= 0 (probabilities), faster: each
    window's rows come sorted from :func:`_by_window` (negatives first at a tie). Then every
    positive's count of negatives at or below it is a running count, and ties are taken off by
    half (the Mann-Whitney numerator, exact in integers).

    >>> s = np.array([0.1, 0.4, 0.35, 0.8]); y = np.array([0, 0, 1, 1])
    >>> float(label_auc(s, y, np.zeros(4, dtype=int), 1)[0][0])
    0.75
    """
    auc = np.full(n_groups, np.nan)

    def window_auc(w: int, seg: np.ndarray, n_neg: int, n_pos: int) -> None:
        if n_pos and n_neg:
            auc[w] = _mann_whitney(seg) / (float(n_pos) * n_neg)

    cells = _by_window(score, positive, np.asarray(groups, dtype=np.int64), n_groups, window_auc)
    return auc, cells[:, 1].astype(np.float64), cells[:, 0].astype(np.float64)


def _mann_whitney(seg: np.ndarray) -> float:
    """The Mann-Whitney numerator of one window's sorted keys (label in the lowest bit)."""
    return _sorted_window(seg, False)[0]


def _sorted_window(seg: np.ndarray, log_loss: bool):
    """From one window's sorted keys (:func:`_by_window`): the Mann-Whitney numerator (a
    positive counts the negatives below it, and half those tied with it: exact in integers)
    and, with ``log_loss``, the sum of the rows' log losses (scikit-learn's, probabilities
    clipped to [eps, 1 - eps]) and their squared deviations from the window's mean (else NaN).

    Rows sharing a score form a run. Where runs are few (rounded scores: many rows per value),
    every sum is taken over runs, a run's rows counted by label: a tenth of the logarithms for
    scores with four decimals. Where most scores differ, over rows."""
    one = seg.dtype.type(1)
    n = seg.size
    values = seg >> one  # the score's bits
    edge = np.empty(n, dtype=bool)
    edge[0] = True
    np.not_equal(values[1:], values[:-1], out=edge[1:])
    starts = np.flatnonzero(edge)
    eps = np.finfo(np.float64).eps
    total = ssd = np.nan
    if 2 * starts.size > n:  # mostly distinct scores: per row
        positive = (seg & one).astype(bool)
        pos = positive.astype(np.int64)
        below = np.cumsum(1 - pos)  # negatives at or before each row: for a positive, those <= it
        num = float(np.dot(pos, below))
        if starts.size < n:  # a positive tied with negatives counts each of them a half, not a whole
            pos_in_run = np.add.reduceat(pos, starts)
            neg_in_run = np.diff(np.append(starts, n)) - pos_in_run
            num -= 0.5 * float(np.dot(pos_in_run, neg_in_run))
        if log_loss:
            p = values.view(np.float64)  # the score itself: its bits, shifted back
            loss = 1.0 - p
            np.copyto(loss, p, where=positive)
            np.clip(loss, eps, 1 - eps, out=loss)
            np.log(loss, out=loss)
            np.negative(loss, out=loss)
            total = float(loss.sum())
            loss -= total / n
            # numpy's sum, not BLAS's dot: a dot starts BLAS threads of its own beside these
            ssd = float(np.square(loss, out=loss).sum())
        return num, total, ssd
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    pos_run = np.diff(np.cumsum(seg & one)[ends], prepend=0).astype(np.int64)
    neg_run = np.diff(ends, prepend=-1) - pos_run
    neg_below = np.cumsum(neg_run) - neg_run
    num = int(np.sum(pos_run * (2 * neg_below + neg_run))) / 2
    if log_loss:
        p = values[starts].view(np.float64)
        lp = -np.log(np.clip(p, eps, 1 - eps))
        ln = -np.log(np.clip(1.0 - p, eps, 1 - eps))
        total = float((pos_run * lp).sum() + (neg_run * ln).sum())
        lp -= total / n
        ln -= total / n
        ssd = float((pos_run * np.square(lp)).sum() + (neg_run * np.square(ln)).sum())
    return num, total, ssd


def _by_window(score: np.ndarray, positive: np.ndarray, groups: np.ndarray, n_groups: int, work,
               predicted: Optional[np.ndarray] = None) -> np.ndarray:
    """Call ``work(w, seg, negatives, positives)`` for every window ``w`` that has rows, ``seg``
    its rows as sorted integer keys: a row's score bits shifted up one, its label in the lowest
    bit (for floats >= 0 the bits order as the values do; at a tie, negatives first).

    Returns the rows counted per window and cell: ``cells[w, label]``, or with ``predicted``
    (0/1 per row) ``cells[w, 2 * label + prediction]``, that is tn, fp, fn, tp: the confusion
    counts come out of the same pass that buckets the rows.

    One gather buckets rows by window (a radix sort of the window index, skipped where rows are
    already in window order) and one integer sort per window orders them. From
    ``PARALLEL_ROWS`` rows on, both run on a thread per core (numpy releases the GIL in its
    sorts): the rows are bucketed and counted in one part per thread, a window's slices of the
    parts then put together. Every pass over all rows runs inside the parts."""
    width = 4 if predicted is not None else 2
    if groups.size == 0:
        return np.zeros((n_groups, width), dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    workers = min(os.cpu_count() or 1, 8)
    parallel = workers > 1 and groups.size >= PARALLEL_ROWS
    n_parts = workers if parallel else 1
    edges = [groups.size * i // n_parts for i in range(n_parts + 1)]
    narrow = np.uint8 if n_groups <= 2 ** 8 else np.uint16 if n_groups <= 2 ** 16 else None

    def bucket(part: int):
        lo, hi = edges[part], edges[part + 1]
        pos = positive[lo:hi]
        if pos.dtype != np.bool_:
            pos = pos != 0
        # + 0.0 makes a new array and turns -0.0 into 0.0; scores below 2 keep their bits under
        # 2**62, so the shifted key is a signed integer (numpy sorts those fastest), else unsigned
        part_score = score[lo:hi]
        wide = bool(part_score.size) and float(np.max(part_score)) >= 2.0
        keys = (part_score + 0.0).view(np.uint64 if wide else np.int64)
        np.left_shift(keys, keys.dtype.type(1), out=keys)  # in place: ten million rows make every copy count
        np.bitwise_or(keys, pos, out=keys)
        g = groups[lo:hi]
        # numpy's stable sort of 8- and 16-bit integers is a radix sort: one or two passes
        small = g.astype(narrow) if narrow is not None else g
        cell = small.astype(np.intp)
        np.left_shift(cell, 1, out=cell)
        np.bitwise_or(cell, pos, out=cell)
        if predicted is not None:
            pred = predicted[lo:hi]
            np.left_shift(cell, 1, out=cell)
            np.bitwise_or(cell, pred if pred.dtype.kind in "biu" else pred.astype(np.intp), out=cell)
        cells = np.bincount(cell, minlength=n_groups * width).reshape(n_groups, width)
        if g.size > 1 and np.any(g[1:] < g[:-1]):
            keys = np.take(keys, np.argsort(small, kind="stable"))
        bounds = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(cells.sum(axis=1), out=bounds[1:])
        return keys, bounds, cells

    pool = ThreadPoolExecutor(workers) if parallel else None
    try:
        parts = list(pool.map(bucket, range(n_parts))) if pool else [bucket(0)]
        if any(keys.dtype == np.uint64 for keys, _, _ in parts):
            # a score >= 2 somewhere: every part's keys read as unsigned (the same bits below 2**63)
            parts = [(keys.view(np.uint64), bounds, cells) for keys, bounds, cells in parts]
        cells = parts[0][2] if len(parts) == 1 else np.sum([c for _, _, c in parts], axis=0)
        labels = cells.reshape(n_groups, 2, -1).sum(axis=2) if predicted is not None else cells

        def run(w: int) -> None:
            pieces = [keys[bounds[w]:bounds[w + 1]] for keys, bounds, _ in parts]
            seg = np.concatenate(pieces) if len(pieces) > 1 else pieces[0].copy()
            seg.sort()
            work(w, seg, int(labels[w, 0]), int(labels[w, 1]))

        windows = np.flatnonzero(labels.sum(axis=1)).tolist()
        if pool and len(windows) > 1:
            list(pool.map(run, windows))
        else:
            for w in windows:
                run(w)
    finally:
        if pool:
            pool.shutdown()
    return cells


def hanley_mcneil_se(auc, n_pos, n_neg):
    """Standard error of an AUC (Hanley & McNeil 1982, eq. 1-3).

    ``Q1 = A/(2-A)``, ``Q2 = 2A²/(1+A)``,
    ``SE² = [A(1-A) + (n₁-1)(Q1-A²) + (n₂-1)(Q2-A²)] / (n₁ n₂)``.

    >>> round(float(hanley_mcneil_se(0.8, 50, 50)), 5)
    0.0445
    """
    a = np.asarray(auc, dtype=np.float64)
    n1 = np.asarray(n_pos, dtype=np.float64)
    n2 = np.asarray(n_neg, dtype=np.float64)
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    var = _div(a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a), n1 * n2)
    return np.sqrt(np.maximum(var, 0.0))


def f1_delta_se(tp, fp, fn, n):
    """Standard error of F1 from the multinomial counts by the delta method (Takahashi et al.
    2022, eq. for micro F1 with one class): with proportions ``a, b, c`` of tp, fp, fn,
    ``Var = 4a(b+c)(a+b+c) / (n (2a+b+c)^4)``.

    >>> round(float(f1_delta_se(40, 10, 10, 100)), 5)
    0.04382
    """
    n = np.asarray(n, dtype=np.float64)
    a, b, c = (_div(x, n) for x in (tp, fp, fn))
    var = _div(4 * a * (b + c) * (a + b + c), n * (2 * a + b + c) ** 4)
    return np.sqrt(np.maximum(var, 0.0))


def _binary_pass(proba: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int):
    """Per window, the confusion counts ``(tp, fp, fn, tn)``, the AUC (:func:`label_auc`) and the
    mean log loss with its interval, from one pass over the rows (:func:`_by_window`): the
    counts come out of the bucketing, the scores back out of the keys' bits, so the log loss
    needs no per-row arrays over all windows and runs on the same threads as the sorts."""
    auc = np.full(n_groups, np.nan)
    sums, ssd = np.zeros(n_groups), np.zeros(n_groups)

    def window(w: int, seg: np.ndarray, n_neg: int, n_pos: int) -> None:
        num, sums[w], ssd[w] = _sorted_window(seg, True)
        if n_pos and n_neg:
            auc[w] = num / (float(n_pos) * n_neg)

    cells = _by_window(proba, y_true, groups, n_groups, window, predicted=y_pred)
    tn, fp, fn, tp = cells.T
    n = tp + fp + fn + tn
    iv = normal_mean(sums, ssd, n, lo=0.0)
    return (tp, fp, fn, tn), auc, (_div(sums, n), iv.lower, iv.upper)


def _mean_with_interval(values: np.ndarray, groups: np.ndarray, n_groups: int, n: np.ndarray):
    sums = np.bincount(groups, weights=values, minlength=n_groups)
    mean = _div(sums, n)
    # Σx² - n·mean²: one pass; its rounding only touches the interval's width, never the value
    ssd = np.maximum(np.bincount(groups, weights=values * values, minlength=n_groups) - sums * np.nan_to_num(mean), 0.0)
    iv = normal_mean(sums, ssd, n, lo=0.0)
    return mean, iv.lower, iv.upper


def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int, *,
                   proba: Optional[np.ndarray] = None, false_positive_cost: float = 1.0,
                   false_negative_cost: float = 1.0, z: float = Z95) -> WindowMetrics:
    """Binary classification metrics per window.

    ``y_true`` and ``y_pred`` are 0/1 integer arrays, ``proba`` (optional) the predicted
    probability of class 1, needed for ``auc_roc`` and ``log_loss``. The business costs are
    ``false_positive_cost · FP`` and ``false_negative_cost · FN`` per window, their intervals
    the Wilson interval of the error rate times the window's size and the unit cost.
    Precision, recall and F1 are 0 where their denominator is 0 (scikit-learn's
    ``zero_division=0``); AUC is NaN in a window holding one class only.

    >>> y = np.array([1, 1, 0, 0, 1]); yhat = np.array([1, 0, 0, 1, 1])
    >>> m = binary_metrics(y, yhat, np.zeros(5, dtype=int), 1, false_negative_cost=10.0)
    >>> float(m.values["precision"][0]), float(m.values["false_negative_cost"][0])
    (0.6666666666666666, 10.0)
    """
    groups = np.asarray(groups, dtype=np.int64)
    if proba is not None:
        (tp, fp, fn, tn), auc, (mean, lo, hi) = _binary_pass(proba, y_true, y_pred, groups, n_groups)
    else:
        tp, fp, fn, tn = binary_counts(y_true, y_pred, groups, n_groups)
    n = tp + fp + fn + tn
    values: Dict[str, np.ndarray] = {}
    lower: Dict[str, np.ndarray] = {}
    upper: Dict[str, np.ndarray] = {}

    def put(name, value, iv):
        values[name] = value
        lower[name], upper[name] = iv

    correct = tp + tn
    put("accuracy", _div(correct, n), wilson(correct, n, z))
    put("precision", _div(tp, tp + fp, 0.0), wilson(tp, tp + fp, z))
    put("recall", _div(tp, tp + fn, 0.0), wilson(tp, tp + fn, z))
    f1 = _div(2 * tp, 2 * tp + fp + fn, 0.0)
    put("f1_score", f1, normal(f1, f1_delta_se(tp, fp, fn, n), z, 0.0, 1.0))
    if proba is not None:
        put("auc_roc", auc, normal(auc, hanley_mcneil_se(auc, tp + fn, fp + tn), z, 0.0, 1.0))
        put("log_loss", mean, (lo, hi))
    for name, count, cost in (("false_positive_cost", fp, false_positive_cost),
                              ("false_negative_cost", fn, false_negative_cost)):
        rate = wilson(count, n, z)
        put(name, count * float(cost), (rate.lower * n * cost, rate.upper * n * cost))
    return WindowMetrics(values, lower, upper, n, np.column_stack((fp + tn, tp + fn)))


def multiclass_metrics(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int,
                       n_classes: int, *, proba: Optional[np.ndarray] = None, z: float = Z95) -> WindowMetrics:
    """Multiclass metrics per window; classes are integer codes ``0 <= c < n_classes``.

    Precision, recall and F1 are macro averages over the classes present in the window (in
    ``y_true`` or ``y_pred``, as scikit-learn's ``average="macro"`` with default ``labels``),
    0 where a class's denominator is 0. With ``proba`` (shape ``(n, n_classes)``, column ``c``
    the probability of class ``c``): ``log_loss`` (all classes as labels) and ``auc_roc``
    (one-vs-rest macro average, NaN in a window missing a class).

    Intervals: accuracy Wilson, log loss CLT. A macro average ``(1/K) Σ_k m_k`` gets
    ``Var = (1/K²) Σ_k Var(m_k)`` from each class's own variance (precision and recall
    binomial, ``m(1-m)/denominator``; F1 the one-vs-rest delta method of :func:`f1_delta_se`;
    AUC Hanley-McNeil): an approximation that treats the classes' estimates as independent,
    which they are not quite (the counts share one multinomial), so read these intervals as
    indicative.

    >>> y = np.array([0, 1, 2, 2]); yhat = np.array([0, 2, 2, 2])
    >>> m = multiclass_metrics(y, yhat, np.zeros(4, dtype=int), 1, 3)
    >>> float(m.values["accuracy"][0]), round(float(m.values["f1_score"][0]), 4)
    (0.75, 0.6)
    """
    groups = np.asarray(groups, dtype=np.int64)
    k = int(n_classes)
    cell = (groups * k + y_true.astype(np.int64)) * k + y_pred.astype(np.int64)
    cm = np.bincount(cell, minlength=n_groups * k * k).reshape(n_groups, k, k)
    diag = np.diagonal(cm, axis1=1, axis2=2).astype(np.float64)
    labels = cm.sum(axis=2)
    support = labels.astype(np.float64)
    predicted = cm.sum(axis=1).astype(np.float64)
    n = support.sum(axis=1)
    present = (support + predicted) > 0
    n_present = present.sum(axis=1)

    def macro(per_class):
        return _div(np.where(present, per_class, 0.0).sum(axis=1), n_present)

    def macro_se(var_per_class):
        return np.sqrt(_div(np.where(present, var_per_class, 0.0).sum(axis=1), n_present * n_present))

    prec_k, rec_k = _div(diag, predicted, 0.0), _div(diag, support, 0.0)
    f1_k = _div(2 * diag, support + predicted, 0.0)
    values = {
        "accuracy": _div(diag.sum(axis=1), n),
        "precision": macro(prec_k),
        "recall": macro(rec_k),
        "f1_score": macro(f1_k),
    }
    f1_se_k = f1_delta_se(diag, predicted - diag, support - diag, n[:, None])
    ses = {
        "precision": macro_se(_div(prec_k * (1 - prec_k), predicted, 0.0)),
        "recall": macro_se(_div(rec_k * (1 - rec_k), support, 0.0)),
        "f1_score": macro_se(f1_se_k ** 2),
    }
    lower, upper = {}, {}
    lower["accuracy"], upper["accuracy"] = wilson(diag.sum(axis=1), n, z)
    for name, se in ses.items():
        lower[name], upper[name] = normal(values[name], np.where(n > 0, se, np.nan), z, 0.0, 1.0)
    if proba is not None:
        proba = np.asarray(proba, dtype=np.float64)
        eps = np.finfo(np.float64).eps
        rows = -np.log(np.clip(proba[np.arange(y_true.shape[0]), y_true], eps, 1 - eps))
        values["log_loss"], lower["log_loss"], upper["log_loss"] = _mean_with_interval(rows, groups, n_groups, n)
        aucs = np.empty((n_groups, k))
        auc_var = np.empty((n_groups, k))
        for c in range(k):  # one sort per class, each across all windows at once
            a, n_pos, n_neg = label_auc(proba[:, c], y_true == c, groups, n_groups)
            aucs[:, c] = a
            auc_var[:, c] = hanley_mcneil_se(a, n_pos, n_neg) ** 2
        values["auc_roc"] = aucs.mean(axis=1)  # NaN when a class is missing from the window
        se = np.sqrt(auc_var.sum(axis=1)) / k
        lower["auc_roc"], upper["auc_roc"] = normal(values["auc_roc"], se, z, 0.0, 1.0)
    return WindowMetrics(values, lower, upper, n, labels)
