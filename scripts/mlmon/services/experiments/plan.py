"""``mlmon ab plan``: the sample size per arm and, for planned looks, the group-sequential
boundaries and how much they inflate the maximum sample size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional

from mlmon.errors import MlmonError
from mlmon.jsonsafe import strict_json
from mlmon.services.experiments.result import SCHEMA_VERSION
from mlmon.stats import power as power_kernels, sequential


@dataclass
class AbPlan:
    baseline: Optional[float]
    mde: float
    relative: bool
    sd: Optional[float]
    alpha: float
    power: float
    sample_size: power_kernels.SampleSize
    looks: Optional[int]
    spending: str
    boundaries: Optional[sequential.Boundaries]
    inflation: Optional[float]

    def to_dict(self) -> Dict[str, Any]:
        target = None
        if self.baseline is not None and self.sd is None:
            target = self.baseline * (1 + self.mde) if self.relative else self.baseline + self.mde
        per_arm = self.sample_size.per_arm
        boundaries = []
        if self.boundaries is not None:
            boundaries = [
                {"look": i + 1, "information_fraction": t, "z": z, "nominal_p": p, "cumulative_alpha": a}
                for i, (t, z, p, a) in enumerate(zip(self.boundaries.information_fraction, self.boundaries.z,
                                                     self.boundaries.nominal_p, self.boundaries.cumulative_alpha))
            ]
        max_n = int(math.ceil(self.sample_size.exact * self.inflation - 1e-9)) if self.inflation else per_arm
        return strict_json({
            "schema_version": SCHEMA_VERSION,
            "kind": "ab_plan",
            "metric_type": "continuous" if self.sd is not None else "binary",
            "baseline_rate": self.baseline if self.sd is None else None,
            "target_rate": target,
            "sd": self.sd,
            "mde": self.mde,
            "relative": self.relative,
            "alpha": self.alpha,
            "power": self.power,
            "effect_size": self.sample_size.effect_size,
            "sample_size_exact": self.sample_size.exact,
            "sample_size_per_arm": per_arm,
            "looks": self.looks,
            "spending": self.spending if self.looks else None,
            "inflation_factor": self.inflation,
            "max_sample_size_per_arm": max_n,
            "boundaries": boundaries,
        })


def plan(*, mde: float, baseline: Optional[float] = None, sd: Optional[float] = None, relative: bool = False,
         alpha: float = 0.05, power: float = 0.8, looks: Optional[int] = None, spending: str = "obf") -> AbPlan:
    """Sample size per arm (and boundaries for ``looks`` planned looks)."""
    if not 0 < alpha < 1:
        raise MlmonError(f"alpha {alpha} is not between 0 and 1", "--alpha", "use e.g. 0.05")
    if not 0 < power < 1 or power <= alpha:
        raise MlmonError(f"power {power} is not between alpha and 1", "--power", "use e.g. 0.8")
    if mde == 0:
        raise MlmonError("the minimum detectable effect is 0", "--mde", "give the smallest change worth detecting")
    if looks is not None and looks < 1:
        raise MlmonError(f"{looks} looks", "--looks", "plan at least one look")
    if spending not in sequential.SPENDING:
        raise MlmonError(f"unknown spending function {spending!r}", "--spending", "use obf or pocock")
    if sd is not None:
        if relative:
            if baseline is None:
                raise MlmonError("a relative effect on a mean needs the baseline mean", "--relative",
                                 "pass --baseline-rate with the control mean, or give --mde in the metric's unit")
            effect = baseline * mde
        else:
            effect = mde
        try:
            size = power_kernels.sample_size_means(effect, sd, alpha=alpha, power=power)
        except ValueError as exc:
            raise MlmonError(str(exc), "--sd", "give the metric's standard deviation per unit") from None
    else:
        if baseline is None:
            raise MlmonError("no baseline rate", "--baseline-rate", "give the control's current rate, e.g. 0.10")
        try:
            size = power_kernels.sample_size_proportions(baseline, mde, relative=relative, alpha=alpha, power=power)
        except ValueError as exc:
            raise MlmonError(str(exc), "--baseline-rate/--mde", "rates are between 0 and 1, e.g. --baseline-rate 0.1 --mde 0.01") from None
    bounds, inflation = None, None
    if looks:
        bounds = sequential.group_sequential_boundaries(looks, alpha, spending)
        fixed = sequential.drift_for_power([float(bounds.z[-1]) if looks == 1 else _fixed_z(alpha)], 1, power)
        inflation = (sequential.drift_for_power(bounds.z, looks, power) / fixed) ** 2
    return AbPlan(baseline, mde, relative, sd, alpha, power, size, looks, spending, bounds, inflation)


def _fixed_z(alpha: float) -> float:
    from scipy import special

    return float(special.ndtri(1 - alpha / 2))
