"""Feature, target and prediction drift for a diagnosis, through the drift service, with each
feature's importance to the model's output (so drift in a feature the model ignores weighs
little)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from mlmon.io.tables import Table
from mlmon.services.drift import DriftOptions, compute_drift
from mlmon.services.rca.evidence import Evidence, fmt, pvalue_strength, ratio_strength
from mlmon.services.rca.inputs import Context
from mlmon.stats.association import association

IMPORTANT = 0.15  # association with the model's score at which a feature counts fully


@dataclass
class DriftFindings:
    result: Dict                                   # the drift service's to_dict()
    features: List[Evidence] = field(default_factory=list)   # drifted features, importance-weighted
    target: Optional[Evidence] = None
    prediction: Optional[Evidence] = None
    strengths: Dict[str, float] = field(default_factory=dict)  # column -> drift strength (unweighted)


def importances(ctx: Context) -> Dict[str, float]:
    """Association of each feature with the model's score on the reference (0-1)."""
    score = ctx.score_values(ctx.ref)
    out: Dict[str, float] = {}
    if score is None:
        return out
    for c in ctx.features:
        values = ctx.ref[c]
        if c in ctx.numerical:
            out[c] = association(values.to_numpy(dtype=float, na_value=np.nan), score)
        else:
            codes = values.astype("category").cat.codes.to_numpy()
            keep = codes >= 0
            out[c] = association(codes[keep], score[keep], categorical=True)
    return out


def importance_weight(importance: Optional[float]) -> float:
    """1 for a feature at least :data:`IMPORTANT`-associated with the score (or when unknown)."""
    if importance is None:
        return 1.0
    return float(min(1.0, importance / IMPORTANT))


def column_strength(col: Dict) -> float:
    if col["score_kind"] == "p_value":
        return pvalue_strength(col["score"], alpha=col["threshold"]) if col["drifted"] else 0.0
    return ratio_strength(col["score"] / col["threshold"]) if col["threshold"] > 0 and col["drifted"] else 0.0


def run_drift(ctx: Context, importance: Dict[str, float], ref_mask=None, cur_mask=None,
              label: str = "") -> DriftFindings:
    i = ctx.inputs
    cols = list(ctx.features)
    target = i.target
    score = ctx.score
    cols += [c for c in (target, score) if c and c not in cols]
    ref = ctx.ref[cols] if ref_mask is None else ctx.ref.loc[ref_mask, cols]
    cur = ctx.cur[cols] if cur_mask is None else ctx.cur.loc[cur_mask, cols]
    kinds_r = {c: i.reference.kinds.get(c, "other") for c in cols}
    kinds_c = {c: i.current.kinds.get(c, "other") for c in cols}
    result = compute_drift(Table(i.reference.path, ref.reset_index(drop=True), kinds_r),
                           Table(i.current.path, cur.reset_index(drop=True), kinds_c),
                           DriftOptions(target=target, prediction=score, workers=1)).to_dict()
    findings = DriftFindings(result)
    where = f" {label}" if label else ""
    for name, col in result["columns"].items():
        s = column_strength(col)
        findings.strengths[name] = s
        if not col["drifted"]:
            continue
        imp = importance.get(name)
        w = importance_weight(imp)
        findings.features.append(Evidence(
            "feature_drift", col["method"],
            f"{name} drifted{where}: {col['method']} {fmt(col['score'])} against threshold {fmt(col['threshold'])}"
            + (f"; association with the model's score {fmt(imp)}" if imp is not None else ""),
            s * w, column=name, value=col["score"], threshold=col["threshold"],
            details={"score_kind": col["score_kind"], "importance": imp, "drift_strength": round(s, 6)},
        ))
    findings.features.sort(key=lambda e: -e.strength)
    for key, attr, what in (("target_drift", "target", "target"), ("prediction_drift", "prediction", "model output")):
        col = result.get(key)
        if col:
            s = column_strength(col)
            setattr(findings, attr, Evidence(
                key, col["method"],
                f"the {what} {col['column']} {'drifted' if col['drifted'] else 'did not drift'}{where}: "
                f"{col['method']} {fmt(col['score'])} against threshold {fmt(col['threshold'])}",
                s, column=col["column"], value=col["score"], threshold=col["threshold"],
                details={"score_kind": col["score_kind"]}))
    return findings
