"""Change events (deployments, model versions, config and dependency changes) around the
current period, and whether the model did worse after each one than before it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from mlmon.io.infra import ChangeEvent, iso
from mlmon.services.rca.evidence import Evidence, fmt, noisy_or, pvalue_strength
from mlmon.services.rca.inputs import Context
from mlmon.stats import univariate
from mlmon.stats.concept import residual_shift
from mlmon.stats.value_spike import share_increase

# which cause a change of each type speaks for
EVENT_CAUSE = {
    "model_bug": ("model", "model_version", "model_change", "deployment", "deploy", "release", "rollout", "config",
                  "config_change", "configuration", "dependency", "dependency_change", "library", "requirements",
                  "pipeline", "feature_pipeline", "feature", "schema", "schema_change", "code"),
    "infrastructure": ("infrastructure", "infra", "scaling", "autoscaling", "hardware", "node", "instance",
                       "kubernetes", "network", "database", "outage"),
    "traffic_pattern": ("traffic", "campaign", "marketing", "launch", "partner", "promotion", "market", "expansion"),
    "data_drift": ("data_source", "upstream", "source", "vendor", "data"),
}
IN_WINDOW = 0.35     # strength of a change inside the window, before any measured effect
MIN_ROWS = 30        # rows on each side of an event to compare before and after


def cause_of(event_type: str) -> Optional[str]:
    """The cause a change event's type speaks for.

    >>> cause_of("model_version"), cause_of("autoscaling"), cause_of("birthday")
    ('model_bug', 'infrastructure', None)
    """
    for cause, types in EVENT_CAUSE.items():
        if event_type in types or any(event_type.startswith(t + "_") for t in types):
            return cause
    return None


@dataclass
class ChangeFindings:
    by_cause: Dict[str, List[Evidence]] = field(default_factory=dict)
    relevant: List[ChangeEvent] = field(default_factory=list)
    none_recorded: Optional[Evidence] = None  # a change log was given and lists nothing in the period


def changes(ctx: Context) -> ChangeFindings:
    out = ChangeFindings()
    events = ctx.inputs.events
    if events is None:  # no change log given: nothing to say either way
        return out
    period = ctx.period()
    lower = ctx.ref_time.max() if ctx.ref_time is not None else (period[0] if period else None)
    for ev in events:
        inside = period is not None and period[0] <= ev.timestamp <= period[1]
        between = period is not None and lower is not None and lower < ev.timestamp < period[0]
        if period is not None and not (inside or between):
            continue
        out.relevant.append(ev)
        cause = cause_of(ev.type)
        if cause is None:
            continue
        name = f"{ev.type} at {iso(ev.timestamp)}: {ev.description}"
        if period is None:
            where, base = "the data has no timestamps, so its place relative to the data is unknown", IN_WINDOW * 0.6
        elif inside:
            where, base = "inside the current period", IN_WINDOW
        else:
            where, base = "between the reference and the current period", IN_WINDOW
        items = [Evidence("change_event", ev.type, f"{name} ({where})", base, event=name,
                          details={"timestamp": iso(ev.timestamp), "type": ev.type})]
        if inside:
            items += _before_after(ctx, ev, name)
        strength = noisy_or(e.strength for e in items if e.supports)
        items[0].strength = strength
        items[0].details["combined_strength"] = round(strength, 6)
        out.by_cause.setdefault(cause, []).extend(items)
    if not out.relevant:
        out.none_recorded = _nothing_changed(ctx, period, len(events))
        out.by_cause.setdefault("model_bug", []).append(out.none_recorded)
    return out


def _nothing_changed(ctx: Context, period, n_events: int) -> Evidence:
    """A change log that lists no change in the period is evidence too: against a deployment,
    model or config change as the cause (the log may be incomplete, so it rules nothing out)."""
    if period is None:
        span = ""
    else:
        start = ctx.ref_time.max() if ctx.ref_time is not None else period[0]
        span = f" between {iso(start)} and {iso(period[1])}"
    listed = f" ({n_events} outside it)" if n_events else ""
    return Evidence("change_event", "no_change_recorded",
                    f"the change log lists no deployment, model, config or other change{span}{listed}",
                    IN_WINDOW, supports=False, details={"events_in_log": n_events})


def _before_after(ctx: Context, ev: ChangeEvent, name: str) -> List[Evidence]:
    after = (ctx.cur_time >= ev.timestamp).to_numpy()
    before = ~after
    if before.sum() < MIN_ROWS or after.sum() < MIN_ROWS:
        return []
    out: List[Evidence] = []
    err = ctx.errors(ctx.cur)
    if err is not None:
        if ctx.task == "regression":
            r = residual_shift(err[before], err[after])
            p = r.p_value / 2 if r.difference > 0 else 1 - r.p_value / 2
            a, b, unit = r.reference_mean, r.current_mean, "mean absolute error"
        else:
            s = share_increase(int(err[before].sum()), int(before.sum()), int(err[after].sum()), int(after.sum()))
            p, a, b, unit = s.p_value, s.reference_share, s.current_share, "error rate"
        out.append(Evidence("change_event", "error_before_after",
                            f"{unit} {fmt(a)} before the change, {fmt(b)} after it (one-sided p {fmt(p)})",
                            pvalue_strength(p), supports=b > a, event=name, value=b, baseline=a, p_value=p))
    score = ctx.score_values(ctx.cur)
    if score is not None:
        ks = univariate.get("ks")
        x, y = np.sort(score[before][np.isfinite(score[before])]), np.sort(score[after][np.isfinite(score[after])])
        if x.size and y.size:
            res = ks(x, y, univariate.NUMERICAL, 0.05, presorted=True)
            out.append(Evidence("change_event", "output_before_after",
                                f"the model's output {ctx.score} changed at the event (ks p {fmt(float(res.score))})",
                                pvalue_strength(float(res.score)) * 0.8, supports=bool(res.drifted), event=name,
                                p_value=float(res.score)))
    return out
