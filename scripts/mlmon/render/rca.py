"""Markdown for ``mlmon diagnose``: the verdict, each candidate's evidence, the timeline, the
actions. Everything shown is copied from the result dict."""

from __future__ import annotations

from typing import Any, Dict, List

from mlmon.render.text import prose

LABELS = {
    "data_drift": "data drift", "target_drift": "target drift (label shift)", "concept_drift": "concept drift",
    "infrastructure": "infrastructure", "model_bug": "model or pipeline change", "traffic_pattern": "traffic pattern",
    "unknown": "unknown", "none": "none",
}
EVIDENCE_SHOWN = 6


def diagnosis_report(d: Dict[str, Any]) -> str:
    lines: List[str] = ["# Root-cause diagnosis", ""]
    primary = d["primary_cause"]
    lines.append(f"**Primary cause: {LABELS.get(primary, primary)}** (`{primary}`), confidence {d['confidence']:.2f}")
    if primary == "none":
        lines.append("")
        lines.append("Nothing degraded: no performance drop beyond the alert tier, no serving breach, no volume anomaly.")
    elif primary == "unknown":
        lines.append("")
        lines.append("Performance dropped, but no measured cause reaches a score of 0.5.")
    supported = [c for c in d["candidates"] if c["score"] >= 0.5 and c["cause"] != primary]
    if supported:
        lines.append("")
        head = "Measured, but nothing it could explain degraded: " if primary == "none" else "Also supported: "
        lines.append(head + ", ".join(f"{LABELS.get(c['cause'], c['cause'])} ({c['score']:.2f})" for c in supported))
    if d["candidates"]:
        lines += ["", "## Candidates", "", "| cause | score |", "|---|---|"]
        lines += [f"| {LABELS.get(c['cause'], c['cause'])} | {c['score']:.2f} |" for c in d["candidates"]]
        for c in d["candidates"]:
            if c["score"] < 0.1 and c["cause"] != primary:
                continue
            lines += ["", f"### {LABELS.get(c['cause'], c['cause'])} ({c['score']:.2f})", ""]
            for e in c["evidence"][:EVIDENCE_SHOWN]:
                mark = "" if e.get("supports", True) else "against: "
                lines.append(f"- {mark}{prose(e['summary'])} (strength {e['strength']:.2f})")
            if len(c["evidence"]) > EVIDENCE_SHOWN:
                lines.append(f"- ... {len(c['evidence']) - EVIDENCE_SHOWN} more in the JSON output")
    if d.get("segments"):
        lines += ["", "## Segments that dropped most", ""]
        lines += [f"- {prose(e['summary'])}" for e in d["segments"]]
    lines += ["", "## Timeline", ""]
    if d["timeline"]:
        lines += [f"- {prose(t['timestamp'], 40)}: {prose(t['event'])}" for t in d["timeline"]]
    else:
        lines.append("No timestamps in the inputs or the history: no timeline (pass --timestamp COL).")
    lines += ["", "## Recommended actions", ""]
    lines += [f"{i}. {prose(a)}" for i, a in enumerate(d["recommended_actions"], 1)]
    if d.get("warnings"):
        lines += ["", "## Warnings", ""]
        lines += [f"- {prose(w)}" for w in d["warnings"]]
    return "\n".join(lines) + "\n"
