"""CBPE checked where the truth is known: estimate on held-back labeled windows, compare with
the realized metrics those labels give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression

from mlmon.errors import MlmonError
from mlmon.services.performance import PerfOptions, compute_performance
from mlmon.stats import cbpe
from test_perf_service import BIN, frame


def _held_back(d):
    return [(w["metrics"]["accuracy"], w["estimated"]["accuracy"], w["estimated_intervals"]["accuracy"])
            for w in d["windows"] if w["n"]]


def test_estimated_accuracy_agrees_with_realized_within_the_band_for_most_windows():
    # covariate shift (x moves), no concept drift: the setting CBPE is built for
    ref = frame(n=20000, seed=20)
    cur = frame(n=30000, shift=0.8, days=30, seed=21)
    d = compute_performance(cur, PerfOptions(**BIN, estimate=True), ref).to_dict()
    pairs = _held_back(d)
    assert len(pairs) == 30
    inside = [iv["lower"] <= real <= iv["upper"] for real, _, iv in pairs]
    assert sum(inside) >= 0.8 * len(pairs)  # a 95 % band: about 28-29 of 30 expected
    errors = [abs(real - est) for real, est, _ in pairs]
    assert np.mean(errors) < 0.02


def test_overconfident_model_is_recalibrated_and_then_estimates_well():
    rng = np.random.default_rng(22)

    def make(n, shift, seed):
        f = frame(n=n, shift=shift, days=10, seed=seed)
        f["p"] = f["p"] ** 0.4 / (f["p"] ** 0.4 + (1 - f["p"]) ** 0.4)  # squashed towards 0.5: miscalibrated
        return f

    ref, cur = make(20000, 0.0, 23), make(10000, 0.5, 24)
    d = compute_performance(cur, PerfOptions(**BIN, estimate=True), ref).to_dict()
    assert d["estimation"]["calibration"] == "isotonic"
    assert d["estimation"]["ece_calibrated"] < d["estimation"]["ece_raw"]
    pairs = _held_back(d)
    assert sum(iv["lower"] <= real <= iv["upper"] for real, _, iv in pairs) >= 0.8 * len(pairs)
    del rng


def test_concept_drift_breaks_the_estimate_as_documented():
    # labels flipped in the current period: realized accuracy falls, CBPE cannot see it
    ref = frame(n=10000, seed=25)
    cur = frame(n=5000, seed=26, noise=True)
    d = compute_performance(cur, PerfOptions(**BIN, estimate=True), ref).to_dict()
    real, est, _ = _held_back(d)[0]
    assert est - real > 0.1


def test_scores_outside_the_reference_range_flag_windows_unreliable():
    ref = frame(n=5000, seed=27)
    ref = ref[(ref.p > 0.2) & (ref.p < 0.8)]  # the reference never saw confident scores
    cur = frame(n=2000, shift=2.0, days=2, seed=28)
    d = compute_performance(cur, PerfOptions(**BIN, estimate=True), ref).to_dict()
    for w in d["windows"]:
        assert w["estimation"]["reliable"] is False
        assert "reference had almost none" in w["estimation"]["reasons"][0]


def test_unlabeled_windows_get_estimated_severity():
    ref = frame(n=10000, seed=29)
    cur = frame(n=3000, seed=30, days=3)
    cur["y"] = np.nan
    d = compute_performance(cur, PerfOptions(**BIN, estimate=True), ref).to_dict()
    for w in d["windows"]:
        assert w["metrics"] == {} and w["estimated"]["accuracy"] is not None
        assert w["severity_basis"] == "estimated"


def test_estimate_needs_class_probabilities_and_reference():
    with pytest.raises(MlmonError, match="one probability column per class"):
        compute_performance(frame(n=200), PerfOptions(**{**BIN, "task": "multiclass"}, estimate=True), frame(n=200))
    with pytest.raises(MlmonError, match="needs a labeled reference"):
        compute_performance(frame(n=200), PerfOptions(**BIN, estimate=True))
    with pytest.raises(MlmonError, match="at least 100 labeled reference rows"):
        compute_performance(frame(n=200), PerfOptions(**BIN, estimate=True), frame(n=50))


def test_isotonic_fit_equals_sklearn():
    rng = np.random.default_rng(31)
    s = np.round(rng.random(3000), 3)
    y = (rng.random(3000) < s ** 2).astype(float)
    ours = cbpe.isotonic_fit(s, y)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    grid = np.linspace(-0.1, 1.1, 500)
    assert np.abs(ours(grid) - theirs.predict(grid)).max() < 1e-12


def test_expected_confusion_matrix_by_hand():
    p = np.array([0.9, 0.6, 0.4, 0.2])
    yhat = np.array([1, 1, 0, 0])
    est = cbpe.estimate_binary(p, yhat, p, np.zeros(4, dtype=int), 1)
    tp, fp, fn, tn = 1.5, 0.5, 0.6, 1.4
    assert est.values["accuracy"][0] == pytest.approx((tp + tn) / 4)
    assert est.values["precision"][0] == pytest.approx(tp / (tp + fp))
    assert est.values["recall"][0] == pytest.approx(tp / (tp + fn))
    assert est.values["f1_score"][0] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    # expected AUC: all pairs (i, j), a row with itself included, s_i > s_j counting p_i (1 - p_j)
    # and ties half of it, over sum p * sum (1 - p): the area under the expected ROC curve
    pairs = sum(p[i] * (1 - p[j]) * (1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0)
                for i in range(4) for j in range(4))
    assert est.values["auc_roc"][0] == pytest.approx(pairs / (p.sum() * (1 - p).sum()))


def test_accuracy_band_matches_the_spread_of_simulated_labels():
    rng = np.random.default_rng(32)
    p = rng.beta(2, 2, 800)
    yhat = (p >= 0.5).astype(int)
    est = cbpe.estimate_binary(p, yhat, p, np.zeros(800, dtype=int), 1)
    sims = [((rng.random(800) < p).astype(int) == yhat).mean() for _ in range(3000)]
    half = (est.upper["accuracy"][0] - est.lower["accuracy"][0]) / 2
    assert half / 1.959963984540054 == pytest.approx(np.std(sims), rel=0.06)
    assert est.values["accuracy"][0] == pytest.approx(np.mean(sims), abs=0.002)


def test_frame_helper_is_calibrated():
    f = frame(n=50000, seed=33)
    assert cbpe.expected_calibration_error(f.p, f.y) < 0.01
    assert isinstance(f, pd.DataFrame)
