"""What a monitoring config says about performance, as :class:`PerfOptions` settings."""

from __future__ import annotations

import os
from typing import Any, Dict


def settings_from_config(config) -> Dict[str, Any]:
    """The :class:`PerfOptions` settings a typed monitoring config gives: task, model, column
    roles (``data.columns``), primary metrics and business costs of the task, the baseline kind,
    and the drop tiers (``alerts.warning|critical.conditions.accuracy_drop``). Column roles are returned as named,
    whether or not the data holds them. A validated config dict is typed first.

    >>> from mlmon.services.config.model import from_dict
    >>> settings_from_config(from_dict({"model": {"task": "binary", "version": 2},
    ...                       "data": {"columns": {"target": "y", "prediction_proba": "p"}},
    ...                       "alerts": {"critical": {"conditions": {"accuracy_drop": 0.2}}}}))
    {'task': 'binary', 'version': '2', 'target': 'y', 'proba': 'p', 'critical_drop': 0.2}
    """
    from mlmon.services.config.model import typed

    config = typed(config)
    out: Dict[str, Any] = {}
    model, cols, perf = config.model, config.data.columns, config.performance
    if config.given("model", "task"):
        out["task"] = model.task
    if config.given("performance", "baseline"):
        out["baseline"] = perf.baseline
    if model.name:
        out["model"] = str(model.name)
    if model.version is not None:
        out["version"] = str(model.version)
    proba = cols.proba_columns
    roles = (("target", cols.target), ("prediction", cols.prediction),
             ("proba", proba[0] if len(proba) == 1 else list(proba) or None),
             ("timestamp", cols.timestamp), ("join_on", cols.id))
    out.update({role: value for role, value in roles if value})
    task = out.get("task")
    if task == "regression":
        section = perf.regression
        if config.given("performance", "regression", "primary"):
            out["primary"] = list(section.primary)
        if config.given("performance", "regression", "quantile"):
            out["quantile"] = float(section.quantile)
        for key in ("under_prediction_cost", "over_prediction_cost"):
            if config.given("performance", "regression", key):
                out[key] = float(getattr(section, key))
    else:
        section = perf.classification
        if config.given("performance", "classification", "primary"):
            out["primary"] = list(section.primary)
        for key in ("false_positive_cost", "false_negative_cost"):
            if config.given("performance", "classification", "business", key):
                out[key] = float(getattr(section.business, key))
    for tier, key in (("warning", "warning_drop"), ("critical", "critical_drop")):
        drop = config.alerts.tier(tier).conditions.accuracy_drop
        if drop is not None and config.given("alerts", tier, "conditions", "accuracy_drop"):
            out[key] = float(drop)
    return out


def run_settings_from_config(config) -> Dict[str, Any]:
    """What ``mlmon perf --config`` takes on top of :func:`settings_from_config`: the window (the
    first of ``performance.windows`` when the file names them and a timestamp column) and the
    reference file (``data.reference`` when it is a fixed path, no ``{date}`` to fill in).

    >>> from mlmon.services.config.model import from_dict
    >>> run_settings_from_config(from_dict({"model": {"task": "binary"}, "performance": {"windows": ["1d", "7d"]},
    ...     "data": {"reference": {"path": "ref.parquet"}, "columns": {"timestamp": "ts"}}}))
    {'task': 'binary', 'timestamp': 'ts', 'window': '1d', 'reference': 'ref.parquet'}
    """
    from mlmon.services.config.model import typed

    config = typed(config)
    out = settings_from_config(config)
    if config.given("performance", "windows") and config.performance.windows and out.get("timestamp"):
        out["window"] = config.performance.windows[0]
    reference = config.data.reference.path
    if reference and "{" not in reference:
        # relative to the config's folder, as ``mlmon run`` reads it
        base = os.path.dirname(os.path.abspath(config.path)) if config.path else ""
        out["reference"] = reference if os.path.isabs(reference) else os.path.join(base, reference)
    return out
