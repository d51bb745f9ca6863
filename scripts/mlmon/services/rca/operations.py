"""Serving health and traffic from the infrastructure series: latency, error rate and saturation
against the alert tiers, request volume against its baseline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import pandas as pd

from mlmon.io.infra import iso
from mlmon.services.rca.evidence import Evidence, fmt, pct, ratio_strength
from mlmon.services.rca.inputs import Context

SUSTAINED = 3  # points over a threshold before a breach counts in full


@dataclass
class OperationsFindings:
    infra: List[Evidence] = field(default_factory=list)
    volume: Optional[Evidence] = None
    coincidence: Optional[Evidence] = None       # a breach during a traffic surge
    first_breach: Optional[Tuple[pd.Timestamp, str]] = None
    first_surge: Optional[pd.Timestamp] = None


def _split(ctx: Context, infra: pd.DataFrame):
    """(baseline rows, current rows) of the infra series."""
    period = ctx.period()
    ts = infra["timestamp"]
    if period is not None:
        start, end = period
        current = infra[(ts >= start) & (ts <= end)]
        if ctx.ref_time is not None:
            baseline = infra[(ts >= ctx.ref_time.min()) & (ts <= ctx.ref_time.max()) & (ts < start)]
        else:
            baseline = infra[ts < start]
        if len(current) == 0:
            ctx.warnings.append("the infra series has no point inside the current data's period; it was read as a whole")
            return infra.iloc[:0], infra
        return baseline, current
    return infra.iloc[:0], infra


def operations(ctx: Context) -> OperationsFindings:
    out = OperationsFindings()
    infra = ctx.inputs.infra
    if infra is None:
        return out
    th = ctx.inputs.thresholds
    baseline, current = _split(ctx, infra)
    checks = [
        ("latency_p95_ms", th.latency_p95_ms, "above", "ms"),
        ("latency_p99_ms", th.latency_p99_ms, "above", "ms"),
        ("error_rate", th.error_rate_warning, "above", ""),
        ("cpu_utilization", th.saturation, "above", ""),
        ("memory_utilization", th.saturation, "above", ""),
    ]
    breach_times: List[pd.Timestamp] = []
    for metric, threshold, _, unit in checks:
        if metric not in current or current[metric].isna().all():
            continue
        ev, first = _breach(metric, current, baseline, threshold, unit)
        if ev:
            if metric == "error_rate" and ev.value is not None and ev.value > th.error_rate_critical:
                ev.details["tier"] = "critical"
            out.infra.append(ev)
            breach_times.append(first)
            if out.first_breach is None or first < out.first_breach[0]:
                out.first_breach = (first, metric)
    latency_breach = any(e.metric and e.metric.startswith("latency") for e in out.infra)
    if latency_breach and "gpu_utilization" in current and current["gpu_utilization"].notna().any():
        g = float(current["gpu_utilization"].median())
        if g < th.gpu_idle:
            out.infra.append(Evidence(
                "infrastructure", "gpu_idle",
                f"GPU utilisation median {pct(g)} while latency breached: the GPU waits for data (loading, preprocessing)",
                ratio_strength(th.gpu_idle / max(g, 1e-3)) * 0.8, metric="gpu_utilization", value=g, threshold=th.gpu_idle))
    out.infra.sort(key=lambda e: -e.strength)
    if "requests" in current and current["requests"].notna().any():
        _volume(out, current, baseline if len(baseline) else infra, th.traffic_ratio, bool(len(baseline)))
        if out.volume is not None and out.volume.supports and out.infra and out.first_surge is not None:
            surge = current[current["requests"] >= th.traffic_ratio * out.volume.baseline]["timestamp"]
            during = [t for t in breach_times if surge.min() <= t <= surge.max() + _step(infra)]
            if during:
                out.coincidence = Evidence(
                    "traffic", "breach_during_surge",
                    f"the serving breach began at {iso(min(during))}, during the traffic surge that began at {iso(out.first_surge)}",
                    out.volume.strength, metric="requests")
    return out


def _step(infra: pd.DataFrame) -> pd.Timedelta:
    d = infra["timestamp"].diff().dropna()
    return d.median() if len(d) else pd.Timedelta(0)


def _breach(metric, current, baseline, threshold, unit):
    values = current[metric]
    over = current[values > threshold]
    if over.empty:
        return None, None
    peak = float(values.max())
    n_over = len(over)
    strength = ratio_strength(peak / threshold) * (0.6 + 0.4 * min(1.0, n_over / SUSTAINED))
    base = float(baseline[metric].median()) if metric in baseline and baseline[metric].notna().any() else None
    first = over["timestamp"].iloc[0]
    u = f" {unit}" if unit else ""
    text = (f"{metric} peaked at {fmt(peak)}{u} against the threshold {fmt(threshold)}{u}, over it at {n_over} of "
            f"{len(current)} points from {iso(first)}")
    if base is not None:
        text += f" (baseline median {fmt(base)}{u})"
    return Evidence("infrastructure", metric, text, strength, metric=metric, value=peak, baseline=base,
                    threshold=threshold, details={"points_over": n_over, "points": len(current), "first_over": iso(first)}), first


def _volume(out: OperationsFindings, current, baseline, ratio, has_baseline):
    base = float(baseline["requests"].median())
    if not base > 0:
        return
    values = current["requests"]
    peak, low = float(values.max()), float(values.min())
    where = "baseline median" if has_baseline else "median of the whole series"
    up, down = peak / base, base / max(low, 1e-12)
    if up >= ratio:
        n = int((values >= ratio * base).sum())
        first = current[values >= ratio * base]["timestamp"].iloc[0]
        out.first_surge = first
        out.volume = Evidence(
            "traffic", "request_volume",
            f"requests peaked at {fmt(peak)}, {fmt(up)} times the {where} {fmt(base)}, at or above x{fmt(ratio)} "
            f"on {n} points from {iso(first)}",
            ratio_strength(up / ratio) * (0.6 + 0.4 * min(1.0, n / SUSTAINED)), metric="requests",
            value=peak, baseline=base, threshold=ratio * base, details={"points_over": n, "first_over": iso(first)})
    elif down >= ratio:
        n = int((values <= base / ratio).sum())
        out.volume = Evidence(
            "traffic", "request_volume",
            f"requests fell to {fmt(low)}, 1/{fmt(down)} of the {where} {fmt(base)}",
            ratio_strength(down / ratio) * (0.6 + 0.4 * min(1.0, n / SUSTAINED)), metric="requests",
            value=low, baseline=base, threshold=base / ratio)
    else:
        out.volume = Evidence(
            "traffic", "request_volume",
            f"requests stayed between {fmt(low)} and {fmt(peak)} against the {where} {fmt(base)} (no surge or drop of x{fmt(ratio)})",
            0.0, supports=False, metric="requests", value=peak, baseline=base, threshold=ratio * base)
