"""The MMD kernel two-sample test: estimator, bandwidth, p-value, memory bound, edge cases."""

from __future__ import annotations

import doctest
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from scipy.spatial.distance import pdist

from mlmon.stats import mmd
from mlmon.stats.mmd import MMDResult, median_heuristic_gamma, mmd2_unbiased, mmd_test


def naive_mmd2_unbiased(x: np.ndarray, y: np.ndarray, gamma: float) -> float:
    """Gretton et al. (2012) eq. 3, written out with full kernel matrices."""

    def kernel(a, b):
        return np.exp(-gamma * ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))

    m, n = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2.0 * kxy.sum() / (m * n)
    )


def seed_exercise(seed: int = 7):
    """Reference N(0, 1); drifted N(0.5, 1.2); stable N(0.02, 1.01); 1000 rows × 5 features."""
    rng = np.random.default_rng(seed)
    reference = rng.normal(0.0, 1.0, size=(1000, 5))
    drifted = rng.normal(0.5, 1.2, size=(1000, 5))
    stable = rng.normal(0.02, 1.01, size=(1000, 5))
    return reference, drifted, stable


# --- the estimator -----------------------------------------------------------------------


def test_two_point_samples_match_hand_calculation():
    # x = {0, 1}, y = {0, 2}, gamma = 1: k(0,1) = e^-1, k(0,2) = e^-4, k(1,2) = e^-1, so
    # MMD²_u = e^-1 + e^-4 - (2/4)(1 + e^-4 + e^-1 + e^-1) = (e^-4 - 1) / 2.
    x = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [2.0]])
    expected = (math.exp(-4.0) - 1.0) / 2.0
    assert mmd2_unbiased(x, y, 1.0) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    "m, n, d, block_size",
    [(2, 2, 1, 1024), (7, 5, 3, 2), (40, 23, 4, 8), (64, 64, 2, 64), (100, 37, 6, 1024)],
)
def test_unbiased_statistic_equals_naive_double_sum(m, n, d, block_size):
    rng = np.random.default_rng(m * 1000 + n)
    x = rng.normal(size=(m, d))
    y = rng.normal(0.3, 1.5, size=(n, d))
    gamma = 0.37
    expected = naive_mmd2_unbiased(x, y, gamma)
    assert mmd2_unbiased(x, y, gamma, block_size=block_size) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    x=arrays(np.float64, st.tuples(st.integers(2, 12), st.just(3)), elements=st.floats(-5, 5)),
    y=arrays(np.float64, st.tuples(st.integers(2, 12), st.just(3)), elements=st.floats(-5, 5)),
    gamma=st.floats(0.01, 10.0),
    block_size=st.integers(1, 9),
)
def test_blockwise_statistic_equals_naive_for_any_small_input(x, y, gamma, block_size):
    expected = naive_mmd2_unbiased(x, y, gamma)
    assert mmd2_unbiased(x, y, gamma, block_size=block_size) == pytest.approx(expected, abs=1e-12)


def test_test_statistic_is_the_unbiased_mmd2_of_the_rows_used():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4))
    y = rng.normal(0.2, 1.0, size=(45, 4))
    result = mmd_test(x, y, gamma=0.5, standardize=False, n_permutations=20)
    assert result.statistic == pytest.approx(naive_mmd2_unbiased(x, y, 0.5), abs=1e-12)
    assert (result.n_reference, result.n_current, result.n_features) == (60, 45, 4)
    assert result.estimator == "exact"


def test_standardized_statistic_uses_reference_mean_and_std():
    rng = np.random.default_rng(4)
    x = rng.normal([0.0, 100.0], [1.0, 50.0], size=(50, 2))
    y = rng.normal([0.5, 120.0], [1.0, 50.0], size=(40, 2))
    mean, std = x.mean(axis=0), x.std(axis=0)
    expected = naive_mmd2_unbiased((x - mean) / std, (y - mean) / std, 0.25)
    result = mmd_test(x, y, gamma=0.25, n_permutations=10)
    assert result.statistic == pytest.approx(expected, abs=1e-12)


# --- bandwidth -----------------------------------------------------------------------------


def test_median_heuristic_is_inverse_median_squared_distance():
    # Pairs of {0, 1, 3}: d² = 1, 9, 4; median 4.
    assert median_heuristic_gamma(np.array([[0.0], [1.0], [3.0]])) == 0.25


def test_median_heuristic_ignores_duplicate_rows():
    # Pairs of {0, 0, 1, 3}: d² = 0, 1, 9, 1, 9, 4; without the 0 the median is 4.
    assert median_heuristic_gamma(np.array([[0.0], [0.0], [1.0], [3.0]])) == 0.25


def test_median_heuristic_falls_back_to_one_when_all_rows_coincide():
    assert median_heuristic_gamma(np.ones((5, 2))) == 1.0


def test_default_gamma_is_median_heuristic_on_pooled_rows():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 3))
    y = rng.normal(1.0, 2.0, size=(25, 3))
    expected = 1.0 / np.median(pdist(np.concatenate([x, y]), "sqeuclidean"))
    result = mmd_test(x, y, standardize=False, n_permutations=10)
    assert result.gamma == pytest.approx(expected, rel=1e-12)


def test_explicit_gamma_is_used_and_reported():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(40, 2))
    y = rng.normal(size=(40, 2))
    result = mmd_test(x, y, gamma=3.25, standardize=False, n_permutations=10)
    assert result.gamma == 3.25
    assert result.statistic == pytest.approx(naive_mmd2_unbiased(x, y, 3.25), abs=1e-12)


# --- the test's decisions --------------------------------------------------------------------


def test_seed_exercise_flags_drifted_and_not_stable():
    reference, drifted, stable = seed_exercise()
    drift_result = mmd_test(reference, drifted)
    stable_result = mmd_test(reference, stable)
    assert drift_result.drifted and drift_result.p_value == 1 / 201
    assert not stable_result.drifted
    assert drift_result.statistic > 10 * abs(stable_result.statistic)


def test_type_one_error_is_alpha_within_binomial_interval():
    repetitions, alpha = 300, 0.05
    rejections = 0
    for rep in range(repetitions):
        rng = np.random.default_rng(10_000 + rep)
        x = rng.normal(size=(20, 3))
        y = rng.normal(size=(20, 3))
        rejections += mmd_test(x, y, alpha=alpha, n_permutations=99, seed=rep).drifted
    low, high = stats.binom.interval(0.999, repetitions, alpha)
    assert low <= rejections <= high


def test_p_value_counts_permutations_at_least_as_large_plus_one():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(30, 2))
    y = rng.normal(size=(30, 2))
    result = mmd_test(x, y, n_permutations=49)
    count = result.p_value * 50
    assert count == pytest.approx(round(count), abs=1e-9) and 1 <= round(count) <= 50


def test_identical_samples_are_not_drift():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(50, 3))
    result = mmd_test(x, x.copy())
    assert not result.drifted
    assert result.p_value > 0.5


def test_same_seed_gives_same_result():
    reference, drifted, _ = seed_exercise()
    x, y = reference[:200], drifted[:200]
    first = mmd_test(x, y, seed=3, gamma=0.1, standardize=False)
    # the statistic is the estimator on all rows, whatever the seed; the p-value is a count of
    # 200 permutations, (1 + k) / 201
    assert first.statistic == pytest.approx(mmd2_unbiased(x, y, 0.1), rel=1e-9)
    assert first.p_value * 201 == pytest.approx(round(first.p_value * 201), abs=1e-9)
    assert mmd_test(x, y, seed=3, gamma=0.1, standardize=False) == first
    # a shift this small leaves the permutation count to chance: other seeds count otherwise
    near = mmd_test(x, reference[200:400] + 0.05, seed=3, gamma=0.1, standardize=False)
    others = {mmd_test(x, reference[200:400] + 0.05, seed=s, gamma=0.1, standardize=False).p_value for s in range(4, 8)}
    assert 0.05 < near.p_value < 0.95 and others - {near.p_value}
    assert mmd_test(x, reference[200:400] + 0.05, seed=3, gamma=0.1, standardize=False) == near


@pytest.mark.parametrize("rows, max_samples", [(300, 5000), (1500, 1000)])
def test_result_does_not_depend_on_row_order(rows, max_samples):
    # 1500 rows: both sides subsampled and more than 1000 pooled rows for the bandwidth.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(rows, 3))
    y = rng.normal(0.05, 1.0, size=(rows, 3))
    x[:5] = x[0]  # duplicate rows must not break the canonical order
    before = mmd_test(x, y, max_samples=max_samples, n_permutations=50)
    after = mmd_test(
        x[rng.permutation(rows)], y[rng.permutation(rows)], max_samples=max_samples, n_permutations=50
    )
    assert after == before


def test_feature_scale_does_not_matter_when_standardized():
    reference, drifted, _ = seed_exercise()
    scales = np.array([1.0, 1e3, 1e-3, 7.0, 1e6])
    plain = mmd_test(reference[:300], drifted[:300])
    scaled = mmd_test(reference[:300] * scales, drifted[:300] * scales)
    assert scaled.statistic == pytest.approx(plain.statistic, rel=1e-9)
    assert scaled.gamma == pytest.approx(plain.gamma, rel=1e-9)


# --- large inputs ----------------------------------------------------------------------------


def test_large_input_is_subsampled_to_max_samples():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3000, 2))
    y = rng.normal(size=(2500, 2))
    result = mmd_test(x, y, max_samples=1000, n_permutations=20)
    assert result.estimator == "subsampled"
    assert (result.n_reference, result.n_current) == (1000, 1000)


def test_million_rows_per_side_run_in_bounded_memory():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(1_000_000, 5))
    y = rng.normal(size=(1_000_000, 5))
    y[:, 0] += 0.2
    tracemalloc.start()
    try:
        result = mmd_test(x, y, n_permutations=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Each input is 40 MB; a pooled kernel matrix would be 16 TB. Measured peak: about 25 MB.
    assert peak < 64 * 2**20
    assert result.estimator == "subsampled"
    assert (result.n_reference, result.n_current) == (mmd.DEFAULT_MAX_SAMPLES,) * 2
    assert result.drifted


# --- degenerate inputs -----------------------------------------------------------------------


def test_constant_columns_are_dropped():
    rng = np.random.default_rng(14)
    x = np.column_stack([rng.normal(size=40), np.full(40, 3.0)])
    y = np.column_stack([rng.normal(size=40), np.full(40, 3.0)])
    result = mmd_test(x, y, n_permutations=20)
    assert result.n_features == 1
    assert result.statistic == pytest.approx(mmd_test(x[:, :1], y[:, :1], n_permutations=20).statistic)


def test_all_columns_constant_and_equal_is_no_drift():
    result = mmd_test(np.ones((10, 3)), np.ones((12, 3)), n_permutations=20)
    assert result.n_features == 0
    assert result.statistic == 0.0
    assert result.p_value == 1.0
    assert not result.drifted


def test_column_constant_in_reference_but_moving_in_current_is_drift():
    rng = np.random.default_rng(15)
    x = np.column_stack([rng.normal(size=100), np.zeros(100)])
    y = np.column_stack([rng.normal(size=100), rng.normal(2.0, 1.0, size=100)])
    result = mmd_test(x, y)
    assert result.n_features == 2
    assert result.drifted


def test_single_feature_as_1d_array():
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=200), rng.normal(1.0, 1.0, size=200)
    result = mmd_test(x, y)
    assert result.n_features == 1
    assert result.drifted
    assert result.statistic == mmd_test(x[:, None], y[:, None]).statistic


def test_two_rows_per_side_is_the_smallest_input():
    result = mmd_test(np.array([[0.0], [1.0]]), np.array([[0.0], [2.0]]), gamma=1.0, standardize=False)
    assert result.statistic == pytest.approx((math.exp(-4.0) - 1.0) / 2.0, abs=1e-15)
    # Only 6 distinct splits of 4 rows exist: the test cannot reject at 0.05.
    assert not result.drifted


@pytest.mark.parametrize(
    "x, y, kwargs, message",
    [
        (np.zeros((1, 2)), np.zeros((5, 2)), {}, "at least 2"),
        (np.zeros((5, 2)), np.zeros((5, 3)), {}, "same feature"),
        (np.zeros((5, 2, 2)), np.zeros((5, 2, 2)), {}, "2-D"),
        (np.array([[0.0], [np.nan]]), np.zeros((5, 1)), {}, "NaN"),
        (np.zeros((5, 0)), np.zeros((5, 0)), {}, "no feature"),
        (np.array([["a"], ["b"]]), np.zeros((2, 1)), {}, "numbers"),
        (np.zeros((5, 1)), np.zeros((5, 1)), {"gamma": 0.0}, "gamma"),
        (np.zeros((5, 1)), np.zeros((5, 1)), {"gamma": float("inf")}, "gamma"),
        (np.zeros((5, 1)), np.zeros((5, 1)), {"alpha": 1.0}, "alpha"),
        (np.zeros((5, 1)), np.zeros((5, 1)), {"n_permutations": 0}, "n_permutations"),
        (np.zeros((5, 1)), np.zeros((5, 1)), {"max_samples": 1}, "max_samples"),
    ],
)
def test_invalid_input_raises_value_error_saying_what_is_wrong(x, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mmd_test(x, y, **kwargs)


# --- result and docs -------------------------------------------------------------------------


def test_result_to_dict_is_json_ready():
    result = mmd_test(np.eye(4), np.eye(4)[::-1], n_permutations=5)
    as_dict = result.to_dict()
    assert isinstance(result, MMDResult)
    assert set(as_dict) >= {"statistic", "p_value", "gamma", "drifted", "estimator"}
    assert all(isinstance(v, (int, float, bool, str)) for v in as_dict.values())


def test_module_doctests_pass():
    assert doctest.testmod(mmd).failed == 0
