"""The performance page: each metric over windows with its interval, the baseline and the alert
tiers, estimated beside realized, and label coverage per window."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from mlmon.render.html import svg
from mlmon.render.html.page import Figure, Page, Section, Stats, Table, Text, fmt, pct


#: More windows than this: their table starts folded (the charts come first).
FOLD_WINDOWS = 31


def metric_names(data: Dict[str, Any]) -> List[str]:
    """Every metric any window or the baseline reports (realized or estimated), primary first."""
    seen: Dict[str, None] = {m: None for m in data.get("primary") or []}
    for w in data.get("windows") or []:
        for key in ("metrics", "estimated"):
            seen.update({m: None for m in (w.get(key) or {})})
    seen.update({m: None for m in ((data.get("baseline") or {}).get("metrics") or {})})
    return list(seen)


def tier_values(metric: str, base: Optional[float], tiers: Dict[str, float]) -> Dict[str, Optional[float]]:
    """The metric's values at the warning and critical relative drops from ``base``.

    >>> tier_values("accuracy", 0.8, {"warning": 0.05, "critical": 0.25})
    {'warning': 0.76, 'critical': 0.6000000000000001}
    >>> tier_values("log_loss", 0.5, {"warning": 0.1})
    {'warning': 0.55}
    """
    from mlmon.stats.direction import value_at_drop

    if base is None:
        return {k: None for k in tiers}
    return {k: value_at_drop(metric, base, t) for k, t in tiers.items()}


def perf_page(data: Dict[str, Any]) -> Page:
    windows = data.get("windows") or []
    labels = [svg.time_label(w.get("start")) or str(i + 1) for i, w in enumerate(windows)]
    base = data.get("baseline") or {}
    by_reference = data.get("baseline_kind") == "reference"
    primary = set(data.get("primary") or [])
    tiers = data.get("tiers") or {}
    worst = [i for i, w in enumerate(windows) if w.get("severity") in ("degraded", "critical")]
    verdict = (f"{len(worst)} of {len(windows)} windows degraded or critical against the "
               f"{'reference' if by_reference else 'previous window'}"
               + (f"; first at {windows[worst[0]]['start']}." if worst else "."))
    cols = data.get("columns") or {}
    subtitle = f"{data.get('task')} model" + (f" {data['model']}" if data.get("model") else "") + \
               f" · target {cols.get('target')} · {data.get('rows')} rows, {data.get('labeled_rows')} labeled"
    headline = [("severity", data.get("severity")), ("windows", len(windows)), ("rows", data.get("rows")),
                ("labeled rows", data.get("labeled_rows")), ("baseline", data.get("baseline_kind")),
                ("tiers (relative drop)", f"warning {pct(tiers.get('warning'))}, critical {pct(tiers.get('critical'))}")]
    sections = [Section("At a glance", [Stats(headline)])]
    figures = []
    marks = [{"index": worst[0], "label": windows[worst[0]].get("severity", ""), "legend": "first alert"}] if worst else []
    for m in metric_names(data):
        figures.append(_metric_figure(m, data, labels, base if by_reference else {}, m in primary, tiers, marks))
    sections.append(Section("Metrics over windows", figures))
    coverage = [None if not w.get("n") else w.get("n_labeled", 0) / w["n"] for w in windows]
    sections.append(Section("Label coverage", [Figure(
        svg.coverage_bars(labels, coverage, "Share of each window's rows with a label", "labeled"),
        "Share of each window's rows that have a label; where it is low, the estimated metrics carry the window.",
        Table(["window start", "rows", "labeled", "labeled share"],
              [[labels[i], w.get("n"), w.get("n_labeled"), pct(coverage[i])] for i, w in enumerate(windows)],
              numeric=(1, 2, 3)))]))
    sections.append(Section("Windows", [_window_table(data, labels)], folded=len(windows) > FOLD_WINDOWS))
    if data.get("estimation"):
        est = data["estimation"]
        sections.append(Section("Estimation", [Table(["setting", "value"], [[k, v if isinstance(v, (int, float)) or v is None
                                                                            else str(v)] for k, v in est.items()],
                                                     numeric=(1,))], folded=True))
    if data.get("warnings"):
        sections.append(Section("Warnings", [Text(items=data["warnings"])]))
    level = data.get("severity") if data.get("severity") in ("healthy", "degraded", "critical") else "info"
    return Page("mlmon performance report", verdict, level, sections, {"kind": "perf", "result": data}, subtitle)


def _metric_figure(m, data, labels, base, primary, tiers, marks) -> Figure:
    windows = data.get("windows") or []
    realized = [(w.get("metrics") or {}).get(m) for w in windows]
    lo = [((w.get("intervals") or {}).get(m) or {}).get("lower") for w in windows]
    hi = [((w.get("intervals") or {}).get(m) or {}).get("upper") for w in windows]
    est = [(w.get("estimated") or {}).get(m) for w in windows]
    elo = [((w.get("estimated_intervals") or {}).get(m) or {}).get("lower") for w in windows]
    ehi = [((w.get("estimated_intervals") or {}).get(m) or {}).get("upper") for w in windows]
    series = []
    if any(v is not None for v in realized):
        series.append({"values": realized, "label": "realized (95 % interval)", "cls": "s0", "band": (lo, hi),
                       "points": True})
    if any(v is not None for v in est):
        series.append({"values": est, "label": "estimated (CBPE, 95 %)", "cls": "s1", "band": (elo, ehi),
                       "band_cls": "band2", "points": True, "point_cls": "hit"})
    baseline = (base.get("metrics") or {}).get(m)
    hlines = [{"y": baseline, "label": "baseline", "cls": "refline"}]
    if primary and baseline is not None:
        t = tier_values(m, baseline, tiers)
        hlines += [{"y": t.get("warning"), "label": "warning", "cls": "tier1"},
                   {"y": t.get("critical"), "label": "critical", "cls": "tier2"}]
    chart = svg.series_chart(labels, series, f"{m} per window", m, hlines=hlines, marks=marks, width=540, height=230)
    rows = [[labels[i], realized[i], lo[i], hi[i], est[i], w.get("severity")] for i, w in enumerate(windows)]
    caption = f"{m}{' (primary: severity watches it)' if primary else ''} per window with its 95 % interval"
    if baseline is not None:
        caption += f"; baseline {fmt(baseline)} from the reference"
    return Figure(chart, caption + ".", Table(["window start", m, "lower", "upper", "estimated", "severity"], rows,
                                              numeric=(1, 2, 3, 4)))


def _window_table(data, labels) -> Table:
    rows = []
    for i, w in enumerate(data.get("windows") or []):
        drops = w.get("drops") or {}
        worst = max(drops.items(), key=lambda kv: kv[1] if kv[1] is not None else float("-inf")) if drops else None
        rows.append([labels[i], w.get("n"), w.get("n_labeled"), w.get("severity"), w.get("severity_basis"),
                     f"{worst[0]} {pct(worst[1])}" if worst and worst[1] is not None else "–"])
    return Table(["window start", "rows", "labeled", "severity", "judged on", "largest drop"], rows,
                 caption="Windows and their severity", numeric=(1, 2))
