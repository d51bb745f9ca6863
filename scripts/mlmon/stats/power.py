"""Sample size per arm for a two-sample test, as statsmodels' power solvers compute it.

With a standardised effect size :math:`d`, arms of :math:`n_1` and :math:`n_2 = r n_1` and a
two-sided level :math:`\\alpha`, the power of the z-test is (``statsmodels.stats.power.
NormalIndPower``, both rejection tails counted)

.. math::

    1 - \\beta = \\Phi\\left(d\\sqrt{m} - z_{1-\\alpha/2}\\right) + \\Phi\\left(-d\\sqrt{m} - z_{1-\\alpha/2}\\right),
    \\qquad m = \\left(\\tfrac{1}{n_1} + \\tfrac{1}{n_2}\\right)^{-1},

solved for :math:`n_1` by root finding. For rates, :math:`d` is Cohen's arcsine effect size
:math:`h = 2\\arcsin\\sqrt{p_2} - 2\\arcsin\\sqrt{p_1}` (``proportion_effectsize``); for means,
:math:`d = \\delta/\\sigma`. Cohen (1988), *Statistical Power Analysis for the Behavioral
Sciences*, ch. 6. Sample sizes are rounded up to whole units.

Examples
--------
>>> r = sample_size_proportions(0.10, 0.10, relative=True)
>>> round(r.exact, 1), r.per_arm
(14744.1, 14745)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import optimize, special


class SampleSize(NamedTuple):
    exact: float        # the solver's real-valued n per arm (control arm when ratio != 1)
    per_arm: int        # rounded up
    effect_size: float  # the standardised effect size d (Cohen's h for rates)


def arcsine_effect_size(p1: float, p2: float) -> float:
    """Cohen's h between rates ``p2`` and ``p1`` (``statsmodels proportion_effectsize(p2, p1)``).

    >>> round(arcsine_effect_size(0.10, 0.11), 6)
    0.032629
    """
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def normal_power(effect_size: float, n1: float, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of the two-sided two-sample z-test (``NormalIndPower().power``).

    >>> round(normal_power(0.2, 393, 0.05), 4)
    0.8006
    """
    m = 1.0 / (1.0 / n1 + 1.0 / (ratio * n1))
    crit = special.ndtri(1 - alpha / 2)
    shift = abs(effect_size) * math.sqrt(m)
    return float(special.ndtr(shift - crit) + special.ndtr(-shift - crit))


def solve_n(effect_size: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> SampleSize:
    """Smallest n per arm reaching ``power`` (``zt_ind_solve_power(..., nobs1=None)``)."""
    if effect_size == 0:
        raise ValueError("the effect size is zero: no sample size detects no change")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie in (0, 1)")
    if power <= alpha:
        raise ValueError("power must exceed alpha")

    def gap(n):
        return normal_power(effect_size, n, alpha, ratio) - power

    # the one-tail approximation is within a hair of the root; bracket around it
    crit = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    guess = (crit / abs(effect_size)) ** 2 * (1 + 1 / ratio)
    lo, hi = guess * 0.5, guess * 1.5 + 2
    while gap(lo) > 0:
        lo /= 2
    n = optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=200)
    return SampleSize(float(n), int(math.ceil(n - 1e-9)), float(effect_size))


def sample_size_proportions(baseline: float, mde: float, *, relative: bool = False, alpha: float = 0.05,
                            power: float = 0.8, ratio: float = 1.0) -> SampleSize:
    """n per arm to detect a change of ``mde`` in a rate of ``baseline`` (``mde`` a fraction of
    ``baseline`` when ``relative``), arcsine effect size."""
    target = baseline * (1 + mde) if relative else baseline + mde
    if not 0 < baseline < 1 or not 0 < target < 1:
        raise ValueError(f"rates must lie strictly between 0 and 1 (baseline {baseline}, target {target})")
    return solve_n(arcsine_effect_size(baseline, target), alpha, power, ratio)


def sample_size_means(mde: float, sd: float, *, alpha: float = 0.05, power: float = 0.8,
                      ratio: float = 1.0) -> SampleSize:
    """n per arm to detect a change of ``mde`` in a mean whose unit-level sd is ``sd``.

    >>> sample_size_means(1.0, 5.0).per_arm
    393
    """
    if not sd > 0:
        raise ValueError("the standard deviation must be positive")
    return solve_n(mde / sd, alpha, power, ratio)
