"""Edges of the root-cause kernels (stats/concept.py, association.py, scale_jump.py,
value_spike.py): small samples, constant sides, non-finite values, thresholds at their boundary,
with expected values from scipy, statsmodels and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats
from statsmodels.stats.proportion import proportions_ztest

from mlmon.stats.association import association
from mlmon.stats.concept import correlation_change, intercept_offset, residual_shift
from mlmon.stats.scale_jump import scale_jump
from mlmon.stats.value_spike import default_spike, share_increase

NAN = float("nan")


def same(a, b):
    """Equal floats, NaN equal to NaN."""
    return all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b))


# ---------------------------------------------------------------------------- concept


def test_residual_shift_drops_non_finite_values_before_welch():
    a = [0.1, -0.2, np.nan, 0.3, np.inf, 0.0]
    b = [0.5, 0.4, -np.inf, 0.9]
    want = stats.ttest_ind([0.5, 0.4, 0.9], [0.1, -0.2, 0.3, 0.0], equal_var=False)
    m = residual_shift(a, b)
    assert m.t == pytest.approx(want.statistic, rel=1e-12) and m.p_value == pytest.approx(want.pvalue, rel=1e-12)
    assert m.reference_mean == pytest.approx(0.05) and m.current_mean == pytest.approx(0.6)
    assert m.difference == pytest.approx(0.55)


@pytest.mark.parametrize("a, b, means", [([1.0], [2.0, 4.0], (1.0, 3.0)), ([1.0, 3.0], [5.0], (2.0, 5.0)),
                                         ([], [2.0, 4.0], (NAN, 3.0)), ([1.0, 3.0], [np.nan], (2.0, NAN))])
def test_residual_shift_needs_two_values_a_side(a, b, means):
    m = residual_shift(a, b)
    assert same((m.reference_mean, m.current_mean), means)
    assert same((m.difference,), (means[1] - means[0],))
    assert math.isnan(m.t) and math.isnan(m.p_value)


def test_residual_shift_with_two_values_a_side_is_welch():
    want = stats.ttest_ind([3.0, 5.0], [1.0, 2.0], equal_var=False)
    m = residual_shift([1.0, 2.0], [3.0, 5.0])
    assert m.t == pytest.approx(want.statistic, rel=1e-12) and m.p_value == pytest.approx(want.pvalue, rel=1e-12)


@pytest.mark.parametrize("n_ref, n_cur", [(7, 5), (3, 2), (10, 3), (2, 2)])
def test_two_constant_sides_of_one_value_show_no_shift_whatever_their_sizes(n_ref, n_cur):
    """Seven 0.1s average 0.09999999999999999 and five 0.1s average 0.1; Welch's t on that
    rounding gave t = 2.45, p = 0.0498, a "shift" between identical residuals."""
    m = residual_shift([0.1] * n_ref, [0.1] * n_cur)
    assert m == (0.1, 0.1, 0.0, 0.0, 1.0)


def test_residual_shift_of_two_constant_sides():
    assert residual_shift([0.5, 0.5, 0.5], [0.5, 0.5]) == (0.5, 0.5, 0.0, 0.0, 1.0)
    up = residual_shift([0.0, 0.0, 0.0], [0.5, 0.5])
    assert (up.t, up.p_value, up.difference) == (math.inf, 0.0, 0.5)
    down = residual_shift([0.5, 0.5], [0.0, 0.0, 0.0])
    assert (down.t, down.p_value, down.difference) == (-math.inf, 0.0, -0.5)


def test_correlation_change_with_four_pairs_a_side():
    # n = 4: the variance 1/(n-3) = 1 per side
    x = [1.0, 2.0, 3.0, 4.0]
    rr, rc = [1.0, 3.0, 2.0, 4.0], [4.0, 3.0, 1.0, 2.0]
    c1, c2 = stats.pearsonr(x, rr).statistic, stats.pearsonr(x, rc).statistic  # 0.8 and -0.8
    z = (math.atanh(c2) - math.atanh(c1)) / math.sqrt(2.0)
    c = correlation_change(x, rr, x, rc)
    assert (c.reference_r, c.current_r) == (pytest.approx(0.8), pytest.approx(-0.8))
    assert c.z == pytest.approx(z, rel=1e-12)
    assert c.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)


def test_correlation_change_unequal_sizes_weigh_each_side():
    rng = np.random.default_rng(12)
    x1, x2 = rng.normal(size=10), rng.normal(size=40)
    r1, r2 = x1 + rng.normal(size=10), -x2 + rng.normal(size=40)
    c1, c2 = stats.pearsonr(x1, r1).statistic, stats.pearsonr(x2, r2).statistic
    z = (math.atanh(c2) - math.atanh(c1)) / math.sqrt(1 / 37 + 1 / 7)
    c = correlation_change(x1, r1, x2, r2)
    assert c.z == pytest.approx(z, rel=1e-12) and c.z < 0
    assert c.p_value == pytest.approx(2 * special.ndtr(-abs(z)), rel=1e-12)


@pytest.mark.parametrize("n_ref, n_cur", [(3, 10), (10, 3)])
def test_correlation_change_needs_four_pairs_a_side(n_ref, n_cur):
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=n_ref), rng.normal(size=n_cur)
    r1 = x1 + rng.normal(size=n_ref)
    c = correlation_change(x1, r1, x2, x2)
    assert c.reference_r == pytest.approx(stats.pearsonr(x1, r1).statistic, rel=1e-12)
    assert c.current_r == pytest.approx(1.0)
    assert math.isnan(c.z) and math.isnan(c.p_value)
    assert not math.isnan(c.reference_r) and not math.isnan(c.current_r)


def test_correlation_change_drops_non_finite_pairs_and_reads_constant_sides_as_zero():
    x = [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]
    r = [0.1, 0.3, 0.2, np.inf, 0.2, 0.5]
    c = correlation_change(x, r, [1.0, 2.0, 3.0, 4.0, 5.0], [0.2] * 5)
    want = stats.pearsonr([1.0, 2.0, 4.0, 5.0], [0.1, 0.3, 0.2, 0.5]).statistic
    assert c.reference_r == pytest.approx(want, rel=1e-12)
    assert c.current_r == 0.0  # constant residual: no correlation, not nan
    z = (0.0 - math.atanh(want)) / math.sqrt(1 / 2 + 1 / 1)
    assert c.z == pytest.approx(z, rel=1e-12)
    # a constant feature too
    assert correlation_change([2.0] * 5, [0.1, 0.2, 0.3, 0.4, 0.5], x, r).reference_r == 0.0
    # one finite pair: nan correlation, nan test
    c = correlation_change([1.0, np.nan], [0.1, 0.2], [1.0, 2.0, 3.0, 4.0, 5.0], [0.1, 0.2, 0.3, 0.5, 0.4])
    assert math.isnan(c.reference_r) and math.isnan(c.z) and math.isnan(c.p_value)


def test_correlation_change_of_perfect_correlations_stays_finite():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    c = correlation_change(x, x, x, [-v for v in x])
    clip = 1 - 1e-12
    z = (math.atanh(-clip) - math.atanh(clip)) / math.sqrt(1 / 2 + 1 / 2)
    assert c.z == pytest.approx(z, rel=1e-6) and math.isfinite(c.z)
    assert c.p_value == pytest.approx(2 * special.ndtr(-abs(z)), rel=1e-6, abs=1e-300)
    c = correlation_change(x, [-v for v in x], x, x)
    assert c.z == pytest.approx(-z, rel=1e-6)


def test_intercept_offset_at_observed_rates_zero_and_one():
    assert intercept_offset([0.2, 0.4], [0, 0]) == -math.inf
    assert intercept_offset([0.2, 0.4], [1, 1]) == math.inf


def test_intercept_offset_is_solved_to_twelve_digits():
    # constant probability p: the offset is logit(rate) - logit(p) exactly
    d = intercept_offset(np.full(7, 0.3), [1, 1, 0, 0, 0, 0, 0])
    assert d == pytest.approx(special.logit(2 / 7) - special.logit(0.3), abs=1e-11)


def test_intercept_offset_clips_probabilities_to_one_in_a_million():
    # p = 0 and p = 1 become 1e-6 and 1 - 1e-6: with both, sigmoid(logit + d) averaged
    p, y = np.array([0.0, 1.0, 0.5]), np.array([1, 0, 0])
    d = intercept_offset(p, y)
    lg = special.logit(np.array([1e-6, 1 - 1e-6, 0.5]))
    assert special.expit(lg + d).mean() == pytest.approx(1 / 3, abs=1e-12)
    assert math.isfinite(d)
    # a large offset (beyond the +-14 of logit(1e-6)) is still found inside [-50, 50]
    d = intercept_offset(np.full(4, 1e-9), [1, 0, 0, 0])
    assert d == pytest.approx(special.logit(0.25) - special.logit(1e-6), abs=1e-9)


# ---------------------------------------------------------------------------- association


def test_association_needs_three_complete_pairs():
    assert association(np.array([1.0, 2.0]), np.array([0.1, 0.2])) == 0.0
    assert association(np.array([1.0, 2.0, np.nan, 3.0]), np.array([0.1, 0.2, 0.3, np.nan])) == 0.0
    assert association(np.array([0, 1]), np.array([0.1, 0.2]), categorical=True) == 0.0
    # three pairs: spearman of ranks (1, 2, 3) and (1, 3, 2) = 0.5
    assert association(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.3, 0.2])) == pytest.approx(0.5, rel=1e-12)


def test_association_drops_non_finite_pairs():
    x = np.array([1.0, 2.0, np.inf, 3.0, 4.0, 5.0])
    y = np.array([0.5, 0.1, 0.9, 0.3, -np.inf, 0.2])
    want = abs(stats.spearmanr([1.0, 2.0, 3.0, 5.0], [0.5, 0.1, 0.3, 0.2]).statistic)  # 0.4
    assert association(x, y) == pytest.approx(want, rel=1e-12)
    assert want == pytest.approx(0.4)


def test_association_of_a_constant_side_is_zero():
    assert association(np.array([1.0, 2.0, 3.0, 4.0]), np.full(4, 0.3)) == 0.0
    assert association(np.full(4, 2.0), np.array([0.1, 0.4, 0.2, 0.3])) == 0.0
    assert association(np.array(["a", "a", "a"], dtype=object), np.array([0.1, 0.4, 0.2]), categorical=True) == 0.0


def test_categorical_association_by_hand():
    # groups a: (0.1, 0.3), b: (0.8,); means .2 and .8, grand mean .4
    # between = 2 (.2 - .4)^2 + (.8 - .4)^2 = .24; total = .09 + .01 + .16 = .26
    codes = np.array(["a", "a", "b"], dtype=object)
    assert association(codes, np.array([0.1, 0.3, 0.8]), categorical=True) == pytest.approx(math.sqrt(0.24 / 0.26),
                                                                                             rel=1e-12)
    # a missing score drops its row; text codes (not numbers) are accepted as categories
    codes = np.array(["a", "a", "b", "b"], dtype=object)
    assert association(codes, np.array([0.1, 0.3, 0.8, np.nan]), categorical=True) == pytest.approx(
        math.sqrt(0.24 / 0.26), rel=1e-12)
    # every row its own category: eta = 1
    assert association(np.array([3, 1, 2]), np.array([0.1, 0.3, 0.8]), categorical=True) == pytest.approx(1.0)


def test_categorical_association_is_clipped_into_0_1():
    # groups of equal means: between sum is 0 up to rounding (can come out a hair below 0)
    codes = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([0.1, 0.7, 0.3, 0.5, 0.6, 0.2])
    assert association(codes, y, categorical=True) == pytest.approx(0.0, abs=1e-7)
    assert association(codes, y, categorical=True) >= 0.0
    assert association(np.arange(5), np.array([0.1, 0.7, 0.3, 0.5, 0.35]) * 1e8, categorical=True) <= 1.0


def test_numerical_association_is_an_absolute_value():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert association(x, np.array([0.4, 0.3, 0.2, 0.1])) == 1.0
    assert association(x, -np.array([0.1, 0.2, 0.4, 0.3])) == pytest.approx(0.8)


# ---------------------------------------------------------------------------- scale jump


def test_scale_jump_of_an_empty_or_zero_median_side_is_unknown():
    for ref, cur in [([], [1.0, 2.0]), ([1.0, 2.0], [np.nan]), ([0.0, 0.0, 5.0], [1.0, 2.0]),
                     ([1.0, 2.0], [0.0, 0.0, 3.0])]:
        j = scale_jump(ref, cur)
        assert same(j[:3], (NAN, NAN, NAN)) and j.jumped is False


def test_scale_jump_reads_medians_of_absolute_values_and_iqrs():
    ref = np.array([-10.0, 12.0, 15.0, -20.0, 30.0])  # |x| median 15; IQR: 12 - (-10) = 22
    cur = np.array([-1000.0, 1200.0, 1500.0, -2000.0, 3000.0, np.nan, np.inf])
    j = scale_jump(ref, cur)
    assert j.log10_ratio == pytest.approx(2.0, abs=1e-12)
    assert j.spread_log10_ratio == pytest.approx(2.0, abs=1e-12)
    assert j.factor == 100.0 and j.jumped is True
    # quartiles by numpy's linear rule: [1, 2, 3, 4] -> 3.25 - 1.75 = 1.5
    j = scale_jump([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 55.0])
    assert j.spread_log10_ratio == pytest.approx(math.log10((36.25 - 17.5) / 1.5), rel=1e-12)
    assert j.log10_ratio == pytest.approx(1.0, abs=1e-12)


def test_scale_jump_thresholds_at_their_boundary():
    ref = np.array([1.0, 2.0, 3.0])
    # location 10^0.8 with the same spread ratio: |loc| >= 0.8 but 0.2 from 1 decade: jumped
    j = scale_jump(ref, ref * 10 ** 0.8)
    assert j.log10_ratio == pytest.approx(0.8, abs=1e-12) and j.factor == 10.0
    assert j.jumped is (j.log10_ratio >= 0.8)
    assert scale_jump(ref, ref * 10 ** 0.79).jumped is False  # below min_log10
    assert scale_jump(ref, ref * 10 ** 0.85).jumped is True
    assert scale_jump(ref, ref * 10 ** 0.85, min_log10=0.9).jumped is False
    # 2.29 decades: within 0.3 of 2; 2.31 not; a wider tolerance accepts it
    assert scale_jump(ref, ref * 10 ** 2.29).jumped is True
    assert scale_jump(ref, ref * 10 ** 2.31).jumped is False
    assert scale_jump(ref, ref * 10 ** 2.31, tolerance=0.35).jumped is True
    # shrinking by a thousand: factor 0.001
    j = scale_jump(ref, ref / 1000)
    assert j.jumped is True and j.factor == pytest.approx(0.001) and j.log10_ratio == pytest.approx(-3.0)


def test_scale_jump_needs_the_spread_to_move_with_the_location():
    ref = np.array([90.0, 100.0, 110.0])  # median 100, IQR 10
    cur = np.array([9990.0, 10000.0, 10010.0])  # median x100, IQR 10 (unchanged)
    j = scale_jump(ref, cur)
    assert j.log10_ratio == pytest.approx(2.0) and j.spread_log10_ratio == pytest.approx(0.0, abs=1e-12)
    assert j.jumped is False
    # spread 10^0.29 off the location: still agrees; 10^0.31: not
    assert scale_jump(ref, 100 * 100 + (cur - 10000) * 10 ** 1.71).jumped is True
    assert scale_jump(ref, 100 * 100 + (cur - 10000) * 10 ** 1.69).jumped is False
    # an unknown spread (constant side) leaves the location to decide
    j = scale_jump(np.full(4, 3.0), np.full(4, 300.0))
    assert math.isnan(j.spread_log10_ratio) and j.jumped is True
    j = scale_jump(np.array([2.0, 3.0, 4.0]), np.full(4, 300.0))
    assert math.isnan(j.spread_log10_ratio) and j.jumped is True


# ---------------------------------------------------------------------------- value spike


@pytest.mark.parametrize("n_r, n_c", [(0, 10), (10, 0), (-1, 5)])
def test_share_increase_needs_rows_on_both_sides(n_r, n_c):
    with pytest.raises(ValueError, match=r"^both sides need at least one row$"):
        share_increase(0, n_r, 0, n_c)


def test_share_increase_with_one_row_a_side():
    s = share_increase(0, 1, 1, 1)
    z, p = proportions_ztest([1, 0], [1, 1], alternative="larger")
    assert (s.reference_share, s.current_share, s.difference) == (0.0, 1.0, 1.0)
    assert s.z == pytest.approx(z, rel=1e-12) and s.p_value == pytest.approx(p, rel=1e-12)


def test_share_increase_with_equal_shares_is_no_evidence():
    s = share_increase(0, 10, 0, 20)
    assert (s.z, s.p_value) == (0.0, 0.5)


def test_default_spike_counts_missing_rows_in_the_shares():
    ref = np.array([1.0, 2.0, np.nan, np.nan])
    cur = np.array([7.0, 7.0, 7.0, np.nan, 1.0])
    d = default_spike(ref, cur)
    assert (d.value, d.reference_share, d.current_share) == (7.0, 0.0, 0.6)
    z, p = proportions_ztest([3, 0], [5, 4], alternative="larger")
    assert d.z == pytest.approx(z, rel=1e-12) and d.p_value == pytest.approx(p, rel=1e-12)


def test_default_spike_breaks_ties_by_the_least_value_and_reads_the_reference_share():
    d = default_spike(np.array([3, 3, 5, 5, 5]), np.array([5, 3, 5, 3]))
    assert d.value == 3.0 and type(d.value) is float
    assert (d.reference_share, d.current_share) == (0.4, 0.5)


def test_default_spike_on_integers_and_booleans_compares_numbers():
    d = default_spike(np.array([True, False, False]), np.array([1.0, 1.0, 0.0]))
    assert (d.value, d.reference_share, d.current_share) == (1.0, pytest.approx(1 / 3), pytest.approx(2 / 3))
    d = default_spike(np.array([0, 1, 2, 3], dtype=np.int64), np.array([2, 2, 2, 1], dtype=np.uint8))
    assert (d.value, d.reference_share, d.current_share) == (2.0, 0.25, 0.75)


def test_default_spike_on_text_treats_none_and_nan_as_missing():
    ref = np.array(["", "x", None, np.nan], dtype=object)
    cur = np.array(["", "", None, "x", np.nan, ""], dtype=object)
    d = default_spike(ref, cur)
    assert (d.value, d.reference_share, d.current_share) == ("", 0.25, 0.5)
    z, p = proportions_ztest([3, 1], [6, 4], alternative="larger")
    assert d.z == pytest.approx(z, rel=1e-12) and d.p_value == pytest.approx(p, rel=1e-12)
    # numbers against text: compared as text
    d = default_spike(np.array([1, 2, 2]), np.array(["2", "2", "1"], dtype=object))
    assert (d.value, d.reference_share, d.current_share) == ("2", pytest.approx(2 / 3), pytest.approx(2 / 3))


def test_default_spike_without_current_values_or_reference_rows():
    for ref, cur in [(np.array([1.0, 2.0]), np.array([np.nan, np.nan])), (np.array([], dtype=float), np.array([1.0])),
                     (np.array(["a"], dtype=object), np.array([None], dtype=object))]:
        d = default_spike(ref, cur)
        assert d.value is None and same(d[1:], (NAN, NAN, NAN, NAN))
    # a reference of only missing rows is a reference of rows: share 0
    d = default_spike(np.array([np.nan, np.nan]), np.array([4.0, 4.0]))
    assert (d.value, d.reference_share, d.current_share) == (4.0, 0.0, 1.0)


# ---------------------------------------------------------------------------- more edges


def test_categorical_association_of_distinct_categories_is_exactly_one():
    # every row its own category: between == total; floating sums make the ratio 1 + 2e-16 here
    y = np.array([-126.54, -62.33, 4.13, -232.5, -21.88])
    assert association(np.arange(5), y, categorical=True) == 1.0


def test_association_with_a_range_of_exactly_one():
    # ranges of 1 are ordinary ranges (a guard on "constant" must not read them as constant)
    x = np.array([0.0, 0.25, 0.5, 1.0])
    y = np.array([0.0, 0.5, 0.25, 1.0])
    want = abs(stats.spearmanr(x, y).statistic)  # 0.8
    assert association(x, y) == pytest.approx(want, rel=1e-12) and want == pytest.approx(0.8)
    # group means .25 and .625, grand mean .4375: between 2 (.1875^2) 2 = .140625, total .546875
    assert association(np.array([0, 0, 1, 1]), y, categorical=True) == pytest.approx(math.sqrt(0.140625 / 0.546875),
                                                                                     rel=1e-12)


def test_association_reads_none_as_missing_and_bool_features_as_numbers():
    y = [0.1, None, 0.3, 0.2, 0.5]
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    want = abs(stats.spearmanr([1.0, 3.0, 4.0, 5.0], [0.1, 0.3, 0.2, 0.5]).statistic)
    assert association(x, y) == pytest.approx(want, rel=1e-12)
    xb = np.array([False, True, True, False, True])
    ys = np.array([0.1, 0.9, 0.7, 0.2, 0.8])
    assert association(xb, ys) == pytest.approx(abs(stats.spearmanr(xb.astype(float), ys).statistic), rel=1e-12)


def test_pearson_of_two_pairs_and_of_ranges_of_one():
    # two pairs: a correlation of +-1 (the test itself needs four)
    c = correlation_change([1.0, 2.0], [0.1, 0.3], [1.0, 2.0], [0.3, 0.1])
    assert (c.reference_r, c.current_r) == (pytest.approx(1.0), pytest.approx(-1.0)) and math.isnan(c.z)
    # two pairs, one side constant: 0, not nan
    c = correlation_change([1.0, 1.0], [0.1, 0.3], [1.0, 2.0], [0.2, 0.2])
    assert (c.reference_r, c.current_r) == (0.0, 0.0)
    # features and residuals spanning exactly 1
    x, r = [0.0, 0.5, 1.0, 0.25, 0.75], [0.0, 1.0, 0.5, 0.25, 0.5]
    want = stats.pearsonr(x, r).statistic
    c = correlation_change(x, r, x, r)
    assert c.reference_r == pytest.approx(want, rel=1e-12) and c.z == 0.0 and c.p_value == 1.0


def test_concept_kernels_read_none_as_missing_and_accept_bool_features():
    m = residual_shift([0.1, None, -0.1, 0.3], [0.4, 0.5, None])
    want = stats.ttest_ind([0.4, 0.5], [0.1, -0.1, 0.3], equal_var=False)
    assert m.t == pytest.approx(want.statistic, rel=1e-12)
    xb = [False, True, True, False, True, False]
    r = [0.1, None, 0.7, 0.2, 0.8, 0.3]
    c = correlation_change(xb, r, xb, [0.3, 0.1, 0.2, 0.3, 0.1, 0.2])
    want = stats.pearsonr([0.0, 1.0, 0.0, 1.0, 0.0], [0.1, 0.7, 0.2, 0.8, 0.3]).statistic
    assert c.reference_r == pytest.approx(want, rel=1e-12)
    assert c.current_r == pytest.approx(stats.pearsonr([0, 1, 1, 0, 1, 0], [0.3, 0.1, 0.2, 0.3, 0.1, 0.2]).statistic)


def test_scale_jump_limits_are_inclusive():
    ref = np.array([1.0, 2.0, 3.0])
    # location ratio exactly 100 (2 decades): a jump at min_log10 = 2, none above it
    assert scale_jump(ref, ref * 100, min_log10=2.0).jumped is True
    assert scale_jump(ref, ref * 100, min_log10=2.0000001).jumped is False
    # 2.2 decades: 0.2 from the nearest power; a tolerance of exactly that distance accepts it
    j = scale_jump(ref, ref * 10 ** 2.2)
    off = abs(j.log10_ratio - 2)
    assert off == pytest.approx(0.2, abs=1e-12)
    assert scale_jump(ref, ref * 10 ** 2.2, tolerance=off).jumped is True
    assert scale_jump(ref, ref * 10 ** 2.2, tolerance=off - 1e-9).jumped is False
    # the spread 0.25 decades off a whole location ratio: a tolerance of exactly that accepts it
    base = np.array([90.0, 100.0, 110.0])
    cur = 10000 + (base - 100) * 10 ** 2.25
    j = scale_jump(base, cur)
    gap = abs(j.spread_log10_ratio - j.log10_ratio)
    assert j.log10_ratio == 2.0 and gap == pytest.approx(0.25, abs=1e-12)
    assert scale_jump(base, cur, tolerance=gap).jumped is True
    assert scale_jump(base, cur, tolerance=gap * (1 - 1e-9)).jumped is False


def test_scale_jump_spreads_below_one_are_spreads():
    ref = np.array([0.01, 0.02, 0.03])  # IQR 0.01
    j = scale_jump(ref, ref * 100)  # IQR 1.0
    assert j.spread_log10_ratio == pytest.approx(2.0, abs=1e-12) and j.jumped is True
    j = scale_jump(ref * 100, ref)  # current IQR 0.01
    assert j.spread_log10_ratio == pytest.approx(-2.0, abs=1e-12) and j.factor == pytest.approx(0.01)


def test_scale_jump_of_one_value_a_side_and_none_as_missing():
    j = scale_jump([2.0], [200.0])
    assert j.log10_ratio == pytest.approx(2.0) and math.isnan(j.spread_log10_ratio) and j.jumped is True
    j = scale_jump([1.0, None, 2.0, 3.0], [100.0, 200.0, None, 300.0])
    assert j.log10_ratio == pytest.approx(2.0) and j.spread_log10_ratio == pytest.approx(2.0) and j.jumped is True


def test_default_spike_with_one_value_on_a_side():
    d = default_spike(np.array([5.0]), np.array([5.0, np.nan, 1.0, 1.0]))
    assert (d.value, d.reference_share, d.current_share) == (1.0, 0.0, 0.5)
    d = default_spike(np.array([5.0, 1.0, 2.0]), np.array([1.0, np.nan]))
    assert (d.value, d.reference_share, d.current_share) == (1.0, pytest.approx(1 / 3), 0.5)
    z, p = proportions_ztest([1, 1], [2, 3], alternative="larger")
    assert d.z == pytest.approx(z, rel=1e-12) and d.p_value == pytest.approx(p, rel=1e-12)


def test_eta_is_at_most_one_when_rounding_pushes_the_ratio_above():
    # distinct categories: between / total comes out 1 + 4.4e-16 here; eta is clipped to 1
    y = np.array([-4.38, -2.07, -3.34, 0.57, -2.93])
    assert association(np.arange(5), y, categorical=True) == 1.0


def test_float32_scores_are_read_in_float64():
    y32 = np.array([0.1, 0.3, 0.8, 0.35, 0.77, 0.12], dtype=np.float32)
    g = np.array([0, 0, 1, 1, 2, 2])
    assert association(g, y32, categorical=True) == association(g, y32.astype(np.float64), categorical=True)


def test_scale_jump_with_a_constant_reference_lets_the_location_decide():
    j = scale_jump(np.full(4, 3.0), np.array([200.0, 300.0, 300.0, 400.0]))
    assert math.isnan(j.spread_log10_ratio) and j.log10_ratio == pytest.approx(2.0) and j.jumped is True
