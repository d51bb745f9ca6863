"""Drift options: read from a monitoring config, and checked before any column is read."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence, Tuple

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.drift.result import DriftOptions
from mlmon.stats.univariate import catalog


def options_from_config(config: Any, columns: Sequence[str]) -> Tuple[Dict[str, Any], List[str]]:
    """DriftOptions fields from a monitoring config (the typed ``Config``; a validated dict is
    typed first), for data with ``columns``.

    Column roles name a model's columns; a file at hand may lack some of them, so names not in
    the data are dropped with a warning instead of failing the run (pass both sides' columns: a
    target or an excluded column the reference alone holds is still named). The id, timestamp and
    prediction_proba columns are left out of the drift check (they are not features). Calibration is set only where the
    file sets it: whether it applies by default is the caller's decision (``mlmon run`` and
    windowed mode calibrate, the two-file check keeps Evidently's thresholds).
    """
    from mlmon.services.config.model import typed

    config = typed(config)
    present = set(columns)
    cols, drift = config.data.columns, config.drift
    warnings: List[str] = []

    def keep(names, what):
        names = list(names or [])
        missing = [n for n in names if n not in present]
        if missing:
            warnings.append(f"config {what} not in the data, ignored: {', '.join(missing)}")
        return [n for n in names if n in present]

    out: Dict[str, Any] = {}
    for role in ("target", "prediction"):
        name = getattr(cols, role)
        if name:
            kept = keep([name], f"data.columns.{role}")
            if kept:
                out[role] = kept[0]
    out["numerical"] = keep(cols.numerical, "data.columns.numerical")
    out["categorical"] = keep(cols.categorical, "data.columns.categorical")
    exclude = keep(cols.exclude, "data.columns.exclude")
    # not features: the id, the timestamp, and the model's probability output(s) (Evidently's
    # DataDriftPreset tests feature columns only; the prediction is reported apart)
    exclude += [name for name in (cols.id, cols.timestamp, *cols.proba_columns) if name in present and name not in exclude]
    out["exclude"] = exclude
    for key in ("method", "threshold", "drift_share", "fdr"):
        if config.given("drift", key) and getattr(drift, key) is not None:
            out[key] = getattr(drift, key)
    out["column_methods"] = {c: m for c, m in drift.column_methods.items() if c in present}
    out["column_thresholds"] = {c: t for c, t in drift.column_thresholds.items() if c in present}
    if cols.timestamp in present:
        out["timestamp"] = cols.timestamp
    if config.given("drift", "calibration", "enabled"):
        out["calibrate"] = bool(drift.calibration.enabled)
    if config.given("drift", "calibration", "false_alarm_rate"):
        out["false_alarm_rate"] = drift.calibration.false_alarm_rate
    segments = config.segments
    if segments.by:
        names = [str(b).split(":")[0] for b in segments.by]
        missing = [n for n in names if n not in present]
        if missing:
            warnings.append(f"config segments.by not in the data, ignored: {', '.join(missing)}")
        out["segment_by"] = [b for b, n in zip(segments.by, names) if n in present]
    if config.given("segments", "min_rows"):
        out["segment_min_rows"] = segments.min_rows
    if config.given("segments", "false_discovery_rate"):
        out["segment_fdr"] = segments.false_discovery_rate
    if drift.multivariate.enabled:
        out["multivariate"] = drift.multivariate.method or "mmd"
    return out, warnings


def check_options(options: DriftOptions) -> None:
    if not 0 < options.drift_share <= 1:
        raise MlmonError(f"{option('drift_share')} {options.drift_share} is outside (0, 1]", OPTIONS,
                         f"use e.g. {option('drift_share')} 0.5")
    if options.threshold is not None and not (options.threshold >= 0 and math.isfinite(options.threshold)):
        raise MlmonError(f"{option('threshold')} {options.threshold} must be a finite number >= 0", OPTIONS,
                         f"use e.g. {option('threshold')} 0.1")
    if options.fdr is not None and not 0 < options.fdr < 1:
        raise MlmonError(f"{option('fdr')} {options.fdr} is outside (0, 1)", OPTIONS, f"use e.g. {option('fdr')} 0.05")
    g = options.mmd_gamma
    if g is not None and (isinstance(g, bool) or not isinstance(g, (int, float)) or not (math.isfinite(g) and g > 0)):
        raise MlmonError(f"{option('mmd_gamma')} {g} must be a positive finite number", OPTIONS,
                         f"use e.g. {option('mmd_gamma')} 0.5, or leave it out for the median heuristic")
    r = options.false_alarm_rate
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r < 0.5:
        raise MlmonError(f"{option('false_alarm_rate')} {r} is outside (0, 0.5)", OPTIONS,
                         f"use e.g. {option('false_alarm_rate')} 0.01 (one false alarm per column in 100 windows)")
    if options.window and options.chunk_size is not None:
        raise MlmonError(f"{option('window')} and {option('chunk_size')} given together", OPTIONS,
                         f"choose one: calendar periods ({option('window')} 1D) or row counts ({option('chunk_size')} 1000)")
    if options.window and not options.timestamp:
        raise MlmonError(f"{option('window')} {options.window} needs a timestamp column", OPTIONS,
                         f"name it with {option('timestamp')} COL, or cut windows by rows with {option('chunk_size')} N")
    if options.chunk_size is not None and (isinstance(options.chunk_size, bool) or options.chunk_size < 1):
        raise MlmonError(f"{option('chunk_size')} {options.chunk_size} is not a positive row count", OPTIONS,
                         f"use e.g. {option('chunk_size')} 1000")
    names = catalog.ids()
    for m in [options.method, *options.column_methods.values()]:
        if m is not None and m not in names:
            raise MlmonError(
                f"unknown drift method {m!r}",
                OPTIONS,
                "use one of: " + ", ".join(names),
            )
