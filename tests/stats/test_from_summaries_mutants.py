"""Drift tests from summaries (stats/from_summaries.py): on exact counts they are the row kernels
(themselves checked against Evidently and scipy) and scipy's functions to the last digits; from a
fine histogram and a quantile sketch their bounds hold the row score, with hand-computed pieces
(coarse counts, share boxes, zero filling, convex-term bounds)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.stats import from_counts as fc
from mlmon.stats import from_summaries as fs
from mlmon.stats.from_summaries import NumericSummaryView
from mlmon.stats.univariate import CATEGORICAL, NUMERICAL, get
from mlmon.stats.univariate._binning import sturges_edges


class ExactSketch:
    """A quantile sketch that keeps every value (rank error as declared)."""

    def __init__(self, values, rank_error=0.0):
        self.v = np.sort(np.asarray(values, dtype=np.float64))
        self.rank_error = rank_error

    def items(self):
        vals, w = np.unique(self.v, return_counts=True)
        return vals, w

    def cdf(self, points):
        return np.searchsorted(self.v, points, side="right") / self.v.size


def view(values, width=1.0, exact=False, rank_error=0.0, sketch=None):
    """A summary of ``values``: fine bins of ``width`` (key 0 holds exactly 0, key k > 0 holds
    ((k-1) w, k w], key k < 0 holds [k w, (k+1) w)), value counts when ``exact``."""
    v = np.asarray(values, dtype=np.float64)
    keys = np.where(v > 0, np.ceil(v / width), np.where(v < 0, np.floor(v / width), 0)).astype(np.int64)
    uk, cnt = np.unique(keys, return_counts=True)
    left = np.where(uk > 0, (uk - 1) * width, np.where(uk < 0, uk * width, 0.0))
    right = np.where(uk > 0, uk * width, np.where(uk < 0, (uk + 1) * width, 0.0))
    left, right = np.maximum(left, v.min()), np.minimum(right, v.max())
    vc = dict(Counter(v.tolist())) if exact else None
    return NumericSummaryView(count=int(v.size), min=float(v.min()), max=float(v.max()), std=float(v.std()),
                              value_counts=vc, values=v if exact else None, bin_keys=uk, bin_counts=cnt,
                              bin_left=left, bin_right=np.maximum(left, right),
                              sketch=sketch if sketch is not None else ExactSketch(v, rank_error))


# ---------------------------------------------------------------------------- count tests


@pytest.mark.parametrize("test_id, func", [("chisquare", fc.chisquare_counts), ("z", fc.z_counts),
                                           ("g_test", fc.g_test_counts)])
def test_counts_on_categories_are_the_count_kernels(test_id, func):
    ref, cur = np.array([40, 60]), np.array([55, 45])
    r = fs.counts(test_id, ref, cur, CATEGORICAL, 0.05)
    want = func(ref, cur, 0.05)
    assert (r.score, r.drifted, r.statistic) == (want.score, want.drifted, want.statistic)
    assert (r.approximate, r.basis, r.verdict_certain, r.score_bounds) == (False, "exact counts", True, None)


def test_counts_on_numbers_align_the_value_counts_of_both_sides():
    ref = view([1.0, 1, 2, 2, 2, 3, 5, 5], exact=True)
    cur = view([1.0, 2, 3, 3, 3, 3, 4, 5], exact=True)
    # keys 1..5: reference [2, 3, 1, 0, 2], current [1, 1, 4, 1, 1] (G-test on equal sizes 8)
    r = fs.counts("g_test", ref, cur, NUMERICAL, 0.1)
    want = fc.g_test_counts(np.array([2, 3, 1, 0, 2]), np.array([1, 1, 4, 1, 1]), 0.1)
    assert (r.score, r.statistic, r.drifted) == (want.score, want.statistic, want.drifted)
    assert r.basis == "exact value counts" and r.approximate is False


def test_z_on_numbers_is_statsmodels_on_the_rows():
    from statsmodels.stats.proportion import proportions_ztest

    ref, cur = view([0.0] * 30 + [1.0] * 70, exact=True), view([0.0] * 45 + [1.0] * 55, exact=True)
    z, p = proportions_ztest([70, 55], [100, 100])
    r = fs.counts("z", ref, cur, NUMERICAL, 0.05)
    assert r.statistic == pytest.approx(z, rel=1e-12) and r.score == pytest.approx(p, rel=1e-9)
    assert r.drifted is True


@pytest.mark.parametrize("which", ["reference", "current"])
def test_counts_need_exact_value_counts_on_numbers(which):
    exact, coarse = view([1.0, 2, 3], exact=True), view([1.0, 2, 3])
    ref, cur = (coarse, exact) if which == "reference" else (exact, coarse)
    with pytest.raises(ValueError, match="more distinct values than a profile counts exactly"):
        fs.counts("chisquare", ref, cur, NUMERICAL, 0.05)


# ---------------------------------------------------------------------------- histogram tests


@pytest.mark.parametrize("test_id, func", [("psi", fc.psi_counts), ("jensenshannon", fc.jensenshannon_counts),
                                           ("kl_div", fc.kl_div_counts), ("hellinger", fc.hellinger_counts)])
def test_binned_on_categories_are_the_count_kernels(test_id, func):
    ref, cur = np.array([40, 60, 0]), np.array([55, 40, 5])
    r = fs.binned(test_id, ref, cur, CATEGORICAL, 0.1)
    want = func(ref, cur, 0.1)
    assert (r.score, r.drifted) == (want.score, want.drifted)
    assert r.basis == "exact counts" and r.approximate is False


RNG = np.random.default_rng(20261203)
FEW_REF = RNG.integers(0, 8, 300).astype(float)      # 8 values: one bin per value
FEW_CUR = RNG.integers(2, 11, 250).astype(float)
MANY_REF = RNG.integers(0, 40, 300).astype(float)    # 40 values: Sturges bins over all 550 rows
MANY_CUR = RNG.integers(5, 45, 250).astype(float)


@pytest.mark.parametrize("test_id", ["psi", "jensenshannon", "kl_div", "hellinger"])
@pytest.mark.parametrize("ref, cur", [(FEW_REF, FEW_CUR), (MANY_REF, MANY_CUR)], ids=["few", "many"])
def test_binned_on_exact_value_counts_is_the_row_kernel(test_id, ref, cur):
    r = fs.binned(test_id, view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.1)
    want = get(test_id)(ref, cur, NUMERICAL, 0.1)
    assert r.score == pytest.approx(want.score, rel=1e-12, abs=1e-15)
    assert r.drifted == want.drifted and r.basis == "exact value counts" and r.approximate is False


def test_binned_switches_to_sturges_bins_above_twenty_reference_values():
    # 21 reference values: Sturges bins; exactly 20: one bin per value (Evidently's rule)
    for n_values in (20, 21):
        ref = np.arange(n_values, dtype=float).repeat(3)
        cur = np.arange(3, n_values + 3, dtype=float).repeat(2)
        r = fs.binned("psi", view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.1)
        assert r.score == pytest.approx(get("psi")(ref, cur, NUMERICAL, 0.1).score, rel=1e-12)


def test_numerical_hellinger_on_exact_counts_uses_sturges_over_distinct_values():
    ref = np.array([0.0] * 50 + [10.0] * 50)
    cur = np.array([0.0] * 20 + [5.0] * 30 + [10.0] * 50)
    # three distinct values: sturges over 3 -> ceil(log2 3 + 1) = 3 bins of width 10/3
    edges = sturges_edges(0.0, 10.0, 3)
    assert edges.size == 4
    r = fs.binned("hellinger", view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.1)
    # densities [.5, 0, .5] and [.2, .3, .5] per 10/3, times the width 10/3
    want = math.sqrt(1 - (math.sqrt(0.5 * 0.2) + 0 + 0.5))
    assert r.score == pytest.approx(want, rel=1e-12)
    assert r.score == pytest.approx(get("hellinger")(ref, cur, NUMERICAL, 0.1).score, rel=1e-12)


def test_coarse_counts_share_a_straddling_fine_bin_by_overlap():
    v = NumericSummaryView(4, 0.0, 4.0, 1.0, None, None, np.array([1, 2]), np.array([3, 1]),
                           np.array([0.0, 1.5]), np.array([1.0, 2.5]))
    est, low, high = fs.coarse_counts(v, np.array([0.0, 2.0, 4.0]))
    assert est.tolist() == [3.5, 0.5] and low.tolist() == [3, 0] and high.tolist() == [4, 1]
    # a fine bin over three coarse bins [0, 1, 2, 3]: 6 values on [0.5, 2.5], overlaps .5, 1, .5
    v = NumericSummaryView(6, 0.0, 3.0, 1.0, None, None, np.array([1]), np.array([6]),
                           np.array([0.5]), np.array([2.5]))
    est, low, high = fs.coarse_counts(v, np.array([0.0, 1.0, 2.0, 3.0]))
    assert est.tolist() == [1.5, 3.0, 1.5] and low.tolist() == [0, 0, 0] and high.tolist() == [6, 6, 6]
    # a single-value bin on an inner edge belongs to the bin it opens; one at the top to the last
    v = NumericSummaryView(5, 0.0, 2.0, 1.0, None, None, np.array([1, 2]), np.array([2, 3]),
                           np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    est, low, high = fs.coarse_counts(v, np.array([0.0, 1.0, 2.0]))
    assert est.tolist() == [0.0, 5.0] and low.tolist() == [0, 5] and high.tolist() == [0, 5]
    # a straddling bin of zero overlap (a point left of the first edge clipped in) goes to its first bin
    v = NumericSummaryView(2, 0.0, 2.0, 1.0, None, None, np.array([1]), np.array([2]),
                           np.array([-1.0]), np.array([0.5]))
    est, low, high = fs.coarse_counts(v, np.array([0.0, 1.0, 2.0]))
    assert est.tolist() == [2.0, 0.0] and low.tolist() == [2, 0] and high.tolist() == [2, 0]


def test_coarse_counts_straddling_a_zero_width_part_goes_first():
    # fine bin [1, 1] of two values on the edge 1 of [0, 1, 1, 2] (a degenerate coarse bin)
    v = NumericSummaryView(2, 0.0, 2.0, 1.0, None, None, np.array([1]), np.array([2]),
                           np.array([0.5]), np.array([0.5]))
    est, _, _ = fs.coarse_counts(v, np.array([0.0, 1.0, 2.0]))
    assert est.tolist() == [2.0, 0.0]


def test_zero_fill_is_evidentlys():
    assert fs._zero_fill(0.5) == 0.0001
    assert fs._zero_fill(0.0001) == pytest.approx(1e-10)  # at most 1e-4: the share / 1e6
    assert fs._zero_fill(0.00005) == pytest.approx(5e-11)


def test_share_box_without_and_with_zero_filling():
    low, high = np.array([0, 2, 5]), np.array([1, 4, 12])
    lo, hi = fs._share_box(low, high, 10, False)
    assert lo.tolist() == [0.0, 0.2, 0.5] and hi.tolist() == [0.1, 0.4, 1.0]  # capped at n
    lo, hi = fs._share_box(low, high, 10, True)
    # the empty-at-least bin: low fill min(0.0001, 1/10); high max(0.1, fill of 0.2 -> 0.0001)
    assert lo.tolist() == pytest.approx([0.0001, 0.2, 0.5], abs=1e-15)
    assert hi.tolist() == pytest.approx([0.1, 0.4, 1.0], abs=1e-15)
    # tiny shares: the fill follows the least share (n = 100000, least non-zero count 1 -> 1e-5 / 1e6)
    low, high = np.array([0, 1, 99999]), np.array([0, 2, 99999])
    lo, hi = fs._share_box(low, high, 100000, True)
    assert lo[0] == pytest.approx(1e-11) and hi[0] == pytest.approx(2e-11)
    # no bin sure to be occupied: the upper fill uses a share of 1 (fill 1e-4)
    lo, hi = fs._share_box(np.array([0, 0]), np.array([0, 3]), 3, True)
    assert lo.tolist() == pytest.approx([0.0001, 0.0001]) and hi.tolist() == pytest.approx([0.0001, 1.0])


def test_convex_box_bounds_by_hand():
    term = fs._psi_term
    r_lo, r_hi = np.array([0.2, 0.5]), np.array([0.3, 0.6])
    c_lo, c_hi = np.array([0.25, 0.1]), np.array([0.35, 0.2])
    low, high = fs._convex_box(term, r_lo, r_hi, c_lo, c_hi, True)
    # bin 1 intervals meet (0); bin 2: r >= .5 > c: nearest corner (.5, .2)
    assert low == pytest.approx(float(term(0.5, 0.2)), rel=1e-12)
    corners = [max(float(term(a, b)) for a in (r_lo[i], r_hi[i]) for b in (c_lo[i], c_hi[i])) for i in range(2)]
    assert high == pytest.approx(sum(corners), rel=1e-12)
    # the mirrored case: c above r
    low, _ = fs._convex_box(term, c_lo[::-1], c_hi[::-1], r_lo[::-1], r_hi[::-1], True)
    assert low == pytest.approx(float(term(0.2, 0.5)), rel=1e-12)
    # r ln(r / c): least at r = c_hi / e when that is inside [r_lo, r_hi]
    low, _ = fs._convex_box(fs._kl_term, np.array([0.01]), np.array([0.5]), np.array([0.3]), np.array([0.4]), False)
    assert low == pytest.approx(-0.4 / math.e, rel=1e-12)
    low, _ = fs._convex_box(fs._kl_term, np.array([0.2]), np.array([0.5]), np.array([0.3]), np.array([0.4]), False)
    assert low == pytest.approx(0.2 * math.log(0.2 / 0.4), rel=1e-12)


def test_js_term_by_hand_and_at_zero_shares():
    p, q = np.array([0.5, 0.0, 0.5]), np.array([0.25, 0.25, 0.5])
    got = fs._js_term(p, q)
    m = (p + q) / 2
    assert got[0] == pytest.approx(0.5 * math.log(0.5 / m[0]) + 0.25 * math.log(0.25 / m[0]), rel=1e-12)
    assert got[1] == pytest.approx(0.25 * math.log(0.25 / m[1]), rel=1e-12)
    assert got[2] == 0.0
    assert fs._js_term(np.array([0.0]), np.array([0.0])).tolist() == [0.0]
    # half the sum is the squared Jensen-Shannon distance (natural log)
    from scipy.spatial.distance import jensenshannon

    assert math.sqrt(got.sum() / 2) == pytest.approx(jensenshannon(p, q), rel=1e-12)


CONT_REF = np.round(RNG.normal(50, 10, 400), 3)
CONT_CUR = np.round(RNG.normal(53, 12, 300), 3)


@pytest.mark.parametrize("test_id", ["psi", "jensenshannon", "kl_div", "hellinger"])
@pytest.mark.parametrize("width", [0.5, 4.0])
def test_bounded_binned_scores_hold_the_row_score(test_id, width):
    ref, cur = view(CONT_REF, width), view(CONT_CUR, width)
    r = fs.binned(test_id, ref, cur, NUMERICAL, 0.1)
    row = get(test_id)(CONT_REF, CONT_CUR, NUMERICAL, 0.1).score
    low, high = r.score_bounds
    assert low <= row <= high and low <= r.score <= high
    assert r.approximate is True and r.drifted == (r.score >= 0.1)
    assert r.error_bound == pytest.approx(max(r.score - low, high - r.score), rel=1e-12)
    assert r.verdict_certain == ((low >= 0.1) == (high >= 0.1))
    assert r.basis == "sturges bins from the fine histogram"


@pytest.mark.parametrize("test_id", ["psi", "jensenshannon", "kl_div"])
def test_binned_score_from_aligned_fine_bins_is_the_row_score(test_id):
    # integer values, fine bins of width 1 ending on integers, Sturges edges on integers: exact
    ref, cur = np.arange(1, 33, dtype=float).repeat(2), np.arange(9, 41, dtype=float).repeat(2)
    edges = sturges_edges(1.0, 40.0, 128)  # 8 bins of width 39/8
    assert edges.size == 9
    r = fs.binned(test_id, view(ref), view(cur), NUMERICAL, 0.1)
    row = get(test_id)(ref, cur, NUMERICAL, 0.1)
    low, high = r.score_bounds
    assert low <= row.score <= high and r.drifted == (r.score >= 0.1)


def test_bounded_binned_width_of_the_bounds_grows_with_coarser_fine_bins():
    fine = fs.binned("psi", view(CONT_REF, 0.25), view(CONT_CUR, 0.25), NUMERICAL, 0.1)
    coarse = fs.binned("psi", view(CONT_REF, 4.0), view(CONT_CUR, 4.0), NUMERICAL, 0.1)
    assert fine.error_bound < coarse.error_bound


def test_bounded_result_by_hand():
    rn, cn = view([1.0, 2.0, 3.0]), view([1.0, 2.0, 3.0])
    edges = np.array([1.0, 2.0, 3.0])  # 2 bins, 3 occupied fine bins: no note
    r = fs._bounded(0.2, 0.1, 0.3, 0.15, rn, cn, edges)
    assert r.score == 0.2 and r.drifted is True and r.approximate is True
    assert r.score_bounds == [pytest.approx(0.1 - 1.1e-12, abs=1e-15), pytest.approx(0.3 + 1.3e-12, abs=1e-15)]
    assert r.error_bound == pytest.approx(0.1 + 1.3e-12, abs=1e-15)
    assert r.verdict_certain is False and r.note == ""
    r = fs._bounded(0.2, 0.16, 0.3, 0.15, rn, cn, edges)
    assert r.verdict_certain is True and r.drifted is True
    r = fs._bounded(0.2, 0.16, 0.3, 0.2, rn, cn, edges)
    assert r.drifted is True and r.verdict_certain is False  # score >= threshold; low below it
    # the estimate outside the bounds widens them; a negative low stops at 0
    r = fs._bounded(0.05, 0.1, 0.3, 0.5, rn, cn, edges)
    assert r.score_bounds[0] == pytest.approx(0.05, abs=1e-11) and r.score_bounds[1] == pytest.approx(0.3, abs=1e-11)
    r = fs._bounded(0.05, 0.01, 0.04, 0.5, rn, cn, edges)
    assert r.score_bounds[0] == pytest.approx(0.01, abs=1e-11) and r.score_bounds[1] == pytest.approx(0.05, abs=1e-11)
    assert fs._bounded(0.0, -0.2, 0.1, 0.5, rn, cn, edges).score_bounds[0] == 0.0
    # equal bounds (to the slack) are approximate only by the slack: high > low still
    r = fs._bounded(0.2, 0.2, 0.2, 0.5, rn, cn, edges)
    assert r.approximate is True and r.verdict_certain is True and r.drifted is False
    # more test bins than occupied fine bins: the note says so
    r = fs._bounded(0.2, 0.1, 0.3, 0.15, rn, cn, np.array([1.0, 1.5, 2.0, 2.5, 3.0]))
    assert r.note == ("the profile's fine bins (3 occupied) are coarser than the test's 4 bins "
                      "(values spread little relative to their size): read this histogram score with care")


def test_bounded_hellinger_estimate_takes_every_row_as_distinct():
    ref, cur = view(CONT_REF, 0.5), view(CONT_CUR, 0.5)
    r = fs.binned("hellinger", ref, cur, NUMERICAL, 0.1)
    edges = sturges_edges(min(CONT_REF.min(), CONT_CUR.min()), max(CONT_REF.max(), CONT_CUR.max()), 700)
    want = fc.hellinger_density(fs.coarse_counts(ref, edges)[0], fs.coarse_counts(cur, edges)[0], edges).score
    assert r.score == pytest.approx(want, rel=1e-12)
    row = get("hellinger")(CONT_REF, CONT_CUR, NUMERICAL, 0.1).score  # over the distinct values
    assert r.score_bounds[0] <= row <= r.score_bounds[1]


def test_bounded_hellinger_covers_every_possible_distinct_count():
    # 40 rows on 4 values: distinct count 4 (the rows say) while the profile allows 4..40
    ref = np.array([1.0, 2.0, 3.0, 4.0]).repeat(10)
    cur = np.array([1.0, 1.0, 2.0, 4.0]).repeat(10)
    r = fs.binned("hellinger", view(ref, 1.0), view(cur, 1.0), NUMERICAL, 0.1)
    row = get("hellinger")(ref, cur, NUMERICAL, 0.1).score
    assert r.score_bounds[0] <= row <= r.score_bounds[1]


# ---------------------------------------------------------------------------- CDF tests


def test_ks_on_small_exact_value_counts_is_scipys_exact_ks_2samp():
    ref, cur = FEW_REF, FEW_CUR
    r = fs.ks(view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.05)
    want = stats.ks_2samp(ref, cur)
    assert r.statistic == pytest.approx(want.statistic, abs=1e-12)
    assert r.score == pytest.approx(want.pvalue, rel=1e-9)
    assert r.drifted is True and r.basis == "exact value counts" and r.approximate is False


def test_ks_exact_distribution_up_to_ten_thousand_rows():
    assert fs.KS_EXACT_MAX_N == 10_000
    rng = np.random.default_rng(5)
    ref, cur = rng.integers(0, 30, 10_000).astype(float), rng.integers(0, 31, 300).astype(float)
    r = fs.ks(view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.05)
    assert r.score == pytest.approx(get("ks")(ref, cur, NUMERICAL, 0.05).score, rel=1e-12)
    assert r.score == pytest.approx(stats.ks_2samp(ref, cur).pvalue, rel=1e-9)


@pytest.mark.parametrize("n_ref, n_cur", [(10_001, 300), (300, 10_001), (20_000, 15_000)])
def test_ks_on_large_exact_value_counts_is_smirnovs_limit(n_ref, n_cur):
    rng = np.random.default_rng(n_ref)
    ref, cur = rng.integers(0, 30, n_ref).astype(float), rng.integers(0, 31, n_cur).astype(float)
    want = stats.ks_2samp(ref, cur, method="asymp")
    r = fs.ks(view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.05)
    assert r.statistic == pytest.approx(want.statistic, abs=1e-12)
    assert r.score == pytest.approx(want.pvalue, rel=1e-9)
    assert r.drifted == (want.pvalue <= 0.05) and r.basis == "exact value counts"
    assert fs.ks(view(ref, exact=True), view(cur, exact=True), NUMERICAL, r.score).drifted is True  # p <= threshold


def test_ks_from_fine_bins_ending_on_the_values_is_exact():
    # integer values, fine bins (k - 1, k]: the histogram's lower end (at bin ends) is D itself
    rng = np.random.default_rng(8)
    ref, cur = rng.integers(1, 20, 3000).astype(float), rng.integers(2, 21, 2500).astype(float)
    d = stats.ks_2samp(ref, cur).statistic  # 0.069533
    r = fs.ks(view(ref, 1.0, rank_error=1e-6), view(cur, 1.0, rank_error=1e-6), NUMERICAL, 0.05)
    assert r.statistic == pytest.approx(d, abs=1e-12)
    assert r.score == pytest.approx(fc.ks_pvalue(d, 3000, 2500), rel=1e-12)
    assert r.basis == "fine histogram and KLL sketch"
    # a sketch almost exact pins the statistic: the bounds are D and D + 2e-6
    assert r.statistic_bounds == [pytest.approx(d, abs=1e-12), pytest.approx(d + 2e-6, abs=1e-12)]
    assert r.approximate is True and r.error_bound == pytest.approx(2e-6, abs=1e-12)
    assert r.score_bounds == [pytest.approx(fc.ks_pvalue(d + 2e-6, 3000, 2500), rel=1e-12),
                              pytest.approx(r.score, rel=1e-12)]
    assert r.verdict_certain is True and r.drifted is True
    assert fs.ks(view(ref, 1.0, rank_error=1e-6), view(cur, 1.0, rank_error=1e-6), NUMERICAL, r.score).drifted is True


def test_ks_from_coarse_bins_is_bounded_by_histogram_and_sketch():
    ref, cur = CONT_REF, CONT_CUR
    d = stats.ks_2samp(ref, cur).statistic
    # coarse bins, a sketch with rank error 0.02 on each side
    r = fs.ks(view(ref, 5.0, rank_error=0.02), view(cur, 5.0, rank_error=0.02), NUMERICAL, 0.05)
    hist = fc.ks_from_histograms(*fs._aligned_bins(view(ref, 5.0), view(cur, 5.0))[1:])
    lo, hi = r.statistic_bounds
    assert lo <= d <= hi and r.approximate is True
    assert lo == pytest.approx(max(hist.low, d - 0.04), abs=1e-12)
    assert hi == pytest.approx(min(hist.high, d + 0.04), abs=1e-12)
    assert r.statistic == pytest.approx(hist.low, abs=1e-12)  # the histogram's lower end
    assert r.error_bound == pytest.approx(max(r.statistic - lo, hi - r.statistic), abs=1e-12)
    p_lo, p_hi = r.score_bounds
    assert p_lo == pytest.approx(fc.ks_pvalue(hi, 400, 300), rel=1e-12)
    assert p_hi == pytest.approx(fc.ks_pvalue(lo, 400, 300), rel=1e-12)
    assert r.verdict_certain == ((p_hi <= 0.05) == (p_lo <= 0.05))
    assert r.drifted == (r.score <= 0.05)


def test_ks_from_bins_moves_the_estimate_where_the_sketch_proves_it_larger():
    # every value in one coarse fine bin per side except a few: the histogram knows little, the
    # exact sketch (rank error 0) knows D
    ref = np.linspace(0.1, 0.9, 50)
    cur = np.linspace(0.5, 0.95, 40)
    d = stats.ks_2samp(ref, cur).statistic
    r = fs.ks(view(ref, 1.0), view(cur, 1.0), NUMERICAL, 0.05)
    assert r.statistic == pytest.approx(d, abs=1e-12) and r.statistic_bounds == [pytest.approx(d, abs=1e-12)] * 2


def test_ks_treats_the_zero_bin_as_a_single_value():
    # shares per bin [-1, 0), {0}, (0, 1]: p = [.25, .75, 0], q = [0, .5, .5]; G after = [.25, .5, 0]
    ref = np.array([-0.5] * 10 + [0.0] * 30)
    cur = np.array([0.0] * 20 + [0.5] * 20)
    # were the zero bin an interval, G could reach before + p = .25 + .75 = 1 inside it
    r = fs.ks(view(ref, 1.0, rank_error=0.3), view(cur, 1.0, rank_error=0.3), NUMERICAL, 0.05)
    assert r.statistic == 0.5 and r.statistic_bounds == [0.5, 0.5] and r.approximate is False
    assert stats.ks_2samp(ref, cur).statistic == 0.5


def test_aligned_bins_put_each_sides_counts_under_the_union_of_keys():
    a = NumericSummaryView(5, 0, 1, 0, None, None, np.array([-2, 3]), np.array([2, 3]), np.zeros(2), np.zeros(2))
    b = NumericSummaryView(4, 0, 1, 0, None, None, np.array([0, 3, 7]), np.array([1, 1, 2]), np.zeros(3), np.zeros(3))
    keys, ref, cur = fs._aligned_bins(a, b)
    assert keys.tolist() == [-2, 0, 3, 7] and ref.tolist() == [2, 0, 3, 0] and cur.tolist() == [0, 1, 1, 2]


def test_wasserstein_on_exact_value_counts_is_scipys_over_the_reference_std():
    ref, cur = FEW_REF, FEW_CUR
    r = fs.wasserstein(view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.1)
    want = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert r.score == pytest.approx(want, rel=1e-12)
    assert r.score == pytest.approx(get("wasserstein")(ref, cur, NUMERICAL, 0.1).score, rel=1e-12)
    assert r.drifted is True and r.basis == "exact value counts" and r.approximate is False
    assert fs.wasserstein(view(ref, exact=True), view(cur, exact=True), NUMERICAL, r.score).drifted is True


def test_wasserstein_of_a_constant_reference_divides_by_0001():
    ref, cur = np.full(10, 2.0), np.array([2.0] * 5 + [2.002] * 5)
    r = fs.wasserstein(view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.1)
    assert r.score == pytest.approx(0.001 / 0.001, rel=1e-9)
    # histogram: reference mass at 2, half the current at 2 and half at 2.001 (middle of [2, 2.002])
    r = fs.wasserstein(view(ref, 1.0, rank_error=0.5), view(cur, 1.0, rank_error=0.5), NUMERICAL, 0.1)
    assert r.basis == "fine histogram"
    assert r.score == pytest.approx(0.5, rel=1e-9) and r.error_bound == pytest.approx(0.5, rel=1e-9)


def test_wasserstein_from_the_histogram_by_hand():
    # fine bins of width 1: mass at the middles clipped to each side's extremes
    ref = np.array([0.2, 0.8, 1.2, 1.8])  # bins (0, 1] and (1, 2]: middles 0.5 and 1.5, half widths .3 (clipped)
    cur = np.array([1.2, 1.8, 2.2, 2.8])  # bins (1, 2] and (2, 3]: middles 1.5, 2.5
    rv, cv = view(ref, 1.0, rank_error=0.5), view(cur, 1.0, rank_error=0.5)
    w, err = fs._hist_wasserstein(rv, cv)
    # ref bins [0.2, 1] and (1, 1.8]: middles 0.6, 1.4, half widths 0.4; cur [1.2, 2], (2, 2.8]: 1.6, 2.4
    assert w == pytest.approx(1.0, abs=1e-12)
    assert err == pytest.approx(0.4 + 0.4, abs=1e-12)
    r = fs.wasserstein(rv, cv, NUMERICAL, 0.1)
    std = float(np.std(ref))
    assert r.basis == "fine histogram"  # 0.8 against (0.5 + 0.5) * 2.6 for the sketch
    assert r.score == pytest.approx(1.0 / std, rel=1e-12)
    assert r.error_bound == pytest.approx(0.8 / std, rel=1e-12)
    assert r.score_bounds == [pytest.approx((1.0 - 0.8) / std, rel=1e-12), pytest.approx(1.8 / std, rel=1e-12)]
    assert r.approximate is True and r.drifted is True
    assert r.verdict_certain is True  # both bounds above 0.1
    assert fs.wasserstein(rv, cv, NUMERICAL, 2.0).verdict_certain is False


def test_wasserstein_takes_the_sketch_when_its_bound_is_tighter():
    ref, cur = CONT_REF, CONT_CUR
    rv, cv = view(ref, 8.0, rank_error=0.001), view(cur, 8.0, rank_error=0.001)
    r = fs.wasserstein(rv, cv, NUMERICAL, 0.1)
    span = max(ref.max(), cur.max()) - min(ref.min(), cur.min())
    std = float(np.std(ref))
    assert r.basis == "KLL sketch"
    assert r.score == pytest.approx(stats.wasserstein_distance(ref, cur) / std, rel=1e-12)
    assert r.error_bound == pytest.approx(0.002 * span / std, rel=1e-12)
    lo, hi = r.score_bounds
    assert (lo, hi) == (pytest.approx(r.score - r.error_bound, rel=1e-12), pytest.approx(r.score + r.error_bound, rel=1e-12))
    # an exact sketch: no error at all
    r = fs.wasserstein(view(ref, 8.0), view(cur, 8.0), NUMERICAL, 0.1)
    assert r.basis == "KLL sketch" and r.approximate is False and r.error_bound == 0.0


def test_wasserstein_low_bound_stops_at_zero():
    ref = np.array([0.2, 0.8, 1.2, 1.8])
    rv, cv = view(ref, 1.0, rank_error=0.5), view(ref, 1.0, rank_error=0.5)
    r = fs.wasserstein(rv, cv, NUMERICAL, 0.1)
    assert r.score == 0.0 and r.score_bounds[0] == 0.0 and r.score_bounds[1] > 0
    assert r.drifted is False and r.verdict_certain is False


def test_wasserstein_ties_go_to_the_histogram():
    ref = np.array([0.5, 1.5])  # fine bins [0.5, 1] and (1, 1.5]: half widths .25, error .25 a side
    cur = np.array([0.5, 1.5])
    # histogram error .25 + .25; sketch error (e + e) * span 1.0 = .5 when e = .25: a tie, the histogram wins
    r = fs.wasserstein(view(ref, 1.0, rank_error=0.25), view(cur, 1.0, rank_error=0.25), NUMERICAL, 0.1)
    assert r.basis == "fine histogram" and r.error_bound == 0.5 / 0.5
    r = fs.wasserstein(view(ref, 1.0, rank_error=0.2499), view(cur, 1.0, rank_error=0.2499), NUMERICAL, 0.1)
    assert r.basis == "KLL sketch"


# ---------------------------------------------------------------------------- more edges


@pytest.mark.parametrize("test_id", ["chisquare", "z"])
def test_counts_pass_the_threshold_on(test_id):
    # p between 0.05 (the kernels' default) and 0.5: the verdict follows the threshold given
    ref, cur = np.array([50, 50]), np.array([45, 55])
    p = fs.counts(test_id, ref, cur, CATEGORICAL, 0.5).score
    assert 0.05 < p < 0.5
    assert fs.counts(test_id, ref, cur, CATEGORICAL, 0.5).drifted is True
    vr = view([0.0] * 50 + [1.0] * 50, exact=True)
    vc = view([0.0] * 45 + [1.0] * 55, exact=True)
    r = fs.counts(test_id, vr, vc, NUMERICAL, 0.5)
    assert r.score == pytest.approx(p, rel=1e-12) and r.drifted is True


def test_counts_refusal_message_is_exact():
    with pytest.raises(ValueError, match=r"^more distinct values than a profile counts exactly$"):
        fs.counts("chisquare", view([1.0, 2.0]), view([1.0, 2.0], exact=True), NUMERICAL, 0.05)


def test_ks_exact_path_uses_the_threshold_given():
    ref, cur = np.arange(1.0, 9.0), np.arange(4.0, 13.0)
    want = stats.ks_2samp(ref, cur)  # p = 0.2425
    assert 0.05 < want.pvalue < 0.6
    r = fs.ks(view(ref, exact=True), view(cur, exact=True), NUMERICAL, 0.6)
    assert r.score == pytest.approx(want.pvalue, rel=1e-9) and r.drifted is True


def test_ks_with_one_side_inexact_uses_the_histogram_and_sketch():
    exact_ref = view(CONT_REF, 2.0, exact=True, rank_error=0.01)
    r = fs.ks(exact_ref, view(CONT_CUR, 2.0, rank_error=0.01), NUMERICAL, 0.05)
    both = fs.ks(view(CONT_REF, 2.0, rank_error=0.01), view(CONT_CUR, 2.0, rank_error=0.01), NUMERICAL, 0.05)
    assert r.basis == "fine histogram and KLL sketch" and r.statistic_bounds == both.statistic_bounds


def test_ks_sketch_points_are_the_values_of_both_sides():
    # the largest CDF gap is at the current side's values (0.1 .. 0.5); the reference sits at 0.9
    ref = np.full(20, 0.9)
    cur = np.linspace(0.1, 0.5, 20)
    r = fs.ks(view(ref, 1.0), view(cur, 1.0), NUMERICAL, 0.05)
    assert r.statistic == stats.ks_2samp(ref, cur).statistic == 1.0


def test_ks_keeps_the_histograms_bound_when_the_sketchs_misses_it():
    # an exact sketch's D and the histogram's lower end differ in the last bit (0.06953333333333334
    # against ...39): the intervals do not meet, the deterministic histogram bound is kept
    rng = np.random.default_rng(8)
    ref, cur = rng.integers(1, 20, 3000).astype(float), rng.integers(2, 21, 2500).astype(float)
    rv, cv = view(ref, 1.0), view(cur, 1.0)
    hist = fc.ks_from_histograms(*fs._aligned_bins(rv, cv)[1:])
    r = fs.ks(rv, cv, NUMERICAL, 0.05)
    assert r.statistic_bounds == [hist.low, hist.high] and r.statistic == hist.low
    assert hist.high > hist.low + 0.05


def test_ks_verdict_is_uncertain_when_the_threshold_lies_between_the_p_bounds():
    rv, cv = view(CONT_REF[:60], 5.0, rank_error=0.05), view(CONT_CUR[:60], 5.0, rank_error=0.05)
    p_lo, p_hi = fs.ks(rv, cv, NUMERICAL, 0.05).score_bounds
    assert p_lo < p_hi
    at_lo = fs.ks(rv, cv, NUMERICAL, p_lo)
    assert at_lo.verdict_certain is False
    at_hi = fs.ks(rv, cv, NUMERICAL, p_hi)
    assert at_hi.verdict_certain is True  # both p bounds at or below the threshold
    assert fs.ks(rv, cv, NUMERICAL, (p_lo + p_hi) / 2).verdict_certain is False


@pytest.mark.parametrize("test_id", ["psi", "jensenshannon", "kl_div", "hellinger"])
def test_binned_exact_path_uses_the_threshold_given(test_id):
    ref, cur = FEW_REF, FEW_CUR
    score = get(test_id)(ref, cur, NUMERICAL, 0.1).score
    for threshold in (score, score * 1.0001):
        r = fs.binned(test_id, view(ref, exact=True), view(cur, exact=True), NUMERICAL, threshold)
        assert r.drifted is (threshold == score)


def _hellinger_bounds_over_every_distinct_count(rn, cn):
    """Brute force: the estimate and Bhattacharyya box over Sturges bins for every count of
    distinct values the profile allows."""
    n_low, n_high = int(np.union1d(rn.bin_keys, cn.bin_keys).size), rn.count + cn.count
    lo_v, hi_v = min(rn.min, cn.min), max(rn.max, cn.max)
    e = sturges_edges(lo_v, hi_v, n_high)
    score = fc.hellinger_density(fs.coarse_counts(rn, e)[0], fs.coarse_counts(cn, e)[0], e).score
    low = high = score
    for n in range(n_low, n_high + 1):
        e = sturges_edges(lo_v, hi_v, n)
        ref, ref_lo, ref_hi = fs.coarse_counts(rn, e)
        cur, cur_lo, cur_hi = fs.coarse_counts(cn, e)
        est = fc.hellinger_density(ref, cur, e).score
        bc_lo = float(np.sum(np.sqrt(ref_lo / rn.count * cur_lo / cn.count)))
        bc_hi = float(np.sum(np.sqrt(np.minimum(ref_hi, rn.count) / rn.count * np.minimum(cur_hi, cn.count) / cn.count)))
        low = min(low, est, math.sqrt(1 - min(max(bc_hi, 0.0), 1.0)))
        high = max(high, est, math.sqrt(1 - min(max(bc_lo, 0.0), 1.0)))
    return score, low, high


@pytest.mark.parametrize("ref, cur, width", [
    (np.linspace(0.05, 0.95, 20), np.linspace(0.3, 0.99, 20), 1.0),       # one fine bin: 1 to 40 values
    (np.arange(1.0, 9.0).repeat(3), np.arange(2.0, 10.0).repeat(2), 1.0),  # 9 fine bins, 40 rows
    (np.arange(1.0, 9.0).repeat(2), np.arange(1.0, 9.0), 1.0),             # 8 = 2^3 fine bins, 24 rows
    (np.arange(1.0, 5.0).repeat(10), np.arange(1.0, 5.0).repeat(3), 1.0),  # 4 fine bins, 52 rows
    (np.round(RNG.normal(5, 2, 70), 2), np.round(RNG.normal(6, 2, 60), 2), 0.5),
    (np.linspace(0.1, 2.9, 15), np.linspace(7.1, 9.9, 12), 0.5),  # apart: every box's lower end is above 0
])
def test_bounded_hellinger_covers_every_count_of_distinct_values(ref, cur, width):
    _check_hellinger_bounds(ref, cur, width)


def _check_hellinger_bounds(ref, cur, width):
    rn, cn = view(ref, width), view(cur, width)
    score, low, high = _hellinger_bounds_over_every_distinct_count(rn, cn)
    r = fs.binned("hellinger", rn, cn, NUMERICAL, 0.1)
    assert r.score == score
    assert r.score_bounds[0] == pytest.approx(max(low - fs._SLACK * (1 + abs(low)), 0.0), abs=1e-15)
    assert r.score_bounds[1] == pytest.approx(high + fs._SLACK * (1 + abs(high)), abs=1e-15)
    return r


def test_bounded_hellinger_of_samples_apart_is_bounded_away_from_zero():
    r = _check_hellinger_bounds(np.linspace(0.1, 2.9, 15), np.linspace(7.1, 9.9, 12), 0.5)
    assert 0.5 < r.score_bounds[0] <= r.score <= r.score_bounds[1]


# found by a random search against the brute force: the low bound from an edge set between the fewest and the
# most distinct counts (the first two), and a rounding step of the density formula above a closed box (the third)
@pytest.mark.parametrize("ref, cur, width, shift", [
    ([1, 21, 36, -38, -29, 26, 36, -20, -15, 30, -6, -18, 27, -20, -7, 12, 4, -34, -38, 30],
     [27, 3, 26, -14, -4, 23, -30, -16, -30, -4, 39, -30, -9, -8, 33, -24, 0, -19, -39, 20, -35, -18, 0, -1, -31,
      39, 20, 37, -33, 18, -17], 2.5, 28),
    ([-40, 10, 25, 16, 8, 2, 3, -15, -29, -8, 16, 36, 37, -24, -38, 40, 14, 21, 25, -11, 30, 11, 12, -10, -13, -10,
      17, 0, -39, -39, -25, -1, 8, 38, 23, -17, 1, 20, 31, -5],
     [-24, -3, 33, -10, -39, 23, -16, -5, 40, -9, -19, -22, 28, -23, 9, -21, 25, 18, 11, -6, -11, 36, 21, -9, -38,
      -30, -4, -3, -10], 7.0, 14),
    ([17, 17, -20], [-13, 15, 25], 0.5, 4),
])
def test_bounded_hellinger_equals_the_brute_force_where_middle_counts_and_rounding_decide(ref, cur, width, shift):
    _check_hellinger_bounds(np.array(ref) / 4.0, np.array(cur) / 4.0 + shift * width / 4.0, width)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-40, 40), min_size=2, max_size=40), st.lists(st.integers(-40, 40), min_size=2, max_size=40),
       st.sampled_from([0.5, 1.0, 2.5, 7.0]), st.integers(0, 30))
def test_bounded_hellinger_equals_the_brute_force_over_every_distinct_count(ref, cur, width, shift):
    # quarter steps, the current moved by a few widths: boxes from wide open to shut
    _check_hellinger_bounds(np.array(ref) / 4.0, np.array(cur) / 4.0 + shift * width / 4.0, width)


def test_wasserstein_with_one_side_inexact_uses_the_histogram_or_sketch():
    r = fs.wasserstein(view(CONT_REF, 2.0, exact=True, rank_error=0.01), view(CONT_CUR, 2.0, rank_error=0.01),
                       NUMERICAL, 0.1)
    both = fs.wasserstein(view(CONT_REF, 2.0, rank_error=0.01), view(CONT_CUR, 2.0, rank_error=0.01), NUMERICAL, 0.1)
    assert r.approximate is True and (r.score, r.score_bounds, r.basis) == (both.score, both.score_bounds, both.basis)


def test_wasserstein_bounded_rules_at_the_threshold():
    rv, cv = view(np.array([0.2, 0.8, 1.2, 1.8]), 1.0, rank_error=0.5), view(np.array([1.2, 1.8, 2.2, 2.8]), 1.0,
                                                                            rank_error=0.5)
    r = fs.wasserstein(rv, cv, NUMERICAL, 0.1)
    lo, hi = r.score_bounds
    assert fs.wasserstein(rv, cv, NUMERICAL, r.score).drifted is True  # score >= threshold
    assert fs.wasserstein(rv, cv, NUMERICAL, lo).verdict_certain is True  # both bounds at or above
    assert fs.wasserstein(rv, cv, NUMERICAL, hi).verdict_certain is False  # only the upper one


def test_share_box_fill_bounds_on_large_sides():
    n = 100_000
    # least possible non-zero count 1: the lower fill is 1e-5 / 1e6; a bin sure to hold 1 value keeps 1/n
    lo, hi = fs._share_box(np.array([0, 1, 99_999]), np.array([0, 1, 99_999]), n, True)
    assert lo.tolist() == pytest.approx([1e-11, 1e-5, 0.99999], rel=1e-12)
    assert hi.tolist() == pytest.approx([1e-11, 1e-5, 0.99999], rel=1e-12)
    # only bins that may hold values count for the least share; the empty one's fill is capped at 1/n
    lo, hi = fs._share_box(np.array([0, 20_000, 80_000]), np.array([0, 20_000, 80_000]), n, True)
    assert lo[0] == pytest.approx(1e-5, rel=1e-12) and hi[0] == pytest.approx(1e-4, rel=1e-12)
    # sure counts of 1 only: the upper fill follows them (1e-5 / 1e6)
    lo, hi = fs._share_box(np.array([0, 1, 1]), np.array([0, 1, 1]), n, True)
    assert hi[0] == pytest.approx(1e-11, rel=1e-12)


def test_coarse_counts_upper_counts_end_after_a_straddling_bin():
    v = NumericSummaryView(2, 0.0, 3.0, 1.0, None, None, np.array([1]), np.array([2]),
                           np.array([0.5]), np.array([1.5]))
    est, low, high = fs.coarse_counts(v, np.array([0.0, 1.0, 2.0, 3.0]))
    assert est.tolist() == [1.0, 1.0, 0.0] and low.tolist() == [0, 0, 0] and high.tolist() == [2, 2, 0]


def test_convex_box_kl_minimum_stays_inside_the_reference_interval():
    # c_hi / e = 0.147 lies above r_hi = 0.05: the least r ln(r / c_hi) is at r_hi
    low, _ = fs._convex_box(fs._kl_term, np.array([0.01]), np.array([0.05]), np.array([0.3]), np.array([0.4]), False)
    assert low == pytest.approx(0.05 * math.log(0.05 / 0.4), rel=1e-12)


def test_bounded_verdict_and_note_at_their_limits():
    rn, cn = view([1.0, 2.0, 3.0]), view([1.0, 2.0, 3.0])
    edges = np.array([1.0, 2.0, 3.0, 4.0])  # 3 bins, 3 occupied fine bins: no note
    r = fs._bounded(0.2, 0.1, 0.3, 0.15, rn, cn, edges)
    assert r.note == ""
    lo, hi = r.score_bounds
    assert fs._bounded(0.2, 0.1, 0.3, lo, rn, cn, edges).verdict_certain is True   # low >= threshold
    assert fs._bounded(0.2, 0.1, 0.3, hi, rn, cn, edges).verdict_certain is False  # only high >= threshold


@pytest.mark.parametrize("test_id", ["psi", "jensenshannon", "kl_div"])
def test_bounded_binned_bounds_are_the_convex_box_of_the_share_boxes(test_id):
    rn, cn = view(CONT_REF, 4.0), view(CONT_CUR, 4.0)
    edges = sturges_edges(min(rn.min, cn.min), max(rn.max, cn.max), rn.count + cn.count)
    _, r_low, r_high = fs.coarse_counts(rn, edges)
    _, c_low, c_high = fs.coarse_counts(cn, edges)
    fill = test_id != "jensenshannon"
    r_lo, r_hi = fs._share_box(r_low, r_high, rn.count, fill)
    c_lo, c_hi = fs._share_box(c_low, c_high, cn.count, fill)
    if test_id == "psi":
        low, high = fs._convex_box(fs._psi_term, r_lo, r_hi, c_lo, c_hi, True)
    elif test_id == "jensenshannon":
        low, high = fs._convex_box(fs._js_term, r_lo, r_hi, c_lo, c_hi, True)
        low, high = math.sqrt(max(low, 0) / 2), math.sqrt(max(high, 0) / 2)  # JS distance: sqrt(sum / 2)
    else:  # filled shares renormalised: each sum at most 1 + (bins + 1) 1e-4
        grow = 1 + edges.size * 1e-4
        low, high = fs._convex_box(fs._kl_term, r_lo / grow, r_hi, c_lo / grow, c_hi, False)
    r = fs.binned(test_id, rn, cn, NUMERICAL, 0.1)
    want_lo = max(min(low, r.score) - fs._SLACK * (1 + abs(low)), 0.0)
    want_hi = max(high, r.score) + fs._SLACK * (1 + abs(high))
    assert r.score_bounds == [pytest.approx(want_lo, rel=1e-12, abs=1e-15), pytest.approx(want_hi, rel=1e-12)]
    row = get(test_id)(CONT_REF, CONT_CUR, NUMERICAL, 0.1).score
    assert r.score_bounds[0] <= row <= r.score_bounds[1]


@pytest.mark.parametrize("test_id", ["psi", "jensenshannon", "kl_div", "hellinger"])
def test_binned_on_categories_uses_the_threshold_given(test_id):
    ref, cur = np.array([50, 50]), np.array([45, 55])
    score = fs.binned(test_id, ref, cur, CATEGORICAL, 0.1).score
    assert 0 < score < 0.1
    assert fs.binned(test_id, ref, cur, CATEGORICAL, score).drifted is True
    assert fs.binned(test_id, ref, cur, CATEGORICAL, 0.1).drifted is False


@pytest.mark.parametrize("test_id", ["psi", "hellinger"])
def test_binned_with_one_side_inexact_uses_the_fine_histogram(test_id):
    r = fs.binned(test_id, view(CONT_REF, 2.0, exact=True), view(CONT_CUR, 2.0), NUMERICAL, 0.1)
    both = fs.binned(test_id, view(CONT_REF, 2.0), view(CONT_CUR, 2.0), NUMERICAL, 0.1)
    assert r.approximate is True and (r.score, r.score_bounds) == (both.score, both.score_bounds)
