"""The A/B page: lift with its interval per metric (a forest plot) and, for a sequential plan, the
z statistic at this look against the boundary of every look."""

from __future__ import annotations

from typing import Any, Dict, List

from mlmon.render.html import svg
from mlmon.render.html.page import Figure, Page, Section, Stats, Table, Text, fmt, pct

LEVELS = {"SHIP": "healthy", "STOP": "critical", "ROLLBACK": "critical"}


def ab_page(data: Dict[str, Any]) -> Page:
    comparisons = data.get("comparisons") or []
    rec = data.get("recommendation", "")
    verdict = "; ".join(data.get("reasons") or []) or rec
    srm = data.get("srm") or {}
    settings = data.get("settings") or {}
    headline = [("recommendation", rec), ("rows", (data.get("source") or {}).get("rows")),
                ("control", data.get("control")), ("treatments", ", ".join(data.get("treatments") or [])),
                ("sample ratio p", srm.get("p_value")), ("alpha", settings.get("alpha")),
                ("correction", settings.get("correction"))]
    sections = [Section("At a glance", [Stats(headline)])]
    rows = [{"label": f"{c['metric']}: {c['treatment']}", "value": c.get("lift"),
             "lower": (c.get("lift_ci") or [None, None])[0], "upper": (c.get("lift_ci") or [None, None])[1],
             "strong": bool(c.get("significant"))} for c in comparisons]
    if rows:
        table = Table(["metric", "treatment", "control mean", "treatment mean", "lift", "lower", "upper",
                       "absolute lift", "p", "adjusted p", "significant"],
                      [[c["metric"], c["treatment"], c.get("control_mean"), c.get("treatment_mean"), pct(c.get("lift")),
                        pct((c.get("lift_ci") or [None])[0]), pct((c.get("lift_ci") or [None, None])[1]),
                        c.get("absolute_lift"), c.get("p_value"), c.get("p_value_adjusted"),
                        "yes" if c.get("significant") else "no"] for c in comparisons], numeric=tuple(range(2, 10)))
        sections.append(Section("Lift per metric", [Figure(
            svg.forest(rows, "Relative lift per metric with its interval", "lift over control"),
            "Relative lift of each treatment over control with its interval (filled: significant after the "
            "correction); the dashed line is no change.", table)]))
    seq = data.get("sequential")
    if seq and seq.get("boundaries"):
        sections.append(_sequential(seq, comparisons))
    if srm:
        sections.append(Section("Sample ratio", [Table(
            ["variant", "observed", "expected", "expected share"],
            [[v, srm["observed"].get(v), (srm.get("expected") or {}).get(v), pct((srm.get("expected_share") or {}).get(v))]
             for v in srm.get("observed") or {}], caption=f"chi-square p = {fmt(srm.get('p_value'))}; a mismatch "
                                                          f"below {fmt(srm.get('threshold'))} stops the test",
            numeric=(1, 2, 3))], folded=not srm.get("mismatch")))
    if data.get("guardrails"):
        sections.append(Section("Guardrails", [Table(
            ["treatment", "guardrail", "control", "treatment value", "bound", "status", "p"],
            [[g["treatment"], g["name"], g.get("control_value"), g.get("treatment_value"), g.get("bound"),
              g.get("status"), g.get("p_value")] for g in data["guardrails"]], numeric=(2, 3, 4, 6))]))
    if data.get("warnings"):
        sections.append(Section("Warnings", [Text(items=data["warnings"])]))
    return Page(f"mlmon A/B test: {data.get('experiment', '')}", verdict, LEVELS.get(rec, "info"), sections,
                {"kind": "ab", "result": data}, badge=rec)


def _sequential(seq: Dict[str, Any], comparisons: List[Dict[str, Any]]) -> Section:
    looks = seq["boundaries"]
    labels = [f"look {b['look']} ({pct(b.get('information_fraction'))})" for b in looks]
    now = next((i for i, b in enumerate(looks) if b["look"] == seq.get("look")), None)
    series = [{"values": [b["z"] for b in looks], "label": "boundary (plan)", "cls": "thr"},
              {"values": [-b["z"] for b in looks], "label": "−boundary", "cls": "thr"}]
    hlines = []
    if seq.get("boundary") is not None:
        hlines.append({"y": seq["boundary"], "label": f"boundary at this look ({fmt(seq['boundary'])})", "cls": "tier1"})
    for k, c in enumerate(comparisons):
        if now is None or c.get("statistic") is None:
            continue
        values = [None] * len(looks)
        values[now] = c["statistic"]
        series.append({"values": values, "label": f"z {c['metric']}: {c['treatment']}", "cls": f"s{k % 2}",
                       "points": True, "point_cls": "hit"})
    chart = svg.series_chart(labels, series, "z statistic against the group-sequential boundaries", "z",
                             hlines=hlines, marks=[{"index": now, "label": "this look", "legend": "this look"}]
                             if now is not None else [], width=620, height=260, xlabel="planned look (information fraction)")
    rows = [[labels[i], b["z"], b.get("nominal_p")] for i, b in enumerate(looks)]
    rows += [[f"z now: {c['metric']} ({c['treatment']})", c.get("statistic"), c.get("p_value")] for c in comparisons]
    caption = (f"Look {seq.get('look')} of {seq.get('of')} ({seq.get('spending')} spending): a comparison stops "
               f"early when |z| crosses the boundary. {seq.get('boundary_reason') or ''}")
    return Section("Sequential looks", [Figure(chart, caption, Table(["look", "z", "nominal p"], rows, numeric=(1, 2)))])
