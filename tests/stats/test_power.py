"""Sample sizes equal statsmodels' power solvers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower, zt_ind_solve_power
from statsmodels.stats.proportion import proportion_effectsize

from mlmon.stats import power


def test_ten_percent_relative_lift_on_a_ten_percent_baseline_needs_14745_per_arm():
    h = proportion_effectsize(0.11, 0.10)
    ref = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    got = power.sample_size_proportions(0.10, 0.10, relative=True, alpha=0.05, power=0.8)
    assert ref == pytest.approx(14744.1, abs=0.05)
    assert got.exact == pytest.approx(ref, rel=1e-9)
    assert got.effect_size == pytest.approx(h, rel=1e-12)
    assert got.per_arm == 14745 == math.ceil(ref)


@pytest.mark.parametrize("baseline, mde, relative, alpha, target, ratio", [
    (0.10, 0.01, False, 0.05, 0.8, 1.0),
    (0.02, 0.25, True, 0.01, 0.9, 1.0),
    (0.50, -0.03, False, 0.10, 0.8, 2.0),
])
def test_proportions_match_zt_ind_solve_power(baseline, mde, relative, alpha, target, ratio):
    new = baseline * (1 + mde) if relative else baseline + mde
    ref = zt_ind_solve_power(effect_size=proportion_effectsize(new, baseline), alpha=alpha, power=target, ratio=ratio)
    got = power.sample_size_proportions(baseline, mde, relative=relative, alpha=alpha, power=target, ratio=ratio)
    assert got.exact == pytest.approx(ref, rel=1e-9)


def test_means_match_normal_ind_power():
    ref = NormalIndPower().solve_power(effect_size=2.5 / 12.0, alpha=0.05, power=0.8)
    assert power.sample_size_means(2.5, 12.0).exact == pytest.approx(ref, rel=1e-9)


def test_power_function_matches_statsmodels():
    assert power.normal_power(0.1, 1000, 0.05, 1.5) == pytest.approx(
        NormalIndPower().power(0.1, 1000, 0.05, ratio=1.5), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 0.9), st.floats(0.02, 0.5), st.floats(0.55, 0.95))
def test_the_rounded_size_reaches_the_power_and_one_less_does_not(baseline, rel, target):
    if baseline * (1 + rel) >= 1:
        return
    r = power.sample_size_proportions(baseline, rel, relative=True, power=target)
    assert power.normal_power(r.effect_size, r.per_arm) >= target - 1e-12
    if r.per_arm > 2:
        assert power.normal_power(r.effect_size, r.per_arm - 1) < target


def test_impossible_inputs_are_refused():
    with pytest.raises(ValueError):
        power.sample_size_proportions(0.95, 0.1, relative=True)
    with pytest.raises(ValueError):
        power.solve_n(0.0)
