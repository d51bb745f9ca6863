"""The MMD test (stats/mmd.py) at the edges its main tests leave open: the exact error
messages and option bounds, boolean, integer and float32 features, the statistic's [-2, 2]
bound under rounding, one-sided subsampling, a p-value exactly at alpha, sampling without
replacement, the seed's reach into the bandwidth, the pooled scale of features flat in the
reference, and the row hash against the splitmix64 reference output. Expected statistics come
from scikit-learn's RBF kernel summed by hand (Gretton et al. 2012, eq. 3) and the median
heuristic from scipy's pairwise distances."""

from __future__ import annotations

import itertools
import re
import struct

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from sklearn.metrics.pairwise import rbf_kernel

from mlmon.stats import mmd
from mlmon.stats.mmd import median_heuristic_gamma, mmd2_unbiased, mmd_test


def sklearn_mmd2_unbiased(x: np.ndarray, y: np.ndarray, gamma: float) -> float:
    """Gretton et al. (2012) eq. 3 with scikit-learn's exp(-gamma ||a - b||²)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    m, n = len(x), len(y)
    kxx, kyy, kxy = rbf_kernel(x, x, gamma=gamma), rbf_kernel(y, y, gamma=gamma), rbf_kernel(x, y, gamma=gamma)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.sum() / (m * n))


# --- messages and option bounds ----------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: mmd_test(np.zeros((1, 2)), np.zeros((5, 2))),
     "reference has 1 row(s); the unbiased MMD² needs at least 2 per sample"),
    (lambda: mmd_test(np.zeros((5, 2)), np.zeros((1, 2))),
     "current has 1 row(s); the unbiased MMD² needs at least 2 per sample"),
    (lambda: mmd2_unbiased(np.zeros((1, 2)), np.zeros((5, 2)), 1.0),
     "x has 1 row(s); the unbiased MMD² needs at least 2 per sample"),
    (lambda: mmd2_unbiased(np.zeros((5, 2)), np.zeros((1, 2)), 1.0),
     "y has 1 row(s); the unbiased MMD² needs at least 2 per sample"),
    (lambda: mmd_test(np.zeros((5, 2)), np.zeros((5, 3))),
     "reference has 2 features but current has 3; pass the same feature columns in the same order"),
    (lambda: mmd_test(np.zeros((5, 1)), np.zeros((5, 1)), alpha=0.0),
     "alpha must lie strictly between 0 and 1, got 0.0"),
    (lambda: mmd_test(np.zeros((5, 1)), np.zeros((5, 1)), block_size=0),
     "block_size must be at least 1, got 0"),
    (lambda: mmd_test(np.zeros((5, 1), dtype=complex), np.zeros((5, 1))),
     "reference must hold real numbers, got dtype complex128"),
    (lambda: mmd_test(np.zeros((5, 1)), np.array([[0.0], [np.nan]], dtype=np.float32)),
     "current contains NaN or infinite values; drop or impute them first"),
])
def test_errors_say_which_input_and_what_is_wrong(call, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        call()


def test_smallest_allowed_options_run():
    # n_permutations=1, max_samples=2 and block_size=1 are the documented lower bounds.
    x, y = np.array([[0.0], [1.0], [4.0]]), np.array([[0.0], [2.0], [5.0]])
    one = mmd_test(x, y, gamma=1.0, standardize=False, n_permutations=1)
    assert one.n_permutations == 1 and one.p_value in (0.5, 1.0)
    tiny = mmd_test(x, y, gamma=1.0, standardize=False, max_samples=2, n_permutations=5)
    assert (tiny.n_reference, tiny.n_current, tiny.estimator) == (2, 2, "subsampled")
    single = mmd_test(x, y, gamma=1.0, standardize=False, block_size=1, n_permutations=5)
    assert single.statistic == pytest.approx(sklearn_mmd2_unbiased(x, y, 1.0), abs=1e-15)


# --- feature types ----------------------------------------------------------------------------


def test_boolean_and_integer_features_count_as_their_numeric_values():
    rng = np.random.default_rng(21)
    xb = rng.random((12, 3)) < 0.3
    yb = rng.random((10, 3)) < 0.6
    expected = sklearn_mmd2_unbiased(xb.astype(float), yb.astype(float), 0.5)
    as_bool = mmd_test(xb, yb, gamma=0.5, standardize=False, n_permutations=20)
    as_int = mmd_test(xb.astype(np.int64) * 3, yb.astype(np.int64) * 3, gamma=0.5 / 9, standardize=False,
                      n_permutations=20)
    as_float = mmd_test(xb.astype(float), yb.astype(float), gamma=0.5, standardize=False, n_permutations=20)
    as_single = mmd_test(xb.astype(np.float32), yb.astype(np.float32), gamma=0.5, standardize=False,
                         n_permutations=20)
    assert as_bool.statistic == pytest.approx(expected, abs=1e-12)
    assert as_int.statistic == pytest.approx(expected, abs=1e-12)
    # rows are ordered by the hash of their float64 values, so the permutations agree too
    assert as_bool == as_float
    assert as_single == as_float
    assert as_int.p_value == as_float.p_value


def test_median_heuristic_of_boolean_and_one_dimensional_input():
    # Pairs of {1, 0, 1}: d² = 1, 0, 1; without the 0 the median is 1.
    assert median_heuristic_gamma(np.array([[True], [False], [True]])) == 1.0
    # One feature as a 1-D array: pairs of {0, 1, 3} have d² = 1, 9, 4; median 4.
    assert median_heuristic_gamma(np.array([0.0, 1.0, 3.0])) == 0.25
    # A single distinct pair is a median of one value: d² = 4.
    assert median_heuristic_gamma(np.array([[0.0], [2.0]])) == 0.25


def test_statistic_stays_within_its_bounds_for_duplicate_rows_and_a_huge_gamma():
    # Kernel values lie in [0, 1], so MMD²_u lies in [-2, 2]; here each sample is one row
    # twice, far from the other: k = 1 within a sample and 0 across, MMD²_u = 1 + 1 - 0 = 2.
    # ||a - a||² computed as |a|² + |a|² - 2 a·a can round a hair below zero; unclamped, a
    # gamma of 1e16 would turn that hair into a kernel value well above 1.
    rng = np.random.default_rng(28)
    for _ in range(60):
        a = rng.normal(size=3)
        statistic = mmd2_unbiased(np.array([a, a]), np.array([a + 10.0, a + 10.0]), 1e16)
        assert -2.0 <= statistic <= 2.0


# --- subsampling ----------------------------------------------------------------------------


def test_subsampling_one_side_is_reported_as_subsampled():
    rng = np.random.default_rng(22)
    result = mmd_test(rng.normal(size=(30, 2)), rng.normal(size=(8, 2)), max_samples=10, n_permutations=5)
    assert (result.n_reference, result.n_current, result.estimator) == (10, 8, "subsampled")
    other = mmd_test(rng.normal(size=(8, 2)), rng.normal(size=(30, 2)), max_samples=10, n_permutations=5)
    assert (other.n_reference, other.n_current, other.estimator) == (8, 10, "subsampled")


def test_subsample_draws_distinct_rows():
    # 4 distinct reference rows cut to 3: the statistic is that of one of the 4 three-row
    # subsets; a draw with replacement would repeat a row (k = 1) and give none of them.
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    y = np.array([[2.0], [5.0], [10.0]])
    subsets = {c: sklearn_mmd2_unbiased(x[list(c)], y, 0.1) for c in itertools.combinations(range(4), 3)}
    seen = set()
    for seed in range(30):
        statistic = mmd_test(x, y, gamma=0.1, standardize=False, max_samples=3, n_permutations=1, seed=seed).statistic
        match = [c for c, value in subsets.items() if abs(value - statistic) < 1e-12]
        assert len(match) == 1, (seed, statistic)
        seen.add(match[0])
    assert seen == set(subsets)


def test_median_heuristic_sample_draws_distinct_rows():
    # 5 distinct rows cut to 4: gamma is that of one of the 4-row subsets (scipy's pdist); a
    # draw with replacement would repeat a row and drop one of its distances.
    z = np.random.default_rng(27).normal(size=(5, 2))
    subsets = {1.0 / np.median(pdist(z[list(c)], "sqeuclidean")) for c in itertools.combinations(range(5), 4)}
    seen = set()
    for seed in range(40):
        gamma = median_heuristic_gamma(z, max_rows=4, seed=seed)
        match = [value for value in subsets if value == pytest.approx(gamma, rel=1e-12)]
        assert len(match) == 1, (seed, gamma)
        seen.add(match[0])
    assert seen == subsets


def test_median_heuristic_default_seed_is_zero():
    z = np.random.default_rng(23).normal(size=(1200, 2))
    assert median_heuristic_gamma(z) == median_heuristic_gamma(z, seed=0)
    assert median_heuristic_gamma(z) != median_heuristic_gamma(z, seed=1)


def test_seed_draws_the_bandwidth_sample_only_above_its_row_count():
    # More than 1000 pooled rows: the median heuristic samples 1000 of them with the seed's
    # stream, so the bandwidth moves with the seed; at 1000 rows or fewer it uses them all.
    rng = np.random.default_rng(24)
    x, y = rng.normal(size=(600, 2)), rng.normal(size=(600, 2))
    big = {mmd_test(x, y, standardize=False, n_permutations=1, seed=s).gamma for s in range(3)}
    assert len(big) == 3
    small = {mmd_test(x[:500], y[:500], standardize=False, n_permutations=1, seed=s).gamma for s in range(3)}
    expected = 1.0 / np.median(pdist(np.concatenate([x[:500], y[:500]]), "sqeuclidean"))
    assert len(small) == 1 and small.pop() == pytest.approx(expected, rel=1e-12)


# --- decisions ------------------------------------------------------------------------------


def test_p_value_equal_to_alpha_is_not_drift():
    # 19 permutations: the smallest p-value is 1 / 20 = 0.05, which is not below alpha = 0.05.
    x = np.arange(20.0)[:, None]
    result = mmd_test(x, x + 100.0, gamma=1.0, standardize=False, n_permutations=19, alpha=0.05)
    assert result.p_value == 0.05
    assert not result.drifted
    assert mmd_test(x, x + 100.0, gamma=1.0, standardize=False, n_permutations=19, alpha=0.051).drifted


# --- standardisation ------------------------------------------------------------------------


def test_each_flat_reference_feature_takes_its_own_pooled_scale():
    rng = np.random.default_rng(25)
    x = np.column_stack([rng.normal(size=30), np.zeros(30), np.full(30, 2.0)])
    y = np.column_stack([rng.normal(size=25), rng.normal(0.0, 1.0, 25), rng.normal(2.0, 9.0, 25)])
    mean = x.mean(axis=0)
    scale = np.array([x[:, 0].std(), np.concatenate([x[:, 1], y[:, 1]]).std(),
                      np.concatenate([x[:, 2], y[:, 2]]).std()])
    expected = sklearn_mmd2_unbiased((x - mean) / scale, (y - mean) / scale, 0.3)
    result = mmd_test(x, y, gamma=0.3, n_permutations=5)
    assert result.n_features == 3
    assert result.statistic == pytest.approx(expected, abs=1e-12)


# --- the canonical row order ------------------------------------------------------------------


GOLDEN = 0x9E3779B97F4A7C15


def splitmix64_mix(z: int) -> int:
    """The output function of Vigna's splitmix64.c (Steele, Lea & Flood 2014)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    return z ^ (z >> 31)


def float_bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def test_row_hash_is_splitmix64_of_the_float_bits():
    # splitmix64 seeded with 0 first returns 0xE220A8397B1DCDAF, then 0x6E789E6AA1B965F4
    # (the reference implementation): the output function here is the reference one.
    assert splitmix64_mix(GOLDEN) == 0xE220A8397B1DCDAF
    assert splitmix64_mix(2 * GOLDEN % 2**64) == 0x6E789E6AA1B965F4
    assert mmd._row_hashes(np.zeros((1, 1))).tolist() == [0xE220A8397B1DCDAF]
    # Per column: h = mix((h + golden) xor the float64 bits of the value, -0.0 read as 0.0).
    rows = np.array([[0.0, 1.5], [-0.0, 1.5], [2.25, -3.0], [1e300, 5e-324]])
    expected = []
    for row in rows.tolist():
        h = 0
        for value in row:
            h = splitmix64_mix(((h + GOLDEN) % 2**64) ^ float_bits(value + 0.0))
        expected.append(h)
    assert mmd._row_hashes(rows).tolist() == expected
    assert expected[0] == expected[1]


def test_negative_zero_rows_are_the_same_rows():
    # The result is a function of the multiset of values: -0.0 == 0.0 must not move the rows.
    rng = np.random.default_rng(26)
    x = np.round(rng.normal(size=(40, 2)))
    y = np.round(rng.normal(0.3, 1.0, size=(40, 2)))
    x[x == 0] = 0.0
    signed = x.copy()
    signed[signed == 0] = -0.0
    assert np.signbit(signed).sum() > np.signbit(x).sum()
    assert mmd_test(signed, y, n_permutations=99) == mmd_test(x, y, n_permutations=99)
