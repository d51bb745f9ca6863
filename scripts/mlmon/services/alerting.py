"""The alert engine: rules from the config's tiers, evaluated against what a run observed.

A rule is one condition of one tier (``accuracy_drop`` of ``critical``, say) with the threshold
the config gives it. Its dedup key, ``<model>/<condition>/<tier>``, names it everywhere: in the
history store, in PagerDuty's ``dedup_key``, in the Alertmanager fingerprint.

Semantics, per rule:

- a breach is an observed value above the threshold (boolean conditions: above zero);
- the rule *fires* after ``alerts.consecutive_failures`` breaches in a row;
- a firing notification is not sent again within ``alerts.cooldown`` of the last one: a rule
  that keeps breaching is re-announced once per cooldown, and one that resolves and breaches
  again inside the cooldown comes back silently (flapping is not news);
- ``alerts.resolve_after`` checks in a row without a breach resolve it (default 1: the first
  clean check), and a *resolved* notification follows if the firing was announced; a breach
  before that keeps it firing and starts the clean count again, so a condition that flaps
  (breach, clean, breach, ...) with ``resolve_after: 2`` stays one incident. A firing rule
  counting clean checks has status ``clearing``;
- a rule not observed in a run (no labels, no latency data) keeps its state untouched;
- the clock is the caller's: ``mlmon run --date D`` passes the end of day D (data time), so
  a backfill counts cooldowns as the real days would have;
- a warning or info rule is inhibited (kept, not announced) while the critical rule of the same
  condition fires, as Alertmanager's inhibition of warnings by criticals does.

:func:`evaluate` is pure: states in, states and messages out, the clock passed in. The
scheduled job loads the states from the history store and saves what comes back, so counts
and cooldowns survive between runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple, Union

from mlmon.services.config import parse_duration
from mlmon.services.config.model import typed

if TYPE_CHECKING:
    from mlmon.services.config.model import Config

SCHEMA_VERSION = 1
TIERS = ("critical", "warning", "info")
BOOLEAN_CONDITIONS = ("feature_distribution_shift", "traffic_pattern_change", "new_category_detected")
BOOLEAN_TEXT = {
    "feature_distribution_shift": "any feature drifted",
    "new_category_detected": "a categorical column holds a value the reference lacks",
    "traffic_pattern_change": "row count off the median of recent runs by more than 50%",
}
# volume change that counts as a traffic pattern change: |rows - median| / median of recent runs
TRAFFIC_CHANGE = 0.5
# a metric where a smaller value is better; its drop is a relative rise
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae", "mape", "quantile_loss", "false_positive_cost",
                             "false_negative_cost"})


@dataclass(frozen=True)
class Rule:
    key: str
    model: str
    model_version: Optional[str]
    condition: str
    tier: str
    threshold: float          # compared with ``value > threshold``
    threshold_text: str       # as the config writes it: 0.15, 2s, true
    notify: Tuple[str, ...]
    response_time: Optional[str] = None

    @property
    def text(self) -> str:
        """The rule in words, for messages: ``drift_score > 0.5``, ``any feature drifted``."""
        return BOOLEAN_TEXT.get(self.condition) or f"{self.condition} > {self.threshold_text}"


@dataclass
class RuleState:
    consecutive: int = 0      # breaches in a row
    clean: int = 0            # checks in a row without a breach while firing (toward resolve_after)
    firing: bool = False
    notified: bool = False
    started_at: Optional[float] = None
    last_fired_at: Optional[float] = None
    last_value: Optional[float] = None


class Observation(NamedTuple):
    """A condition's observed value in one run (None: not observed) and how it was found."""

    value: Optional[float]
    detail: str


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
            "breached": self.breached,
            "consecutive": self.state.consecutive,
            "clean": self.state.clean,
            "status": self.status,
            "notify": list(self.rule.notify) if self.message else [],
            "message": self.message["status"] if self.message else None,
        }


# ---------------------------------------------------------------------------- rules

def alert_key(model: str, condition: str, tier: str) -> str:
    """The stable dedup key of one rule.

    >>> alert_key("fraud-detector", "accuracy_drop", "critical")
    'fraud-detector/accuracy_drop/critical'
    """
    return f"{model}/{condition}/{tier}"


def fingerprint(key: str) -> str:
    """16 hex digits naming an alert, as Alertmanager's fingerprints do.

    >>> fingerprint("fraud-detector/accuracy_drop/critical")
    'ec2f49dd248337d7'
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def rules_from_config(config: Union["Config", Mapping[str, Any]]) -> List[Rule]:
    """One rule per condition of each tier in ``alerts`` (a boolean condition set to false makes none).

    ``config`` is the typed :class:`~mlmon.services.config.model.Config` (a plain, validated
    config dict is typed first)."""
    config = typed(config)
    name = config.model.name or "model"
    version = config.model.version
    rules: List[Rule] = []
    for tier_name in TIERS:
        tier = config.alerts.tier(tier_name)
        for condition in (f.name for f in fields(tier.conditions)):
            raw = getattr(tier.conditions, condition)
            if condition in BOOLEAN_CONDITIONS:
                if not raw:
                    continue
                threshold = TRAFFIC_CHANGE if condition == "traffic_pattern_change" else 0.0
                text = "true"
            elif raw is None:
                continue
            elif condition.startswith("latency"):
                threshold, text = parse_duration(raw), str(raw)
            else:
                threshold, text = float(raw), _number_text(raw)
            rules.append(Rule(
                key=alert_key(name, condition, tier_name), model=name,
                model_version=None if version is None else str(version), condition=condition, tier=tier_name,
                threshold=float(threshold), threshold_text=text, notify=tuple(tier.notify),
                response_time=tier.response_time,
            ))
    return rules


@dataclass(frozen=True)
class EngineSettings:
    """The config's rules of the engine itself: breaches to fire, clean checks to resolve, the cooldown."""

    consecutive_failures: int = 3
    cooldown: float = 3600.0   # seconds
    resolve_after: int = 1

    @classmethod
    def from_config(cls, config: Union["Config", Mapping[str, Any]]) -> "EngineSettings":
        """
        >>> EngineSettings.from_config({"alerts": {"cooldown": "1d", "resolve_after": 2}})
        EngineSettings(consecutive_failures=3, cooldown=86400.0, resolve_after=2)
        """
        alerts = typed(config).alerts
        return cls(alerts.consecutive_failures, parse_duration(alerts.cooldown) or 0.0, alerts.resolve_after)


def _number_text(x: Any) -> str:
    return repr(x) if isinstance(x, float) else str(x)


# ---------------------------------------------------------------------------- observations

NAMED_FEATURES = 10  # drifted features a message names; the rest are counted


def observe(drift: Optional[Mapping[str, Any]], perf: Optional[Mapping[str, Any]] = None,
            primary: Iterable[str] = (), traffic_change: Optional[float] = None,
            traffic_detail: str = "") -> Dict[str, Observation]:
    """What a run's drift and performance results say about each condition.

    ``primary`` names the metrics ``accuracy_drop`` watches; ``traffic_change`` is the relative
    change of the row count against recent runs (None: too few runs to say). Latency and error
    rate come from serving metrics, not from batch data, so they stay unobserved here.
    """
    obs: Dict[str, Observation] = {
        "latency_p99": Observation(None, "not in batch data; alert on the exporter's metrics in Prometheus"),
        "latency_p95": Observation(None, "not in batch data; alert on the exporter's metrics in Prometheus"),
        "error_rate": Observation(None, "not in batch data; alert on the exporter's metrics in Prometheus"),
        "traffic_pattern_change": Observation(traffic_change, traffic_detail),
    }
    if drift is not None:
        drifted = sorted(n for n, c in drift["columns"].items() if c["drifted"])
        named = ", ".join(drifted[:NAMED_FEATURES]) + (f" and {len(drifted) - NAMED_FEATURES} more"
                                                       if len(drifted) > NAMED_FEATURES else "")
        obs["drift_score"] = Observation(
            drift["drift_share"], f"{drift['n_drifted']} of {drift['n_columns']} features drifted"
                                  + (f": {named}" if drifted else ""))
        obs["feature_distribution_shift"] = Observation(
            float(len(drifted)), "drifted: " + ", ".join(drifted) if drifted else "no feature drifted")
        new = {n: c.get("new_categories") for n, c in drift["columns"].items() if c.get("new_categories")}
        obs["new_category_detected"] = Observation(
            float(len(new)),
            "; ".join(f"{n}: {', '.join(map(str, v[:5]))}" for n, v in sorted(new.items())) or "no new category")
    else:
        for c in ("drift_score", "feature_distribution_shift", "new_category_detected"):
            obs[c] = Observation(None, "no drift result")
    obs["accuracy_drop"] = accuracy_drop(perf, primary)
    return obs


def _value(x: Any) -> Optional[float]:
    if isinstance(x, Mapping):
        x = x.get("value")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


def _g(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.6g}"


def accuracy_drop(perf: Optional[Mapping[str, Any]], primary: Iterable[str]) -> Observation:
    """The largest relative drop of a primary metric in the latest labeled window from the baseline
    (the previous labeled window when there is no baseline); a rise for lower-is-better metrics.
    Where the performance service reports per-window ``drops``, the latest assessed window's are
    used as they are.

    accuracy 0.9 -> 0.72 is a drop of (0.9 - 0.72) / 0.9 = 0.2; log_loss 0.2 -> 0.22 a rise of 0.1:

    >>> perf = {"baseline": {"metrics": {"accuracy": 0.9, "log_loss": 0.2}},
    ...         "windows": [{"start": "d1", "metrics": {"accuracy": 0.72, "log_loss": 0.22}}]}
    >>> accuracy_drop(perf, ["accuracy", "log_loss"])
    Observation(value=0.2, detail='accuracy 0.72 vs baseline 0.9 (window d1)')
    """
    if perf is None:
        return Observation(None, "no performance result")
    assessed = [w for w in perf.get("windows") or [] if w.get("drops")]
    if assessed:  # the performance service measured the drops itself (realized or estimated)
        w = assessed[-1]
        metric, drop = max(w["drops"].items(), key=lambda kv: kv[1])
        basis = w.get("severity_basis") or "realized"
        values = (w.get("estimated") if basis == "estimated" else w.get("metrics")) or {}
        base = ((perf.get("baseline") or {}).get("metrics") or {}).get(metric)
        return Observation(round(drop, 12), f"{metric} {_g(_value(values.get(metric)))} ({basis}) vs baseline "
                                            f"{_g(_value(base))} (window {w.get('start')})")
    primary = list(primary)
    labeled = [w for w in perf.get("windows") or []
               if any(_value((w.get("metrics") or {}).get(m)) is not None for m in primary)]
    if not labeled:
        return Observation(None, "no labeled window")
    latest = labeled[-1]
    if perf.get("baseline"):
        base, base_name = perf["baseline"].get("metrics") or {}, "baseline"
    elif len(labeled) > 1:
        base, base_name = labeled[-2].get("metrics") or {}, "previous window"
    else:
        return Observation(None, "no baseline and a single labeled window")
    worst: Optional[Tuple[float, str]] = None
    for m in primary:
        b, c = _value(base.get(m)), _value((latest.get("metrics") or {}).get(m))
        if b is None or c is None or b == 0:
            continue
        drop = (c - b) / abs(b) if m in LOWER_IS_BETTER else (b - c) / abs(b)
        drop = round(drop, 12)  # 0.9 -> 0.72 is a drop of 0.2, not 0.19999999999999996
        if worst is None or drop > worst[0]:
            worst = (drop, f"{m} {c:.6g} vs {base_name} {b:.6g} (window {latest.get('start')})")
    if worst is None:
        return Observation(None, "no primary metric in both the baseline and the latest window")
    return Observation(worst[0], worst[1])


# ---------------------------------------------------------------------------- decisions

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
        summary = (f"[{r.tier.upper()}] {r.model}: {r.condition} {_show(r, value)} {verb} "
                   f"{r.threshold_text}" + ("" if firing else " (resolved)"))
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


# ---------------------------------------------------------------------------- store rows

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
