"""Markdown for A/B results: the verdict and its reasons first, then the numbers behind them."""

from __future__ import annotations

from typing import Any, Dict, List

from mlmon.render.markdown import _num
from mlmon.render.text import cell, code, prose


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{x * 100:+.2f}%"


def _ci(pair, fmt) -> str:
    if not pair or pair[0] is None:
        return "n/a"
    return f"[{fmt(pair[0])}, {fmt(pair[1])}]"


def ab_report(d: Dict[str, Any]) -> str:
    """Render ``AbResult.to_dict()``."""
    out: List[str] = [f"# A/B test {code(d['experiment'])}: {d['recommendation']}", ""]
    out += [f"- {prose(r)}" for r in d["reasons"]]
    out.append("")
    srm = d["srm"]
    counts = ", ".join(f"{cell(n)} {_num(c)}" for n, c in srm["observed"].items())
    state = "MISMATCH" if srm["mismatch"] else "ok"
    out.append(f"**Sample ratio**: {state} ({counts}; chi-square p = {_num(srm['p_value'])}, "
               f"stop when < {srm['threshold']})")
    seq = d.get("sequential")
    if seq and seq.get("boundaries"):
        out.append(f"**Sequential**: look {seq['look']} of {seq['of']} ({seq['spending']} spending), "
                   f"boundary |z| ≥ {_num(seq['boundary'])}")
        if seq.get("boundary_reason"):
            out.append(f"The boundary is above the plan's {_num(seq['plan_boundary'])} for look {seq['look']}: "
                       f"{prose(seq['boundary_reason'])}.")
    if d["comparisons"]:
        out += ["", "| treatment | metric | control | treatment | lift (95% CI) | abs. lift | p | adj. p | significant |",
                "|---|---|---|---|---|---|---|---|---|"]
        for c in d["comparisons"]:
            metric = cell(c["metric"]) + (" (primary)" if c["primary"] else "") + (" CUPED" if c["cuped"] else "")
            p = c["always_valid"]["p_value"] if c.get("always_valid") else c["p_value"]
            out.append(
                f"| {cell(c['treatment'])} | {metric} | {_num(c['control_mean'])} | {_num(c['treatment_mean'])} | "
                f"{_pct(c['lift'])} {_ci(c['lift_ci'], _pct)} | {_num(c['absolute_lift'])} | {_num(p)} | "
                f"{_num(c['p_value_adjusted'])} | {_num(c['significant'])} |")
    if d["guardrails"]:
        out += ["", "| treatment | guardrail | control | treatment | bound | status | p (within bound) |",
                "|---|---|---|---|---|---|---|"]
        for g in d["guardrails"]:
            out.append(f"| {cell(g['treatment'])} | {cell(g['name'])} ({code(g['column'])}) | {_num(g['control_value'])}{g['unit']} | "
                       f"{_num(g['treatment_value'])}{g['unit']} | < {_num(g['bound'])}{g['unit']} | {g['status']} | "
                       f"{_num(g['p_value'])} |")
    for m in d["metrics"]:
        if m.get("cuped"):
            out.append(f"\nCUPED on {code(m['name'])} with {code(m['covariate'])}: variance reduced by "
                       f"{m['cuped']['variance_reduction'] * 100:.1f}% (theta {_num(m['cuped']['theta'])}).")
    if d["warnings"]:
        out += ["", "Warnings:"] + [f"- {prose(w)}" for w in d["warnings"]]
    return "\n".join(out) + "\n"


def plan_report(d: Dict[str, Any]) -> str:
    """Render ``AbPlan.to_dict()``."""
    if d["metric_type"] == "binary":
        change = f"{_num(d['baseline_rate'])} → {_num(d['target_rate'])}"
    else:
        change = f"a change of {_num(d['mde'])}{' (relative)' if d['relative'] else ''} with sd {_num(d['sd'])}"
    out = [f"# A/B plan: {d['sample_size_per_arm']:,} units per arm", "",
           f"- detect {change} at α = {d['alpha']} (two-sided) with power {d['power']} "
           f"(effect size {_num(d['effect_size'])}; exact n {d['sample_size_exact']:.1f})"]
    if d["boundaries"]:
        out.append(f"- {d['looks']} looks with {d['spending']} spending: up to "
                   f"{d['max_sample_size_per_arm']:,} per arm (inflation {d['inflation_factor']:.4f})")
        out += ["", "| look | information | stop when |z| ≥ | nominal p | alpha spent |", "|---|---|---|---|---|"]
        for b in d["boundaries"]:
            out.append(f"| {b['look']} | {b['information_fraction']:.3f} | {b['z']:.4f} | {_num(b['nominal_p'])} | "
                       f"{_num(b['cumulative_alpha'])} |")
    return "\n".join(out) + "\n"
