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

Each cause is scored by its own function (:data:`SCORERS`) from the findings and the
:class:`Signals` several causes share; :func:`verdict` picks the primary cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

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


@dataclass
class Signals:
    """What more than one cause weighs, measured once from the findings."""

    pipeline_cols: set            # columns a pipeline fault explains
    inputs_moved: float           # importance-weighted drift of the top features (explains prediction drift)
    unexplained_pred: float       # prediction drift the inputs do not explain
    target: float                 # target drift strength
    calibration: float            # calibration breaking
    relations: List[float]        # feature-residual relations that changed, each net of its own drift
    residual: float               # their noisy-OR: structure re-calibrating the base rate does not remove
    label_shift: float            # target drift x calibration breaking x what re-calibration leaves
    source: object                # the drift findings data drift is measured on (covered rows when split)
    dd_items: List[Evidence]      # drifted features, pipeline faults left out
    dd: float                     # data drift strength


def signals(f) -> Signals:
    """The shared measurements; notes on each concept relation how much its feature drifted."""
    drift, concept, pipeline = f.drift, f.concept, f.pipeline
    pipeline_cols = {e.column for e in pipeline if e.column and e.strength >= MIN_SCORE}
    inputs_moved = noisy_or(e.strength for e in drift.features[:5])
    pred = drift.prediction.strength if drift.prediction else 0.0
    t = drift.target.strength if drift.target else 0.0
    cal = concept.calibration.strength if concept.available and concept.calibration else 0.0
    relations = []
    for e in concept.relations if concept.available else []:
        own = drift.strengths.get(e.column, 0.0)
        e.details["own_drift_strength"] = round(own, 6)
        relations.append(e.strength * (1.0 - own) * (0.0 if e.column in pipeline_cols else 1.0))
    rel = noisy_or(relations)
    source = f.drift_covered if f.drift_covered is not None else drift
    dd_items = [e for e in source.features if e.column not in pipeline_cols]
    return Signals(pipeline_cols=pipeline_cols, inputs_moved=inputs_moved, unexplained_pred=pred * (1.0 - inputs_moved),
                   target=t, calibration=cal, relations=relations, residual=rel, label_shift=t * cal * (1.0 - 0.8 * rel),
                   source=source, dd_items=dd_items, dd=noisy_or(e.strength for e in dd_items[:5]))


def target_drift(f, s: Signals) -> Candidate:
    """Label shift: the target moved and the calibration broke with it, and re-calibrating the
    base rate leaves little structure behind."""
    concept = f.concept
    c = Candidate("target_drift", s.label_shift)
    if f.drift.target:
        c.evidence.append(f.drift.target)
    if concept.available and concept.calibration:
        c.evidence.append(concept.calibration)
        if s.residual > 0:
            c.evidence.append(_counter("residual_structure_remains",
                                       "after re-calibrating the base rate, feature relations still changed "
                                       f"(strength {fmt(s.residual)})", s.residual))
    return c


def data_drift(f, s: Signals) -> Candidate:
    """Importance-weighted feature drift (among covered rows when part of the data lies outside
    the reference), less what label shift explains; data-source change events add to it."""
    c = Candidate("data_drift", s.dd * (1.0 - s.label_shift))
    c.evidence += s.dd_items[:10]
    if f.drift_covered is not None:
        covered = int(f.coverage.covered.sum())
        c.evidence.append(Evidence("feature_drift", "covered_rows",
                                   f"drift measured among the {covered} current rows inside the reference's range "
                                   f"({len(f.drift_covered.features)} features drifted there, {len(f.drift.features)} over all rows)",
                                   s.dd, details={"rows": covered}))
    if s.label_shift > 0.05 and s.dd > 0:
        c.evidence.append(_counter("label_shift_explains",
                                   f"the target moved and the model's calibration broke with it (label shift score {fmt(s.label_shift)})",
                                   s.label_shift))
    events = f.changes.by_cause.get("data_drift", [])
    c.evidence += events
    if events and s.dd > 0:
        c.score = noisy_or([c.score, events[0].strength])
    return c


def concept_drift(f, s: Signals) -> Candidate:
    """Feature-residual relations that changed, or calibration breaking while target and inputs
    held still; less what moved or corrupted inputs, or a changed model, explain."""
    concept = f.concept
    # calibration breaking on its own speaks for concept drift only where the inputs held still
    cal_alone = s.calibration * (1.0 - s.target) * (1.0 - s.inputs_moved)
    # stored estimates that the labels kept leaving: the estimators assume the relation held, and a
    # covariate shift alone leaves them right, so this speaks for concept drift where inputs held
    parted = [e.strength * (1.0 - s.inputs_moved) for e in getattr(f, "disagreement", [])]
    concept_raw = noisy_or(s.relations + [cal_alone] + parted)
    # residual structure means a changed concept only where the model sees the inputs it knows:
    # inputs that moved (on the rows measured) or arrive corrupted explain it as well
    source_moved = noisy_or(e.strength for e in s.source.features[:5])
    corrupted = max((e.strength for e in f.pipeline if e.supports), default=0.0)
    moved = max(source_moved, corrupted)
    c = Candidate("concept_drift", concept_raw * (1.0 - s.unexplained_pred) * (1.0 - 0.8 * moved))
    if concept.available:
        c.evidence += [e for e in concept.relations]
        if concept.calibration and cal_alone > 0:
            c.evidence.append(concept.calibration)
    c.evidence += list(getattr(f, "disagreement", []))
    if moved > 0.05 and concept_raw > 0:
        c.evidence.append(_counter("inputs_moved",
                                   f"the inputs moved or arrive corrupted (strength {fmt(moved)}), which changes the "
                                   "model's errors without any change of concept", moved))
    if s.unexplained_pred > 0.05 and concept_raw > 0:
        c.evidence.append(_counter("model_output_changed",
                                   f"the model's output drifted while its inputs did not (strength {fmt(s.unexplained_pred)}): "
                                   "the model changed, not the world", s.unexplained_pred))
    return c


def model_bug(f, s: Signals) -> Candidate:
    """Pipeline faults, model-side change events, and prediction drift the inputs do not explain."""
    prediction = f.drift.prediction
    items = [e for e in f.pipeline] + f.changes.by_cause.get("model_bug", [])
    if prediction and s.unexplained_pred >= 0.25:
        items.append(Evidence("prediction_drift", "unexplained_output_drift",
                              f"{prediction.summary}, more than the inputs explain "
                              f"(importance-weighted input drift strength {fmt(s.inputs_moved)})",
                              s.unexplained_pred * 0.8, column=prediction.column))
    return Candidate("model_bug", noisy_or(e.strength for e in items if e.supports and e.signal not in BEFORE_AFTER),
                     list(items))


def infrastructure(f, s: Signals) -> Candidate:
    """Breaches of the alert tiers and infrastructure change events, halved in proportion to a
    coinciding traffic surge."""
    ops = f.operations
    items = list(ops.infra) + f.changes.by_cause.get("infrastructure", [])
    score = noisy_or(e.strength for e in items if e.supports and e.signal not in BEFORE_AFTER)
    c = Candidate("infrastructure", 0.0, list(items))
    if ops.coincidence is not None:
        score *= 1.0 - 0.5 * ops.coincidence.strength
        c.evidence.append(_counter("traffic_surge", ops.coincidence.summary, ops.coincidence.strength))
    c.score = score
    return c


def traffic_pattern(f, s: Signals) -> Candidate:
    """A request surge or drop, and a new segment: current rows outside the reference's range
    where the model's errors concentrate."""
    ops, cov = f.operations, f.coverage
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
    traffic_events = f.changes.by_cause.get("traffic_pattern", [])
    items += traffic_events
    coincide = ops.coincidence.strength if ops.coincidence is not None else 0.0
    score = noisy_or([_volume(f), coincide, segment] + [e.strength for e in traffic_events if e.signal not in BEFORE_AFTER])
    return Candidate("traffic_pattern", score, items)


def _volume(f) -> float:
    volume = f.operations.volume
    return volume.strength if volume is not None and volume.supports else 0.0


#: one scoring function per cause, in the order candidates are listed when their scores tie
SCORERS: Dict[str, Callable[..., Candidate]] = {
    "data_drift": data_drift, "target_drift": target_drift, "concept_drift": concept_drift,
    "infrastructure": infrastructure, "model_bug": model_bug, "traffic_pattern": traffic_pattern,
}


def rank(f) -> Verdict:
    """``f``: the findings of every diagnostic (see :func:`mlmon.services.rca.diagnose`)."""
    s = signals(f)
    return verdict(f, [SCORERS[cause](f, s) for cause in CAUSES])


def verdict(f, candidates: List[Candidate]) -> Verdict:
    """The primary cause among ``candidates`` (see the module docstring) and its confidence."""
    perf, ops = f.performance, f.operations
    degraded_quality = perf.degraded
    degraded_serving = any(e.strength >= MIN_SCORE for e in ops.infra) or _volume(f) >= MIN_SCORE
    quality_measured = perf.available
    eligible = [c for c in candidates
                if c.cause not in QUALITY_CAUSES or degraded_quality or not quality_measured]
    ordered = sorted(candidates, key=lambda c: -c.score)
    eligible.sort(key=lambda c: -c.score)
    degraded = degraded_quality or degraded_serving or (not quality_measured and eligible and eligible[0].score >= MIN_SCORE)
    top: Optional[Candidate] = eligible[0] if eligible else None
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
