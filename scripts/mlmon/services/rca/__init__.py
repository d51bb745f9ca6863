"""Root-cause analysis of a degraded model: measured evidence, weighed openly.

:func:`diagnose` runs every diagnostic the inputs allow (performance change, feature, target and
prediction drift, concept drift and label shift, pipeline faults, coverage of the reference,
infrastructure and traffic, change events), looks for the segments whose metric dropped most
(:func:`~mlmon.services.rca.segments.worst_segments`), ranks the candidate causes
(:mod:`~mlmon.services.rca.ranking`), builds a timeline from real times
(:mod:`~mlmon.services.rca.timeline`) and recommends actions naming what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

from mlmon.jsonsafe import strict_json
from mlmon.services.rca.inputs import Context, RcaInputs, Thresholds

SCHEMA_VERSION = 1

__all__ = ["Diagnosis", "RcaInputs", "Thresholds", "diagnose"]


@dataclass
class Findings:
    performance: Any
    drift: Any
    drift_covered: Any
    pipeline: List[Any]
    concept: Any
    coverage: Any
    operations: Any
    changes: Any
    consecutive: int
    disagreement: List[Any] = field(default_factory=list)  # stored estimates the labels kept leaving


@dataclass
class Diagnosis:
    primary_cause: str
    confidence: float
    candidates: List[Any]
    timeline: List[Dict[str, str]]
    recommended_actions: List[str]
    warnings: List[str] = field(default_factory=list)
    segments: List[Any] = field(default_factory=list)  # the segments whose metric dropped most
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> Dict[str, Any]:
        extra = {"segments": [e.to_dict() for e in self.segments]} if self.segments else {}
        return strict_json({
            "schema_version": self.schema_version,
            "primary_cause": self.primary_cause,
            "confidence": round(self.confidence, 4),
            "candidates": [c.to_dict() for c in self.candidates],
            "timeline": self.timeline,
            "recommended_actions": self.recommended_actions,
            "warnings": self.warnings,
            **extra,
        })


def estimate_disagreement(ctx) -> List[Any]:
    """Evidence from the history: primary metrics whose realized values, once the labels came,
    kept landing outside the estimates' bands on one side (see
    :mod:`mlmon.services.performance.disagreement`). The estimates assume the input-label relation
    held; labels that keep leaving them say it did not."""
    from mlmon.services.performance.disagreement import disagreements_from_rows
    from mlmon.services.rca.evidence import Evidence

    store = ctx.inputs.history
    if store is None:
        return []
    try:
        rows = store.metric_rows_since(ctx.inputs.model, "")
    except Exception as exc:  # an unreadable history: the diagnosis goes on without it
        ctx.warnings.append(f"history not read for estimate-vs-label evidence: {exc}")
        return []
    # 3 windows in a row: strength 0.75; 5: 0.94
    return [Evidence("concept_drift", "estimate_vs_realized", f"{d.metric}: {d.message}", 1.0 - 0.5 ** (d.windows - 1),
                     metric=d.metric, value=d.gap, details={"windows": d.windows, "starts": [str(x) for x in d.starts]})
            for d in disagreements_from_rows(rows)]


def diagnose(inputs: RcaInputs) -> Diagnosis:
    from mlmon.services.rca import actions, changes, concept, drift, operations, performance, pipeline, ranking, segments, timeline

    ctx = Context(inputs)
    importance = drift.importances(ctx)
    weights = {c: drift.importance_weight(importance.get(c)) if importance else 1.0 for c in ctx.features}
    perf = performance.performance(ctx)
    all_drift = drift.run_drift(ctx, importance)
    faults = pipeline.pipeline_evidence(ctx, weights)
    # pipeline faults are out of range because they are broken; id-like columns the drift check
    # skipped are new on every row by nature: neither makes a new segment
    skip = {e.column for e in faults if e.column and e.strength >= ranking.MIN_SCORE}
    cov = segments.coverage(ctx, skip=skip | set(all_drift.result.get("skipped") or {}))
    covered = None
    if cov.share_uncovered >= inputs.thresholds.coverage_share and cov.covered.sum() >= 30:
        covered = drift.run_drift(ctx, importance, cur_mask=cov.covered, label="among covered rows")
    findings = Findings(
        performance=perf, drift=all_drift, drift_covered=covered,
        pipeline=faults,
        concept=concept.concept_evidence(ctx, cov.covered if covered is not None else None), coverage=cov,
        operations=operations.operations(ctx), changes=changes.changes(ctx),
        consecutive=inputs.thresholds.consecutive_windows,
        disagreement=estimate_disagreement(ctx),
    )
    if not findings.concept.available:
        ctx.warnings.append("no labels with a probability or prediction: concept drift and label shift not tested")
    verdict = ranking.rank(findings)
    worst = segments.worst_segments(ctx, perf.available)
    warnings = list(dict.fromkeys(ctx.warnings + all_drift.result.get("warnings", [])))
    return Diagnosis(
        primary_cause=verdict.primary, confidence=verdict.confidence, candidates=verdict.candidates,
        timeline=timeline.build_timeline(ctx, findings, verdict),
        recommended_actions=actions.recommended_actions(verdict, ctx, findings.performance), warnings=warnings,
        segments=worst,
    )

