"""Group-sequential boundaries and the always-valid test.

Boundaries come from recursive numerical integration; they are checked against gsDesign's
published values (sfLDOF, two-sided 0.05) and, independently, by simulating the joint
distribution of the interim z statistics (Brownian motion at the look times).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from mlmon.stats import sequential


def test_obrien_fleming_four_equal_looks_match_gsdesign():
    b = sequential.group_sequential_boundaries(4, alpha=0.05, spending="obf")
    assert b.z == pytest.approx((4.3326, 2.9631, 2.3590, 2.0141), abs=1e-3)
    assert b.information_fraction == (0.25, 0.5, 0.75, 1.0)
    assert b.cumulative_alpha[-1] == pytest.approx(0.05)


def test_obrien_fleming_five_equal_looks_match_gsdesign():
    b = sequential.group_sequential_boundaries(5)
    assert b.z == pytest.approx((4.8769, 3.3569, 2.6803, 2.2898, 2.0310), abs=1e-3)


def test_one_look_is_the_fixed_design():
    assert sequential.group_sequential_boundaries(1).z[0] == pytest.approx(special.ndtri(0.975), abs=1e-9)


def test_first_boundary_has_a_closed_form():
    for spending, fn in (("obf", sequential.obf_spending), ("pocock", sequential.pocock_spending)):
        b = sequential.group_sequential_boundaries(10, spending=spending)
        assert b.z[0] == pytest.approx(-special.ndtri(float(fn(0.1, 0.025))), abs=1e-8)


@pytest.mark.parametrize("looks, spending", [(4, "obf"), (4, "pocock"), (10, "obf"), ([0.2, 0.45, 1.0], "pocock")])
def test_integrated_crossing_probabilities_spend_exactly_the_planned_alpha(looks, spending):
    b = sequential.group_sequential_boundaries(looks, spending=spending)
    up, low = sequential.crossing_probabilities(b.z, looks)
    spent = np.diff(np.r_[0.0, b.cumulative_alpha])
    assert up == pytest.approx(low, abs=1e-12)  # symmetric under the null
    assert up + low == pytest.approx(spent, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("looks, spending", [(4, "obf"), (4, "pocock"), (10, "obf"), (10, "pocock")])
def test_simulated_interim_statistics_cross_as_often_as_the_spending_function_allows(looks, spending):
    b = sequential.group_sequential_boundaries(looks, spending=spending)
    t = np.asarray(b.information_fraction)
    rng = np.random.default_rng(2024)
    reps = 400_000
    increments = rng.standard_normal((reps, looks)) * np.sqrt(np.diff(np.r_[0.0, t]))
    z = np.cumsum(increments, axis=1) / np.sqrt(t)
    crossed = np.abs(z) >= np.asarray(b.z)
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    cumulative = np.array([(first >= 0) & (first <= k) for k in range(looks)]).mean(axis=1)
    se = np.sqrt(np.asarray(b.cumulative_alpha) * (1 - np.asarray(b.cumulative_alpha)) / reps)
    assert np.all(np.abs(cumulative - b.cumulative_alpha) <= 4 * se + 1e-5)


def test_pocock_boundaries_are_nearly_flat_and_obf_ones_fall():
    p = sequential.group_sequential_boundaries(5, spending="pocock").z
    o = sequential.group_sequential_boundaries(5, spending="obf").z
    assert max(p) - min(p) < 0.06
    assert all(a > b for a, b in zip(o, o[1:]))


def test_four_obf_looks_cost_about_two_percent_more_units():
    b = sequential.group_sequential_boundaries(4)
    fixed = sequential.drift_for_power([float(special.ndtri(0.975))], 1, 0.8)
    assert fixed == pytest.approx(special.ndtri(0.975) + special.ndtri(0.8), abs=1e-4)
    inflation = (sequential.drift_for_power(b.z, 4, 0.8) / fixed) ** 2
    # Jennison & Turnbull (2000) ch. 2 give 1.022 for the original O'Brien-Fleming test with K = 4
    assert inflation == pytest.approx(1.022, abs=0.005)


def test_bad_timings_are_refused():
    for looks in ([0.5, 0.4, 1.0], [0.0, 1.0], 0):
        with pytest.raises(ValueError):
            sequential.group_sequential_boundaries(looks)
    with pytest.raises(ValueError):
        sequential.group_sequential_boundaries(4, spending="haybittle")


def test_msprt_confidence_sequence_ends_where_the_p_value_equals_alpha():
    v, tau2 = 0.0004, 0.001
    r = sequential.msprt(0.05, v, tau2, alpha=0.05)
    for end in r.ci:
        # the estimate that would sit exactly on this end is rejected at exactly alpha
        assert sequential.msprt(0.05 + (0.05 - end), v, tau2, null=0.05).p_value == pytest.approx(0.05, rel=1e-9)
    assert sequential.msprt(0.0, v, tau2).p_value == 1.0


def test_msprt_keeps_its_level_under_continuous_monitoring():
    rng = np.random.default_rng(5)
    reps, looks, batch = 4000, 200, 20
    x = rng.standard_normal((reps, looks * batch)).reshape(reps, looks, batch).sum(axis=2).cumsum(axis=1)
    n = batch * np.arange(1, looks + 1)
    estimate, variance, tau2 = x / n, 1.0 / n, 0.01
    log_lr = 0.5 * np.log(variance / (variance + tau2)) + tau2 * estimate ** 2 / (2 * variance * (variance + tau2))
    ever = (log_lr >= np.log(1 / 0.05)).any(axis=1).mean()
    naive = (np.abs(x / np.sqrt(n)) >= 1.96).any(axis=1).mean()
    assert ever <= 0.05
    assert naive > 0.3  # 200 unadjusted looks: the problem the always-valid test solves
    r = sequential.msprt(float(estimate[0, -1]), float(variance[-1]), tau2)
    assert r.p_value == pytest.approx(min(1.0, float(np.exp(-log_lr[0, -1]))), rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.02, 0.98), min_size=1, max_size=6, unique=True), st.sampled_from(["obf", "pocock"]),
       st.sampled_from([0.01, 0.05, 0.1]))
def test_any_timing_spends_exactly_its_alpha(fractions, spending, alpha):
    t = sorted(fractions) + [1.0]
    if min(np.diff(t)) < 0.01:
        return
    b = sequential.group_sequential_boundaries(t, alpha, spending)
    up, low = sequential.crossing_probabilities(b.z, t)
    assert float(up.sum() + low.sum()) == pytest.approx(alpha, rel=1e-6)
    assert b.cumulative_alpha[-1] == pytest.approx(alpha)
