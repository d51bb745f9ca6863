"""The diagnosis page: the ranked causes with their evidence, and the timeline on a time axis."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from mlmon.render.html import svg
from mlmon.render.html.page import Figure, Page, Section, Stats, Table, Text, fmt


def epoch(stamp: Optional[str]) -> Optional[float]:
    """Seconds since 1970 of an ISO 8601 time (``Z`` or an offset; naive counts as UTC).

    >>> epoch("1970-01-02T00:00:00Z"), epoch("1970-01-01T01:00:00+01:00"), epoch("soon")
    (86400.0, 0.0, None)
    """
    if not stamp:
        return None
    try:
        t = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def time_ticks(lo: float, hi: float, n: int = 6) -> List[Tuple[float, str]]:
    """About ``n`` evenly spaced labelled times over [lo, hi] (dates; with hours under two days).

    >>> time_ticks(0, 86400 * 4, 2)
    [(0.0, '1970-01-01'), (172800.0, '1970-01-03'), (345600.0, '1970-01-05')]
    """
    if hi <= lo:
        return [(lo, datetime.fromtimestamp(lo, timezone.utc).strftime("%Y-%m-%d %H:%M"))]
    short = hi - lo < 2 * 86400
    step = (hi - lo) / n
    out = []
    for i in range(n + 1):
        t = lo + i * step
        out.append((t, datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M" if short else "%Y-%m-%d")))
    return out


def diagnose_page(data: Dict[str, Any]) -> Page:
    candidates = data.get("candidates") or []
    cause = data.get("primary_cause")
    verdict = (f"Most likely cause: {cause} (confidence {fmt(data.get('confidence'))})." if cause
               else "No cause stands out.")
    headline = [("primary cause", cause or "none"), ("confidence", data.get("confidence")),
                ("causes ranked", len(candidates)), ("timeline events", len(data.get("timeline") or []))]
    sections = [Section("At a glance", [Stats(headline)])]
    if data.get("recommended_actions"):
        sections[0].blocks.append(Text(items=data["recommended_actions"]))
    if candidates:
        chart = svg.hbars([c["cause"] for c in candidates], [c.get("score") or 0.0 for c in candidates],
                          "Ranked causes by score", "score (0 to 1)", top=1.0)
        sections.append(Section("Ranked causes", [Figure(
            chart, "Each candidate cause with its score; the first is the primary cause.",
            Table(["cause", "score", "evidence items"], [[c["cause"], c.get("score"), len(c.get("evidence") or [])]
                                                          for c in candidates], numeric=(1, 2)))]))
    timeline = data.get("timeline") or []
    points = [(epoch(e.get("timestamp")), e.get("event", "")) for e in timeline]
    placed = [(t, e) for t, e in points if t is not None]
    if placed:
        lo, hi = min(t for t, _ in placed), max(t for t, _ in placed)
        chart = svg.timeline(placed, time_ticks(lo, hi), "Timeline of the diagnosis")
        sections.append(Section("Timeline", [Figure(
            chart, "What happened when: the data periods, the last healthy window, the first anomaly and its "
                   "confirmation, and the events given, numbered in time order.",
            Table(["#", "time", "event"], [[str(i + 1), e.get("timestamp"), e.get("event")]
                                           for i, e in enumerate(timeline)]), wide=True)]))
    for c in candidates:
        rows = [[e.get("signal") or e.get("diagnostic"), e.get("diagnostic"), e.get("value"), e.get("baseline"),
                 e.get("threshold"), e.get("strength"), "yes" if e.get("supports") else "no", e.get("summary")]
                for e in c.get("evidence") or []]
        sections.append(Section(f"Evidence for {c['cause']} (score {fmt(c.get('score'))})", [Table(
            ["signal", "diagnostic", "value", "baseline", "threshold", "strength", "supports", "summary"], rows,
            numeric=(2, 3, 4, 5))], folded=c is not candidates[0]))
    if data.get("warnings"):
        sections.append(Section("Warnings", [Text(items=data["warnings"])]))
    return Page("mlmon diagnosis", verdict, "critical" if cause else "info", sections, {"kind": "diagnose", "result": data},
                badge="DIAGNOSIS")
