"""Recommended actions, specific to what was found: each names the features, segments, metrics
or change events behind the cause. The lists they draw on are in references/RCA.md."""

from __future__ import annotations

from typing import List

from mlmon.errors import option
from mlmon.services.rca.evidence import fmt, pct


def _names(evidence, signal=None, diagnostic=None, limit=3) -> List[str]:
    out: List[str] = []
    for e in evidence:
        if not e.supports or (signal and e.signal != signal) or (diagnostic and e.diagnostic != diagnostic):
            continue
        name = e.column or e.segment or e.metric or e.event
        if name and name not in out:
            out.append(name)
    return out[:limit]


def _join(names: List[str]) -> str:
    return ", ".join(names)


def _below_tier_action(e) -> str:
    lo, hi = e.details.get("lower"), e.details.get("upper")
    interval = f" (interval {fmt(lo)} to {fmt(hi)})" if lo is not None and hi is not None else ""
    return (f"Significant drop below the warning tier: {e.metric} fell from {fmt(e.baseline)} to {fmt(e.value)}, "
            f"{pct(e.details.get('relative_drop'))}, with the reference value outside the current interval{interval}: "
            f"a real drop, but under the {pct(e.threshold)} tier, so no alert.")


def actions_for(candidate, ctx) -> List[str]:
    ev = candidate.evidence
    cause = candidate.cause
    out: List[str] = []
    if cause == "data_drift":
        feats = _names(ev, diagnostic="feature_drift")
        if feats:
            out.append(f"Trace the upstream sources of {_join(feats)}: confirm the shift is real (a new market, season "
                       "or product) and not an extraction change.")
            out.append(f"If it is real, retrain on recent data that covers the new values of {_join(feats)}, and add "
                       f"per-feature drift alerts on {_join(feats)}.")
    elif cause == "target_drift":
        target = ctx.inputs.target
        cal = next((e for e in ev if e.signal == "calibration_shift"), None)
        if cal is not None:
            out.append(f"The base rate of {target} moved ({cal.summary}): re-calibrate the model's probabilities to the "
                       "new prior (an intercept shift) and review decision thresholds now.")
        out.append(f"Retrain on recent labelled data, and find out whether the population behind {target} changed "
                   "(market or behaviour shift) or the labelling process did.")
    elif cause == "concept_drift":
        feats = _names(ev, signal="relation_change")
        if feats:
            out.append(f"The effect of {_join(feats)} on {ctx.inputs.target} changed: retrain on recent data "
                       "(weight recent rows), and check the relation of these features to the outcome with the domain team.")
        else:
            out.append(f"The relation between the inputs and {ctx.inputs.target} changed while the inputs did not: "
                       "retrain on recent data.")
        out.append("Shorten the retraining cadence or add a performance alert on recent labels, so the next shift is caught sooner.")
    elif cause == "infrastructure":
        for e in ev:
            if not e.supports or e.diagnostic != "infrastructure":
                continue
            if e.metric and e.metric.startswith("latency"):
                out.append(f"{e.metric} reached {fmt(e.value)} ms against {fmt(e.threshold)} ms: scale the serving "
                           f"replicas and look at what changed on the serving side from {e.details.get('first_over')}.")
            elif e.metric == "error_rate":
                out.append(f"error_rate reached {fmt(e.value)} against {fmt(e.threshold)}: read the model server's "
                           "error logs from that time and check its dependencies (feature store, database).")
            elif e.metric == "memory_utilization":
                out.append(f"memory_utilization reached {fmt(e.value)}: reduce the batch size or give the server more memory.")
            elif e.metric == "cpu_utilization":
                out.append(f"cpu_utilization reached {fmt(e.value)}: add CPU or replicas.")
            elif e.metric == "gpu_utilization":
                out.append("GPU utilisation is low while latency is high: profile data loading and preprocessing.")
        for e in ev:
            if e.diagnostic == "change_event" and e.signal != "error_before_after" and e.supports and e.event:
                out.append(f"Review the infrastructure change {e.event}.")
                break
    elif cause == "traffic_pattern":
        vol = next((e for e in ev if e.signal == "request_volume" and e.supports), None)
        if vol is not None:
            out.append(f"requests peaked at {fmt(vol.value)} against a baseline of {fmt(vol.baseline)}: scale horizontally "
                       "and autoscale on request rate; find the source of the surge (a campaign, a client retrying, bots).")
        seg = next((e for e in ev if e.signal == "uncovered_share"), None)
        if seg is not None:
            names = _join([s["segment"] for s in seg.details.get("segments", [])[:3]])
            out.append(f"The model has no training data for {names}: collect labels for it, add it to the training "
                       "data, or route it to a fallback until the model covers it.")
    elif cause == "model_bug":
        for e in ev:
            if not e.supports:
                continue
            if e.signal == "scale_jump":
                out.append(f"{e.column} arrives x{fmt(e.details.get('factor'))} its usual scale: fix the unit in the "
                           f"feature pipeline (divide by {fmt(e.details.get('factor'))} as a stopgap) and add a range check.")
            elif e.signal == "default_spike":
                out.append(f"{e.column} is filled with {e.details.get('default_value')!r} for {fmt(e.value)} of rows: find the "
                           "join or null handling that fills it, and fail the pipeline on such a spike.")
            elif e.signal == "null_spike":
                out.append(f"{e.column} is missing far more often than before: check its upstream source and the join that feeds it.")
            elif e.signal == "schema_change":
                out.append(f"Schema change: {e.summary}; restore the column or retrain with the new schema.")
            elif e.diagnostic == "change_event" and e.signal not in ("error_before_after", "output_before_after"):
                out.append(f"Audit the change {e.event}: compare the model version, config and requirements before and "
                           "after it, and roll it back if the comparison confirms it.")
            elif e.signal == "unexplained_output_drift":
                out.append(f"The model's output {e.column} moved while its inputs did not: check which model version, "
                           "config and dependency versions are serving.")
    return out


def recommended_actions(verdict, ctx, performance=None) -> List[str]:
    if verdict.primary == "none":
        below = list(getattr(performance, "below_tier", None) or [])
        if not below:
            return ["Nothing degraded: keep monitoring on the usual schedule."]
        return [_below_tier_action(e) for e in below] + [
            "Look at what moved (the candidates above, `mlmon drift` on the same files) before it crosses the tier, "
            "and rerun when more labels arrive; lower alerts.warning.conditions.accuracy_drop in the config to alert on "
            "drops this size."]
    out: List[str] = []
    if verdict.primary == "unknown":
        out.append("Performance dropped but no measured cause explains it: add what is missing and rerun "
                   f"(labels, {option('infra')} or {option('prometheus')}, {option('events')} with deployments and "
                   "config changes).")
    for c in verdict.candidates:
        if c.cause == verdict.primary or c.score >= 0.5:
            for a in actions_for(c, ctx):
                if a not in out:
                    out.append(a)
    return out
