"""The incident's timeline, from real times only: the periods of the data, performance windows
(this run's and past runs' in the history store), the first breach or surge in the
infrastructure series, change events, and past drift runs. Nothing is placed on the timeline
without a timestamp that was measured or recorded."""

from __future__ import annotations

import json
from typing import Dict, List, Optional, Tuple

import pandas as pd

from mlmon.io.infra import iso, to_utc

HISTORY_RUNS = 20  # past runs read from the history store


def _t(text) -> Optional[pd.Timestamp]:
    try:
        return to_utc([text], "timeline").iloc[0]
    except Exception:
        return None


def _history_windows(store, model: Optional[str] = None) -> Tuple[List[Dict], List[Tuple[pd.Timestamp, str]]]:
    """Performance windows of past perf runs, and one line per past drift run, of ``model`` (and
    of runs recorded without a model) or, without one, of every model.

    A window is what the store says of it (``ml_metrics``: the window's period, each metric's
    latest value, realized superseding estimated, and its severity); runs recorded before rows
    kept their severity (schema version 3) fall back to the windows of their stored result. A
    drift check is placed at the start of the data period it describes, or, without one, when
    it was recorded."""
    if store is None:
        return [], []
    where, params = ("AND (model = ? OR model IS NULL) ", (model,)) if model else ("", ())
    try:
        runs = store.query("SELECT id, kind, created_at, severity, drift_share, period_start, period_end FROM runs "
                           f"WHERE kind IN ('perf', 'drift') {where}ORDER BY created_at DESC, id DESC LIMIT ?",
                           params + (HISTORY_RUNS,))
        perf = [r["id"] for r in runs if r["kind"] == "perf"]
        rows = store.query("SELECT run_id, metric, timestamp, window_end, value, kind, n, severity, known_at"
                           f" FROM ml_metrics WHERE run_id IN ({', '.join('?' * len(perf))})", perf) if perf else []
    except Exception:
        return [], []
    windows = _windows_of(rows)
    judged = {r["run_id"] for r in rows if r["severity"]}
    drift_lines: List[Tuple[pd.Timestamp, str]] = []
    for r in reversed(runs):
        if r["kind"] == "drift":
            drift_lines.append(_drift_line(r))
        elif r["id"] not in judged:
            windows += _result_windows(store, r["id"])
    return windows, drift_lines


def _windows_of(rows: List[Dict]) -> List[Dict]:
    from mlmon.services.history import latest_by_window

    rank = {"healthy": 0, "degraded": 1, "critical": 2}
    windows: Dict[str, Dict] = {}
    for r in sorted(latest_by_window(rows), key=lambda r: (r["timestamp"], r["metric"])):
        w = windows.setdefault(r["timestamp"], {"start": r["timestamp"], "end": r["window_end"], "n": r["n"],
                                                "severity": None, "metrics": {}, "estimated": {}, "source": "history"})
        w["metrics" if r["kind"] == "realized" else "estimated"][r["metric"]] = r["value"]
        if r["severity"] and rank.get(r["severity"], 0) >= rank.get(w["severity"] or "healthy", 0):
            w["severity"] = r["severity"]
    return [w for w in windows.values() if w["severity"]]


def _result_windows(store, run_id: int) -> List[Dict]:
    try:
        result = json.loads(store.query("SELECT result_json FROM runs WHERE id = ?", (run_id,))[0]["result_json"])
    except (IndexError, TypeError, ValueError):
        return []
    return [dict(w, source="history") for w in result.get("windows") or [] if w.get("start") and w.get("severity")]


def _drift_line(r: Dict) -> Tuple[pd.Timestamp, str]:
    share = r.get("drift_share")
    facts = f"severity {r.get('severity')}" + (f", drift share {share:.3g}" if isinstance(share, float) else "")
    start = _t(r["period_start"]) if r.get("period_start") else None
    if start is not None:
        end = _t(r["period_end"]) if r.get("period_end") else None
        span = f"{iso(start)} to {iso(end)}" if end is not None else f"from {iso(start)}"
        return start, f"history: drift check of the data {span}, {facts}"
    return pd.Timestamp(r["created_at"], unit="s", tz="UTC"), f"history: drift check recorded, {facts}"


def build_timeline(ctx, findings, verdict) -> List[Dict[str, str]]:
    entries: List[Tuple[pd.Timestamp, str]] = []
    if ctx.ref_time is not None:
        entries.append((ctx.ref_time.min(), f"reference data begins ({len(ctx.ref)} rows until {iso(ctx.ref_time.max())})"))
    if ctx.cur_time is not None:
        entries.append((ctx.cur_time.min(), f"current data begins ({len(ctx.cur)} rows until {iso(ctx.cur_time.max())})"))
    past, drift_lines = _history_windows(ctx.inputs.history, ctx.inputs.model)
    entries += drift_lines
    windows = {}
    for w in past + [dict(w, source="current data") for w in findings.performance.windows]:
        start = _t(w["start"])
        if start is not None:
            windows[start] = w  # this run's window wins over a recorded one with the same start
    ordered = sorted(windows.items())
    if ctx.cur_time is not None:
        # windows are aligned to the epoch, so the first may begin before the data does: a window
        # of this run is dated from its first row, never before the current data starts
        first_row = ctx.cur_time.min()
        ordered = [(max(start, first_row) if w["source"] == "current data" else start, w) for start, w in ordered]
    anomalies: List[Tuple[pd.Timestamp, str]] = []
    first_bad = next((i for i, (_, w) in enumerate(ordered) if w.get("severity") in ("degraded", "critical")), None)
    perf = findings.performance
    if first_bad is not None and ordered[first_bad][1].get("source") != "history" and not perf.confirmed:
        # this run's flagged windows that the rows since do not confirm are noise, not an anomaly
        start, w = ordered[first_bad]
        entries.append((start, f"performance window {w.get('severity')} ({_metrics_text(w)}), not confirmed over "
                               "all rows since (within noise)"))
        first_bad = None
    if first_bad is not None:
        if first_bad > 0:
            start, w = ordered[first_bad - 1]
            end = _t(w.get("end")) or start
            entries.append((end, f"last healthy window ends (window from {iso(start)}, {_metrics_text(w)}, {w['source']})"))
        start, w = ordered[first_bad]
        anomalies.append((start, f"first anomaly: performance window {w.get('severity')} ({_metrics_text(w)}, {w['source']})"))
        run = 0
        for start, w in ordered[first_bad:]:
            run = run + 1 if w.get("severity") in ("degraded", "critical") else 0
            if run >= max(1, findings.consecutive):
                end = _t(w.get("end")) or start
                entries.append((end, f"degradation confirmed: {run} non-healthy windows in a row ({w.get('severity')})"
                                     + (", and over all rows since the first" if perf.confirmed else "")))
                break
    ops = findings.operations
    if ops.first_breach is not None:
        anomalies.append((ops.first_breach[0], f"first anomaly: {ops.first_breach[1]} over its alert threshold"))
    if ops.first_surge is not None:
        anomalies.append((ops.first_surge, "first anomaly: request volume surge"))
    anomalies.sort(key=lambda a: a[0])
    if anomalies:
        entries.append(anomalies[0])
        entries += [(t, text.replace("first anomaly: ", "anomaly: ")) for t, text in anomalies[1:]]
    for ev in findings.changes.relevant:
        entries.append((ev.timestamp, f"change: {ev.type}: {ev.description}"))
    if findings.changes.none_recorded is not None and ctx.cur_time is not None:
        entries.append((ctx.cur_time.max(), f"change log: {findings.changes.none_recorded.summary.removeprefix('the change log ')}"))
    entries.sort(key=lambda e: e[0])
    return [{"timestamp": iso(t), "event": text} for t, text in entries]


def _metrics_text(w: Dict) -> str:
    metrics = w.get("metrics") or w.get("estimated") or {}
    parts = []
    for name in ("accuracy", "f1_score", "auc_roc", "rmse", "mae"):
        v = metrics.get(name)
        if isinstance(v, dict):
            v = v.get("value")
        if isinstance(v, (int, float)):
            parts.append(f"{name} {v:.3g}")
        if len(parts) == 2:
            break
    return ", ".join(parts) or f"{w.get('n', '?')} rows"
