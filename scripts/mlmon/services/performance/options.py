"""The options of one performance run: column roles, windows, baseline, tiers, estimation, and
the checks they must pass before any data is read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.labels import MIN_LABELED, MIN_LABELED_SHARE
from mlmon.services.options import Options
from mlmon.stats import classification as cls
from mlmon.stats import regression as reg
from mlmon.stats.direction import LOWER_IS_BETTER  # declared once; re-exported for callers of this module

TASKS = ("binary", "multiclass", "regression")
DEFAULT_PRIMARY = {
    "binary": ["accuracy", "f1_score", "auc_roc"],
    "multiclass": ["accuracy", "f1_score", "auc_roc"],
    "regression": ["rmse", "mae", "r2_score"],
}


@dataclass
class PerfOptions(Options):
    """Column roles and settings of one performance run: built as
    ``PerfOptions.from_config(config).override(**flags)`` (flag over config over default)."""

    task: Optional[str] = None
    target: Optional[str] = None
    prediction: Optional[str] = None
    proba: Optional[Union[str, Sequence[str]]] = None  # binary: P(positive); multiclass: one column per class, classes sorted
    timestamp: Optional[str] = None
    window: Optional[str] = None                       # "1D", "1h", "7d"
    chunk_size: Optional[int] = None
    label_timestamp: Optional[str] = None
    positive_label: Optional[Any] = None
    threshold: float = 0.5                             # binary: proba >= threshold predicts positive when no prediction column
    false_positive_cost: float = 1.0
    false_negative_cost: float = 1.0
    quantile: Optional[float] = None                   # regression: pinball loss quantile
    lower: Optional[str] = None                        # regression: prediction interval columns
    upper: Optional[str] = None
    under_prediction_cost: float = 1.0                 # regression: business_value_captured costs per unit
    over_prediction_cost: float = 1.0
    primary: Optional[Sequence[str]] = None            # metrics severity watches (default by task)
    baseline: str = "reference"                        # or "previous_window": each window against the one before
    warning_drop: float = 0.05
    critical_drop: float = 0.15
    estimate: bool = False
    features: Optional[Sequence[str]] = None           # estimation: the model's inputs (default: columns without a role)
    min_labeled_share: float = MIN_LABELED_SHARE
    min_labeled: int = MIN_LABELED
    join_on: Optional[str] = None                      # id column joining a separate labels frame
    model: Optional[str] = None
    version: Optional[str] = None
    reference: Optional[str] = None                    # the labeled baseline period's file (read by the caller)
    segment_by: Optional[Sequence[str]] = None         # also per segment of these columns (see .segments)
    segment_min_rows: int = 100                        # segments with fewer rows are reported, not computed

    @classmethod
    def from_config(cls, config, chunks: bool = False) -> "PerfOptions":
        """The options a typed monitoring config gives (see :func:`run_settings_from_config`);
        with ``chunks`` (windows of rows asked for) without the config's time window."""
        from mlmon.services.performance.settings import run_settings_from_config

        settings = run_settings_from_config(config)
        if chunks:
            settings.pop("window", None)
        segments = getattr(config, "segments", None)
        if segments is not None and segments.by:
            settings["segment_by"] = list(segments.by)
        if segments is not None and config.given("segments", "min_rows"):
            settings["segment_min_rows"] = segments.min_rows
        return cls().from_fields(**settings)


#: Numeric options, their allowed range (None: no upper bound) and an example; NaN is never allowed.
_BOUNDED = (
    ("threshold", 0, 1, "0.5"),
    ("false_positive_cost", 0, None, "1"),
    ("false_negative_cost", 0, None, "5"),
    ("under_prediction_cost", 0, None, "1"),
    ("over_prediction_cost", 0, None, "1"),
    ("min_labeled_share", 0, 1, "0.5"),
    ("warning_drop", 0, None, "0.05"),
    ("critical_drop", 0, None, "0.15"),
)


def check_options(o: PerfOptions) -> None:
    if not o.task:
        raise MlmonError("no task given", OPTIONS,
                         f"pass {option('task')} binary|multiclass|regression or model.task in {option('config')}")
    if o.task not in TASKS:
        raise MlmonError(f"unknown task {o.task!r}", option("task"), f"use one of: {', '.join(TASKS)}")
    if o.task == "regression" and not o.prediction:
        raise MlmonError("regression needs a prediction column", option("prediction"),
                         f"pass {option('prediction')} COL")
    if o.task != "regression" and not (o.prediction or o.proba):
        raise MlmonError("no prediction column", OPTIONS,
                         f"pass {option('prediction')} COL and/or {option('proba')} COL")
    for name, lo, hi, example in _BOUNDED:
        value = getattr(o, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not lo <= value <= (hi if hi is not None else math.inf):
            bounds = f"between {lo} and {hi}" if hi is not None else f"a number of at least {lo}"
            raise MlmonError(f"{name.replace('_', ' ')} must be {bounds}, got {value!r}", option(name), f"e.g. {example}")
    if o.baseline not in ("reference", "previous_window"):
        raise MlmonError(f"unknown baseline {o.baseline!r}", option("baseline"), "use reference or previous_window")
    if o.quantile is not None and not 0 < o.quantile < 1:
        raise MlmonError(f"quantile must lie strictly between 0 and 1, got {o.quantile}", option("quantile"),
                         "e.g. 0.9")
    if (o.lower is None) != (o.upper is None):
        raise MlmonError("a prediction interval needs both bounds", f"{option('lower')}/{option('upper')}",
                         "pass both columns")
    if not 0 <= o.warning_drop <= o.critical_drop:
        raise MlmonError(f"tiers out of order: warning {o.warning_drop}, critical {o.critical_drop}", "tiers",
                         "warning must be at most critical")
    if o.estimate and o.task != "regression" and o.proba is None:
        raise MlmonError(f"{option('estimate')} needs the predicted probability", option("estimate"),
                         f"pass {option('proba')} COL" + (" (one per class)" if o.task == "multiclass" else ""))
    if o.estimate and o.task == "multiclass" and (isinstance(o.proba, str) or len(o.proba) < 2):
        raise MlmonError(f"multiclass {option('estimate')} needs one probability column per class", option("proba"),
                         f"pass {option('proba')} COL1,COL2,... (proba_<class> columns are matched by name)")
    known = set(cls.BINARY_METRICS if o.task != "regression" else reg.REGRESSION_METRICS)
    unknown = [m for m in (o.primary or []) if m not in known]
    if unknown:
        raise MlmonError(f"unknown metric(s) for {o.task}: {', '.join(unknown)}", "primary metrics",
                         f"use: {', '.join(sorted(known))}")

