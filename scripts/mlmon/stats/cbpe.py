"""Confidence-based performance estimation (CBPE) for binary classifiers, before labels arrive.

If the model's probability ``p_i`` of class 1 is *calibrated* (among rows scored ``p``, a
share ``p`` is positive) and the relation between inputs and label has not changed (no concept
drift), then each row's label is a Bernoulli(``p_i``) draw and the confusion matrix of a window
is known in expectation without a single label:

- ``E[TP] = Σ_{ŷ=1} p_i``, ``E[FP] = Σ_{ŷ=1} (1-p_i)``, ``E[FN] = Σ_{ŷ=0} p_i``,
  ``E[TN] = Σ_{ŷ=0} (1-p_i)``; accuracy, precision, recall and F1 follow from them;
- the expected AUC is the Mann-Whitney statistic with weights ``p_i`` (positive) and
  ``1-p_i`` (negative) on the model's scores (:func:`mlmon.stats.classification.grouped_auc`).

This is NannyML's CBPE (NannyML documentation, "Confidence-based Performance Estimation";
the calibration idea from Platt 1999 and Zadrozny & Elkan 2002). Calibration is learnt on the
labeled reference with isotonic regression (pool-adjacent-violators; Barlow et al. 1972) and
kept only when cross-fitting shows it lowers the expected calibration error (ECE, Naeini,
Cooper & Hauskrecht 2015; 10 equal-width bins).

Sampling bands (95 %): given the probabilities, a window's realized labels are independent
Bernoulli draws, so the realized accuracy has variance ``Σ p_i(1-p_i) / n²`` around the
estimate (a Poisson-binomial variance); precision (fixed denominator ``m = #{ŷ=1}``),
recall and F1 (ratios of the independent sums ``X = Σ_{ŷ=1} B_i`` and ``Y = Σ_{ŷ=0} B_i``)
get delta-method variances from ``Var X = Σ_{ŷ=1} p(1-p)`` and ``Var Y = Σ_{ŷ=0} p(1-p)``;
AUC uses Hanley-McNeil with the expected class counts. The bands cover sampling noise only:
calibration error and concept drift add bias they do not show.

Examples
--------
>>> import numpy as np
>>> p = np.array([0.9, 0.8, 0.3, 0.1]); yhat = (p >= 0.5).astype(int)
>>> est = estimate_binary(p, yhat, p, np.zeros(4, dtype=int), 1)
>>> round(float(est.values["accuracy"][0]), 4), round(float(est.values["precision"][0]), 4)
(0.825, 0.85)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlmon.stats.classification import WindowMetrics, _div, grouped_auc, hanley_mcneil_se
from mlmon.stats.intervals import Z95, normal


class IsotonicFit(NamedTuple):
    """A fitted non-decreasing map: knots ``x`` (sorted scores) and fitted values ``y``;
    applied by linear interpolation between knots, clipped at both ends (as scikit-learn's
    ``IsotonicRegression(out_of_bounds="clip")``)."""

    x: np.ndarray
    y: np.ndarray

    def __call__(self, score) -> np.ndarray:
        return np.interp(np.asarray(score, dtype=np.float64), self.x, self.y)


def isotonic_fit(score, label) -> IsotonicFit:
    """Least-squares non-decreasing fit of ``label`` on ``score`` by pool-adjacent-violators.

    Rows with equal scores are pooled first (their mean label, weighted by their count).

    >>> f = isotonic_fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    >>> f.y.tolist(), [float(v) for v in f([0.0, 0.25, 1.0])]
    ([0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 1.0])
    """
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    xs, inverse = np.unique(s, return_inverse=True)
    w = np.bincount(inverse).astype(np.float64)
    means = np.bincount(inverse, weights=y) / w
    # PAV: a stack of blocks (mean, weight, length); merge while the order is violated
    bm, bw, bl = [], [], []
    for m, wt in zip(means.tolist(), w.tolist()):
        length = 1
        while bm and bm[-1] >= m:
            pm, pw, pl = bm.pop(), bw.pop(), bl.pop()
            m = (pm * pw + m * wt) / (pw + wt)
            wt += pw
            length += pl
        bm.append(m)
        bw.append(wt)
        bl.append(length)
    fitted = np.repeat(np.array(bm), np.array(bl, dtype=np.int64))
    return IsotonicFit(xs, fitted)


def expected_calibration_error(proba, label, n_bins: int = 10) -> float:
    """ECE: ``Σ_b (n_b/n)·|mean(y_b) - mean(p_b)|`` over equal-width probability bins
    (Naeini et al. 2015). NaN for empty input.

    >>> expected_calibration_error([0.1, 0.1, 0.9, 0.9], [0, 0, 1, 0])
    0.25
    """
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    if p.size == 0:
        return float("nan")
    b = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    gap = np.abs(np.bincount(b, weights=y, minlength=n_bins) - np.bincount(b, weights=p, minlength=n_bins))
    return round(float(gap.sum() / p.size), 15)


class CalibrationChoice(NamedTuple):
    """Whether to calibrate, on the evidence of cross-fitted ECE on the reference."""

    calibrate: bool
    ece_raw: float
    ece_calibrated: float
    fit: IsotonicFit


def choose_calibration(score, label, n_folds: int = 5, seed: int = 0) -> CalibrationChoice:
    """Fit isotonic calibration on all of the reference; keep it only when its ECE measured
    out of fold (each fold scored by a fit on the others) is lower than the raw scores' ECE.

    >>> rng = np.random.default_rng(0)
    >>> s = rng.random(4000); y = (rng.random(4000) < s ** 3).astype(int)  # overconfident
    >>> choose_calibration(s, y).calibrate
    True
    """
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    fold = np.random.default_rng(seed).permutation(s.size) % n_folds
    out = np.empty_like(s)
    for k in range(n_folds):
        test = fold == k
        if test.all() or not test.any():
            out[test] = s[test]
            continue
        out[test] = isotonic_fit(s[~test], y[~test])(s[test])
    ece_raw = expected_calibration_error(s, y)
    ece_cal = expected_calibration_error(out, y)
    return CalibrationChoice(bool(ece_cal < ece_raw), ece_raw, ece_cal, isotonic_fit(s, y))


def estimate_binary(proba, y_pred, score, groups, n_groups: int, z: float = Z95) -> WindowMetrics:
    """Estimated accuracy, precision, recall, f1_score and auc_roc per window, with sampling
    bands (module docstring). ``proba`` are the (calibrated) probabilities, ``y_pred`` the
    0/1 predictions, ``score`` the model's raw score that ranks rows for the AUC."""
    p = np.asarray(proba, dtype=np.float64)
    yhat = np.asarray(y_pred).astype(bool)
    groups = np.asarray(groups, dtype=np.int64)
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)

    def s(w):
        return np.bincount(groups, weights=w, minlength=n_groups)

    x = s(np.where(yhat, p, 0.0))            # E[TP]
    y_ = s(np.where(yhat, 0.0, p))           # E[FN]
    m = s(yhat.astype(np.float64))           # predicted positives (fixed)
    tn = n - m - y_                          # E[TN]
    pq = p * (1 - p)
    vx = s(np.where(yhat, pq, 0.0))
    vy = s(np.where(yhat, 0.0, pq))

    acc = _div(x + tn, n)
    prec = _div(x, m, 0.0)
    rec = _div(x, x + y_, 0.0)
    d = x + y_ + m
    f1 = _div(2 * x, d, 0.0)
    se_acc = np.sqrt(_div(vx + vy, n * n))
    se_prec = np.sqrt(_div(vx, m * m))
    se_rec = np.sqrt(_div(y_ * y_ * vx + x * x * vy, (x + y_) ** 4))
    se_f1 = np.sqrt(_div((2 * (y_ + m)) ** 2 * vx + (2 * x) ** 2 * vy, d ** 4))
    auc, n_pos, n_neg = grouped_auc(np.asarray(score, dtype=np.float64), p, 1.0 - p, groups, n_groups)
    se_auc = hanley_mcneil_se(auc, n_pos, n_neg)

    values, lower, upper = {}, {}, {}
    for name, v, se in (("accuracy", acc, se_acc), ("precision", prec, se_prec), ("recall", rec, se_rec),
                        ("f1_score", f1, se_f1), ("auc_roc", auc, se_auc)):
        values[name] = v
        lower[name], upper[name] = normal(v, se, z, 0.0, 1.0)
    return WindowMetrics(values, lower, upper, n)


def unseen_share(reference_score, score, groups, n_groups: int, n_bins: int = 20, min_share: float = 0.001):
    """Per window, the share of rows whose score falls in a bin of ``n_bins`` equal-width
    probability bins that holds fewer than ``max(5, min_share·n_ref)`` reference rows: where
    the reference never showed how the model's scores relate to outcomes, calibration there
    is a guess.

    >>> float(unseen_share(np.full(100, 0.2), np.array([0.2, 0.21, 0.9, 0.95]), np.zeros(4, dtype=int), 1)[0])
    0.5
    """
    ref = np.asarray(reference_score, dtype=np.float64)
    cur = np.asarray(score, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)

    def binned(a):
        return np.clip((a * n_bins).astype(np.int64), 0, n_bins - 1)

    counts = np.bincount(binned(ref), minlength=n_bins)
    thin = counts < max(5.0, min_share * ref.size)
    n = np.bincount(groups, minlength=n_groups)
    return _div(np.bincount(groups, weights=thin[binned(cur)].astype(np.float64), minlength=n_groups), n)
