"""Markdown for one scheduled run (``mlmon run``): verdict, alerts, deliveries; numbers from the result."""

from __future__ import annotations

from typing import Any, Dict, List

from mlmon.render.markdown import _num
from mlmon.render.text import cell, code, prose

_SHOWN = ("pending", "firing", "silenced", "inhibited", "resolved")


def run_report(d: Dict[str, Any]) -> str:
    out: List[str] = []
    model = d["model"].get("name") or "model"
    dry = " (dry run: nothing recorded or sent)" if d["dry_run"] else ""
    out.append(f"# Scheduled check of {cell(model)} for {d['date']}: {d['severity']}{dry}")
    out.append("")
    out.append(f"- current: {code(d['current']['path'])} ({_num(d['current']['rows'])} rows); "
               f"reference: {code(d['reference']['path'])} ({_num(d['reference']['rows'])} rows)")
    dr = d["drift"]
    out.append(f"- drift: {dr['n_drifted']} of {dr['n_columns']} features drifted (drift share "
               f"{_num(dr['drift_share'])}, {dr['severity']})"
               + (f": {', '.join(cell(c) for c in dr['drifted'])}" if dr["drifted"] else ""))
    perf = d.get("performance") or {}
    if perf.get("skipped"):
        out.append(f"- performance: {prose(perf['skipped'])}")
    elif perf.get("latest_window"):
        w = perf["latest_window"]
        metrics = ", ".join(f"{k} {_num(_value(v))}" for k, v in (w.get("metrics") or {}).items() if _value(v) is not None)
        estimated = ", ".join(f"{k} {_num(_value(v))}" for k, v in (w.get("estimated") or {}).items() if _value(v) is not None)
        shown = metrics or (f"estimated {estimated}" if estimated else "no labeled rows")
        out.append(f"- performance (window {w.get('start')}): {shown}; severity {perf['severity']}")
    late = perf.get("late_labels")
    if late:
        labels = late["labels"]
        realized = ", ".join(s[:10] for s in late["realized_windows"]) or "none"
        out.append(f"- labels known by {late['known_at']}: {_num(labels['known'])} ({_num(labels['matched'])} joined); "
                   f"realized values for {realized}; {late['waiting_windows']} window(s) still waiting "
                   f"for labels (estimated)")
    if d.get("run_id") is not None:
        out.append(f"- recorded as run {d['run_id']} in {code(d['history'])}")
    out.append("")
    out.append("## Alert rules")
    out.append("")
    out.append("| condition | observed | fires when | breaches in a row | status |")
    out.append("|---|---|---|---|---|")
    for a in d["alerts"]:
        if a["value"] is None and a["status"] == "unobserved":
            continue
        status = a["status"] + (f" (message to {', '.join(a['notify'])})" if a["message"] else "")
        out.append(f"| {a['condition']} ({a['tier']}) | {_num(a['value'])} | {a['rule']} | "
                   f"{a['consecutive']} | {status} |")
    unobserved = sorted({a["condition"] for a in d["alerts"] if a["status"] == "unobserved"})
    if unobserved:
        out.append("")
        out.append(f"Not observed in this run: {', '.join(unobserved)}.")
    if d["notifications"]:
        out.append("")
        out.append("## Notifications")
        out.append("")
        for n in d["notifications"]:
            line = f"- {n['channel']}: {n['message']} {code(n['alert_key'])}: {n['status']}"
            if n.get("attempts"):
                line += f" after {n['attempts']} attempt{'s' if n['attempts'] != 1 else ''}"
            if n.get("error"):
                line += f" ({prose(n['error'])})"
            out.append(line)
        if d["undelivered"]:
            out.append("")
            out.append(f"**{d['undelivered']} notification(s) not delivered**: kept in the outbox, "
                       "retried by the next run.")
    if d.get("warnings"):
        out.append("")
        out.append("## Warnings")
        out.append("")
        out.extend(f"- {prose(w)}" for w in d["warnings"])
    return "\n".join(out) + "\n"


def _value(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v
