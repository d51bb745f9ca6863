"""What a monitoring config says about performance, as :class:`PerfOptions` settings."""

from __future__ import annotations

from typing import Any, Dict


def settings_from_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """The :class:`PerfOptions` settings a monitoring config gives: task, model, column roles
    (``data.columns``), primary metrics and business costs of the task, the baseline kind, and the
    drop tiers (``alerts.warning|critical.conditions.accuracy_drop``). Callers add their flags on
    top; column roles are returned as named, whether or not the data holds them.

    >>> settings_from_config({"model": {"task": "binary", "version": 2},
    ...                       "data": {"columns": {"target": "y", "prediction_proba": "p"}},
    ...                       "alerts": {"critical": {"conditions": {"accuracy_drop": 0.2}}}})
    {'task': 'binary', 'version': '2', 'target': 'y', 'proba': 'p', 'critical_drop': 0.2}
    """
    out: Dict[str, Any] = {}
    model = config.get("model") or {}
    cols = (config.get("data") or {}).get("columns") or {}
    perf = config.get("performance") or {}
    alerts = config.get("alerts") or {}
    if model.get("task"):
        out["task"] = model["task"]
    if perf.get("baseline"):
        out["baseline"] = perf["baseline"]
    if model.get("name"):
        out["model"] = str(model["name"])
    if model.get("version") is not None:
        out["version"] = str(model["version"])
    for role, key in (("target", "target"), ("prediction", "prediction"), ("proba", "prediction_proba"),
                      ("timestamp", "timestamp"), ("join_on", "id")):
        if cols.get(key):
            out[role] = cols[key]
    task = out.get("task")
    section = perf.get("regression" if task == "regression" else "classification") or {}
    if section.get("primary"):
        out["primary"] = list(section["primary"])
    business = section.get("business") if task != "regression" else None
    if isinstance(business, dict):
        for key in ("false_positive_cost", "false_negative_cost"):
            if business.get(key) is not None:
                out[key] = float(business[key])
    if task == "regression":
        if section.get("quantile") is not None:
            out["quantile"] = float(section["quantile"])
        for key in ("under_prediction_cost", "over_prediction_cost"):
            if section.get(key) is not None:
                out[key] = float(section[key])
    for tier, key in (("warning", "warning_drop"), ("critical", "critical_drop")):
        drop = ((alerts.get(tier) or {}).get("conditions") or {}).get("accuracy_drop")
        if drop is not None:
            out[key] = float(drop)
    return out

