"""Edges of CBPE's calibration choice and unseen-score share, and of the large-sample KS path,
each against an independent computation (scikit-learn's isotonic regression, scipy's
``ks_2samp``) or a hand count."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.isotonic import IsotonicRegression

from mlmon.stats import cbpe
from mlmon.stats.univariate import ks as ks_module


def _ece(p, y, n_bins=10):
    """Naeini et al. (2015), written out bin by bin."""
    total = 0.0
    for b in range(n_bins):
        inside = (np.minimum((p * n_bins).astype(int), n_bins - 1)) == b
        total += abs(y[inside].sum() - p[inside].sum())
    return total / p.size


def test_calibration_is_judged_on_out_of_fold_predictions_of_isotonic_fits():
    rng = np.random.default_rng(8)
    s = rng.random(3000)
    y = (rng.random(3000) < s ** 2).astype(int)  # overconfident scores
    # the folds: a permutation from default_rng(seed), modulo the number of folds
    fold = np.random.default_rng(0).permutation(s.size) % 5
    out = np.empty_like(s)
    for k in range(5):
        test = fold == k
        iso = IsotonicRegression(out_of_bounds="clip").fit(s[~test], y[~test])
        out[test] = iso.predict(s[test])
    choice = cbpe.choose_calibration(s, list(y))
    assert choice.ece_raw == pytest.approx(_ece(s, y), abs=1e-12)
    assert choice.ece_calibrated == pytest.approx(_ece(out, y), abs=1e-9)
    assert choice.calibrate is True
    assert choice.fit(np.array([0.5]))[0] == pytest.approx(IsotonicRegression(out_of_bounds="clip").fit(s, y).predict([0.5])[0])


def test_with_one_fold_nothing_is_fitted_out_of_fold_and_calibration_is_not_kept():
    # one fold: no data to fit on, the raw scores stand, equal ECEs: "lower" is not met
    rng = np.random.default_rng(9)
    s = rng.random(500)
    y = (rng.random(500) < s ** 2).astype(int)
    choice = cbpe.choose_calibration(s, y, n_folds=1)
    assert choice.ece_calibrated == choice.ece_raw == pytest.approx(_ece(s, y), abs=1e-12)
    assert choice.calibrate is False


@pytest.mark.parametrize("reference, current, share", [
    (np.linspace(0.955, 0.995, 50), [1.0, 0.999], 0.0),   # 1.0 belongs to the last bin, as 0.95..1 does
    (np.linspace(0.001, 0.049, 50), [0.0, 0.01], 0.0),    # the first bin starts at 0
    (np.linspace(0.001, 0.049, 50), [-0.2, 1.3], 0.5),    # out of range: clipped to the first and last bins
    (np.linspace(0.001, 0.049, 50), [0.5, 0.01, 0.02, 0.03], 0.25),
    (np.linspace(0.955, 0.995, 50), [0.92, 0.97], 0.5),   # the bin next to the last is a bin of its own
    (np.linspace(0.001, 0.049, 50), [0.07, 0.03], 0.5),   # and so is the second
])
def test_unseen_share_bins_scores_like_the_reference_clipping_at_both_ends(reference, current, share):
    current = np.asarray(current, dtype=float)
    got = cbpe.unseen_share(reference, current, np.zeros(current.size, dtype=int), 1)
    assert got.tolist() == [share]


@pytest.mark.parametrize("shift", [-0.04, 0.04])
@pytest.mark.parametrize("decimals", [None, 1])
def test_large_sample_ks_statistic_equals_scipys_whichever_side_is_larger(shift, decimals):
    # above 10 000 values the statistic comes from a merge of the sorted samples; the largest
    # gap lies on the reference's side for one shift and on the current's for the other
    rng = np.random.default_rng(12)
    ref, cur = rng.normal(0, 1, 12_000), rng.normal(shift, 1, 15_000)
    if decimals is not None:  # many ties
        ref, cur = np.round(ref, decimals), np.round(cur, decimals)
    expected = stats.ks_2samp(ref, cur, method="asymp").statistic
    assert ks_module.ks_statistic_sorted(np.sort(ref), np.sort(cur)) == pytest.approx(expected, abs=1e-12)
    assert ks_module.ks(ref, cur).statistic == pytest.approx(expected, abs=1e-12)
