"""Edges of the classification metrics (stats/classification.py) against scikit-learn and hand
computation: log loss of certain predictions (scikit-learn clips to ``[eps, 1 - eps]``), float32
probabilities, float window indices, and the recall band of a class predicted but never true."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from mlmon.stats.classification import binary_metrics, multiclass_metrics
from mlmon.stats.intervals import Z95


def test_binary_log_loss_of_certain_predictions_is_sklearns():
    y = np.array([0, 1, 1, 0])
    right = np.array([0.0, 1.0, 1.0, 0.0])
    wrong = 1.0 - right
    for proba in (right, wrong):
        m = binary_metrics(y, (proba > 0.5).astype(int), np.zeros(4, dtype=int), 1, proba=proba)
        assert m.values["log_loss"][0] == skm.log_loss(y, proba)
    assert skm.log_loss(y, right) == 2.220446049250313e-16   # -log(1 - eps), not 0


def test_multiclass_log_loss_of_certain_predictions_is_sklearns():
    y = np.array([0, 1, 2, 2])
    right = np.eye(3)[y]
    wrong = np.eye(3)[(y + 1) % 3]
    for proba in (right, wrong):
        m = multiclass_metrics(y, proba.argmax(axis=1), np.zeros(4, dtype=int), 1, 3, proba=proba)
        assert m.values["log_loss"][0] == pytest.approx(skm.log_loss(y, proba, labels=[0, 1, 2]), rel=1e-12)
    m = multiclass_metrics(y, y, np.zeros(4, dtype=int), 1, 3, proba=right)
    assert m.values["log_loss"][0] == skm.log_loss(y, right, labels=[0, 1, 2]) == 2.220446049250313e-16


def test_multiclass_float32_probabilities_give_their_float64_values_log_loss():
    rng = np.random.default_rng(3)
    proba = rng.dirichlet(np.ones(3), 50).astype(np.float32)
    y = rng.integers(0, 3, 50)
    a = multiclass_metrics(y, proba.argmax(axis=1), np.zeros(50, dtype=int), 1, 3, proba=proba)
    b = multiclass_metrics(y, proba.argmax(axis=1), np.zeros(50, dtype=int), 1, 3, proba=proba.astype(np.float64))
    assert a.values["log_loss"].tolist() == b.values["log_loss"].tolist()
    by_hand = -np.mean([math.log(float(proba[i, c])) for i, c in enumerate(y)])
    assert a.values["log_loss"][0] == pytest.approx(by_hand, rel=1e-12)


def test_multiclass_window_indices_given_as_floats_are_read_as_integers():
    y = np.array([0, 1, 2, 2, 1, 0])
    yhat = np.array([0, 2, 2, 2, 1, 1])
    g = np.array([0, 0, 0, 1, 1, 1])
    a = multiclass_metrics(y, yhat, g.astype(float), 2, 3)
    b = multiclass_metrics(y, yhat, g, 2, 3)
    assert a.values["f1_score"].tolist() == b.values["f1_score"].tolist()


def test_recall_band_of_a_class_predicted_but_never_true():
    # y 0 0 1 1, ŷ 0 2 1 1: classes 0, 1, 2 present; class 2 has no true row (recall 0, variance 0)
    y = np.array([0, 0, 1, 1])
    yhat = np.array([0, 2, 1, 1])
    m = multiclass_metrics(y, yhat, np.zeros(4, dtype=int), 1, 3, z=1.0)
    rec = [0.5, 1.0, 0.0]
    assert m.values["recall"][0] == pytest.approx(skm.recall_score(y, yhat, average="macro", zero_division=0))
    var = [0.5 * 0.5 / 2, 0.0, 0.0]    # m(1-m)/support; 0 where the support is 0
    se = math.sqrt(sum(var)) / 3
    assert m.values["recall"][0] == pytest.approx(sum(rec) / 3, rel=1e-15)
    assert m.lower["recall"][0] == pytest.approx(sum(rec) / 3 - se, rel=1e-12)
    assert m.upper["recall"][0] == pytest.approx(sum(rec) / 3 + se, rel=1e-12)
    # the same window at 95 %
    m95 = multiclass_metrics(y, yhat, np.zeros(4, dtype=int), 1, 3)
    assert m95.upper["recall"][0] == pytest.approx(sum(rec) / 3 + Z95 * se, rel=1e-12)
