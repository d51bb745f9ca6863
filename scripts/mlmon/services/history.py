"""Reading the history for trends: one point per series and window, and each model's state now.

:func:`points` answers "how has X moved": every metric, drift column, drift share and alert rule
of one model as points ``{name, kind, start, end, value, lower, upper, source, n, threshold,
breached}``, one per (name, window), the latest known. :func:`summary` answers "where does each
model stand": the alerts firing, the last run and drift check, the last realized and estimated
value of every metric, and how many windows still wait for labels.

As-of semantics of a metric window (``ml_metrics``, per model, metric and window start): the
point is the latest *realized* row (ordered by ``known_at``, then the run that wrote it) when any
exists, else the latest *estimated* one. Estimates a realized value superseded stay in the
store: ``all_sources=True`` returns, per window, the latest of each source side by side (how a
team learns whether to trust the estimate). Drift points are ``measured``: per column, the score
of the latest run for that data period (``breached``: it drifted), and ``drift_share`` per period
(``breached``: dataset drift). Alert points: per rule (``condition/tier``) and period, the latest
transition; ``breached`` is true while the rule fires (``firing``, ``repeat``, ``silenced``,
``inhibited``), false once ``resolved`` or ``retired``. A metric point is ``breached`` when its
window was judged ``degraded`` or ``critical`` (None when not judged); metric points carry no
threshold (the drop is relative to a baseline, see references/performance.md).

Only rows that know their data period are points: a drift check run by hand on two files, with
no model or period, is in the store but on no trend.

This module reads; it neither parses argv nor writes Markdown (``mlmon history`` does).
"""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.jsonsafe import finite as _finite

SCHEMA_VERSION = 1
KINDS = ("metric", "drift", "alert")
DRIFT_SHARE = "drift_share"
_FIRING = frozenset({"firing", "repeat", "silenced", "inhibited"})
_BAD = frozenset({"degraded", "critical"})


def finite(x: Any) -> Optional[float]:
    """A stored number as JSON holds it: None for NULL, NaN and infinities."""
    return None if x is None else _finite(x)


def parse_day(text: str, field: str) -> Date:
    """A ``YYYY-MM-DD`` bound; anything else is one line (exit 2) naming the option.

    >>> parse_day("2026-03-01", "since")
    datetime.date(2026, 3, 1)
    """
    try:
        return Date.fromisoformat(text)
    except (TypeError, ValueError):
        raise MlmonError(f"not a date: {text!r}", option(field), "write it as YYYY-MM-DD") from None


def bounds(since: Optional[Date], until: Optional[Date]) -> Tuple[Optional[str], Optional[str]]:
    """Window starts kept: from ``since`` 00:00 to the end of ``until`` (both days included),
    as the text bounds ``[start_from, start_before)`` the store compares with.

    >>> bounds(Date(2026, 3, 1), Date(2026, 3, 31))
    ('2026-03-01T00:00:00', '2026-04-01T00:00:00')
    """
    if since is not None and until is not None and since > until:
        raise MlmonError(f"{option('since')} {since} is after {option('until')} {until}", OPTIONS,
                         "swap them, or drop one")
    start_from = f"{since.isoformat()}T00:00:00" if since is not None else None
    start_before = f"{(until + timedelta(days=1)).isoformat()}T00:00:00" if until is not None else None
    return start_from, start_before



def choose_model(store, model: Optional[str]) -> Optional[str]:
    """The model to read: ``model`` when the history has it; when none is named, the only model
    the history names (else the rows without one); otherwise one line (exit 2) listing them."""
    known = store.models()
    names = ", ".join("(no model)" if m is None else m for m in known) or "none"
    if model is not None:
        if model not in known:
            raise MlmonError(f"no model {model!r} in the history", store.path, f"models recorded: {names}")
        return model
    named = [m for m in known if m is not None]  # rows without a model (runs by hand) do not count
    if len(named) > 1:
        raise MlmonError("the history holds several models", store.path,
                         f"pass {option('model')} NAME, one of: {names}")
    return named[0] if named else None


# ---------------------------------------------------------------------------- points

def points(store, model: Optional[str] = None, metrics: Sequence[str] = (), columns: Sequence[str] = (),
           since: Optional[Date] = None, until: Optional[Date] = None, all_sources: bool = False) -> Dict[str, Any]:
    """``{"schema_version", "model", "points": [...]}`` of one model (see the module docstring).

    ``metrics`` names performance metrics (and ``drift_share`` or an alert ``condition/tier``,
    which are series too); ``columns`` names drift columns; with neither, every series. Points
    are ordered by kind (metric, drift, alert), name, window start, then source.
    """
    start_from, start_before = bounds(since, until)
    if not store.exists():
        return {"schema_version": SCHEMA_VERSION, "model": model, "points": []}
    with store.transaction():  # one connection and one snapshot for every query
        model = choose_model(store, model)
        everything = not metrics and not columns
        out: List[Dict[str, Any]] = []
        wanted_metrics = [m for m in metrics if m != DRIFT_SHARE]
        if everything or wanted_metrics:
            rows = store.metric_rows_of(model, wanted_metrics, start_from, start_before)
            out += _metric_points(rows, all_sources)
        if everything or columns:
            out += _drift_points(store.drift_column_rows_of(model, columns, start_from, start_before))
        if everything or DRIFT_SHARE in metrics:
            out += _share_points(store.drift_share_rows_of(model, start_from, start_before))
        if everything or metrics:
            alerts = _alert_points(store.alert_event_rows_of(model, start_from, start_before))
            out += alerts if everything else [p for p in alerts if p["name"] in metrics
                                              or p["name"].rsplit("/", 1)[0] in metrics]
    rank = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda p: (rank[p["kind"]], p["name"], p["start"] or "", p["source"]))
    return {"schema_version": SCHEMA_VERSION, "model": model, "points": out}


def _point(name: str, kind: str, start, end, value, source: str, lower=None, upper=None, n=None,
           threshold=None, breached=None) -> Dict[str, Any]:
    return {"name": name, "kind": kind, "start": start, "end": end, "value": finite(value), "lower": finite(lower),
            "upper": finite(upper), "source": source, "n": None if n is None else int(n),
            "threshold": finite(threshold), "breached": breached}


def _known_order(row: Dict[str, Any]) -> Tuple[str, int]:
    return (row.get("known_at") or "", int(row["run_id"]))


def latest_by_window(rows: Iterable[Dict[str, Any]], all_sources: bool = False) -> List[Dict[str, Any]]:
    """The metric row that stands for each (metric, window start): the latest realized one, else
    the latest estimated one; with ``all_sources``, the latest of each source.

    >>> rows = [{"metric": "accuracy", "timestamp": "d1", "kind": "estimated", "known_at": "d1", "run_id": 1, "value": 0.8},
    ...         {"metric": "accuracy", "timestamp": "d1", "kind": "estimated", "known_at": "d2", "run_id": 2, "value": 0.82},
    ...         {"metric": "accuracy", "timestamp": "d1", "kind": "realized", "known_at": "d9", "run_id": 9, "value": 0.9}]
    >>> [r["value"] for r in latest_by_window(rows)], [r["value"] for r in latest_by_window(rows, True)]
    ([0.9], [0.82, 0.9])
    """
    best: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    for r in rows:
        key = (r["metric"], r["timestamp"], r["kind"] if all_sources else "")
        held = best.get(key)
        if held is None or _supersedes(r, held):
            best[key] = r
    return list(best.values())


def _supersedes(row: Dict[str, Any], held: Dict[str, Any]) -> bool:
    realized, held_realized = row["kind"] == "realized", held["kind"] == "realized"
    if realized != held_realized:
        return realized
    return _known_order(row) > _known_order(held)


def _metric_points(rows: List[Dict[str, Any]], all_sources: bool) -> List[Dict[str, Any]]:
    return [_point(r["metric"], "metric", r["timestamp"], r["window_end"], r["value"], r["kind"], r["lower"],
                   r["upper"], r["n"], breached=None if r.get("severity") is None else r["severity"] in _BAD)
            for r in latest_by_window(rows, all_sources)]


def _latest_per(rows: Iterable[Dict[str, Any]], key) -> List[Dict[str, Any]]:
    """The last row per ``key(row)``; rows come in write order (later supersedes earlier)."""
    last: Dict[Any, Dict[str, Any]] = {}
    for r in rows:
        last[key(r)] = r
    return list(last.values())


def _drift_points(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [_point(r["column_name"], "drift", r["period_start"], r["period_end"], r["score"], "measured",
                   n=r["current_rows"], threshold=r["threshold"], breached=bool(r["drifted"]))
            for r in _latest_per(rows, lambda r: (r["column_name"], r["period_start"]))]


def _share_points(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for r in _latest_per(rows, lambda r: r["period_start"]):
        threshold = r.get("share_threshold")
        out.append(_point(DRIFT_SHARE, "drift", r["period_start"], r["period_end"], r["drift_share"], "measured",
                          n=r["current_rows"], threshold=None if threshold is None else float(threshold),
                          breached=None if r["dataset_drift"] is None else bool(r["dataset_drift"])))
    return out


def _alert_points(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [_point(f"{r['rule']}/{r['tier']}", "alert", r["period_start"], r["period_end"], r["value"], "measured",
                   threshold=r["threshold"], breached=r["status"] in _FIRING)
            for r in _latest_per(rows, lambda r: (r["rule"], r["tier"], r["period_start"]))]


# ---------------------------------------------------------------------------- summary

def summary(store, model: Optional[str] = None) -> Dict[str, Any]:
    """Each model's state now (every model, or ``model`` only):

    ``{"schema_version": 1, "models": [{"model", "version", "alerts_firing": [{"key", "rule",
    "tier", "since", "value", "threshold"}], "last_run": {"period_start", "period_end",
    "severity"} | None, "last_drift": {"period_start", "period_end", "drift_share", "drifted"} |
    None, "metrics": {name: {"realized": WINDOW | None, "estimated": WINDOW | None}},
    "label_coverage": {"windows", "realized", "waiting", "latest_realized_end"},
    "estimate_disagreement": [{"metric", "windows", "gap", "starts", "message"}]}]}`` where WINDOW
    is ``{"start", "end", "value", "lower", "upper", "n"}``: the latest window that has a value of
    that source. ``last_run`` is the latest scheduled run (``mlmon run``), else the latest drift or
    performance run; ``since`` is when the firing episode began (data time, UTC).
    """
    if not store.exists():
        return {"schema_version": SCHEMA_VERSION, "models": []}
    with store.transaction():
        names = store.models()
        if model is not None:
            names = [choose_model(store, model)]
        return {"schema_version": SCHEMA_VERSION, "models": [_model_state(store, m) for m in names]}


def _model_state(store, model: Optional[str]) -> Dict[str, Any]:
    from mlmon.services.alerting.messages import iso

    last = store.latest_run_of(model, "scheduled")
    if last is None:
        candidates = [r for r in (store.latest_run_of(model, "drift"), store.latest_run_of(model, "perf")) if r]
        last = max(candidates, key=lambda r: (r["period_start"], r["id"]), default=None)
    drift = store.latest_run_of(model, "drift")
    return {
        "model": model,
        "version": last["version"] if last else None,
        "alerts_firing": [{"key": a["key"], "rule": a["rule"], "tier": a["tier"],
                           "since": None if a["started_at"] is None else iso(a["started_at"]),
                           "value": finite(a["last_value"]), "threshold": finite(a["threshold"])}
                          for a in store.firing_alerts(model)],
        "last_run": None if last is None else {"period_start": last["period_start"], "period_end": last["period_end"],
                                               "severity": last["severity"]},
        "last_drift": None if drift is None else {
            "period_start": drift["period_start"], "period_end": drift["period_end"],
            "drift_share": finite(drift["drift_share"]), "drifted": store.drifted_columns(drift["id"])},
        "metrics": {name: {kind: _window(store.latest_metric_row(model, name, kind)) for kind in ("realized", "estimated")}
                    for name in store.metric_names_of(model)},
        "label_coverage": _coverage(store.window_coverage(model)),
        "estimate_disagreement": _disagreement(store, model),
    }


def _disagreement(store, model: Optional[str]) -> List[Dict[str, Any]]:
    """Metrics whose labels, once in, keep landing outside the estimates' bands on one side (see
    :mod:`mlmon.services.performance.disagreement`): the estimates are not to be trusted."""
    from mlmon.services.performance.disagreement import disagreements_from_rows

    return [d.to_dict() for d in disagreements_from_rows(store.metric_rows_since(model, ""))]


def _window(row: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if row is None:
        return None
    return {"start": row["timestamp"], "end": row["window_end"], "value": finite(row["value"]),
            "lower": finite(row["lower"]), "upper": finite(row["upper"]), "n": None if row["n"] is None else int(row["n"])}


def _coverage(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    realized = [r for r in rows if r["realized"]]
    ends = [r["realized_end"] for r in realized if r["realized_end"]]
    return {"windows": len(rows), "realized": len(realized), "waiting": len(rows) - len(realized),
            "latest_realized_end": max(ends) if ends else None}
