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


def _wilson(k, n, z):
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(centre - half, 0.0), min(centre + half, 1.0)


def _hanley_mcneil(a, n1, n0):
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))


BY = np.array([1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1])
BHAT = np.array([1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0])
BP = np.array([0.9, 0.8, 0.4, 0.3, 0.6, 0.2, 0.7, 0.45, 0.55, 0.1, 0.65, 0.35])


@pytest.mark.parametrize("z", [Z95, 1.0, 2.5])
def test_binary_bands_by_hand(z):
    # tp 4, fp 2, fn 2, tn 4 of 12
    m = binary_metrics(BY, BHAT, np.zeros(12, dtype=int), 1, proba=BP, false_positive_cost=3.0,
                       false_negative_cost=0.5, z=z)
    for name, k, n in [("accuracy", 8, 12), ("precision", 4, 6), ("recall", 4, 6)]:
        assert (m.lower[name][0], m.upper[name][0]) == pytest.approx(_wilson(k, n, z), rel=1e-12), name
    auc = skm.roc_auc_score(BY, BP)
    se = _hanley_mcneil(auc, 6, 6)
    assert m.values["auc_roc"][0] == pytest.approx(auc, rel=1e-12)
    assert m.lower["auc_roc"][0] == pytest.approx(max(auc - z * se, 0.0), rel=1e-12)
    assert m.upper["auc_roc"][0] == pytest.approx(min(auc + z * se, 1.0), rel=1e-12)
    # business costs: the count times the unit cost, banded by the Wilson interval of the error rate
    for name, k, cost in [("false_positive_cost", 2, 3.0), ("false_negative_cost", 2, 0.5)]:
        lo, hi = _wilson(k, 12, z)
        assert m.values[name][0] == k * cost
        assert (m.lower[name][0], m.upper[name][0]) == pytest.approx((lo * 12 * cost, hi * 12 * cost), rel=1e-12)


def test_binary_costs_default_to_one_per_error():
    m = binary_metrics(BY, BHAT, np.zeros(12, dtype=int), 1)
    assert (m.values["false_positive_cost"][0], m.values["false_negative_cost"][0]) == (2.0, 2.0)


def test_binary_bands_stop_at_zero_and_one():
    # a perfect window: F1 1 with a zero-width delta band; AUC 1; a near-perfect one reaches past 1 at z = 3
    y = np.array([1, 1, 1, 0, 0, 0])
    m = binary_metrics(y, y, np.zeros(6, dtype=int), 1, proba=np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1]), z=3.0)
    assert m.upper["auc_roc"][0] == 1.0 and m.lower["auc_roc"][0] == 1.0
    yhat = np.array([1, 1, 0, 0, 0, 0])    # tp 2, fn 1: F1 0.8
    m = binary_metrics(y, yhat, np.zeros(6, dtype=int), 1, proba=np.array([0.9, 0.2, 0.7, 0.3, 0.6, 0.1]), z=3.0)
    a, b, c, n = 2 / 6, 0.0, 1 / 6, 6
    se = math.sqrt(4 * a * (b + c) * (a + b + c) / (n * (2 * a + b + c) ** 4))
    assert 0.8 + 3 * se > 1.0
    assert m.upper["f1_score"][0] == 1.0
    assert m.lower["f1_score"][0] == pytest.approx(0.8 - 3 * se, rel=1e-12)
    auc = skm.roc_auc_score(y, [0.9, 0.2, 0.7, 0.3, 0.6, 0.1])
    se_auc = _hanley_mcneil(auc, 3, 3)
    assert auc + 3 * se_auc > 1.0 and m.upper["auc_roc"][0] == 1.0
    assert m.lower["auc_roc"][0] == pytest.approx(auc - 3 * se_auc, rel=1e-12)
    # an AUC of 1/9 (one pair in nine ordered): its lower bound stops at 0
    low = binary_metrics(y, yhat, np.zeros(6, dtype=int), 1, proba=np.array([0.1, 0.2, 0.75, 0.9, 0.8, 0.7]), z=3.0)
    assert low.values["auc_roc"][0] == pytest.approx(1 / 9, rel=1e-12)
    assert 1 / 9 - 3 * _hanley_mcneil(1 / 9, 3, 3) < 0 and low.lower["auc_roc"][0] == 0.0
    assert low.upper["auc_roc"][0] == pytest.approx(1 / 9 + 3 * _hanley_mcneil(1 / 9, 3, 3), rel=1e-12)


def test_binary_window_indices_given_as_floats_are_read_as_integers():
    g = np.repeat([0.0, 1.0], 6)
    a = binary_metrics(BY, BHAT, g, 2, proba=BP)
    b = binary_metrics(BY, BHAT, g.astype(int), 2, proba=BP)
    assert a.values["auc_roc"].tolist() == b.values["auc_roc"].tolist()
    assert a.values["f1_score"].tolist() == b.values["f1_score"].tolist()


def test_label_auc_reads_a_negative_zero_score_as_zero():
    from mlmon.stats.classification import label_auc

    # a negative row scored -0.0 (e.g. 0 * -1) ties with a positive at 0.0 and sits below the others
    score = np.array([-0.0, 0.0, 0.3, 0.2, 0.7])
    y = np.array([0, 1, 0, 1, 1])
    auc, n_pos, n_neg = label_auc(score, y, np.zeros(5, dtype=int), 1)
    assert auc[0] == pytest.approx(skm.roc_auc_score(y, np.abs(score)), rel=1e-12)
    assert auc[0] == pytest.approx(3.5 / 6, rel=1e-12)   # pairs ordered: 0.2 > 0, 0.7 > 0 and 0.3, 0.0 ties 0
    assert (n_pos[0], n_neg[0]) == (3, 2)


def test_label_auc_with_float_window_indices_and_more_windows_than_16_bits_tell_apart():
    from mlmon.stats.classification import label_auc

    n_groups = 70_000
    w = np.arange(n_groups)
    g = np.concatenate([w, w])[::-1].copy()          # rows out of window order
    y = np.concatenate([np.ones(n_groups), np.zeros(n_groups)])[::-1].copy()
    score = np.concatenate([(w % 3) / 2, np.full(n_groups, 0.5)])[::-1].copy()
    auc, _, _ = label_auc(score, y, g, n_groups)
    assert auc.tolist() == ((w % 3) / 2).tolist()
    gs = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    small, _, _ = label_auc(np.array([0.9, 0.2, 0.1, 0.6, 0.5, 0.4]), np.array([1, 1, 0, 0, 1, 0]), gs, 2)
    assert small.tolist() == [0.0, 1.0]
