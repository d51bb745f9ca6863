"""Drift tests on counts (stats/from_counts.py) against scipy, statsmodels and hand computation:
each count formula, its default threshold and its drift rule at the threshold, the KS bounds from
histograms and CDFs, Smirnov's p-value and the weighted Wasserstein distance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from statsmodels.stats.proportion import proportions_ztest

from mlmon.stats import from_counts as fc
from mlmon.stats.from_counts import Bounded

REF3 = np.array([30, 50, 20])
CUR3 = np.array([10, 60, 30])


# ---------------------------------------------------------------------------- count tests


def test_chisquare_counts_rescales_the_reference_to_the_current_size_as_scipy():
    ref, cur = np.array([40, 35, 25]), np.array([10, 30, 40])  # 100 rows against 80
    want = stats.chisquare(cur, ref * cur.sum() / ref.sum())
    r = fc.chisquare_counts(ref, cur)
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12)  # 35.267857142857...
    assert r.statistic == pytest.approx(35.26785714285714, rel=1e-12)
    assert r.score == pytest.approx(want.pvalue, rel=1e-9)
    assert r.drifted is True


def test_chisquare_counts_default_threshold_is_005_and_drift_is_p_below_it():
    ref, cur = np.array([50, 50]), np.array([45, 55])
    p = stats.chisquare([45, 55], [50, 50]).pvalue  # 0.3173
    r = fc.chisquare_counts(ref, cur)
    assert r.score == pytest.approx(p, rel=1e-12) and r.drifted is False
    assert fc.chisquare_counts(ref, cur, threshold=0.32).drifted is True
    assert fc.chisquare_counts(ref, cur, threshold=r.score).drifted is False  # p < threshold, strictly
    # p = 0.0455 (statistic 4): drifted at the default 0.05, not at 0.04
    r = fc.chisquare_counts(np.array([50, 50]), np.array([40, 60]))
    assert r.score == pytest.approx(stats.chi2.sf(4.0, 1), rel=1e-12)
    assert r.drifted is True and fc.chisquare_counts(np.array([50, 50]), np.array([40, 60]), 0.04).drifted is False


def test_z_counts_is_statsmodels_pooled_two_proportion_z():
    ref, cur = np.array([40, 60]), np.array([10, 70])  # non-first shares 60/100 and 70/80
    z, p = proportions_ztest([60, 70], [100, 80])
    r = fc.z_counts(ref, cur)
    assert r.statistic == pytest.approx(z, rel=1e-12)  # -4.0931
    assert r.score == pytest.approx(p, rel=1e-9)
    assert r.drifted is True


def test_z_counts_default_threshold_and_strict_rule():
    ref, cur = np.array([50, 50]), np.array([45, 55])
    z, p = proportions_ztest([50, 55], [100, 100])  # p = 0.4795
    r = fc.z_counts(ref, cur)
    assert (r.statistic, r.score) == (pytest.approx(z, rel=1e-12), pytest.approx(p, rel=1e-9))
    assert r.drifted is False
    assert fc.z_counts(ref, cur, threshold=0.5).drifted is True
    assert fc.z_counts(ref, cur, threshold=r.score).drifted is False
    # p = 0.0389: drifted at the default 0.05
    z, p = proportions_ztest([50, 64], [100, 100])
    r = fc.z_counts(np.array([50, 50]), np.array([36, 64]))
    assert r.score == pytest.approx(p, rel=1e-9) and 0.03 < r.score < 0.05 and r.drifted is True


def test_z_counts_on_one_category_is_no_evidence():
    r = fc.z_counts(np.array([7]), np.array([9]))
    assert (r.score, r.drifted, r.statistic) == (1.0, False, 0.0)
    assert fc.z_counts(np.array([7]), np.array([9]), threshold=1.0).drifted is False  # Evidently: 1 < threshold


def test_z_counts_with_no_variance_gives_nan_without_warning():
    # every row in the first category on both sides: pooled share 0, 0/0 -> nan p, not drifted
    r = fc.z_counts(np.array([5, 0]), np.array([8, 0]))
    assert math.isnan(r.statistic) and math.isnan(r.score) and r.drifted is False


def test_g_test_counts_is_scipys_log_likelihood_power_divergence():
    ref, cur = np.array([40, 35, 25]), np.array([30, 50, 20])
    want = stats.power_divergence(cur, ref, lambda_="log-likelihood")
    r = fc.g_test_counts(ref, cur)
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12)  # 9.4808, 2 degrees of freedom
    assert r.score == pytest.approx(want.pvalue, rel=1e-9)
    assert r.score == pytest.approx(stats.chi2.sf(want.statistic, 2), rel=1e-9)
    assert r.drifted is True


def test_g_test_counts_default_threshold_is_01():
    ref, cur = np.array([50, 50]), np.array([42, 58])
    want = stats.power_divergence([42, 58], [50, 50], lambda_="log-likelihood")  # p = 0.1088
    r = fc.g_test_counts(ref, cur)
    assert r.score == pytest.approx(want.pvalue, rel=1e-9) and 0.1 < r.score < 0.12
    assert r.drifted is False
    assert fc.g_test_counts(ref, cur, threshold=0.11).drifted is True
    assert fc.g_test_counts(ref, cur, threshold=r.score).drifted is False
    r = fc.g_test_counts(np.array([50, 50]), np.array([41, 59]))  # p = 0.0718
    assert 0.05 < r.score < 0.1 and r.drifted is True


@pytest.mark.parametrize("cur", [[40, 61], [40, 59], [1, 1]])
def test_g_test_counts_refuses_sides_of_different_sizes(cur):
    with pytest.raises(ValueError, match="same size"):
        fc.g_test_counts(np.array([50, 50]), np.array(cur))


def test_g_test_counts_accepts_sizes_equal_up_to_rounding():
    ref, cur = np.array([0.1, 0.2]), np.array([0.2, 0.1 + 1e-17])  # sums 0.30000000000000004 and 0.3
    r = fc.g_test_counts(ref, cur)
    assert r.statistic == pytest.approx(2 * (0.2 * math.log(2) + 0.1 * math.log(0.5)), rel=1e-9)


def test_shares_divide_by_each_sides_size_and_fill_zeroes_on_request():
    r, c = fc.shares(np.array([0, 4, 4]), np.array([1, 1, 2]), 8.0, 4.0, False)
    assert r.tolist() == [0.0, 0.5, 0.5] and c.tolist() == [0.25, 0.25, 0.5]
    r, c = fc.shares(np.array([0, 4, 4]), np.array([1, 1, 2]), 8.0, 4.0, True)
    assert r.tolist() == [0.0001, 0.5, 0.5] and c.tolist() == [0.25, 0.25, 0.5]


def test_psi_counts_by_hand():
    r, c = REF3 / 100, CUR3 / 100
    want = float(np.sum((r - c) * np.log(r / c)))  # 0.27850
    s = fc.psi_counts(REF3, CUR3)
    assert s.score == pytest.approx(want, rel=1e-12) and s.drifted is True and s.statistic is None


def test_psi_kl_and_js_with_an_empty_bin_by_hand():
    ref, cur = np.array([0, 50, 50]), np.array([20, 40, 40])
    r = np.array([1e-4, 0.5, 0.5])  # Evidently fills an empty share with 1e-4 (the least share 0.5 > 1e-4)
    c = np.array([0.2, 0.4, 0.4])
    assert fc.psi_counts(ref, cur).score == pytest.approx(float(np.sum((r - c) * np.log(r / c))), rel=1e-12)
    rn, cn = r / r.sum(), c / c.sum()
    assert fc.kl_div_counts(ref, cur).score == pytest.approx(float(np.sum(rn * np.log(rn / cn))), rel=1e-12)
    # Jensen-Shannon does not fill: scipy's distance on the plain shares
    assert fc.jensenshannon_counts(ref, cur).score == pytest.approx(jensenshannon([0, 0.5, 0.5], c), rel=1e-12)


def test_kl_div_counts_is_scipys_relative_entropy_of_the_shares():
    s = fc.kl_div_counts(REF3, CUR3 * 3)
    assert s.score == pytest.approx(stats.entropy(REF3, CUR3), rel=1e-12)  # 0.15733
    assert s.drifted is True


def test_jensenshannon_counts_is_scipys_distance():
    s = fc.jensenshannon_counts(REF3, CUR3 * 2)
    assert s.score == pytest.approx(jensenshannon(REF3 / 100, CUR3 / 100), rel=1e-12)  # 0.18295
    assert s.drifted is True


def test_hellinger_counts_by_hand():
    s = fc.hellinger_counts(REF3, CUR3 * 2)
    want = math.sqrt(1 - sum(math.sqrt(a / 100 * b / 100) for a, b in zip(REF3, CUR3)))  # 0.18473
    assert s.score == pytest.approx(want, rel=1e-12) and s.drifted is True
    assert fc.hellinger_counts(REF3, REF3 * 7).score == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("func", [fc.psi_counts, fc.jensenshannon_counts, fc.kl_div_counts, fc.hellinger_counts])
def test_distance_counts_default_threshold_01_and_drift_at_or_above(func):
    ref, cur = np.array([50, 50]), np.array([40, 60])
    score = func(ref, cur).score  # psi 0.0811, js 0.0709, kl 0.0204, hellinger 0.0711: all below 0.1
    assert 0 < score < 0.1 and func(ref, cur).drifted is False
    assert func(ref, cur, threshold=score).drifted is True  # score >= threshold
    assert func(ref, cur, threshold=score * 1.0001).drifted is False
    big = func(np.array([50, 50]), np.array([10, 90]))
    assert big.score > 0.1 and big.drifted is True


def test_hellinger_density_on_equal_width_bins_by_hand():
    edges = np.array([0.0, 2.0, 4.0, 6.0])
    ref, cur = np.array([2, 1, 1]), np.array([1, 1, 2])
    # densities ref/4/2 and cur/4/2; Bhattacharyya sum sqrt(f g) * width 2
    bc = sum(math.sqrt(a / 4 / 2 * b / 4 / 2) * 2 for a, b in zip(ref, cur))
    r = fc.hellinger_density(ref, cur, edges)
    assert r.score == pytest.approx(math.sqrt(1 - bc), rel=1e-12)  # 0.2261
    assert r.drifted is True and r.statistic is None
    assert fc.hellinger_density(ref, cur, edges, threshold=0.3).drifted is False
    assert fc.hellinger_density(ref, cur, edges, threshold=r.score).drifted is True


def test_hellinger_density_multiplies_by_the_mean_bin_width():
    # Evidently multiplies every term by (max - min) / bins, not by the bin's own width
    edges = np.array([0.0, 1.0, 4.0])
    ref, cur = np.array([1, 1]), np.array([1, 3])
    f, g = np.array([0.5 / 1, 0.5 / 3]), np.array([0.25 / 1, 0.75 / 3])
    bc = float(np.sum(np.sqrt(f * g))) * 2.0
    assert fc.hellinger_density(ref, cur, edges).score == pytest.approx(math.sqrt(1 - min(bc, 1)), abs=1e-12)
    # a zero-width bin holds no density
    r = fc.hellinger_density(np.array([1, 1, 2]), np.array([1, 1, 2]), np.array([0.0, 0.0, 1.0, 2.0]))
    bw = 2.0 / 3
    bc = 0 + math.sqrt(0.25 * 0.25) * bw + math.sqrt(0.5 * 0.5) * bw  # 0.5
    assert r.score == pytest.approx(math.sqrt(1 - bc), rel=1e-12)


def test_hellinger_scores_clip_the_bhattacharyya_sum_to_one():
    # equal densities on uneven bins: the mean width overstates the sum beyond 1, the score is 0
    edges = np.array([0.0, 1.0, 4.0])
    assert fc.hellinger_density(np.array([1, 1]), np.array([1, 1]), edges).score == 0.0


# ---------------------------------------------------------------------------- CDF distances


def test_bounded_error_bound_is_the_larger_distance_to_an_end():
    assert Bounded(0.3, 0.25, 0.32).error_bound == pytest.approx(0.05)
    assert Bounded(0.3, 0.29, 0.4).error_bound == pytest.approx(0.1)
    assert Bounded(0.3, 0.3, 0.3).error_bound == 0.0
    assert Bounded(0.5, 0.6, 0.4).error_bound == 0.0  # never negative
    assert isinstance(Bounded(1, 0, 3).error_bound, float)


def test_ks_from_histograms_by_hand():
    # shares p = [.5, .5, 0], q = [0, .5, .5]; G after each bin = [.5, .5, 0]
    b = fc.ks_from_histograms(np.array([5, 5, 0]), np.array([0, 5, 5]))
    assert (b.estimate, b.low, b.high) == (0.5, 0.5, 1.0)
    b = fc.ks_from_histograms(np.array([5, 5, 0]), np.array([0, 5, 5]), np.array([True, True, True]))
    assert (b.estimate, b.low, b.high) == (0.5, 0.5, 0.5)


def test_ks_from_histograms_upper_bound_uses_before_plus_p_and_q_minus_before():
    # p = [.2, .3, .5], q = [.4, .4, .2]; G after = [-.2, -.3, 0], before = [0, -.2, -.3]
    ref, cur = np.array([2, 3, 5]), np.array([4, 4, 2])
    b = fc.ks_from_histograms(ref, cur)
    assert b.low == pytest.approx(0.3)
    # before + p = [.2, .1, .2]; q - before = [.4, .6, .5]: the upper bound is 0.6 (second bin)
    assert b.high == pytest.approx(0.6)
    # the second bin a single value: the third bin's q - before = 0.5 is the bound
    assert fc.ks_from_histograms(ref, cur, np.array([False, True, False])).high == pytest.approx(0.5)
    # mirrored sides: before + p carries the bound
    b = fc.ks_from_histograms(cur, ref)
    assert (b.low, b.high) == (pytest.approx(0.3), pytest.approx(0.6))
    assert fc.ks_from_histograms(cur, ref, np.array([False, True, False])).high == pytest.approx(0.5)


def test_ks_from_histograms_low_is_scipys_statistic_on_single_values():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 6, 200), rng.integers(1, 7, 150)
    keys = np.arange(0, 7)
    ref = np.array([(x == k).sum() for k in keys])
    cur = np.array([(y == k).sum() for k in keys])
    b = fc.ks_from_histograms(ref, cur, np.ones(keys.size, dtype=bool))
    d = stats.ks_2samp(x, y).statistic
    assert (b.estimate, b.low, b.high) == (pytest.approx(d, abs=1e-12),) * 3


def test_ks_from_histograms_caps_the_upper_bound_at_one():
    b = fc.ks_from_histograms(np.array([0, 10]), np.array([10, 0]))
    assert (b.low, b.high) == (1.0, 1.0)


def test_ks_from_cdfs_widens_by_both_rank_errors_within_0_1():
    b = fc.ks_from_cdfs(np.array([0.5, 1.0]), np.array([0.2, 1.0]), 0.01, 0.02)
    assert (b.estimate, b.low, b.high) == (pytest.approx(0.3), pytest.approx(0.27), pytest.approx(0.33))
    b = fc.ks_from_cdfs(np.array([0.5, 0.9]), np.array([0.45, 0.9]), 0.03, 0.04)
    assert (b.estimate, b.low, b.high) == (pytest.approx(0.05), 0.0, pytest.approx(0.12))
    b = fc.ks_from_cdfs(np.array([0.0, 1.0]), np.array([0.95, 1.0]), 0.03, 0.04)
    assert (b.estimate, b.high) == (pytest.approx(0.95), 1.0)
    b = fc.ks_from_cdfs(np.array([]), np.array([]), 0.01, 0.02)
    assert (b.estimate, b.low, b.high) == (0.0, 0.0, pytest.approx(0.03))


def test_intersect_keeps_the_named_side_when_the_bounds_do_not_meet():
    a, b = Bounded(0.5, 0.45, 0.55), Bounded(0.2, 0.2, 0.3)
    assert fc.intersect(a, b) == b
    assert fc.intersect(a, b, keep="a") == a
    # they meet: a's estimate moved into the common interval
    assert fc.intersect(Bounded(0.5, 0.25, 0.55), b) == Bounded(0.3, 0.25, 0.3)
    assert fc.intersect(Bounded(0.1, 0.05, 0.25), b, keep="a") == Bounded(0.2, 0.2, 0.25)
    # touching intervals meet in one point
    assert fc.intersect(Bounded(0.3, 0.3, 0.4), b) == Bounded(0.3, 0.3, 0.3)


@pytest.mark.parametrize("n_ref, n_cur", [(20000, 20000), (30000, 12000), (12000, 30000), (50000, 11000)])
def test_ks_pvalue_is_scipys_asymptotic_ks_2samp(n_ref, n_cur):
    rng = np.random.default_rng(n_ref + n_cur)
    x, y = rng.normal(0, 1, n_ref), rng.normal(0.02, 1, n_cur)
    want = stats.ks_2samp(x, y, method="asymp")
    assert fc.ks_pvalue(want.statistic, n_ref, n_cur) == pytest.approx(want.pvalue, rel=1e-9)
    # the effective size is round(m n / (m + n))
    en = round(n_ref * n_cur / (n_ref + n_cur))
    assert fc.ks_pvalue(0.01, n_ref, n_cur) == pytest.approx(stats.kstwo.sf(0.01, en), rel=1e-12)


def test_ks_pvalue_by_kolmogorovs_limit():
    # sqrt(en) D = 1: the Kolmogorov distribution's tail 2 sum (-1)^(k-1) exp(-2 k^2) = 0.26999967
    assert fc.ks_pvalue(0.01, 20000, 20000) == pytest.approx(0.2699996716735, abs=2e-3)
    assert fc.ks_pvalue(0.0, 100, 100) == 1.0
    assert fc.ks_pvalue(1.0, 100, 100) == 0.0


def test_wasserstein_weighted_is_scipys_weighted_distance():
    rng = np.random.default_rng(11)
    xa, xb = np.sort(rng.normal(0, 1, 40)), np.sort(rng.normal(0.5, 2, 30))
    wa, wb = rng.integers(1, 9, 40), rng.integers(1, 9, 30)
    got = fc.wasserstein_weighted(xa, wa, xb, wb)
    assert got == pytest.approx(stats.wasserstein_distance(xa, xb, wa, wb), rel=1e-12)


def test_wasserstein_weighted_by_hand():
    # half the mass at 0 and 1 against half at 1 and 3: |G| = .5 on [0, 1], 0 on [1, 1], .5 on [1, 3]
    got = fc.wasserstein_weighted(np.array([0.0, 1.0]), np.array([2, 2]), np.array([1.0, 3.0]), np.array([1, 1]))
    assert got == pytest.approx(1.5, abs=1e-15)
    # unequal weights normalised per side: 0.25 of a at 0 and 0.75 at 2 against all of b at 2
    got = fc.wasserstein_weighted(np.array([0.0, 2.0]), np.array([1, 3]), np.array([2.0]), np.array([5]))
    assert got == pytest.approx(0.5, abs=1e-15)
    # b's first point before a's: ordering over both sides
    got = fc.wasserstein_weighted(np.array([5.0]), np.array([1]), np.array([1.0, 2.0]), np.array([1, 1]))
    assert got == pytest.approx(3.5, abs=1e-15)


# ---------------------------------------------------------------------------- more edges


@pytest.mark.parametrize("func", [fc.chisquare_counts, fc.g_test_counts, fc.hellinger_counts])
def test_float32_counts_give_the_float64_result(func):
    # counts may come as float32 estimates: the kernels compute in float64 all the same
    ref, cur = np.array([40, 35, 25]), np.array([30, 50, 20])
    want = func(ref.astype(np.float64), cur.astype(np.float64))
    for r, c in [(ref.astype(np.float32), cur), (ref, cur.astype(np.float32))]:
        got = func(r, c)
        assert got.score == want.score and got.statistic == want.statistic


def test_hellinger_counts_of_equal_shares_is_zero_despite_rounding():
    # the Bhattacharyya sum of these equal shares rounds to 1 + 2.2e-16: clipped to 1, score 0
    x = np.array([41.0, 25.0, 14.0, 28.0, 12.0])
    assert fc.hellinger_counts(x, x).score == 0.0


def test_z_counts_on_one_category_follows_evidentlys_rule_1_below_threshold():
    assert fc.z_counts(np.array([7]), np.array([9]), threshold=1.5).drifted is True


def test_g_test_size_check_is_relative_with_a_tolerance_of_sqrt_eps():
    half = 2.0 ** 26
    # sizes 2^27 and 2^27 + 1: relative gap 2^-27 < sqrt(eps) = 2^-26: accepted
    r = fc.g_test_counts(np.array([half, half]), np.array([half, half + 1]))
    g = 2 * (half + 1) * math.log1p(1 / half)  # 2 sum cur ln(cur / ref), the first term 0
    assert r.statistic == pytest.approx(g, rel=1e-9)
    # relative gap exactly sqrt(eps) = 2^-26: still accepted (refused only above it)
    r = fc.g_test_counts(np.array([half / 2, half / 2]), np.array([half / 2, half / 2 + 1]))
    assert r.statistic == pytest.approx(2 * (half / 2 + 1) * math.log1p(2 / half), rel=1e-9)
    # tiny fractional counts 25 % apart are refused, whatever their scale
    with pytest.raises(ValueError, match=r"^G-test compares raw counts: reference and current must have the same size$"):
        fc.g_test_counts(np.array([1e-5, 1e-5]), np.array([1.5e-5, 1e-5]))


def test_ks_from_histograms_upper_bound_never_exceeds_one_after_rounding():
    # these shares sum past 1 in floating point: before + p at the last bin is 1 + 2.2e-16
    b = fc.ks_from_histograms(np.array([49, 12, 21, 8, 22, 26, 15]), np.array([0, 0, 0, 0, 0, 0, 5]))
    assert b.high == 1.0 and b.low == pytest.approx(1 - 15 / 153, abs=1e-12)


def test_ks_from_histograms_upper_bound_is_never_below_the_lower():
    # the largest gap sits between two single-value bins; the only interval bin allows less
    b = fc.ks_from_histograms(np.array([10, 0, 0]), np.array([0, 5, 5]), np.array([True, True, False]))
    assert (b.estimate, b.low, b.high) == (1.0, 1.0, 1.0)
    # point marks given as 0/1 integers
    b = fc.ks_from_histograms(np.array([2, 3, 5]), np.array([4, 4, 2]), np.array([0, 1, 0]))
    assert (b.low, b.high) == (pytest.approx(0.3), pytest.approx(0.5))


def test_ks_from_histograms_reads_float32_counts_in_float64():
    ref, cur = np.array([1, 1, 1], dtype=np.float32), np.array([0, 1, 2], dtype=np.float32)
    b = fc.ks_from_histograms(ref, cur)
    # G after each bin: 1/3, 1/3, 0 (float64), before + p at bin 2 = 2/3
    assert b.low == 1 / 3 + 0.0 and b.high == float(np.float64(1 / 3) + np.float64(1 / 3))


def test_wasserstein_weighted_reads_float32_weights_in_float64():
    x = np.array([0.0, 1.0, 2.0])
    w32 = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    # a third of the mass at each point against all at 0: W = (2/3) 1 + (1/3) 1 = 1 in float64
    assert stats.wasserstein_distance(x, [0.0], [1.0, 1.0, 1.0], [1.0]) == pytest.approx(1.0, abs=1e-15)
    want = fc.wasserstein_weighted(x, w32.astype(np.float64), np.array([0.0]), np.array([1.0]))
    assert want == pytest.approx(1.0, abs=1e-15)
    assert fc.wasserstein_weighted(x, w32, np.array([0.0]), np.array([1.0], dtype=np.float32)) == want
    assert fc.wasserstein_weighted(np.array([0.0]), np.array([1.0], dtype=np.float32), x, w32) == want


def test_hellinger_density_reads_float32_counts_in_float64():
    edges = np.array([0.0, 2.0, 4.0, 6.0])
    ref, cur = np.array([3, 1, 3]), np.array([1, 5, 3])  # shares in sevenths and ninths: not exact in float32
    want = fc.hellinger_density(ref.astype(np.float64), cur.astype(np.float64), edges).score
    assert fc.hellinger_density(ref.astype(np.float32), cur, edges).score == want
    assert fc.hellinger_density(ref, cur.astype(np.float32), edges).score == want


def test_ks_from_histograms_reads_float32_current_counts_in_float64():
    ref, cur = np.array([1, 1, 1, 1, 3]), np.array([3, 1, 1, 1, 1], dtype=np.float32)  # sevenths
    want = fc.ks_from_histograms(ref, cur.astype(np.float64))
    got = fc.ks_from_histograms(ref, cur)
    assert (got.low, got.high) == (want.low, want.high)

