"""Edges of the univariate tests that the registry-wide comparisons leave open, each against
scipy: default thresholds, unsorted numbers, the exact refusals (messages included), scipy's
size tolerance for the G-test, a constant column in Fisher's test, the Epps-Singleton IQR
guard and the exact Cramér-von Mises p-value where its frequency table is integer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlmon.stats.univariate import cramer_von_mises as cvm_module
from mlmon.stats.univariate import g_test as g_module
from mlmon.stats.univariate.es import es
from mlmon.stats.univariate.fisher_exact import fisher_exact
from mlmon.stats.univariate.g_test import g_test



def _g_scipy(ref_counts, cur_counts):
    return stats.power_divergence(cur_counts, ref_counts, lambda_="log-likelihood")


def test_g_test_default_threshold_is_one_tenth_and_numbers_need_no_sorting():
    ref = np.array([3.0, 1.0, 2.0, 1.0, 3.0, 3.0, 2.0, 1.0, 1.0, 2.0] * 5)
    cur = np.array([1.0, 3.0, 2.0, 2.0, 3.0, 1.0, 3.0, 3.0, 2.0, 1.0] * 5)
    want = _g_scipy(np.array([20, 15, 15]), np.array([15, 15, 20]))
    r = g_test(ref, cur, "numerical")
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert r.score == pytest.approx(want.pvalue, rel=1e-12)
    assert 0.1 < r.score < 1.0 and r.drifted is False
    assert g_test(ref, cur, "numerical", 0.5).drifted is True


def test_g_test_refuses_different_sizes_with_scipys_tolerance(monkeypatch):
    with pytest.raises(ValueError, match="^G-test compares raw counts: reference and current must have the same size$"):
        g_test(np.array([0, 1, 1]), np.array([0, 1]))
    # scipy's power_divergence accepts totals within a relative sqrt(eps) = 2**-26: 2**26 against 2**26 + 1
    # is exactly at the tolerance and accepted; 1 in 2**25 is not
    big = 2 ** 26
    monkeypatch.setattr(g_module, "discrete_counts",
                        lambda r, c, t, p: (np.array([big // 2, big // 2]), np.array([big // 2, big // 2 + 1])))
    r = g_test(None, None)
    want = _g_scipy(np.array([big // 2, big // 2], dtype=float), np.array([big // 2, big // 2 + 1], dtype=float))
    assert r.statistic == pytest.approx(want.statistic, rel=1e-6)
    monkeypatch.setattr(g_module, "discrete_counts",
                        lambda r, c, t, p: (np.array([big // 4, big // 4]), np.array([big // 4, big // 4 + 1])))
    with pytest.raises(ValueError, match="same size"):
        g_test(None, None)


def test_fisher_default_threshold_and_refusals():
    ref = np.array([0] * 6 + [1] * 4)
    cur = np.array([0] * 4 + [1] * 6)
    want = stats.fisher_exact([[6, 4], [4, 6]])
    r = fisher_exact(ref, cur)
    assert r.score == pytest.approx(want.pvalue, rel=1e-12) and r.statistic == pytest.approx(want.statistic)
    assert r.score > 0.1 and r.drifted is False
    with pytest.raises(ValueError, match="^Fisher's exact test needs reference and current of equal length$"):
        fisher_exact(ref, cur[:-1])
    with pytest.raises(ValueError, match="^Fisher's exact test needs binary data: found more than 2 categories$"):
        fisher_exact(np.array([0, 1, 2]), np.array([0, 1, 1]))


def test_fisher_on_numbers_needs_no_sorting():
    ref = np.array([5.0, 2.0, 5.0, 2.0, 2.0, 2.0, 5.0, 2.0])
    cur = np.array([5.0, 5.0, 2.0, 5.0, 5.0, 5.0, 2.0, 5.0])
    want = stats.fisher_exact([[6, 2], [3, 5]])  # rows current, reference; columns the larger value, the smaller
    r = fisher_exact(ref, cur, "numerical")
    assert r.score == pytest.approx(want.pvalue, rel=1e-12)
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12)


def test_fisher_on_a_constant_column_is_scipys_table_of_zeros():
    # one value everywhere: the table is [[0, n], [0, n]]: p = 1, odds ratio undefined (NaN), as scipy says
    want = stats.fisher_exact([[0, 10], [0, 10]])
    r = fisher_exact(np.zeros(10, dtype=int), np.zeros(10, dtype=int))
    assert r.score == want.pvalue == 1.0
    assert math.isnan(want.statistic) and math.isnan(r.statistic)


def test_es_default_threshold_and_iqr_guard():
    rng = np.random.default_rng(8)
    ref = rng.normal(0, 1, 60)
    cur = rng.normal(0, 1, 60)
    want = stats.epps_singleton_2samp(ref, cur)
    r = es(ref, cur)
    assert r.score == pytest.approx(want.pvalue, rel=1e-12) and r.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert r.score > 0.05 and r.drifted is False
    with pytest.raises(ValueError, match="^Epps-Singleton test needs a pooled interquartile range above 0$"):
        es(np.array([1.0] * 10 + [2.0]), np.array([1.0] * 10))
    # a pooled IQR of exactly 1 is fine: 0, 0.05, ..., 2 has quartiles 0.5 and 1.5
    pooled = np.linspace(0.0, 2.0, 41)
    assert stats.iqr(pooled) == 1.0
    got = es(pooled[::2], pooled[1::2])
    assert got.score == pytest.approx(stats.epps_singleton_2samp(pooled[::2], pooled[1::2]).pvalue, rel=1e-12)


@pytest.mark.parametrize("m, n", [(9, 11), (4, 7), (3, 12), (11, 9), (7, 8), (2, 5), (2, 20)])
def test_cramer_von_mises_exact_p_value_equals_scipys_where_the_table_is_integer(m, n):
    rng = np.random.default_rng(m * 100 + n)
    x, y = rng.normal(0, 1, m), rng.normal(0.7, 1, n)
    want = stats.cramervonmises_2samp(x, y, method="exact")
    r = cvm_module.cramer_von_mises(x, y)
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert r.score == pytest.approx(want.pvalue, rel=1e-13)


def _pairs(column_type):
    rng = np.random.default_rng(31)
    if column_type == "categorical":   # binary codes, equal sizes: every categorical test accepts them
        ref = rng.binomial(1, 0.5, 200)
        calm = (ref, rng.permutation(ref))   # the same values in another order: nothing moved
        moved = (rng.binomial(1, 0.3, 200), rng.binomial(1, 0.6, 200))
    else:
        ref = rng.normal(0, 1, 200)
        calm = (ref, rng.permutation(ref))
        moved = (rng.normal(0, 1, 200), rng.normal(0.8, 1, 200))
    return calm, moved


def _same(a, b):
    nan = lambda v: v is not None and isinstance(v, float) and math.isnan(v)
    return (a.drifted == b.drifted and (a.score == b.score or nan(a.score) and nan(b.score))
            and (a.statistic == b.statistic or nan(a.statistic) and nan(b.statistic)))


@pytest.mark.parametrize("test_id", sorted(t.id for t in __import__("mlmon.stats.univariate", fromlist=["x"])
                                           .available().values() if "embedding" not in t.column_types))
def test_a_kernel_called_directly_defaults_to_the_catalogs_threshold_and_unsorted_input(test_id):
    from mlmon.stats import univariate

    test = univariate.get(test_id)
    column_type = "numerical" if "numerical" in test.column_types else "categorical"
    decisive = False
    for ref, cur in _pairs(column_type):
        by_default = test.func(ref, cur, column_type)
        declared = test.func(ref, cur, column_type, test.default_threshold, presorted=False)
        assert _same(by_default, declared), (test_id, by_default, declared)
        # the threshold decides on one of the two pairs: a default one higher would not give the same answer
        decisive |= test.func(ref, cur, column_type, test.default_threshold + 1.0).drifted != declared.drifted
    assert decisive, test_id


def test_unique_sorted_keeps_one_of_each_value():
    from mlmon.stats.univariate._binning import unique_sorted

    assert unique_sorted(np.array([1.0, 1.0, 2.0, 3.0, 3.0, 3.0])).tolist() == [1.0, 2.0, 3.0]
    assert unique_sorted(np.array([4.0])).tolist() == [4.0]
    assert unique_sorted(np.array([])).tolist() == []


@pytest.mark.parametrize("column_type", ["categorical", "numerical"])
def test_hellinger_of_a_sample_against_itself_is_zero_not_nan(column_type):
    # the Bhattacharyya coefficient of identical samples rounds to 1.0000000000000002 here; clipped to 1
    from mlmon.stats.univariate.hellinger import hellinger

    if column_type == "categorical":
        a = np.array([2, 0, 4, 4, 1, 2, 0, 3, 4, 4, 4, 0, 0, 3, 0, 0, 3, 0, 3, 0, 3, 3, 0, 2, 0, 4, 2, 0, 4, 3, 1, 1,
                      0, 2, 2, 0, 0])
    else:
        a = np.array([0.29, 0.11, -0.04, 0.36, -1.16, -1.0, 1.3, 0.15, 0.85, -0.61, 1.38, 0.35, 0.48, 0.55, -0.8,
                      -1.87, -1.07, 1.63, 1.3, -0.35, -0.3, 1.04, -0.17, -1.3, 1.27, 0.48, -2.52, -0.31, 0.14, 0.48,
                      0.15, -0.64])
    r = hellinger(a, a.copy(), column_type)
    assert r.score == 0.0 and r.drifted is False


def _psi(r, c):
    return sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c))


def test_psi_quantile_counts_a_value_on_a_cut_point_in_the_bin_below():
    # reference 0..10: deciles cut exactly at 1, ..., 9; bins (-inf, 1], (1, 2], ..., (9, inf) hold 2, 1, ..., 1
    # rows; every current row at 5 lies in (4, 5], the fifth bin
    from mlmon.stats.univariate.psi_quantile import psi_quantile

    ref_shares = [2 / 11] + [1 / 11] * 9
    cur_shares = [1e-4] * 4 + [1.0] + [1e-4] * 5
    r = psi_quantile(np.arange(11.0), np.full(20, 5.0), "numerical")
    assert r.score == pytest.approx(_psi(ref_shares, cur_shares), rel=1e-12)


def test_psi_quantile_with_five_bins():
    # reference 0..10 in quintiles: cut at 2, 4, 6, 8; bins hold 3, 2, 2, 2, 2 reference rows
    from mlmon.stats.univariate.psi_quantile import psi_quantile

    cur = np.array([0.0, 3.0, 3.0, 3.0, 9.0])   # bins 1, 2, 2, 2, 5
    r = psi_quantile(np.arange(11.0), cur, "numerical", n_bins=5)
    assert r.score == pytest.approx(_psi([3 / 11, 2 / 11, 2 / 11, 2 / 11, 2 / 11], [0.2, 0.6, 1e-4, 1e-4, 0.2]),
                                    rel=1e-12)


def _pooled(ref_counts, cur_counts, **kw):
    from mlmon.stats.univariate.chisquare_pooled import chisquare_pooled

    k = np.arange(len(ref_counts))
    return chisquare_pooled(np.repeat(k, ref_counts), np.repeat(k, cur_counts), "categorical", **kw)


def _contingency(table):
    return stats.chi2_contingency(np.array(table, dtype=float), correction=False)


def test_pooled_chisquare_keeps_a_category_whose_expected_cell_is_exactly_five():
    # both samples 96: expected cell = total / 2; the third category's total 10 gives exactly 5: kept on its
    # own, while the last two (expected 3 each) pool into a cell of their own
    r = _pooled([40, 45, 5, 3, 3], [45, 40, 5, 3, 3])
    want = _contingency([[40, 45, 5, 6], [45, 40, 5, 6]])
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12) and r.score == pytest.approx(want.pvalue, rel=1e-12)


def test_pooled_chisquare_merges_a_pool_still_too_small_into_the_smallest_category():
    # totals 100, 60, 30, 4, 2 over two samples of 98: the last two (expected 2, 1) pool to 6 (expected 3),
    # still below 5: merged into the smallest remaining category (total 30)
    ref, cur = [50, 30, 12, 4, 2], [50, 30, 18, 0, 0]
    r = _pooled(ref, cur)
    want = _contingency([[50, 30, 18], [50, 30, 18]])
    assert r.statistic == pytest.approx(want.statistic, abs=1e-12)
    ref2, cur2 = [40, 50, 20, 3, 1], [60, 35, 30, 0, 0]   # smallest by total (50), not by difference (-20)
    want2 = _contingency([[40, 50, 24], [60, 35, 30]])
    assert _pooled(ref2, cur2).statistic == pytest.approx(want2.statistic, rel=1e-12)
    ref3, cur3 = [50, 30, 12, 3, 1], [50, 30, 18, 1, 2]   # the pool holds current rows too
    assert _pooled(ref3, cur3).statistic == pytest.approx(_contingency([[50, 30, 16], [50, 30, 21]]).statistic,
                                                          rel=1e-12)


def test_pooled_chisquare_keeps_a_pool_of_exactly_five_expected_as_its_own_category():
    # two samples of 100; sparse categories of totals 4 and 6 (expected 2, 3) pool to 10: expected 5, kept
    r = _pooled([60, 34, 1, 5], [54, 42, 3, 1])
    want = _contingency([[60, 34, 6], [54, 42, 4]])
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12)


def test_pooled_chisquare_with_one_category_left_scores_one():
    # one large category and a pool too small to stand: everything merges into one cell
    r = _pooled([97, 2, 1], [99, 0, 1])
    assert (r.score, r.statistic, r.drifted) == (1.0, 0.0, False)
    # every category sparse: the pool is the only cell
    r = _pooled([2, 1], [1, 2])
    assert (r.score, r.statistic) == (1.0, 0.0)
    # the rule is p < threshold, also for this p of 1
    assert _pooled([2, 1], [1, 2], threshold=1.5).drifted is True
    assert _pooled([2, 1], [1, 2], threshold=1.0).drifted is False


def test_pooled_chisquare_of_two_categories_is_the_two_by_two_test():
    r = _pooled([60, 40], [45, 55])
    want = _contingency([[60, 40], [45, 55]])
    assert r.statistic == pytest.approx(want.statistic, rel=1e-12) and r.score == pytest.approx(want.pvalue, rel=1e-12)


def test_tvd_permutation_p_value_is_near_the_exact_hypergeometric_one():
    # binary column, 20 rows a side: under permutation the reference's count of ones is hypergeometric,
    # so P(TVD_perm >= TVD_obs) is exact; 1000 draws land within a few hundredths of it
    from mlmon.stats.univariate.tvd import tvd

    ref = np.array([1] * 8 + [0] * 12)
    cur = np.array([1] * 12 + [0] * 8)
    r = tvd(ref, cur, "categorical", 0.1)
    observed = abs(8 / 20 - 12 / 20)
    assert r.statistic == pytest.approx(observed, rel=1e-12)
    ks = np.arange(0, 21)
    tv = np.abs(ks / 20 - (20 - ks) / 20)
    exact = float(stats.hypergeom(40, 20, 20).pmf(ks)[tv >= observed - 1e-12].sum())
    tied = float(stats.hypergeom(40, 20, 20).pmf(ks)[np.abs(tv - observed) < 1e-12].sum())
    assert 0.2 < exact < 0.6 and tied > 0.15   # a p-value inside (0, 1), with a large tie at the observed value
    assert abs(r.score - exact) < 0.05
    assert r.drifted is False


def test_grouped_auc_with_more_windows_than_16_bits_can_tell_apart():
    from mlmon.stats.classification import grouped_auc

    n_groups = 70_000
    g = np.repeat(np.arange(n_groups), 2)
    positive = np.tile([1.0, 0.0], n_groups)
    # window w: the positive scores w % 3 / 2 against a negative at 0.5: AUC 0, 0.5, 1 by turns
    score = np.empty(2 * n_groups)
    score[0::2] = (np.arange(n_groups) % 3) / 2
    score[1::2] = 0.5
    auc, pos, neg = grouped_auc(score, positive, 1.0 - positive, g, n_groups)
    assert auc.tolist() == ((np.arange(n_groups) % 3) / 2).tolist()
    assert pos.tolist() == [1.0] * n_groups and neg.tolist() == [1.0] * n_groups


def _evidently_mmd2(x, y, sigma=None):
    """Unbiased MMD² with Evidently's Gaussian kernel (bandwidth from the median squared distance within
    the reference, the 'nearest' percentile; 1/sqrt(2) when that median is 0), zero diagonal."""
    dxx = (x[:, None] - x[None, :]) ** 2
    if sigma is None:
        sigma = math.sqrt(0.5 * np.percentile(dxx.ravel(), 50, method="nearest")) or 0.5 ** 0.5
    gamma = 1.0 / (2.0 * sigma ** 2)
    z = np.concatenate([x, y])
    k = np.exp(-gamma * (z[:, None] - z[None, :]) ** 2)
    np.fill_diagonal(k, 0.0)
    n, m = x.size, y.size
    return k[:n, :n].sum() / (n * (n - 1)) + k[n:, n:].sum() / (m * (m - 1)) - 2 * k[:n, n:].sum() / (n * m)


def test_empirical_mmd_bandwidth_falls_back_when_most_reference_pairs_coincide():
    from mlmon.stats.univariate.empirical_mmd import empirical_mmd

    x = np.array([1.0] * 8 + [2.0, 3.0])        # most squared distances within the reference are 0
    y = np.array([1.0, 1.5, 2.5, 4.0, 1.0])
    r = empirical_mmd(x, y, "numerical", 0.1)
    assert r.statistic == pytest.approx(_evidently_mmd2(x, y, sigma=0.5 ** 0.5), rel=1e-12)
    # a median squared distance of exactly 2 gives sigma exactly 1 (no fallback)
    x2 = np.array([0.0, 0.0, 0.0, 0.0 + math.sqrt(2), math.sqrt(2), math.sqrt(2)])
    assert np.percentile(((x2[:, None] - x2[None, :]) ** 2).ravel(), 50, method="nearest") == pytest.approx(2.0)
    r2 = empirical_mmd(x2, y, "numerical", 0.1)
    assert r2.statistic == pytest.approx(_evidently_mmd2(x2, y), rel=1e-9)


def test_empirical_mmd_subsamples_over_1000_rows_without_replacement():
    from mlmon.stats.univariate.empirical_mmd import empirical_mmd

    x = np.arange(1500.0) / 100
    y = np.linspace(2.0, 9.0, 40)
    r = empirical_mmd(x, y, "numerical", 0.1, seed=3)
    xs = np.random.default_rng(3).choice(x, 1000, replace=False)
    assert np.unique(xs).size == 1000
    assert r.statistic == pytest.approx(_evidently_mmd2(xs, y), rel=1e-9)


def test_empirical_mmd_counts_permutations_tied_with_the_observed_split():
    # three against three, fully separated: only the observed split and its mirror reach the observed MMD²,
    # so p is about 2/20 = 0.1 (ties count), never 0
    from mlmon.stats.univariate.empirical_mmd import empirical_mmd

    r = empirical_mmd(np.array([0.0, 1.0, 2.0]), np.array([10.0, 11.0, 12.0]), "numerical", 0.1)
    assert 0.03 <= r.score <= 0.2


def test_div_broadcasts_a_scalar_numerator_over_an_array():
    from mlmon.stats.classification import _div

    got = _div(1.0, np.array([2.0, 0.0, 4.0]))
    assert got[0] == 0.5 and math.isnan(got[1]) and got[2] == 0.25
    assert _div(np.array([3, 1]), 2, 0.0).tolist() == [1.5, 0.5]


@pytest.mark.parametrize("test_id", ["chisquare", "chisquare_pooled", "fisher_exact", "g_test", "TVD", "z"])
def test_a_count_test_called_directly_on_numbers_sorts_them_itself(test_id):
    # numbers with two distinct values in random order: counted per value, as on sorted input
    from mlmon.stats import univariate

    test = univariate.get(test_id)
    rng = np.random.default_rng(41)
    ref, cur = rng.choice([2.0, 5.0], 300, p=[0.6, 0.4]), rng.choice([2.0, 5.0], 300, p=[0.45, 0.55])
    by_default = test.func(ref, cur, "numerical", 0.05)
    on_sorted = test.func(np.sort(ref), np.sort(cur), "numerical", 0.05, presorted=True)
    assert _same(by_default, on_sorted), (test_id, by_default, on_sorted)


def test_fill_zeroes_follows_evidently():
    from mlmon.stats.univariate._binning import fill_zeroes

    assert fill_zeroes(np.array([0.5, 0.0, 0.5])).tolist() == [0.5, 0.0001, 0.5]
    assert fill_zeroes(np.array([0.00005, 0.0, 0.99995])).tolist() == pytest.approx([0.00005, 5e-11, 0.99995])
    assert fill_zeroes(np.array([0.0001, 0.0, 0.9999])).tolist() == pytest.approx([0.0001, 1e-10, 0.9999])


def test_category_counts_and_discrete_counts_by_hand():
    from mlmon.stats.univariate._binning import category_counts, counts, discrete_counts, percents

    ref, cur = category_counts(np.array([0, 2, 2, 5]), np.array([2, 3]))
    assert ref.tolist() == [1, 2, 0, 1] and cur.tolist() == [0, 1, 1, 0]     # categories 0, 2, 3, 5
    r, c = discrete_counts(np.array([0.7, 0.2, 0.7]), np.array([0.2]), "numerical")
    assert r.tolist() == [1, 2] and c.tolist() == [1, 0]                       # values 0.2, 0.7
    rng = np.random.default_rng(5)
    x, y = rng.choice([1.0, 2.0, 3.0], 200), rng.choice([1.0, 2.0, 3.0], 150)
    want = ([int((x == v).sum()) for v in (1, 2, 3)], [int((y == v).sum()) for v in (1, 2, 3)])
    assert tuple(a.tolist() for a in discrete_counts(x, y, "numerical")) == want
    rc, cc = counts(x, y, "numerical")
    rs, cs = counts(np.sort(x), np.sort(y), "numerical", presorted=True)
    assert rc.tolist() == rs.tolist() and cc.tolist() == cs.tolist()
    pr, pc = percents(x, y, "numerical")
    ps, qs = percents(np.sort(x), np.sort(y), "numerical", presorted=True)
    assert pr.tolist() == ps.tolist() and pc.tolist() == qs.tolist()
    # empty bins are filled by default
    zr, zc = percents(np.array([0, 0, 1]), np.array([0, 0, 0]), "categorical")
    assert zc.tolist() == [1.0, 0.0001]


@pytest.mark.parametrize("values", [[3.0] * 5, [-2.0], [0.0, 1.0, 2.5, 7.0], list(np.linspace(-3, 4, 57))])
def test_sturges_edges_equal_numpys(values):
    from mlmon.stats.univariate._binning import sturges_edges

    a = np.array(values)
    want = np.histogram_bin_edges(a, "sturges")
    got = sturges_edges(a.min(), a.max(), a.size)
    assert got.dtype == np.float64 and got.tolist() == want.tolist()


def test_cramer_von_mises_needs_two_rows_a_side():
    with pytest.raises(ValueError, match="^Cramér-von Mises test needs at least two observations per sample$"):
        cvm_module.cramer_von_mises(np.array([1.0]), np.arange(5.0))


@pytest.mark.parametrize("scale_exp", [600, 1000])
def test_empirical_mmd_of_huge_values_is_the_mmd_of_the_same_values_in_a_smaller_unit(scale_exp):
    """Times 2**600 or 2**1000: the squared distances overflowed, every relabelling looked as far
    apart as the real split and two samples of one distribution showed "drift" (p = 0). Taken
    in a unit of a power of two, statistic and p-value are those of the unscaled values. Where
    most reference pairs coincide, the bandwidth falls back to sqrt(1/2) in that unit: finite."""
    from mlmon.stats.univariate.empirical_mmd import empirical_mmd

    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 60), rng.normal(0, 1, 50)
    plain = empirical_mmd(x, y, "numerical", 0.1)
    huge = empirical_mmd(np.ldexp(x, scale_exp), np.ldexp(y, scale_exp), "numerical", 0.1)
    assert (huge.statistic, huge.score, huge.drifted) == (plain.statistic, plain.score, plain.drifted)
    assert not huge.drifted
    tied = empirical_mmd(np.ldexp(np.array([1.0] * 8 + [2.0, 3.0]), scale_exp),
                         np.ldexp(np.array([1.0, 1.5, 2.5, 4.0, 1.0]), scale_exp), "numerical", 0.1)
    assert math.isfinite(tied.statistic) and 0.0 <= tied.score <= 1.0
