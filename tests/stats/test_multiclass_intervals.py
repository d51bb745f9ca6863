"""Multiclass metrics' intervals (:func:`mlmon.stats.classification.multiclass_metrics`),
each recomputed from its documented formula: accuracy Wilson (statsmodels), macro precision and
recall ``sqrt(Σ_k m_k(1-m_k)/d_k) / K``, macro AUC ``sqrt(Σ_k SE_k²) / K`` (Hanley-McNeil),
log loss the central-limit interval of the per-row losses; all clipped to their range."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from statsmodels.stats.proportion import proportion_confint

from mlmon.stats.classification import grouped_auc, hanley_mcneil_se, multiclass_metrics
from mlmon.stats.intervals import Z95


@pytest.fixture
def window():
    rng = np.random.default_rng(21)
    n, k = 300, 3
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba.argmax(axis=1), proba


def test_accuracy_and_macro_precision_and_recall_bands(window):
    y, yhat, proba = window
    m = multiclass_metrics(y, yhat, np.zeros(y.size, dtype=int), 1, 3, proba=proba)
    assert m.n.tolist() == [300]
    lo, hi = proportion_confint((y == yhat).sum(), y.size, alpha=0.05, method="wilson")
    assert (m.lower["accuracy"][0], m.upper["accuracy"][0]) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
    for name, denominator in (("precision", np.bincount(yhat, minlength=3)), ("recall", np.bincount(y, minlength=3))):
        per_class = skm.precision_score(y, yhat, average=None) if name == "precision" else skm.recall_score(
            y, yhat, average=None)
        se = np.sqrt(np.sum(per_class * (1 - per_class) / denominator)) / 3
        value = per_class.mean()
        assert m.values[name][0] == pytest.approx(value, abs=1e-12)
        assert m.lower[name][0] == pytest.approx(value - Z95 * se, abs=1e-12)
        assert m.upper[name][0] == pytest.approx(value + Z95 * se, abs=1e-12)


def test_log_loss_and_auc_bands(window):
    y, yhat, proba = window
    m = multiclass_metrics(y, yhat, np.zeros(y.size, dtype=int), 1, 3, proba=proba)
    losses = -np.log(proba[np.arange(y.size), y])
    half = Z95 * losses.std(ddof=1) / np.sqrt(y.size)
    assert m.values["log_loss"][0] == pytest.approx(skm.log_loss(y, proba), abs=1e-12)
    assert (m.lower["log_loss"][0], m.upper["log_loss"][0]) == (
        pytest.approx(losses.mean() - half, abs=1e-9), pytest.approx(losses.mean() + half, abs=1e-9))
    ses = []
    for c in range(3):
        a = skm.roc_auc_score(y == c, proba[:, c])
        ses.append(hanley_mcneil_se(a, (y == c).sum(), (y != c).sum()))
    se = np.sqrt(np.sum(np.square(ses))) / 3
    assert m.lower["auc_roc"][0] == pytest.approx(m.values["auc_roc"][0] - Z95 * se, abs=1e-12)
    assert m.upper["auc_roc"][0] == pytest.approx(m.values["auc_roc"][0] + Z95 * se, abs=1e-12)


def test_bands_stay_in_range_and_an_empty_window_has_none():
    # window 0: four rows, all right with sure probabilities (bands reach past 1 and are clipped);
    # window 1: four rows, all wrong (past 0); window 2: no rows
    y = np.array([0, 1, 2, 0, 0, 1, 2, 0])
    yhat = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    proba = np.where(np.eye(3)[yhat] == 1, 1.0, 0.0)
    g = np.repeat([0, 1], 4)
    m = multiclass_metrics(y, yhat, g, 3, 3, proba=proba)
    for name in ("accuracy", "precision", "recall", "f1_score", "auc_roc"):
        lo, hi = m.lower[name][:2], m.upper[name][:2]
        finite = np.isfinite(lo)
        assert np.all((lo[finite] >= 0.0) & (hi[finite] <= 1.0)), name
    assert m.upper["precision"][0] == 1.0 and m.lower["recall"][1] == 0.0
    assert m.lower["auc_roc"][0] <= 1.0 and m.upper["auc_roc"][0] == 1.0
    # sure and wrong: the loss of a row is -log(eps), clipped as scikit-learn does, never infinite
    assert m.values["log_loss"][1] == pytest.approx(-np.log(np.finfo(np.float64).eps))
    assert m.values["log_loss"][0] == pytest.approx(-np.log(1 - np.finfo(np.float64).eps))
    assert m.n.tolist() == [4, 4, 0]
    for name in ("precision", "recall", "f1_score"):
        assert np.isnan(m.lower[name][2]) and np.isnan(m.upper[name][2]), name


def test_a_class_predicted_but_never_true_has_recall_zero_like_sklearn():
    y = np.array([0, 0, 1, 1])
    yhat = np.array([0, 2, 1, 1])  # class 2 is predicted once, never true: recall 0/0 -> 0
    m = multiclass_metrics(y, yhat, np.zeros(4, dtype=int), 1, 3)
    for name, sk in (("recall", skm.recall_score), ("f1_score", skm.f1_score), ("precision", skm.precision_score)):
        assert m.values[name][0] == pytest.approx(sk(y, yhat, average="macro", zero_division=0), abs=1e-12)


def test_auc_of_no_rows_is_undefined_in_every_window():
    auc, pos, neg = grouped_auc(np.array([]), np.array([]), np.array([]), np.array([], dtype=int), 2)
    assert np.isnan(auc).all() and pos.tolist() == [0.0, 0.0] and neg.tolist() == [0.0, 0.0]
