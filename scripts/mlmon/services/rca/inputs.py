"""What a diagnosis works from, and the facts every diagnostic shares (column roles, the task,
the model's score, residuals, the period each side covers)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.io.infra import ChangeEvent, to_utc
from mlmon.io.tables import Table
from mlmon.services.options import Options

TASKS = ("binary", "multiclass", "regression")


@dataclass
class Thresholds:
    """Alert tiers the infrastructure evidence is held against (the config's ``alerts``),
    and the relative metric drop that counts as degradation."""

    latency_p95_ms: float = 500.0         # alerts.warning.conditions.latency_p95
    latency_p99_ms: float = 2000.0        # alerts.critical.conditions.latency_p99
    error_rate_warning: float = 0.01      # alerts.warning.conditions.error_rate
    error_rate_critical: float = 0.05     # alerts.critical.conditions.error_rate
    accuracy_drop: float = 0.05           # alerts.warning.conditions.accuracy_drop
    accuracy_drop_critical: float = 0.15  # alerts.critical.conditions.accuracy_drop
    saturation: float = 0.90              # cpu / memory utilisation that counts as saturated
    gpu_idle: float = 0.30                # gpu utilisation below this while latency breaches
    traffic_ratio: float = 2.0            # requests at least this many times (or 1/this) the baseline
    coverage_share: float = 0.05          # share of current rows outside the reference's range
    consecutive_windows: int = 2          # non-healthy windows in a row that confirm a degradation

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        """The tiers a typed monitoring config's ``alerts`` section sets (a validated config
        dict is typed first); what the file leaves out keeps the defaults above."""
        from mlmon.services.config import parse_duration

        from mlmon.services.config.model import typed

        config = typed(config)
        t = cls()
        warn, crit = config.alerts.warning.conditions, config.alerts.critical.conditions

        def ms(v: Optional[str]) -> Optional[float]:
            s = parse_duration(v) if v is not None else None
            return None if s is None else s * 1000.0

        if ms(warn.latency_p95) is not None:
            t.latency_p95_ms = ms(warn.latency_p95)
        if ms(crit.latency_p99) is not None:
            t.latency_p99_ms = ms(crit.latency_p99)
        if isinstance(warn.error_rate, (int, float)):
            t.error_rate_warning = float(warn.error_rate)
        if isinstance(crit.error_rate, (int, float)):
            t.error_rate_critical = float(crit.error_rate)
        if isinstance(warn.accuracy_drop, (int, float)):
            t.accuracy_drop = float(warn.accuracy_drop)
        if isinstance(crit.accuracy_drop, (int, float)):
            t.accuracy_drop_critical = float(crit.accuracy_drop)
        if config.given("alerts", "consecutive_failures") and config.alerts.consecutive_failures >= 1:
            t.consecutive_windows = config.alerts.consecutive_failures
        return t


def settings_from_config(config) -> Dict[str, Any]:
    """What a typed monitoring config gives a diagnosis: the column roles and task, read as
    ``mlmon perf --config`` reads them; the columns left out (``exclude`` and the row ``id``);
    and the reference and current paths when they are fixed (no ``{date}`` to fill in).

    >>> from mlmon.services.config.model import from_dict
    >>> settings_from_config(from_dict({"model": {"task": "binary"}, "data": {
    ...     "reference": {"path": "ref.parquet"}, "current": {"path": "cur/{date}.parquet"},
    ...     "columns": {"target": "y", "prediction_proba": "p", "id": "tx", "exclude": ["note"]}}}))
    {'target': 'y', 'proba': 'p', 'task': 'binary', 'exclude': ['note', 'tx'], 'reference': 'ref.parquet'}
    """
    from mlmon.services.performance import settings_from_config as performance_settings

    from mlmon.services.config.model import typed

    config = typed(config)
    perf = performance_settings(config)
    found: Dict[str, Any] = {k: perf[k] for k in ("target", "prediction", "proba", "timestamp", "task") if k in perf}
    cols = config.data.columns
    found["exclude"] = [c for c in list(cols.exclude) + [cols.id] if c]
    for side in ("reference", "current"):
        path = getattr(config.data, side).path
        if path and "{" not in path:
            found[side] = path
    return found


@dataclass(frozen=True)
class DiagnoseOptions(Options):
    """The data and column roles of one diagnosis, built as
    ``DiagnoseOptions.from_config(config).override(**flags)``; ``exclude`` is the config's
    (those in the data) and the flag's together."""

    reference: Optional[str] = None
    current: Optional[str] = None
    target: Optional[str] = None
    prediction: Optional[str] = None
    proba: Optional[str] = None
    timestamp: Optional[str] = None
    task: Optional[str] = None

    @classmethod
    def from_config(cls, config) -> "DiagnoseOptions":
        if config is None:
            return cls()
        given = settings_from_config(config)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls().from_fields(**{k: v for k, v in given.items() if k in names})

    def require_data(self) -> None:
        for side in ("reference", "current"):
            if not getattr(self, side):
                raise MlmonError(f"{option(side)} is required", OPTIONS,
                                 f"pass {option(side)} FILE (or a config whose data section names it)")

    def roles_in(self, columns) -> Dict[str, Optional[str]]:
        """The column roles; a role the config names (a model's column) is dropped when the data
        at hand lacks it, one the user gave is kept (and checked)."""
        present = set(columns)
        return {k: (v if self.source(k) != "config" or v in present else None)
                for k in ("target", "prediction", "proba", "timestamp")
                for v in [getattr(self, k)]}


@dataclass
class RcaInputs:
    reference: Table
    current: Table
    target: Optional[str] = None
    prediction: Optional[str] = None
    proba: Optional[str] = None
    timestamp: Optional[str] = None
    task: Optional[str] = None
    exclude: Sequence[str] = ()
    infra: Optional[pd.DataFrame] = None
    infra_source: Optional[str] = None
    events: Optional[List[ChangeEvent]] = None  # None: no change log; []: a log listing no change
    history: Any = None                   # a HistoryStore, read for the timeline
    model: Optional[str] = None           # whose past runs the timeline reads (None: every model's)
    thresholds: Thresholds = field(default_factory=Thresholds)


class Context:
    """Derived facts, computed once."""

    def __init__(self, inputs: RcaInputs):
        self.inputs = inputs
        self.ref = inputs.reference.frame
        self.cur = inputs.current.frame
        self.warnings: List[str] = []
        self._check_roles()
        self.task = inputs.task or self._infer_task()
        roles = {inputs.target, inputs.prediction, inputs.proba, inputs.timestamp}
        skip = set(inputs.exclude) | {r for r in roles if r}
        self.features = [c for c in inputs.reference.columns if c in set(inputs.current.columns) and c not in skip]
        self.only_reference = [c for c in inputs.reference.columns if c not in set(inputs.current.columns) and c not in skip]
        self.only_current = [c for c in inputs.current.columns if c not in set(inputs.reference.columns) and c not in skip]
        self.numerical = [c for c in self.features if _is_numeric(self.ref[c]) and _is_numeric(self.cur[c])]
        self.categorical = [c for c in self.features if c not in self.numerical]
        self.score = inputs.proba or inputs.prediction   # the model's output as drift sees it
        self.ref_time = self._times(self.ref, "reference")
        self.cur_time = self._times(self.cur, "current")
        self.labeled = bool(inputs.target and (inputs.proba or inputs.prediction))

    # ---------------------------------------------------------------- roles and task

    def _check_roles(self) -> None:
        i = self.inputs
        for flag, col in ((option("target"), i.target), (option("prediction"), i.prediction),
                          (option("proba"), i.proba), (option("timestamp"), i.timestamp)):
            if not col:
                continue
            for side, table in (("reference", i.reference), ("current", i.current)):
                if col not in table.columns:
                    raise MlmonError(f"{flag} column {col!r} is not in the {side} data", f"{side} {table.path}",
                                     "check the column name against the file's header")
        if i.task is not None and i.task not in TASKS:
            raise MlmonError(f"unknown task {i.task!r}", option("task"), "use binary, multiclass or regression")

    def _infer_task(self) -> Optional[str]:
        i = self.inputs
        if not i.target:
            return "binary" if i.proba else None
        y = pd.concat([self.ref[i.target], self.cur[i.target]], ignore_index=True).dropna()
        if not _is_numeric(y):
            return "binary" if y.nunique() <= 2 else "multiclass"
        n = y.nunique()
        if n <= 2:
            return "binary"
        if n <= 20 and np.allclose(y.astype(float) % 1, 0):
            return "multiclass"
        return "regression"

    def _times(self, frame: pd.DataFrame, side: str) -> Optional[pd.Series]:
        col = self.inputs.timestamp
        if not col:
            return None
        return to_utc(frame[col], f"{side} column {col}", col)

    # ---------------------------------------------------------------- model output

    def labels(self, frame: pd.DataFrame) -> Optional[np.ndarray]:
        if not self.inputs.target:
            return None
        return frame[self.inputs.target].to_numpy()

    def positive_label(self):
        """The label the probability is of: 1, True, or the larger of two labels."""
        y = pd.concat([self.ref[self.inputs.target], self.cur[self.inputs.target]]).dropna().unique()
        vals = sorted(y.tolist(), key=lambda v: (str(type(v)), v))
        return vals[-1] if vals else 1

    def residuals(self, frame: pd.DataFrame) -> Optional[np.ndarray]:
        """label - probability (binary), label - prediction (regression), None otherwise."""
        i = self.inputs
        if not i.target:
            return None
        if self.task == "binary" and i.proba:
            y = (frame[i.target].to_numpy() == self.positive_label()).astype(float)
            return y - frame[i.proba].to_numpy(dtype=float)
        if self.task == "regression" and i.prediction:
            return frame[i.target].to_numpy(dtype=float) - frame[i.prediction].to_numpy(dtype=float)
        return None

    def errors(self, frame: pd.DataFrame) -> Optional[np.ndarray]:
        """Per row: 1.0 when the prediction is wrong (classification), |residual| (regression)."""
        i = self.inputs
        if not i.target:
            return None
        if self.task == "regression" and i.prediction:
            return np.abs(frame[i.target].to_numpy(dtype=float) - frame[i.prediction].to_numpy(dtype=float))
        if i.prediction:
            return (frame[i.target].astype(str).to_numpy() != frame[i.prediction].astype(str).to_numpy()).astype(float)
        if self.task == "binary" and i.proba:
            pos = self.positive_label()
            y = frame[i.target].to_numpy() == pos
            return ((frame[i.proba].to_numpy(dtype=float) >= 0.5) != y).astype(float)
        return None

    def score_values(self, frame: pd.DataFrame) -> Optional[np.ndarray]:
        if not self.score or not _is_numeric(frame[self.score]):
            return None
        return frame[self.score].to_numpy(dtype=float)

    def period(self) -> Optional[tuple]:
        if self.cur_time is None:
            return None
        return self.cur_time.min(), self.cur_time.max()


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def finite(x: float) -> Optional[float]:
    return float(x) if x is not None and math.isfinite(float(x)) else None
