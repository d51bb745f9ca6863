"""What to do next, read off a drift result (plain sentences; the surfaces show them as they are)."""

from __future__ import annotations

import math
from typing import List

from mlmon.services.drift.result import ColumnDrift, DriftResult


def recommendations(result: DriftResult) -> List[str]:
    recs: List[str] = []
    drifted = sorted(
        (c for c in result.columns.values() if c.drifted),
        key=lambda c: -_strength(c),
    )
    if drifted:
        named = ", ".join(f"{c.column} ({c.method} {_fmt(c.score)})" for c in drifted[:5])
        more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
        recs.append(f"Investigate the upstream sources of the drifted features, strongest first: {named}{more}.")
    if result.severity == "critical":
        recs.append(
            "More than half of the features moved at once: look for a pipeline or schema change "
            "(units, encoding, a join that broke) before treating it as real-world drift."
        )
    elif result.severity == "degraded":
        recs.append("Check whether model quality moved with the inputs before retraining; drift alone is not degradation.")
    if result.target_drift and result.target_drift.drifted:
        recs.append(
            f"The target {result.target_drift.column} drifted ({result.target_drift.method} "
            f"{_fmt(result.target_drift.score)}): the base rate or label process changed; re-evaluate "
            "performance on recent labels and consider retraining on recent data."
        )
    if result.prediction_drift and result.prediction_drift.drifted:
        recs.append(
            f"The model's output {result.prediction_drift.column} shifted ({result.prediction_drift.method} "
            f"{_fmt(result.prediction_drift.score)}): expect downstream decision rates (approvals, alerts) to change."
        )
    mv = result.multivariate
    if mv and mv.get("drifted") and not drifted:
        recs.append(
            "No single feature drifted but the joint distribution did (MMD): check relationships "
            "between features (correlations, segments) rather than single columns."
        )
    big = max(result.reference.get("rows", 0), result.current.get("rows", 0))
    pval_drifted = [c for c in drifted if c.score_kind == "p_value"]
    if big > 100_000 and pval_drifted and result.fdr is None:
        recs.append(
            "With this many rows p-value tests flag even negligible shifts: confirm with a distance "
            "(--method wasserstein or psi) before acting."
        )
    if not drifted and not (mv and mv.get("drifted")):
        if result.n_columns:
            recs.append("No feature drifted beyond its threshold: keep monitoring on the usual schedule.")
    return recs


def _strength(c: ColumnDrift) -> float:
    if c.score_kind == "p_value":
        return -math.log10(max(c.score, 1e-300)) / max(-math.log10(max(c.threshold, 1e-300)), 1e-9)
    return c.score / c.threshold if c.threshold > 0 else c.score


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{x:.3g}"
