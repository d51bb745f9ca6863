"""Windowed classification and regression metrics equal scikit-learn's per window (1e-9), and
their intervals agree with statsmodels / published formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from mlmon.stats.classification import (binary_metrics, f1_delta_se, grouped_auc, hanley_mcneil_se, label_auc,
                                        multiclass_metrics)
from mlmon.stats.intervals import normal_mean, wilson
from mlmon.stats.regression import regression_metrics

TOL = 1e-9


def _binary_data(seed, n=4000, groups=6, rounding=2):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    p = np.round(rng.random(n), rounding)  # rounding makes ties, which AUC must count as halves
    y = (rng.random(n) < p).astype(np.int64)
    return y, (p >= 0.5).astype(np.int64), p, g


def _sk_binary(y, yhat, p):
    return {
        "accuracy": skm.accuracy_score(y, yhat),
        "precision": skm.precision_score(y, yhat, zero_division=0),
        "recall": skm.recall_score(y, yhat, zero_division=0),
        "f1_score": skm.f1_score(y, yhat, zero_division=0),
        "auc_roc": skm.roc_auc_score(y, p),
        "log_loss": skm.log_loss(y, p, labels=[0, 1]),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_metrics_equal_sklearn_per_window(seed):
    y, yhat, p, g = _binary_data(seed)
    m = binary_metrics(y, yhat, g, 6, proba=p)
    for w in range(6):
        s = g == w
        for name, expected in _sk_binary(y[s], yhat[s], p[s]).items():
            assert m.values[name][w] == pytest.approx(expected, abs=TOL), (w, name)


def test_log_loss_clips_certain_wrong_predictions_like_sklearn():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.0, 1.0, 1.0, 0.0])
    m = binary_metrics(y, (p >= 0.5).astype(int), np.zeros(4, dtype=int), 1, proba=p)
    assert m.values["log_loss"][0] == pytest.approx(skm.log_loss(y, p), abs=TOL)


def test_business_costs_are_error_counts_times_unit_cost():
    y = np.array([1, 1, 0, 0, 0, 1])
    yhat = np.array([0, 1, 1, 1, 0, 0])  # 2 false positives, 2 false negatives
    m = binary_metrics(y, yhat, np.zeros(6, dtype=int), 1, false_positive_cost=1.5, false_negative_cost=10.0)
    assert m.values["false_positive_cost"][0] == 3.0
    assert m.values["false_negative_cost"][0] == 20.0
    assert m.lower["false_negative_cost"][0] < 20.0 < m.upper["false_negative_cost"][0]


def test_single_class_window_has_undefined_auc_and_no_crash():
    y = np.array([1, 1, 1, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.2, 0.6])
    g = np.array([0, 0, 0, 1, 1])
    m = binary_metrics(y, (p >= 0.5).astype(int), g, 2, proba=p)
    assert np.isnan(m.values["auc_roc"][0])
    assert m.values["auc_roc"][1] == 1.0
    assert m.values["accuracy"][0] == 1.0


def test_precision_zero_division_is_zero_like_sklearn():
    y = np.array([1, 0, 1])
    yhat = np.zeros(3, dtype=int)
    m = binary_metrics(y, yhat, np.zeros(3, dtype=int), 1)
    assert m.values["precision"][0] == skm.precision_score(y, yhat, zero_division=0) == 0.0
    assert np.isnan(m.lower["precision"][0])  # no predicted positives: no interval


def test_empty_window_is_nan_not_an_error():
    y, yhat, p, g = _binary_data(3, n=100, groups=2)
    m = binary_metrics(y, yhat, g, 3, proba=p)  # window 2 has no rows
    assert m.n[2] == 0 and np.isnan(m.values["accuracy"][2]) and np.isnan(m.values["auc_roc"][2])


@pytest.mark.parametrize("seed", [0, 1])
def test_multiclass_metrics_equal_sklearn_per_window(seed):
    rng = np.random.default_rng(seed)
    n, k, groups = 3000, 4, 5
    g = rng.integers(0, groups, n)
    logits = rng.normal(size=(n, k))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in proba])
    yhat = proba.argmax(axis=1)
    m = multiclass_metrics(y, yhat, g, groups, k, proba=proba)
    for w in range(groups):
        s = g == w
        expected = {
            "accuracy": skm.accuracy_score(y[s], yhat[s]),
            "precision": skm.precision_score(y[s], yhat[s], average="macro", zero_division=0),
            "recall": skm.recall_score(y[s], yhat[s], average="macro", zero_division=0),
            "f1_score": skm.f1_score(y[s], yhat[s], average="macro", zero_division=0),
            "log_loss": skm.log_loss(y[s], proba[s], labels=list(range(k))),
            "auc_roc": skm.roc_auc_score(y[s], proba[s], multi_class="ovr", average="macro"),
        }
        for name, value in expected.items():
            assert m.values[name][w] == pytest.approx(value, abs=TOL), (w, name)


def test_multiclass_macro_ignores_classes_absent_from_the_window_like_sklearn():
    y = np.array([0, 0, 1, 1, 2])
    yhat = np.array([0, 1, 1, 1, 2])
    g = np.array([0, 0, 0, 0, 1])
    m = multiclass_metrics(y, yhat, g, 2, 3)
    assert m.values["f1_score"][0] == pytest.approx(skm.f1_score(y[:4], yhat[:4], average="macro"), abs=TOL)
    assert m.values["f1_score"][1] == 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_regression_metrics_equal_sklearn_per_window(seed):
    rng = np.random.default_rng(seed)
    n, groups = 4000, 5
    g = rng.integers(0, groups, n)
    y = rng.gamma(2.0, 10.0, n)
    y[:50] = 0.0  # zero targets: mape stays finite (sklearn's eps denominator)
    yhat = y + rng.normal(0, 3, n)
    m = regression_metrics(y, yhat, g, groups, quantile=0.9)
    for w in range(groups):
        s = g == w
        expected = {
            "rmse": skm.root_mean_squared_error(y[s], yhat[s]),
            "mae": skm.mean_absolute_error(y[s], yhat[s]),
            "r2_score": skm.r2_score(y[s], yhat[s]),
            "mape": skm.mean_absolute_percentage_error(y[s], yhat[s]),
            "quantile_loss": skm.mean_pinball_loss(y[s], yhat[s], alpha=0.9),
        }
        for name, value in expected.items():
            assert m.values[name][w] == pytest.approx(value, rel=TOL, abs=TOL), (w, name)
            assert np.isfinite(m.values[name][w])


def test_r2_of_a_constant_target_follows_sklearn():
    y = np.array([2.0, 2.0, 2.0, 2.0])
    for yhat in (y.copy(), np.array([2.0, 2.0, 2.0, 3.0])):
        m = regression_metrics(y, yhat, np.zeros(4, dtype=int), 1)
        assert m.values["r2_score"][0] == skm.r2_score(y, yhat)


def test_prediction_interval_coverage_and_business_value_by_hand():
    y = np.array([10.0, 20.0, 30.0, 40.0])
    yhat = np.array([12.0, 18.0, 30.0, 30.0])
    m = regression_metrics(y, yhat, np.zeros(4, dtype=int), 1, lower=yhat - 3, upper=yhat + 3,
                           under_prediction_cost=2.0, over_prediction_cost=1.0)
    assert m.values["prediction_interval_coverage"][0] == 0.75  # 40 is outside [27, 33]
    # cost: over 2*1, under 2*2 + 10*2 = 26; predicting nothing costs 2*(10+20+30+40) = 200
    assert m.values["business_value_captured"][0] == pytest.approx(1 - 26 / 200, abs=TOL)


def test_wilson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    k = np.array([0, 3, 50, 99, 100])
    n = np.array([10, 10, 100, 100, 100])
    iv = wilson(k, n)
    for i in range(k.size):
        lo, hi = proportion_confint(k[i], n[i], alpha=0.05, method="wilson")
        assert iv.lower[i] == pytest.approx(lo, abs=1e-12) and iv.upper[i] == pytest.approx(hi, abs=1e-12)


def test_normal_mean_matches_statsmodels_zconfint():
    from statsmodels.stats.weightstats import _zconfint_generic

    x = np.array([1.0, 4.0, 2.0, 8.0, 5.0])
    iv = normal_mean([x.sum()], [((x - x.mean()) ** 2).sum()], [5])
    lo, hi = _zconfint_generic(x.mean(), x.std(ddof=1) / np.sqrt(5), 0.05, "two-sided")
    assert iv.lower[0] == pytest.approx(lo, abs=1e-12) and iv.upper[0] == pytest.approx(hi, abs=1e-12)


def test_hanley_mcneil_by_hand_and_against_simulation():
    # hand: A=0.9, n1=n2=50: Q1=0.9/1.1, Q2=1.62/1.9,
    # SE^2 = (0.09 + 49(Q1-0.81) + 49(Q2-0.81)) / 2500 = 0.0010319..., SE = 0.032124
    assert float(hanley_mcneil_se(0.90, 50, 50)) == pytest.approx(0.032124, abs=5e-6)
    # the SE matches the spread of AUC over repeated samples (exponential scores, the
    # paper's own model, with A = 1/(1+0.25) = 0.8)
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(100), np.zeros(150)]
    aucs = [skm.roc_auc_score(y, np.r_[rng.exponential(1.0, 100), rng.exponential(0.25, 150)]) for _ in range(2000)]
    assert float(hanley_mcneil_se(0.8, 100, 150)) == pytest.approx(np.std(aucs), rel=0.08)


def test_f1_interval_covers_the_simulated_sampling_distribution():
    # the delta-method SE matches the spread of F1 over repeated multinomial samples
    rng = np.random.default_rng(0)
    probs = [0.3, 0.1, 0.15, 0.45]  # tp, fp, fn, tn
    counts = rng.multinomial(2000, probs, size=4000)
    f1 = 2 * counts[:, 0] / (2 * counts[:, 0] + counts[:, 1] + counts[:, 2])
    se = float(f1_delta_se(0.3 * 2000, 0.1 * 2000, 0.15 * 2000, 2000))
    assert se == pytest.approx(f1.std(), rel=0.05)


def test_auc_of_a_window_scored_all_zero_is_one_half():
    y = np.array([0, 0, 0, 1, 0, 0, 0, 0, 0])
    s = np.zeros(9)
    assert label_auc(s, y, np.ones(9, dtype=int), 3)[0][1] == 0.5 == skm.roc_auc_score(y, s)


def test_auc_with_zero_and_negative_zero_scores_equals_sklearn():
    s = np.array([0.0, 0.0, -0.0, 0.5, 0.0, 1.0, 0.5, -0.0])
    y = np.array([1, 0, 1, 0, 0, 1, 1, 0])
    g = np.zeros(8, dtype=int)
    expected = skm.roc_auc_score(y, s)
    assert label_auc(s, y, g, 1)[0][0] == pytest.approx(expected, abs=TOL)
    assert grouped_auc(s, y.astype(float), 1.0 - y, g, 1)[0][0] == pytest.approx(expected, abs=TOL)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20), st.integers(0, 2)), min_size=1, max_size=60))
def test_grouped_auc_equals_sklearn_on_any_window_with_both_classes(rows):
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] / 20 for r in rows])
    g = np.array([r[2] for r in rows])
    auc, pos, neg = grouped_auc(s, y.astype(float), 1.0 - y, g, 3)
    fast = label_auc(s, y, g, 3)[0]  # the 0/1-label path: same values
    for w in range(3):
        sel = g == w
        if len(set(y[sel])) == 2:
            assert auc[w] == pytest.approx(skm.roc_auc_score(y[sel], s[sel]), abs=TOL)
            assert fast[w] == pytest.approx(auc[w], abs=TOL)
        else:
            assert np.isnan(auc[w]) and np.isnan(fast[w])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 3)), min_size=1, max_size=80))
def test_windowed_metrics_equal_metrics_of_each_window_alone(rows):
    y = np.array([r[0] for r in rows])
    yhat = np.array([r[1] for r in rows])
    g = np.array([r[2] for r in rows])
    together = binary_metrics(y, yhat, g, 4)
    for w in range(4):
        sel = g == w
        alone = binary_metrics(y[sel], yhat[sel], np.zeros(sel.sum(), dtype=int), 1)
        for name, values in together.values.items():
            a, b = values[w], alone.values[name][0]
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-12)
            lo = together.lower[name][w]
            if not np.isnan(lo):
                assert lo <= a + 1e-12 <= together.upper[name][w] + 2e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=40), st.floats(0.05, 0.95))
def test_regression_intervals_contain_their_estimate(ys, q):
    y = np.array(ys)
    yhat = y[::-1].copy()
    m = regression_metrics(y, yhat, np.zeros(y.size, dtype=int), 1, quantile=q)
    for name in ("rmse", "mae", "quantile_loss"):
        v, lo, hi = m.values[name][0], m.lower[name][0], m.upper[name][0]
        assert lo <= v + 1e-9 and v <= hi + 1e-9
        assert m.values[name][0] >= 0


def test_large_inputs_take_the_threaded_auc_path_with_the_same_values():
    from mlmon.stats import classification

    y, yhat, p, g = _binary_data(7, n=classification.PARALLEL_ROWS + 50_000, groups=12, rounding=3)
    m = binary_metrics(y, yhat, g, 12, proba=p)
    for w in (0, 5, 11):
        s = g == w
        for name, expected in _sk_binary(y[s], yhat[s], p[s]).items():
            assert m.values[name][w] == pytest.approx(expected, abs=TOL), (w, name)


def test_multiclass_macro_intervals_match_the_spread_of_resampled_labels():
    # labels redrawn from the model's own probabilities, predictions fixed: the standard errors
    # behind the macro intervals are within 20 % of the simulated spread (they treat classes as
    # independent, an approximation the docstring states)
    rng = np.random.default_rng(0)
    k, n = 3, 1500
    logits = rng.normal(size=(n, k)) * 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    yhat = proba.argmax(axis=1)
    names = ("precision", "recall", "f1_score", "auc_roc")
    values, ses = {m: [] for m in names}, {m: [] for m in names}
    for _ in range(200):
        y = (rng.random((n, 1)) > np.cumsum(proba, axis=1)).sum(axis=1)
        m = multiclass_metrics(y, yhat, np.zeros(n, dtype=int), 1, k, proba=proba)
        for name in names:
            values[name].append(m.values[name][0])
            ses[name].append((m.upper[name][0] - m.lower[name][0]) / 2 / 1.959963984540054)
    for name in names:
        assert np.mean(ses[name]) == pytest.approx(np.std(values[name]), rel=0.2), name
