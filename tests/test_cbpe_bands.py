"""CBPE's precision, recall and F1 bands (delta method, :mod:`mlmon.stats.cbpe`): finite,
ordered around the estimate, as wide as the spread of the realized values over simulated label
draws, and covering them about 95 % of the time. Labels are drawn as the estimator assumes
(each row positive with its calibrated probability), so the bands must hold exactly here."""

from __future__ import annotations

import numpy as np
import pytest

from mlmon.stats import cbpe
from mlmon.stats.classification import hanley_mcneil_se
from mlmon.stats.intervals import Z95

WINDOW = 800
# three windows with different score distributions: balanced, mostly positive, mostly negative
SHAPES = ((2, 2), (5, 2), (1, 4))
SIMULATIONS = 3000


@pytest.fixture(scope="module")
def labels():
    """The windows' probabilities and the realized metrics of simulated label draws (no package
    code here: each test calls the estimator itself, so its calls are the test's own)."""
    rng = np.random.default_rng(41)
    p = np.concatenate([rng.beta(a, b, WINDOW) for a, b in SHAPES])
    yhat = (p >= 0.5).astype(int)
    groups = np.repeat(np.arange(len(SHAPES)), WINDOW)
    y = rng.random((SIMULATIONS, p.size)) < p  # realized labels, one draw per row
    pred = yhat.astype(bool)
    realized = {name: np.empty((SIMULATIONS, len(SHAPES))) for name in ("precision", "recall", "f1_score")}
    for w in range(len(SHAPES)):
        cols = groups == w
        tp = (y[:, cols] & pred[cols]).sum(axis=1)
        fp = (~y[:, cols] & pred[cols]).sum(axis=1)
        fn = (y[:, cols] & ~pred[cols]).sum(axis=1)
        realized["precision"][:, w] = tp / (tp + fp)
        realized["recall"][:, w] = tp / (tp + fn)
        realized["f1_score"][:, w] = 2 * tp / (2 * tp + fp + fn)
    return p, yhat, groups, realized


@pytest.fixture
def simulated(labels):
    p, yhat, groups, realized = labels
    return cbpe.estimate_binary(p, yhat, p, groups, len(SHAPES)), realized


@pytest.mark.parametrize("name", ["precision", "recall", "f1_score"])
def test_bands_are_finite_and_ordered_around_the_estimate(simulated, name):
    est, _ = simulated
    lower, value, upper = est.lower[name], est.values[name], est.upper[name]
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)), (lower, upper)
    assert np.all(lower <= value) and np.all(value <= upper), (lower, value, upper)
    assert np.all(upper - lower > 0)


@pytest.mark.parametrize("name", ["precision", "recall", "f1_score"])
def test_band_width_matches_the_spread_of_simulated_realized_values(simulated, name):
    est, realized = simulated
    half = (est.upper[name] - est.lower[name]) / 2
    # 3000 draws: the sample standard deviation is within about 3 % of the true one
    assert half / Z95 == pytest.approx(realized[name].std(axis=0), rel=0.08)
    assert est.values[name] == pytest.approx(realized[name].mean(axis=0), abs=0.005)


@pytest.mark.parametrize("name", ["precision", "recall", "f1_score"])
def test_bands_cover_the_realized_value_about_95_percent_of_the_time(simulated, name):
    est, realized = simulated
    inside = (est.lower[name] <= realized[name]) & (realized[name] <= est.upper[name])
    coverage = inside.mean(axis=0)
    assert np.all((0.92 <= coverage) & (coverage <= 0.98)), coverage


def test_the_auc_band_is_hanley_mcneils_with_the_expected_class_counts(labels):
    p, yhat, groups, _ = labels
    est = cbpe.estimate_binary(p, yhat, p, groups, len(SHAPES))
    assert est.n.tolist() == [WINDOW] * len(SHAPES)
    for w in range(len(SHAPES)):
        q = p[groups == w]
        se = hanley_mcneil_se(est.values["auc_roc"][w], q.sum(), (1 - q).sum())
        assert est.lower["auc_roc"][w] == pytest.approx(est.values["auc_roc"][w] - Z95 * se, abs=1e-12)
        assert est.upper["auc_roc"][w] == pytest.approx(min(1.0, est.values["auc_roc"][w] + Z95 * se), abs=1e-12)


def test_bands_are_clipped_to_zero_and_one():
    # window 0: twenty rows nearly sure positives, all predicted positive: precision about 0.97
    # with a band reaching past 1; window 1: twenty unlikely positives predicted positive:
    # precision about 0.03 with a band reaching below 0
    p = np.concatenate([np.linspace(0.94, 0.99, 20), np.linspace(0.01, 0.05, 20)])
    groups = np.repeat([0, 1], 20)
    est = cbpe.estimate_binary(p, np.ones(40, dtype=int), p, groups, 2)
    assert est.upper["precision"][0] == 1.0 and est.lower["precision"][1] == 0.0
    for name in ("accuracy", "precision", "recall", "f1_score"):
        assert np.all((0.0 <= est.lower[name]) & (est.upper[name] <= 1.0)), name
