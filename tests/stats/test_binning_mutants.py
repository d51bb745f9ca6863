"""Binned summaries for pictures (stats/binning.py) against numpy's own quantile and histogram
(the definitions the module names) and hand counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmon.stats.binning import (BIN_PROBS, SUMMARY_PROBS, bin_counts, category_shares, densities, numeric_bins,
                                 shared_edges, sorted_quantiles, summarize, summarize_sorted)

RNG = np.random.default_rng(20261202)
INTS = [float(i) for i in range(21)]  # the quantiles of 0..20 at BIN_PROBS


def test_bin_probabilities_and_named_quantiles():
    assert BIN_PROBS.tolist() == pytest.approx([i / 20 for i in range(21)], abs=1e-15)
    assert SUMMARY_PROBS == {"p05": 1, "p25": 5, "p50": 10, "p75": 15, "p95": 19}


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 21, 101, 1000])
def test_sorted_quantiles_equal_numpys_linear_quantile_to_the_last_digit(n):
    values = np.sort(RNG.standard_normal(n) * 1e3)
    probs = np.concatenate([BIN_PROBS, [0.001, 0.333, 0.5, 0.999]])
    assert sorted_quantiles(values, probs).tolist() == np.quantile(values, probs).tolist()


def test_sorted_quantiles_near_the_upper_end_and_halfway():
    values = np.array([1.0, 2.0, 4.0, 8.0])
    probs = np.array([0.0, 0.5, 0.9, 0.95, 1.0])
    # hand (definition 7): index 3p -> 1, 3, 4 + 0.7 * 4 = 6.8, 4 + 0.85 * 4 = 7.4, 8
    assert sorted_quantiles(values, probs).tolist() == pytest.approx([1.0, 3.0, 6.8, 7.4, 8.0], abs=1e-12)
    assert sorted_quantiles(values, probs).tolist() == np.quantile(values, probs).tolist()


def test_summarize_sorts_a_copy_unless_owned():
    values = np.array([3.0, 1.0, 2.0])
    s = summarize(values)
    assert values.tolist() == [3.0, 1.0, 2.0]
    assert s.sorted.tolist() == [1.0, 2.0, 3.0] and s.n == 3 and s.mean == 2.0
    assert s.quantiles.tolist() == np.quantile(values, BIN_PROBS).tolist()
    owned = np.array([3.0, 1.0, 2.0])
    summarize(owned, owned=True)
    assert owned.tolist() == [1.0, 2.0, 3.0]


def test_named_quantiles_read_the_right_positions():
    values = RNG.standard_normal(257)
    want = dict(zip(["p05", "p25", "p50", "p75", "p95"], np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])))
    for s in (summarize(values), summarize_sorted(np.sort(values))):
        got = s.named_quantiles()
        assert list(got) == list(want)
        assert got == pytest.approx(want, abs=1e-12)
        assert isinstance(got["p50"], float)


@pytest.mark.parametrize("make", [summarize, summarize_sorted])
def test_an_empty_sample_summarizes_to_nothing(make):
    s = make(np.empty(0))
    assert s.n == 0 and math.isnan(s.mean) and s.quantiles.size == 0 and s.sorted.size == 0
    assert s.named_quantiles() == {}


def test_summarize_sorted_neither_copies_nor_sorts():
    ordered = np.arange(5.0)
    s = summarize_sorted(ordered)
    assert s.sorted is ordered and s.n == 5 and s.mean == 2.0
    assert s.quantiles.tolist() == np.quantile(ordered, BIN_PROBS).tolist()


def test_shared_edges_add_only_current_quantiles_outside_the_reference():
    ref = summarize(np.arange(21.0))          # quantiles 0, 1, ..., 20
    cur = summarize(np.arange(21.0) - 5.5)    # quantiles -5.5, ..., 14.5: six below 0, none above 20
    assert shared_edges(ref, cur).tolist() == pytest.approx([-5.5, -4.5, -3.5, -2.5, -1.5, -0.5] + INTS, abs=1e-12)
    above = summarize(np.arange(21.0) + 5.5)  # 15.5 ... 25.5: the five above 20 join
    assert shared_edges(ref, above).tolist() == pytest.approx(INTS + [20.5, 21.5, 22.5, 23.5, 24.5, 25.5], abs=1e-12)
    # a current sample touching the reference's ends exactly adds nothing
    assert shared_edges(ref, summarize(np.array([0.0, 20.0]))).tolist() == pytest.approx(INTS, abs=1e-12)


def test_shared_edges_with_one_side_empty_or_both():
    empty = summarize(np.empty(0))
    one = summarize(np.arange(21.0))
    assert shared_edges(empty, empty).tolist() == [0.0, 1.0]
    assert shared_edges(one, empty).tolist() == pytest.approx(INTS, abs=1e-12)
    assert shared_edges(empty, one).tolist() == pytest.approx(INTS, abs=1e-12)
    assert shared_edges(summarize(np.full(4, 3.0)), empty).tolist() == [2.5, 3.5]
    assert shared_edges(summarize(np.full(4, -2.0)), summarize(np.full(3, -2.0))).tolist() == [-2.5, -1.5]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bin_counts_equal_numpys_histogram(seed):
    rng = np.random.default_rng(seed)
    values = np.sort(np.round(rng.standard_normal(500), 1))  # rounded: many values on the edges
    edges = np.unique(np.round(np.quantile(values, BIN_PROBS), 1))
    assert bin_counts(values, edges).tolist() == np.histogram(values, edges)[0].tolist()


def test_bin_counts_close_only_the_last_bin():
    # [0, 1), [1, 2]: 0, 0.5 | 1, 2, 2; a value at the first edge counts, one past the last does not
    assert bin_counts(np.array([0.0, 0.5, 1.0, 2.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0])).tolist() == [2, 3]
    assert bin_counts(np.array([-1.0, 0.0, 1.0]), np.array([0.0, 1.0])).tolist() == [2]


def test_densities_integrate_to_one_like_numpys_density_histogram():
    values = np.sort(RNG.exponential(size=300))
    edges = np.array([0.0, 0.1, 0.5, 2.0, 10.0])
    counts = bin_counts(values, edges)
    assert densities(counts, edges).tolist() == pytest.approx(np.histogram(values, edges, density=True)[0].tolist(),
                                                             rel=1e-12)
    assert densities(np.array([2, 2]), np.array([0.0, 1.0, 3.0])).tolist() == [0.5, 0.25]
    assert densities(np.zeros(3, dtype=int), np.array([0.0, 1.0, 2.0, 3.0])).tolist() == [0.0, 0.0, 0.0]


def test_category_shares_top_and_moved():
    ref = np.array([40, 30, 20, 10, 0])
    cur = np.array([10, 30, 20, 10, 30])
    s = category_shares(ref, cur, top=3, moved=2)
    # shares: ref .4 .3 .2 .1 0; cur .1 .3 .2 .1 .3; largest per category .4 .3 .2 .1 .3
    assert s.reference_share.tolist() == [0.4, 0.3, 0.2, 0.1, 0.0]
    assert s.current_share.tolist() == [0.1, 0.3, 0.2, 0.1, 0.3]
    assert s.shown == [0, 1, 4]          # .4, then .3 twice (earlier first), sorted by position
    assert s.moved == [0, 4]             # |change| .3 twice: earlier first; unchanged ones never named
    # the defaults: twelve shown, five moved
    many_r, many_c = np.arange(1, 21), np.arange(20, 0, -1)
    d = category_shares(many_r, many_c)
    assert len(d.shown) == 12 and len(d.moved) == 5
    assert d.shown == [0, 1, 2, 3, 4, 5, 14, 15, 16, 17, 18, 19]
    assert d.moved == [0, 19, 1, 18, 2]


def test_category_shares_name_no_unchanged_category_and_survive_an_empty_side():
    s = category_shares(np.array([5, 5]), np.array([1, 1]))
    assert s.moved == [] and s.shown == [0, 1]
    e = category_shares(np.array([0, 0, 0]), np.array([1, 0, 3]))
    assert e.reference_share.tolist() == [0.0, 0.0, 0.0] and e.current_share.tolist() == [0.25, 0.0, 0.75]
    assert e.moved == [2, 0] and e.shown == [0, 1, 2]


@pytest.mark.parametrize("presorted", [False, True])
def test_numeric_bins_count_both_samples_on_the_shared_edges(presorted):
    ref = np.sort(RNG.standard_normal(400))
    cur = np.sort(RNG.standard_normal(300) + 3.0)
    edges, rs, cs, rc, cc = numeric_bins(ref.copy(), cur.copy(), presorted=presorted)
    assert edges.tolist() == shared_edges(summarize(ref), summarize(cur)).tolist()
    assert rc.tolist() == np.histogram(ref, edges)[0].tolist()
    assert cc.tolist() == np.histogram(cur, edges)[0].tolist()
    assert (rs.n, cs.n) == (400, 300) and rc.sum() == 400 and cc.sum() == 300


def test_numeric_bins_owned_sorts_in_place_and_unowned_does_not():
    ref, cur = np.array([2.0, 0.0, 1.0]), np.array([5.0, 4.0])
    numeric_bins(ref, cur)
    assert ref.tolist() == [2.0, 0.0, 1.0] and cur.tolist() == [5.0, 4.0]
    numeric_bins(ref, cur, owned=True)
    assert ref.tolist() == [0.0, 1.0, 2.0] and cur.tolist() == [4.0, 5.0]


def test_category_shares_keep_the_earlier_of_tied_categories_among_many():
    even = category_shares(np.ones(100, dtype=int), np.ones(100, dtype=int))
    assert even.shown == list(range(12)) and even.moved == []
    flip = category_shares(np.ones(100, dtype=int), np.tile([2, 0], 50))
    assert flip.moved == [0, 1, 2, 3, 4]
    assert flip.shown == list(range(0, 24, 2))   # the current's doubled shares are the largest
    # 300 categories in three tied levels: the first twelve of the top level, the first five of the most moved
    cur = np.random.default_rng(0).integers(1, 4, 300)
    top = np.flatnonzero(cur == cur.max())
    ties = category_shares(np.ones(300, dtype=int), cur)
    assert ties.shown == top[:12].tolist()
    change = np.abs(cur / cur.sum() - 1 / 300)
    assert ties.moved == np.flatnonzero(change == change.max())[:5].tolist()
