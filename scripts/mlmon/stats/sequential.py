"""Sequential decisions: group-sequential boundaries by alpha spending, and an always-valid test.

**Group-sequential boundaries.** With K planned looks at information fractions
:math:`0 < t_1 < \\dots < t_K = 1`, the interim z statistics are jointly normal with
:math:`\\operatorname{corr}(Z_i, Z_j) = \\sqrt{t_i/t_j}` (:math:`i \\le j`). A Lan-DeMets spending
function :math:`\\alpha_1(t)` says how much one-sided type I error may be spent by time
:math:`t`; the two-sided symmetric boundary :math:`c_k` solves

.. math::

    P_0\\left(|Z_1| < c_1, \\dots, |Z_{k-1}| < c_{k-1}, |Z_k| \\ge c_k\\right)
    = 2\\,(\\alpha_1(t_k) - \\alpha_1(t_{k-1})).

The probability is computed exactly (up to quadrature error, well below 1e-6) by the recursive
numerical integration of Armitage, McPherson & Rowe (1969) as laid out in Jennison & Turnbull
(2000), *Group Sequential Methods with Applications to Clinical Trials*, ch. 19: the
sub-density of :math:`Z_k` on the continuation region is carried from look to look on a grid
(Simpson's rule), with :math:`Z_k\\sqrt{t_k} = Z_{k-1}\\sqrt{t_{k-1}} + N(\\theta\\Delta_k, \\Delta_k)`,
:math:`\\Delta_k = t_k - t_{k-1}`; no simulation.

Spending functions, with :math:`\\alpha_1` the one-sided level (0.025 for a two-sided 0.05 test;
the convention of gsDesign's ``sfLDOF``/``sfLDPocock`` and of ldbounds):

- O'Brien-Fleming type (Lan & DeMets 1983, Biometrika 70(3)):
  :math:`\\alpha_1(t) = 2 - 2\\Phi\\left(\\Phi^{-1}(1 - \\alpha_1/2)/\\sqrt t\\right)`;
- Pocock type: :math:`\\alpha_1(t) = \\alpha_1 \\ln(1 + (e - 1)t)`.

For four equally spaced looks the O'Brien-Fleming boundaries are |z| = 4.3326, 2.9631, 2.3590,
2.0141 (gsDesign).

**Always valid.** :func:`msprt` is the normal-mixture sequential probability ratio test
(Robbins 1970; Johari, Koomen, Pekelis & Walsh 2022, "Always Valid Inference", Operations
Research 70(3)): with an estimate :math:`\\hat\\theta` of variance :math:`V` and a
:math:`N(\\theta_0, \\tau^2)` mixture over alternatives,

.. math::

    \\Lambda = \\sqrt{\\frac{V}{V + \\tau^2}}
    \\exp\\left(\\frac{\\tau^2 (\\hat\\theta - \\theta_0)^2}{2V(V + \\tau^2)}\\right),

and :math:`p = \\min(1, 1/\\Lambda)` stays valid however often it is looked at (keep the running
minimum over looks); the matching confidence sequence is
:math:`\\hat\\theta \\pm \\sqrt{\\tfrac{V(V+\\tau^2)}{\\tau^2}\\left(\\ln\\tfrac{V+\\tau^2}{V} - 2\\ln\\alpha\\right)}`.

Examples
--------
>>> b = group_sequential_boundaries(4)
>>> [round(z, 4) for z in b.z]
[4.3326, 2.9631, 2.359, 2.0141]
>>> [round(z, 4) for z in group_sequential_boundaries(4, spending="pocock").z]
[2.3683, 2.3675, 2.3582, 2.35]
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np
from scipy import optimize, special

SPENDING = ("obf", "pocock")
_GRID_POINTS = 1601  # Simpson points on the continuation region (odd)
_Z_MAX = 38.0        # a boundary no look can cross (P(|Z| > 38) underflows double precision)
_GRID_EDGE = 9.0     # the grid covers |z| <= this (plus the drift) when the boundary is farther


def obf_spending(t, alpha: float = 0.025):
    """Lan-DeMets O'Brien-Fleming spending (gsDesign ``sfLDOF``): one-sided alpha spent by ``t``.

    >>> round(float(obf_spending(0.5)), 6), round(float(obf_spending(1.0)), 12)
    (0.001525, 0.025)
    """
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return 2.0 - 2.0 * special.ndtr(special.ndtri(1 - alpha / 2) / np.sqrt(t))


def pocock_spending(t, alpha: float = 0.025):
    """Lan-DeMets Pocock-type spending (gsDesign ``sfLDPocock``): ``alpha ln(1 + (e - 1) t)``.

    >>> round(float(pocock_spending(0.5)), 6)
    0.015503
    """
    t = np.asarray(t, dtype=np.float64)
    return alpha * np.log1p((math.e - 1.0) * t)


class Boundaries(NamedTuple):
    information_fraction: Tuple[float, ...]
    z: Tuple[float, ...]                 # two-sided: stop when |Z_k| >= z[k]
    nominal_p: Tuple[float, ...]         # two-sided p-value of z[k] at a single look
    cumulative_alpha: Tuple[float, ...]  # two-sided alpha spent up to each look
    spending: str
    alpha: float                         # two-sided level


def _timing(looks) -> np.ndarray:
    if isinstance(looks, (int, np.integer)):
        if looks < 1:
            raise ValueError("need at least one look")
        return np.arange(1, looks + 1, dtype=np.float64) / looks
    t = np.asarray(looks, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0) or t[0] <= 0 or t[-1] > 1:
        raise ValueError("information fractions must increase strictly within (0, 1]")
    return t


def _simpson(c: float, n: int = _GRID_POINTS):
    z = np.linspace(-c, c, n)
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return z, w * (z[1] - z[0]) / 3.0


class _Recursion:
    """The sub-density of the z statistic on the continuation region, look after look."""

    def __init__(self, drift: float = 0.0):
        self.drift = drift
        self.t_prev = 0.0
        self.z: Optional[np.ndarray] = None   # grid of the previous look
        self.mass: Optional[np.ndarray] = None  # density x quadrature weight on that grid

    def _means(self, t: float):
        delta = t - self.t_prev
        return self.z * math.sqrt(self.t_prev) + self.drift * delta, math.sqrt(delta)

    def crossing(self, c: float, t: float) -> Tuple[float, float]:
        """P(continue so far, Z_k >= c) and P(continue so far, Z_k <= -c) at fraction ``t``."""
        if self.z is None:
            mu = self.drift * math.sqrt(t)
            return float(special.ndtr(mu - c)), float(special.ndtr(-c - mu))
        mean, sd = self._means(t)
        upper = self.mass @ special.ndtr((mean - c * math.sqrt(t)) / sd)
        lower = self.mass @ special.ndtr((-c * math.sqrt(t) - mean) / sd)
        return float(upper), float(lower)

    def advance(self, c: float, t: float) -> None:
        """Move to the next look, keeping only paths with |Z_k| < c."""
        # beyond 9 sd from the mean the density is below 1e-18: spend the grid where the mass is
        z, w = _simpson(min(c, _GRID_EDGE + abs(self.drift) * math.sqrt(t)))
        if self.z is None:
            density = np.exp(-0.5 * (z - self.drift * math.sqrt(t)) ** 2) / math.sqrt(2 * math.pi)
        else:
            mean, sd = self._means(t)
            x = (z[:, None] * math.sqrt(t) - mean[None, :]) / sd
            density = (np.exp(-0.5 * x * x) @ self.mass) * math.sqrt(t) / (sd * math.sqrt(2 * math.pi))
        self.z, self.mass, self.t_prev = z, density * w, t


def group_sequential_boundaries(looks=4, alpha: float = 0.05, spending: str = "obf") -> Boundaries:
    """Two-sided symmetric boundaries for ``looks`` (a count of equally spaced looks, or the
    information fractions) spending ``alpha`` (two-sided; alpha/2 per side)."""
    if spending not in SPENDING:
        raise ValueError(f"unknown spending function {spending!r}; choose from {', '.join(SPENDING)}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    t = _timing(looks)
    side = alpha / 2
    spend = obf_spending(t, side) if spending == "obf" else pocock_spending(t, side)
    spend = np.minimum(spend, side)
    spend[-1] = side if t[-1] == 1.0 else spend[-1]
    rec, bounds, spent = _Recursion(), [], 0.0
    for k, tk in enumerate(t):
        target = 2.0 * (spend[k] - spent)
        if target <= 1e-300:
            c = _Z_MAX
        else:
            def gap(c, tk=tk, target=target):
                up, low = rec.crossing(c, tk)
                return (up + low) - target

            c = _Z_MAX if gap(_Z_MAX) > 0 else optimize.brentq(gap, 0.0, _Z_MAX, xtol=1e-10, rtol=1e-12)
        bounds.append(float(c))
        spent = float(spend[k])
        rec.advance(c, tk)
    z = tuple(bounds)
    nominal = tuple(float(2 * special.ndtr(-c)) for c in z)
    return Boundaries(tuple(float(x) for x in t), z, nominal, tuple(float(2 * s) for s in spend), spending, alpha)


def crossing_probabilities(z: Sequence[float], looks, drift: float = 0.0):
    """Per look, the probability of first crossing the upper and the lower boundary ``±z`` when
    the z statistic at full information has mean ``drift`` (0: under the null).

    >>> up, low = crossing_probabilities([2.9626, 1.9686], 2)
    >>> round(float(up.sum() + low.sum()), 4)
    0.05
    """
    t = _timing(looks)
    if len(z) != t.size:
        raise ValueError("one boundary per look")
    rec = _Recursion(drift)
    upper, lower = np.empty(t.size), np.empty(t.size)
    for k, (c, tk) in enumerate(zip(z, t)):
        upper[k], lower[k] = rec.crossing(c, tk)
        rec.advance(c, tk)
    return upper, lower


def drift_for_power(z: Sequence[float], looks, power: float = 0.8) -> float:
    """The drift (mean of Z at full information) at which the design rejects with ``power``;
    its square over the fixed-design one is the sample-size inflation of the looks.

    >>> round(drift_for_power([1.959964], 1), 4)
    2.8016
    """
    def gap(theta):
        up, low = crossing_probabilities(z, looks, theta)
        return float(up.sum() + low.sum()) - power

    return float(optimize.brentq(gap, 0.0, 20.0, xtol=1e-10))


class AlwaysValid(NamedTuple):
    likelihood_ratio: float
    p_value: float                  # valid at any look; use the running minimum over looks
    ci: Tuple[float, float]         # confidence sequence at 1 - alpha


def msprt(estimate: float, variance: float, tau2: float, alpha: float = 0.05, null: float = 0.0) -> AlwaysValid:
    """Normal-mixture SPRT of ``estimate`` (variance ``variance``) against ``null``.

    >>> r = msprt(0.03, 0.0001, 0.0004)
    >>> round(r.likelihood_ratio, 3), round(r.p_value, 4), [round(x, 4) for x in r.ci]
    (16.367, 0.0611, [-0.0008, 0.0608])
    """
    if not variance > 0 or not tau2 > 0:
        raise ValueError("variance and mixture variance must be positive")
    v, s = float(variance), float(variance) + float(tau2)
    log_lr = 0.5 * math.log(v / s) + tau2 * (estimate - null) ** 2 / (2 * v * s)
    p = 1.0 if log_lr <= 0 else math.exp(-log_lr)
    half = math.sqrt(v * s / tau2 * (math.log(s / v) - 2 * math.log(alpha)))
    lr = math.exp(log_lr) if log_lr < 700 else math.inf
    return AlwaysValid(lr, min(1.0, p), (estimate - half, estimate + half))
