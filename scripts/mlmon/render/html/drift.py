"""The drift page: verdict, the columns against their thresholds, each column's distributions, and
with windows a column × window heatmap and each column's score over time."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from mlmon.render.html import svg
from mlmon.render.html.page import Figure, Page, Raw, Section, Stats, Table, Text, esc, fmt, name, pct


def exceedance(score: Optional[float], threshold: Optional[float], rule: str) -> Optional[float]:
    """How far a score is towards its threshold: score/threshold for distances (drift at 1 and
    above), threshold/score for p-values (smaller is stronger); None when either is missing.

    >>> exceedance(0.2, 0.1, ">="), exceedance(0.01, 0.05, "<"), exceedance(None, 0.1, ">=")
    (2.0, 5.0, None)
    """
    if score is None or threshold is None:
        return None
    if rule.startswith("<"):
        return float("inf") if score == 0 else threshold / score
    return float("inf") if threshold == 0 else score / threshold


def all_columns(data: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Features, then the target and the prediction, by name."""
    cols = dict(data.get("columns") or {})
    for key in ("target_drift", "prediction_drift"):
        if data.get(key):
            cols[data[key]["column"]] = data[key]
    return cols


def compact_windows(data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The windows of a drift result as arrays per column (a quarter of the JSON's size)."""
    windows = data.get("windows")
    if windows is None:
        return None
    names = list(data.get("columns") or {})
    per = {c: {"score": [], "threshold": [], "drifted": []} for c in names}
    for w in windows:
        for c in names:
            r = (w.get("columns") or {}).get(c)
            per[c]["score"].append(r["score"] if r else None)
            per[c]["threshold"].append(r["threshold"] if r else None)
            per[c]["drifted"].append(r["drifted"] if r else None)
    return {
        "start": [w["start"] for w in windows], "end": [w["end"] for w in windows], "n": [w["n"] for w in windows],
        "tested": [w["tested"] for w in windows], "drift_share": [w.get("drift_share") for w in windows],
        "names": names, "columns": per,
    }


def drift_page(data: Dict[str, Any], distributions: Optional[Dict[str, Dict[str, Any]]] = None) -> Page:
    """The page of a drift result (``data``: its ``to_dict()``, options shown as flags);
    ``distributions`` from :func:`mlmon.services.distributions.drift_distributions`, or None
    (a result from profiles: scores without pictures of the values)."""
    distributions = distributions or {}
    cols = all_columns(data)
    windows = compact_windows(data)
    n, k = data["n_columns"], data["n_drifted"]
    verdict = (f"{'Dataset drift' if data['dataset_drift'] else 'No dataset drift'}: {k} of {n} columns drifted "
               f"({pct(data['drift_share'])}; dataset drift from {pct(data['drift_share_threshold'])}).")
    ref, cur = data.get("reference") or {}, data.get("current") or {}
    subtitle = f"reference {ref.get('path', '')} ({ref.get('rows', '–')} rows) · current {cur.get('path', '')} " \
               f"({cur.get('rows', '–')} rows)"
    if windows is not None:
        label = str(cur.get("window") or "")
        subtitle += (f" · {cur.get('windows')} chunks of {label.split(':', 1)[1]} rows" if label.startswith("chunk:")
                     else f" · {cur.get('windows')} windows of {label} ({cur.get('zone')})")
    headline = [("severity", data["severity"]), ("columns drifted", f"{k} of {n}"),
                ("drift share", pct(data["drift_share"])), ("reference rows", ref.get("rows")),
                ("current rows", cur.get("rows"))]
    if windows is not None:
        flagged = sum(1 for w in data["windows"] if w.get("dataset_drift"))
        headline.append(("windows with dataset drift", f"{flagged} of {len(data['windows'])}"))
    sections = [Section("At a glance", [Stats(headline), _columns_table(data, cols, distributions)])]
    if windows is not None:
        sections.extend(_window_sections(data, windows))
    sections.extend(_column_sections(data, cols, distributions))
    sections.extend(_notes(data))
    page_data = {"kind": "drift", "result": {k2: v for k2, v in data.items() if k2 != "windows"},
                 "windows": windows, "distributions": distributions}
    return Page("mlmon drift report", verdict, data["severity"], sections, page_data, subtitle)


def _arrow(a: Optional[float], b: Optional[float]) -> str:
    if a is None or b is None:
        return ""
    return " ↑" if b > a else " ↓" if b < a else " ="


def _missing_share(c: Dict[str, Any], side: str, rows: Optional[int]) -> Optional[float]:
    missing = c.get(f"{side}_missing")
    total = rows if rows else (c.get(f"{side}_count", 0) + (missing or 0))
    return None if missing is None or not total else missing / total


def _columns_table(data, cols, distributions) -> Table:
    rows = []
    order = sorted(cols, key=lambda c: (not cols[c]["drifted"], c not in (data.get("columns") or {})))
    for c in order:
        col = cols[c]
        bullet = svg.bullet(col["score"], col["threshold"], col["drift_rule"], col["drifted"],
                            f"{c}: score {fmt(col['score'])} against threshold {fmt(col['threshold'])}")
        d = distributions.get(c) or {}
        mean = ""
        if d.get("type") == "numerical":
            a, b = d["reference"]["mean"], d["current"]["mean"]
            mean = f"{fmt(a)} → {fmt(b)}{_arrow(a, b)}"
        elif d.get("moved"):
            m = d["moved"][0]
            mean = f"{esc(m['category'], 24)}: {pct(m['reference_share'])} → {pct(m['current_share'])}"
        rows.append([
            Raw(f'<a href="#col-{_anchor(c)}">{name(c, 32)}</a>'), col["role"], col["type"], col["method"],
            col["score"], col["threshold"], col.get("threshold_source", ""),
            Raw('<span class="flag">drifted</span>' if col["drifted"] else "no"), Raw(bullet), Raw(mean),
        ])
    return Table(["column", "role", "type", "test", "score", "threshold", "threshold from", "drifted",
                  "score against threshold (tick)", "mean or top moved category"], rows,
                 caption="Columns, drifted first. The bar is the score, the tick the threshold "
                         "(p-values as −log10 p, so further right is stronger drift).",
                 numeric=(4, 5))


def _anchor(column: str) -> str:
    import hashlib

    return hashlib.sha1(column.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _window_sections(data, windows) -> List[Section]:
    names = list(data.get("columns") or {})
    cols = data["columns"]
    labels = [svg.time_label(s) for s in windows["start"]]
    ratios, flags = [], []
    for c in names:
        rule = cols[c]["drift_rule"]
        per = windows["columns"][c]
        ratios.append([exceedance(s, t, rule) for s, t in zip(per["score"], per["threshold"])])
        flags.append([bool(f) for f in per["drifted"]])
    heat = svg.heatmap(names, labels, ratios, flags, "Score over threshold per column and window")
    table = Table(["window start", "rows", *names],
                  [[labels[i], windows["n"][i], *[Raw(_cell(windows["columns"][c], i)) for c in names]]
                   for i in range(len(labels))],
                  caption="Score / threshold per column and window; * marks a drifted window.",
                  numeric=tuple(range(1, len(names) + 2)))
    first = Section("Drift over time", [Figure(
        heat, "Each cell is one column in one window; darker is closer to or past its threshold "
              "(score / threshold, p-values as threshold / p); a black bar along its foot marks a drifted cell; "
              "blank cells were not tested.", table, wide=True)])
    figures = []
    onsets = data.get("onsets") or {}
    for c in names:
        per = windows["columns"][c]
        marks = []
        if onsets.get(c) in windows["start"]:
            marks.append({"index": windows["start"].index(onsets[c]), "label": "onset", "legend": "drift onset"})
        source = cols[c].get("threshold_source", "")
        chart = svg.series_chart(labels, [
            {"values": per["score"], "label": f"{cols[c]['method']} score", "cls": "s0", "points": True},
            {"values": per["threshold"], "label": f"threshold ({_sources(data, c) or source})", "cls": "thr"},
        ], f"{c}: {cols[c]['method']} score per window", cols[c]["method"], marks=marks, width=540, height=220)
        table = None
        if len(labels) <= WINDOWS_IN_TABLES:  # more: the heatmap's table has them (the page stays small)
            rows = [[labels[i], per["score"][i], per["threshold"][i], "yes" if per["drifted"][i] else
                     ("not tested" if per["drifted"][i] is None else "no")] for i in range(len(labels))]
            table = Table(["window start", "score", "threshold", "drifted"], rows, numeric=(1, 2))
        figures.append(Figure(chart, f"{c}: score per window against its threshold"
                                     + (f"; drift began in the window starting {onsets[c]}." if onsets.get(c) else ".")
                                     + ("" if table else " The numbers are in the table under the heatmap."), table))
    lines = Section("Scores per column", figures)
    return [first, lines]


#: Up to this many windows, each column's chart has its own table (beyond, the heatmap's table).
WINDOWS_IN_TABLES = 60


def _cell(per: Dict[str, list], i: int) -> str:
    if per["score"][i] is None:
        return "–"
    return f"{fmt(per['score'][i])} / {fmt(per['threshold'][i])}{' *' if per['drifted'][i] else ''}"


def _sources(data, column) -> str:
    found = {r["threshold_source"] for w in data["windows"] for c, r in (w.get("columns") or {}).items() if c == column}
    return ", ".join(sorted(found))


def _column_sections(data, cols, distributions) -> List[Section]:
    out = []
    ref_rows = (data.get("reference") or {}).get("rows")
    cur_rows = (data.get("current") or {}).get("rows")
    order = sorted(cols, key=lambda c: not cols[c]["drifted"])
    for c in order:
        col = cols[c]
        blocks: List[Any] = [Text([
            f"{col['method_name']} ({col['method']}): score {fmt(col['score'])}, threshold {fmt(col['threshold'])} "
            f"({col.get('threshold_source', 'default')}); drift when the score is {col['drift_rule']} the threshold: "
            f"{'drifted' if col['drifted'] else 'not drifted'}."])]
        d = distributions.get(c)
        if d and d["type"] == "numerical":
            blocks.append(_histogram(c, d))
        elif d and d["type"] == "categorical":
            blocks.append(_categories(c, d))
        blocks.append(_stats_table(col, d, ref_rows, cur_rows))
        if d and d.get("moved"):
            blocks.append(Table(["category", "reference share", "current share", "change"],
                                [[m["category"], pct(m["reference_share"]), pct(m["current_share"]),
                                  f"{100 * (m['current_share'] - m['reference_share']):+.3g} points"] for m in d["moved"]],
                                caption="Categories whose share moved most"))
        if col.get("new_categories"):
            blocks.append(Text(items=[f"new in the current data: {v}" for v in col["new_categories"][:20]]))
        title = f"{'drifted · ' if col['drifted'] else ''}{col['role']} "
        out.append(Section(c, blocks, folded=not col["drifted"], anchor=f"col-{_anchor(c)}",
                           title_html=Raw(f"{esc(title)}{name(c, 60)}")))
    return out


def _histogram(c, d) -> Figure:
    edges = d["edges"]
    r, k = d["reference"], d["current"]
    by_bin = _wide(d)
    if by_bin:  # shares per bin, each bin as wide as the next
        rs = [n / r["n"] if r["n"] else 0.0 for n in r["counts"]]
        ks = [n / k["n"] if k["n"] else 0.0 for n in k["counts"]]
        chart = svg.histogram(edges, rs, ks, f"{c}: reference and current distributions", c, by_bin=True)
    else:
        chart = svg.histogram(edges, r["density"], k["density"], f"{c}: reference and current distributions", c)
    rows = [[f"[{fmt(edges[i])}, {fmt(edges[i + 1])}{']' if i == len(edges) - 2 else ')'}", r["counts"][i],
             k["counts"][i]] for i in range(len(edges) - 1)]
    what = "Share of rows per bin" if by_bin else "Density"
    return Figure(chart, f"{what} over bins cut at the reference's 5 % quantiles (widened where the current data "
                         "reaches past them): solid the reference, hatched the current data."
                         + (" Every bin is drawn the same width: on a value axis the data would crowd into a "
                            "sliver of the range." if by_bin else ""),
                  Table(["bin", "reference rows", "current rows"], rows, numeric=(1, 2)))


#: Above this ratio of the whole range to the reference's middle 90 %, bins are drawn equally wide.
WIDE_RANGE = 20.0
#: ... and when a bin is narrower than 1/NARROW_BIN of the range (a point mass would spike).
NARROW_BIN = 500.0


def _wide(d) -> bool:
    """Whether the bins span so much more than the reference's bulk that densities on the value
    axis would squeeze it into one line (a unit change, a heavy tail)."""
    q = d["reference"]["quantiles"] or d["current"]["quantiles"]
    if not q:
        return False
    edges = d["edges"]
    bulk = q["p95"] - q["p05"]
    span = edges[-1] - edges[0]
    narrowest = min(b - a for a, b in zip(edges, edges[1:]))
    return span > WIDE_RANGE * bulk or narrowest < span / NARROW_BIN


def _categories(c, d) -> Figure:
    labels = list(d["categories"])
    r, k = list(d["reference"]["share"]), list(d["current"]["share"])
    if d["n_categories"] > len(labels):
        labels.append(f"other ({d['n_categories'] - len(d['categories'])} categories)")
        r.append(d["reference"]["other_share"])
        k.append(d["current"]["other_share"])
    chart = svg.category_bars(labels, r, k, f"{c}: share of each category")
    rows = [[lab, pct(a), pct(b)] for lab, a, b in zip(labels, r, k)]
    return Figure(chart, "Share of rows per category: solid the reference, hatched the current data "
                         f"({len(d['categories'])} most common of {d['n_categories']} shown).",
                  Table(["category", "reference", "current"], rows, numeric=(1, 2)))


def _stats_table(col, d, ref_rows, cur_rows) -> Table:
    rows = []
    if d and d["type"] == "numerical":
        r, k = d["reference"], d["current"]
        rows.append(["mean", r["mean"], k["mean"], _arrow(r["mean"], k["mean"]).strip()])
        for q in ("p05", "p25", "p50", "p75", "p95"):
            a, b = r["quantiles"].get(q), k["quantiles"].get(q)
            rows.append([q.replace("p0", "p"), a, b, _arrow(a, b).strip()])
    rows.append(["rows tested", col["reference_count"], col["current_count"], ""])
    a, b = _missing_share(col, "reference", ref_rows), _missing_share(col, "current", cur_rows)
    rows.append(["missing share", pct(a), pct(b), _arrow(a, b).strip()])
    return Table(["statistic", "reference", "current", "direction"], rows, numeric=(1, 2))


def _notes(data) -> List[Section]:
    out = []
    if data.get("multivariate"):
        mv = data["multivariate"]
        out.append(Section("Joint distribution", [Table(["test", "score", "threshold", "drifted"], [[
            mv.get("method", "mmd"), mv.get("score", mv.get("statistic")), mv.get("threshold"),
            "yes" if mv.get("drifted") else "no"]], numeric=(1, 2))]))
    if data.get("recommendations"):
        out.append(Section("What to do", [Text(items=data["recommendations"])]))
    notes = list(data.get("warnings") or []) + [f"{c}: {why}" for c, why in (data.get("skipped") or {}).items()]
    if notes:
        out.append(Section("Warnings and skipped columns", [Text(items=notes)]))
    return out
