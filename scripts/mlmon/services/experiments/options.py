"""What an A/B analysis is asked: the columns, the split, the test settings and the guardrails,
from flags or from a monitoring config's ``experiments`` section, and the checks they must pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from mlmon.errors import MlmonError
from mlmon.stats import sequential

RECOMMENDATIONS = ("SHIP", "REVERT", "CONTINUE", "STOP", "NO_DECISION")
CORRECTIONS = ("holm", "bh", "none")
METRIC_TYPES = ("binary", "continuous")
LATENCY_UNITS = {"ms": 0.001, "s": 1.0}


@dataclass
class GuardrailSpec:
    """A limit the treatment must stay within: ``rate`` (share of 1s in a 0/1 column below
    ``bound``) or ``quantile`` (the ``quantile`` of a column below ``bound``, in the column's unit)."""

    name: str
    column: str
    kind: str
    bound: float
    quantile: Optional[float] = None
    unit: str = ""


@dataclass
class AbOptions:
    variant_col: str
    metric_cols: List[str]
    control: Optional[str] = None
    metric_type: Optional[str] = None
    expected_split: Optional[Dict[str, float]] = None
    split_from_config: bool = False
    covariates: Dict[str, str] = field(default_factory=dict)  # metric -> pre-period column
    alpha: float = 0.05
    correction: str = "holm"
    look: Optional[int] = None
    of: Optional[int] = None
    spending: str = "obf"
    always_valid: bool = False
    mixture_sd: Optional[float] = None
    guardrails: List[GuardrailSpec] = field(default_factory=list)
    mde: Optional[float] = None          # absolute, for "has it enough data yet" (CONTINUE)
    power: float = 0.8
    experiment: Optional[str] = None



def options_from_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """AbOptions fields from a validated monitoring config's ``experiments`` section. Guardrail
    bounds come back as ``latency_p99_max_seconds`` and ``error_rate_max`` for the caller to
    attach to columns."""
    from mlmon.services.config import parse_duration

    exp = (config or {}).get("experiments") or {}
    out: Dict[str, Any] = {}
    if exp.get("significance") is not None:
        out["alpha"] = float(exp["significance"])
    if exp.get("power") is not None:
        out["power"] = float(exp["power"])
    if exp.get("minimum_detectable_effect") is not None:
        out["mde"] = float(exp["minimum_detectable_effect"])
    if exp.get("traffic_split"):
        out["expected_split"] = {str(k): float(v) for k, v in exp["traffic_split"].items()}
        out["split_from_config"] = True
    guard = exp.get("guardrails") or {}
    if guard.get("latency_p99_max") is not None:
        out["latency_p99_max_seconds"] = parse_duration(str(guard["latency_p99_max"]))
    if guard.get("error_rate_max") is not None:
        out["error_rate_max"] = float(guard["error_rate_max"])
    return out


def latency_guardrail(column: str, bound_seconds: float, unit: str = "ms") -> GuardrailSpec:
    if unit not in LATENCY_UNITS:
        raise MlmonError(f"unknown latency unit {unit!r}", "--latency-unit", "use ms or s")
    return GuardrailSpec("latency_p99", column, "quantile", bound_seconds / LATENCY_UNITS[unit], 0.99, unit)


def error_rate_guardrail(column: str, bound: float) -> GuardrailSpec:
    return GuardrailSpec("error_rate", column, "rate", bound)



def check_options(options: AbOptions) -> None:
    if not options.metric_cols:
        raise MlmonError("no metric column given", "--metric-col", "name at least one metric column")
    if len(set(options.metric_cols)) != len(options.metric_cols):
        raise MlmonError("a metric column is named twice", "--metric-col", "name each metric once")
    if options.correction not in CORRECTIONS:
        raise MlmonError(f"unknown correction {options.correction!r}", "--correction", f"use {', '.join(CORRECTIONS)}")
    if options.metric_type is not None and options.metric_type not in METRIC_TYPES:
        raise MlmonError(f"unknown metric type {options.metric_type!r}", "--metric-type", "use binary or continuous")
    if not 0 < options.alpha < 1:
        raise MlmonError(f"significance level {options.alpha} is not between 0 and 1", "--alpha", "use e.g. 0.05")
    if (options.look is None) != (options.of is None):
        raise MlmonError("--look and --of go together", "--look/--of", "give both, e.g. --look 2 --of 4")
    if options.look is not None:
        if options.of < 1 or not 1 <= options.look <= options.of:
            raise MlmonError(f"look {options.look} of {options.of} is not a planned look", "--look/--of",
                             "use 1 <= look <= of")
        if options.always_valid:
            raise MlmonError("--always-valid and --look are two different sequential methods", "--always-valid",
                             "choose one: planned looks (--look/--of) or continuous monitoring (--always-valid)")
    if options.spending not in sequential.SPENDING:
        raise MlmonError(f"unknown spending function {options.spending!r}", "--spending", "use obf or pocock")
    if options.mixture_sd is not None and not options.mixture_sd > 0:
        raise MlmonError("the mixture sd must be positive", "--mixture-sd", "give the size of effect you expect")


def require_columns(table, options: AbOptions) -> None:
    wanted = [("--variant-col", options.variant_col)]
    wanted += [("--metric-col", c) for c in options.metric_cols]
    wanted += [("--covariate-col", c) for c in options.covariates.values()]
    wanted += [(f"guardrail {g.name}", g.column) for g in options.guardrails]
    for flag, col in wanted:
        if col not in table.frame.columns:
            shown = ", ".join(table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
            raise MlmonError(f"no column `{col}`", f"{flag} in {table.path}", f"the file's columns are: {shown}")
    unknown = [m for m in options.covariates if m not in options.metric_cols]
    if unknown:
        raise MlmonError(f"covariate given for `{unknown[0]}`, which is not a metric", "--covariate-col",
                         "write METRIC=COLUMN with a metric named by --metric-col")

