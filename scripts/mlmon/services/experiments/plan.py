"""``mlmon ab plan``: the sample size per arm and, for planned looks, the group-sequential
boundaries and how much they inflate the maximum sample size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional

from mlmon.errors import MlmonError, option
from mlmon.jsonsafe import strict_json
from mlmon.services.experiments.result import SCHEMA_VERSION
from mlmon.services.options import Options
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


@dataclass(frozen=True)
class PlanOptions(Options):
    """What a plan is asked: built as ``PlanOptions.from_config(config).override(**flags)``."""

    mde: Optional[float] = None
    baseline_rate: Optional[float] = None
    sd: Optional[float] = None
    relative: bool = False
    alpha: float = 0.05
    power: float = 0.8
    looks: Optional[int] = None
    spending: str = "obf"

    @classmethod
    def from_config(cls, config) -> "PlanOptions":
        """The mde, power and significance a typed config's ``experiments`` section sets."""
        if config is None:
            return cls()
        from mlmon.services.experiments.options import options_from_config

        given = options_from_config(config)
        return cls().from_fields(mde=given["mde"], power=given["power"], alpha=given["alpha"])


def plan_from_options(o: PlanOptions) -> AbPlan:
    if o.mde is None:
        raise MlmonError("no minimum detectable effect", option("mde"),
                         f"give {option('mde')} (e.g. 0.1 {option('relative')} for +10%)")
    return plan(mde=o.mde, baseline=o.baseline_rate, sd=o.sd, relative=o.relative, alpha=o.alpha, power=o.power,
                looks=o.looks, spending=o.spending)


def plan(*, mde: float, baseline: Optional[float] = None, sd: Optional[float] = None, relative: bool = False,
         alpha: float = 0.05, power: float = 0.8, looks: Optional[int] = None, spending: str = "obf") -> AbPlan:
    """Sample size per arm (and boundaries for ``looks`` planned looks)."""
    if not 0 < alpha < 1:
        raise MlmonError(f"alpha {alpha} is not between 0 and 1", option("alpha"), "use e.g. 0.05")
    if not 0 < power < 1 or power <= alpha:
        raise MlmonError(f"power {power} is not between alpha and 1", option("power"), "use e.g. 0.8")
    if mde == 0:
        raise MlmonError("the minimum detectable effect is 0", option("mde"),
                         "give the smallest change worth detecting")
    if looks is not None and looks < 1:
        raise MlmonError(f"{looks} looks", option("looks"), "plan at least one look")
    if spending not in sequential.SPENDING:
        raise MlmonError(f"unknown spending function {spending!r}", option("spending"), "use obf or pocock")
    if sd is not None:
        if relative:
            if baseline is None:
                raise MlmonError("a relative effect on a mean needs the baseline mean", option("relative"),
                                 f"pass {option('baseline_rate')} with the control mean, or give {option('mde')} in the metric's unit")
            effect = baseline * mde
        else:
            effect = mde
        try:
            size = power_kernels.sample_size_means(effect, sd, alpha=alpha, power=power)
        except ValueError as exc:
            raise MlmonError(str(exc), option("sd"), "give the metric's standard deviation per unit") from None
    else:
        if baseline is None:
            raise MlmonError("no baseline rate", option("baseline_rate"), "give the control's current rate, e.g. 0.10")
        try:
            size = power_kernels.sample_size_proportions(baseline, mde, relative=relative, alpha=alpha, power=power)
        except ValueError as exc:
            raise MlmonError(str(exc), f"{option('baseline_rate')}/{option('mde')}",
                             f"rates are between 0 and 1, e.g. {option('baseline_rate')} 0.1 {option('mde')} 0.01") from None
    bounds, inflation = None, None
    if looks:
        bounds = sequential.group_sequential_boundaries(looks, alpha, spending)
        fixed = sequential.drift_for_power([float(bounds.z[-1]) if looks == 1 else _fixed_z(alpha)], 1, power)
        inflation = (sequential.drift_for_power(bounds.z, looks, power) / fixed) ** 2
    return AbPlan(baseline, mde, relative, sd, alpha, power, size, looks, spending, bounds, inflation)


def _fixed_z(alpha: float) -> float:
    from scipy import special

    return float(special.ndtri(1 - alpha / 2))
