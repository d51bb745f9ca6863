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


class MulticlassCalibration(NamedTuple):
    """One-vs-rest calibration of ``k`` class probabilities: per class, the choice on the
    reference (:func:`choose_calibration` on ``P[:, j]`` against ``y == j``)."""

    choices: tuple

    @property
    def calibrated(self) -> list:
        return [c.calibrate for c in self.choices]

    def __call__(self, proba) -> np.ndarray:
        """Each class's column through its own map (where calibration was kept), then every row
        divided by its sum so it is a distribution again (uniform where the sum is 0), as
        NannyML's CBPE does for multiclass.

        >>> cal = MulticlassCalibration((CalibrationChoice(False, 0, 0, None),) * 2)
        >>> cal(np.array([[0.2, 0.6], [0.0, 0.0]])).round(4).tolist()
        [[0.25, 0.75], [0.5, 0.5]]
        """
        p = np.asarray(proba, dtype=np.float64)
        out = np.column_stack([c.fit(p[:, j]) if c.calibrate else p[:, j] for j, c in enumerate(self.choices)])
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.divide(out, total, out=uniform, where=total != 0)


def choose_multiclass_calibration(proba, label, n_classes: int, n_folds: int = 5, seed: int = 0
                                  ) -> MulticlassCalibration:
    """Per class, isotonic calibration of ``P[:, j]`` against ``label == j``, kept where it
    lowers the cross-fitted ECE (:func:`choose_calibration`); a class whose reference labels are
    all one value keeps its raw column."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(label, dtype=np.int64)
    choices = []
    for j in range(n_classes):
        yj = (y == j).astype(np.float64)
        if yj.min(initial=1.0) == yj.max(initial=0.0):
            choices.append(CalibrationChoice(False, expected_calibration_error(p[:, j], yj), float("nan"), None))
            continue
        choices.append(choose_calibration(p[:, j], yj, n_folds=n_folds, seed=seed))
    return MulticlassCalibration(tuple(choices))


def estimate_multiclass(proba, y_pred, score, groups, n_groups: int, z: float = Z95,
                        reference_se: float = 0.0) -> WindowMetrics:
    """Estimated accuracy, macro precision/recall/F1 and macro one-vs-rest AUC per window.

    ``proba`` (n, k) are the calibrated class probabilities (rows summing to 1), ``y_pred`` the
    predicted class codes ``0..k-1``, ``score`` (n, k) the model's raw probabilities that rank
    rows for each class's AUC.

    Given the probabilities each row's label is one multinomial draw; per class ``j``
    ``E[TP_j] = Σ_{ŷ=j} P_ij``, ``E[FP_j] = Σ_{ŷ=j} (1-P_ij)``, ``E[FN_j] = Σ_{ŷ≠j} P_ij``, and
    precision, recall and F1 of class ``j`` follow as in :func:`estimate_binary` (0 where their
    denominator is 0); the macro metrics average them over classes, AUC averages the classes'
    expected one-vs-rest AUCs (NannyML's CBPE, multiclass). Accuracy is ``mean_i P_{i,ŷ_i}``.

    Bands (95 %): the macro metric is linearised in the counts ``X_j = Σ_{ŷ=j} B_ij`` and
    ``Y_j = Σ_{ŷ≠j} B_ij`` (delta method); row ``i`` then contributes ``L_i = Σ_j c_ij B_ij``
    whose variance under one multinomial draw is ``Σ_j c_ij² P_ij - (Σ_j c_ij P_ij)²``, and rows
    are independent. AUC: the mean of the classes' Hanley-McNeil errors, an upper bound on the
    error of their average whatever their correlation. ``reference_se`` (the standard error with
    which held-back reference rows could check the calibration) is added in quadrature to the
    accuracy, precision, recall and F1 bands: the calibration is learnt from a finite reference,
    and a bias smaller than that error is one the reference cannot rule out (one-vs-rest
    calibration conditions each class on its own column only, which leaves such a bias).

    >>> P = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    >>> est = estimate_multiclass(P, P.argmax(axis=1), P, np.zeros(4, dtype=int), 1)
    >>> round(float(est.values["accuracy"][0]), 4), round(float(est.values["precision"][0]), 4)
    (0.6, 0.6)
    """
    P = np.asarray(proba, dtype=np.float64)
    S = np.asarray(score, dtype=np.float64)
    yhat = np.asarray(y_pred, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    n_rows, k = P.shape
    rows = np.arange(n_rows)
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)
    onehot = np.zeros((n_rows, k))
    onehot[rows, yhat] = 1.0

    def per_window(values):   # (n, k) -> (G, k): sums per window and class
        flat = groups[:, None] * k + np.arange(k)[None, :]
        return np.bincount(flat.ravel(), weights=values.ravel(), minlength=n_groups * k).reshape(n_groups, k)

    x = per_window(onehot * P)                 # E[TP_j]
    m = per_window(onehot)                     # predicted as j (fixed)
    y_ = per_window((1 - onehot) * P)          # E[FN_j]
    p_hat = P[rows, yhat]
    acc = _div(np.bincount(groups, weights=p_hat, minlength=n_groups), n)
    prec_j = _div(x, m, 0.0)
    rec_j = _div(x, x + y_, 0.0)
    d = x + y_ + m
    f1_j = _div(2 * x, d, 0.0)

    def band_se(gx, gy):   # gradients (G, k) of the macro metric in X_j and Y_j
        c = gy[groups] / k
        c[rows, yhat] = gx[groups, yhat] / k
        var = (c * c * P).sum(axis=1) - ((c * P).sum(axis=1)) ** 2
        return np.sqrt(np.maximum(np.bincount(groups, weights=var, minlength=n_groups), 0.0))

    zero = np.zeros_like(x)
    r2 = reference_se * reference_se
    se_acc = np.sqrt(_div(np.bincount(groups, weights=p_hat * (1 - p_hat), minlength=n_groups), n * n) + r2)
    se_prec = np.sqrt(band_se(_div(np.ones_like(m), m, 0.0), zero) ** 2 + r2)
    se_rec = np.sqrt(band_se(_div(y_, (x + y_) ** 2, 0.0), -_div(x, (x + y_) ** 2, 0.0)) ** 2 + r2)
    se_f1 = np.sqrt(band_se(_div(2 * (y_ + m), d * d, 0.0), -_div(2 * x, d * d, 0.0)) ** 2 + r2)
    aucs, ses = [], []
    for j in range(k):
        auc_j, n_pos, n_neg = grouped_auc(S[:, j], P[:, j], 1.0 - P[:, j], groups, n_groups)
        aucs.append(auc_j)
        ses.append(hanley_mcneil_se(auc_j, n_pos, n_neg))
    auc = np.mean(np.column_stack(aucs), axis=1)
    se_auc = np.mean(np.column_stack(ses), axis=1)
    values, lower, upper = {}, {}, {}
    for name, v, se in (("accuracy", acc, se_acc), ("precision", prec_j.mean(axis=1), se_prec),
                        ("recall", rec_j.mean(axis=1), se_rec), ("f1_score", f1_j.mean(axis=1), se_f1),
                        ("auc_roc", auc, se_auc)):
        v = np.where(n > 0, v, np.nan)
        values[name] = v
        lower[name], upper[name] = normal(v, se, z, 0.0, 1.0)
    return WindowMetrics(values, lower, upper, n)
