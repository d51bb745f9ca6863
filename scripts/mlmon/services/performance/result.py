"""The result of a performance run: one :class:`PerfWindow` per window inside a :class:`PerfResult`,
whose ``to_dict()`` is the JSON contract of ``mlmon perf --format json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from mlmon.jsonsafe import strict_json

SCHEMA_VERSION = 1

Interval = Dict[str, Optional[float]]    # {"lower": ..., "upper": ...}


@dataclass
class PerfWindow:
    """One window: its rows and labels, realized and estimated metrics with their 95% intervals,
    and its severity against the baseline (``severity_basis`` says which metrics decided it)."""

    start: str
    end: str
    n: int
    n_labeled: int
    unlabeled_share: Optional[float]
    metrics: Dict[str, Optional[float]] = field(default_factory=dict)
    intervals: Dict[str, Interval] = field(default_factory=dict)
    estimated: Optional[Dict[str, Optional[float]]] = None
    estimated_intervals: Optional[Dict[str, Interval]] = None
    estimation: Optional[Dict[str, Any]] = None          # reliable, reasons, unseen_share
    severity: str = "healthy"
    severity_basis: Optional[str] = None                 # "realized", "estimated", or None (not judged)
    drops: Dict[str, float] = field(default_factory=dict)
    drop_beyond_noise: Dict[str, bool] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    against_previous: bool = False                       # baseline is the previous judged window
    baseline_window: Optional[str] = None                # its start, when against_previous
    too_small: List[str] = field(default_factory=list)   # realized metrics whose interval is withheld (too few labels)

    @property
    def judged_values(self) -> Optional[Dict[str, Optional[float]]]:
        """The metrics the severity was judged on (realized or estimated), None when not judged."""
        if self.severity_basis is None:
            return None
        return self.metrics if self.severity_basis == "realized" else self.estimated

    def to_dict(self) -> Dict[str, Any]:
        out = {
            "start": self.start, "end": self.end, "n": self.n, "n_labeled": self.n_labeled,
            "unlabeled_share": self.unlabeled_share,
            "metrics": self.metrics, "intervals": self.intervals,
            "estimated": self.estimated, "estimated_intervals": self.estimated_intervals,
            "estimation": self.estimation,
            "severity": self.severity, "severity_basis": self.severity_basis, "drops": self.drops,
            "drop_beyond_noise": self.drop_beyond_noise,
            "notes": self.notes,
            "too_small": self.too_small,
        }
        if self.against_previous:
            out["baseline_window"] = self.baseline_window
        return out


@dataclass
class PerfResult:
    task: str
    window: str
    columns: Dict[str, Any]
    rows: int
    labeled_rows: int
    baseline: Optional[Dict[str, Any]]
    windows: List[PerfWindow]
    label_delay: Optional[Dict[str, Any]]
    severity: str
    primary: List[str]
    tiers: Dict[str, float]
    estimation: Optional[Dict[str, Any]] = None
    labels_join: Optional[Dict[str, Any]] = None
    model: Optional[str] = None
    version: Optional[str] = None
    warnings: List[str] = field(default_factory=list)
    baseline_kind: str = "reference"
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> Dict[str, Any]:
        return strict_json({
            "schema_version": self.schema_version,
            "task": self.task,
            "model": self.model,
            "version": self.version,
            "window": self.window,
            "columns": self.columns,
            "rows": self.rows,
            "labeled_rows": self.labeled_rows,
            "labels_join": self.labels_join,
            "severity": self.severity,
            "primary": self.primary,
            "tiers": self.tiers,
            "baseline": self.baseline,
            "baseline_kind": self.baseline_kind,
            "estimation": self.estimation,
            "windows": [w.to_dict() for w in self.windows],
            "label_delay": self.label_delay,
            "warnings": self.warnings,
        })
