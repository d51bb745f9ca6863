"""The normal and chi-square tails without scipy are scipy's.

Source of every expected value: ``scipy.special`` 1.17 (``ndtr``, ``erfc``, ``chdtrc``,
``gammaincc``), the Cephes routines this module follows.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from mlmon.stats import tails
from mlmon.stats.univariate.chisquare import chi2_sf as chisquare_chi2_sf
from mlmon.stats.univariate.z import z

#: the agreement asked of the chi-square tail; the normal one agrees bit for bit
CHI2_RTOL = 1e-13


def _rel(got, want):
    if got == want:
        return 0.0
    return abs(got - want) / abs(want) if want else math.inf


def test_ndtr_and_erfc_equal_scipys_bit_for_bit_on_a_grid():
    xs = np.concatenate([np.linspace(-40, 40, 40001), np.random.default_rng(3).normal(0, 4, 20000)])
    assert [tails.ndtr(float(x)) for x in xs] == special.ndtr(xs).tolist()
    assert [tails.erfc(float(x)) for x in xs] == special.erfc(xs).tolist()
    assert [tails.erf(float(x)) for x in xs] == special.erf(xs).tolist()


@settings(max_examples=500, deadline=None)
@given(st.floats(-50, 50, allow_nan=False))
def test_ndtr_equals_scipys(x):
    assert tails.ndtr(x) == float(special.ndtr(x))


def test_chi_square_tail_matches_scipy_from_one_to_ten_thousand_degrees_of_freedom():
    # statistics from 0 to far in the tail: p-values from 1 down to about 1e-300 and underflow
    rng = np.random.default_rng(11)
    worst = 0.0
    for df in list(range(1, 61)) + list(range(61, 10001, 97)) + [10000]:
        hi = df + 40 * math.sqrt(2 * df) + 1400
        xs = np.concatenate([np.linspace(0, hi, 120), rng.uniform(0, hi, 40), [1e-9, 0.5, 1.1, 2.2, 0.7 * df, 1.3 * df]])
        for x in xs.tolist():
            worst = max(worst, _rel(tails.chi2_sf(x, df), float(special.chdtrc(df, x))))
    assert worst <= CHI2_RTOL
    assert tails.chi2_sf(1400.0, 1) == float(special.chdtrc(1, 1400.0)) and 0 < tails.chi2_sf(1380.0, 1) < 1e-300


@settings(max_examples=400, deadline=None)
@given(df=st.integers(1, 10000), u=st.floats(0, 1))
def test_chi_square_tail_matches_scipy_anywhere(df, u):
    x = u * (df + 40 * math.sqrt(2 * df) + 1400)
    assert _rel(tails.chi2_sf(x, df), float(special.chdtrc(df, x))) <= CHI2_RTOL


def test_small_degrees_of_freedom_never_need_scipy():
    # 40 degrees of freedom or fewer (41 categories): a = df / 2 <= 20, no Temme expansion
    for df in range(1, 41):
        for x in np.linspace(0, 200, 401).tolist():
            assert not tails.temme_regime(df / 2, x / 2)


def test_near_the_mean_with_many_degrees_of_freedom_scipy_answers():
    # 100 degrees of freedom, statistic 100: Temme's expansion, scipy's own value
    assert tails.temme_regime(50.0, 50.0)
    assert tails.chi2_sf(100.0, 100) == float(special.chdtrc(100, 100.0))
    assert not tails.temme_regime(50.0, 80.0) and not tails.temme_regime(400.0, 500.0)
    assert tails.temme_regime(400.0, 420.0)


def test_edges_of_the_chi_square_tail():
    assert tails.chi2_sf(0.0, 3) == 1.0 == float(special.chdtrc(3, 0.0))
    assert tails.chi2_sf(math.inf, 3) == 0.0 == float(special.chdtrc(3, math.inf))
    assert math.isnan(tails.chi2_sf(math.nan, 3)) and math.isnan(tails.chi2_sf(-1.0, 3))
    assert math.isnan(chisquare_chi2_sf(2.0, 0))  # one category: no degrees of freedom


def test_lgam_equals_the_log_gamma_function():
    # Cephes' lgam against the C library's (not bit for bit: different algorithms)
    for x in [0.5, 1.0, 1.5, 2.0, 2.5, 7.3, 12.9, 13.0, 50.5, 999.5, 1000.0, 5000.0, 2e8]:
        assert math.isclose(tails.lgam(x), math.lgamma(x), rel_tol=1e-14, abs_tol=1e-15)


@settings(max_examples=200, deadline=None)
@given(a=st.lists(st.integers(0, 1), min_size=1, max_size=300), b=st.lists(st.integers(0, 1), min_size=1, max_size=300))
def test_the_z_test_p_value_is_evidentlys_formula_with_scipys_normal(a, b):
    # Evidently: p = 2 * (1 - scipy.stats.norm.cdf(|z|))
    r = z(np.array(a), np.array(b), "categorical", 0.05)
    if not math.isnan(r.statistic):
        assert r.score == float(2 * (1 - special.ndtr(abs(r.statistic))))
