"""Rows of the history store built from results: what ``ml_metrics`` holds for a performance run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional


def metric_rows(result: Dict[str, Any], model: Optional[str] = None, version: Optional[str] = None) -> List[Dict[str, Any]]:
    """``ml_metrics`` rows of a result dict: one per window and metric, realized and estimated.

    >>> r = {"window": "1D", "model": "m", "version": "1", "windows": [{"start": "2024-01-01T00:00:00",
    ...      "end": "2024-01-02T00:00:00", "n": 10, "n_labeled": 8, "metrics": {"accuracy": 0.75},
    ...      "intervals": {"accuracy": {"lower": 0.4, "upper": 0.9}}, "estimated": {"accuracy": 0.8},
    ...      "estimated_intervals": {"accuracy": {"lower": 0.6, "upper": 1.0}}}]}
    >>> [(x["metric"], x["kind"], x["value"], x["n"]) for x in metric_rows(r)]
    [('accuracy', 'realized', 0.75, 8), ('accuracy', 'estimated', 0.8, 10)]
    """
    model = model if model is not None else result.get("model")
    version = version if version is not None else result.get("version")
    rows: List[Dict[str, Any]] = []
    for w in result.get("windows", []):
        for kind, values, ivs, n in (("realized", w.get("metrics"), w.get("intervals"), w.get("n_labeled")),
                                     ("estimated", w.get("estimated"), w.get("estimated_intervals"), w.get("n"))):
            for metric, value in (values or {}).items():
                if value is None:
                    continue
                iv = (ivs or {}).get(metric) or {}
                rows.append({"timestamp": _utc(w["start"]), "window_end": _utc(w.get("end")), "model": model, "version": version,
                             "window": result.get("window"), "metric": metric, "value": value,
                             "lower": iv.get("lower"), "upper": iv.get("upper"), "kind": kind, "n": n})
    return rows



def _utc(text: Optional[str]) -> Optional[str]:
    """A window bound as the store keeps it: UTC when it carries an offset (windows are cut in the
    data's own zone), so times of every model sort and compare alike; other text unchanged.

    >>> _utc("2024-03-31T00:00:00+01:00"), _utc("2024-03-31T00:00:00+00:00"), _utc("2024-03-31T00:00:00"), _utc("row 9")
    ('2024-03-30T23:00:00+00:00', '2024-03-31T00:00:00+00:00', '2024-03-31T00:00:00', 'row 9')
    """
    try:
        t = datetime.fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text
    if t.tzinfo is None or t.utcoffset() == timedelta(0):
        return text
    return t.astimezone(timezone.utc).isoformat()
