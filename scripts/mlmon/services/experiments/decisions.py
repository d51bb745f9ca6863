"""From the numbers to a decision: a verdict per treatment (SHIP, REVERT, CONTINUE, NO_DECISION),
one recommendation, and the reasons. The first metric is the primary one: it decides SHIP or
REVERT; the others are named in the reasons when they move significantly."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

from mlmon.services.experiments.options import AbOptions
from mlmon.services.experiments.result import Comparison, GuardrailCheck
from mlmon.stats import power as power_kernels


def _required_n(comp: Comparison, options: AbOptions, frame, labels, control) -> Optional[int]:
    if not options.mde:
        return None
    try:
        if comp.metric_type == "binary":
            base = comp.control_mean
            return power_kernels.sample_size_proportions(base, options.mde, alpha=options.alpha,
                                                         power=options.power).per_arm
        sd = comp.standard_error / math.sqrt(1 / comp.control_n + 1 / comp.treatment_n)
        return power_kernels.sample_size_means(options.mde, sd, alpha=options.alpha, power=options.power).per_arm
    except ValueError:
        return None


def _fmt_lift(comp: Comparison) -> str:
    if comp.lift is None:
        return f"{comp.absolute_lift:+.4g} (absolute)"
    return f"{comp.lift * 100:+.2f}%"


def recommend(comparisons: List[Comparison], guardrails: List[GuardrailCheck], metrics: List[Dict[str, Any]],
              treatments: List[str], options: AbOptions, frame, labels,
              control: str) -> Tuple[Dict[str, str], str, List[str]]:
    """A verdict per treatment, the recommendation, and the reasons, in words naming the numbers."""
    reasons: List[str] = []
    verdicts: Dict[str, str] = {}
    primary = metrics[0]["name"]
    final_look = options.look is not None and options.look == options.of
    for treatment in treatments:
        comp = next(c for c in comparisons if c.treatment == treatment and c.metric == primary)
        own_guards = [g for g in guardrails if g.treatment == treatment]
        failed = [g for g in own_guards if g.status == "fail"]
        open_guards = [g for g in own_guards if g.status == "inconclusive"]
        for g in own_guards:
            if g.worse_than_control_p is not None and g.worse_than_control_p < options.alpha and g.status != "fail":
                reasons.append(f"{treatment}: {g.name} is worse than {control} (one-sided p = "
                               f"{g.worse_than_control_p:.2g}) though within its bound")
        for other in comparisons:
            if other.treatment == treatment and not other.primary and other.significant:
                reasons.append(f"{treatment}: secondary metric {other.metric} moved {_fmt_lift(other)} "
                               f"(adjusted p = {other.p_value_adjusted:.2g})")
        where = f"{treatment} vs {control} on {primary}: {_fmt_lift(comp)}"
        test = _test_words(comp, options)
        if failed:
            verdicts[treatment] = "REVERT"
            for g in failed:
                reasons.append(f"{treatment} breaks guardrail {g.name}: {_guard_value(g)} against a bound of "
                               f"{_guard_bound(g)} (one-sided p = {g.p_value_breach:.2g}); roll it back")
            continue
        if comp.significant and comp.absolute_lift > 0:
            if open_guards:
                verdicts[treatment] = "CONTINUE"
                reasons.append(f"{where} is significant ({test}), but guardrail "
                               f"{', '.join(g.name for g in open_guards)} is not yet shown within its bound; "
                               "keep collecting data")
            else:
                verdicts[treatment] = "SHIP"
                reasons.append(f"{where} is significant ({test})"
                               + ("; every guardrail holds" if own_guards else ""))
            continue
        if comp.significant:
            verdicts[treatment] = "REVERT"
            reasons.append(f"{where} is significantly worse ({test})")
            continue
        if options.look is not None and not final_look:
            verdicts[treatment] = "CONTINUE"
            reasons.append(f"{where} has not crossed the look-{options.look} boundary "
                           f"(|z| = {abs(comp.statistic):.3f} < {comp.sequential['boundary']:.3f}); "
                           f"continue to look {options.look + 1} of {options.of}")
            continue
        needed = None if options.look is not None else _required_n(comp, options, frame, labels, control)
        have = min(comp.control_n, comp.treatment_n)
        if needed is not None and have < needed:
            verdicts[treatment] = "CONTINUE"
            reasons.append(f"{where} is not significant ({test}) with {have} units per arm; detecting the "
                           f"minimum effect of {options.mde:g} at power {options.power:g} needs {needed} per arm")
            continue
        verdicts[treatment] = "NO_DECISION"
        reasons.append(f"{where} is not significant ({test}); no evidence either way, keep {control}"
                       + (" (final look)" if final_look else ""))
    values = set(verdicts.values())
    if any(g.status == "fail" for g in guardrails):
        rec = "REVERT"
    elif "SHIP" in values:
        rec = "SHIP"
        if len(treatments) > 1:
            best = max((c for c in comparisons if c.metric == primary and verdicts[c.treatment] == "SHIP"),
                       key=lambda c: c.absolute_lift)
            reasons.insert(0, f"ship {best.treatment} (largest significant lift on {primary})")
    elif "CONTINUE" in values:
        rec = "CONTINUE"
    elif "REVERT" in values:
        rec = "REVERT"
    else:
        rec = "NO_DECISION"
    return verdicts, rec, reasons


def _test_words(comp: Comparison, options: AbOptions) -> str:
    if comp.sequential is not None:
        return (f"look {comp.sequential['look']} of {comp.sequential['of']}: |z| = {abs(comp.statistic):.3f} "
                f"vs boundary {comp.sequential['boundary']:.3f}")
    if comp.always_valid is not None:
        return f"always-valid p = {comp.always_valid['p_value']:.2g}"
    adjusted = "" if options.correction == "none" else f", {options.correction}-adjusted {comp.p_value_adjusted:.2g}"
    return f"p = {comp.p_value:.2g}{adjusted}"


def _guard_value(g: GuardrailCheck) -> str:
    if g.kind == "rate":
        return f"{g.treatment_value:.4g}"
    return f"p{round(g.quantile * 100)} {g.treatment_value:.4g}{g.unit}"


def _guard_bound(g: GuardrailCheck) -> str:
    return f"{g.bound:.4g}{g.unit}"

