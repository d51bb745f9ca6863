"""Concept drift and label shift: did the relation between inputs and outcome move?

Reads the residuals (label minus probability, or minus the regression prediction):

- calibration-in-the-large: the mean residual, current against reference;
- the intercept offset that would re-calibrate the current period (what pure label shift
  produces), and what is left after it;
- per numerical feature, the change in its correlation with the (re-calibrated) residual: a
  feature whose effect on the outcome changed is named here. Holm-adjusted over features.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
from scipy import special

from mlmon.services.rca.evidence import ALPHA, Evidence, fmt, pvalue_strength, ratio_strength
from mlmon.services.rca.inputs import Context
from mlmon.stats.concept import correlation_change, intercept_offset, residual_shift
from mlmon.stats.multiple_testing import holm

MIN_CALIBRATION_SHIFT = 0.03   # mean residual change (probability points) worth reporting, binary
MIN_REGRESSION_SHIFT = 0.10    # mean residual change in reference residual standard deviations
MIN_CORRELATION_CHANGE = 0.05  # change in corr(feature, residual)


@dataclass
class ConceptFindings:
    available: bool
    calibration: Optional[Evidence] = None        # mean residual shift
    relations: List[Evidence] = field(default_factory=list)   # per feature, after re-calibration
    offset: Optional[float] = None


def concept_evidence(ctx: Context, covered: Optional[np.ndarray] = None) -> ConceptFindings:
    """``covered``: when part of the current data lies outside the reference's range, the rows
    inside it; the relation is then measured where the reference can speak for it."""
    cur_frame = ctx.cur if covered is None else ctx.cur.loc[covered]
    res_ref, res_cur = ctx.residuals(ctx.ref), ctx.residuals(cur_frame)
    if res_ref is None or res_cur is None:
        err_ref, err_cur = ctx.errors(ctx.ref), ctx.errors(cur_frame)
        if err_ref is None:
            return ConceptFindings(False)
        # classification without a probability: the error indicator stands in for the residual
        res_ref, res_cur, adj_ref, adj_cur = err_ref, err_cur, err_ref - err_ref.mean(), err_cur - err_cur.mean()
        offset = None
        scale, floor, unit = 1.0, MIN_CALIBRATION_SHIFT, "error rate"
    elif ctx.task == "binary":
        y_ref = res_ref + ctx.ref[ctx.inputs.proba].to_numpy(dtype=float)
        y_cur = res_cur + cur_frame[ctx.inputs.proba].to_numpy(dtype=float)
        p_ref = ctx.ref[ctx.inputs.proba].to_numpy(dtype=float)
        p_cur = cur_frame[ctx.inputs.proba].to_numpy(dtype=float)
        d_ref, d_cur = intercept_offset(p_ref, y_ref), intercept_offset(p_cur, y_cur)
        offset = d_cur - d_ref if np.isfinite(d_cur) and np.isfinite(d_ref) else None
        adj_ref = y_ref - _shift(p_ref, d_ref)
        adj_cur = y_cur - _shift(p_cur, d_cur)
        scale, floor, unit = 1.0, MIN_CALIBRATION_SHIFT, "mean residual (label - probability)"
    else:
        sd = float(np.nanstd(res_ref)) or 1.0
        offset = float(np.nanmean(res_cur) - np.nanmean(res_ref))
        adj_ref, adj_cur = res_ref - np.nanmean(res_ref), res_cur - np.nanmean(res_cur)
        scale, floor, unit = sd, MIN_REGRESSION_SHIFT, "mean residual (label - prediction)"
    findings = ConceptFindings(True, offset=offset)
    m = residual_shift(res_ref, res_cur)
    size = abs(m.difference) / scale
    s = min(pvalue_strength(m.p_value), ratio_strength(size / floor)) if np.isfinite(m.p_value) else 0.0
    where = "" if covered is None else f" among the {len(cur_frame)} current rows inside the reference's range"
    findings.calibration = Evidence(
        "concept_drift", "calibration_shift",
        f"{unit}{where} moved from {fmt(m.reference_mean)} to {fmt(m.current_mean)} (Welch t {fmt(m.t)}, p {fmt(m.p_value)})",
        s, metric="mean_residual", value=m.current_mean, baseline=m.reference_mean, threshold=floor * scale,
        p_value=m.p_value, details={"intercept_offset": None if offset is None else round(offset, 6)})
    tests = []
    for c in ctx.numerical:
        xr = ctx.ref[c].to_numpy(dtype=float, na_value=np.nan)
        xc = cur_frame[c].to_numpy(dtype=float, na_value=np.nan)
        tests.append((c, correlation_change(xr, adj_ref, xc, adj_cur)))
    ps = [t.p_value if np.isfinite(t.p_value) else 1.0 for _, t in tests]
    adjusted = holm(ps) if ps else []
    for (c, t), p_adj in zip(tests, adjusted):
        delta = t.current_r - t.reference_r
        if p_adj > ALPHA or abs(delta) < MIN_CORRELATION_CHANGE:
            continue
        strength = min(pvalue_strength(float(p_adj)), ratio_strength(abs(delta) / MIN_CORRELATION_CHANGE))
        findings.relations.append(Evidence(
            "concept_drift", "relation_change",
            f"the relation between {c} and the model's errors changed: corr({c}, residual) "
            f"{fmt(t.reference_r)} -> {fmt(t.current_r)}{where} after re-calibrating the base rate (Fisher z {fmt(t.z)}, "
            f"Holm p {fmt(float(p_adj))})",
            strength, column=c, value=t.current_r, baseline=t.reference_r, threshold=MIN_CORRELATION_CHANGE,
            p_value=float(p_adj)))
    findings.relations.sort(key=lambda e: -e.strength)
    return findings


def _shift(p: np.ndarray, d: float) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    if not np.isfinite(d):
        return np.full(p.shape, 1.0 if d > 0 else 0.0)
    return special.expit(special.logit(p) + d)
