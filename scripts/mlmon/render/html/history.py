"""The history page: a model's whole record from the store, per series over its windows.

Metrics show realized values and estimates side by side with their bands (with
``--all-sources`` both sources of a window, otherwise the one the as-of rule chose); drift shows
each column's score against its threshold and the drift share; alert transitions are marks on
the same time axis. Drawn from the same points as ``mlmon history --format json``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from mlmon.render.html import svg
from mlmon.render.html.page import Figure, Page, Section, Stats, Table, Text

#: Series of one kind beyond this many: the rest are listed in the table only.
MAX_CHARTS = 40


def history_page(data: Dict[str, Any]) -> Page:
    points = data.get("points") or []
    model = data.get("model")
    starts = sorted({p["start"] for p in points if p.get("start")})
    labels = [svg.time_label(s) or s for s in starts]
    index = {s: i for i, s in enumerate(starts)}
    series = _series(points)
    alerts = [p for p in points if p["kind"] == "alert"]
    firing = [p for p in alerts if p.get("breached")]
    # one mark where each firing stretch begins (a rule firing for 12 windows is one mark, not 12)
    at = sorted({index[p["start"]] for p in firing if p.get("start") in index})
    names = {index[p["start"]]: p["name"] for p in firing if p.get("start") in index}
    marks = [{"index": i, "label": names[i], "legend": "alert firing from here"} for i in at if i - 1 not in at]
    breached = sorted({name for (kind, name), pts in series.items() if kind != "alert"
                       and any(p.get("breached") for p in _latest_per_window(pts))})
    verdict = (f"model {model or '(none)'}: {len(series)} series over {len(starts)} windows"
               + (f"; {len(firing)} alert transition(s) firing" if firing else "; no alert fired")
               + (f"; breached at least once: {', '.join(breached[:6])}" if breached else "") + ".")
    head = [("model", model), ("windows", len(starts)), ("first window", starts[0] if starts else None),
            ("last window", starts[-1] if starts else None), ("series", len(series)), ("alert transitions", len(alerts))]
    sections = [Section("At a glance", [Stats(head)])]
    figures: Dict[str, List[Figure]] = {"metric": [], "drift": []}
    for (kind, name), pts in series.items():
        if kind == "alert" or len(figures[kind]) >= MAX_CHARTS:
            continue
        figures[kind].append(_figure(kind, name, pts, starts, labels, index, marks))
    if figures["metric"]:
        sections.append(Section("Metrics over time (realized and estimated)", figures["metric"]))
    if figures["drift"]:
        sections.append(Section("Drift over time", figures["drift"]))
    if alerts:
        sections.append(Section("Alert transitions", [Table(
            ["window start", "rule", "breached", "value", "threshold"],
            [[p["start"], p["name"], "yes" if p.get("breached") else "no", p.get("value"), p.get("threshold")]
             for p in alerts], caption="Every alert transition, marked on the charts when firing", numeric=(3, 4))]))
    if not points:
        sections.append(Section("Nothing recorded", [Text(["No history points for this model and period."])]))
    level = "degraded" if firing or breached else "healthy" if points else "info"
    return Page("mlmon history", verdict, level, sections, {"kind": "history", "result": data},
                f"model {model}" if model else "rows without a model")


def _series(points: List[Dict[str, Any]]) -> Dict[Tuple[str, str], List[Dict[str, Any]]]:
    out: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
    for p in points:
        out.setdefault((p["kind"], p["name"]), []).append(p)
    return out


def _latest_per_window(pts: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One point per window: the realized one where both sources are there."""
    by: Dict[str, Dict[str, Any]] = {}
    for p in pts:
        if p["start"] not in by or p.get("source") == "realized":
            by[p["start"]] = p
    return list(by.values())


def _figure(kind, name, pts, starts, labels, index, marks) -> Figure:
    def column(source=None, key="value"):
        values: List[Any] = [None] * len(starts)
        for p in pts:
            if source is None or p.get("source") == source:
                values[index[p["start"]]] = p.get(key)
        return values

    if kind == "metric":
        chart_series = []
        for source, cls, band_cls in (("realized", "s0", "band"), ("estimated", "s1", "band2")):
            values = column(source)
            if any(v is not None for v in values):
                chart_series.append({"values": values, "label": f"{source} (95 % band)", "cls": cls,
                                     "band": (column(source, "lower"), column(source, "upper")),
                                     "band_cls": band_cls, "points": True})
        rows = [[p["start"], p.get("source"), p.get("value"), p.get("lower"), p.get("upper"), p.get("n"),
                 "yes" if p.get("breached") else "no" if p.get("breached") is False else "–"] for p in pts]
        table = Table(["window start", "source", name, "lower", "upper", "n", "breached"], rows, numeric=(2, 3, 4, 5))
        caption = f"{name} per window: realized values, and estimates made while labels were missing."
        chart = svg.series_chart(labels, chart_series, f"{name} over time", name, marks=marks, width=560, height=230)
    else:
        score, threshold = column(None), column(None, "threshold")
        chart_series = [{"values": score, "label": "score", "cls": "s0", "points": True}]
        if any(t is not None for t in threshold):
            chart_series.append({"values": threshold, "label": "threshold", "cls": "thr"})
        rows = [[p["start"], p.get("value"), p.get("threshold"), "yes" if p.get("breached") else "no"] for p in pts]
        table = Table(["window start", name, "threshold", "drifted"], rows, numeric=(1, 2))
        drifted = sum(1 for p in pts if p.get("breached"))
        caption = (f"{name}: drift score per checked window against its threshold; "
                   f"drifted in {drifted} of {len(pts)} windows.")
        chart = svg.series_chart(labels, chart_series, f"{name} drift over time", "score", marks=marks,
                                 width=560, height=210, y_floor=0.0)
    return Figure(chart, caption, table)

