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
            calibrated = " (calibrated)" if c.get("threshold_source") == "calibrated" else ""
            out.append(
                f"| {cell(c['column'])} | {c['type']} | {c['method']} | {_num(c['score'])} | {_rule(c)}{calibrated} | "
                f"{'**yes**' if c['drifted'] else 'no'} |"
            )
        out.append("")
    if d.get("windows") is not None:
        out.extend(_windows_section(d))
    elif d.get("calibration"):
        out.append(_thresholds_line(d["calibration"]))
        out.append("")
    if d.get("segmentation") is not None:
        out.extend(_segments_section(d))
    if d.get("warnings"):
        out.append("## Warnings")
        out.extend(f"- {prose(w)}" for w in d["warnings"])
        out.append("")
    if d.get("recommendations"):
        out.append("## What to look at next")
        out.extend(f"- {prose(r)}" for r in d["recommendations"])
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _segments_section(d: Dict[str, Any]) -> List[str]:
    """One line per tested segment (drifted first), then the segments too small to test."""
    seg = d["segmentation"]
    out = [f"## Segments by {', '.join(cell(b) for b in seg['by'])}", "",
           f"{seg['pairs_flagged']} of {seg['pairs_tested']} (segment, column) pairs drifted; false discovery rate "
           f"held at {_num(seg['false_discovery_rate'])} across them.", "",
           "| segment | reference rows | current rows | drifted columns |", "|---|---:|---:|---|"]
    ranked = sorted(d["segments"].items(), key=lambda kv: (-kv[1]["n_drifted"], -kv[1]["drift_share"]))
    for name, r in ranked:
        cols = ", ".join(cell(c) for c, x in r["columns"].items() if x["drifted"]) or "none"
        out.append(f"| {cell(name)} | {r['reference']['rows']:,} | {r['current']['rows']:,} | {cols} |")
    out.append("")
    if seg["not_tested"]:
        out.append("Not tested: " + "; ".join(f"{cell(n)} ({prose(x['reason'])}, {x['reference_rows']:,} / "
                                             f"{x['current_rows']:,} rows)" for n, x in seg["not_tested"].items()))
        out.append("")
    return out


#: Windows listed in full up to this many; beyond, the drifted ones and the last few.
WINDOWS_SHOWN = 40
LAST_SHOWN = 10


def _thresholds_line(cal: Dict[str, Any]) -> str:
    """How thresholds were set and the false alarms that follow, in one line."""
    sources = ", ".join(f"{k} {v}" for k, v in sorted(cal.get("threshold_sources", {}).items()))
    if cal.get("enabled"):
        rate = cal["false_alarm_rate"]
        how = (f"- thresholds calibrated on the reference for a false-alarm rate of {rate:g} per column per window "
               f"(the score's {1 - rate:g} quantile under no change, at the window's size)")
    else:
        how = "- fixed thresholds (not calibrated)"
    expected = [f"{_few(cal.get(key))} {what}" for key, what in (
        ("expected_column_false_alarms_per_30_windows", "column alarms"),
        ("expected_false_alarms_per_30_windows", "dataset alarms")) if cal.get(key) is not None]
    alarms = f"; false alarms expected per 30 stable windows: {' and '.join(expected)}" if expected else ""
    return f"{how}{alarms} (thresholds: {sources})"


def _few(x: float) -> str:
    """An expected count of alarms, readable at a glance.

    >>> _few(0.00002), _few(2.394)
    ('fewer than 0.01', 'about 2.39')
    """
    return "fewer than 0.01" if x < 0.01 else f"about {x:.2f}"


def _windows_section(d: Dict[str, Any]) -> List[str]:
    wins, cur = d["windows"], d["current"]
    tested = [w for w in wins if w.get("tested")]
    drifted = [w for w in tested if w["dataset_drift"]]
    where = f" on `{cur['timestamp']}`" if cur.get("timestamp") else ""
    out = ["## Windows", "",
           f"- {len(wins)} windows ({cur.get('window')}{where}); {len(wins) - len(tested)} not tested; "
           f"dataset drift in {len(drifted)}"]
    if d.get("calibration"):
        out.append(_thresholds_line(d["calibration"]))
    onsets = {c: s for c, s in (d.get("onsets") or {}).items() if s}
    if onsets:
        out.extend(f"- {code(c)} has drifted since {s}" for c, s in sorted(onsets.items(), key=lambda kv: kv[1]))
    else:
        out.append("- no column is drifting in the latest window")
    out.append("")
    shown = wins
    if len(wins) > WINDOWS_SHOWN:
        keep = {id(w) for w in wins[-LAST_SHOWN:]} | {id(w) for w in wins if any(
            r["drifted"] for r in w.get("columns", {}).values())}
        shown = [w for w in wins if id(w) in keep]
    out.append("| window start | rows | drifted columns | drift share | severity |")
    out.append("|---|---:|---|---:|---|")
    for w in shown:
        if not w.get("tested"):
            out.append(f"| {w['start']} | {_num(w['n'])} | not tested: {prose(w.get('reason'))} | | |")
            continue
        names = ", ".join(cell(c) for c, r in w["columns"].items() if r["drifted"]) or "none"
        out.append(f"| {w['start']} | {_num(w['n'])} | {names} | {_num(w['drift_share'])} | {w['severity']} |")
    if len(shown) < len(wins):
        out.append(f"\n{len(wins) - len(shown)} windows without a drifted column not shown (JSON has them all).")
    out.append("")
    return out


def methods_table(rows: List[Dict[str, Any]]) -> str:
    out = ["| id | name | column types | default threshold | drift when |", "|---|---|---|---:|---|"]
    for r in rows:
        when = f"{'p' if r['score_kind'] == 'p_value' else 'score'} {_SHOW[r['drift_rule']]} threshold"
        out.append(f"| {r['id']} | {r['name']} | {', '.join(r['column_types'])} | {r['default_threshold']} | {when} |")
    return "\n".join(out) + "\n"
