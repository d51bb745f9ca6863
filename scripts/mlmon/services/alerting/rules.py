"""Alert rules: one per condition of each tier the config sets, named by its dedup key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Tuple, Union

from mlmon.services.config import parse_duration
from mlmon.services.config.model import typed
from mlmon.stats.direction import LOWER_IS_BETTER  # declared once; re-exported for callers of this module

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
