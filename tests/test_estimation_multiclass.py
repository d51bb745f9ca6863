"""Multiclass confidence-based estimation: the kernel against a hand computation and against the
expectation over every labelling of a tiny input, its bands against simulated labels, per-class
calibration against scikit-learn, and the service end to end."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression

from estimation_data import CLASSES, MC, multiclass_frame
from mlmon.services.performance import PerfOptions, compute_performance
from mlmon.stats import cbpe

P4 = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
YHAT4 = np.array([0, 1, 2, 0])


def _one(P, yhat, score=None):
    est = cbpe.estimate_multiclass(P, yhat, P if score is None else score, np.zeros(len(yhat), dtype=int), 1)
    return {k: float(v[0]) for k, v in est.values.items()}


def test_tiny_input_equals_the_hand_computation():
    # class 0 predicted on rows 0 and 3: E[TP]=0.7+0.5=1.2, m=2, E[FN]=0.1+0.3=0.4
    # class 1 on row 1: E[TP]=0.8, m=1, E[FN]=0.2+0.3+0.4=0.9; class 2 on row 2: 0.4, 1, 0.1+0.1+0.1
    prec = (1.2 / 2 + 0.8 / 1 + 0.4 / 1) / 3
    rec = (1.2 / 1.6 + 0.8 / 1.7 + 0.4 / 0.7) / 3
    f1 = (2.4 / 3.6 + 1.6 / 2.7 + 0.8 / 1.7) / 3
    got = _one(P4, YHAT4)
    assert got["accuracy"] == pytest.approx((0.7 + 0.8 + 0.4 + 0.5) / 4, abs=1e-15)
    assert got["precision"] == pytest.approx(prec, abs=1e-15)
    assert got["recall"] == pytest.approx(rec, abs=1e-15)
    assert got["f1_score"] == pytest.approx(f1, abs=1e-15)


def test_counts_are_the_expectation_over_every_labelling():
    # enumerate all 3^4 label vectors with probability prod P[i, y_i]: E[TP_j], E[FN_j] by brute force
    k, n = 3, 4
    e_tp, e_fn, e_auc_num = np.zeros(k), np.zeros(k), np.zeros(k)
    for labels in itertools.product(range(k), repeat=n):
        w = np.prod([P4[i, y] for i, y in enumerate(labels)])
        for j in range(k):
            pos = np.array(labels) == j
            e_tp[j] += w * np.sum(pos & (YHAT4 == j))
            e_fn[j] += w * np.sum(pos & (YHAT4 != j))
    m = np.bincount(YHAT4, minlength=k)
    got = _one(P4, YHAT4)
    assert got["precision"] == pytest.approx(np.mean(e_tp / m), abs=1e-12)
    assert got["recall"] == pytest.approx(np.mean(e_tp / (e_tp + e_fn)), abs=1e-12)
    assert got["f1_score"] == pytest.approx(np.mean(2 * e_tp / (e_tp + e_fn + m)), abs=1e-12)


def test_auc_is_the_mean_of_the_classes_expected_one_vs_rest_auc():
    # pairwise by hand: sum_i sum_j p_i (1 - p_j) [s_i > s_j] (+1/2 on ties, the row with itself included)
    rng = np.random.default_rng(3)
    P = rng.dirichlet([1, 1, 1], 30)
    S = np.clip(P + rng.normal(0, 0.05, P.shape), 0, 1)  # the raw scores rank the rows
    aucs = []
    for j in range(3):
        p, s = P[:, j], S[:, j]
        num = sum(p[a] * (1 - p[b]) * ((s[a] > s[b]) + 0.5 * (s[a] == s[b])) for a in range(30) for b in range(30))
        aucs.append(num / (p.sum() * (1 - p).sum()))
    assert _one(P, P.argmax(axis=1), S)["auc_roc"] == pytest.approx(np.mean(aucs), abs=1e-12)


def test_one_window_at_a_time_equals_all_windows_at_once():
    rng = np.random.default_rng(4)
    P = rng.dirichlet([2, 1, 1, 0.5], 600)
    yhat = P.argmax(axis=1)
    g = rng.integers(0, 3, 600)
    together = cbpe.estimate_multiclass(P, yhat, P, g, 3)
    for w in range(3):
        alone = cbpe.estimate_multiclass(P[g == w], yhat[g == w], P[g == w], np.zeros((g == w).sum(), dtype=int), 1)
        for name in together.values:
            assert together.values[name][w] == pytest.approx(alone.values[name][0], abs=1e-12)
            assert together.lower[name][w] == pytest.approx(alone.lower[name][0], abs=1e-12)


def test_bands_match_the_spread_of_simulated_labels():
    # labels drawn from the (calibrated) probabilities: the realized metrics' spread is what the band claims
    rng = np.random.default_rng(5)
    n, reps = 2000, 1500
    P = rng.dirichlet([3, 2, 1], n)
    yhat = P.argmax(axis=1)
    est = cbpe.estimate_multiclass(P, yhat, P, np.zeros(n, dtype=int), 1)
    cum = np.cumsum(P, axis=1)
    m = np.bincount(yhat, minlength=3)
    draws = {"accuracy": [], "precision": [], "recall": [], "f1_score": []}
    for _ in range(reps):
        y = (rng.random(n)[:, None] > cum).sum(axis=1)
        tp = np.bincount(yhat[y == yhat], minlength=3).astype(float)
        actual = np.bincount(y, minlength=3)
        draws["accuracy"].append(np.mean(y == yhat))
        draws["precision"].append(np.mean(tp / m))
        draws["recall"].append(np.mean(tp / actual))
        draws["f1_score"].append(np.mean(2 * tp / (actual + m)))
    for name, values in draws.items():
        se = (est.upper[name][0] - est.lower[name][0]) / (2 * 1.959964)
        assert np.std(values) == pytest.approx(se, rel=0.1), name
        assert np.mean(values) == pytest.approx(est.values[name][0], abs=0.3 * se), name


def test_per_class_calibration_equals_sklearn_isotonic_then_rows_renormalised():
    f = multiclass_frame(6000, seed=6)
    P = f[[f"proba_{c}" for c in CLASSES]].to_numpy()
    y = np.searchsorted(np.array(CLASSES), f["y"].to_numpy())
    cal = cbpe.choose_multiclass_calibration(P, y, 3)
    assert cal.calibrated == [True, True, True]  # an overconfident model: calibration lowers ECE for every class
    expected = np.column_stack([IsotonicRegression(out_of_bounds="clip").fit(P[:, j], y == j).predict(P[:, j])
                                for j in range(3)])
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.abs(cal(P) - expected).max() < 1e-12


def test_service_estimates_match_realized_metrics_under_covariate_shift():
    ref = multiclass_frame(20000, seed=7)
    cur = multiclass_frame(20000, seed=8, shift=0.8, days=10)
    est = compute_performance(cur.assign(y=None), PerfOptions(**MC, estimate=True), ref).to_dict()
    real = compute_performance(cur, PerfOptions(**MC), ref).to_dict()
    assert est["estimation"]["method"] == "cbpe" and est["estimation"]["calibration"] == "isotonic per class"
    gaps = [abs(e["estimated"][m] - r["metrics"][m]) for e, r in zip(est["windows"], real["windows"])
            for m in ("accuracy", "f1_score", "auc_roc")]
    assert np.mean(gaps) < 0.01
    assert all(w["estimation"]["reliable"] for w in est["windows"])


def test_probability_columns_are_matched_to_classes_by_name():
    ref = multiclass_frame(3000, seed=9)
    cur = multiclass_frame(3000, seed=10, days=3)
    given = PerfOptions(**{**MC, "proba": ["proba_eel", "proba_cat", "proba_dog"]}, estimate=True)
    shuffled = compute_performance(cur.assign(y=None), given, ref).to_dict()
    ordered = compute_performance(cur.assign(y=None), PerfOptions(**MC, estimate=True), ref).to_dict()
    assert [w["estimated"] for w in shuffled["windows"]] == [w["estimated"] for w in ordered["windows"]]
    assert shuffled["columns"]["proba"] == ["proba_cat", "proba_dog", "proba_eel"]


def test_a_window_that_never_predicts_a_class_is_still_estimated():
    ref = multiclass_frame(3000, seed=11)
    cur = multiclass_frame(600, seed=12)
    cur = cur[cur["yhat"] != "eel"]
    d = compute_performance(cur.drop(columns=["y"]), PerfOptions(**{**MC, "window": None, "timestamp": None},
                                                                 estimate=True), ref).to_dict()
    assert d["columns"]["classes"] == list(CLASSES)
    assert d["windows"][0]["estimated"]["accuracy"] is not None


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.integers(1, 60), st.integers(0, 10**6))
def test_estimates_lie_in_their_bands_and_ignore_row_order(k, n, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(k, 0.7), n)
    yhat = rng.integers(0, k, n)
    g = rng.integers(0, 3, n)
    est = cbpe.estimate_multiclass(P, yhat, P, g, 3)
    order = rng.permutation(n)
    again = cbpe.estimate_multiclass(P[order], yhat[order], P[order], g[order], 3)
    for name, v in est.values.items():
        ok = ~np.isnan(v)
        assert np.all((v[ok] >= -1e-12) & (v[ok] <= 1 + 1e-12)), name
        assert np.all(est.lower[name][ok] <= v[ok] + 1e-12) and np.all(v[ok] <= est.upper[name][ok] + 1e-12), name
        np.testing.assert_allclose(again.values[name], v, atol=1e-12, equal_nan=True)
