"""Durations as configs write them (``500ms``, ``30s``, ``15m``, ``1h``, ``1d``, ``2w``) and where the
schema holds them."""

from __future__ import annotations

import re
from typing import Optional


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# where the schema's duration strings live ("*": any key or list index)
DURATION_PATHS = (
    "drift.window", "performance.windows.*", "performance.label_delay", "alerts.cooldown",
    "alerts.*.response_time", "alerts.*.conditions.latency_p99", "alerts.*.conditions.latency_p95",
    "experiments.guardrails.latency_p99_max",
)
# thresholds compared between tiers: a warning fires on a smaller value than critical does


def parse_duration(text: str) -> Optional[float]:
    """Seconds in a duration like ``30m``, ``1h``, ``7D``, ``500ms``; None when it does not parse.

    >>> parse_duration("1h"), parse_duration("7D"), parse_duration("500ms"), parse_duration("soon")
    (3600.0, 604800.0, 0.5, None)
    """
    m = _DURATION.match(text) if isinstance(text, str) else None
    if not m:
        return None
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]
