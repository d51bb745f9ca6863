"""One window judged: its realized and estimated metrics, which of them decide, and its severity.

Severity is the largest relative drop of a primary metric from the baseline (``(base - value) /
|base|``, or its negative for metrics where lower is better) against the tiers: above
``warning_drop`` ``degraded``, above ``critical_drop`` ``critical``. Realized metrics decide where
the window has enough labels; estimated ones otherwise.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from mlmon.errors import option
from mlmon.jsonsafe import finite
from mlmon.services.performance.options import PerfOptions
from mlmon.stats.direction import relative_drop
from mlmon.services.performance.result import PerfWindow
from mlmon.services.performance.windows import Windows
from mlmon.stats import classification as cls

SEVERITY_ORDER = {"healthy": 0, "degraded": 1, "critical": 2}

#: AUC's interval needs this many labels of every class in the window (with fewer, every
#: bootstrap draw ranks the same handful of rows and the interval collapses onto the value).
MIN_PER_CLASS_AUC = 5


def judge_window(w: int, win: Windows, n: int, n_labeled: int, realized: cls.WindowMetrics,
                 est: Optional[cls.WindowMetrics], flags: Optional[List[Dict[str, Any]]],
                 baseline: Optional[Dict[str, Any]], primary: List[str], o: PerfOptions,
                 smallest_class: Optional[int] = None) -> PerfWindow:
    """Window ``w``'s metrics and severity against ``baseline`` (``{"metrics": {...}}`` or None).

    ``smallest_class``: the labels of the window's rarest class (classification), which decides
    whether AUC's interval means anything."""
    row = PerfWindow(start=win.starts[w], end=win.ends[w], n=n, n_labeled=n_labeled,
                     unlabeled_share=finite(1 - n_labeled / n) if n else None)
    if n == 0:
        row.notes.append("empty window: no predictions in this period")
    elif n_labeled == 0:
        row.notes.append("no labels yet in this window")
    if n_labeled:
        _realized(row, w, realized, o, smallest_class)
    if est is not None and n:
        _estimated(row, w, est, flags)
    if n_labeled and (n_labeled >= o.min_labeled or row.estimated is None):
        row.severity_basis = "realized"
    elif row.estimated is not None:
        row.severity_basis = "estimated"
    values = row.judged_values
    if baseline is not None and values:
        _severity(row, values, baseline, primary, o)
    elif n and baseline is not None:
        row.notes.append("severity not assessed: no labels" + ("" if o.estimate else f" (add {option('estimate')})"))
    return row


def _realized(row: PerfWindow, w: int, realized: cls.WindowMetrics, o: PerfOptions,
              smallest_class: Optional[int] = None) -> None:
    few = row.n_labeled < o.min_labeled
    few_auc = smallest_class is not None and smallest_class < MIN_PER_CLASS_AUC
    for k, v in realized.values.items():
        row.metrics[k] = finite(v[w])
        if row.metrics[k] is not None and (few or (few_auc and k == "auc_roc")):
            row.too_small.append(k)  # the value stays; an interval from so few labels would only mislead
            row.intervals[k] = {"lower": None, "upper": None}
            continue
        row.intervals[k] = {"lower": finite(realized.lower[k][w]), "upper": finite(realized.upper[k][w])}
    if "auc_roc" in row.metrics and row.metrics["auc_roc"] is None:
        row.notes.append("auc_roc undefined: the window's labels hold one class only" if o.task == "binary"
                         else "auc_roc undefined: a class is missing from the window's labels")
    if few:
        row.notes.append(f"window too small: {row.n_labeled} labels (fewer than {o.min_labeled}), "
                         "too few for intervals; its metrics mean little")
    elif "auc_roc" in row.too_small:
        row.notes.append(f"window too small for auc_roc's interval: {smallest_class} labels of the rarest class "
                         f"(fewer than {MIN_PER_CLASS_AUC})")


def _estimated(row: PerfWindow, w: int, est: cls.WindowMetrics, reliability: List[Dict[str, Any]]) -> None:
    row.estimated = {k: finite(v[w]) for k, v in est.values.items()}
    row.estimated_intervals = {k: {"lower": finite(est.lower[k][w]), "upper": finite(est.upper[k][w])}
                               for k in est.values}
    r = reliability[w]
    row.estimation = {"reliable": r["reliable"], "reasons": list(r["reasons"]),
                      **{k: finite(v) for k, v in r.items() if k.endswith("_share")}}




def tier(worst_drop: float, warning_drop: float, critical_drop: float) -> str:
    """``critical`` above the critical tier, ``degraded`` above the warning one, else ``healthy``.

    >>> tier(0.10, 0.05, 0.15), tier(0.15, 0.05, 0.15), tier(0.2, 0.05, 0.15)
    ('degraded', 'degraded', 'critical')
    """
    if worst_drop > critical_drop:
        return "critical"
    if worst_drop > warning_drop:
        return "degraded"
    return "healthy"


def _severity(row: PerfWindow, values: Dict[str, Optional[float]], baseline: Dict[str, Any],
              primary: List[str], o: PerfOptions) -> None:
    intervals = row.intervals if row.severity_basis == "realized" else row.estimated_intervals or {}
    for m in primary:
        base, value = baseline["metrics"].get(m), values.get(m)
        if base is None or value is None or base == 0:
            continue
        row.drops[m] = relative_drop(m, base, value)
        # outside the window's own interval, the baseline value is not explained by noise
        iv = intervals.get(m) or {}
        if iv.get("lower") is not None and iv.get("upper") is not None:
            row.drop_beyond_noise[m] = not (iv["lower"] <= base <= iv["upper"])
    row.severity = tier(max(row.drops.values(), default=0.0), o.warning_drop, o.critical_drop)
    if row.severity != "healthy":
        worst_metric = max(row.drops, key=row.drops.get)
        if row.drop_beyond_noise.get(worst_metric) is False:
            row.notes.append(f"{worst_metric}'s drop is within the window's 95% interval: it may be noise")


def worst(severities) -> str:
    """The most severe of ``severities`` (``healthy`` when there are none)."""
    return max(severities, key=SEVERITY_ORDER.get, default="healthy")

