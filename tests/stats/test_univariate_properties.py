"""Properties every univariate test must have, whatever the data."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.stats import univariate as U

FAST_NUMERICAL = ["ks", "wasserstein", "psi", "jensenshannon", "kl_div", "hellinger", "ed", "t_test", "mannw",
                  "anderson", "cramer_von_mises", "psi_quantile"]
FAST_CATEGORICAL = ["chisquare", "z", "psi", "jensenshannon", "kl_div", "hellinger", "chisquare_pooled", "TVD"]

samples = st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=21, max_size=80)
codes = st.lists(st.integers(0, 6), min_size=5, max_size=120)


def _check_range(test_id, r):
    test = U.get(test_id)
    if math.isnan(r.score):  # only where Evidently itself gives NaN (no variation at all)
        return
    assert math.isfinite(r.score)
    if test.score_kind == "p_value":
        assert 0.0 <= r.score <= 1.0
    else:
        assert r.score >= 0.0 or r.score > -1e-12  # rounding of a zero distance


def _run(test_id, a, b, column_type, presorted=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return U.get(test_id)(a, b, column_type, presorted=presorted)
        except ValueError:  # inputs the test refuses, as Evidently does (e.g. all values equal)
            return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples, samples, st.randoms(use_true_random=False))
def test_numerical_scores_in_range_order_free_and_presorted_consistent(a, b, rnd):
    a, b = np.array(a), np.array(b)
    shuffled_a, shuffled_b = a.copy(), b.copy()
    rnd.shuffle(shuffled_a)
    rnd.shuffle(shuffled_b)
    for test_id in FAST_NUMERICAL:
        r = _run(test_id, a, b, U.NUMERICAL)
        if r is None:
            continue
        _check_range(test_id, r)
        for other in (_run(test_id, shuffled_a, shuffled_b, U.NUMERICAL),
                      _run(test_id, np.sort(a), np.sort(b), U.NUMERICAL, presorted=True)):
            assert other.drifted == r.drifted or abs(other.score - r.score) < 1e-12, test_id
            assert other.score == pytest.approx(r.score, rel=1e-9, abs=1e-12, nan_ok=True), test_id


@settings(max_examples=40, deadline=None)
@given(codes, codes, st.randoms(use_true_random=False))
def test_categorical_scores_in_range_and_order_free(a, b, rnd):
    a, b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    sa, sb = a.copy(), b.copy()
    rnd.shuffle(sa)
    rnd.shuffle(sb)
    for test_id in FAST_CATEGORICAL:
        r = _run(test_id, a, b, U.CATEGORICAL)
        if r is None:
            continue
        _check_range(test_id, r)
        again = _run(test_id, sa, sb, U.CATEGORICAL)
        assert again.score == pytest.approx(r.score, rel=1e-9, abs=1e-12, nan_ok=True), test_id


@settings(max_examples=30, deadline=None)
@given(codes, codes, st.integers(1, 5))
def test_unused_categories_in_the_code_space_change_nothing(a, b, gap):
    # shifting codes up leaves empty levels below: they must be invisible, as in Evidently
    a, b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    spread = lambda x: x * (gap + 1) + gap  # noqa: E731
    for test_id in ["chisquare", "z", "psi", "jensenshannon", "kl_div", "hellinger", "chisquare_pooled"]:
        r, s = _run(test_id, a, b, U.CATEGORICAL), _run(test_id, spread(a), spread(b), U.CATEGORICAL)
        assert s.score == pytest.approx(r.score, rel=1e-12, abs=1e-15, nan_ok=True), test_id


def _binomial_interval(n, p, level=0.999):
    lo, hi = stats.binom.interval(level, n, p)
    return lo / n, hi / n


@pytest.mark.parametrize("test_id, alpha", [("ks", 0.05), ("t_test", 0.05), ("mannw", 0.05)])
def test_identical_distributions_are_flagged_at_the_nominal_rate(test_id, alpha):
    rng = np.random.default_rng(2024)
    reps = 400
    flagged = sum(U.get(test_id)(rng.normal(size=200), rng.normal(size=200), U.NUMERICAL, alpha).drifted for _ in range(reps))
    lo, hi = _binomial_interval(reps, alpha)
    # KS on continuous data is exact-conservative: its level is at most alpha
    assert (0 if test_id == "ks" else lo) <= flagged / reps <= hi


def test_chisquare_pooled_keeps_its_level_on_sparse_categories():
    rng = np.random.default_rng(7)
    reps = 300
    flagged = sum(
        U.get("chisquare_pooled")(rng.integers(0, 150, 600), rng.integers(0, 150, 600), U.CATEGORICAL).drifted
        for _ in range(reps)
    )
    assert flagged / reps <= _binomial_interval(reps, 0.05)[1]


@pytest.mark.parametrize("test_id", ["ks", "wasserstein", "psi", "jensenshannon", "kl_div", "hellinger", "anderson",
                                     "cramer_von_mises", "t_test", "ed", "es", "empirical_mmd", "psi_quantile"])
def test_a_clear_shift_is_always_caught(test_id):
    rng = np.random.default_rng(31)
    for _ in range(5):
        ref, cur = rng.normal(0, 1, 1500), rng.normal(1.5, 1, 1500)
        assert U.get(test_id)(ref, cur, U.NUMERICAL).drifted, test_id


def test_mannw_is_one_sided_like_evidently():
    rng = np.random.default_rng(1)
    ref = rng.normal(0, 1, 500)
    assert U.get("mannw")(ref, rng.normal(1, 1, 500), U.NUMERICAL).drifted
    assert not U.get("mannw")(ref, rng.normal(-1, 1, 500), U.NUMERICAL).drifted


@pytest.mark.parametrize("test_id", ["chisquare", "z", "psi", "jensenshannon", "TVD", "chisquare_pooled", "g_test"])
def test_a_clear_categorical_shift_is_always_caught(test_id):
    rng = np.random.default_rng(8)
    ref, cur = rng.choice(3, 2000, p=[0.6, 0.3, 0.1]), rng.choice(3, 2000, p=[0.3, 0.3, 0.4])
    assert U.get(test_id)(ref, cur, U.CATEGORICAL).drifted
