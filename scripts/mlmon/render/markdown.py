"""Markdown for people and for Claude: short, verdict first, every number from the result."""

from __future__ import annotations

from typing import Any, Dict, List

from mlmon.render.text import cell, code, prose


def _num(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e5:
        return f"{x:.3e}"
    return f"{x:.4f}"


_NEGATE = {"<": "≥", "<=": ">", ">": "≤", ">=": "<"}
_SHOW = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def _rule(c: Dict[str, Any]) -> str:
    """How the score compared with its threshold, e.g. ``p ≤ 0.05`` or ``< 0.1``."""
    rule = c.get("drift_rule") or ("<" if c["score_kind"] == "p_value" else ">=")
    sign = _SHOW[rule] if c["drifted"] else _NEGATE[rule]
    if c.get("p_value_adjusted") is not None:
        return f"BH-adjusted p {_num(c['p_value_adjusted'])} {sign} {_num(c['threshold'])}"
    prefix = "p " if c["score_kind"] == "p_value" else ""
    return f"{prefix}{sign} {_num(c['threshold'])}"


def drift_report(d: Dict[str, Any]) -> str:
    """Render a drift result dict (``DriftResult.to_dict()``)."""
    out: List[str] = []
    verdict = "DRIFT" if d["dataset_drift"] else "no dataset drift"
    out.append(f"# Drift check: {verdict} ({d['severity']})")
    out.append("")
    out.append(
        f"- reference: {code(d['reference']['path'])} ({_num(d['reference']['rows'])} rows); "
        f"current: {code(d['current']['path'])} ({_num(d['current']['rows'])} rows)"
    )
    out.append(
        f"- drifted features: **{d['n_drifted']} of {d['n_columns']}** "
        f"(drift share {_num(d['drift_share'])}; dataset drift when ≥ {_num(d['drift_share_threshold'])}; "
        f"severity {d['severity']})"
    )
    for key, label in (("target_drift", "target"), ("prediction_drift", "prediction")):
        c = d.get(key)
        if c:
            state = "DRIFTED" if c["drifted"] else "stable"
            out.append(f"- {label} {code(c['column'])}: {state} ({c['method']} {_num(c['score'])}, {_rule(c)})")
    mv = d.get("multivariate")
    if mv:
        out.append(
            f"- multivariate MMD over {len(mv.get('columns', []))} numerical features: "
            f"{'DRIFTED' if mv.get('drifted') else 'stable'} (MMD² {_num(mv.get('statistic'))}, "
            f"p {_num(mv.get('p_value'))})"
        )
    if d.get("fdr") is not None:
        out.append(f"- p-value tests controlled for false discoveries (Benjamini-Hochberg, q = {_num(d['fdr'])})")
    out.append("")

    cols = d["columns"]
    if cols:
        out.append("| column | type | method | score | rule | drifted |")
        out.append("|---|---|---|---:|---|---|")
        order = sorted(cols.values(), key=lambda c: (not c["drifted"], c["column"]))
        for c in order:
            out.append(
                f"| {cell(c['column'])} | {c['type']} | {c['method']} | {_num(c['score'])} | {_rule(c)} | "
                f"{'**yes**' if c['drifted'] else 'no'} |"
            )
        out.append("")
    if d.get("warnings"):
        out.append("## Warnings")
        out.extend(f"- {prose(w)}" for w in d["warnings"])
        out.append("")
    if d.get("recommendations"):
        out.append("## What to look at next")
        out.extend(f"- {prose(r)}" for r in d["recommendations"])
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def methods_table(rows: List[Dict[str, Any]]) -> str:
    out = ["| id | name | column types | default threshold | drift when |", "|---|---|---|---:|---|"]
    for r in rows:
        when = f"{'p' if r['score_kind'] == 'p_value' else 'score'} {_SHOW[r['drift_rule']]} threshold"
        out.append(f"| {r['id']} | {r['name']} | {', '.join(r['column_types'])} | {r['default_threshold']} | {when} |")
    return "\n".join(out) + "\n"
