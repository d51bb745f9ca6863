"""Evidence items and how their strength is put on one 0-1 scale.

Every diagnostic turns what it measured into :class:`Evidence`: the values, the threshold they
were held against, the column, segment, metric or event they concern, and a *strength* in
[0, 1]. Strength is 0.5 exactly at the threshold and rises towards 1 as the measurement goes
further past it, by one rule for ratios and one for p-values (:func:`ratio_strength`,
:func:`pvalue_strength`), so that evidence of different kinds can be weighed side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Optional

ALPHA = 0.01  # the p-value at which a diagnostic test counts as evidence (strength 0.5)


@dataclass
class Evidence:
    diagnostic: str                 # performance, feature_drift, concept_drift, infrastructure, ...
    signal: str                     # what was measured, e.g. "ks", "scale_jump", "latency_p99_ms"
    summary: str                    # one sentence with the numbers
    strength: float                 # 0-1; 0.5 at the threshold
    supports: bool = True           # False: counter-evidence, weighs against the cause it is listed under
    column: Optional[str] = None
    segment: Optional[str] = None
    metric: Optional[str] = None
    event: Optional[str] = None
    value: Optional[float] = None
    baseline: Optional[float] = None
    threshold: Optional[float] = None
    p_value: Optional[float] = None
    details: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for key in ("diagnostic", "signal", "column", "segment", "metric", "event", "value", "baseline",
                    "threshold", "p_value", "strength", "supports", "summary"):
            v = getattr(self, key)
            if v is None:
                continue
            out[key] = round(v, 6) if isinstance(v, float) and math.isfinite(v) else v
        if self.details:
            out["details"] = self.details
        return out


def ratio_strength(ratio: float) -> float:
    """Strength of a measurement that is ``ratio`` times its threshold: r / (1 + r).

    >>> [round(ratio_strength(r), 3) for r in (0.0, 0.5, 1.0, 3.0, 9.0)]
    [0.0, 0.333, 0.5, 0.75, 0.9]
    """
    if ratio is None or not ratio > 0:
        return 0.0
    if math.isinf(ratio):
        return 1.0
    return float(ratio / (1.0 + ratio))


def pvalue_strength(p: Optional[float], alpha: float = ALPHA) -> float:
    """Strength of a p-value: :func:`ratio_strength` of log(p) / log(alpha), so alpha gives 0.5,
    alpha squared 0.667, and p = 0 gives 1.

    >>> [round(pvalue_strength(p), 3) for p in (0.5, 0.01, 1e-4, 1e-12, 0.0)]
    [0.131, 0.5, 0.667, 0.857, 1.0]
    """
    if p is None or not p == p or p >= 1:
        return 0.0
    if p <= 0:
        return 1.0
    return ratio_strength(math.log(p) / math.log(alpha))


def noisy_or(strengths: Iterable[float]) -> float:
    """1 - prod(1 - s): independent pieces of evidence for one cause add up, never past 1.

    >>> round(noisy_or([0.5, 0.5]), 3), noisy_or([])
    (0.75, 0.0)
    """
    out = 1.0
    for s in strengths:
        out *= 1.0 - max(0.0, min(1.0, s))
    return 1.0 - out


def fmt(x: Any) -> str:
    """A number for a sentence: 3 significant digits, scientific below 1e-3.

    >>> fmt(0.123456), fmt(1.5e-7), fmt(1234.5), fmt(None)
    ('0.123', '1.5e-07', '1.23e+03', 'n/a')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if isinstance(x, (int,)) and not isinstance(x, bool):
        return str(x)
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        return f"{x:.2g}"
    return f"{x:.3g}"


def pct(x: Optional[float]) -> str:
    """A share as a percentage with one decimal.

    >>> pct(0.1234), pct(None)
    ('12.3 %', 'n/a')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:.1f} %"
