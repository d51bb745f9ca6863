"""Markdown for ``mlmon profile`` and for drift checks run against a profile."""

from __future__ import annotations

from typing import Any, Dict, List

from mlmon.render.markdown import _num, drift_report
from mlmon.render.text import cell, code


def profile_report(d: Dict[str, Any]) -> str:
    """Render ``mlmon profile``'s result: one line per column."""
    out: List[str] = [f"# Profile: {_num(d['rows'])} rows, {len(d['columns'])} columns", ""]
    out.append(f"- written to {code(d['profile'])} ({_num(d['bytes'])} bytes, format version {d['format_version']})")
    if d.get("sources"):
        out.append(f"- from: {', '.join(code(s) for s in d['sources'][:5])}"
                   + (f" and {len(d['sources']) - 5} more" if len(d["sources"]) > 5 else ""))
    o = d["options"]
    out.append(f"- KLL k = {o['sketch_k']}, {o['bins_per_octave']} fine bins per octave, "
               f"up to {_num(o['max_categories'])} categories per column")
    out += ["", "| column | kind | missing | summary |", "|---|---|---:|---|"]
    for name, c in d["columns"].items():
        if "count" in c:
            summary = (f"min {_num(c['min'])}, median ≈ {_num(c['median'])}, max {_num(c['max'])}; "
                       f"{_num(c['fine_bins'])} fine bins; rank error {_num(c['rank_error'])}")
        elif "distinct" in c:
            summary = f"{_num(c['distinct'])} distinct" + (f", {_num(c['other'])} rows in 'other'" if c["truncated"] else "")
        else:
            summary = "counts only"
        out.append(f"| {cell(name)} | {c['kind']} | {_num(c['missing'])} | {summary} |")
    return "\n".join(out).rstrip() + "\n"


def profile_drift_report(d: Dict[str, Any]) -> str:
    """The drift report, plus which scores carry an error bound and whether it matters."""
    text = drift_report(d)
    rows = [c for c in d["columns"].values() if c.get("approximate")]
    if not rows:
        return text
    out = ["## Scores from sketches (bounded)", "",
           "| column | method | score | score range | error bound | verdict certain |", "|---|---|---:|---|---:|---|"]
    for c in sorted(rows, key=lambda c: c["column"]):
        lo, hi = c["score_bounds"]
        out.append(f"| {cell(c['column'])} | {c['method']} | {_num(c['score'])} | {_num(lo)} to {_num(hi)} | "
                   f"{_num(c['error_bound'])} | {'yes' if c['verdict_certain'] else '**no**'} |")
    return text + "\n" + "\n".join(out) + "\n"
