"""Rows of the history store built from results: what ``ml_metrics`` holds for a performance run."""

from __future__ import annotations

from datetime import date as Date
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
                rows.append({"timestamp": utc_text(w["start"]), "window_end": utc_text(w.get("end")), "model": model, "version": version,
                             "window": result.get("window"), "metric": metric, "value": value,
                             "lower": iv.get("lower"), "upper": iv.get("upper"), "kind": kind, "n": n,
                             # the window's severity belongs to the values it was judged on
                             "severity": w.get("severity") if w.get("severity_basis") == kind else None})
    return rows


def run_identity(kind: str, result: Dict[str, Any],
                 identity: Optional[Dict[str, Any]] = None) -> Dict[str, Optional[str]]:
    """``{"model", "version", "period_start", "period_end"}`` of a stored result, from what it says
    of itself: a scheduled run names its model and date (the period is that day); a performance
    or windowed drift run its windows (first start to last end); a result may carry
    ``identity`` given by the caller (e.g. the scheduled job for its drift run) wins.

    >>> run_identity("scheduled", {"model": {"name": "fraud", "version": "3"}, "date": "2026-03-01"})
    {'model': 'fraud', 'version': '3', 'period_start': '2026-03-01T00:00:00', 'period_end': '2026-03-02T00:00:00'}
    >>> run_identity("perf", {"model": "m", "windows": [{"start": "2024-01-01T00:00:00", "end": "2024-01-02T00:00:00"},
    ...                                                   {"start": "2024-01-02T00:00:00", "end": "2024-01-03T00:00:00"}]})
    {'model': 'm', 'version': None, 'period_start': '2024-01-01T00:00:00', 'period_end': '2024-01-03T00:00:00'}
    """
    out: Dict[str, Optional[str]] = {"model": None, "version": None, "period_start": None, "period_end": None}
    model = result.get("model")
    if isinstance(model, dict):
        out["model"], out["version"] = _text(model.get("name")), _text(model.get("version"))
    else:
        out["model"], out["version"] = _text(model), _text(result.get("version"))
    if kind == "scheduled" and isinstance(result.get("date"), str):
        out["period_start"], out["period_end"] = day_period(result["date"])
    else:
        windows = [w for w in result.get("windows") or [] if isinstance(w, dict) and w.get("start")]
        if windows:
            out["period_start"] = utc_text(str(windows[0]["start"]))
            end = windows[-1].get("end")
            out["period_end"] = utc_text(str(end)) if end else None
    out.update({k: _text(v) for k, v in (identity or {}).items() if k in out and v is not None})
    return out


def day_period(day: "str | Date") -> "tuple[str, str]":
    """The period of a calendar day as the store writes it: ``[D 00:00, D+1 00:00)``.

    >>> day_period("2026-12-31")
    ('2026-12-31T00:00:00', '2027-01-01T00:00:00')
    """
    d = Date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.isoformat()}T00:00:00", f"{(d + timedelta(days=1)).isoformat()}T00:00:00"


def day_end(day: Date) -> datetime:
    """Midnight after ``day``, UTC: when a scheduled run of that day has its day's data (the
    alert engine's clock for ``mlmon run --date``, and the moment its labels are known by).

    >>> day_end(Date(2026, 12, 31)).isoformat()
    '2027-01-01T00:00:00+00:00'
    """
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def utc_text(text: Optional[str]) -> Optional[str]:
    """A window bound as the store keeps it: UTC when it carries an offset (windows are cut in the
    data's own zone), so times of every model sort and compare alike; other text unchanged.

    >>> utc_text("2024-03-31T00:00:00+01:00"), utc_text("2024-03-31T00:00:00+00:00"), utc_text("2024-03-31T00:00:00"), utc_text("row 9")
    ('2024-03-30T23:00:00+00:00', '2024-03-31T00:00:00+00:00', '2024-03-31T00:00:00', 'row 9')
    """
    try:
        t = datetime.fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text
    if t.tzinfo is None or t.utcoffset() == timedelta(0):
        return text
    return t.astimezone(timezone.utc).isoformat()
