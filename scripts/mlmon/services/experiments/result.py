"""The result of an A/B analysis: one :class:`Comparison` per treatment and metric inside an
:class:`AbResult`, whose ``to_dict()`` is the JSON contract of ``mlmon ab analyze --format json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional

from mlmon.jsonsafe import strict_json

SCHEMA_VERSION = 1


@dataclass
class Comparison:
    """One treatment against the control on one metric: the test's numbers, then what the
    analysis decided about them (adjusted p-value, always-valid p-value, sequential boundary)."""

    control: str
    treatment: str
    metric: str
    metric_type: str                  # "binary" or "continuous"
    test: str                         # "two_proportion_z" or "welch_t"
    primary: bool
    cuped: bool
    control_n: int
    treatment_n: int
    control_mean: float
    treatment_mean: float
    lift: Optional[float]             # relative to the control mean; None when that is 0
    lift_ci: List[Optional[float]]
    absolute_lift: float
    absolute_lift_ci: List[float]
    statistic: float
    df: Optional[float]
    standard_error: float
    p_value: float
    always_valid: Optional[Dict[str, Any]] = None   # p_value, ci, mixture_sd, likelihood_ratio
    p_value_adjusted: Optional[float] = None
    significant: Optional[bool] = None
    sequential: Optional[Dict[str, Any]] = None     # look, of, boundary, crossed

    def to_dict(self) -> Dict[str, Any]:
        out = {
            "control": self.control, "treatment": self.treatment, "metric": self.metric,
            "metric_type": self.metric_type, "test": self.test, "primary": self.primary, "cuped": self.cuped,
            "control_n": self.control_n, "treatment_n": self.treatment_n,
            "control_mean": self.control_mean, "treatment_mean": self.treatment_mean,
            "lift": self.lift, "lift_ci": self.lift_ci,
            "absolute_lift": self.absolute_lift, "absolute_lift_ci": self.absolute_lift_ci,
            "statistic": self.statistic, "df": self.df, "standard_error": self.standard_error,
            "p_value": self.p_value,
        }
        if self.always_valid is not None:
            out["always_valid"] = self.always_valid
        out["p_value_adjusted"] = self.p_value_adjusted
        out["significant"] = self.significant
        if self.sequential is not None:
            out["sequential"] = self.sequential
        return out


@dataclass
class GuardrailCheck:
    """One guardrail for one treatment: its values in both arms, the share of the treatment's
    units beyond the bound against the share allowed, and the one-sided exact binomial tests."""

    treatment: str
    name: str                         # "error_rate", "latency_p99"
    column: str
    kind: str                         # "rate" or "quantile"
    bound: float
    unit: str
    quantile: Optional[float]
    control_value: Optional[float]
    treatment_value: Optional[float]
    treatment_exceed_rate: float
    allowed_exceed_rate: float
    p_value: float                    # shown within the bound
    p_value_breach: float             # shown beyond it
    worse_than_control_p: Optional[float]
    status: str                       # "pass", "fail" or "inconclusive"

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class AbResult:
    experiment: str
    source: Dict[str, Any]
    variant_col: str
    control: str
    treatments: List[str]
    metrics: List[Dict[str, Any]]
    srm: Dict[str, Any]
    comparisons: List[Comparison]
    guardrails: List[GuardrailCheck]
    settings: Dict[str, Any]
    sequential: Optional[Dict[str, Any]]
    verdicts: Dict[str, str]
    recommendation: str
    reasons: List[str]
    warnings: List[str]

    def to_dict(self) -> Dict[str, Any]:
        return strict_json({
            "schema_version": SCHEMA_VERSION,
            "kind": "ab",
            "experiment": self.experiment,
            "source": self.source,
            "variant_col": self.variant_col,
            "control": self.control,
            "treatments": self.treatments,
            "metrics": self.metrics,
            "settings": self.settings,
            "srm": self.srm,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "guardrails": [g.to_dict() for g in self.guardrails],
            "sequential": self.sequential,
            "verdicts": self.verdicts,
            "recommendation": self.recommendation,
            "reasons": self.reasons,
            "warnings": self.warnings,
        })
