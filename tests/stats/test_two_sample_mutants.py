"""Welch's t, the two-proportion z-test, lifts and CUPED: every field, default and edge pinned.

Expected values from ``scipy.stats.ttest_ind(equal_var=False)``, statsmodels'
``proportions_ztest`` and hand computation (noted at each figure).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from mlmon.stats import two_sample


def refused(message):
    """The call raises ValueError with exactly ``message``."""
    return pytest.raises(ValueError, match="^" + re.escape(message) + "$")

Z975 = 1.959963984540054  # scipy.special.ndtri(0.975)
Z95 = 1.6448536269514722  # scipy.special.ndtri(0.95)


def test_welch_every_field_matches_scipy_and_hand():
    c, t = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0]
    ref = stats.ttest_ind(t, c, equal_var=False)  # t 2.25144, p 0.069134, df 5.5208
    r = two_sample.welch_t(c, t)
    assert (r.control_mean, r.treatment_mean, r.control_n, r.treatment_n) == (2.5, 6.0, 4, 5)
    assert r.difference == 3.5
    # se² = var_c/n_c + var_t/n_t = (5/3)/4 + 10/5 = 2.41667 (hand)
    assert r.standard_error == pytest.approx(math.sqrt(5 / 12 + 2), rel=1e-12)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert r.df == pytest.approx(ref.df, rel=1e-12)
    # df by hand: (5/12 + 2)² / ((5/12)²/3 + 2²/4) = 5.52079
    assert r.df == pytest.approx((5 / 12 + 2) ** 2 / ((5 / 12) ** 2 / 3 + 4 / 4), rel=1e-12)
    assert r.difference_ci == pytest.approx(tuple(ref.confidence_interval(0.95)), rel=1e-9)
    # relative lift 6/2.5 - 1 = 1.4; Var = v_t/2.5² + 2.4² v_c/2.5² (delta method, hand)
    se_lift = math.sqrt(2 + 2.4 ** 2 * 5 / 12) / 2.5
    assert r.relative_lift == pytest.approx(1.4, rel=1e-12)
    assert r.relative_lift_ci == pytest.approx((1.4 - Z975 * se_lift, 1.4 + Z975 * se_lift), rel=1e-12)


def test_welch_alpha_reaches_both_intervals():
    c, t = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0]
    ref = stats.ttest_ind(t, c, equal_var=False)
    r = two_sample.welch_t(c, t, alpha=0.1)
    assert r.difference_ci == pytest.approx(tuple(ref.confidence_interval(0.90)), rel=1e-9)
    se_lift = math.sqrt(2 + 2.4 ** 2 * 5 / 12) / 2.5
    assert r.relative_lift_ci == pytest.approx((1.4 - Z95 * se_lift, 1.4 + Z95 * se_lift), rel=1e-12)


def test_welch_with_two_observations_per_arm():
    # the smallest arms allowed: scipy gives t 0.894427, p 0.493133, df 1.470588
    ref = stats.ttest_ind([2.0, 6.0], [1.0, 3.0], equal_var=False)
    r = two_sample.welch_t([1.0, 3.0], [2.0, 6.0])
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert r.df == pytest.approx(ref.df, rel=1e-12)


@pytest.mark.parametrize("c, t", [([1.0], [1.0, 2.0, 3.0]), ([1.0, 2.0, 3.0], [4.0]), ([], [1.0, 2.0])])
def test_welch_refuses_an_arm_of_fewer_than_two(c, t):
    with refused("each arm needs at least two observations"):
        two_sample.welch_t(c, t)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning:scipy")
def test_welch_with_one_constant_arm_matches_scipy():
    # only the treatment varies: v_c = 0, df = n_t - 1 = 2 (hand), scipy agrees
    ref = stats.ttest_ind([1.0, 2.0, 6.0], [1.0, 1.0, 1.0], equal_var=False)
    r = two_sample.welch_t([1.0, 1.0, 1.0], [1.0, 2.0, 6.0])
    assert r.df == pytest.approx(2.0, rel=1e-12) == pytest.approx(ref.df, rel=1e-12)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    ref = stats.ttest_ind([5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 6.0], equal_var=False)
    r = two_sample.welch_t([1.0, 2.0, 6.0], [5.0, 5.0, 5.0, 5.0])
    assert r.df == pytest.approx(2.0, rel=1e-12) == pytest.approx(ref.df, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_welch_refuses_zero_variance_with_the_reason():
    with refused("both arms have zero variance"):
        two_sample.welch_t_from_stats(1.0, 0.0, 10, 2.0, 0.0, 10)


def test_welch_from_stats_equals_welch_on_the_rows():
    c, t = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0]
    a = two_sample.welch_t(c, t)
    b = two_sample.welch_t_from_stats(2.5, 5 / 3, 4, 6.0, 10.0, 5)
    assert b.statistic == pytest.approx(a.statistic, rel=1e-12)
    assert b.difference_ci == pytest.approx(a.difference_ci, rel=1e-12)
    assert b.relative_lift_ci == pytest.approx(a.relative_lift_ci, rel=1e-12)


def test_two_proportion_z_every_field():
    # 100/1000 against 130/1000: statsmodels proportions_ztest z 2.10274, p 0.035488
    z, p = proportions_ztest([130, 100], [1000, 1000])
    r = two_sample.two_proportion_z(100, 1000, 130, 1000)
    assert (r.control_mean, r.treatment_mean, r.control_n, r.treatment_n) == (0.1, 0.13, 1000, 1000)
    assert r.difference == pytest.approx(0.03, rel=1e-12)
    assert r.statistic == pytest.approx(z, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-9)
    assert r.df is None
    # unpooled se: sqrt(0.1*0.9/1000 + 0.13*0.87/1000) = 0.0142513 (hand)
    se = math.sqrt(0.09 / 1000 + 0.1131 / 1000)
    assert r.standard_error == pytest.approx(se, rel=1e-12)
    assert r.difference_ci == pytest.approx((0.03 - Z975 * se, 0.03 + Z975 * se), rel=1e-12)
    se_lift = math.sqrt(0.1131 / 1000 + 1.3 ** 2 * 0.09 / 1000) / 0.1
    assert r.relative_lift == pytest.approx(0.3, rel=1e-12)
    assert r.relative_lift_ci == pytest.approx((0.3 - Z975 * se_lift, 0.3 + Z975 * se_lift), rel=1e-12)


def test_two_proportion_z_alpha_and_unequal_arms():
    z, p = proportions_ztest([60, 100], [400, 1000])
    r = two_sample.two_proportion_z(100, 1000, 60, 400, alpha=0.1)
    assert r.statistic == pytest.approx(z, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-9)
    se = math.sqrt(0.1 * 0.9 / 1000 + 0.15 * 0.85 / 400)
    assert r.difference_ci == pytest.approx((0.05 - Z95 * se, 0.05 + Z95 * se), rel=1e-12)
    se_lift = math.sqrt(0.15 * 0.85 / 400 + 1.5 ** 2 * 0.1 * 0.9 / 1000) / 0.1
    assert r.relative_lift_ci == pytest.approx((0.5 - Z95 * se_lift, 0.5 + Z95 * se_lift), rel=1e-12)


def test_two_proportion_z_refuses_all_equal_outcomes_with_the_reason():
    with refused("both arms have zero variance (every outcome is the same)"):
        two_sample.two_proportion_z(100, 100, 50, 50)


def test_two_proportion_z_with_a_zero_control_rate_has_no_relative_lift():
    # 0/500 against 5/500: pooled rate 0.005, z = 0.01 / sqrt(0.005*0.995*2/500) (hand, statsmodels)
    z, _ = proportions_ztest([5, 0], [500, 500])
    r = two_sample.two_proportion_z(0, 500, 5, 500)
    assert r.statistic == pytest.approx(z, rel=1e-12)
    assert r.relative_lift is None and r.relative_lift_ci is None


def test_vectorised_z_pins_values_unequal_arms_and_zero_variance():
    # statsmodels proportions_ztest for the first two; the third has every outcome 0 (z := 0)
    got = two_sample.two_proportion_z_statistic(np.array([100, 100, 0]), 1000, np.array([60, 30, 0]), 400)
    assert got[0] == pytest.approx(proportions_ztest([60, 100], [400, 1000])[0], rel=1e-12)
    assert got[1] == pytest.approx(proportions_ztest([30, 100], [400, 1000])[0], rel=1e-12)
    assert got[2] == 0.0
    every = two_sample.two_proportion_z_statistic(np.array([1000]), 1000, np.array([400]), 400)
    assert every.tolist() == [0.0]


def test_vectorised_z_of_float32_counts_is_computed_in_double_precision():
    # statsmodels on the same counts; float32 arithmetic would be off by ~1e-7
    c = np.array([1_000_003.0], dtype=np.float32)
    t = np.array([1_020_011.0], dtype=np.float32)
    n_c, n_t = np.float32(9_000_001.0), np.float32(9_100_003.0)
    z = proportions_ztest([float(t[0]), float(c[0])], [float(n_t), float(n_c)])[0]
    got = two_sample.two_proportion_z_statistic(c, n_c, t, n_t)
    assert got.dtype == np.float64
    assert got[0] == pytest.approx(z, rel=1e-12)


def test_relative_lift_with_a_negative_control_mean_keeps_the_interval_ordered():
    # -0.12 / -0.10 - 1 = 0.2; se = sqrt(1e-4 + 1.44e-4) / |-0.1| (hand)
    lift, (lo, hi) = two_sample.relative_lift(-0.10, 1e-4, -0.12, 1e-4)
    se = math.sqrt(1e-4 + 1.44e-4) / 0.1
    assert lift == pytest.approx(0.2, rel=1e-12)
    assert (lo, hi) == pytest.approx((0.2 - Z975 * se, 0.2 + Z975 * se), rel=1e-12)
    assert lo < hi


def test_relative_lift_alpha():
    lift, (lo, hi) = two_sample.relative_lift(0.10, 1e-4, 0.12, 1e-4, alpha=0.1)
    se = math.sqrt(1e-4 + 1.44e-4) / 0.1
    assert (lo, hi) == pytest.approx((0.2 - Z95 * se, 0.2 + Z95 * se), rel=1e-12)


def test_relative_lift_on_a_vanishing_control_mean_is_infinite_without_a_warning():
    # ratio² overflows: se is inf, the interval (-inf, inf); a ratio that overflows itself leaves
    # inf - inf = nan for the lower end. No RuntimeWarning (errors under this test run).
    lift, (lo, hi) = two_sample.relative_lift(1e-200, 1e-4, 1.0, 1e-4)
    assert lift == pytest.approx(1e200, rel=1e-12)
    assert (lo, hi) == (-math.inf, math.inf)
    lift, (lo, hi) = two_sample.relative_lift(1e-300, 1e-4, 1e300, 1e-4)
    assert lift == math.inf and math.isnan(lo) and hi == math.inf


def test_cuped_by_hand():
    # x = [1, 2, 3, 5], y = [1, 2, 3, 4]: Sxy = 6.5, Sxx = 8.75, Syy = 5 (hand)
    r = two_sample.cuped([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0])
    theta = 6.5 / 8.75
    assert r.theta == pytest.approx(theta, rel=1e-12)
    assert r.adjusted == pytest.approx(np.array([1.0, 2.0, 3.0, 4.0]) - theta * (np.array([1.0, 2.0, 3.0, 5.0]) - 2.75),
                                       rel=1e-12)
    assert r.variance_reduction == pytest.approx(6.5 ** 2 / (8.75 * 5), rel=1e-12)


def test_cuped_on_a_small_scale_by_hand():
    # the same data divided by 10 (variances below one): theta unchanged, same reduction
    r = two_sample.cuped([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.5])
    assert r.theta == pytest.approx(6.5 / 8.75, rel=1e-12)
    assert r.variance_reduction == pytest.approx(6.5 ** 2 / (8.75 * 5), rel=1e-12)


def test_cuped_of_float32_data_is_computed_in_double_precision():
    y32 = np.array([1.1, 2.3, 2.9, 4.2, 5.0], dtype=np.float32)
    x32 = np.array([1.0, 2.2, 3.1, 5.3, 4.4], dtype=np.float32)
    y, x = y32.astype(np.float64), x32.astype(np.float64)
    slope = stats.linregress(x, y).slope  # the OLS slope on the same values in float64
    r = two_sample.cuped(y32, x32)
    assert r.adjusted.dtype == np.float64
    assert r.theta == pytest.approx(slope, rel=1e-13)
    assert r.adjusted == pytest.approx(y - slope * (x - x.mean()), rel=1e-13)
    assert r.variance_reduction == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2, rel=1e-13)


def test_cuped_of_a_constant_metric_reduces_nothing():
    r = two_sample.cuped([2.0, 2.0, 2.0], [1.0, 2.0, 4.0])
    assert r.theta == 0.0
    assert r.variance_reduction == 0.0
    assert r.adjusted.tolist() == [2.0, 2.0, 2.0]


def test_cuped_refuses_a_constant_covariate():
    with refused("the covariate is constant"):
        two_sample.cuped([1.0, 2.0, 3.0], [4.0, 4.0, 4.0])


def test_exact_binomial_bounds_at_the_edges():
    # P(X <= 0) = 0.99^100 and P(X >= 0) = 1, P(X >= 1) = 1 - 0.99^100 (hand)
    assert two_sample.one_sided_rate_below(0, 100, 0.01) == pytest.approx(0.99 ** 100, rel=1e-12)
    assert two_sample.one_sided_rate_above(0, 100, 0.01) == 1.0
    assert two_sample.one_sided_rate_above(1, 100, 0.01) == pytest.approx(1 - 0.99 ** 100, rel=1e-12)


def test_relative_lift_of_an_infinite_ratio_with_an_exact_control_is_undefined_without_a_warning():
    # ratio inf, var_c 0: inf² * 0 is nan, so the interval is (nan, nan); no RuntimeWarning
    lift, (lo, hi) = two_sample.relative_lift(1e-300, 0.0, 1e300, 1e-4)
    assert lift == math.inf and math.isnan(lo) and math.isnan(hi)


def test_welch_of_float32_samples_is_computed_in_double_precision():
    rng = np.random.default_rng(12)
    c32 = (1000.0 + rng.normal(0.0, 0.01, 200)).astype(np.float32)
    t32 = (1000.0 + rng.normal(0.002, 0.01, 300)).astype(np.float32)
    c, t = c32.astype(np.float64), t32.astype(np.float64)
    ref = stats.ttest_ind(t, c, equal_var=False)  # scipy on the same values in float64
    r = two_sample.welch_t(c32, t32)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert r.df == pytest.approx(ref.df, rel=1e-9)
