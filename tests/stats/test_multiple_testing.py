"""Benjamini-Hochberg and Holm adjustments agree with statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon.stats.multiple_testing import benjamini_hochberg, holm

multitest = pytest.importorskip("statsmodels.stats.multitest")


def test_benjamini_hochberg_hand_calculation():
    # sorted p = .01 .03 .04 .20; m/i * p = .04 .06 .0533 .20; running min from the top
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.20]), [0.04, 0.16 / 3, 0.16 / 3, 0.20])


def test_holm_hand_calculation():
    # sorted p = .01 .03 .04 .20 times 4 3 2 1 = .04 .09 .08 .20; running max from the bottom
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.20]), [0.04, 0.09, 0.09, 0.20])


p_lists = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(p_lists)
def test_benjamini_hochberg_matches_statsmodels(p):
    expected = multitest.multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)  # statsmodels' holm takes ~0.1 s a call
@given(p_lists)
def test_holm_matches_statsmodels(p):
    expected = multitest.multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm(p), expected, rtol=1e-12, atol=1e-15)


def test_ties_and_extremes_match_statsmodels():
    p = [0.0, 0.05, 0.05, 0.05, 1.0, 1e-300, 0.5]
    np.testing.assert_allclose(benjamini_hochberg(p), multitest.multipletests(p, method="fdr_bh")[1])
    np.testing.assert_allclose(holm(p), multitest.multipletests(p, method="holm")[1])


def test_nan_p_values_stay_nan_and_do_not_count():
    adjusted = benjamini_hochberg([0.01, np.nan, 0.04])
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], benjamini_hochberg([0.01, 0.04]))
    assert np.isnan(holm([np.nan])[0])


def test_adjusted_p_values_are_never_smaller_than_raw():
    p = np.random.default_rng(0).uniform(size=40)
    assert np.all(benjamini_hochberg(p) >= p) and np.all(holm(p) >= benjamini_hochberg(p) - 1e-15)


def test_empty_input_gives_empty_output():
    assert benjamini_hochberg([]).shape == (0,) and holm([]).shape == (0,)


@pytest.mark.parametrize("bad", [[-0.1], [1.5]])
def test_rejects_values_outside_unit_interval(bad):
    with pytest.raises(ValueError):
        benjamini_hochberg(bad)
