"""Two-sample kernels of the A/B analysis against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from mlmon.stats import srm, two_sample


def test_welch_matches_scipy_ttest_ind_unequal_variances():
    rng = np.random.default_rng(7)
    c, t = rng.normal(10, 2, 300), rng.normal(10.4, 3.5, 450)
    ref = stats.ttest_ind(t, c, equal_var=False)
    got = two_sample.welch_t(c, t)
    assert got.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert got.df == pytest.approx(ref.df, rel=1e-12)
    lo, hi = ref.confidence_interval(0.95)
    assert got.difference_ci == pytest.approx((lo, hi), rel=1e-9)


def test_two_proportion_z_matches_statsmodels_proportions_ztest():
    z, p = proportions_ztest([1234, 1100], [10000, 10050])
    got = two_sample.two_proportion_z(1100, 10050, 1234, 10000)
    assert got.statistic == pytest.approx(z, rel=1e-12)
    assert got.p_value == pytest.approx(p, rel=1e-9)
    # unpooled Wald interval of the difference, by hand
    pc, pt = 1100 / 10050, 1234 / 10000
    se = np.sqrt(pc * (1 - pc) / 10050 + pt * (1 - pt) / 10000)
    assert got.difference_ci == pytest.approx((pt - pc - 1.959963984540054 * se, pt - pc + 1.959963984540054 * se))


def test_vectorised_z_statistic_equals_the_scalar_test():
    counts_t = np.array([1234, 1000, 990])
    z = two_sample.two_proportion_z_statistic(np.array([1100, 1000, 1010]), 10000, counts_t, 10000)
    for i in range(3):
        assert z[i] == pytest.approx(two_sample.two_proportion_z([1100, 1000, 1010][i], 10000, counts_t[i], 10000).statistic)


def test_relative_lift_delta_method_by_hand():
    # lift 0.2; var = 1e-4/0.01 + 0.0144*1e-4/1e-4 = 0.01 + 0.0144
    lift, (lo, hi) = two_sample.relative_lift(0.10, 1e-4, 0.12, 1e-4)
    se = np.sqrt(0.01 + 0.0144)
    assert lift == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.2 - 1.959963984540054 * se, 0.2 + 1.959963984540054 * se))
    assert two_sample.relative_lift(0.0, 1e-4, 0.1, 1e-4) == (None, None)


def test_relative_lift_interval_covers_the_true_lift_about_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    reps, n = 4000, 2000
    hits = 0
    for _ in range(reps):
        c, t = rng.normal(10, 3, n), rng.normal(11, 3, n)
        r = two_sample.welch_t(c, t)
        hits += r.relative_lift_ci[0] <= 0.1 <= r.relative_lift_ci[1]
    assert abs(hits / reps - 0.95) < 0.012  # 3.5 binomial standard errors


def test_cuped_theta_is_the_ols_slope_and_keeps_the_mean():
    rng = np.random.default_rng(11)
    x = rng.normal(5, 2, 1000)
    y = 3 + 0.7 * x + rng.normal(0, 1, 1000)
    r = two_sample.cuped(y, x)
    assert r.theta == pytest.approx(stats.linregress(x, y).slope, rel=1e-12)
    assert r.adjusted.mean() == pytest.approx(y.mean(), rel=1e-12)
    assert r.variance_reduction == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2, rel=1e-9)


def test_zero_variance_in_both_arms_is_refused():
    with pytest.raises(ValueError):
        two_sample.welch_t([1.0, 1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        two_sample.two_proportion_z(0, 100, 0, 100)


def test_exact_binomial_bound_tests_match_scipy_binomtest():
    assert two_sample.one_sided_rate_below(3, 2000, 0.01) == pytest.approx(
        stats.binomtest(3, 2000, 0.01, alternative="less").pvalue, rel=1e-12)
    assert two_sample.one_sided_rate_above(31, 2000, 0.01) == pytest.approx(
        stats.binomtest(31, 2000, 0.01, alternative="greater").pvalue, rel=1e-12)


def test_srm_matches_scipy_chisquare():
    obs = [5020, 4870, 10240]
    ref = stats.chisquare(obs, f_exp=np.array([0.25, 0.25, 0.5]) * sum(obs))
    got = srm.sample_ratio_mismatch(obs, [1, 1, 2])
    assert got.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert not got.mismatch


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=40), st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=40))
def test_swapping_the_arms_negates_the_statistic_and_keeps_the_p_value(a, b):
    if np.var(a) == 0 and np.var(b) == 0:
        return
    ab, ba = two_sample.welch_t(a, b), two_sample.welch_t(b, a)
    assert ab.statistic == pytest.approx(-ba.statistic, rel=1e-9, abs=1e-12)
    assert ab.p_value == pytest.approx(ba.p_value, rel=1e-9, abs=1e-15)
    assert 0 <= ab.p_value <= 1
