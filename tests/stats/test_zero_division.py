"""Precision, recall and F1 are 0, never NaN, where their denominator is 0: scikit-learn's
``zero_division=0``, which the performance report and the alert rules compare against."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlmon.stats.cbpe import estimate_binary
from mlmon.stats.classification import binary_metrics, multiclass_metrics

NEGATIVES_ONLY = (np.zeros(6, dtype=int), np.zeros(6, dtype=int))   # no positive label, none predicted
NO_LABELED_POSITIVE = (np.zeros(6, dtype=int), np.array([1, 0, 1, 0, 0, 0]))
NO_PREDICTED_POSITIVE = (np.array([1, 0, 1, 0, 0, 0]), np.zeros(6, dtype=int))


@pytest.mark.parametrize("y, yhat", [NEGATIVES_ONLY, NO_LABELED_POSITIVE, NO_PREDICTED_POSITIVE])
@pytest.mark.parametrize("name, sk", [("precision", skm.precision_score), ("recall", skm.recall_score),
                                      ("f1_score", skm.f1_score)])
def test_binary_zero_denominators_give_zero_like_sklearn(y, yhat, name, sk):
    m = binary_metrics(y, yhat, np.zeros(y.size, dtype=int), 1)
    expected = sk(y, yhat, zero_division=0)
    assert expected == 0.0
    assert m.values[name][0] == expected


def test_f1_of_a_window_without_any_positive_is_zero_beside_a_normal_window():
    # window 0: all negative, all predicted negative; window 1: tp 1, fp 1, fn 1 -> F1 = 2/(2+1+1) = 0.5
    y = np.array([0, 0, 0, 1, 0, 1])
    yhat = np.array([0, 0, 0, 1, 1, 0])
    g = np.array([0, 0, 0, 1, 1, 1])
    m = binary_metrics(y, yhat, g, 2)
    assert m.values["f1_score"].tolist() == [0.0, 0.5]
    assert m.values["accuracy"].tolist() == [1.0, 1 / 3]


def test_multiclass_macro_scores_count_a_class_never_predicted_as_zero():
    y = np.array([0, 1, 2, 2])
    yhat = np.array([0, 0, 2, 2])  # class 1 is never predicted: its precision and F1 are 0
    m = multiclass_metrics(y, yhat, np.zeros(4, dtype=int), 1, 3)
    for name, sk in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1_score", skm.f1_score)):
        assert m.values[name][0] == pytest.approx(sk(y, yhat, average="macro", zero_division=0), abs=1e-12)


def test_estimated_precision_recall_and_f1_are_zero_without_predicted_positives():
    # every row predicted negative: E[TP] = 0, so precision is 0/0 -> 0, recall 0/E[P] = 0, F1 0
    p = np.array([0.1, 0.2, 0.3, 0.4])
    est = estimate_binary(p, np.zeros(4, dtype=int), p, np.zeros(4, dtype=int), 1)
    assert [est.values[k][0] for k in ("precision", "recall", "f1_score")] == [0.0, 0.0, 0.0]


def test_estimated_recall_and_f1_are_zero_when_no_row_can_be_positive():
    # every probability 0: E[TP] = E[FN] = 0, so recall is 0/0 -> 0; nothing predicted: F1 0/0 -> 0
    p = np.zeros(4)
    est = estimate_binary(p, np.zeros(4, dtype=int), p, np.zeros(4, dtype=int), 1)
    assert [est.values[k][0] for k in ("precision", "recall", "f1_score", "accuracy")] == [0.0, 0.0, 0.0, 1.0]
