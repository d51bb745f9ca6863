"""The message a decision sends: the same fields for every channel (each channel module
formats them), with times in ISO 8601."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from mlmon.services.alerting.rules import BOOLEAN_TEXT, SCHEMA_VERSION, Rule, fingerprint

if TYPE_CHECKING:
    from mlmon.services.alerting.engine import Decision


def message(d: Decision, now: float, context: Mapping[str, Any]) -> Dict[str, Any]:
    """The alert event stored in the outbox and rendered by every notifier."""
    r, s = d.rule, d.state
    firing = d.send in ("firing", "repeat")
    started = s.started_at if s.started_at is not None else now
    value = d.observation.value
    if d.status == "retired":
        summary = f"[{r.tier.upper()}] {r.model}: {r.condition} resolved (rule removed from the config)"
    elif r.condition in BOOLEAN_TEXT:
        summary = (f"[{r.tier.upper()}] {r.model}: {r.condition}" + ("" if firing else " resolved")
                   + f" ({d.observation.detail})")
    else:
        verb = "above" if firing else "no longer above"  # resolved: at or under, "0.5 back under 0.5" misread
        summary = (f"[{r.tier.upper()}] {r.model}: {r.condition} {_show(r, value)}"
                   + (" (estimated)" if d.observation.source == "estimated" else "")
                   + f" {verb} {r.threshold_text}" + ("" if firing else " (resolved)"))
    return {
        "schema_version": SCHEMA_VERSION,
        "key": r.key,
        "fingerprint": fingerprint(r.key),
        "status": "firing" if firing else "resolved",
        "repeat": d.send == "repeat",
        "model": r.model,
        "model_version": r.model_version,
        "condition": r.condition,
        "tier": r.tier,
        "value": value,
        "threshold": r.threshold,
        "threshold_text": r.threshold_text,
        "rule": r.text,
        "consecutive": s.consecutive,
        "detail": d.observation.detail,
        "estimated": d.observation.source == "estimated",  # the value is an estimate: labels not in yet
        "summary": summary,
        "response_time": r.response_time,
        "starts_at": iso(started),
        "ends_at": None if firing else iso(now),
        "sent_for": iso(now),
        **{k: v for k, v in context.items() if v is not None},
    }


def _show(rule: Rule, value: Optional[float]) -> str:
    if value is None:
        return "?"
    if rule.condition.startswith("latency"):
        return f"{value:g}s"
    return f"{value:.4g}"


def iso(t: float) -> str:
    """UTC ISO 8601 with a Z, as Alertmanager and PagerDuty write times.

    >>> iso(0.0)
    '1970-01-01T00:00:00Z'
    """
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
