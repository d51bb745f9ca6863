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
from mlmon.errors import MlmonError
from mlmon.stats.calibration import _score_positions, chunk_count, quantile_interval
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


def test_plain_scorers_pass_the_column_type_and_the_threshold():
    # psi on float category values has no count kernel: the test is called; binned as numbers
    # 30 values would give other shares than counted as categories
    rng = np.random.default_rng(40)
    ref = np.sort(rng.integers(0, 30, 600).astype(np.float64))
    W = np.sort(rng.integers(0, 30, size=(3, 60)).astype(np.float64), axis=1)
    psi = U.get("psi")
    expected = [psi(ref, w, "categorical", presorted=True).score for w in W]
    assert expected != [psi(ref, w, "numerical", presorted=True).score for w in W]
    assert batch_scorer(psi, ref, "categorical")(W, 0.1).tolist() == expected
    assert batch_scorer(psi.func, ref, "categorical")(W, 0.1).tolist() == expected   # a bare function needs the probe
    assert scorer(psi, ref, "categorical")(W[0], 0.1) == (expected[0], expected[0] >= 0.1)
    assert scorer(psi.func, ref, "categorical")(W[0], 1e9) == (expected[0], False)


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
    # 30 categories: binned as numbers they would give other shares than counted as categories
    ref = raw if column_type == "numerical" else np.digitize(raw, np.linspace(-2.0, 3.5, 29)).astype(np.int64)
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
    # the cache's noise floor is the larger share over both pools (also on a cache that has drawn nothing yet)
    fresh = CalibrationCache(false_alarm_rate=0.05, draws=59, seed=3)
    assert fresh.noise_floor("col", ref, test, column_type, 62, got.per_method["random"], time_order=order) == max(
        noise_floor(pools[m], got.per_method["random"], U.drift_rule(test)) for m in pools)
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


# ------------------------------------------------------------------------------ sizes, rules, errors


def test_size_groups_tile_the_window_sizes():
    # every size in exactly one group, groups consecutive, at most 5 % wide (1.05 grid)
    expected_lo = 1
    for n in range(1, 5000):
        lo, hi = size_bucket(n)
        assert lo <= n <= hi and hi <= max(lo, lo * 1.05)
        if n == expected_lo:
            assert lo == n
        if n == hi:
            expected_lo = hi + 1
    assert [size_bucket(n) for n in (1, 2, 20, 39, 40, 62)] == [(1, 1), (2, 2), (20, 20), (39, 40), (39, 40), (61, 63)]


def test_a_window_size_below_one_is_refused():
    with pytest.raises(ValueError, match="^window size must be positive$"):
        size_bucket(0)


def test_chunks_of_a_reference():
    assert chunk_count(100, 30) == 3 and chunk_count(100, 0) == 0 and chunk_count(90, 30) == 3


def test_drift_rules_explicit_unknown_and_missing():
    ref = np.sort(np.random.default_rng(20).normal(size=400))
    pools = {"random": NullScores(np.arange(1.0, 20.0), "random", 20)}
    w = U.get("wasserstein")
    assert calibrate(ref, w, "numerical", 20, false_alarm_rate=0.1, pools=pools, rule=">").rule == ">"
    with pytest.raises(ValueError, match=r"^unknown drift rule '=>'$"):
        calibrate(ref, w, "numerical", 20, false_alarm_rate=0.1, pools=pools, rule="=>")
    with pytest.raises(ValueError, match=r"^pass rule= \('>=', '>', '<' or '<='\) for a test that is not a StatTest$"):
        calibrate(ref, w.func, "numerical", 20, false_alarm_rate=0.1, pools=pools)


@pytest.mark.parametrize("rate", [0.0, 0.5, -0.1, "0.1"])
def test_a_bad_rate_is_refused_with_what_where_and_todo(rate):
    with pytest.raises(MlmonError) as e:
        CalibrationCache(false_alarm_rate=rate)
    assert (e.value.what, e.value.where, e.value.todo) == (
        f"false-alarm rate must lie strictly between 0 and 0.5, got {rate!r}", "false_alarm_rate",
        "use e.g. 0.01 (one false alarm per column in 100 windows)")


def test_an_unknown_method_is_refused_with_what_where_and_todo():
    ref = np.sort(np.random.default_rng(21).normal(size=400))
    with pytest.raises(MlmonError) as e:
        calibrate(ref, U.get("wasserstein"), "numerical", 20, false_alarm_rate=0.1, method="sometimes")
    assert (e.value.what, e.value.where, e.value.todo) == (
        "unknown calibration method 'sometimes'", "calibration.method", "use auto, random, contiguous or both")


def test_quantile_interval_by_hand():
    # ranks B q -+ 1.96 sqrt(B q (1 - q)), minus one for 0-based order statistics (hand)
    assert quantile_interval(np.arange(1000.0), 0.9) == (880.0, 918.0)   # half 18.59
    assert quantile_interval(np.arange(20.0), 0.05) == (0.0, 2.0)        # half 1.91, lower end clipped at 0
    assert quantile_interval(np.arange(20.0), 0.95) == (16.0, 19.0)      # upper end clipped at B - 1
    assert quantile_interval(np.arange(19.0), 0.9) == (13.0, 18.0)       # half 2.563


# ------------------------------------------------------------------------------ calibrate on given pools


def _ref():
    return np.sort(np.random.default_rng(22).normal(size=400))


def test_calibrate_on_one_pool_every_field_by_hand():
    # B = 19, R = 0.1: m = 2, threshold 18 flags 18 and 19: achieved 2/20; ci (14, 19) (quantile_interval
    # at 0.9: ranks 13 and 18), standard error 5 / 3.92
    pools = {"random": NullScores(np.arange(1.0, 20.0), "random", 20)}
    cal = calibrate(_ref(), U.get("wasserstein"), "numerical", 20, false_alarm_rate=0.1, pools=pools)
    assert cal == Calibration(threshold=18.0, rule=">=", false_alarm_rate=0.1, achieved_rate=0.1, method="random",
                              draws=19, standard_error=5 / 3.92, ci=(14.0, 19.0), min_window_size=20,
                              max_window_size=20, per_method={"random": 18.0})
    low = calibrate(_ref(), U.get("ks"), "numerical", 20, false_alarm_rate=0.1, pools=pools)
    # p-values (<=): flag at most 2 draws: threshold 2 flags 1 and 2; ci at q = 0.1: ranks 0 and 4
    assert (low.threshold, low.rule, low.achieved_rate, low.ci) == (2.0, "<=", 0.1, (1.0, 5.0))
    assert low.standard_error == pytest.approx(4 / 3.92, rel=1e-15)


def test_calibrate_on_two_pools_takes_the_more_conservative_threshold():
    pools = {"random": NullScores(np.arange(1.0, 20.0), "random", 20),
             "contiguous": NullScores(np.arange(1.0, 20.0) + 0.5, "contiguous", 20)}
    up = calibrate(_ref(), U.get("wasserstein"), "numerical", 20, false_alarm_rate=0.1, method="both", pools=pools)
    # distances: the higher threshold (18.5); achieved is the larger share over the pools:
    # random flags 19 only (1/20), contiguous flags 18.5 and 19.5 (2/20)
    assert (up.threshold, up.method, up.draws, up.achieved_rate) == (18.5, "both", 38, 0.1)
    assert up.per_method == {"random": 18.0, "contiguous": 18.5}
    assert up.ci == (14.5, 19.5)
    down = calibrate(_ref(), U.get("ks"), "numerical", 20, false_alarm_rate=0.1, method="both", pools=pools)
    # p-values: the lower threshold (2.0 from random, 2.5 from contiguous)
    assert (down.threshold, down.per_method, down.achieved_rate) == (2.0, {"random": 2.0, "contiguous": 2.5}, 0.1)
    assert down.ci == (1.0, 5.0)


def test_too_few_pooled_draws_are_refused_by_calibrate_with_the_count():
    # 18 draws: floor(0.05 * 19) = 0 draws may be flagged; 19 draws are enough (floor(0.05 * 20) = 1)
    pools = {"random": NullScores(np.arange(1.0, 19.0), "random", 20)}
    with pytest.raises(MlmonError) as e:
        calibrate(_ref(), U.get("wasserstein"), "numerical", 20, false_alarm_rate=0.05, pools=pools)
    assert (e.value.what, e.value.where, e.value.todo) == (
        "18 random draws cannot set a false-alarm rate of 0.05", "false_alarm_rate",
        "use at least 19 draws, a higher rate, or another method")
    ok = calibrate(_ref(), U.get("wasserstein"), "numerical", 20, false_alarm_rate=0.05,
                   pools={"random": NullScores(np.arange(1.0, 20.0), "random", 20)})
    assert ok.threshold == 19.0


@pytest.mark.parametrize("chunks, method", [(9, "both"), (8, "random")])
def test_auto_uses_chunks_once_there_are_one_over_r_minus_one_of_them(chunks, method):
    # R = 0.1: C + 1 >= 10 chunks of the group's size
    rng = np.random.default_rng(23)
    n = 20
    raw = rng.normal(size=chunks * n + 7)
    if 2 * n > raw.size:
        pytest.skip("reference too small")
    cal = calibrate(raw, U.get("wasserstein"), "numerical", n, false_alarm_rate=0.1, draws=19,
                    time_order=np.arange(raw.size))
    assert cal.method == method


def test_explicit_methods():
    raw = np.random.default_rng(24).normal(size=600)
    order = np.arange(raw.size)
    w = U.get("wasserstein")
    assert calibrate(raw, w, "numerical", 20, false_alarm_rate=0.1, draws=19, method="both", time_order=order).method == "both"
    c = calibrate(raw, w, "numerical", 20, false_alarm_rate=0.1, draws=19, method="contiguous", time_order=order)
    assert c.method == "contiguous" and list(c.per_method) == ["contiguous"]


def test_calibrate_defaults_are_200_draws_seed_0_auto_and_an_unsorted_reference():
    raw = np.random.default_rng(25).normal(size=1000)
    w = U.get("wasserstein")
    got = calibrate(raw, w, "numerical", 20)
    lo, _ = size_bucket(20)
    pool = null_scores(np.sort(raw), w, "numerical", lo, draws=200, method="random", seed=0, presorted=True)
    assert got == calibrate(raw, w, "numerical", 20, false_alarm_rate=0.01, pools={"random": pool})
    assert got.draws == 200


def test_calibrate_draws_categorical_pools_as_categorical():
    codes = np.random.default_rng(26).integers(0, 30, 600)
    psi = U.get("psi")
    got = calibrate(codes, psi, "categorical", 20, false_alarm_rate=0.1, draws=19, seed=4)
    pool = null_scores(codes, psi, "categorical", 20, draws=19, method="random", seed=4)
    assert got == calibrate(codes, psi, "categorical", 20, false_alarm_rate=0.1, pools={"random": pool})


# ------------------------------------------------------------------------------ null scores


def _key_rng(seed, method, n):
    # the documented stream: seed (or seed tuple), crc32 of the method, the window size
    key = list(seed) if isinstance(seed, (list, tuple)) else [int(seed)]
    return np.random.default_rng(key + [zlib.crc32(method.encode()), int(n)])


def _score(test, ct, values, idx_window, keep):
    return float(test(values[keep], values[np.sort(idx_window)], ct, presorted=True).score)


def test_random_draws_are_n_distinct_rows_against_the_rest():
    values = np.sort(np.random.default_rng(27).normal(size=300))
    w = U.get("wasserstein")
    rng = _key_rng(5, "random", 20)
    expected = []
    for _ in range(30):
        idx = rng.choice(300, 20, replace=False)
        keep = np.ones(300, dtype=bool)
        keep[idx] = False
        expected.append(_score(w, "numerical", values, idx, keep))
    got = null_scores(values, w, "numerical", 20, draws=30, seed=5, presorted=True)
    assert (got.method, got.n) == ("random", 20)
    assert got.scores == pytest.approx(np.sort(expected), rel=1e-12)
    # the defaults: random draws with seed 0
    again = null_scores(values, w, "numerical", 20, draws=30, presorted=True)
    np.testing.assert_array_equal(again.scores, null_scores(values, w, "numerical", 20, draws=30, method="random",
                                                            seed=0, presorted=True).scores)


def test_fast_random_draws_come_from_a_held_out_part_against_the_rest():
    N, n, draws = 4000, 20, 700
    values = np.sort(np.random.default_rng(28).normal(size=N))
    w = U.get("wasserstein")
    rng = _key_rng(6, "random", n)
    held = np.sort(rng.choice(N, min(N // 2, max(50 * n, 10_000)), replace=False))  # holdout_size: 2000
    keep = np.ones(N, dtype=bool)
    keep[held] = False
    per = held.size // n
    rows = np.concatenate([rng.permutation(held.size)[:per * n].reshape(per, n) for _ in range(-(-draws // per))])[:draws]
    expected = [_score(w, "numerical", values, held[r], keep) for r in rows]
    got = null_scores(values, w, "numerical", n, draws=draws, seed=6, presorted=True, fast=True)
    assert got.scores.size == draws
    assert got.scores == pytest.approx(np.sort(expected), rel=1e-9)


def test_fast_count_draws_match_the_test_and_a_bare_function_is_probed_at_0_05():
    N, n = 2000, 20
    codes = np.sort(np.random.default_rng(29).integers(0, 5, N))
    psi = U.get("psi")
    fast = null_scores(codes, psi, "categorical", n, draws=40, seed=1, presorted=True, fast=True)
    rng = _key_rng(1, "random", n)
    held = np.sort(rng.choice(N, N // 2, replace=False))
    keep = np.ones(N, dtype=bool)
    keep[held] = False
    per = held.size // n
    rows = rng.permutation(held.size)[:per * n].reshape(per, n)[:40]
    assert fast.scores == pytest.approx(np.sort([_score(psi, "categorical", codes, held[r], keep) for r in rows]),
                                        rel=1e-12)
    bare = null_scores(codes, psi.func, "categorical", n, draws=10, seed=1, presorted=True)
    assert bare.scores == pytest.approx(null_scores(codes, psi, "categorical", n, draws=10, seed=1, presorted=True).scores,
                                        rel=1e-15)


def test_the_fast_path_needs_twenty_windows_in_the_reference():
    w = U.get("wasserstein")
    values = np.sort(np.random.default_rng(30).normal(size=400))
    slow = null_scores(values, w, "numerical", 20, draws=30, seed=2, presorted=True)
    at = null_scores(values, w, "numerical", 20, draws=30, seed=2, presorted=True, fast=True)   # N = 20 n: fast
    assert not np.array_equal(at.scores, slow.scores)
    below = null_scores(values, w, "numerical", 21, draws=30, seed=2, presorted=True, fast=True)  # N < 20 n: exact
    np.testing.assert_array_equal(below.scores, null_scores(values, w, "numerical", 21, draws=30, seed=2,
                                                            presorted=True).scores)


def _contiguous_expected(values, test, ct, n, draws, seed):
    N = values.size
    rng = _key_rng(seed, "contiguous", n)
    C = N // n
    if C > draws:
        starts = np.sort(rng.choice(C, draws, replace=False)) * n
    else:
        starts = int(rng.integers(0, N - C * n + 1)) + np.arange(C) * n
    out = []
    for s in starts:
        keep = np.ones(N, dtype=bool)
        keep[s:s + n] = False
        out.append(_score(test, ct, values, np.arange(s, s + n), keep))
    return np.sort(out)


@pytest.mark.parametrize("N, draws", [(407, 10), (407, 20), (407, 30)])
def test_contiguous_chunks_are_runs_of_n_rows_in_time_order(N, draws):
    # 407 rows hold C = 20 chunks of 20 (7 rows to spare): C > draws samples chunks, C <= draws
    # takes all of them from a random offset
    values = np.random.default_rng(31).normal(size=N)   # in time order, not sorted
    order = np.argsort(values, kind="stable")
    w = U.get("wasserstein")
    got = null_scores(values, w, "numerical", 20, draws=draws, method="contiguous", seed=3, time_order=np.arange(N))
    # chunk scores depend only on which time positions are in the window: score them on the raw values
    expected = _contiguous_expected(values, w, "numerical", 20, draws, 3)
    assert got.method == "contiguous" and got.scores.size == min(draws, 20)
    assert got.scores == pytest.approx(expected, rel=1e-9)
    assert order.size == N


def test_contiguous_chunks_need_a_time_order():
    with pytest.raises(ValueError, match="^contiguous chunks need time_order$"):
        null_scores(_ref(), U.get("wasserstein"), "numerical", 20, method="contiguous", presorted=True)


@pytest.mark.parametrize("N, n, ok", [(10, 5, True), (11, 5, True), (10, 6, False), (10, 2, True), (10, 1, False)])
def test_window_sizes_from_two_rows_to_half_the_reference(N, n, ok):
    values = np.arange(float(N))
    w = U.get("wasserstein")
    if ok:
        assert null_scores(values, w, "numerical", n, draws=5, presorted=True).scores.size == 5
    else:
        with pytest.raises(MlmonError) as e:
            null_scores(values, w, "numerical", n, draws=5, presorted=True)
        assert (e.value.what, e.value.where, e.value.todo) == (
            f"cannot calibrate windows of {n} rows on a reference of {N} rows", "window",
            f"calibration needs windows of 2 to {N // 2} rows (at most half the reference)")


def test_fast_contiguous_chunks_against_the_reference_without_them():
    # 100 chunks fit in half of 4000 rows of 20: the fast path drops them all from one comparison set
    N, n, draws = 4000, 20, 150
    values = np.random.default_rng(32).normal(size=N)
    w = U.get("wasserstein")
    got = null_scores(values, w, "numerical", n, draws=draws, method="contiguous", seed=4, time_order=np.arange(N),
                      fast=True)
    rng = _key_rng(4, "contiguous", n)
    starts = np.sort(rng.choice(N // n, draws, replace=False)) * n
    room = N // (2 * n)
    starts = np.sort(rng.choice(starts, room, replace=False))
    keep = np.ones(N, dtype=bool)
    for s in starts:
        keep[s:s + n] = False
    expected = [float(w(np.sort(values[keep]), np.sort(values[s:s + n]), "numerical", presorted=True).score)
                for s in starts]
    assert got.scores.size == room
    assert got.scores == pytest.approx(np.sort(expected), rel=1e-9)


def _psi_float_codes(N, seed):
    """30 category values as floats: no count kernel, and binned as numbers they would differ."""
    return np.random.default_rng(seed).integers(0, 30, N).astype(np.float64)


def test_random_draws_of_a_categorical_test_are_scored_as_categorical():
    values = np.sort(_psi_float_codes(300, 41))
    psi = U.get("psi")
    rng = _key_rng(5, "random", 20)
    expected = []
    for _ in range(15):
        idx = rng.choice(300, 20, replace=False)
        keep = np.ones(300, dtype=bool)
        keep[idx] = False
        expected.append(_score(psi, "categorical", values, idx, keep))
    got = null_scores(values, psi, "categorical", 20, draws=15, seed=5, presorted=True)
    assert got.scores == pytest.approx(np.sort(expected), rel=1e-12)


def test_fast_random_draws_of_a_categorical_test_are_scored_as_categorical():
    N, n, draws = 2000, 20, 30
    values = np.sort(_psi_float_codes(N, 42))
    psi = U.get("psi")
    rng = _key_rng(6, "random", n)
    held = np.sort(rng.choice(N, N // 2, replace=False))
    keep = np.ones(N, dtype=bool)
    keep[held] = False
    per = held.size // n
    rows = rng.permutation(held.size)[:per * n].reshape(per, n)[:draws]
    got = null_scores(values, psi, "categorical", n, draws=draws, seed=6, presorted=True, fast=True)
    assert (got.method, got.n) == ("random", n)
    assert got.scores == pytest.approx(np.sort([_score(psi, "categorical", values, held[r], keep) for r in rows]),
                                       rel=1e-12)


@pytest.mark.parametrize("test_id, column_type", [("psi", "categorical"), ("chisquare", "categorical")])
def test_fast_contiguous_chunks_of_a_categorical_test(test_id, column_type):
    N, n, draws = 4000, 20, 150
    raw = _psi_float_codes(N, 43)
    values = raw if test_id == "psi" else raw.astype(np.int64)
    test = U.get(test_id)
    got = null_scores(values, test, column_type, n, draws=draws, method="contiguous", seed=4, time_order=np.arange(N),
                      fast=True)
    rng = _key_rng(4, "contiguous", n)
    starts = np.sort(rng.choice(N // n, draws, replace=False)) * n
    starts = np.sort(rng.choice(starts, N // (2 * n), replace=False))
    keep = np.ones(N, dtype=bool)
    for s in starts:
        keep[s:s + n] = False
    expected = [float(test(np.sort(values[keep]), np.sort(values[s:s + n]), column_type, presorted=True).score)
                for s in starts]
    assert (got.method, got.n) == ("contiguous", n)
    assert got.scores == pytest.approx(np.sort(expected), rel=1e-9)


def test_null_scores_defaults_and_an_unknown_method():
    values = np.sort(np.random.default_rng(44).normal(size=1000))
    w = U.get("wasserstein")
    assert null_scores(values, w, "numerical", 20, presorted=True).scores.size == 200
    with pytest.raises(ValueError, match="^unknown method 'sometimes'$"):
        null_scores(values, w, "numerical", 20, method="sometimes", presorted=True)


def test_no_scores_flag_nothing_and_too_few_draws_name_their_count():
    from mlmon.stats.calibration import flagged_share, threshold_from_scores
    assert np.isnan(flagged_share(np.array([]), 0.1, ">="))
    with pytest.raises(ValueError, match="^5 draws cannot set a false-alarm rate of 0.1$"):
        threshold_from_scores(np.arange(5.0), ">=", 0.1)
