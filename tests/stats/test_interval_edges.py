"""Interval kernels at their edges: empty windows, a window of one or two rows, one-sided clipping
and a non-default z, each against a hand calculation."""

from __future__ import annotations

import numpy as np
import pytest

from mlmon.stats.intervals import Z95, normal, normal_mean, wilson


def test_wilson_gives_nan_bounds_for_an_empty_window_only():
    iv = wilson([0, 0, 5], [0, 10, 5])
    assert np.isnan(iv.lower[0]) and np.isnan(iv.upper[0])
    # 0 of 10 and 5 of 5 (statsmodels proportion_confint(method="wilson")): the bounds touch 0 and 1
    assert iv.lower[1] == 0.0 and iv.upper[2] == 1.0
    assert iv.upper[1] == pytest.approx(0.2775328, abs=1e-7) and iv.lower[2] == pytest.approx(0.5655175, abs=1e-7)


def test_wilson_uses_the_given_z():
    # z = 1, 1 of 2: p = 1/2, denom = 1.5, centre = (0.5 + 0.25)/1.5 = 0.5,
    # half = sqrt(0.25/2 + 1/16)/1.5 = sqrt(0.1875)/1.5
    iv = wilson([1], [2], z=1.0)
    half = np.sqrt(0.1875) / 1.5
    assert iv.lower[0] == pytest.approx(0.5 - half, abs=1e-15) and iv.upper[0] == pytest.approx(0.5 + half, abs=1e-15)


def test_normal_mean_is_nan_below_two_rows_and_defined_from_two():
    # x = (1, 2): mean 1.5, s^2 = 0.5/1, se = sqrt(0.5/2) = 0.5; x = (4,): one row, no variance
    iv = normal_mean([3.0, 4.0, 0.0], [0.5, 0.0, 0.0], [2, 1, 0])
    assert iv.lower[0] == pytest.approx(1.5 - Z95 * 0.5, abs=1e-15)
    assert iv.upper[0] == pytest.approx(1.5 + Z95 * 0.5, abs=1e-15)
    assert np.isnan(iv.lower[1:]).all() and np.isnan(iv.upper[1:]).all()


def test_normal_mean_uses_the_given_z_and_clips_only_below():
    # x = (0, 1): mean 0.5, se = 0.5; z = 1 gives [0, 1]; z = Z95 gives [-0.48, 1.48], floored at 0
    iv = normal_mean([1.0], [0.5], [2], z=1.0)
    assert (iv.lower[0], iv.upper[0]) == (0.0, 1.0)
    iv = normal_mean([1.0], [0.5], [2], lo=0.0)
    assert iv.lower[0] == 0.0 and iv.upper[0] == pytest.approx(0.5 + Z95 * 0.5, abs=1e-15)


def test_normal_clips_one_side_when_only_one_bound_is_given():
    iv = normal([0.9, 0.1], [0.1, 0.1], hi=1.0)
    assert iv.upper[0] == 1.0 and iv.lower[0] == pytest.approx(0.9 - Z95 * 0.1, abs=1e-15)
    assert iv.lower[1] == pytest.approx(0.1 - Z95 * 0.1, abs=1e-15)  # below 0: no floor asked for
    iv = normal([0.1], [0.1], lo=0.0)
    assert iv.lower[0] == 0.0 and iv.upper[0] == pytest.approx(0.1 + Z95 * 0.1, abs=1e-15)


def test_normal_without_bounds_is_plain_and_nan_propagates():
    iv = normal([0.5, np.nan, 0.5], [2.0, 0.1, np.nan], z=1.0)
    assert (iv.lower[0], iv.upper[0]) == (-1.5, 2.5)
    assert np.isnan(iv.lower[1:]).all() and np.isnan(iv.upper[1:]).all()


def test_wilson_bounds_are_clipped_where_rounding_leaves_the_unit_interval():
    # in floating point, centre - half is -1.4e-17 for 0 of 21 and centre + half is 1 + 2e-16
    # for 16 of 16: the clip keeps the bounds at exactly 0 and 1
    iv = wilson([0, 16, 1], [21, 16, 1])
    assert iv.lower[0] == 0.0 and iv.upper[1] == 1.0
    # 1 of 1: lower = 1/(1 + z^2), upper 1 (a window of one row has an interval)
    assert iv.lower[2] == pytest.approx(1 / (1 + Z95 ** 2), abs=1e-15) and iv.upper[2] == 1.0


def test_normal_clips_an_estimate_outside_the_range_on_both_bounds():
    iv = normal([1.5, -0.5], [0.1, 0.1], lo=0.0, hi=1.0)
    assert iv.lower.tolist() == [1.0, 0.0] and iv.upper.tolist() == [1.0, 0.0]


def test_wilson_computes_in_float64_when_the_counts_come_as_float32():
    # z^2/n with a float32 n would be rounded to float32 (numpy keeps an array's dtype against
    # a Python float): the bounds must equal those from float64 counts to the bit
    f32 = np.float32
    got, expected = wilson(np.array([3, 7], f32), np.array([10, 13], f32)), wilson([3.0, 7.0], [10.0, 13.0])
    assert got.lower.dtype == np.float64 and got.upper.dtype == np.float64
    np.testing.assert_array_equal(got.lower, expected.lower)
    np.testing.assert_array_equal(got.upper, expected.upper)


def test_a_one_row_window_with_a_rounding_residue_gives_nan_without_a_warning():
    # Σx² - n·mean² for one row x = 0.1 can leave a residue like 1e-18 instead of 0: dividing
    # it by n - 1 = 0 must neither warn (warnings are errors in the tests) nor give a band
    iv = normal_mean([0.1, 0.0], [1e-18, 0.0], [1, 0])
    assert np.isnan(iv.lower).all() and np.isnan(iv.upper).all()
