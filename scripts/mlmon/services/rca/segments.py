"""Coverage: current rows in regions the reference never covered (a category it never saw, a
value outside its range), and whether the model's errors concentrate there: a new user segment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from mlmon.services.rca.evidence import Evidence, fmt, pct, pvalue_strength, ratio_strength
from mlmon.services.rca.inputs import Context
from mlmon.stats.concept import residual_shift
from mlmon.stats.value_spike import share_increase


@dataclass
class CoverageFindings:
    covered: np.ndarray                       # current rows inside the reference's range
    share_uncovered: float
    segments: List[Dict] = field(default_factory=list)   # column, description, rows
    evidence: Optional[Evidence] = None
    concentration: Optional[Evidence] = None  # errors uncovered vs covered
    covered_vs_reference: Optional[Evidence] = None


def coverage(ctx: Context, skip=()) -> CoverageFindings:
    """``skip``: columns already flagged as pipeline faults (their values are out of range
    because they are broken, not because the population changed)."""
    n = len(ctx.cur)
    outside = np.zeros(n, dtype=bool)
    segments: List[Dict] = []
    for c in [c for c in ctx.numerical if c not in skip]:
        r = ctx.ref[c].to_numpy(dtype=float, na_value=np.nan)
        k = ctx.cur[c].to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(r).any():
            continue
        lo, hi = np.nanmin(r), np.nanmax(r)
        below, above = k < lo, k > hi
        for mask, text in ((below, f"{c} < {fmt(lo)}"), (above, f"{c} > {fmt(hi)}")):
            if mask.any():
                segments.append({"column": c, "segment": text, "rows": int(mask.sum())})
        outside |= below | above
    for c in [c for c in ctx.categorical if c not in skip]:
        seen = set(pd.Series(ctx.ref[c]).dropna().astype(str).unique())
        cur = pd.Series(ctx.cur[c]).astype(object)
        text = cur.where(cur.isna(), cur.astype(str))
        new = text.notna().to_numpy() & ~text.isin(seen).to_numpy()
        if new.any():
            counts = text[new].value_counts()
            for value, rows in counts.head(5).items():
                segments.append({"column": c, "segment": f"{c}={value}", "rows": int(rows), "new_category": str(value)})
        outside |= new
    segments.sort(key=lambda s: -s["rows"])
    # a handful of tail values beyond the reference's extremes is sampling, not a segment: name
    # only regions holding at least 0.5 % of the rows (5 at the least); all count in the share
    named = [s for s in segments if s["rows"] >= max(5, 0.005 * n)]
    segments = named or segments[:1]
    share = float(outside.mean()) if n else 0.0
    f = CoverageFindings(~outside, share, segments)
    threshold = ctx.inputs.thresholds.coverage_share
    if not segments:
        return f
    listed = ", ".join(f"{s['segment']} ({s['rows']} row{'s' if s['rows'] != 1 else ''})" for s in segments[:3])
    f.evidence = Evidence(
        "traffic", "uncovered_share",
        f"{pct(share)} of current rows fall where the reference has no data: {listed}",
        ratio_strength(share / threshold), segment=segments[0]["segment"], column=segments[0]["column"],
        value=share, threshold=threshold, details={"segments": segments[:10]})
    err_ref, err_cur = ctx.errors(ctx.ref), ctx.errors(ctx.cur)
    n_out = int(outside.sum())
    if err_cur is None or n_out < 10 or n_out == n:
        return f
    if ctx.task == "regression":
        t = residual_shift(err_cur[~outside], err_cur[outside])
        p = t.p_value / 2 if t.difference > 0 else 1 - t.p_value / 2
        e_in, e_out = t.reference_mean, t.current_mean
        unit = "mean absolute error"
    else:
        s = share_increase(int(err_cur[~outside].sum()), int((~outside).sum()), int(err_cur[outside].sum()), n_out)
        p, e_in, e_out = s.p_value, s.reference_share, s.current_share
        unit = "error rate"
    f.concentration = Evidence(
        "traffic", "error_concentration",
        f"{unit} {fmt(e_out)} in the uncovered rows against {fmt(e_in)} in the rest (one-sided p {fmt(p)})",
        pvalue_strength(p), segment=segments[0]["segment"], value=e_out, baseline=e_in, p_value=p)
    if ctx.task == "regression":
        t = residual_shift(err_ref, err_cur[~outside])
        p_cov = t.p_value / 2 if t.difference > 0 else 1 - t.p_value / 2
        a, b = t.reference_mean, t.current_mean
    else:
        s = share_increase(int(err_ref.sum()), len(err_ref), int(err_cur[~outside].sum()), int((~outside).sum()))
        p_cov, a, b = s.p_value, s.reference_share, s.current_share
    f.covered_vs_reference = Evidence(
        "traffic", "covered_rows_error",
        f"inside the reference's range the {unit} is {fmt(b)} against {fmt(a)} in the reference (one-sided p {fmt(p_cov)})",
        pvalue_strength(p_cov), value=b, baseline=a, p_value=p_cov)
    return f


# ---------------------------------------------------------------------------- worst segments

#: Rows a segment needs on each side before its metric change counts.
SEGMENT_MIN_ROWS = 100
#: Categorical columns searched for segments (the first ones, in the data's order), and values kept per column.
SEGMENT_COLUMNS = 10
SEGMENT_TOP = 20
#: Worst segments reported.
SEGMENTS_SHOWN = 3


def worst_segments(ctx: Context, perf_available: bool) -> List[Evidence]:
    """The segments (a value of a categorical feature, its 20 most frequent values kept) whose
    primary metric dropped most against the same segment in the reference, among those with at
    least :data:`SEGMENT_MIN_ROWS` rows on each side and the reference value outside the current
    value's interval; the largest drops first."""
    from mlmon.services.performance import compute_performance
    from mlmon.services.rca.performance import _assess, _options
    from mlmon.services.segments import SegmentBy, partition

    if not perf_available:
        return []
    found: List[Evidence] = []
    options = _options(ctx, None)
    for c in ctx.categorical[:SEGMENT_COLUMNS]:
        part = partition([ctx.cur, ctx.ref], [SegmentBy(c, SEGMENT_TOP)])
        if len(part.names) < 2:
            continue
        for name in part.names:
            cur_rows, ref_rows = part.rows[name]
            if cur_rows.size < SEGMENT_MIN_ROWS or ref_rows.size < SEGMENT_MIN_ROWS or cur_rows.size == len(ctx.cur):
                continue
            try:
                r = compute_performance(ctx.cur.iloc[cur_rows], options, reference=ctx.ref.iloc[ref_rows]).to_dict()
            except Exception:  # noqa: BLE001 - a segment the metrics cannot be computed on says nothing
                continue
            base = ((r.get("baseline") or {}).get("metrics")) or {}
            windows = r.get("windows") or []
            if not windows:
                continue
            label = f"in {c}={name}"
            evidence, _, _ = _assess(ctx, base, windows[0], label)
            clear = [e for e in evidence if e.supports]
            if not clear:
                continue
            e = max(clear, key=lambda x: x.details.get("relative_drop", 0))
            e.diagnostic, e.signal, e.segment, e.column = "segment", "segment_metric_drop", f"{c}={name}", c
            e.summary = f"segment {c}={name} ({cur_rows.size} current rows): " + e.summary
            e.details = dict(e.details, reference_rows=int(ref_rows.size), current_rows=int(cur_rows.size))
            found.append(e)
    found.sort(key=lambda e: -e.details.get("relative_drop", 0))
    return found[:SEGMENTS_SHOWN]
