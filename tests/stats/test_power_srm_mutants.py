"""Sample ratio mismatch and sample sizes: every input check, default and boundary pinned.

Expected values come from ``scipy.stats.chisquare`` (SRM), statsmodels' ``NormalIndPower`` /
``zt_ind_solve_power`` (sample sizes) and hand computation (noted at each figure).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from mlmon.stats import power, srm


def refused(message):
    """The call raises ValueError with exactly ``message``."""
    return pytest.raises(ValueError, match="^" + re.escape(message) + "$")

# ------------------------------------------------------------------------------ SRM


def test_two_arms_fifty_fifty_match_chisquare_and_expected_counts():
    # scipy.stats.chisquare([5000, 5200]): statistic 2 * 100² / 5100 = 3.92157, p 0.04767
    r = srm.sample_ratio_mismatch([5000, 5200], [0.5, 0.5])
    ref = stats.chisquare([5000, 5200])
    assert r.statistic == pytest.approx(3.9215686274509802, rel=1e-12) == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert r.expected.tolist() == [5100.0, 5100.0]
    assert r.mismatch is False


def test_unnormalised_weights_give_the_expected_counts_of_the_split():
    # weights 1:3 on 400 units: expected 100 and 300 (hand); chi² = 200²/100 + 200²/300 = 533.33
    r = srm.sample_ratio_mismatch([300, 100], [1, 3])
    assert r.expected.tolist() == [100.0, 300.0]
    assert r.statistic == pytest.approx(400 + 400 / 3, rel=1e-12)
    assert r.statistic == pytest.approx(stats.chisquare([300, 100], f_exp=[100, 300]).statistic, rel=1e-12)
    assert r.mismatch is True


def test_the_default_threshold_is_one_in_a_thousand():
    # scipy.stats.chisquare: [9776, 10224] p = 0.001536 (not flagged at 0.001, flagged at 0.002),
    # [9766, 10234] p = 0.000935 (flagged at 0.001)
    above = srm.sample_ratio_mismatch([9776, 10224], [1, 1])
    assert above.p_value == pytest.approx(0.0015357687151374786, rel=1e-9)
    assert above.mismatch is False
    below = srm.sample_ratio_mismatch([9766, 10234], [1, 1])
    assert below.p_value == pytest.approx(0.0009354301389080217, rel=1e-9)
    assert below.mismatch is True
    assert srm.SRM_THRESHOLD == 0.001


def test_a_p_value_equal_to_the_threshold_is_no_mismatch():
    # the rule is p < threshold (strict)
    p = srm.sample_ratio_mismatch([5000, 5200], [1, 1]).p_value
    assert srm.sample_ratio_mismatch([5000, 5200], [1, 1], threshold=p).mismatch is False
    assert srm.sample_ratio_mismatch([5000, 5200], [1, 1], threshold=np.nextafter(p, 1)).mismatch is True


ARMS = "need one weight per arm and at least two arms"
WEIGHT = "every arm needs a positive weight"


@pytest.mark.parametrize("observed, weights, message", [
    ([100], [1.0], ARMS), ([], [], ARMS),
    ([100, 100], [1.0, 1.0, 1.0], ARMS),
    ([100, 100, 100], [1.0, 1.0], ARMS),
    ([100, 100], [1.0, 0.0], WEIGHT),
    ([100, 100], [1.0, -1.0], WEIGHT),
])
def test_bad_splits_are_refused_with_the_reason(observed, weights, message):
    with refused(message):
        srm.sample_ratio_mismatch(observed, weights)


def test_float32_counts_and_weights_are_computed_in_double_precision():
    # scipy.stats.chisquare on the same values as float64. The counts sum past 2**24 (a float32
    # sum rounds it) and the weights' float32 sum differs from their float64 sum.
    obs = np.array([9_000_001, 9_500_000], dtype=np.float32)
    w = np.array([0.1, 0.7], dtype=np.float32)
    o64, w64 = obs.astype(np.float64), w.astype(np.float64)
    assert float(obs.sum()) != o64.sum() and float(w.sum()) != w64.sum()
    ref = stats.chisquare(o64, f_exp=o64.sum() * w64 / w64.sum())
    for o, ww in ((obs, w), (obs, w64), (o64, w)):
        r = srm.sample_ratio_mismatch(o, ww)
        assert r.expected.dtype == np.float64
        assert r.expected == pytest.approx(o64.sum() * w64 / w64.sum(), rel=1e-15)
        assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)


def test_small_positive_weights_are_accepted():
    # weights below one are a split, not an error: 0.2/0.8 on 1000 units expects 200 and 800
    r = srm.sample_ratio_mismatch([200, 800], [0.2, 0.8])
    assert r.expected.tolist() == [200.0, 800.0]
    assert r.statistic == 0.0 and r.p_value == 1.0 and r.mismatch is False


# ------------------------------------------------------------------------------ power


def test_power_defaults_are_a_five_percent_level_and_equal_arms():
    # NormalIndPower().power(0.2, 393, 0.05) = 0.80056 (statsmodels)
    assert power.normal_power(0.2, 393) == pytest.approx(NormalIndPower().power(0.2, 393, 0.05), rel=1e-12)
    assert power.normal_power(0.2, 393) == pytest.approx(0.8005559137898353, rel=1e-12)


def test_power_of_a_negative_effect_counts_both_tails_with_unequal_arms():
    # NormalIndPower().power(-0.3, 50, 0.2, ratio=3) = 0.71165 (statsmodels)
    got = power.normal_power(-0.3, 50, 0.2, 3.0)
    assert got == pytest.approx(NormalIndPower().power(-0.3, 50, 0.2, ratio=3), rel=1e-12)
    assert got == pytest.approx(0.7116544717550546, rel=1e-12)


def test_solve_n_defaults_match_normal_ind_power():
    # NormalIndPower().solve_power(0.2, alpha=0.05, power=0.8) = 392.443 (statsmodels, to its
    # solver's tolerance); statsmodels' power at the exact root is 0.8
    r = power.solve_n(0.2)
    assert r.exact == pytest.approx(392.4430232577885, rel=1e-7)
    assert NormalIndPower().power(0.2, r.exact, 0.05) == pytest.approx(0.8, abs=1e-12)
    assert r.per_arm == 393
    assert r.effect_size == 0.2


def test_solve_n_with_a_negative_effect_and_a_smaller_treatment_arm():
    # NormalIndPower().solve_power(-0.2, alpha=0.05, power=0.8, ratio=0.5) = 588.665 (statsmodels)
    ref = NormalIndPower().solve_power(effect_size=-0.2, alpha=0.05, power=0.8, ratio=0.5)
    r = power.solve_n(-0.2, ratio=0.5)
    assert r.exact == pytest.approx(ref, rel=1e-9) == pytest.approx(588.6645382027142, rel=1e-9)
    assert r.per_arm == 589
    assert r.effect_size == -0.2


def test_a_power_barely_above_alpha_needs_the_bracket_lowered():
    # power 0.055 at alpha 0.05: the other tail already gives 0.0575 at half the one-tail guess,
    # so the bracket's lower end has to move down; statsmodels' power at the root is 0.055
    r = power.solve_n(0.2, power=0.055)
    assert NormalIndPower().power(0.2, r.exact, 0.05) == pytest.approx(0.055, abs=1e-12)
    assert r.per_arm == math.ceil(r.exact)
    assert NormalIndPower().power(0.2, r.per_arm - 1, 0.05) < 0.055 <= NormalIndPower().power(0.2, r.per_arm, 0.05)


def test_a_huge_effect_barely_above_alpha_lowers_the_bracket_below_one_unit():
    # d = 5, power 0.055: the root is a small fraction of a unit; statsmodels' power there is 0.055
    r = power.solve_n(5.0, power=0.055)
    assert NormalIndPower().power(5.0, r.exact, 0.05) == pytest.approx(0.055, abs=1e-12)
    assert r.exact < 0.01 and r.per_arm == 1


def test_a_huge_effect_needs_less_than_one_unit():
    # d = 5: statsmodels' power at the root is 0.8 (its own solver gives up on n < 2)
    r = power.solve_n(5.0)
    assert NormalIndPower().power(5.0, r.exact, 0.05) == pytest.approx(0.8, abs=1e-12)
    assert r.exact == pytest.approx(0.6279088407460958, rel=1e-9)
    assert r.per_arm == 1


def test_a_root_on_a_whole_number_is_not_rounded_up():
    # statsmodels: the effect size that 100 per arm detects with power 0.8 at 5 %; solving back
    # gives 100 (to ~1e-12), which needs 100 units, not 101
    d = optimize.brentq(lambda e: NormalIndPower().power(e, 100, 0.05) - 0.8, 0.1, 1.0, xtol=1e-15, rtol=1e-15)
    r = power.sample_size_means(d, 1.0)
    assert r.exact == pytest.approx(100.0, rel=1e-11)
    assert r.per_arm == 100


@pytest.mark.parametrize("alpha, target", [(0.0, 0.8), (1.0, 0.8), (-0.1, 0.8), (0.05, 0.0), (0.05, 1.0), (0.05, 1.5)])
def test_alpha_and_power_outside_the_open_unit_interval_are_refused(alpha, target):
    with refused("alpha and power must lie in (0, 1)"):
        power.solve_n(0.2, alpha=alpha, power=target)


def test_power_must_exceed_alpha():
    with refused("power must exceed alpha"):
        power.solve_n(0.2, alpha=0.5, power=0.5)
    with refused("power must exceed alpha"):
        power.solve_n(0.2, alpha=0.6, power=0.55)
    # just above alpha is a (tiny) valid target: statsmodels solves it too
    ref = NormalIndPower().solve_power(effect_size=0.2, alpha=0.5, power=0.51)
    assert power.solve_n(0.2, alpha=0.5, power=0.51).exact == pytest.approx(ref, rel=1e-9)


def test_a_zero_effect_is_refused():
    with refused("the effect size is zero: no sample size detects no change"):
        power.solve_n(0.0)


def test_proportion_defaults_are_absolute_five_percent_eighty_percent_equal_arms():
    # zt_ind_solve_power(proportion_effectsize(0.12, 0.10), 0.05, 0.8, ratio=1) = 3840.9 (statsmodels)
    h = proportion_effectsize(0.12, 0.10)
    ref = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    r = power.sample_size_proportions(0.10, 0.02)
    assert r.exact == pytest.approx(ref, rel=1e-9)
    assert r.effect_size == pytest.approx(h, rel=1e-12)


@pytest.mark.parametrize("baseline, mde, relative", [
    (0.0, 0.1, False), (1.0, -0.1, False), (-0.1, 0.2, False), (0.5, 0.5, False), (0.5, -0.5, False),
    (0.5, 1.0, True), (0.5, -1.0, True),
])
def test_rates_at_or_beyond_zero_and_one_are_refused(baseline, mde, relative):
    target = baseline * (1 + mde) if relative else baseline + mde
    with refused(f"rates must lie strictly between 0 and 1 (baseline {baseline}, target {target})"):
        power.sample_size_proportions(baseline, mde, relative=relative)


def test_rates_close_to_the_edges_are_accepted():
    # statsmodels: proportion_effectsize(0.02, 0.01) and the n it needs
    ref = NormalIndPower().solve_power(effect_size=proportion_effectsize(0.02, 0.01), alpha=0.05, power=0.8)
    assert power.sample_size_proportions(0.01, 0.01).exact == pytest.approx(ref, rel=1e-9)
    ref = NormalIndPower().solve_power(effect_size=proportion_effectsize(0.99, 0.98), alpha=0.05, power=0.8)
    assert power.sample_size_proportions(0.98, 0.01).exact == pytest.approx(ref, rel=1e-9)


def test_mean_defaults_and_options_match_normal_ind_power():
    # statsmodels: d = 1/5 at the defaults gives 392.443; at alpha 0.01, power 0.9, ratio 2 its own figure
    r = power.sample_size_means(1.0, 5.0)
    assert NormalIndPower().power(0.2, r.exact, 0.05) == pytest.approx(0.8, abs=1e-12)
    assert r.per_arm == 393
    ref = NormalIndPower().solve_power(effect_size=0.2, alpha=0.01, power=0.9, ratio=2.0)
    got = power.sample_size_means(1.0, 5.0, alpha=0.01, power=0.9, ratio=2.0)
    assert got.exact == pytest.approx(ref, rel=1e-9)
    assert got.effect_size == 0.2


def test_a_standard_deviation_below_one_is_a_scale_not_an_error():
    # mde 0.1 on sd 0.5 is d = 0.2: 392.443 per arm (statsmodels' power 0.8 at the root)
    r = power.sample_size_means(0.1, 0.5)
    assert r.effect_size == pytest.approx(0.2, rel=1e-12)
    assert NormalIndPower().power(0.2, r.exact, 0.05) == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize("sd", [0.0, -1.0, float("nan")])
def test_a_standard_deviation_that_is_not_positive_is_refused(sd):
    with refused("the standard deviation must be positive"):
        power.sample_size_means(1.0, sd)
