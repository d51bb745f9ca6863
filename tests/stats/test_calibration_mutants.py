"""Calibration's plumbing: scorers, batch kernels, the run's cache, the result's fields.

The batched and cached paths are specified by the test they stand for: every figure equals the
test's own on the same window (the tests themselves are checked against Evidently and scipy in
test_univariate_vs_*.py), and the cache's calibration equals :func:`calibrate` on the pools
:func:`null_scores` draws with the per-column seed.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pytest

from mlmon.stats import univariate as U
from mlmon.stats.calibration import (Calibration, CalibrationCache, NullScores, batch_scorer, calibrate, crosses,
                                     holdout_size, noise_floor, null_scores, scorer, seed_for, size_bucket,
                                     window_scorer)
from mlmon.stats.calibration import _score_positions
from mlmon.stats.univariate.wasserstein import wasserstein_to_reference

COUNT_TESTS = ["psi", "chisquare", "z", "kl_div", "hellinger", "jensenshannon"]


def _codes():
    """Category codes 0..5 with code 2 absent from the reference, and four sorted windows of 30:
    row 0 holds codes 6 and 7 (not in the reference), row 3 has no code above 4."""
    rng = np.random.default_rng(0)
    ref = np.sort(rng.integers(0, 6, 400))
    ref = ref[ref != 2]
    W = np.sort(np.stack([np.r_[rng.integers(0, 6, 28), 6, 7], rng.integers(0, 6, 30), rng.integers(0, 6, 30),
                          rng.integers(0, 5, 30)]), axis=1)
    return ref, W


# ------------------------------------------------------------------------------ small pieces


@pytest.mark.parametrize("rule, below, at, above", [(">=", False, True, True), (">", False, False, True),
                                                    ("<", True, False, False), ("<=", True, True, False)])
def test_crosses_follows_each_rule_at_below_and_above_the_threshold(rule, below, at, above):
    assert crosses(0.1, 0.2, rule) is below
    assert crosses(0.2, 0.2, rule) is at
    assert crosses(0.3, 0.2, rule) is above
    assert crosses(float("nan"), 0.2, rule) is False


def test_holdout_size_is_half_the_reference_at_most_and_fifty_windows_or_ten_thousand_rows_at_least():
    # min(N // 2, max(50 n, 10_000)), by hand
    assert holdout_size(1_000_000, 3000) == 150_000   # 50 n
    assert holdout_size(50_000, 165) == 10_000        # the floor of 10,000 rows
    assert holdout_size(12_000, 300) == 6_000         # half the reference
    assert holdout_size(1_000_000, 100) == 10_000
    assert isinstance(holdout_size(12_001, 300), int) and holdout_size(12_001, 300) == 6_000


def _cal(lo=160, hi=167):
    return Calibration(threshold=0.2, rule=">=", false_alarm_rate=0.05, achieved_rate=0.045, method="both", draws=398,
                       standard_error=0.01, ci=(0.18, 0.22), min_window_size=lo, max_window_size=hi,
                       per_method={"random": 0.19, "contiguous": 0.2})


def test_a_calibration_serves_every_size_of_its_group_and_no_other():
    cal = _cal()
    assert [cal.serves(n) for n in (159, 160, 165, 167, 168)] == [False, True, True, True, False]


def test_a_calibration_as_a_dict_names_every_field():
    assert _cal().to_dict() == {"threshold": 0.2, "rule": ">=", "false_alarm_rate": 0.05, "achieved_rate": 0.045,
                                "method": "both", "draws": 398, "standard_error": 0.01, "ci": [0.18, 0.22],
                                "window_sizes": [160, 167], "per_method": {"random": 0.19, "contiguous": 0.2}}


def test_the_per_column_seed_is_the_run_seed_and_the_crc32_of_the_name():
    assert seed_for("amount") == (0, zlib.crc32(b"amount"))
    assert seed_for("amount", 7) == (7, zlib.crc32(b"amount"))
    assert seed_for("m\u00e9tier", 1) == (1, zlib.crc32("m\u00e9tier".encode("utf-8")))


# ------------------------------------------------------------------------------ scorers


def test_the_plain_scorer_is_the_test_itself_threshold_included():
    rng = np.random.default_rng(1)
    ref, x = np.sort(rng.normal(size=400)), np.sort(rng.normal(0.05, 1.0, size=60))
    ks = U.get("ks")
    expected = ks(ref, x, "numerical", 0.5, presorted=True)
    assert 0.05 < expected.score < 0.5  # drifts at 0.5, not at the default 0.05
    assert scorer(ks, ref, "numerical")(x, 0.5) == (expected.score, True)
    assert scorer(ks, ref, "numerical")(x, 0.05) == (expected.score, False)


@pytest.mark.parametrize("test_id", ["wasserstein", "psi"])
def test_the_fast_scorer_flags_by_the_tests_rule(test_id):
    rng = np.random.default_rng(2)
    ref, x = np.sort(rng.normal(size=400)), np.sort(rng.normal(0.5, 1.0, size=60))
    test = U.get(test_id)
    column_type, ref_in = ("numerical", ref) if test_id == "wasserstein" else ("categorical", np.sort(rng.integers(0, 4, 400)))
    x_in = x if test_id == "wasserstein" else np.sort(rng.integers(0, 4, 60))
    score = scorer(test, ref_in, column_type)
    s = score(x_in, 0.0)[0]
    assert s == pytest.approx(test(ref_in, x_in, column_type, presorted=True).score, rel=1e-12)
    assert score(x_in, s) == (s, True)                          # at the threshold: drift (>=)
    assert score(x_in, float(np.nextafter(s, np.inf))) == (s, False)
    assert score(x_in, s / 2) == (s, True)


def test_batch_scorer_of_a_test_without_a_kernel_calls_the_test_row_by_row():
    rng = np.random.default_rng(3)
    ref = np.sort(rng.normal(size=300))
    W = np.sort(rng.normal(0.2, 1.0, size=(3, 40)), axis=1)
    for test_id in ("ks", "anderson"):
        test = U.get(test_id)
        got = batch_scorer(test, ref, "numerical")(W, test.default_threshold)
        assert got.tolist() == [test(ref, w, "numerical", presorted=True).score for w in W]


def test_batch_scorer_of_psi_on_numbers_bins_them_even_when_they_are_integers():
    # integer values of a numerical column are binned as numbers, not counted as categories
    rng = np.random.default_rng(4)
    ref = np.sort(rng.integers(0, 50, 500))
    W = np.sort(rng.integers(0, 50, size=(3, 60)), axis=1)
    psi = U.get("psi")
    got = batch_scorer(psi, ref, "numerical")(W, 0.1)
    assert got.tolist() == [psi(ref, w, "numerical", presorted=True).score for w in W]
    ref_f = np.sort(rng.normal(size=500))
    W_f = np.sort(rng.normal(size=(2, 60)), axis=1)
    assert batch_scorer(psi, ref_f, "numerical")(W_f, 0.1).tolist() == [
        psi(ref_f, w, "numerical", presorted=True).score for w in W_f]


def test_batch_scorer_of_wasserstein_takes_the_reference_positions_and_gives_the_tests_figures():
    rng = np.random.default_rng(5)
    ref = np.sort(np.round(rng.normal(size=300), 1))
    W = np.sort(np.round(rng.normal(size=(3, 40)), 1), axis=1)
    w = U.get("wasserstein")
    fast = batch_scorer(w, ref, "numerical")
    expected = [w(ref, x, "numerical", presorted=True).score for x in W]
    assert fast(W, 0.1) == pytest.approx(expected, rel=1e-12)
    left = np.searchsorted(ref, W, "left")
    assert fast(W, 0.1, left) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("test_id", COUNT_TESTS)
def test_count_kernels_give_the_tests_figures_with_new_missing_and_absent_categories(test_id):
    ref, W = _codes()
    test = U.get(test_id)
    got = batch_scorer(test, ref, "categorical")(W, test.default_threshold)
    expected = [test(ref, w, "categorical", presorted=True).score for w in W]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert scorer(test, ref, "categorical")(W[1], test.default_threshold)[0] == pytest.approx(expected[1], rel=1e-12)


@pytest.mark.parametrize("test_id", COUNT_TESTS)
def test_count_kernels_on_windows_without_a_new_category_and_on_no_window(test_id):
    ref, W = _codes()
    test = U.get(test_id)
    tail = W[1:, :25]  # three windows of 25, none with a category outside the reference
    got = batch_scorer(test, ref, "categorical")(tail, test.default_threshold)
    assert got == pytest.approx([test(ref, w, "categorical", presorted=True).score for w in tail], rel=1e-12, abs=1e-15)
    assert batch_scorer(test, ref, "categorical")(np.empty((0, 5), dtype=np.int64), test.default_threshold).size == 0


def test_window_scorer_answers_for_wasserstein_on_numbers_and_jensenshannon_on_codes_only():
    rng = np.random.default_rng(6)
    floats = np.sort(rng.normal(size=200))
    codes = np.sort(rng.integers(0, 4, 200))
    assert window_scorer(U.get("ks"), floats, "numerical") is None
    assert window_scorer(U.get("psi"), floats, "numerical") is None
    assert window_scorer(U.get("wasserstein"), codes, "categorical") is None
    assert window_scorer(U.get("chisquare"), codes, "categorical") is None
    assert window_scorer(U.get("jensenshannon"), floats, "numerical") is None
    assert window_scorer(U.get("wasserstein"), floats, "numerical") is not None
    assert window_scorer(U.get("jensenshannon"), codes, "categorical") is not None
    # a bare test function is known by its name
    assert window_scorer(U.get("wasserstein").func, floats, "numerical") is not None


def test_window_scorer_for_jensenshannon_matches_the_test_and_defers_a_new_category():
    ref, W = _codes()
    js = U.get("jensenshannon")
    f = window_scorer(js, ref, "categorical")
    windows = [W[1], W[2][:10], W[3]]  # the last window lacks the reference's highest code
    values = np.concatenate(windows)
    offsets = np.r_[0, np.cumsum([w.size for w in windows])]
    assert f(values, offsets) == pytest.approx([js(ref, w, "categorical", presorted=True).score for w in windows],
                                               rel=1e-12)
    k = int(ref.max()) + 1
    assert f(np.array([0, 1, k]), np.array([0, 3])) is None   # the code just past the reference's
    assert f(np.array([0, 1, k + 3]), np.array([0, 3])) is None


def test_scored_positions_count_ties_in_the_reference_rest():
    # windows drawn from the reference itself, with many tied values: each figure is the
    # Wasserstein distance of the window to the rest (scipy-checked kernel), also at position 0
    values = np.sort(np.round(np.random.default_rng(7).normal(size=400), 1))
    mask = np.ones(values.size, dtype=bool)
    positions = np.array([np.arange(0, 40), np.arange(100, 140), np.arange(200, 400, 5)])
    mask[positions.ravel()] = False
    rest = values[mask]
    w = U.get("wasserstein")
    fast = batch_scorer(w, rest, "numerical")
    got = _score_positions(fast, values, mask, positions, 0.1)
    assert got == pytest.approx([w(rest, values[p], "numerical", presorted=True).score for p in positions], rel=1e-12)
    psi = U.get("psi")
    codes = np.sort(np.random.default_rng(8).integers(0, 5, 400))
    got = _score_positions(batch_scorer(psi, codes[mask], "categorical"), codes, mask, positions, 0.1)
    assert got == pytest.approx([psi(codes[mask], codes[p], "categorical", presorted=True).score for p in positions],
                                rel=1e-12)


# ------------------------------------------------------------------------------ the run's cache


def _trending(n=3000):
    """A reference in time order whose level moves with time: contiguous chunks differ from random draws."""
    rng = np.random.default_rng(9)
    return rng.normal(size=n) + np.linspace(0.0, 1.5, n)


def test_default_cache_settings():
    cache = CalibrationCache()
    assert (cache.false_alarm_rate, cache.draws, cache.method, cache.seed, cache.fast) == (0.01, 200, "auto", 0, False)
    ref = np.sort(np.random.default_rng(10).normal(size=1000))
    pool = cache.pool("x", ref, U.get("wasserstein"), "numerical", 40, presorted=True)
    lo, _ = size_bucket(40)
    expected = null_scores(ref, U.get("wasserstein"), "numerical", lo, draws=200, method="random", seed=seed_for("x", 0),
                           presorted=True)
    assert pool.method == "random" and pool.n == lo
    np.testing.assert_array_equal(pool.scores, expected.scores)


@pytest.mark.parametrize("test_id, column_type", [("wasserstein", "numerical"), ("psi", "categorical")])
def test_the_cache_calibrates_on_the_pools_null_scores_draws_with_the_column_seed(test_id, column_type):
    raw = _trending()
    ref = raw if column_type == "numerical" else np.digitize(raw, [0.0, 0.7, 1.4]).astype(np.int64)
    order = np.arange(ref.size)   # ref is in time order, unsorted
    test = U.get(test_id)
    cache = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=3)
    got = cache.calibration("col", ref, test, column_type, 62, time_order=order)
    lo, hi = size_bucket(62)
    pools = {m: null_scores(ref, test, column_type, lo, draws=59, method=m, seed=seed_for("col", 3), time_order=order)
             for m in ("random", "contiguous")}
    expected = calibrate(ref, test, column_type, 62, false_alarm_rate=0.05, draws=59, time_order=order, pools=pools)
    assert got == expected
    assert got.method == "both" and got.per_method["contiguous"] != got.per_method["random"]
    # the cache's noise floor is the larger share over both pools
    floor = cache.noise_floor("col", ref, test, column_type, 62, got.per_method["random"], time_order=order)
    expected_floor = max(noise_floor(pools[m], got.per_method["random"], U.drift_rule(test)) for m in pools)
    assert floor == expected_floor
    assert floor > noise_floor(pools["random"], got.per_method["random"], U.drift_rule(test))
    # an explicit rule is the one used
    ruled = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=3)
    assert ruled.calibration("col", ref, test, column_type, 62, time_order=order, rule=">").rule == ">"
    assert ruled.noise_floor("col", ref, test, column_type, 62, got.per_method["random"], time_order=order,
                             rule="<") == max(noise_floor(pools[m], got.per_method["random"], "<") for m in pools)


def test_a_cache_with_one_method_keeps_to_it_even_with_a_time_order():
    raw = _trending()
    order = np.arange(raw.size)
    test = U.get("wasserstein")
    cache = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=3, method="random")
    got = cache.calibration("col", raw, test, "numerical", 62, time_order=order)
    lo, _ = size_bucket(62)
    pool = null_scores(raw, test, "numerical", lo, draws=59, method="random", seed=seed_for("col", 3))
    assert got == calibrate(raw, test, "numerical", 62, false_alarm_rate=0.05, method="random", pools={"random": pool})
    assert got.method == "random" and list(got.per_method) == ["random"]
    contiguous = cache.pool("col", raw, test, "numerical", 62, method="contiguous", time_order=order)
    np.testing.assert_array_equal(contiguous.scores, null_scores(raw, test, "numerical", lo, draws=59, method="contiguous",
                                                                 seed=seed_for("col", 3), time_order=order).scores)


def test_an_unsorted_reference_is_sorted_by_the_cache_unless_presorted_is_promised():
    raw = _trending(1500)
    test = U.get("wasserstein")
    a = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=1)
    b = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=1)
    assert a.calibration("c", raw, test, "numerical", 40) == b.calibration("c", np.sort(raw), test, "numerical", 40,
                                                                             presorted=True)
    pa = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=1).pool("c", raw, test, "numerical", 40)
    np.testing.assert_array_equal(pa.scores, b.pool("c", np.sort(raw), test, "numerical", 40, presorted=True).scores)
    fa = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=1).noise_floor("c", raw, test, "numerical", 40, 0.2)
    assert fa == b.noise_floor("c", np.sort(raw), test, "numerical", 40, 0.2, presorted=True)


def test_a_fast_cache_draws_its_pools_on_the_fast_path():
    ref = np.sort(np.random.default_rng(11).normal(size=3000))
    test = U.get("wasserstein")
    cache = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=2, fast=True)
    lo, _ = size_bucket(40)
    expected = null_scores(ref, test, "numerical", lo, draws=59, method="random", seed=seed_for("c", 2), presorted=True,
                           fast=True)
    slow = null_scores(ref, test, "numerical", lo, draws=59, method="random", seed=seed_for("c", 2), presorted=True)
    assert not np.array_equal(expected.scores, slow.scores)
    np.testing.assert_array_equal(cache.pool("c", ref, test, "numerical", 40, presorted=True).scores, expected.scores)


def test_the_cache_keeps_one_pool_per_test_even_for_tests_without_a_name():
    ref = np.sort(np.random.default_rng(12).normal(size=1000))
    cache = CalibrationCache(false_alarm_rate=0.05, draws=59)
    w = cache.pool("c", ref, U.get("wasserstein"), "numerical", 40, presorted=True)
    k = cache.pool("c", ref, U.get("ks"), "numerical", 40, presorted=True)
    assert not np.array_equal(w.scores, k.scores)
    # two nameless tests (partials) are two tests
    a = functools.partial(U.get("wasserstein"))
    b = functools.partial(U.get("psi"))
    pa = cache.pool("c", ref, a, "numerical", 40, presorted=True)
    pb = cache.pool("c", ref, b, "numerical", 40, presorted=True)
    assert not np.array_equal(pa.scores, pb.scores)


def test_noise_floor_of_a_pool_counts_by_the_rule():
    pool = NullScores(np.array([0.05, 0.08, 0.12, 0.2]), "random", 165)
    assert noise_floor(pool, 0.12, ">=") == 0.5
    assert noise_floor(pool, 0.12, ">") == 0.25


def test_wasserstein_kernel_agrees_with_the_reference_form():
    # guard for the figures above: the prefix-sum kernel equals the direct sum
    ref = np.sort(np.random.default_rng(13).normal(size=200))
    x = np.sort(np.random.default_rng(14).normal(size=30))
    from mlmon.stats.univariate.wasserstein import SortedReference
    prep = SortedReference(ref)
    assert wasserstein_to_reference(prep, x) == pytest.approx(
        U.get("wasserstein")(ref, x, "numerical", presorted=True).score * max(prep.std, 0.001), rel=1e-12)
