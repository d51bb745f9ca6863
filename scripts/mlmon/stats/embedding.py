"""Drift of an embedding: two samples of fixed-length vectors tested as one column.

Three tests, each returning an :class:`EmbeddingTest` whose ``score`` is a p-value (drift when
``p < alpha``), and :func:`choose_method`, the automatic choice by size and dimension:

- ``mmd``: the unbiased MMD² with a Gaussian kernel and a permutation p-value
  (:func:`mlmon.stats.mmd.mmd_test`, exact level; quadratic time, so each side is subsampled to
  5000 rows). Sees any difference of distributions; the most powerful of the three on small
  samples.
- ``mmd_linear``: the linear-time MMD² of Gretton et al. (2012, sec. 6, Lemma 14). Rows are put
  in a random order and paired; with ``p = min(m, n) // 2`` pairs,

  .. math:: h_i = k(x_{2i}, x_{2i+1}) + k(y_{2i}, y_{2i+1}) - k(x_{2i}, y_{2i+1}) - k(x_{2i+1}, y_{2i})

  ``MMD²_l`` is the mean of the ``h_i``, i.i.d. with mean ``MMD²`` (0 under no change), so
  ``z = mean / (sd / sqrt(p))`` is asymptotically standard normal and the p-value is
  ``1 - Φ(z)`` (Gretton et al. 2012, Corollary 16). Time ``O(p·d)``, memory one block of pairs.
  Less powerful per row than the quadratic statistic (variance ``O(1/p)`` instead of
  ``O(1/p²)``), but it uses every row.
- ``domain_classifier``: a logistic regression learns to tell reference rows from current
  rows on a balanced training part (at most :data:`CLASSIFIER_TRAIN` rows a side); the area
  under the ROC curve on *all the other rows* is the score. The held-out rows played no part
  in training, so under no change their labels are exchangeable given the scores and the AUC
  is a Mann-Whitney statistic: null mean 1/2, variance ``(n₁+n₀+1)/(12 n₁ n₀)`` with the
  tie correction (Mann & Whitney 1947); the p-value is one-sided (a classifier that separates
  the sides scores above 1/2). The AUC's own 95 % interval is Hanley & McNeil's (1982). It
  finds a shift along any direction a linear model can see (means, a low-dimensional
  subspace), not a change of spread alone: that is the MMD's job.

The automatic choice (:func:`choose_method`): ``mmd`` when the smaller side has at most
:data:`SMALL` rows; above that, ``domain_classifier`` when the vectors have at least
:data:`CLASSIFIER_MIN_DIM` dimensions (a Gaussian kernel's distances concentrate in high
dimension while a linear classifier learns the direction that moved), else ``mmd_linear``.
Memory is linear in rows: the pairs and the classifier's held-out scores are computed block by
block from row indices, never as a kernel or distance matrix.

>>> rng = np.random.default_rng(0)
>>> ref, same = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
>>> moved = same + np.r_[0.6, np.zeros(7)]  # one dimension moved by 0.6 sd
>>> [round(mmd_linear_test(ref, x).p_value, 4) for x in (same, moved)]
[0.4783, 0.0208]
>>> r = domain_classifier_test(ref, moved)
>>> round(r.statistic, 3), r.p_value < 1e-6, [round(v, 3) for v in r.details["auc_interval"]]
(0.659, True, [0.635, 0.683])

References
----------
Gretton, A., Borgwardt, K. M., Rasch, M. J., Schölkopf, B., Smola, A. (2012). A kernel
two-sample test. JMLR 13, 723–773.

Lopez-Paz, D., Oquab, M. (2017). Revisiting classifier two-sample tests. ICLR.

Hanley, J. A., McNeil, B. J. (1982). The meaning and use of the area under a receiver
operating characteristic (ROC) curve. Radiology 143(1), 29–36.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

__all__ = ["EmbeddingTest", "METHODS", "choose_method", "domain_classifier_test", "embedding_test",
           "mmd_linear_test", "mmd_permutation_test"]

METHODS = ("mmd", "mmd_linear", "domain_classifier")
#: Rows on the smaller side up to which the quadratic MMD (permutation p-value) is used.
SMALL = 5000
#: Dimensions from which large samples go to the classifier rather than the linear-time MMD.
CLASSIFIER_MIN_DIM = 16
#: Training rows per side for the classifier (the rest are held out and scored).
CLASSIFIER_TRAIN = 10_000
#: Pairs (linear MMD) or rows (classifier scores) handled per block.
BLOCK = 65_536
BANDWIDTH_ROWS = 1000


@dataclass(frozen=True)
class EmbeddingTest:
    """One test of two samples of vectors: ``p_value`` is the score, ``statistic`` the test's own
    (MMD² or AUC); ``details`` what the test used (rows, dimension, bandwidth, interval)."""

    method: str
    statistic: float
    p_value: float
    drifted: bool
    alpha: float
    details: Dict[str, Any] = field(default_factory=dict)


def choose_method(n_reference: int, n_current: int, dimension: int) -> str:
    """The automatic method for sizes and dimension (see the module docstring).

    >>> choose_method(3000, 800, 384), choose_method(50_000, 40_000, 384), choose_method(50_000, 40_000, 8)
    ('mmd', 'domain_classifier', 'mmd_linear')
    """
    if min(n_reference, n_current) <= SMALL:
        return "mmd"
    return "domain_classifier" if dimension >= CLASSIFIER_MIN_DIM else "mmd_linear"


def embedding_test(reference: np.ndarray, current: np.ndarray, method: str = "auto", *, alpha: float = 0.05,
                   seed: int = 0) -> EmbeddingTest:
    """The test ``method`` (or the automatic choice) on two ``(rows, dimension)`` arrays."""
    x, y = _check(reference, "reference"), _check(current, "current")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"reference vectors have {x.shape[1]} values, current ones {y.shape[1]}")
    if method == "auto":
        method = choose_method(len(x), len(y), x.shape[1])
    if method == "mmd":
        return mmd_permutation_test(x, y, alpha=alpha, seed=seed)
    if method == "mmd_linear":
        return mmd_linear_test(x, y, alpha=alpha, seed=seed)
    if method == "domain_classifier":
        return domain_classifier_test(x, y, alpha=alpha, seed=seed)
    raise ValueError(f"unknown embedding test {method!r}; use one of {', '.join(METHODS)}")


def mmd_permutation_test(x: np.ndarray, y: np.ndarray, *, alpha: float = 0.05, seed: int = 0,
                         n_permutations: int = 200) -> EmbeddingTest:
    """Quadratic MMD² with a permutation p-value (:func:`mlmon.stats.mmd.mmd_test`, unstandardised:
    an embedding's geometry is its meaning)."""
    from mlmon.stats.mmd import mmd_test

    r = mmd_test(x, y, alpha=alpha, seed=seed, n_permutations=n_permutations, standardize=False)
    return EmbeddingTest("mmd", r.statistic, r.p_value, r.p_value < alpha, alpha, {
        "reference_rows_used": r.n_reference, "current_rows_used": r.n_current, "dimension": int(x.shape[1]),
        "gamma": r.gamma, "permutations": r.n_permutations, "estimator": r.estimator})


def mmd_linear_test(x: np.ndarray, y: np.ndarray, *, gamma: Optional[float] = None, alpha: float = 0.05,
                    seed: int = 0, block: int = BLOCK) -> EmbeddingTest:
    """Linear-time MMD² with its asymptotic normal p-value (see the module docstring)."""
    from scipy.stats import norm

    from mlmon.stats.mmd import median_heuristic_gamma

    rng = np.random.default_rng(seed)
    pairs = min(len(x), len(y)) // 2
    if pairs < 2:
        raise ValueError("the linear-time MMD needs at least 4 rows on each side")
    if gamma is None:
        pick = lambda a: a[np.sort(rng.choice(len(a), min(len(a), BANDWIDTH_ROWS // 2), replace=False))]
        gamma = median_heuristic_gamma(np.concatenate([pick(x), pick(y)]).astype(np.float64), seed=rng)
    xi = rng.permutation(len(x))[: 2 * pairs]
    yi = rng.permutation(len(y))[: 2 * pairs]
    total, total_sq = 0.0, 0.0
    for s in range(0, pairs, block):
        e = min(pairs, s + block)
        x1, x2 = (np.asarray(x[xi[2 * s:2 * e:2]], dtype=np.float64), np.asarray(x[xi[2 * s + 1:2 * e:2]], dtype=np.float64))
        y1, y2 = (np.asarray(y[yi[2 * s:2 * e:2]], dtype=np.float64), np.asarray(y[yi[2 * s + 1:2 * e:2]], dtype=np.float64))
        h = _k(x1, x2, gamma) + _k(y1, y2, gamma) - _k(x1, y2, gamma) - _k(x2, y1, gamma)
        total += float(h.sum())
        total_sq += float(np.dot(h, h))
    mean = total / pairs
    var = max(total_sq / pairs - mean * mean, 0.0) * pairs / (pairs - 1)
    se = math.sqrt(var / pairs)
    p = float(norm.sf(mean / se)) if se > 0 else (0.0 if mean > 0 else 1.0)
    return EmbeddingTest("mmd_linear", mean, p, p < alpha, alpha, {
        "pairs": pairs, "standard_error": se, "dimension": int(x.shape[1]), "gamma": float(gamma)})


def domain_classifier_test(x: np.ndarray, y: np.ndarray, *, alpha: float = 0.05, seed: int = 0,
                           train: int = CLASSIFIER_TRAIN, l2: float = 1.0, block: int = BLOCK) -> EmbeddingTest:
    """Held-out AUC of a logistic regression telling the sides apart (see the module docstring)."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    m, n = len(x), len(y)
    t = min(train, m // 2, n // 2)
    if t < 2:
        raise ValueError("the classifier test needs at least 4 rows on each side")
    xo, yo = rng.permutation(m), rng.permutation(n)
    xt, yt = np.asarray(x[np.sort(xo[:t])], dtype=np.float64), np.asarray(y[np.sort(yo[:t])], dtype=np.float64)
    mean = np.concatenate([xt, yt]).mean(axis=0)
    scale = np.concatenate([xt, yt]).std(axis=0)
    scale[scale == 0] = 1.0
    features = (np.concatenate([xt, yt]) - mean) / scale
    labels = np.r_[np.zeros(t), np.ones(t)]
    w = _logistic(features, labels, l2)
    del features
    rest_x, rest_y = np.sort(xo[t:]), np.sort(yo[t:])
    sx = _scores(x, rest_x, w, mean, scale, block)
    sy = _scores(y, rest_y, w, mean, scale, block)
    auc, var0 = _auc(sx, sy)
    n0, n1 = sx.size, sy.size
    z = (auc - 0.5) / math.sqrt(var0) if var0 > 0 else 0.0
    p = float(norm.sf(z))
    se = hanley_mcneil_se(auc, n1, n0)
    return EmbeddingTest("domain_classifier", auc, p, p < alpha, alpha, {
        "auc_interval": [max(0.0, auc - 1.96 * se), min(1.0, auc + 1.96 * se)], "train_rows_per_side": t,
        "reference_rows_held_out": int(n0), "current_rows_held_out": int(n1), "dimension": int(x.shape[1]),
        "null": "Mann-Whitney: mean 0.5, variance (n1 + n0 + 1) / (12 n1 n0), tie-corrected"})


def hanley_mcneil_se(auc: float, n_positive: int, n_negative: int) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982, eq. 2), ``Q1 = A/(2-A)``, ``Q2 = 2A²/(1+A)``.

    >>> round(hanley_mcneil_se(0.8, 50, 50), 5)  # (0.16 + 49 (2/3 - 0.64) + 49 (0.64/0.9 - 0.64)) / 2500
    0.0445
    """
    a = auc
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_positive - 1) * (q1 - a * a) + (n_negative - 1) * (q2 - a * a)) / (n_positive * n_negative)
    return math.sqrt(max(var, 0.0))


# ---------------------------------------------------------------------------- helpers


def _check(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (rows, dimension), got shape {a.shape}")
    return a


def _k(a: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    d = a - b
    return np.exp(-gamma * np.einsum("ij,ij->i", d, d))


def _logistic(features: np.ndarray, labels: np.ndarray, l2: float) -> np.ndarray:
    """L2-penalised logistic regression (intercept unpenalised) by L-BFGS; weights then intercept."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    n, d = features.shape

    def loss(theta):
        z = features @ theta[:d] + theta[d]
        value = -(labels * log_expit(z) + (1 - labels) * log_expit(-z)).sum() + 0.5 * l2 * theta[:d] @ theta[:d]
        r = expit(z) - labels
        grad = np.empty(d + 1)
        grad[:d] = features.T @ r + l2 * theta[:d]
        grad[d] = r.sum()
        return value, grad

    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 200})
    return res.x


def _scores(a: np.ndarray, rows: np.ndarray, w: np.ndarray, mean: np.ndarray, scale: np.ndarray,
            block: int) -> np.ndarray:
    d = mean.size
    coef = w[:d] / scale
    offset = w[d] - float(mean @ coef)
    out = np.empty(rows.size)
    for s in range(0, rows.size, block):
        out[s:s + block] = np.asarray(a[rows[s:s + block]], dtype=np.float64) @ coef + offset
    return out


def _auc(neg: np.ndarray, pos: np.ndarray):
    """AUC (Mann-Whitney, ties counted half) and its variance under no difference, tie-corrected."""
    from scipy.stats import rankdata

    n0, n1 = neg.size, pos.size
    ranks = rankdata(np.concatenate([neg, pos]))
    auc = (ranks[n0:].sum() - n1 * (n1 + 1) / 2) / (n0 * n1)
    N = n0 + n1
    _, counts = np.unique(ranks, return_counts=True)
    ties = float(((counts ** 3) - counts).sum())
    var_u = n0 * n1 / 12 * ((N + 1) - ties / (N * (N - 1)))
    return float(auc), var_u / (n0 * n1) ** 2
