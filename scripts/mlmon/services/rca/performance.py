"""Performance change for a diagnosis: the model's metrics on the current data against the
reference, realized where labels exist, estimated (from the model's probabilities) where they do
not, and per time window for the timeline. The metrics come from the performance service."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pandas as pd

from mlmon.io.infra import to_utc
from mlmon.services.rca.evidence import Evidence, fmt, pct, ratio_strength
from mlmon.services.rca.inputs import Context

PRIMARY = {
    "binary": ("accuracy", "f1_score", "auc_roc"),
    "multiclass": ("accuracy", "f1_score"),
    "regression": ("rmse", "mae", "r2_score"),
}


@dataclass
class PerfFindings:
    available: bool
    kind: str = "realized"                    # realized | estimated
    degraded: bool = False
    evidence: List[Evidence] = field(default_factory=list)
    windows: List[Dict[str, Any]] = field(default_factory=list)   # start, end, severity, metrics
    baseline: Dict[str, float] = field(default_factory=dict)
    current: Dict[str, float] = field(default_factory=dict)
    confirmed: Optional[bool] = None          # flagged windows confirmed on all rows since the first
    since: Optional[str] = None
    # drops past the current value's interval but under the warning tier: real, yet no alert
    below_tier: List[Evidence] = field(default_factory=list)


WINDOW_ROWS = 300     # rows a timeline window should hold on average, so its severity means something
MAX_WINDOWS = 24


def _options(ctx: Context, timestamp: Optional[str], window: Optional[str] = None):
    from mlmon.services.performance import PerfOptions

    i = ctx.inputs
    th = i.thresholds
    return PerfOptions(task=ctx.task, target=i.target, prediction=i.prediction, proba=i.proba, timestamp=timestamp,
                       window=window, estimate=not i.target, warning_drop=th.accuracy_drop,
                       critical_drop=max(th.accuracy_drop_critical, th.accuracy_drop))


def timeline_window(ctx: Context) -> Optional[str]:
    """A window width giving about :data:`WINDOW_ROWS` rows per window (whole minutes, hours or
    days), for the per-window severities the timeline reads."""
    if ctx.cur_time is None or len(ctx.cur) < 2 * WINDOW_ROWS:
        return None
    span = (ctx.cur_time.max() - ctx.cur_time.min()).total_seconds()
    count = int(min(MAX_WINDOWS, max(2, len(ctx.cur) // WINDOW_ROWS)))
    width = span / count
    if width <= 0:
        return None
    for unit, seconds in (("D", 86400), ("h", 3600), ("min", 60)):
        if width >= seconds:
            return f"{max(1, int(round(width / seconds)))}{unit}"
    return "1min"


def _lower_is_better():
    from mlmon.services.performance import LOWER_IS_BETTER

    return LOWER_IS_BETTER


def _value(m: Any) -> Optional[float]:
    if isinstance(m, dict):
        m = m.get("value")
    if m is None:
        return None
    try:
        v = float(m)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def compute(ctx: Context, current: pd.DataFrame, timestamp: Optional[str] = None,
            window: Optional[str] = None) -> Dict[str, Any]:
    """The performance service's result for ``current`` against the reference, as a dict."""
    from mlmon.services.performance import compute_performance

    return compute_performance(current, _options(ctx, timestamp, window), reference=ctx.ref).to_dict()


def performance(ctx: Context) -> PerfFindings:
    i = ctx.inputs
    if ctx.task is None or not (i.prediction or i.proba):
        ctx.warnings.append("no prediction or probability column: performance change not measured")
        return PerfFindings(False)
    if not i.target and not (ctx.task == "binary" and i.proba):
        ctx.warnings.append("no target column (and no probability to estimate from): performance change not measured")
        return PerfFindings(False)
    overall = compute(ctx, ctx.cur)
    findings = PerfFindings(True)
    base = ((overall.get("baseline") or {}).get("metrics")) or {}
    windows = overall.get("windows") or []
    if not windows:
        return findings
    findings.evidence, findings.degraded, findings.kind = _assess(ctx, base, windows[0], "now")
    findings.below_tier = [e for e in findings.evidence if not e.supports and e.strength > 0]
    for name in PRIMARY.get(ctx.task, ()):
        e = next((e for e in findings.evidence if e.metric == name), None)
        if e is not None:
            findings.baseline[name], findings.current[name] = e.baseline, e.value
    window = timeline_window(ctx)
    if not window:
        return findings
    try:
        windowed = compute(ctx, ctx.cur, i.timestamp, window)
    except Exception as exc:  # windows only feed the timeline and the confirmation below
        ctx.warnings.append(f"per-window performance not computed: {exc}")
        return findings
    findings.windows = [dict(x, severity=x["severity"] if clearly_worse(x, base, findings.kind) else "healthy",
                             reported_severity=x.get("severity"))
                        for x in windowed.get("windows") or [] if x.get("start") and x.get("n")]
    _confirm(ctx, findings, base)
    return findings


def _assess(ctx: Context, base: Dict[str, Any], w: Dict[str, Any], label: str):
    """Evidence per primary metric of window ``w`` against the baseline, and whether it degraded:
    a drop past the tier with the baseline outside the window's interval."""
    metrics, intervals, kind = w.get("metrics") or {}, w.get("intervals") or {}, "realized"
    if w.get("severity_basis") == "estimated" or not any(_value(v) is not None for v in metrics.values()):
        metrics, intervals, kind = (w.get("estimated") or {}), (w.get("estimated_intervals") or {}), "estimated"
    threshold = ctx.inputs.thresholds.accuracy_drop
    evidence: List[Evidence] = []
    degraded = False
    for name in PRIMARY.get(ctx.task, ()):
        b, c = _value(base.get(name)), _value(metrics.get(name))
        if b is None or c is None or b == 0:
            continue
        lower_better = name in _lower_is_better()
        drop = (c - b) / abs(b) if lower_better else (b - c) / abs(b)
        iv = intervals.get(name) or {}
        lo, hi = _value(iv.get("lower")), _value(iv.get("upper"))
        # a drop inside the current value's interval is not yet a degradation
        clear = (hi is None or b > hi) if not lower_better else (lo is None or b < lo)
        strength = ratio_strength(drop / threshold) if drop > 0 and clear else 0.0
        degraded |= drop >= threshold and clear
        evidence.append(Evidence(
            "performance", name,
            f"{name} {fmt(b)} in the reference, {fmt(c)} {label} ({kind}): "
            f"{'a drop' if drop > 0 else 'a change'} of {pct(abs(drop))} against the {pct(threshold)} tier"
            + (f", interval {fmt(lo)} to {fmt(hi)}" if lo is not None and hi is not None else ""),
            strength, supports=drop >= threshold and clear, metric=name, value=c, baseline=b, threshold=threshold,
            details={"relative_drop": round(drop, 6), "kind": kind, "rows": w.get("n"),
                     **({"lower": lo, "upper": hi} if lo is not None and hi is not None else {})}))
    evidence.sort(key=lambda e: -e.strength)
    return evidence, degraded, kind


def _confirm(ctx: Context, findings: PerfFindings, base: Dict[str, Any]) -> None:
    """Windows flagged in a row are confirmed (or not) on all rows since the first of them, so
    a change in the middle of the period is seen without trusting one small window's noise."""
    need = max(1, ctx.inputs.thresholds.consecutive_windows)
    run, first = 0, None
    for k, w in enumerate(findings.windows):
        if w["severity"] in ("degraded", "critical"):
            run += 1
            first = k if run == 1 else first
            if run >= need:
                break
        else:
            run, first = 0, None
    if first is None or run < need:
        return
    since = findings.windows[first]["start"]
    start = to_utc([since], "performance window").iloc[0]
    rows = (ctx.cur_time >= start).to_numpy()
    if rows.sum() < 30 or rows.all():
        findings.confirmed = findings.degraded
        return
    result = compute(ctx, ctx.cur.loc[rows])
    windows = result.get("windows") or []
    if not windows:
        return
    evidence, degraded, _ = _assess(ctx, base, windows[0], f"since {since}")
    findings.confirmed = degraded
    findings.since = since
    if degraded:
        findings.degraded = True
        findings.evidence = sorted(evidence + findings.evidence, key=lambda e: -e.strength)


def clearly_worse(window: Dict[str, Any], baseline: Dict[str, Any], kind: str) -> bool:
    """A window's non-healthy severity stands when, for a primary metric past the tier, the
    baseline lies outside the window's interval (a small window's noise alone does not count)."""
    if window.get("severity") not in ("degraded", "critical"):
        return False
    values = window.get("estimated" if kind == "estimated" else "metrics") or {}
    intervals = window.get("estimated_intervals" if kind == "estimated" else "intervals") or {}
    lower_better = _lower_is_better()
    for name, drop in (window.get("drops") or {}).items():
        b, iv = _value(baseline.get(name)), intervals.get(name) or {}
        lo, hi = _value(iv.get("lower")), _value(iv.get("upper"))
        if b is None or drop is None or drop <= 0 or _value(values.get(name)) is None:
            continue
        if name in lower_better and (lo is None or b < lo):
            return True
        if name not in lower_better and (hi is None or b > hi):
            return True
    return False
