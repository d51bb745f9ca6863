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
