"""The state machine: consecutive breaches, firing, cooldown, clearing, inhibition, and the
store rows that carry a rule's state between runs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional

from mlmon.services.alerting.messages import message
from mlmon.services.alerting.observations import Observation
from mlmon.services.alerting.rules import TIERS, Rule


@dataclass
class RuleState:
    consecutive: int = 0      # breaches in a row
    clean: int = 0            # checks in a row without a breach while firing (toward resolve_after)
    firing: bool = False
    notified: bool = False
    started_at: Optional[float] = None
    last_fired_at: Optional[float] = None
    last_value: Optional[float] = None


@dataclass
class Decision:
    """What one rule did in one run: its new state, its status and the message it sends, if any."""

    rule: Rule
    observation: Observation
    breached: Optional[bool]
    state: RuleState
    status: str               # ok | pending | firing | clearing | silenced | inhibited | resolved | unobserved | retired
    send: Optional[str] = None  # the message due: firing | repeat | resolved
    message: Optional[Dict[str, Any]] = None  # that message, built by evaluate()

    def to_dict(self) -> Dict[str, Any]:
        return {
            "key": self.rule.key,
            "condition": self.rule.condition,
            "tier": self.rule.tier,
            "threshold": self.rule.threshold,
            "threshold_text": self.rule.threshold_text,
            "rule": self.rule.text,
            "value": self.observation.value,
            "detail": self.observation.detail,
            "estimated": self.observation.source == "estimated",
            "breached": self.breached,
            "consecutive": self.state.consecutive,
            "clean": self.state.clean,
            "status": self.status,
            "notify": list(self.rule.notify) if self.message else [],
            "message": self.message["status"] if self.message else None,
        }


def evaluate(rules: Iterable[Rule], observations: Mapping[str, Observation], states: Mapping[str, RuleState],
             now: float, consecutive_failures: int = 3, cooldown: float = 3600.0,
             context: Optional[Mapping[str, Any]] = None, resolve_after: int = 1) -> List[Decision]:
    """Step every rule once. Pure: ``states`` is not modified; each decision carries its new state
    and the message to send (``firing`` or ``resolved``), or None."""
    rules = sorted(rules, key=lambda r: TIERS.index(r.tier))  # criticals first: they inhibit
    firing_above: Dict[str, int] = {}  # condition -> the most severe tier index firing now
    decisions: List[Decision] = []
    for rule in rules:
        obs = observations.get(rule.condition, Observation(None, "not observed"))
        rank = TIERS.index(rule.tier)
        inhibited = firing_above.get(rule.condition, rank) < rank
        d = step(rule, obs, states.get(rule.key) or RuleState(), now, consecutive_failures, cooldown, inhibited,
                 resolve_after)
        if d.state.firing:
            firing_above[rule.condition] = min(rank, firing_above.get(rule.condition, rank))
        if d.send is not None:
            d.message = message(d, now, context or {})
        decisions.append(d)
    return decisions


def step(rule: Rule, obs: Observation, state: RuleState, now: float, consecutive_failures: int,
         cooldown: float, inhibited: bool = False, resolve_after: int = 1) -> Decision:
    """One rule, one check: the new state, the status, and in ``send`` the message due, if any."""
    s = replace(state)
    if obs.value is None:
        return Decision(rule, obs, None, s, "firing" if s.firing else "unobserved")
    s.last_value = obs.value
    if not obs.value > rule.threshold:
        s.consecutive = 0
        if not s.firing:
            s.clean = 0
            return Decision(rule, obs, False, s, "ok")
        s.clean += 1
        if s.clean < resolve_after:
            return Decision(rule, obs, False, s, "clearing")
        announce = s.notified
        s.firing, s.notified, s.clean = False, False, 0
        return Decision(rule, obs, False, s, "resolved", "resolved" if announce else None)
    s.consecutive += 1
    s.clean = 0
    if not s.firing and s.consecutive >= consecutive_failures:
        s.firing, s.notified, s.started_at = True, False, now
    if not s.firing:
        return Decision(rule, obs, True, s, "pending")
    if inhibited:
        return Decision(rule, obs, True, s, "inhibited")
    quiet = s.last_fired_at is not None and now - s.last_fired_at < cooldown
    if quiet:
        return Decision(rule, obs, True, s, "firing" if s.notified else "silenced")
    repeat = s.notified
    s.notified, s.last_fired_at = True, now
    return Decision(rule, obs, True, s, "firing", "repeat" if repeat else "firing")


def retire(rows: Mapping[str, Mapping[str, Any]], rules: Iterable[Rule], model: str,
           told: Mapping[str, Iterable[str]], now: float, context: Optional[Mapping[str, Any]] = None) -> List[Decision]:
    """Stored rules of ``model`` that are no longer in the config. One that was firing, announced,
    gets its *resolved* message on the channels that were ``told`` it fired (key -> channels), so
    no incident stays open for a rule nobody evaluates any more. Status ``retired``."""
    live = {r.key for r in rules}
    out: List[Decision] = []
    for key, row in sorted(rows.items()):
        if key in live or row["model"] != model:
            continue
        old = state_from_row(row)
        threshold = float(row["threshold"] or 0.0)
        rule = Rule(key=key, model=model, model_version=None, condition=row["rule"], tier=row["tier"],
                    threshold=threshold, threshold_text=f"{threshold:g}", notify=tuple(sorted(told.get(key, ()))))
        state = RuleState(started_at=old.started_at, last_fired_at=old.last_fired_at, last_value=old.last_value)
        d = Decision(rule, Observation(old.last_value, "rule removed from the config"), None, state, "retired")
        if old.firing and old.notified and rule.notify:
            d.send = "resolved"
            d.message = message(d, now, context or {})
        out.append(d)
    return out


def state_from_row(row: Mapping[str, Any]) -> RuleState:
    return RuleState(consecutive=int(row["consecutive"]), clean=int(row.get("clean") or 0), firing=bool(row["firing"]),
                     notified=bool(row["notified"]), started_at=row["started_at"], last_fired_at=row["last_fired_at"],
                     last_value=row["last_value"])


def state_row(d: Decision, now: float) -> Dict[str, Any]:
    s = d.state
    return {"key": d.rule.key, "model": d.rule.model, "rule": d.rule.condition, "tier": d.rule.tier,
            "consecutive": s.consecutive, "clean": s.clean, "firing": s.firing, "notified": s.notified, "started_at": s.started_at,
            "last_fired_at": s.last_fired_at, "last_value": s.last_value, "threshold": d.rule.threshold,
            "updated_at": now}
