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

RNG = np.random.default_rng(20261202)


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
    ref = RNG.normal(0, 1, 60)
    cur = RNG.normal(0, 1, 60)
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


@pytest.mark.parametrize("m, n", [(9, 11), (4, 7), (3, 12), (11, 9), (7, 8)])
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
