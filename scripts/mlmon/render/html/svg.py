"""Charts as inline SVG strings: histograms, category bars, lines over windows with bands and
thresholds, a heatmap, a forest plot, a timeline, bars.

Each function takes numbers already computed (binned summaries, scores, intervals) and returns
one ``<svg>`` element with a ``<title>``, labelled axes and a legend. Colours are the Okabe–Ito
set (blue for the reference, vermillion for the current data) and every pair also differs in
shape (solid against hatched fill, solid against dashed line), so a page reads in grey too.
Nothing here computes a statistic: positions, ticks and labels only.
"""

from __future__ import annotations

import math
from typing import Callable, List, Optional, Sequence, Tuple

from mlmon.render.html.page import TITLE_LIMIT, esc, fmt

#: Pattern definitions every page carries once (charts refer to them by id).
DEFS = ('<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
        '<pattern id="mlmon-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#D55E00" fill-opacity=".12"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#D55E00" stroke-width="2.2"/></pattern></defs></svg>')

#: Heatmap classes: upper bounds of score/threshold per colour step (the last is open).
HEAT_STEPS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)


def _n(x: float) -> str:
    """A coordinate, short: two decimals, no trailing zeros."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _svg(width: int, height: int, title: str, body: str, cls: str = "", extra: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
            f' role="img" aria-label="{esc(title, 300)}"{c}{extra}><title>{esc(title, 300)}</title>{body}</svg>')


def _text(x: float, y: float, label: str, anchor: str = "start", limit: int = 40, extra: str = "") -> str:
    """A label from the data: escaped, cut to ``limit`` with the whole text as its hover title."""
    shown = esc(label, limit)
    title = f"<title>{esc(label, TITLE_LIMIT)}</title>" if len(str(label)) > limit else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{title}{shown}</text>'


def linear(d0: float, d1: float, r0: float, r1: float) -> Callable[[float], float]:
    if d1 == d0:
        d0, d1 = d0 - 0.5, d1 + 0.5
    k = (r1 - r0) / (d1 - d0)
    return lambda v: r0 + (v - d0) * k


def ticks(lo: float, hi: float, n: int = 5) -> List[float]:
    """About ``n`` round tick values covering [lo, hi].

    >>> ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    >>> ticks(3, 3)
    [3]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    out, v, i = [], start, 0
    while v <= hi + step * 1e-9 and i < 50:
        if v >= lo - step * 1e-9:
            out.append(v)
        i += 1
        v = start + i * step
    return out


def _tick_label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.2g}"
    return f"{v:.4g}"


def _yaxis(yt: Sequence[float], y: Callable, x0: float, x1: float, labels=None, span=None) -> str:
    """Ticks and grid lines at ``yt``; the axis line runs over ``span`` (the plot's value range)."""
    out = ['<g class="axis">']
    for i, t in enumerate(yt):
        py = y(t)
        out.append(f'<line class="grid" x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(py)}" y2="{_n(py)}"/>')
        text = labels[i] if labels else _tick_label(t)
        out.append(f'<text x="{_n(x0 - 4)}" y="{_n(py + 3.5)}" text-anchor="end">{esc(text)}</text>')
    lo, hi = span if span else ((yt[0], yt[-1]) if yt else (None, None))
    if lo is not None:
        out.append(f'<line x1="{_n(x0)}" x2="{_n(x0)}" y1="{_n(y(lo))}" y2="{_n(y(hi))}"/>')
    return "".join(out) + "</g>"


def _ylabel(x: float, y: float, label: str) -> str:
    return f'<text transform="translate({_n(x)},{_n(y)}) rotate(-90)" text-anchor="middle">{esc(label, 60)}</text>'


def _xaxis(xt: Sequence[Tuple[float, str]], y0: float, x0: float, x1: float, label: str, width: int) -> str:
    out = [f'<g class="axis"><line x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y0)}" y2="{_n(y0)}"/>']
    for px, text in xt:
        half = 3.2 * min(len(text), 30)  # about half the label's width
        anchor = "start" if px - half < 2 else "end" if px + half > width - 2 else "middle"
        out.append(f'<line x1="{_n(px)}" x2="{_n(px)}" y1="{_n(y0)}" y2="{_n(y0 + 4)}"/>')
        out.append(f'<text x="{_n(px)}" y="{_n(y0 + 16)}" text-anchor="{anchor}">{esc(text, 30)}</text>')
    out.append(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(y0 + 32)}" text-anchor="middle">{esc(label, 80)}</text></g>')
    return "".join(out)


def _legend(items: Sequence[Tuple[str, str]], x: float, y: float, max_x: float = 10_000) -> str:
    """``(kind, label)`` swatches in rows that wrap at ``max_x``; kind: ``ref``/``cur`` (boxes),
    ``h0``.. (heat steps) or a line class."""
    return _legend_rows(items, x, y, max_x)[0]


def _legend_rows(items: Sequence[Tuple[str, str]], x: float, y: float, max_x: float = 10_000) -> Tuple[str, int]:
    out, px, rows = [], x, 1
    for kind, label in items:
        w = 26 + 6.2 * min(len(label), 60)
        if px + w > max_x and px > x:
            px, y, rows = x, y + 15, rows + 1
        if kind == "drift-bar":
            out.append(f'<rect x="{_n(px)}" y="{_n(y - 3)}" width="14" height="3" fill="#000"/>')
        elif kind in ("ref", "cur", "cov", "hit", "dot"):
            out.append(f'<rect class="{kind}" x="{_n(px)}" y="{_n(y - 9)}" width="14" height="10"/>')
        elif kind.startswith("h"):
            out.append(f'<rect class="{kind}" x="{_n(px)}" y="{_n(y - 9)}" width="14" height="10" stroke="#999"/>')
        else:
            out.append(f'<line class="{kind}" x1="{_n(px)}" x2="{_n(px + 14)}" y1="{_n(y - 4)}" y2="{_n(y - 4)}"/>')
        out.append(f'<text x="{_n(px + 18)}" y="{_n(y)}">{esc(label, 60)}</text>')
        px += w
    return "".join(out), rows


# ---------------------------------------------------------------------------- distributions


def histogram(edges: Sequence[float], reference: Sequence[float], current: Sequence[float], title: str,
              xlabel: str, width: int = 520, height: int = 230, by_bin: bool = False) -> str:
    """Reference (solid) and current (hatched) over the same bins ``edges``: densities on the
    value axis, or with ``by_bin`` the share of rows per bin with every bin the same width (for
    data whose range dwarfs the reference's: a unit change), the x axis labelled by bin edges."""
    ml, mr, mt, mb = 56, 12, 24, 42
    top = max([*reference, *current, 0.0]) or 1.0
    k = len(edges) - 1
    x = linear(0, k, ml, width - mr) if by_bin else linear(edges[0], edges[-1], ml, width - mr)
    y = linear(0, top * 1.05, height - mb, mt)
    yt = ticks(0, top * 1.05, 4)
    body = [_yaxis(yt, y, ml, width - mr, [f"{100 * t:.3g} %" for t in yt] if by_bin else None, span=(0, top * 1.05)),
            _ylabel(14, (mt + height - mb) / 2, "share of rows" if by_bin else "density")]
    for cls, values in (("ref", reference), ("cur", current)):
        parts = []
        for i, v in enumerate(values):
            if v <= 0:
                continue
            x0, x1 = (x(i), x(i + 1)) if by_bin else (x(edges[i]), x(edges[i + 1]))
            parts.append(f"M{_n(x0)} {_n(y(0))}V{_n(y(v))}H{_n(max(x1, x0 + 0.6))}V{_n(y(0))}z")
        body.append(f'<path class="{cls}" d="{"".join(parts)}"/>')
    if by_bin:
        step = max(1, math.ceil(k / 6))
        xt = [(x(i), _tick_label(edges[i])) for i in range(0, k + 1, step)]
        xlabel = f"{xlabel} (bins of equal width on screen, edges labelled)"
    else:
        xt = [(x(t), _tick_label(t)) for t in ticks(edges[0], edges[-1], 6)]
    body.append(_xaxis(xt, height - mb, ml, width - mr, xlabel, width))
    body.append(_legend([("ref", "reference"), ("cur", "current")], ml + 6, 14))
    return _svg(width, height, title, "".join(body))


def category_bars(labels: Sequence[str], reference: Sequence[float], current: Sequence[float], title: str,
                  width: int = 520) -> str:
    """Shares per category: reference (solid) above current (hatched), one pair per row."""
    row = 26
    ml, mr, mt, mb = 150, 84, 24, 40
    height = mt + mb + row * max(1, len(labels))
    top = max([*reference, *current, 0.0]) or 1.0
    x = linear(0, top * 1.08, ml, width - mr)
    body = []
    for t in ticks(0, top * 1.08, 4):
        body.append(f'<line class="grid" x1="{_n(x(t))}" x2="{_n(x(t))}" y1="{mt}" y2="{height - mb}"/>')
    for i, (lab, r, c) in enumerate(zip(labels, reference, current)):
        y0 = mt + i * row
        body.append(_text(ml - 6, y0 + 16, lab, "end", 22))
        body.append(f'<rect class="ref" x="{ml}" y="{_n(y0 + 3)}" width="{_n(max(0, x(r) - ml))}" height="10"/>')
        body.append(f'<rect class="cur" x="{ml}" y="{_n(y0 + 13)}" width="{_n(max(0, x(c) - ml))}" height="10"/>')
        body.append(f'<text x="{_n(max(x(r), x(c)) + 4)}" y="{_n(y0 + 17)}">{esc(f"{100 * r:.1f}→{100 * c:.1f} %")}</text>')
    xt = [(x(t), f"{100 * t:.3g} %") for t in ticks(0, top * 1.08, 4)]
    body.append(_xaxis(xt, height - mb, ml, width - mr, "share of rows", width))
    body.append(_legend([("ref", "reference"), ("cur", "current")], ml, 14))
    return _svg(width, height, title, "".join(body))


def bullet(score: Optional[float], threshold: Optional[float], rule: str, drifted: bool, title: str,
           width: int = 150, height: int = 18) -> str:
    """A score as a bar against its threshold (a black tick); p-values on a log scale, so that a
    score past the threshold is always further right."""
    if score is None or threshold is None:
        return _svg(width, height, title, '<text x="2" y="13">–</text>')
    pvalue = rule.startswith("<")
    if pvalue:  # smaller is stronger: show -log10(p)
        tiny = 1e-300
        s, t = -math.log10(max(score, tiny)), -math.log10(max(threshold, tiny))
    else:
        s, t = score, threshold
    top = max(s, t, 1e-12) * 1.15
    x = linear(0, top, 2, width - 2)
    cls = "hit" if drifted else "dot"
    return _svg(width, height, title,
                f'<rect x="2" y="5" width="{_n(width - 4)}" height="8" fill="#eee"/>'
                f'<rect class="{cls}" x="2" y="5" width="{_n(max(0.8, x(s) - 2))}" height="8"/>'
                f'<line x1="{_n(x(t))}" x2="{_n(x(t))}" y1="1" y2="17" stroke="#000" stroke-width="2"/>',
                cls="bullet")


# ---------------------------------------------------------------------------- over windows


def time_label(stamp: Optional[str]) -> str:
    """A window start for an axis: the date, with the time when it is not midnight.

    >>> time_label("2026-11-04T00:00:00+00:00"), time_label("2026-11-04T06:00:00+00:00"), time_label(None)
    ('2026-11-04', '2026-11-04 06:00', '')
    """
    if not stamp:
        return ""
    s = str(stamp)
    if len(s) >= 16 and s[10] == "T":
        return s[:10] if s[11:19] in ("00:00:00", "00:00") else s[:10] + " " + s[11:16]
    return s[:20]


def _window_ticks(labels: Sequence[str], x: Callable, n: int = 7) -> List[Tuple[float, str]]:
    W = len(labels)
    if W == 0:
        return []
    step = max(1, math.ceil(W / n))
    return [(x(i), labels[i]) for i in range(0, W, step)]


def _path(values: Sequence[Optional[float]], x: Callable, y: Callable) -> str:
    parts, pen = [], False
    for i, v in enumerate(values):
        if v is None:
            pen = False
            continue
        parts.append(f"{'L' if pen else 'M'}{_n(x(i))} {_n(y(v))}")
        pen = True
    return "".join(parts)


def _band(lo: Sequence[Optional[float]], hi: Sequence[Optional[float]], x: Callable, y: Callable) -> str:
    """Closed areas between ``lo`` and ``hi``, one per run of windows that have both."""
    out, run = [], []
    for i, (a, b) in enumerate(zip(lo, hi)):
        if a is None or b is None:
            if run:
                out.append(run)
            run = []
        else:
            run.append((i, a, b))
    if run:
        out.append(run)
    d = []
    for r in out:
        if len(r) == 1:
            i, a, b = r[0]
            r = [(i - 0.3, a, b), (i + 0.3, a, b)]
        d.append("M" + "L".join(f"{_n(x(i))} {_n(y(b))}" for i, _, b in r)
                 + "L" + "L".join(f"{_n(x(i))} {_n(y(a))}" for i, a, _ in reversed(r)) + "z")
    return "".join(d)


def series_chart(labels: Sequence[str], series: Sequence[dict], title: str, ylabel: str, *,
                 hlines: Sequence[dict] = (), marks: Sequence[dict] = (), width: int = 560, height: int = 240,
                 y_floor: Optional[float] = None, xlabel: str = "window start") -> str:
    """Values per window (x: the windows in order, labelled by ``labels``).

    ``series``: ``{"values", "label", "cls"}`` (cls ``s0``/``s1``/``thr``/``refline``), optional
    ``"band": (lower, upper)`` drawn under it and ``"points": True`` for a dot per window;
    ``hlines``: ``{"y", "label", "cls"}`` across the chart; ``marks``: ``{"index", "label"}``
    vertical lines at windows (an onset, an alert)."""
    ml, mr, mt, mb = 58, 16, 30, 44
    legend = [(s["cls"], s["label"]) for s in series]
    legend += [(h["cls"], h["label"]) for h in hlines if h.get("y") is not None]
    if marks:
        legend.append(("onset", marks[0].get("legend", "marked window")))
    legend_svg, legend_rows = _legend_rows(legend, ml, 14, width - mr)
    mt += 15 * (legend_rows - 1)
    height += 15 * (legend_rows - 1)
    vals = [v for s in series for v in s["values"] if v is not None]
    for s in series:
        for side in s.get("band") or ():
            vals.extend(v for v in side if v is not None)
    vals.extend(h["y"] for h in hlines if h.get("y") is not None)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if y_floor is not None:
        lo = min(lo, y_floor)
    pad = (hi - lo) * 0.06 or (abs(hi) * 0.1 or 1.0)
    lo, hi = lo - pad, hi + pad
    W = max(1, len(labels))
    x = linear(0, max(1, W - 1), ml + 6, width - mr - 6) if W > 1 else (lambda i: (ml + width - mr) / 2)
    y = linear(lo, hi, height - mb, mt)
    yt = ticks(lo, hi, 4)
    body = [_yaxis(yt, y, ml, width - mr, span=(lo, hi)), _ylabel(14, (mt + height - mb) / 2, ylabel)]
    for s in series:
        if s.get("band"):
            body.append(f'<path class="{s.get("band_cls", "band")}" d="{_band(s["band"][0], s["band"][1], x, y)}"/>')
    for h in hlines:
        if h.get("y") is None:
            continue
        py = y(h["y"])
        body.append(f'<line class="{h["cls"]}" x1="{ml}" x2="{width - mr}" y1="{_n(py)}" y2="{_n(py)}"/>')
    for m in marks:
        px = x(m["index"])
        body.append(f'<line class="onset" x1="{_n(px)}" x2="{_n(px)}" y1="{mt}" y2="{height - mb}"/>'
                    f'<text x="{_n(px + 3)}" y="{mt + 10}">{esc(m["label"], 40)}</text>')
    for s in series:
        d = _path(s["values"], x, y)
        if d:
            body.append(f'<path class="{s["cls"]}" d="{d}"/>')
        if s.get("points") and W <= 120:
            r = 4.5 if s.get("point_cls") == "hit" else 2.2
            dots = "".join(f'M{_n(x(i) - r)} {_n(y(v))}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0'
                           for i, v in enumerate(s["values"]) if v is not None)
            body.append(f'<path class="{s.get("point_cls", "mark")}" d="{dots}"/>')
    longest = max((len(t) for t in labels), default=1)
    fit = max(2, int((width - ml - mr) // (7 * longest + 16)))  # labels a gap apart, never overlapping
    body.append(_xaxis(_window_ticks(labels, x, fit), height - mb, ml, width - mr, xlabel, width))
    body.append(legend_svg)
    return _svg(width, height, title, "".join(body))


def coverage_bars(labels: Sequence[str], shares: Sequence[Optional[float]], title: str, ylabel: str,
                  width: int = 560, height: int = 170) -> str:
    """A bar per window of a share in [0, 1] (label coverage)."""
    ml, mr, mt, mb = 58, 16, 14, 44
    W = max(1, len(labels))
    band = (width - ml - mr) / W
    y = linear(0, 1, height - mb, mt)
    body = [_yaxis([0, 0.5, 1], y, ml, width - mr, ["0 %", "50 %", "100 %"]),
            _ylabel(14, (mt + height - mb) / 2, ylabel)]
    d = []
    for i, s in enumerate(shares):
        if s is None or s <= 0:
            continue
        x0 = ml + i * band + band * 0.12
        d.append(f"M{_n(x0)} {_n(y(0))}V{_n(y(s))}h{_n(max(0.6, band * 0.76))}V{_n(y(0))}z")
    body.append(f'<path class="cov" d="{"".join(d)}"/>')
    xt = [(ml + (i + 0.5) * band, t) for i, t in ((i, labels[i]) for i in range(0, W, max(1, math.ceil(W / 7))))
          ] if labels else []
    body.append(_xaxis(xt, height - mb, ml, width - mr, "window start", width))
    return _svg(width, height, title, "".join(body))


def heat_class(ratio: Optional[float]) -> str:
    """The colour step of score/threshold (``hn``: not tested).

    >>> [heat_class(r) for r in (None, 0.1, 0.99, 1.0, 5.0)]
    ['hn', 'h0', 'h3', 'h4', 'h7']
    """
    if ratio is None:
        return "hn"
    for i, bound in enumerate(HEAT_STEPS):
        if ratio < bound:
            return f"h{i}"
    return f"h{len(HEAT_STEPS)}"


def heatmap(rows: Sequence[str], labels: Sequence[str], ratios: Sequence[Sequence[Optional[float]]],
            drifted: Sequence[Sequence[Optional[bool]]], title: str, width: int = 1100) -> str:
    """Columns (rows) × windows: the colour says score/threshold, a black bar along its foot marks
    a drifted cell. Cells of one colour are one path, so 25 × 365 cells stay small."""
    ml, mr, mt, mb = 170, 10, 30, 48
    row = 16 if len(rows) <= 40 else 10
    height = mt + mb + row * max(1, len(rows))
    W = max(1, len(labels))
    cw = (width - ml - mr) / W
    paths: dict = {}
    marks = []
    for r, (line, flags) in enumerate(zip(ratios, drifted)):
        y0 = mt + r * row
        for w, v in enumerate(line):
            x0 = ml + w * cw
            paths.setdefault(heat_class(v), []).append(f"M{_n(x0)} {_n(y0)}h{_n(cw)}v{row - 1}h{_n(-cw)}z")
            if flags[w]:  # a bar along the cell's foot: visible however narrow the cell
                marks.append(f"M{_n(x0)} {_n(y0 + row - 4)}h{_n(cw)}v3h{_n(-cw)}z")
    body = [f'<path class="{cls}" d="{"".join(d)}"/>' for cls, d in sorted(paths.items())]
    if marks:
        body.append(f'<path fill="#000" d="{"".join(marks)}"/>')
    for r, name in enumerate(rows):
        body.append(_text(ml - 6, mt + r * row + row * 0.7, name, "end", 26))
    xt = [(ml + (i + 0.5) * cw, t) for i, t in ((i, labels[i]) for i in range(0, W, max(1, math.ceil(W / 8))))]
    body.append(_xaxis(xt, height - mb, ml, width - mr, "window start", width))
    steps = ["<0.25", "<0.5", "<0.75", "<1", "<1.5", "<2", "<4", "≥4"]
    legend = [(f"h{i}", s) for i, s in enumerate(steps)] + [("hn", "not tested"), ("drift-bar", "drifted")]
    body.append(_legend(legend, ml, 14))
    body.append(f'<text x="{ml - 6}" y="14" text-anchor="end">score / threshold:</text>')
    # where the cells are, for the page's hover (window and column of the cell under the pointer)
    grid = f' data-heat="{ml} {mt} {_n(cw)} {row} {len(rows)} {W}"'
    return _svg(width, height, title, "".join(body), extra=grid)


# ---------------------------------------------------------------------------- experiments, causes, time


def forest(rows: Sequence[dict], title: str, xlabel: str, width: int = 560) -> str:
    """A point and its interval per row (``{"label", "value", "lower", "upper", "strong"}``), a
    line at zero; strong rows (significant) get a filled marker, the others an open one."""
    row = 28
    ml, mr, mt, mb = 190, 20, 24, 44
    height = mt + mb + row * max(1, len(rows))
    vals = [v for r in rows for v in (r["value"], r["lower"], r["upper"]) if v is not None] + [0.0]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.08 or 0.1
    x = linear(lo - pad, hi + pad, ml, width - mr)
    body = []
    for t in ticks(lo - pad, hi + pad, 5):
        body.append(f'<line class="grid" x1="{_n(x(t))}" x2="{_n(x(t))}" y1="{mt}" y2="{height - mb}"/>')
    body.append(f'<line class="thr" x1="{_n(x(0))}" x2="{_n(x(0))}" y1="{mt - 4}" y2="{height - mb}"/>')
    for i, r in enumerate(rows):
        cy = mt + i * row + row / 2
        body.append(_text(ml - 8, cy + 4, r["label"], "end", 30))
        if r["lower"] is not None and r["upper"] is not None:
            body.append(f'<line x1="{_n(x(r["lower"]))}" x2="{_n(x(r["upper"]))}" y1="{_n(cy)}" y2="{_n(cy)}" '
                        f'stroke="#0072B2" stroke-width="2.5"/>')
            for end in (r["lower"], r["upper"]):
                body.append(f'<line x1="{_n(x(end))}" x2="{_n(x(end))}" y1="{_n(cy - 5)}" y2="{_n(cy + 5)}" '
                            f'stroke="#0072B2" stroke-width="2"/>')
        if r["value"] is not None:
            fill = "#D55E00" if r.get("strong") else "#fff"
            body.append(f'<rect x="{_n(x(r["value"]) - 5)}" y="{_n(cy - 5)}" width="10" height="10" fill="{fill}" '
                        f'stroke="#000" stroke-width="1.5"/>')
    xt = [(x(t), f"{100 * t:.3g} %") for t in ticks(lo - pad, hi + pad, 5)]
    body.append(_xaxis(xt, height - mb, ml, width - mr, xlabel, width))
    body.append('<rect x="{0}" y="5" width="10" height="10" fill="#D55E00" stroke="#000"/>'
                '<text x="{1}" y="14">significant</text>'
                '<rect x="{2}" y="5" width="10" height="10" fill="#fff" stroke="#000"/>'
                '<text x="{3}" y="14">not significant</text>'.format(ml, ml + 14, ml + 100, ml + 114))
    return _svg(width, height, title, "".join(body))


def hbars(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str, width: int = 560,
          top: Optional[float] = None) -> str:
    """One horizontal bar per label (ranked causes and their scores)."""
    row = 24
    ml, mr, mt, mb = 170, 50, 10, 40
    height = mt + mb + row * max(1, len(labels))
    top = top or max([*values, 1e-12])
    x = linear(0, top, ml, width - mr)
    body = []
    for t in ticks(0, top, 4):
        body.append(f'<line class="grid" x1="{_n(x(t))}" x2="{_n(x(t))}" y1="{mt}" y2="{height - mb}"/>')
    for i, (lab, v) in enumerate(zip(labels, values)):
        y0 = mt + i * row
        body.append(_text(ml - 6, y0 + 15, lab, "end", 26))
        body.append(f'<rect class="{"hit" if i == 0 else "dot"}" x="{ml}" y="{_n(y0 + 4)}" '
                    f'width="{_n(max(0.8, x(v) - ml))}" height="14"/>')
        body.append(f'<text x="{_n(x(v) + 4)}" y="{_n(y0 + 15)}">{esc(fmt(v))}</text>')
    xt = [(x(t), _tick_label(t)) for t in ticks(0, top, 4)]
    body.append(_xaxis(xt, height - mb, ml, width - mr, xlabel, width))
    return _svg(width, height, title, "".join(body))


def timeline(points: Sequence[Tuple[float, str]], ticks_at: Sequence[Tuple[float, str]], title: str,
             width: int = 1100) -> str:
    """Events on a time axis (``(epoch seconds, label)``), labels staggered on four rows."""
    ml, mr, mt, mb = 30, 30, 16, 44
    lanes = 4
    height = mt + mb + 22 * lanes + 20
    ts = [p[0] for p in points] + [t for t, _ in ticks_at]
    lo, hi = (min(ts), max(ts)) if ts else (0, 1)
    x = linear(lo, hi, ml + 10, width - mr - 10)
    axis_y = height - mb
    body = []
    for i, (t, label) in enumerate(points):
        px = x(t)
        ly = mt + 14 + 22 * (i % lanes)
        anchor = "end" if px > width * 0.7 else "start"
        dx = -4 if anchor == "end" else 4
        body.append(f'<line x1="{_n(px)}" x2="{_n(px)}" y1="{_n(ly + 3)}" y2="{_n(axis_y)}" stroke="#999"/>'
                    f'<circle cx="{_n(px)}" cy="{_n(axis_y)}" r="4" class="hit"/>')
        body.append(_text(px + dx, ly, f"{i + 1}. {label}", anchor, 60))
    body.append(_xaxis([(x(t), s) for t, s in ticks_at], axis_y, ml, width - mr, "time (UTC)", width))
    return _svg(width, height, title, "".join(body))
