"""Text for ``mlmon history``: trends as compact tables with their direction (Markdown), one CSV
row per point, each model's state, and the report of a copy. Every number comes from the result."""

from __future__ import annotations

import csv
import io
from typing import Any, Dict, List, Optional, Tuple

from mlmon.render.markdown import _num
from mlmon.render.text import cell, code, prose

MAX_SERIES = 40         # series in the trend table; the rest are counted (JSON has them all)
RECENT_WINDOWS = 10     # rows of the recent-windows table
RECENT_METRICS = 6      # metric columns in it
FLAT = 0.01             # a change within 1% of the first value (or exactly 0 from 0) is shown as →
CSV_FIELDS = ("model", "name", "kind", "start", "end", "value", "lower", "upper", "source", "n", "threshold",
              "breached")


def direction(first: Optional[float], last: Optional[float]) -> str:
    """↑, ↓ or → from the first value to the last (→ within :data:`FLAT` of the first).

    >>> direction(0.90, 0.85), direction(0.90, 0.905), direction(0.0, 0.01), direction(None, 1.0)
    ('↓', '→', '↑', '')
    """
    if first is None or last is None:
        return ""
    change = last - first
    if abs(change) <= FLAT * abs(first):
        return "→"
    return "↑" if change > 0 else "↓"


def _day(text: Optional[str]) -> str:
    return "n/a" if not text else cell(str(text)[:10] if len(str(text)) >= 10 and str(text)[4:5] == "-" else text)


def series(points: List[Dict[str, Any]]) -> List[Tuple[Tuple[str, str], List[Dict[str, Any]]]]:
    """The points grouped by (kind, name), in order, one point per window: with both sources of
    a window present (``--all-sources``) the realized one stands for it."""
    grouped: Dict[Tuple[str, str], Dict[Any, Dict[str, Any]]] = {}
    for p in points:
        windows = grouped.setdefault((p["kind"], p["name"]), {})
        held = windows.get(p["start"])
        if held is None or (held["source"] == "estimated" and p["source"] == "realized"):
            windows[p["start"]] = p
    return [(key, [w[k] for k in sorted(w, key=lambda s: s or "")]) for key, w in grouped.items()]


def points_report(data: Dict[str, Any], note: Optional[str] = None) -> str:
    model = data.get("model")
    title = f"model {code(model)}" if model is not None else "rows without a model"
    groups = series(data["points"])
    if not groups:
        return f"**No history points for {title}{' in this period' if data['points'] == [] else ''}.**" + \
               (f" {cell(note, 200)}." if note else "") + "\n"
    starts = [p["start"] for p in data["points"] if p["start"]]
    ends = [p["end"] or p["start"] for p in data["points"] if p["end"] or p["start"]]
    breached = [name for (kind, name), pts in groups if pts[-1]["breached"]]
    moved = [(name, pts) for (kind, name), pts in groups if kind == "metric" and len(pts) > 1]
    verdict = f"**{title}, {_day(min(starts))} to {_day(max(ends))}: {len(groups)} series"
    verdict += (f", {len(breached)} breached in their latest window ({', '.join(cell(b) for b in breached[:5])}"
                f"{', …' if len(breached) > 5 else ''})" if breached else ", none breached in its latest window")
    if moved:
        parts = []
        for name, pts in moved[:3]:
            first, last = pts[0]["value"], pts[-1]["value"]
            if first is not None and last is not None:
                parts.append(f"{cell(name)} {direction(first, last)} {_num(first)} → {_num(last)}")
        if parts:
            verdict += "; " + ", ".join(parts)
    lines = [verdict + ".**", ""]
    lines += ["| series | kind | windows | first | latest | change | min | max | breached | latest window | source |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (kind, name), pts in groups[:MAX_SERIES]:
        values = [p["value"] for p in pts if p["value"] is not None]
        first = next((p["value"] for p in pts if p["value"] is not None), None)
        last = pts[-1]["value"]
        change = "n/a" if first is None or last is None else f"{direction(first, last)} {last - first:+.4g}"
        hits = sum(1 for p in pts if p["breached"])
        lines.append(f"| {cell(name)} | {kind} | {len(pts)} | {_num(first)} | {_num(last)} | {change} | "
                     f"{_num(min(values)) if values else 'n/a'} | {_num(max(values)) if values else 'n/a'} | "
                     f"{hits} | {_day(pts[-1]['start'])} | {pts[-1]['source']} |")
    if len(groups) > MAX_SERIES:
        lines.append(f"\n{len(groups) - MAX_SERIES} more series: name them with --metric/--column, or use --format json.")
    lines += _recent(groups)
    if note:
        lines += ["", cell(note, 200)]
    return "\n".join(lines) + "\n"


def _recent(groups) -> List[str]:
    metrics = [(name, pts) for (kind, name), pts in groups if kind == "metric"][:RECENT_METRICS]
    if not metrics:
        return []
    by_start: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for name, pts in metrics:
        for p in pts:
            by_start.setdefault(p["start"] or "", {})[name] = p
    starts = sorted(by_start)[-RECENT_WINDOWS:]
    lines = ["", f"Last {len(starts)} windows (est.: estimated, labels not in yet; !: breached):", "",
             "| window | " + " | ".join(cell(n) for n, _ in metrics) + " |",
             "|---|" + "---|" * len(metrics)]
    for start in starts:
        row = []
        for name, _ in metrics:
            p = by_start[start].get(name)
            if p is None:
                row.append("")
                continue
            row.append(_num(p["value"]) + (" est." if p["source"] == "estimated" else "") + (" !" if p["breached"] else ""))
        lines.append(f"| {_day(start)} | " + " | ".join(row) + " |")
    return lines


def points_csv(data: Dict[str, Any]) -> str:
    """One row per point: the model, then the point's fields (empty for none; breached true/false)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for p in data["points"]:
        row = {**p, "model": data.get("model")}
        writer.writerow(["" if row[k] is None else str(row[k]).lower() if isinstance(row[k], bool) else row[k]
                         for k in CSV_FIELDS])
    return out.getvalue()


def summary_report(data: Dict[str, Any], note: Optional[str] = None) -> str:
    models = data["models"]
    if not models:
        return "**No model in the history yet.**" + (f" {cell(note, 200)}." if note else "") + "\n"
    firing = [m for m in models if m["alerts_firing"]]
    lines = [f"**{len(models)} model{'s' if len(models) != 1 else ''}; "
             + (f"alerts firing for {', '.join(code(m['model']) for m in firing)}.**" if firing else "no alert firing.**")]
    for m in models:
        lines += ["", f"## {code(m['model']) if m['model'] is not None else 'rows without a model'}"
                      + (f" (version {cell(m['version'])})" if m["version"] else "")]
        facts = []
        last = m["last_run"]
        if last:
            facts.append(f"last run {_day(last['period_start'])}: {cell(last['severity'] or 'n/a')}")
        drift = m["last_drift"]
        if drift:
            drifted = ", ".join(cell(c) for c in drift["drifted"][:8]) + (", …" if len(drift["drifted"]) > 8 else "")
            facts.append(f"last drift check {_day(drift['period_start'])}: drift share {_num(drift['drift_share'])}"
                         + (f" ({drifted})" if drifted else ""))
        cov = m["label_coverage"]
        if cov["windows"]:
            facts.append(f"labels: {cov['realized']} of {cov['windows']} windows realized, {cov['waiting']} waiting"
                         + (f", the latest realized window ends {_day(cov['latest_realized_end'])}" if cov["latest_realized_end"] else ""))
        lines.append("; ".join(facts) + "." if facts else "Nothing recorded with a data period.")
        for d in m.get("estimate_disagreement") or []:
            lines.append(f"- **estimates not to be trusted**: {cell(d['metric'])}: {prose(d['message'])}")
        if m["alerts_firing"]:
            lines += ["", "| alert firing | since | value | threshold |", "|---|---|---|---|"]
            lines += [f"| {cell(a['rule'])}/{cell(a['tier'])} | {cell(a['since'] or 'n/a')} | {_num(a['value'])} | "
                      f"{_num(a['threshold'])} |" for a in m["alerts_firing"]]
        if m["metrics"]:
            lines += ["", "| metric | realized | window | estimated | window |", "|---|---|---|---|---|"]
            for name, both in m["metrics"].items():
                r, e = both["realized"], both["estimated"]
                lines.append(f"| {cell(name)} | {_num(r['value']) if r else 'n/a'} | {_day(r['start']) if r else ''} | "
                             f"{_num(e['value']) if e else 'n/a'} | {_day(e['start']) if e else ''} |")
    if note:
        lines += ["", cell(note, 200)]
    return "\n".join(lines) + "\n"


def copy_report(data: Dict[str, Any]) -> str:
    total = sum(data["tables"].values())
    lines = [f"**Copied {total:,} rows from {code(data['from'])} to {code(data['to'])}"
             + (" (its previous contents replaced)" if data["replaced"] else "") + ".**", "",
             "| table | rows |", "|---|---|"]
    lines += [f"| {t} | {n:,} |" for t, n in data["tables"].items()]
    return "\n".join(lines) + "\n"
