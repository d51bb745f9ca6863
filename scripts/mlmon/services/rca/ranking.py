"""Weighing the evidence: one score per candidate cause, the primary cause, its confidence.

Each cause's score is the noisy-OR of the evidence for it (independent pieces add up, never past
1), discounted by the evidence that another cause explains the same observations better:

- ``data_drift``: importance-weighted drift of features, measured among the rows the reference
  covers when part of the current data lies outside it; features flagged as pipeline faults
  are left out; discounted by the label-shift score (under label shift the informative
  features move *because* the label did).
- ``target_drift`` (label shift): target drift x the model's calibration breaking x (1 - 0.8 x
  what remains after re-calibrating the base rate).
- ``concept_drift``: features whose relation with the residual changed (each discounted by its
  own drift), or calibration breaking while the target did not move; discounted by prediction
  drift that no input drift explains (the model changed, not the world).
- ``model_bug``: scale jumps, default and null spikes, schema changes, model-side change
  events, and prediction drift with unchanged inputs.
- ``infrastructure``: breaches of the alert tiers; halved in proportion to a coinciding traffic
  surge, which then counts for ``traffic_pattern``.
- ``traffic_pattern``: a request surge or drop, and current rows outside the reference's range
  where the model's errors concentrate (a new segment).

Primary cause: nothing degraded (no performance drop beyond the tier, no serving breach, no
volume anomaly) gives ``none``; otherwise the highest-scoring eligible cause at or above
:data:`MIN_SCORE`, else ``unknown``. Causes of model quality are eligible only when quality
dropped (or could not be measured). Confidence is the top score less half the runner-up's:
strong evidence for one cause and little for any other gives high confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

from mlmon.services.rca.evidence import Evidence, fmt, noisy_or

MIN_SCORE = 0.5
CAUSES = ("data_drift", "target_drift", "concept_drift", "infrastructure", "model_bug", "traffic_pattern")
# details of a change event: its first item already carries their combined strength
BEFORE_AFTER = ("error_before_after", "output_before_after")
QUALITY_CAUSES = {"data_drift", "target_drift", "concept_drift", "model_bug"}


@dataclass
class Candidate:
    cause: str
    score: float
    evidence: List[Evidence] = field(default_factory=list)

    def to_dict(self) -> Dict:
        return {"cause": self.cause, "score": round(self.score, 4),
                "evidence": [e.to_dict() for e in sorted(self.evidence, key=lambda e: (not e.supports, -e.strength))]}


@dataclass
class Verdict:
    primary: str
    confidence: float
    candidates: List[Candidate]
    degraded_quality: bool
    degraded_serving: bool


def _counter(signal: str, summary: str, strength: float) -> Evidence:
    return Evidence("ranking", signal, summary, strength, supports=False)


def rank(f) -> Verdict:
    """``f``: the findings of every diagnostic (see :func:`mlmon.services.rca.diagnose`)."""
    drift, drift_covered, pipeline, concept, cov, ops, chg, perf = (
        f.drift, f.drift_covered, f.pipeline, f.concept, f.coverage, f.operations, f.changes, f.performance)
    pipeline_cols = {e.column for e in pipeline if e.column and e.strength >= MIN_SCORE}
    cands: Dict[str, Candidate] = {c: Candidate(c, 0.0) for c in CAUSES}

    # -- inputs: how much of the input movement there is at all (explains prediction drift)
    inputs_moved = noisy_or(e.strength for e in drift.features[:5])
    pred = drift.prediction.strength if drift.prediction else 0.0
    unexplained_pred = pred * (1.0 - inputs_moved)

    # -- label shift
    t = drift.target.strength if drift.target else 0.0
    cal = concept.calibration.strength if concept.available and concept.calibration else 0.0
    relations = []
    for e in concept.relations if concept.available else []:
        own = drift.strengths.get(e.column, 0.0)
        e.details["own_drift_strength"] = round(own, 6)
        relations.append(e.strength * (1.0 - own) * (0.0 if e.column in pipeline_cols else 1.0))
    rel = noisy_or(relations)
    label_shift = t * cal * (1.0 - 0.8 * rel)
    c = cands["target_drift"]
    c.score = label_shift
    if drift.target:
        c.evidence.append(drift.target)
    if concept.available and concept.calibration:
        c.evidence.append(concept.calibration)
        if rel > 0:
            c.evidence.append(_counter("residual_structure_remains",
                                       f"after re-calibrating the base rate, feature relations still changed (strength {fmt(rel)})", rel))

    # -- data drift
    source = drift_covered if drift_covered is not None else drift
    dd_items = [e for e in source.features if e.column not in pipeline_cols]
    dd = noisy_or(e.strength for e in dd_items[:5])
    c = cands["data_drift"]
    c.score = dd * (1.0 - label_shift)
    c.evidence += dd_items[:10]
    if drift_covered is not None:
        c.evidence.append(Evidence("feature_drift", "covered_rows",
                                   f"drift measured among the {int(cov.covered.sum())} current rows inside the reference's range "
                                   f"({len(drift_covered.features)} features drifted there, {len(drift.features)} over all rows)",
                                   dd, details={"rows": int(cov.covered.sum())}))
    if label_shift > 0.05 and dd > 0:
        c.evidence.append(_counter("label_shift_explains",
                                   f"the target moved and the model's calibration broke with it (label shift score {fmt(label_shift)})",
                                   label_shift))

    # -- concept drift
    # calibration breaking on its own speaks for concept drift only where the inputs held still
    cal_alone = cal * (1.0 - t) * (1.0 - inputs_moved)
    concept_raw = noisy_or(relations + [cal_alone])
    c = cands["concept_drift"]
    # residual structure means a changed concept only where the model sees the inputs it knows:
    # inputs that moved (on the rows measured) or arrive corrupted explain it as well
    source_moved = noisy_or(e.strength for e in source.features[:5])
    corrupted = max((e.strength for e in pipeline if e.supports), default=0.0)
    moved = max(source_moved, corrupted)
    c.score = concept_raw * (1.0 - unexplained_pred) * (1.0 - 0.8 * moved)
    if concept.available:
        c.evidence += [e for e in concept.relations]
        if concept.calibration and cal_alone > 0:
            c.evidence.append(concept.calibration)
    if moved > 0.05 and concept_raw > 0:
        c.evidence.append(_counter("inputs_moved",
                                   f"the inputs moved or arrive corrupted (strength {fmt(moved)}), which changes the "
                                   "model's errors without any change of concept", moved))
    if unexplained_pred > 0.05 and concept_raw > 0:
        c.evidence.append(_counter("model_output_changed",
                                   f"the model's output drifted while its inputs did not (strength {fmt(unexplained_pred)}): "
                                   "the model changed, not the world", unexplained_pred))

    # -- model / pipeline
    c = cands["model_bug"]
    model_items = [e for e in pipeline] + chg.by_cause.get("model_bug", [])
    if drift.prediction and unexplained_pred >= 0.25:
        model_items.append(Evidence("prediction_drift", "unexplained_output_drift",
                                    f"{drift.prediction.summary}, more than the inputs explain "
                                    f"(importance-weighted input drift strength {fmt(inputs_moved)})",
                                    unexplained_pred * 0.8, column=drift.prediction.column))
    c.evidence += model_items
    c.score = noisy_or(e.strength for e in model_items if e.supports and e.signal not in BEFORE_AFTER)

    # -- infrastructure and traffic
    infra_items = list(ops.infra) + chg.by_cause.get("infrastructure", [])
    infra = noisy_or(e.strength for e in infra_items if e.supports and e.signal not in BEFORE_AFTER)
    c = cands["infrastructure"]
    c.evidence += infra_items
    if ops.coincidence is not None:
        infra *= 1.0 - 0.5 * ops.coincidence.strength
        c.evidence.append(_counter("traffic_surge", ops.coincidence.summary, ops.coincidence.strength))
    c.score = infra

    c = cands["traffic_pattern"]
    items: List[Evidence] = []
    if ops.volume is not None:
        items.append(ops.volume)
    if ops.coincidence is not None:
        items.append(ops.coincidence)
    segment = 0.0
    if cov.evidence is not None:
        items.append(cov.evidence)
        if cov.concentration is not None:
            segment = cov.evidence.strength * cov.concentration.strength
            items.append(cov.concentration)
            if cov.covered_vs_reference is not None:
                segment *= 1.0 - 0.5 * cov.covered_vs_reference.strength
                items.append(cov.covered_vs_reference)
        else:
            segment = cov.evidence.strength * 0.5
    traffic_events = chg.by_cause.get("traffic_pattern", [])
    items += traffic_events
    volume = ops.volume.strength if ops.volume is not None and ops.volume.supports else 0.0
    coincide = ops.coincidence.strength if ops.coincidence is not None else 0.0
    c.score = noisy_or([volume, coincide, segment] + [e.strength for e in traffic_events if e.signal not in BEFORE_AFTER])
    c.evidence += items

    # data-source events speak for data drift
    for e in chg.by_cause.get("data_drift", []):
        cands["data_drift"].evidence.append(e)
    if chg.by_cause.get("data_drift") and dd > 0:
        cands["data_drift"].score = noisy_or([cands["data_drift"].score, chg.by_cause["data_drift"][0].strength])

    # -- verdict
    degraded_quality = perf.degraded
    degraded_serving = any(e.strength >= MIN_SCORE for e in ops.infra) or volume >= MIN_SCORE
    quality_measured = perf.available
    eligible = [c for c in cands.values()
                if c.cause not in QUALITY_CAUSES or degraded_quality or not quality_measured]
    ordered = sorted(cands.values(), key=lambda c: -c.score)
    eligible.sort(key=lambda c: -c.score)
    degraded = degraded_quality or degraded_serving or (not quality_measured and eligible and eligible[0].score >= MIN_SCORE)
    top = eligible[0] if eligible else None
    runner = eligible[1].score if len(eligible) > 1 else 0.0
    if not degraded:
        primary = "none"
        confidence = 1.0 - (ordered[0].score / 2 if ordered else 0.0)
    elif top is not None and top.score >= MIN_SCORE:
        primary = top.cause
        confidence = top.score - runner / 2
    else:
        primary = "unknown"
        confidence = 1.0 - (top.score if top else 0.0)
    # the performance change belongs with the causes put forward to explain it
    for c in ordered:
        if perf.evidence and c.cause in QUALITY_CAUSES and (c.score >= MIN_SCORE or (c is top and primary == "unknown")):
            c.evidence = list(perf.evidence) + c.evidence
    kept = [c for c in ordered if c.score > 0.01]
    return Verdict(primary, max(0.0, min(1.0, confidence)), kept, degraded_quality, degraded_serving)

