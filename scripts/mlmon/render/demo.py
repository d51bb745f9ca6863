"""Markdown for ``mlmon demo``: one short section per result (drift, performance per day, the
diagnosis), what was injected into the data, and the commands that do the same on your own data.

Every number is copied from the result dicts; each command's own report (``mlmon drift``,
``mlmon perf``, ``mlmon diagnose``) shows the full detail.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from mlmon.render.markdown import _num, _rule
from mlmon.render.perf import _value, _verdict
from mlmon.render.rca import LABELS
from mlmon.render.text import cell, code, prose

EVIDENCE_SHOWN = 3
ACTIONS_SHOWN = 2


def demo_report(d: Dict[str, Any], commands: Sequence[str] = ()) -> str:
    """Render ``DemoResult.to_dict()``; ``commands`` are the command lines that produce each
    result on the demo files (shown for the reader to run on their own data)."""
    drift = d["drift"]
    scenario = d["scenario"]
    ref, cur = scenario["reference"], scenario["current"]
    out: List[str] = [
        "# mlmon demo: monitoring a card-fraud model",
        "",
        f"A card-fraud model ({prose(scenario['model'])}) scored a labeled reference period, "
        f"{code(drift['reference']['path'])} ({_num(drift['reference']['rows'])} transactions over {ref['days']} days "
        f"from {prose(ref['first_day'])}), and a labeled current period, {code(drift['current']['path'])} "
        f"({_num(drift['current']['rows'])} transactions over {cur['days']} days from {prose(cur['first_day'])}). "
        "What mlmon finds in them:",
        "",
    ]
    out += _drift(drift) + _performance(d["performance"]) + _diagnosis(d["diagnosis"])
    incident = scenario["incident"]
    out += ["## What was injected", "", f"{prose(incident['description']).capitalize()}.", ""]
    if commands:
        out += ["## On your own data", "",
                "Each result above, with its full report, comes from one command (`--format json` for JSON); "
                "give it your own files and column names:", "", "```sh"]
        out += list(commands)
        out += ["```", ""]
    return "\n".join(out).rstrip() + "\n"


def _drift(d: Dict[str, Any]) -> List[str]:
    cols = sorted(d["columns"].values(), key=lambda c: c["column"])
    drifted = [c for c in cols if c["drifted"]]
    stable = [c for c in cols if not c["drifted"]]
    out = [f"## Drift: {d['n_drifted']} of {d['n_columns']} features drifted "
           f"(dataset drift: {'yes' if d['dataset_drift'] else 'no'}, severity {d['severity']})", ""]
    for c in drifted:
        out.append(f"- drifted: {code(c['column'])} ({c['method']} {_num(c['score'])}, {_rule(c)})")
    if stable:
        out.append("- stable: " + ", ".join(cell(c["column"]) for c in stable))
    for key, label in (("target_drift", "target"), ("prediction_drift", "prediction")):
        c = d.get(key)
        if c:
            state = "DRIFTED" if c["drifted"] else "stable"
            out.append(f"- {label} {code(c['column'])}: {state} ({c['method']} {_num(c['score'])}, {_rule(c)})")
    onsets = sorted(((c, s) for c, s in (d.get("onsets") or {}).items() if s), key=lambda kv: kv[1])
    out += [f"- per day: {code(c)} has drifted since {prose(s)}" for c, s in onsets]
    cal = d.get("calibration")
    if cal and cal.get("expected_false_alarms_per_30_windows") is not None:
        def few(x):
            return "fewer than 0.01" if x < 0.01 else f"about {x:.2f}"

        out.append(f"- thresholds calibrated at each day's size for a false-alarm rate of {cal['false_alarm_rate']:g} "
                   f"per column and day: {few(cal['expected_column_false_alarms_per_30_windows'])} false column "
                   f"alarms and {few(cal['expected_false_alarms_per_30_windows'])} false dataset alarms expected "
                   "per 30 stable days")
    out += [f"- next: {prose(r)}" for r in (d.get("recommendations") or [])[:ACTIONS_SHOWN]]
    out += [f"- warning: {prose(w)}" for w in d.get("warnings") or []]
    out.append("")
    return out


def _performance(d: Dict[str, Any]) -> List[str]:
    primary = list(d["primary"])
    out = ["## Performance per day against the reference", "", _verdict(d), ""]
    if d["baseline"]:
        metrics = (d["baseline"].get("metrics") or {})
        out += [f"Reference ({d['baseline']['n_labeled']:,} labeled rows): "
                + ", ".join(f"{m} {_num(metrics.get(m))}" for m in primary) + ".", ""]
    out.append("| day | rows | " + " | ".join(primary) + " | severity |")
    out.append("|---|---:|" + "---|" * len(primary) + "---|")
    for w in d["windows"]:
        cells = [cell(w["start"][:10]), f"{w['n']:,}"] + [_value(w["metrics"], w["intervals"], m) for m in primary]
        out.append("| " + " | ".join(cells + [w["severity"]]) + " |")
    out += ["", "Brackets are 95% intervals."]
    out += [f"- warning: {prose(w)}" for w in d.get("warnings") or []]
    out.append("")
    return out


def _diagnosis(d: Dict[str, Any]) -> List[str]:
    primary = d["primary_cause"]
    out = [f"## Diagnosis: {LABELS.get(primary, primary)} (`{primary}`), confidence {d['confidence']:.2f}", ""]
    top = next((c for c in d["candidates"] if c["cause"] == primary), None)
    # the performance drop is the section above; show what explains it
    evidence = [e for e in (top or {}).get("evidence", []) if e.get("supports", True) and e["diagnostic"] != "performance"]
    for e in evidence[:EVIDENCE_SHOWN]:
        out.append(f"- {prose(e['summary'])} (strength {e['strength']:.2f})")
    others = [f"{LABELS.get(c['cause'], c['cause'])} {c['score']:.2f}" for c in d["candidates"] if c["cause"] != primary]
    if others:
        out.append("- other candidates: " + ", ".join(others))
    out += [f"- warning: {prose(w)}" for w in d.get("warnings") or []]
    if d["timeline"]:
        out += ["", "Timeline:", ""]
        out += [f"- {prose(t['timestamp'], 40)}: {prose(t['event'])}" for t in d["timeline"]]
    if d["recommended_actions"]:
        out += ["", "Recommended:", ""]
        out += [f"{i}. {prose(a)}" for i, a in enumerate(d["recommended_actions"][:ACTIONS_SHOWN], 1)]
    out.append("")
    return out
