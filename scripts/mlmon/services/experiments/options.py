"""What an A/B analysis is asked: the columns, the split, the test settings and the guardrails,
from flags or from a monitoring config's ``experiments`` section, and the checks they must pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from mlmon.errors import MlmonError, option
from mlmon.services.options import Options
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


DEFAULT_LATENCY_P99_MAX = "200ms"
DEFAULT_ERROR_RATE_MAX = 0.01


@dataclass
class AbOptions(Options):
    """What one A/B analysis is asked, built as ``AbOptions(...).from_config(config).override(**flags)``:
    the columns, the split, the test settings, and the guardrails (a latency or error column
    held against its bound, which the config's ``experiments.guardrails`` may give)."""

    variant_col: str = ""
    metric_cols: List[str] = field(default_factory=list)
    control: Optional[str] = None
    metric_type: Optional[str] = None
    expected_split: Optional[Dict[str, float]] = None
    split_from_config: bool = False      # also true when expected_split's source is the config
    covariates: Dict[str, str] = field(default_factory=dict)  # metric -> pre-period column
    alpha: float = 0.05
    correction: str = "holm"
    look: Optional[int] = None
    of: Optional[int] = None
    spending: str = "obf"
    always_valid: bool = False
    mixture_sd: Optional[float] = None
    guardrails: List[GuardrailSpec] = field(default_factory=list)  # more, besides the latency and error ones
    mde: Optional[float] = None          # absolute, for "has it enough data yet" (CONTINUE)
    power: float = 0.8
    experiment: Optional[str] = None
    latency_col: Optional[str] = None    # per-request latency, for the p99 guardrail
    latency_unit: str = "ms"
    latency_p99_max: str = DEFAULT_LATENCY_P99_MAX
    error_col: Optional[str] = None      # 0/1, 1 for a failed request, for the error-rate guardrail
    error_rate_max: float = DEFAULT_ERROR_RATE_MAX

    @classmethod
    def from_config(cls, config) -> "AbOptions":
        """What a typed monitoring config's ``experiments`` section sets (what the file itself
        says: the schema's defaults are this dataclass's); no config, no change."""
        return cls() if config is None else cls().from_fields(**options_from_config(config))

    def guardrail_specs(self, warnings: List[str]) -> List[GuardrailSpec]:
        """The guardrails to check: the latency and error columns held against their bounds; a
        bound given without its column is a warning, not a check."""
        specs = list(self.guardrails)
        latency_max = _duration(self.latency_p99_max)  # a bad bound fails even without its column
        if self.latency_col:
            specs.append(latency_guardrail(self.latency_col, latency_max, self.latency_unit))
        elif self.source("latency_p99_max") != "default":
            warnings.append(f"guardrail latency_p99_max not checked: pass {option('latency_col')} with the latency column")
        if self.error_col:
            if not 0 < self.error_rate_max < 1:
                raise MlmonError(f"error-rate bound {self.error_rate_max} is not between 0 and 1", option("error_rate_max"),
                                 "use e.g. 0.01")
            specs.append(error_rate_guardrail(self.error_col, self.error_rate_max))
        elif self.source("error_rate_max") != "default":
            warnings.append(f"guardrail error_rate_max not checked: pass {option('error_col')} with the 0/1 failure column")
        return specs

    @property
    def split_is_the_configs(self) -> bool:
        return self.split_from_config or self.source("expected_split") == "config"


def _duration(text: str) -> float:
    from mlmon.services.config import parse_duration

    seconds = parse_duration(text)
    if seconds is None:
        raise MlmonError(f"{text!r} is not a duration", option("latency_p99_max"), "write e.g. 200ms or 0.2s")
    return seconds


def _given(config, *keys: str):
    """The config's value at ``keys`` when the file itself sets it, else None."""
    if not config.given(*keys):
        return None
    node = config
    for key in keys:
        node = getattr(node, key)
    return node


def options_from_config(config) -> Dict[str, Any]:
    """AbOptions fields a typed monitoring config's ``experiments`` section sets: significance,
    power, minimum detectable effect, traffic split and the guardrail bounds (a validated config
    dict is typed first)."""
    from mlmon.services.config.model import typed

    config = typed(config)
    split = _given(config, "experiments", "traffic_split")
    guard = ("experiments", "guardrails")
    return {
        "alpha": _float(_given(config, "experiments", "significance")),
        "power": _float(_given(config, "experiments", "power")),
        "mde": _float(_given(config, "experiments", "minimum_detectable_effect")),
        "expected_split": {str(k): float(v) for k, v in split.items()} if split else None,
        "latency_p99_max": _str(_given(config, *guard, "latency_p99_max")),
        "error_rate_max": _float(_given(config, *guard, "error_rate_max")),
    }


def _float(value) -> Optional[float]:
    return None if value is None else float(value)


def _str(value) -> Optional[str]:
    return None if value is None else str(value)


def latency_guardrail(column: str, bound_seconds: float, unit: str = "ms") -> GuardrailSpec:
    if unit not in LATENCY_UNITS:
        raise MlmonError(f"unknown latency unit {unit!r}", option("latency_unit"), "use ms or s")
    return GuardrailSpec("latency_p99", column, "quantile", bound_seconds / LATENCY_UNITS[unit], 0.99, unit)


def error_rate_guardrail(column: str, bound: float) -> GuardrailSpec:
    return GuardrailSpec("error_rate", column, "rate", bound)


def check_options(options: AbOptions) -> None:
    if not options.metric_cols:
        raise MlmonError("no metric column given", option("metric_cols"), "name at least one metric column")
    if len(set(options.metric_cols)) != len(options.metric_cols):
        raise MlmonError("a metric column is named twice", option("metric_cols"), "name each metric once")
    if options.correction not in CORRECTIONS:
        raise MlmonError(f"unknown correction {options.correction!r}", option("correction"),
                         f"use {', '.join(CORRECTIONS)}")
    if options.metric_type is not None and options.metric_type not in METRIC_TYPES:
        raise MlmonError(f"unknown metric type {options.metric_type!r}", option("metric_type"),
                         "use binary or continuous")
    if not 0 < options.alpha < 1:
        raise MlmonError(f"significance level {options.alpha} is not between 0 and 1", option("alpha"), "use e.g. 0.05")
    if (options.look is None) != (options.of is None):
        raise MlmonError(f"{option('look')} and {option('of')} go together", f"{option('look')}/{option('of')}",
                         f"give both, e.g. {option('look')} 2 {option('of')} 4")
    if options.look is not None:
        if options.of < 1 or not 1 <= options.look <= options.of:
            raise MlmonError(f"look {options.look} of {options.of} is not a planned look", f"{option('look')}/{option('of')}",
                             "use 1 <= look <= of")
        if options.always_valid:
            raise MlmonError(f"{option('always_valid')} and {option('look')} are two different sequential methods", option("always_valid"),
                             f"choose one: planned looks ({option('look')}/{option('of')}) or continuous monitoring ({option('always_valid')})")
    if options.spending not in sequential.SPENDING:
        raise MlmonError(f"unknown spending function {options.spending!r}", option("spending"), "use obf or pocock")
    if options.mixture_sd is not None and not options.mixture_sd > 0:
        raise MlmonError("the mixture sd must be positive", option("mixture_sd"), "give the size of effect you expect")


def require_columns(table, options: AbOptions) -> None:
    wanted = [(option("variant_col"), options.variant_col)]
    wanted += [(option("metric_cols"), c) for c in options.metric_cols]
    wanted += [(option("covariates"), c) for c in options.covariates.values()]
    wanted += [(f"guardrail {g.name}", g.column) for g in options.guardrails]
    for flag, col in wanted:
        if col not in table.frame.columns:
            shown = ", ".join(table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
            raise MlmonError(f"no column `{col}`", f"{flag} in {table.path}", f"the file's columns are: {shown}")
    unknown = [m for m in options.covariates if m not in options.metric_cols]
    if unknown:
        raise MlmonError(f"covariate given for `{unknown[0]}`, which is not a metric", option("covariates"),
                         f"write METRIC=COLUMN with a metric named by {option('metric_cols')}")

