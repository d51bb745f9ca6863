"""Group-sequential boundaries: the input checks and their wording, the fields returned beside the
boundaries, a non-default alpha, looks ending before full information, and the drift for a
power, against scipy and hand calculations."""

from __future__ import annotations

import pytest
from scipy import optimize
from scipy.stats import norm

from mlmon.stats.sequential import (crossing_probabilities, drift_for_power, group_sequential_boundaries,
                                    obf_spending, pocock_spending)

FRACTIONS = r"^information fractions must increase strictly within \(0, 1\]$"


@pytest.mark.parametrize("looks, message", [
    (0, r"^need at least one look$"),
    ([], FRACTIONS),
    ([0.5, 0.5], FRACTIONS),            # equal fractions do not increase
    ([0.3, 0.6, 1.2], FRACTIONS),       # the last one above 1
    ([0.5, 1.5], FRACTIONS),
    ([0.0, 1.0], FRACTIONS),
    ([[0.5, 1.0]], FRACTIONS),          # two-dimensional
])
def test_bad_looks_are_refused_with_their_reason(looks, message):
    with pytest.raises(ValueError, match=message):
        group_sequential_boundaries(looks)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5])
def test_alpha_outside_the_open_unit_interval_is_refused(alpha):
    with pytest.raises(ValueError, match=r"^alpha must lie in \(0, 1\)$"):
        group_sequential_boundaries(2, alpha=alpha)


def test_unknown_spending_and_mismatched_boundaries_are_refused():
    with pytest.raises(ValueError, match=r"^unknown spending function 'x'; choose from obf, pocock$"):
        group_sequential_boundaries(2, spending="x")
    with pytest.raises(ValueError, match=r"^one boundary per look$"):
        crossing_probabilities([2.0], 2)


def test_a_single_fraction_of_one_is_the_fixed_design():
    assert group_sequential_boundaries([1.0]).z[0] == pytest.approx(norm.ppf(0.975), abs=1e-8)


def test_defaults_and_returned_fields():
    b = group_sequential_boundaries()
    # four equal looks, O'Brien-Fleming, two-sided 0.05 (gsDesign: 4.3326 2.9631 2.3590 2.0141)
    assert b.information_fraction == (0.25, 0.5, 0.75, 1.0)
    assert b.z == pytest.approx((4.3326, 2.9631, 2.3590, 2.0141), abs=1e-4)
    assert b.nominal_p == pytest.approx(tuple(2 * norm.sf(c) for c in b.z), rel=1e-12)
    assert (b.spending, b.alpha) == ("obf", 0.05)


@pytest.mark.parametrize("spending, spend", [("obf", obf_spending), ("pocock", pocock_spending)])
def test_a_non_default_alpha_is_spent_by_its_own_spending_function(spending, spend):
    b = group_sequential_boundaries(3, alpha=0.10, spending=spending)
    expected = [2 * float(spend(t, 0.05)) for t in (1 / 3, 2 / 3)] + [0.10]
    assert b.cumulative_alpha == pytest.approx(tuple(expected), rel=1e-12)
    # the first look's boundary has the closed form Φ⁻¹(1 - α₁(t₁))
    assert b.z[0] == pytest.approx(norm.isf(float(spend(1 / 3, 0.05))), abs=1e-8)


def test_looks_ending_before_full_information_spend_only_what_the_function_allows():
    b = group_sequential_boundaries([0.3, 0.6, 0.8])
    expected = tuple(2 * float(obf_spending(t, 0.025)) for t in (0.3, 0.6, 0.8))
    assert b.cumulative_alpha == pytest.approx(expected, rel=1e-12)
    assert b.cumulative_alpha[-1] < 0.05


def _fixed_design_drift(c, power):
    # one look: power = Φ(θ - c) + Φ(-c - θ), solved with scipy
    return optimize.brentq(lambda th: norm.cdf(th - c) + norm.cdf(-c - th) - power, 0.0, 20.0, xtol=1e-12)


def test_drift_for_power_defaults_to_eighty_percent_and_counts_both_sides():
    c = 1.959964
    assert drift_for_power([c], 1) == pytest.approx(_fixed_design_drift(c, 0.8), abs=1e-8)
    # near the level both tails matter: power 0.1 needs a drift below 1
    theta = drift_for_power([c], 1, power=0.1)
    assert theta < 1 and theta == pytest.approx(_fixed_design_drift(c, 0.1), abs=1e-8)


def test_a_wide_alpha_puts_the_boundary_below_one():
    # one look at two-sided 0.5: |z| >= Φ⁻¹(0.75) = 0.6745
    assert group_sequential_boundaries(1, alpha=0.5).z[0] == pytest.approx(norm.ppf(0.75), abs=1e-8)


def test_spending_functions_default_to_one_sided_2_5_percent():
    assert float(obf_spending(1.0)) == pytest.approx(0.025, abs=1e-15)
    assert float(pocock_spending(1.0)) == pytest.approx(0.025, abs=1e-15)  # 0.025 ln(1 + e - 1)
    # O'Brien-Fleming at t = 1/2: 2 - 2Φ(Φ⁻¹(0.9875)·√2)
    assert float(obf_spending(0.5)) == pytest.approx(2 * norm.sf(norm.isf(0.0125) * 2 ** 0.5), rel=1e-12)
    assert float(obf_spending(0.0)) == 0.0  # no warning at t = 0 (warnings are errors in the tests)


def test_a_large_drift_is_followed_by_the_grid():
    # a first look nobody can cross (|z| >= 38) and drift 12: the second look's crossing is the
    # fixed-design one, Φ(θ - c) + Φ(-c - θ), only if the grid moves with the drift
    c2, theta = 2.0, 12.0
    up, low = crossing_probabilities([38.0, c2], [0.5, 1.0], drift=theta)
    assert up[1] == pytest.approx(norm.cdf(theta - c2), abs=1e-6)
    assert low[1] == pytest.approx(norm.cdf(-c2 - theta), abs=1e-12)


def test_msprt_by_hand():
    from math import exp, log, sqrt

    from mlmon.stats.sequential import msprt

    # V = 1e-4, tau^2 = 4e-4, V + tau^2 = 5e-4: log LR = ½ ln(1/5) + 4e-4·0.03²/(2·1e-4·5e-4)
    r = msprt(0.03, 1e-4, 4e-4)
    log_lr = 0.5 * log(0.2) + 4e-4 * 0.03 ** 2 / (2 * 1e-4 * 5e-4)
    assert r.likelihood_ratio == pytest.approx(exp(log_lr), rel=1e-12)
    assert r.p_value == pytest.approx(exp(-log_lr), rel=1e-12)
    half = sqrt(1e-4 * 5e-4 / 4e-4 * (log(5.0) - 2 * log(0.05)))  # default alpha 0.05
    assert r.ci == pytest.approx((0.03 - half, 0.03 + half), abs=1e-15)
    # far from the null the ratio overflows to infinity rather than raising
    far = msprt(1.0, 1e-4, 4e-4)
    assert far.likelihood_ratio == float("inf") and far.p_value == 0.0


@pytest.mark.parametrize("variance, tau2", [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0)])
def test_msprt_refuses_non_positive_variances(variance, tau2):
    from mlmon.stats.sequential import msprt

    with pytest.raises(ValueError, match=r"^variance and mixture variance must be positive$"):
        msprt(0.1, variance, tau2)
