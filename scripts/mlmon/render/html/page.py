"""A page: a title, a verdict, sections of charts and tables; one self-contained HTML file.

Every page mlmon writes (drift, perf, diagnose, ab) is a :class:`Page` of :class:`Section` s, each
holding blocks: :class:`Figure` (an inline SVG chart with its caption and a table that says the
same in text), :class:`Table`, :class:`Text` and :class:`Stats` (label/value pairs). A new page
(the history page, say) builds the same objects from its result and calls :func:`render_page`.

The file needs nothing else: styles are inline, charts are SVG written here (no script library,
no font, no request to any network), and the numbers the page was drawn from sit in a
``<script type="application/json" id="mlmon-data">`` block, escaped so that no value can close it.
Text from the data (column names, categories, warnings) is cut and escaped by :func:`esc` and
:func:`name`; a long name is shortened with the whole of it in a ``title`` (shown on hover).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

from mlmon.render.text import clean

#: Characters of a name shown in place; the whole name is in the hover title.
NAME_LIMIT = 48
#: Characters of a name kept in a hover title (a column name can be a megabyte).
TITLE_LIMIT = 2_000
#: Characters of one sentence from the data (a warning, an evidence summary).
TEXT_LIMIT = 600


def esc(value: Any, limit: int = TEXT_LIMIT) -> str:
    """``value`` as one line of text, cut to ``limit`` characters and HTML-escaped (quotes too).

    >>> esc('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return html.escape(clean(value, limit), quote=True)


def name(value: Any, limit: int = NAME_LIMIT) -> str:
    """A name from the data for HTML: escaped, shortened past ``limit`` characters with the whole
    name (up to :data:`TITLE_LIMIT`) in a ``title`` attribute.

    >>> name("amount")
    '<span class="name">amount</span>'
    >>> name("x" * 60, 10)
    '<span class="name" title="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">xxxxxxxxx…</span>'
    """
    text = str(value)
    if len(clean(text, TITLE_LIMIT)) <= limit:
        return f'<span class="name">{esc(text, limit)}</span>'
    return f'<span class="name" title="{esc(text, TITLE_LIMIT)}">{esc(text, limit)}</span>'


def fmt(x: Any, digits: int = 4) -> str:
    """A number as the page shows it: ``digits`` significant digits, ``–`` for none.

    >>> fmt(0.123456), fmt(65.25647), fmt(None), fmt(3), fmt(True), fmt(1e-12)
    ('0.1235', '65.26', '–', '3', 'yes', '1e-12')
    """
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}g}"


def pct(x: Optional[float], digits: int = 3) -> str:
    """A share as a percentage.

    >>> pct(0.125), pct(None)
    ('12.5 %', '–')
    """
    return "–" if x is None else f"{100 * x:.{digits}g} %"


class Raw(str):
    """Markup this module or :mod:`.svg` made (already escaped): put into the page as it is."""


Cell = Union[str, int, float, None, Raw]


@dataclass
class Table:
    """A table; str cells are escaped, numbers go through :func:`fmt`, :class:`Raw` cells stay."""

    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    numeric: Sequence[int] = ()  # columns aligned right

    def html(self) -> str:
        head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in self.header)
        body = []
        for row in self.rows:
            cells = []
            for i, c in enumerate(row):
                tag = "th scope=\"row\"" if i == 0 else "td"
                cls = ' class="num"' if i in self.numeric else ""
                cells.append(f"<{tag}{cls}>{_cell(c)}</{tag.split()[0]}>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        cap = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        return f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _cell(c: Cell) -> str:
    if isinstance(c, Raw):
        return str(c)
    if c is None or isinstance(c, (int, float)):
        return fmt(c)
    return esc(c)


@dataclass
class Figure:
    """A chart: ``svg`` from :mod:`.svg`, a caption saying what it shows, and ``table`` (the text
    alternative, folded under the chart)."""

    svg: str
    caption: str
    table: Optional[Table] = None
    wide: bool = False

    def html(self) -> str:
        alt = ""
        if self.table is not None:
            alt = f"<details class=\"alt\"><summary>Table of this chart</summary>{self.table.html()}</details>"
        cls = "chart wide" if self.wide else "chart"
        found = _WIDTH.search(self.svg)  # the caption wraps at the chart's width
        size = f' style="width:{found.group(1)}px"' if found and not self.wide else ""
        return f'<figure class="{cls}"{size}>{self.svg}<figcaption>{esc(self.caption)}</figcaption>{alt}</figure>'


_WIDTH = re.compile(r'^<svg[^>]* width="(\d+)"')


@dataclass
class Text:
    """Paragraphs (escaped) or, with ``items``, a list."""

    paragraphs: Sequence[str] = ()
    items: Sequence[str] = ()

    def html(self) -> str:
        out = [f"<p>{esc(p)}</p>" for p in self.paragraphs]
        if self.items:
            out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in self.items) + "</ul>")
        return "".join(out)


@dataclass
class Stats:
    """Headline figures: label → value (numbers formatted, text escaped)."""

    pairs: Sequence[tuple]

    def html(self) -> str:
        items = "".join(f"<div><dt>{esc(k)}</dt><dd>{_cell(v)}</dd></div>" for k, v in self.pairs)
        return f'<dl class="stats">{items}</dl>'


Block = Union[Figure, Table, Text, Stats, Raw]


@dataclass
class Section:
    """A titled part of the page; ``folded`` sections start closed (detail on demand)."""

    title: str
    blocks: List[Block] = field(default_factory=list)
    folded: bool = False
    title_html: Optional[str] = None  # a Raw title (a column name with its hover)
    anchor: Optional[str] = None

    def html(self) -> str:
        title = self.title_html if self.title_html is not None else esc(self.title)
        inner = "".join(b if isinstance(b, Raw) else b.html() for b in self.blocks)
        ident = f' id="{esc(self.anchor)}"' if self.anchor else ""
        if self.folded:
            return f'<section{ident}><details><summary><h2>{title}</h2></summary>{inner}</details></section>'
        return f"<section{ident}><h2>{title}</h2>{inner}</section>"


@dataclass
class Page:
    """A whole report. ``verdict`` is the one-line answer; ``level`` one of ``healthy``,
    ``degraded``, ``critical`` or ``info`` (it also gets a word, so colour is never the only cue)."""

    title: str
    verdict: str
    level: str
    sections: List[Section]
    data: Dict[str, Any]
    subtitle: str = ""
    badge: Optional[str] = None  # the verdict's first word (default: the level)


def data_json(data: Dict[str, Any]) -> str:
    """``data`` as JSON that cannot end its ``<script>`` block or open a comment: ``<``, ``>``
    and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (JSON.parse reads them back unchanged).

    >>> data_json({"a": "</script><!--"})
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_page(page: Page) -> str:
    """The HTML document of ``page``."""
    from mlmon.render.html.svg import DEFS

    body = "".join(s.html() for s in page.sections)
    sub = f'<p class="sub">{esc(page.subtitle)}</p>' if page.subtitle else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; script-src 'sha256-" + _SCRIPT_HASH + "'\">"
        f"<title>{esc(page.title, 200)}</title><style>{CSS}</style></head><body>{DEFS}"
        f"<header><h1>{esc(page.title, 200)}</h1>{sub}"
        f'<p class="verdict {esc(page.level)}"><b>{esc(page.badge or page.level.upper())}</b> {esc(page.verdict)}</p></header>'
        f"<main>{body}</main>"
        "<footer>Written by mlmon. Charts draw binned summaries; the numbers are in the tables under each "
        "chart and, as JSON, in this file.</footer>"
        f'<script type="application/json" id="mlmon-data">{data_json(page.data)}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


#: Opens folded parts before printing (closed <details> would print empty), and names the cell
#: under the pointer on a heatmap (column, window, score and threshold, from the page's data).
SCRIPT = """addEventListener('beforeprint',function(){document.querySelectorAll('details')\
.forEach(function(d){d.open=true})});
document.querySelectorAll('svg[data-heat]').forEach(function(s){
var g=s.getAttribute('data-heat').split(' ').map(Number),w=JSON.parse(
document.getElementById('mlmon-data').textContent).windows,t=document.createElement('div');
function f(x){return x===null?'\u2013':String(Number(x.toPrecision(4)))}
t.className='tip';t.setAttribute('role','status');document.body.appendChild(t);
s.addEventListener('mousemove',function(e){var p=s.createSVGPoint();p.x=e.clientX;p.y=e.clientY;
p=p.matrixTransform(s.getScreenCTM().inverse());var i=Math.floor((p.x-g[0])/g[2]),
r=Math.floor((p.y-g[1])/g[3]);if(i<0||r<0||i>=g[5]||r>=g[4]){t.style.display='none';return}
var n=w.names[r],c=w.columns[n];t.textContent=n+' \u00b7 '+w.start[i]+': score '+f(c.score[i])+
' / threshold '+f(c.threshold[i])+(c.drifted[i]?' (drifted)':'');t.style.display='block';
t.style.left=(e.pageX+14)+'px';t.style.top=(e.pageY+14)+'px'});
s.addEventListener('mouseleave',function(){t.style.display='none'})});"""


def _hash(script: str) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


_SCRIPT_HASH = _hash(SCRIPT)

CSS = """
:root{--ref:#0072B2;--cur:#D55E00;--thr:#000;--ok:#009E73;--warn:#E69F00;--bad:#CC3311;--ink:#1b1b1b;--mute:#5a5a5a;--rule:#d0d0d0}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);margin:0 auto;max-width:1180px;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0;display:inline}h3{font-size:15px;margin:12px 0 4px}
section{border-top:1px solid var(--rule);padding:12px 0}
section>h2{display:block;margin-bottom:8px}
summary{cursor:pointer}
.sub{color:var(--mute);margin:0 0 8px}
.verdict{font-size:16px;padding:8px 12px;border-left:6px solid var(--mute);background:#f4f4f4;margin:8px 0}
.verdict.healthy{border-color:var(--ok)}.verdict.degraded{border-color:var(--warn)}.verdict.critical{border-color:var(--bad)}
.name{overflow-wrap:break-word;word-break:normal}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
caption{text-align:left;color:var(--mute);padding-bottom:2px}
th,td{border-bottom:1px solid var(--rule);padding:3px 8px;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--ink)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.flag{font-weight:600}
figure{margin:8px 24px 16px 0;display:inline-block;vertical-align:top;max-width:100%}
figure.wide{display:block}
figure svg{display:block;max-width:100%;height:auto}
figcaption{color:var(--mute);font-size:12.5px}
details.alt summary{font-size:12px;color:var(--mute)}
dl.stats{display:flex;flex-wrap:wrap;gap:8px 28px;margin:6px 0}
dl.stats div{min-width:120px}dt{color:var(--mute);font-size:12px}dd{margin:0;font-size:18px;font-weight:600}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:var(--ink)}
svg .axis line,svg .axis path{stroke:#444;stroke-width:1}
svg .grid,svg .axis .grid{stroke:#e6e6e6}
svg .ref{fill:var(--ref);fill-opacity:.55;stroke:var(--ref)}
svg .cur{fill:url(#mlmon-hatch);stroke:var(--cur);stroke-width:1.5}
svg .curline{fill:none;stroke:var(--cur);stroke-width:2}
svg .refline{fill:none;stroke:var(--ref);stroke-width:2;stroke-dasharray:6 3}
svg .thr{stroke:var(--thr);stroke-width:1.5;stroke-dasharray:4 3;fill:none}
svg .band{fill:var(--ref);fill-opacity:.18;stroke:none}
svg .band2{fill:var(--cur);fill-opacity:.15;stroke:none}
svg .s0{fill:none;stroke:var(--ref);stroke-width:2}
svg .s1{fill:none;stroke:var(--cur);stroke-width:2;stroke-dasharray:7 3}
svg .tier1{stroke:var(--warn);stroke-width:1.5;stroke-dasharray:2 3}
svg .tier2{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:8 3}
svg .onset{stroke:#CC79A7;stroke-width:2.5}
svg .mark{fill:var(--ink)}
svg .dot{fill:var(--ref);stroke:#fff}
svg .hit{fill:var(--cur);stroke:var(--ink)}
svg .cov{fill:#999}
svg .h0{fill:#ffffe5}svg .h1{fill:#fff7bc}svg .h2{fill:#fee391}svg .h3{fill:#fec44f}svg .h4{fill:#fe9929}
svg .h5{fill:#ec7014}svg .h6{fill:#cc4c02}svg .h7{fill:#8c2d04}svg .hn{fill:#fff;stroke:#bbb}
.tip{position:absolute;display:none;background:#fff;border:1px solid #888;padding:3px 6px;font-size:12px;
max-width:480px;overflow-wrap:anywhere;pointer-events:none;box-shadow:0 1px 4px rgba(0,0,0,.2)}
footer{color:var(--mute);font-size:12px;border-top:1px solid var(--rule);padding-top:8px;margin-top:16px}
@media print{body{max-width:none;padding:0;font-size:11px}section{break-inside:avoid-page}
figure{break-inside:avoid}details::details-content{content-visibility:visible;display:contents}
.verdict{background:none}}
"""
