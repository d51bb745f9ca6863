"""Kernels behind the root-cause diagnostics, each against an independent computation
(statsmodels, scipy, numpy by hand) and, where there is an invariant, a property test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from statsmodels.stats.proportion import proportions_ztest

from mlmon.stats.association import association
from mlmon.stats.concept import correlation_change, intercept_offset, residual_shift
from mlmon.stats.scale_jump import scale_jump
from mlmon.stats.value_spike import default_spike, share_increase


# ------------------------------------------------------------------------------ scale jump

def test_a_unit_change_by_a_hundred_is_a_jump_of_two_decades():
    ref = np.random.default_rng(1).lognormal(3, 0.5, 500)
    j = scale_jump(ref, ref * 100)
    assert j.jumped and j.factor == 100.0
    assert j.log10_ratio == pytest.approx(2.0, abs=1e-12)
    assert j.spread_log10_ratio == pytest.approx(2.0, abs=1e-12)


def test_a_shift_of_location_is_not_a_scale_jump():
    ref = np.random.default_rng(2).normal(50, 10, 1000)
    assert not scale_jump(ref, ref + 30).jumped           # 1.6x the median, spread unchanged
    assert not scale_jump(ref, ref * 3).jumped            # a factor of 3 is not a power of ten


@settings(max_examples=60, deadline=None)
@given(st.integers(-3, 3), st.integers(0, 10_000), st.floats(0.1, 1e4))
def test_any_power_of_ten_rescale_is_found_with_its_factor(k, seed, scale):
    ref = np.random.default_rng(seed).gamma(2.0, scale, 200)
    j = scale_jump(ref, ref * 10.0 ** k)
    assert j.jumped == (k != 0)
    if k:
        assert j.factor == pytest.approx(10.0 ** k)


# ------------------------------------------------------------------------------ value spikes

@pytest.mark.parametrize("k_r,n_r,k_c,n_c", [(5, 1000, 300, 1000), (40, 2000, 55, 1500), (0, 300, 12, 400)])
def test_share_increase_matches_statsmodels_one_sided_pooled_z(k_r, n_r, k_c, n_c):
    z, p = proportions_ztest([k_c, k_r], [n_c, n_r], alternative="larger")
    s = share_increase(k_r, n_r, k_c, n_c)
    assert s.z == pytest.approx(z, rel=1e-12)
    assert s.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)
    assert s.difference == pytest.approx(k_c / n_c - k_r / n_r)


def test_a_default_fill_is_the_most_repeated_value_with_its_shares():
    ref = np.r_[np.arange(95, dtype=float), [np.nan] * 5]
    cur = np.r_[np.full(60, -1.0), np.arange(40, dtype=float)]
    d = default_spike(ref, cur)
    assert d.value == -1.0
    assert (d.reference_share, d.current_share) == (0.0, 0.6)
    assert d.p_value == pytest.approx(proportions_ztest([60, 0], [100, 100], alternative="larger")[1])


def test_a_categorical_default_keeps_its_text():
    d = default_spike(np.array(["a", "b", "c", "unknown"], dtype=object), np.array(["unknown"] * 3 + ["a"], dtype=object))
    assert (d.value, d.reference_share, d.current_share) == ("unknown", 0.25, 0.75)


# ------------------------------------------------------------------------------ concept tests

def test_residual_shift_is_welchs_t_test():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 200), rng.normal(0.3, 2, 150)
    ref = stats.ttest_ind(b, a, equal_var=False)
    m = residual_shift(a, b)
    assert (m.t, m.p_value) == (pytest.approx(ref.statistic, rel=1e-12), pytest.approx(ref.pvalue, rel=1e-12))
    assert m.difference == pytest.approx(b.mean() - a.mean())


def test_correlation_change_is_fishers_z_by_hand():
    rng = np.random.default_rng(4)
    x1, x2 = rng.normal(size=300), rng.normal(size=250)
    r1, r2 = 0.05 * x1 + rng.normal(size=300), 0.6 * x2 + rng.normal(size=250)
    c1, c2 = np.corrcoef(x1, r1)[0, 1], np.corrcoef(x2, r2)[0, 1]
    z = (math.atanh(c2) - math.atanh(c1)) / math.sqrt(1 / 247 + 1 / 297)
    c = correlation_change(x1, r1, x2, r2)
    assert (c.reference_r, c.current_r) == (pytest.approx(c1, rel=1e-12), pytest.approx(c2, rel=1e-12))
    assert c.z == pytest.approx(z, rel=1e-12)
    assert c.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def test_intercept_offset_is_the_log_prior_odds_ratio_under_pure_label_shift():
    # Saerens et al. (2002): with priors moved from pi to pi', the posterior's logit moves by
    # log(pi'/(1-pi')) - log(pi/(1-pi)); a constant probability pi is the extreme case.
    assert intercept_offset(np.full(10, 0.2), np.r_[np.ones(5), np.zeros(5)]) == pytest.approx(math.log(4.0), abs=1e-10)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 0.95))
def test_the_offset_makes_the_mean_probability_equal_the_observed_rate(seed, rate):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, 200)
    y = (rng.random(200) < rate).astype(float)
    if y.min() == y.max():
        return
    d = intercept_offset(p, y)
    assert special.expit(special.logit(p) + d).mean() == pytest.approx(y.mean(), abs=1e-9)


# ------------------------------------------------------------------------------ association

def test_numerical_association_is_absolute_spearman():
    rng = np.random.default_rng(5)
    x = rng.normal(size=400)
    s = -np.exp(x) + rng.normal(size=400)
    assert association(x, s) == pytest.approx(abs(stats.spearmanr(x, s).statistic), rel=1e-12)


def test_categorical_association_is_the_correlation_ratio():
    rng = np.random.default_rng(6)
    g = rng.integers(0, 4, 500)
    s = g * 0.3 + rng.normal(size=500)
    dummies = np.eye(4)[g]
    fitted = dummies @ np.linalg.lstsq(dummies, s, rcond=None)[0]
    r2 = 1 - ((s - fitted) ** 2).sum() / ((s - s.mean()) ** 2).sum()  # eta^2 = R^2 of one-way ANOVA
    assert association(g, s, categorical=True) == pytest.approx(math.sqrt(r2), rel=1e-10)
