"""What a drift check returns: options in, per-column and dataset results out.

Plain dataclasses with a ``to_dict()`` (strict JSON: NaN and infinities become null); the same
objects feed Markdown, JSON, HTML and the history store, whatever the columns were read from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from mlmon.jsonsafe import bounded, strict_json
from mlmon.services.options import Options

SCHEMA_VERSION = 1
SEVERITY_CRITICAL = 0.5
SEVERITY_DEGRADED = 0.2


@dataclass
class DriftOptions(Options):
    """What a drift check does; built as ``DriftOptions.from_config(config, columns).override(**flags)``.

    Windowed mode (``window`` or ``chunk_size``) cuts the current data into windows on the
    ``timestamp`` column; ``calibrate`` sets thresholds from the score's distribution under no
    change at each window's size, for ``false_alarm_rate`` false alarms per column per window
    (windowed checks calibrate unless told not to; the two-file check only when ``calibrate``
    comes from a flag, so Evidently's thresholds stay its default).
    """

    method: Optional[str] = None
    column_methods: Dict[str, str] = field(default_factory=dict)
    threshold: Optional[float] = None
    column_thresholds: Dict[str, float] = field(default_factory=dict)
    drift_share: float = 0.5
    fdr: Optional[float] = None
    multivariate: Optional[str] = None
    mmd_gamma: Optional[float] = None
    target: Optional[str] = None
    prediction: Optional[str] = None
    numerical: Sequence[str] = ()
    categorical: Sequence[str] = ()
    exclude: Sequence[str] = ()
    workers: Optional[int] = None
    calibrate: bool = True
    false_alarm_rate: float = 0.01
    timestamp: Optional[str] = None
    window: Optional[str] = None
    chunk_size: Optional[int] = None
    timezone: Optional[str] = None
    segment_by: Sequence[str] = ()  # columns (or COL:TOPK) whose values split the data (see .segments)
    segment_min_rows: int = 100  # a segment with fewer rows on either side is reported, not tested
    segment_fdr: float = 0.05  # false discovery rate across (segment, column) pairs
    embedding: Sequence[str] = ()  # column-name prefixes whose columns make one embedding each
    text: Sequence[str] = ()  # text columns tested through their descriptors (see .text)
    config_warnings: Sequence[str] = ()  # config names not in the data (from_config)

    @classmethod
    def from_config(cls, config: Any, columns: Sequence[str]) -> "DriftOptions":
        """Options from a monitoring config (typed ``Config`` or its dict; None: defaults) for
        data with ``columns``; config names missing from the data are in ``config_warnings``."""
        if config is None:
            return cls()
        from mlmon.services.drift.options import options_from_config

        values, warnings = options_from_config(config, columns)
        out = cls().from_fields(**values)
        object.__setattr__(out, "config_warnings", tuple(warnings))
        return out

    def threshold_origin(self, column: str) -> Optional[str]:
        """Where an explicit threshold for ``column`` came from (config or flag), None without one.

        A value set in code without ``from_fields``/``override`` counts as ``flag`` (the caller gave it)."""
        name = "column_thresholds" if column in self.column_thresholds else "threshold" if self.threshold is not None else None
        if name is None:
            return None
        src = self.source(name)
        return "flag" if src == "default" else src

    @property
    def windowed(self) -> bool:
        return bool(self.window) or self.chunk_size is not None


@dataclass
class ColumnDrift:
    column: str
    type: str
    role: str
    method: str
    method_name: str
    score: float
    threshold: float
    drifted: bool
    score_kind: str
    drift_rule: str
    statistic: Optional[float]
    reference_count: int
    current_count: int
    reference_missing: int
    current_missing: int
    infinite_dropped: int
    p_value_adjusted: Optional[float] = None
    new_categories: Optional[List[str]] = None
    threshold_source: str = "default"  # default | calibrated | config | flag
    details: Optional[Dict[str, Any]] = None  # embeddings: what the test used (rows, dimension, interval)

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        if d["details"] is None:
            del d["details"]
        if d["p_value_adjusted"] is None:
            del d["p_value_adjusted"]
        if not d["new_categories"]:
            del d["new_categories"]
        else:
            d["new_categories"] = [bounded(v) for v in d["new_categories"]]
        return d


@dataclass
class ProfileColumnDrift(ColumnDrift):
    """A column's drift from summaries: the usual fields plus how exact the score is."""

    approximate: bool = False
    error_bound: Optional[float] = None
    statistic_bounds: Optional[List[float]] = None
    score_bounds: Optional[List[float]] = None
    verdict_certain: bool = True
    basis: str = "exact"

    def to_dict(self) -> Dict[str, Any]:
        d = super().to_dict()
        if not self.approximate:
            for key in ("error_bound", "statistic_bounds", "score_bounds"):
                d.pop(key, None)
        return d


@dataclass
class DriftResult:
    reference: Dict[str, Any]
    current: Dict[str, Any]
    columns: Dict[str, ColumnDrift]
    drift_share: float
    dataset_drift: bool
    drift_share_threshold: float
    n_columns: int
    n_drifted: int
    severity: str
    target_drift: Optional[ColumnDrift] = None
    prediction_drift: Optional[ColumnDrift] = None
    multivariate: Optional[Dict[str, Any]] = None
    skipped: Dict[str, str] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)
    recommendations: List[str] = field(default_factory=list)
    fdr: Optional[float] = None
    schema_version: int = SCHEMA_VERSION
    windows: Optional[List[Dict[str, Any]]] = None      # windowed mode only
    onsets: Optional[Dict[str, Optional[str]]] = None
    calibration: Optional[Dict[str, Any]] = None
    segments: Optional[Dict[str, Dict[str, Any]]] = None  # segment mode only: each segment's own result
    segmentation: Optional[Dict[str, Any]] = None

    @property
    def drifted_columns(self) -> List[str]:
        return [c.column for c in self.columns.values() if c.drifted]

    def to_dict(self) -> Dict[str, Any]:
        d = {
            "schema_version": self.schema_version,
            "reference": self.reference,
            "current": self.current,
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drift_share_threshold": self.drift_share_threshold,
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "severity": self.severity,
            "columns": {name: c.to_dict() for name, c in self.columns.items()},
            "target_drift": self.target_drift.to_dict() if self.target_drift else None,
            "prediction_drift": self.prediction_drift.to_dict() if self.prediction_drift else None,
            "multivariate": self.multivariate,
            "fdr": self.fdr,
            "skipped": {k: bounded(v) for k, v in self.skipped.items()},
            "warnings": [bounded(w) for w in self.warnings],
            "recommendations": [bounded(r) for r in self.recommendations],
        }
        if self.calibration is not None:
            d["calibration"] = self.calibration
        if self.windows is not None:
            d["windows"] = self.windows
            d["onsets"] = self.onsets or {}
        if self.segmentation is not None:
            d["segmentation"] = self.segmentation
            d["segments"] = self.segments or {}
        return strict_json(d)


def severity_of(drift_share: float) -> str:
    """``critical`` above 0.5, ``degraded`` above 0.2, else ``healthy``.

    >>> [severity_of(s) for s in (0.0, 0.2, 0.25, 0.5, 0.6)]
    ['healthy', 'healthy', 'degraded', 'degraded', 'critical']
    """
    if drift_share > SEVERITY_CRITICAL:
        return "critical"
    if drift_share > SEVERITY_DEGRADED:
        return "degraded"
    return "healthy"
