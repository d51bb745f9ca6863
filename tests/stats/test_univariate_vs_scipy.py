"""Kernels agree with scipy's reference implementations, and the new variants with hand calculations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.stats import univariate as U

rng = np.random.default_rng(99)
REF = rng.normal(0, 1, 400)
CUR = rng.normal(0.2, 1.3, 350)
BIG_TIES_REF = np.round(rng.normal(0, 1, 20_000), 1)  # > 10 000: our own KS path, with ties
BIG_TIES_CUR = np.round(rng.normal(0.03, 1, 15_000), 1)


@pytest.mark.parametrize("ref, cur", [(REF, CUR), (BIG_TIES_REF, BIG_TIES_CUR)])
def test_ks_matches_ks_2samp(ref, cur):
    expected = stats.ks_2samp(ref, cur)
    for presorted in (False, True):
        r = U.get("ks")(np.sort(ref) if presorted else ref, np.sort(cur) if presorted else cur, U.NUMERICAL, presorted=presorted)
        assert r.statistic == expected.statistic
        assert r.score == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("ref, cur", [(REF, CUR), (BIG_TIES_REF, BIG_TIES_CUR), (REF, REF[:300] + 0.1)])
def test_wasserstein_and_energy_match_scipy(ref, cur):
    w = U.get("wasserstein")(ref, cur, U.NUMERICAL).score * max(np.std(ref), 0.001)
    assert w == pytest.approx(stats.wasserstein_distance(ref, cur), rel=1e-12)
    assert U.get("ed")(ref, cur, U.NUMERICAL).score == pytest.approx(stats.energy_distance(ref, cur), rel=1e-12)


def test_rank_and_moment_tests_match_scipy():
    cases = {
        "anderson": stats.anderson_ksamp([REF, CUR]),
        "cramer_von_mises": stats.cramervonmises_2samp(REF, CUR),
        "mannw": stats.mannwhitneyu(REF, CUR, alternative="less"),
        "t_test": stats.ttest_ind(REF, CUR),
        "es": stats.epps_singleton_2samp(REF, CUR),
    }
    for test_id, expected in cases.items():
        r = U.get(test_id)(REF, CUR, U.NUMERICAL)
        p = expected.pvalue
        assert r.score == pytest.approx(p, rel=1e-12), test_id
        assert r.statistic == pytest.approx(expected.statistic, rel=1e-12), test_id


def test_cramer_von_mises_exact_small_samples_match_scipy_closely():
    ref, cur = rng.normal(0, 1, 9), rng.normal(1, 1, 11)
    r = U.get("cramer_von_mises")(ref, cur, U.NUMERICAL)
    expected = stats.cramervonmises_2samp(ref, cur, method="exact")
    assert r.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert r.score == pytest.approx(expected.pvalue, abs=1e-8)  # Evidently's recursion vs scipy's


CODES_REF = rng.choice(4, 500, p=[0.4, 0.3, 0.2, 0.1])
CODES_CUR = rng.choice(4, 600, p=[0.35, 0.3, 0.2, 0.15])


def test_chisquare_matches_scipy_chisquare():
    ref, cur = np.bincount(CODES_REF), np.bincount(CODES_CUR)
    expected = stats.chisquare(cur, ref * cur.sum() / ref.sum())
    r = U.get("chisquare")(CODES_REF, CODES_CUR, U.CATEGORICAL)
    assert r.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert r.score == pytest.approx(expected.pvalue, rel=1e-12)


def test_g_test_matches_power_divergence_log_likelihood():
    cur = CODES_CUR[:500]
    expected = stats.power_divergence(np.bincount(cur), np.bincount(CODES_REF), lambda_="log-likelihood")
    r = U.get("g_test")(CODES_REF, cur, U.CATEGORICAL)
    assert r.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert r.score == pytest.approx(expected.pvalue, rel=1e-12)


def test_fisher_exact_matches_scipy():
    ref, cur = (CODES_REF[:200] > 1).astype(np.int64), (CODES_CUR[:200] > 0).astype(np.int64)
    table = [[np.sum(cur == 1), np.sum(cur == 0)], [np.sum(ref == 1), np.sum(ref == 0)]]
    odds, p = stats.fisher_exact(table)
    r = U.get("fisher_exact")(ref, cur, U.CATEGORICAL)
    assert r.score == pytest.approx(p, rel=1e-12) and r.statistic == pytest.approx(odds)


def test_chisquare_pooled_hand_calculation():
    # totals 90 80 16 7 7 of N = 200, both samples 100: expected cells 45 40 8 3.5 3.5;
    # the last two pool into "other" (expected 7): ref 50 40 6 4, cur 40 40 10 10, E = 45 40 8 7
    # chi2 = 2 (25/45 + 0 + 4/8 + 9/7) on 3 df
    ref = np.repeat([0, 1, 2, 3, 4], [50, 40, 6, 2, 2])
    cur = np.repeat([0, 1, 2, 3, 4], [40, 40, 10, 5, 5])
    r = U.get("chisquare_pooled")(ref, cur, U.CATEGORICAL)
    expected = 2 * (25 / 45 + 4 / 8 + 9 / 7)
    assert r.statistic == pytest.approx(expected, rel=1e-12)
    assert r.score == pytest.approx(stats.chi2.sf(expected, 3), rel=1e-12)
    table = [[50, 40, 6, 4], [40, 40, 10, 10]]
    assert r.score == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-12)


def test_chisquare_pooled_equals_chi2_contingency_when_nothing_is_sparse():
    r = U.get("chisquare_pooled")(CODES_REF, CODES_CUR, U.CATEGORICAL)
    table = [np.bincount(CODES_REF), np.bincount(CODES_CUR)]
    assert r.score == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-12)


def test_chisquare_pooled_does_not_alarm_on_one_new_rare_category():
    ref = rng.choice(3, 3000, p=[0.5, 0.3, 0.2])
    cur = np.append(rng.choice(3, 2999, p=[0.5, 0.3, 0.2]), 3)  # one row of a new category
    assert U.get("chisquare")(ref, cur, U.CATEGORICAL).score == 0.0  # Evidently's: infinite statistic
    assert not U.get("chisquare_pooled")(ref, cur, U.CATEGORICAL).drifted


def test_chisquare_pooled_pools_high_cardinality_categories():
    # 300 equally likely categories, ~3 rows each per sample: no drift, and no false alarm
    local = np.random.default_rng(4)
    ref, cur = local.integers(0, 300, 900), local.integers(0, 300, 900)
    assert not U.get("chisquare_pooled")(ref, cur, U.CATEGORICAL).drifted


def test_psi_quantile_hand_calculation():
    # reference 0..99: deciles cut at 9.9, 19.8, ..., 89.1, ten rows per bin.
    # current: all 100 rows at 95 -> last bin share 1, the nine others empty (1e-4).
    ref, cur = np.arange(100.0), np.full(100, 95.0)
    r_shares = np.full(10, 0.1)
    c_shares = np.append(np.full(9, 1e-4), 1.0)
    expected = np.sum((c_shares - r_shares) * np.log(c_shares / r_shares))
    assert U.get("psi_quantile")(ref, cur, U.NUMERICAL).score == pytest.approx(expected, rel=1e-12)


def test_psi_quantile_is_zero_for_identical_samples_and_ignores_an_outlier():
    ref = rng.normal(0, 1, 5000)
    assert U.get("psi_quantile")(ref, ref.copy(), U.NUMERICAL).score == 0.0
    cur = rng.normal(0.5, 1, 5000)
    base = U.get("psi_quantile")(ref, cur, U.NUMERICAL).score
    with_outlier = U.get("psi_quantile")(ref, np.append(cur, 1e9), U.NUMERICAL).score
    assert base >= 0.1 and abs(with_outlier - base) < 0.01
    assert U.get("psi")(ref, np.append(cur, 1e9), U.NUMERICAL).score < 0.1  # Evidently's bins collapse


@pytest.mark.parametrize("scale", [1e160, 1e200, 1e300])
def test_wasserstein_of_huge_values_is_scale_free_where_the_squares_overflow(scale):
    """np.std of values beyond about 1e154 overflows to inf, which scored every such column 0
    ("no drift", as Evidently does). The normed distance does not depend on the unit: the same
    columns times 1e200 score what they score as they are (scipy's distance over np.std), in a
    windowed run's prepared reference too."""
    from mlmon.stats.univariate.wasserstein import SortedReference, wasserstein_to_reference

    expected = stats.wasserstein_distance(REF, CUR) / np.std(REF)
    assert U.get("wasserstein")(REF * scale, CUR * scale, U.NUMERICAL).score == pytest.approx(expected, rel=1e-12)
    prepared = SortedReference(np.sort(REF * scale))
    assert prepared.std == pytest.approx(np.std(REF) * scale, rel=1e-12)
    assert wasserstein_to_reference(prepared, np.sort(CUR * scale)) / prepared.std == pytest.approx(expected, rel=1e-9)


def test_wasserstein_and_t_test_up_to_the_largest_floats():
    """Values spread over the whole float range (±1.7e308): differences, sums and squares overflow,
    and the scores came out NaN ("no drift"). Both tests are taken in a unit of 2**1024 (an exact
    division): the same scores as scipy on the values in that unit, and a three-deviation shift
    is found."""
    rng = np.random.default_rng(8)
    ref = rng.uniform(-1, 1, 3000) * 1.7e308
    same = rng.uniform(-1, 1, 2000) * 1.7e308
    moved = (rng.normal(0, 1, 2000) + 3) * 1e307
    def unit(x):
        return np.ldexp(x, -1024)  # x / 2**1024, exactly

    for cur in (same, moved):
        expected_w = stats.wasserstein_distance(unit(ref), unit(cur)) / np.std(unit(ref))
        assert U.get("wasserstein")(ref, cur, U.NUMERICAL).score == pytest.approx(expected_w, rel=1e-12)
        expected_t = stats.ttest_ind(unit(ref), unit(cur))
        t = U.get("t_test")(ref, cur, U.NUMERICAL)
        assert t.statistic == pytest.approx(expected_t.statistic, rel=1e-12)
        assert t.score == pytest.approx(expected_t.pvalue, rel=1e-9, abs=1e-300)
    assert not U.get("wasserstein")(ref, same, U.NUMERICAL).drifted
    big = rng.normal(0, 1, 3000) * 1e307
    assert U.get("wasserstein")(big, moved, U.NUMERICAL).drifted and U.get("t_test")(big, moved, U.NUMERICAL).drifted


def test_a_constant_huge_reference_keeps_the_floor_in_the_datas_own_unit():
    """Every reference value 2**665 (about 1.3e200, a power of two: its mean is exact, its
    deviation exactly 0): the score is the distance over the floor 0.001, in the data's unit,
    although the values are rescaled on the way."""
    a = 2.0 ** 665
    score = U.get("wasserstein")(np.full(50, a), np.full(40, 2 * a), U.NUMERICAL).score
    assert score == pytest.approx(a / 0.001, rel=1e-12)


@pytest.mark.parametrize("method", ["psi", "kl_div", "jensenshannon", "hellinger"])
def test_binned_tests_over_the_whole_float_range_score_as_in_a_smaller_unit(method):
    """Values spanning ±1.7e308: the Sturges range overflowed (PSI, KL, Jensen-Shannon skipped
    the column: "cannot convert float NaN to integer") and Hellinger's densities underflowed (a
    shifted column scored 1.0, an unmoved one NaN). Each score now equals the test on the same
    values divided by 2**1024 (exact), for an unmoved and for a moved column."""
    rng = np.random.default_rng(9)
    ref = rng.uniform(-1, 1, 3000) * 1.7e308
    for cur in (rng.uniform(-1, 1, 2000) * 1.7e308, rng.uniform(-0.2, 1, 2000) * 1.7e308):
        huge = U.get(method)(ref, cur, U.NUMERICAL)
        small = U.get(method)(np.ldexp(ref, -1024), np.ldexp(cur, -1024), U.NUMERICAL)
        assert np.isfinite(huge.score) and huge.score == small.score and huge.drifted == small.drifted


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 400), st.integers(1, 400), st.sampled_from([None, 0, 1, 2]),
       st.sampled_from([2, 8, 64]))
def test_wasserstein_of_unequal_samples_walked_in_pieces_equals_scipy(seed, nu, nv, decimals, piece):
    """Samples of unequal sizes are merged in pieces of MERGE_PIECE pooled values (cut at the
    larger sample's values, ties never split), so a million values a side keep 23 MB alive
    instead of 89 MB: the distance equals scipy's, with ties, empty pieces and one tiny side."""
    from mlmon.stats.univariate import wasserstein as W

    rng = np.random.default_rng(seed)
    us, vs = np.sort(rng.normal(0, 1, nu)), np.sort(rng.normal(0.3, 1.5, nv))
    if decimals is not None:
        us, vs = np.round(us, decimals), np.round(vs, decimals)
    saved = W.MERGE_PIECE
    try:
        W.MERGE_PIECE = piece
        got = W.wasserstein_distance_sorted(us, vs)
    finally:
        W.MERGE_PIECE = saved
    assert got == pytest.approx(stats.wasserstein_distance(us, vs), rel=1e-12, abs=1e-15)
