"""Model performance per window: realized metrics where labels exist, estimated ones (CBPE)
where they do not yet, degradation against a baseline, and how late the labels are.

Reads nothing and prints nothing: :func:`compute_performance` takes pandas frames (predictions
with their labels, already joined; an optional labeled reference) and :class:`PerfOptions`,
and returns a :class:`PerfResult` whose ``to_dict()`` is the JSON contract of
``mlmon perf --format json``. :func:`metric_rows` turns that dict into ``ml_metrics`` rows.

Windows are cut on the timestamp (``window="1D"``: fixed-width, aligned to the Unix epoch in
UTC, like ``Series.dt.floor``) or on row order (``chunk_size=N``, after a stable sort by the
timestamp when there is one); every row gets a window index and each metric is computed for
all windows at once by the kernels in :mod:`mlmon.stats.classification`,
:mod:`mlmon.stats.regression` and :mod:`mlmon.stats.cbpe`.

Severity of a window: the largest relative drop of a primary metric from the baseline
(``(base - value) / |base|``, or its negative for metrics where lower is better) against the
tiers (default: above 0.05 ``degraded``, above 0.15 ``critical``, the config's
``alerts.*.conditions.accuracy_drop``). Realized metrics decide where the window has enough
labels; estimated ones otherwise (with ``estimate``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError
from mlmon.services.labels import (MIN_LABELED, MIN_LABELED_SHARE, LabelsResult, label_delay, parse_timestamps,
                                   sparse_latest)
from mlmon.stats import classification as cls
from mlmon.stats import regression as reg

SCHEMA_VERSION = 1
TASKS = ("binary", "multiclass", "regression")
DEFAULT_PRIMARY = {
    "binary": ["accuracy", "f1_score", "auc_roc"],
    "multiclass": ["accuracy", "f1_score", "auc_roc"],
    "regression": ["rmse", "mae", "r2_score"],
}
LOWER_IS_BETTER = cls.LOWER_IS_BETTER | reg.LOWER_IS_BETTER
#: CBPE is flagged unreliable when the (calibrated) reference ECE exceeds this ...
ECE_UNRELIABLE = 0.05
#: ... or when more than this share of a window's scores lie where the reference had none
UNSEEN_UNRELIABLE = 0.10
MIN_REFERENCE_FOR_ESTIMATE = 100


@dataclass
class PerfOptions:
    """Column roles and settings of one performance run (flags and config both end here)."""

    task: str
    target: Optional[str] = None
    prediction: Optional[str] = None
    proba: Optional[Union[str, Sequence[str]]] = None  # binary: P(positive); multiclass: one column per class, classes sorted
    timestamp: Optional[str] = None
    window: Optional[str] = None                       # "1D", "1h", "7d"
    chunk_size: Optional[int] = None
    label_timestamp: Optional[str] = None
    positive_label: Optional[Any] = None
    threshold: float = 0.5                             # binary: proba >= threshold predicts positive when no prediction column
    false_positive_cost: float = 1.0
    false_negative_cost: float = 1.0
    quantile: Optional[float] = None                   # regression: pinball loss quantile
    lower: Optional[str] = None                        # regression: prediction interval columns
    upper: Optional[str] = None
    under_prediction_cost: float = 1.0                 # regression: business_value_captured costs per unit
    over_prediction_cost: float = 1.0
    primary: Optional[Sequence[str]] = None            # metrics severity watches (default by task)
    baseline: str = "reference"                        # or "previous_window": each window against the one before
    warning_drop: float = 0.05
    critical_drop: float = 0.15
    estimate: bool = False
    min_labeled_share: float = MIN_LABELED_SHARE
    min_labeled: int = MIN_LABELED
    join_on: Optional[str] = None                      # id column joining a separate labels frame
    model: Optional[str] = None
    version: Optional[str] = None


@dataclass
class PerfResult:
    task: str
    window: str
    columns: Dict[str, Any]
    rows: int
    labeled_rows: int
    baseline: Optional[Dict[str, Any]]
    windows: List[Dict[str, Any]]
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
            "windows": self.windows,
            "label_delay": self.label_delay,
            "warnings": self.warnings,
        })


# ------------------------------------------------------------------------------------ windows

@dataclass
class Windows:
    groups: np.ndarray        # window index per row
    starts: List[str]
    ends: List[str]
    label: str                # "1D", "chunk:1000", "all"
    order: Optional[np.ndarray] = None  # row order used (chunks sorted by time)

    @property
    def count(self) -> int:
        return len(self.starts)


def window_seconds(text: str) -> float:
    """Seconds in a window like ``1D``, ``1d``, ``6h``, ``7D``, ``30min``; MlmonError otherwise.

    >>> window_seconds("1D"), window_seconds("6h"), window_seconds("30min")
    (86400.0, 21600.0, 1800.0)
    """
    from mlmon.services.config import parse_duration

    t = str(text).strip()
    if t.endswith("M") or t.lower().endswith(("mo", "month", "months", "y")):
        raise MlmonError(f"window {text!r} has no fixed length", "--window", "use a fixed width such as 1h, 1D, 7D or 30D")
    if t.lower().endswith("min"):
        t = t[:-3] + "m"
    seconds = parse_duration(t)
    if seconds is None:
        try:
            seconds = pd.Timedelta(t).total_seconds()
        except (ValueError, TypeError):
            seconds = None
    if not seconds or seconds <= 0:
        raise MlmonError(f"window {text!r} is not a duration", "--window", "use e.g. 1h, 1D or 7D")
    return float(seconds)


def _iso(ns: int, zoned: bool) -> str:
    ts = pd.Timestamp(int(ns), unit="ns")
    return ts.tz_localize("UTC").isoformat() if zoned else ts.isoformat()


def make_windows(n_rows: int, ts_ns: Optional[np.ndarray], zoned: bool, window: Optional[str],
                 chunk_size: Optional[int]) -> Windows:
    """Assign each row to a window (see the module docstring)."""
    if window and chunk_size:
        raise MlmonError("both --window and --chunk-size given", "command line", "choose one way to cut windows")
    if chunk_size is not None:
        if chunk_size < 1:
            raise MlmonError(f"chunk size must be at least 1, got {chunk_size}", "--chunk-size", "give a positive row count")
        order = np.argsort(ts_ns, kind="stable") if ts_ns is not None else None
        position = np.empty(n_rows, dtype=np.int64)
        position[order if order is not None else np.arange(n_rows)] = np.arange(n_rows)
        groups = position // chunk_size
        count = max(1, -(-n_rows // chunk_size))
        starts, ends = [], []
        for k in range(count):
            lo, hi = k * chunk_size, min(n_rows, (k + 1) * chunk_size) - 1
            if ts_ns is not None:
                starts.append(_iso(ts_ns[order[lo]], zoned))
                ends.append(_iso(ts_ns[order[hi]], zoned))
            else:
                starts.append(f"row {lo}")
                ends.append(f"row {hi}")
        return Windows(groups, starts, ends, f"chunk:{chunk_size}", order)
    if window:
        if ts_ns is None:
            raise MlmonError("time windows need a timestamp column", "--window", "pass --timestamp COL or use --chunk-size N")
        width = int(round(window_seconds(window) * 1e9))
        origin = (int(ts_ns.min()) // width) * width
        groups = (ts_ns - origin) // width
        count = int(groups.max()) + 1
        starts = [_iso(origin + k * width, zoned) for k in range(count)]
        ends = [_iso(origin + (k + 1) * width, zoned) for k in range(count)]
        return Windows(groups.astype(np.int64), starts, ends, window)
    groups = np.zeros(n_rows, dtype=np.int64)
    if ts_ns is not None and n_rows:
        return Windows(groups, [_iso(ts_ns.min(), zoned)], [_iso(ts_ns.max(), zoned)], "all")
    return Windows(groups, ["row 0"], [f"row {max(n_rows - 1, 0)}"], "all")


# ------------------------------------------------------------------------------------ columns

def _require(frame: pd.DataFrame, name: Optional[str], flag: str, where: str) -> None:
    if name is not None and name not in frame.columns:
        raise MlmonError(f"column {name!r} not in the data", f"{where}, {flag} {name}",
                         f"columns are: {', '.join(map(str, list(frame.columns)[:15]))}")


def _numeric(series: pd.Series, column: str, what: str, where: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if not pd.api.types.is_numeric_dtype(series):
        converted = pd.to_numeric(series.astype("string"), errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            raise MlmonError(f"{what} column {column!r} is not numeric ({int(bad.sum())} rows, e.g. {series[bad].iloc[0]!r})",
                             f"{where} column {column}", f"a {what} must be numbers here")
        series = converted
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise MlmonError(f"{what} column {column!r} holds infinite values", f"{where} column {column}", "remove or fix those rows")
    return values


def _proba(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    series = frame[column]
    if pd.api.types.is_float_dtype(series) and series.dtype != object:
        p = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        p = _numeric(series, column, "probability", where)
    if p.size == 0:
        return p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: reported below
        lo, hi = np.nanmin(p), np.nanmax(p)
    if np.isnan(lo):
        raise MlmonError(f"probability column {column!r} is empty", f"{where} column {column}",
                         "fill it, or leave out --proba")
    if lo >= 0 and hi <= 1:
        return p  # two reductions, no temporary: the common case at ten million rows
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise MlmonError(f"{int(bad.sum())} probabilities outside [0, 1] in column {column!r}, e.g. {p[bad][0]!r}",
                         f"{where} column {column}", "pass probabilities (not scores or logits) with --proba")
    return p


def _uniques(*series: Optional[pd.Series]) -> List[Any]:
    seen: Dict[str, Any] = {}
    for s in series:
        if s is None:
            continue
        for v in _distinct(s):
            if isinstance(v, (bool, np.bool_)):
                v = int(v)
            elif isinstance(v, float) and v.is_integer():
                v = int(v)
            seen.setdefault(str(v), v)
    values = list(seen.values())
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        return sorted(values)
    return sorted(values, key=str)


def _distinct(s: pd.Series) -> List[Any]:
    """Distinct non-missing values; integer labels in a small range by one ``bincount``
    instead of hashing every row."""
    if s.dtype.kind in "iu" and len(s):
        values = s.to_numpy()
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 1_000_000:
            shifted = values - lo if lo else values
            return (np.flatnonzero(np.bincount(shifted)) + lo).tolist()
    return pd.unique(s.dropna()).tolist()


def _codes(series: pd.Series, classes: List[Any]) -> np.ndarray:
    """Class index per row (-1 for missing) matching values to ``classes`` by their text."""
    lookup = {str(c): i for i, c in enumerate(classes) if c is not None}
    numbers = [c for c in classes if c is not None]
    if (pd.api.types.is_numeric_dtype(series) and len(classes) <= 64
            and all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in numbers)):
        # numeric labels: compare numbers, no text per row (ten million rows stay fast)
        values = series.to_numpy()
        if values.dtype.kind not in "iub":
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        elif classes == list(range(len(classes))) and values.size and values.min() >= 0 and values.max() < len(classes):
            return values.astype(np.int64, copy=False)  # already the class codes (0/1 labels)
        out = np.full(values.shape[0], -1, dtype=np.int64)
        for i, c in enumerate(classes):
            if c is not None:
                if values.dtype.kind in "iub" and float(c).is_integer():
                    out[values == int(c)] = i
                else:
                    out[values == float(c)] = i
        return out
    if pd.api.types.is_bool_dtype(series):
        series = series.astype("Int64")
    if pd.api.types.is_float_dtype(series):
        text = series.map(lambda v: str(int(v)) if v == v and float(v).is_integer() else str(v))
    else:
        text = series.astype("string")
    return text.map(lookup).fillna(-1).to_numpy(dtype=np.int64)


@dataclass
class _Encoded:
    y: Optional[np.ndarray]        # class codes / 0-1 / floats; NaN or -1 where unlabeled
    labeled: np.ndarray
    yhat: Optional[np.ndarray]
    proba: Optional[np.ndarray]    # binary (n,), multiclass (n, k)
    lower: Optional[np.ndarray] = None
    upper: Optional[np.ndarray] = None
    classes: Optional[List[Any]] = None
    dropped: int = 0


class _Encoder:
    """Turns one frame's role columns into arrays; the classes found on the current data are
    reused for the reference so both use one coding."""

    def __init__(self, options: PerfOptions):
        self.o = options
        self.classes: Optional[List[Any]] = None
        self.positive: Any = None
        self.negative: Any = None
        self.warnings: List[str] = []

    def encode(self, frame: pd.DataFrame, where: str, need_labels: bool = False) -> _Encoded:
        o = self.o
        for name, flag in ((o.target, "--target"), (o.prediction, "--prediction"), (o.lower, "--lower"),
                           (o.upper, "--upper"), (o.timestamp, "--timestamp"), (o.label_timestamp, "--label-timestamp")):
            if flag == "--label-timestamp" and where != "current":
                continue
            if flag == "--target" and name is not None and name not in frame.columns and o.estimate and not need_labels:
                continue  # estimating before any label arrived: every row is unlabeled
            _require(frame, name, flag, where)
        for name in self._proba_columns():
            _require(frame, name, "--proba", where)
        n = len(frame)
        target = frame[o.target] if o.target is not None and o.target in frame.columns else None
        if need_labels and (target is None or target.notna().sum() == 0):
            raise MlmonError("the reference has no labels", f"{where} column {o.target}", "a baseline needs a labeled reference")
        labeled = target.notna().to_numpy() if target is not None else np.zeros(n, dtype=bool)
        if o.task == "regression":
            return self._regression(frame, target, labeled, where)
        return self._classification(frame, target, labeled, where)

    def _proba_columns(self) -> List[str]:
        p = self.o.proba
        if p is None:
            return []
        return [p] if isinstance(p, str) else list(p)

    def _regression(self, frame, target, labeled, where) -> _Encoded:
        o = self.o
        y = _numeric(target, o.target, "target", where) if target is not None else None
        yhat = _numeric(frame[o.prediction], o.prediction, "prediction", where)
        lower = _numeric(frame[o.lower], o.lower, "interval bound", where) if o.lower else None
        upper = _numeric(frame[o.upper], o.upper, "interval bound", where) if o.upper else None
        usable = ~np.isnan(yhat)
        dropped = int((labeled & ~usable).sum())
        return _Encoded(y, labeled & usable, yhat, None, lower, upper, dropped=dropped)

    def _classification(self, frame, target, labeled, where) -> _Encoded:
        o = self.o
        pred = frame[o.prediction] if o.prediction else None
        cols = self._proba_columns()
        if o.task == "binary":
            if len(cols) > 1:
                raise MlmonError("a binary task takes one probability column", "--proba", "pass the positive class's column only")
            proba = _proba(frame, cols[0], where) if cols else None
            if pred is not None and proba is None and pd.api.types.is_float_dtype(pred):
                v = pred.dropna().to_numpy()
                if v.size and not np.isin(v, (0.0, 1.0)).all() and ((v >= 0) & (v <= 1)).all():
                    raise MlmonError(f"prediction column {o.prediction!r} holds probabilities, not classes",
                                     f"{where} column {o.prediction}", f"pass it as --proba {o.prediction}")
            if self.positive is None:
                self._choose_positive(target, pred)
            y = self._is_positive(target) if target is not None else None
            if pred is not None:
                yhat = self._is_positive(pred)
                usable = pred.notna().to_numpy()
            elif proba is not None:
                yhat = (proba >= o.threshold).astype(np.int64)
                usable = ~np.isnan(proba)
            else:
                raise MlmonError("no prediction column", "command line", "pass --prediction COL or --proba COL")
            if proba is not None:
                usable &= ~np.isnan(proba)
            if y is not None and target is not None:
                unknown = labeled & (y < 0)
                if unknown.any():
                    raise MlmonError(f"target column {o.target!r} has more than two classes for a binary task",
                                     f"{where} column {o.target}", "use --task multiclass")
            dropped = int((labeled & ~usable).sum())
            return _Encoded(y, labeled & usable, yhat, proba, dropped=dropped)
        # multiclass
        if pred is None:
            raise MlmonError("no prediction column", "command line", "multiclass needs --prediction COL")
        if self.classes is None:
            self.classes = _uniques(target, pred)
            if cols and len(cols) != len(self.classes):
                raise MlmonError(f"{len(cols)} probability columns for {len(self.classes)} classes "
                                 f"({', '.join(map(str, self.classes[:10]))})", "--proba",
                                 "give one column per class, in the classes' sorted order")
        y = _codes(target, self.classes) if target is not None else None
        yhat = _codes(pred, self.classes)
        if y is not None and (labeled & (y < 0)).any():
            raise MlmonError("the reference holds a class the current data never shows", f"{where} column {o.target}",
                             "use a reference and current period with the same classes")
        proba = None
        if cols:
            proba = np.column_stack([_proba(frame, c, where) for c in cols])
        usable = yhat >= 0
        if proba is not None:
            usable &= ~np.isnan(proba).any(axis=1)
        dropped = int((labeled & ~usable).sum())
        return _Encoded(y, labeled & usable, yhat, proba, classes=self.classes, dropped=dropped)

    def _choose_positive(self, target, pred) -> None:
        o = self.o
        values = _uniques(target, pred)
        if o.positive_label is not None:
            self.positive = o.positive_label
        elif set(map(str, values)) <= {"0", "1"}:
            self.positive = 1
        elif set(v.lower() for v in map(str, values)) <= {"true", "false"}:
            self.positive = next((v for v in values if str(v).lower() == "true"), "True")
        elif len(values) > 2:
            raise MlmonError(f"{len(values)} classes for a binary task ({', '.join(map(str, values[:6]))})",
                             f"column {o.target or o.prediction}", "use --task multiclass")
        else:
            self.positive = values[-1] if values else 1
            self.warnings.append(f"positive class taken as {self.positive!r} (the larger label); "
                                 "pass --positive-label to choose another")
        others = [v for v in values if str(v) != str(self.positive)]
        if len(others) > 1:
            raise MlmonError(f"{len(values)} classes for a binary task ({', '.join(map(str, values[:6]))})",
                             f"column {o.target or o.prediction}", "use --task multiclass")
        if others:
            self.negative = others[0]
        elif str(self.positive) in ("1", "True", "true"):
            self.negative = 0 if str(self.positive) == "1" else "False"

    def _is_positive(self, series: pd.Series) -> np.ndarray:
        """1 / 0 per row, -1 for a missing value or one that is neither class."""
        classes = [self.negative, self.positive] if self.negative is not None else [None, self.positive]
        return _codes(series, classes)


# ------------------------------------------------------------------------------------ the run

def settings_from_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """The :class:`PerfOptions` settings a monitoring config gives: task, model, column roles
    (``data.columns``), primary metrics and business costs of the task, the baseline kind, and the
    drop tiers (``alerts.warning|critical.conditions.accuracy_drop``). Callers add their flags on
    top; column roles are returned as named, whether or not the data holds them.

    >>> settings_from_config({"model": {"task": "binary", "version": 2},
    ...                       "data": {"columns": {"target": "y", "prediction_proba": "p"}},
    ...                       "alerts": {"critical": {"conditions": {"accuracy_drop": 0.2}}}})
    {'task': 'binary', 'version': '2', 'target': 'y', 'proba': 'p', 'critical_drop': 0.2}
    """
    out: Dict[str, Any] = {}
    model = config.get("model") or {}
    cols = (config.get("data") or {}).get("columns") or {}
    perf = config.get("performance") or {}
    alerts = config.get("alerts") or {}
    if model.get("task"):
        out["task"] = model["task"]
    if perf.get("baseline"):
        out["baseline"] = perf["baseline"]
    if model.get("name"):
        out["model"] = str(model["name"])
    if model.get("version") is not None:
        out["version"] = str(model["version"])
    for role, key in (("target", "target"), ("prediction", "prediction"), ("proba", "prediction_proba"),
                      ("timestamp", "timestamp"), ("join_on", "id")):
        if cols.get(key):
            out[role] = cols[key]
    task = out.get("task")
    section = perf.get("regression" if task == "regression" else "classification") or {}
    if section.get("primary"):
        out["primary"] = list(section["primary"])
    business = section.get("business") if task != "regression" else None
    if isinstance(business, dict):
        for key in ("false_positive_cost", "false_negative_cost"):
            if business.get(key) is not None:
                out[key] = float(business[key])
    if task == "regression":
        if section.get("quantile") is not None:
            out["quantile"] = float(section["quantile"])
        for key in ("under_prediction_cost", "over_prediction_cost"):
            if section.get(key) is not None:
                out[key] = float(section[key])
    for tier, key in (("warning", "warning_drop"), ("critical", "critical_drop")):
        drop = ((alerts.get(tier) or {}).get("conditions") or {}).get("accuracy_drop")
        if drop is not None:
            out[key] = float(drop)
    return out


def compute_performance(current: pd.DataFrame, options: PerfOptions,
                        reference: Optional[pd.DataFrame] = None,
                        labels: Optional[pd.DataFrame] = None) -> PerfResult:
    """Windowed performance of ``current`` (see the module docstring).

    ``labels``, when given, is a separate frame of ground truth joined on ``options.join_on``
    (its target and, if it has it, label timestamp column); the result reports how many
    predictions matched."""
    o = options
    current = getattr(current, "frame", current)
    reference = getattr(reference, "frame", reference) if reference is not None else None
    labels = getattr(labels, "frame", labels) if labels is not None else None
    _check_options(o)
    warnings: List[str] = []
    join = None
    if labels is not None:
        from mlmon.services.labels import join_labels

        if not o.join_on:
            raise MlmonError("a labels file needs the id column that joins it", "--labels", "pass --join-on ID")
        if not o.target:
            raise MlmonError("which labels column is the target?", "--labels", "pass --target COL")
        take = [o.target] + [c for c in [o.label_timestamp] if c and c in labels.columns]
        current, join, join_warnings = join_labels(current, labels, o.join_on, take)
        warnings.extend(join_warnings)
        if join["matched"] < join["predictions"]:
            warnings.append(f"{join['predictions'] - join['matched']} of {join['predictions']} predictions have no label yet")
    enc = _Encoder(o)
    cur = enc.encode(current, "current")
    if cur.dropped:
        warnings.append(f"{cur.dropped} labeled rows without a usable prediction were left out")

    ts_ns, zoned = (None, False)
    if o.timestamp:
        ts_ns, zoned = parse_timestamps(current[o.timestamp], o.timestamp, "current")
        nat = ts_ns == np.iinfo(np.int64).min
        if nat.all():
            raise MlmonError(f"timestamp column {o.timestamp!r} is empty", f"current column {o.timestamp}", "fill it or leave out --timestamp")
        if nat.any():
            raise MlmonError(f"{int(nat.sum())} rows have no timestamp in column {o.timestamp!r}",
                             f"current column {o.timestamp}", "fill or drop those rows")
    win = make_windows(len(current), ts_ns, zoned, o.window, o.chunk_size)
    G = win.count
    n_rows = np.bincount(win.groups, minlength=G)
    lab = cur.labeled
    n_labeled = np.bincount(win.groups[lab], minlength=G)

    realized = _metrics(cur, lab, win.groups if lab.all() else win.groups[lab], G, o)
    baseline = None
    ref_enc = None
    if reference is not None:
        ref_enc = enc.encode(reference, "reference", need_labels=True)
        rl = ref_enc.labeled
        if not rl.any():
            raise MlmonError("no labeled reference rows with a usable prediction", "reference", "check the reference's columns")
        base = _metrics(ref_enc, rl, np.zeros(int(rl.sum()), dtype=np.int64), 1, o)
        baseline = {
            "n": int(len(reference)),
            "n_labeled": int(rl.sum()),
            "metrics": {k: _f(v[0]) for k, v in base.values.items()},
            "intervals": {k: {"lower": _f(base.lower[k][0]), "upper": _f(base.upper[k][0])} for k in base.values},
        }
    warnings.extend(enc.warnings)

    estimation, est, est_flags = None, None, None
    if o.estimate:
        estimation, est, est_flags = _estimate(cur, ref_enc, win, o)
        warnings.extend(estimation.pop("warnings"))

    primary = list(o.primary) if o.primary else list(DEFAULT_PRIMARY[o.task])
    windows: List[Dict[str, Any]] = []
    previous: Optional[Dict[str, Any]] = None  # the last window that had metrics to judge by
    for w in range(G):
        against = baseline
        if o.baseline == "previous_window":
            against = {"metrics": previous["values"]} if previous else None
        row = _window(w, win, int(n_rows[w]), int(n_labeled[w]), realized, est, est_flags, against, primary, o)
        if o.baseline == "previous_window":
            row["baseline_window"] = previous["start"] if previous else None
            if row["severity_basis"]:
                values = row["metrics"] if row["severity_basis"] == "realized" else row["estimated"]
                previous = {"values": values, "start": row["start"]}
        windows.append(row)

    delay = None
    if o.label_timestamp:
        label_ns, _ = parse_timestamps(current[o.label_timestamp], o.label_timestamp, "current")
        if ts_ns is None:
            raise MlmonError("label delay needs the prediction timestamp", "--label-timestamp", "pass --timestamp COL too")
        delay = label_delay(ts_ns, label_ns)
        if delay is None:
            warnings.append(f"no row has both a timestamp and a label timestamp ({o.label_timestamp}): no label delay")
        elif delay["negative_delays"]:
            warnings.append(f"{delay['negative_delays']} labels are timestamped before their prediction")
    sparse = sparse_latest(n_rows.tolist(), n_labeled.tolist(), o.min_labeled_share, o.min_labeled)
    if delay is not None:
        delay.update({"unlabeled_share": _f(1 - lab.sum() / len(lab)) if len(lab) else None,
                      "sparse_windows": [win.starts[i] for i in sparse],
                      "min_labeled_share": o.min_labeled_share, "min_labeled": o.min_labeled})
    if sparse and G > 1 or (sparse and n_labeled.sum() < o.min_labeled):
        shares = ", ".join(f"{windows[i]['start']}: {n_labeled[i]}/{n_rows[i]}" for i in sparse[-3:])
        warnings.append(f"the latest {len(sparse)} window(s) are sparsely labeled ({shares} labeled): their realized "
                        "metrics mean little yet; wait for labels" + ("" if o.estimate else " or add --estimate"))
    if baseline is None and o.baseline == "reference":
        warnings.append("no baseline (no --reference): severity is not assessed")

    order = {"healthy": 0, "degraded": 1, "critical": 2}
    severity = max((w["severity"] for w in windows), key=order.get, default="healthy")
    columns = {"target": o.target, "prediction": o.prediction, "proba": o.proba, "timestamp": o.timestamp,
               "label_timestamp": o.label_timestamp}
    if cur.classes is not None:
        columns["classes"] = [str(c) for c in cur.classes]
    if o.task == "binary" and enc.positive is not None:
        columns["positive_label"] = str(enc.positive)
    return PerfResult(
        task=o.task, window=win.label, columns=columns, rows=int(len(current)), labeled_rows=int(lab.sum()),
        baseline=baseline, windows=windows, label_delay=delay, severity=severity, primary=primary,
        tiers={"warning": o.warning_drop, "critical": o.critical_drop}, estimation=estimation,
        model=o.model, version=o.version, warnings=warnings, labels_join=join, baseline_kind=o.baseline,
    )


def _check_options(o: PerfOptions) -> None:
    if o.task not in TASKS:
        raise MlmonError(f"unknown task {o.task!r}", "--task", f"use one of: {', '.join(TASKS)}")
    if o.task == "regression" and not o.prediction:
        raise MlmonError("regression needs a prediction column", "--prediction", "pass --prediction COL")
    if o.task != "regression" and not (o.prediction or o.proba):
        raise MlmonError("no prediction column", "command line", "pass --prediction COL and/or --proba COL")
    if o.baseline not in ("reference", "previous_window"):
        raise MlmonError(f"unknown baseline {o.baseline!r}", "--baseline", "use reference or previous_window")
    if o.quantile is not None and not 0 < o.quantile < 1:
        raise MlmonError(f"quantile must lie strictly between 0 and 1, got {o.quantile}", "--quantile", "e.g. 0.9")
    if (o.lower is None) != (o.upper is None):
        raise MlmonError("a prediction interval needs both bounds", "--lower/--upper", "pass both columns")
    if not 0 <= o.warning_drop <= o.critical_drop:
        raise MlmonError(f"tiers out of order: warning {o.warning_drop}, critical {o.critical_drop}", "tiers",
                         "warning must be at most critical")
    if o.estimate and o.task != "binary":
        raise MlmonError("--estimate supports binary classification only", "--estimate", "drop --estimate or use --task binary")
    if o.estimate and o.proba is None:
        raise MlmonError("--estimate needs the predicted probability", "--estimate", "pass --proba COL")
    known = set(cls.BINARY_METRICS if o.task != "regression" else reg.REGRESSION_METRICS)
    unknown = [m for m in (o.primary or []) if m not in known]
    if unknown:
        raise MlmonError(f"unknown metric(s) for {o.task}: {', '.join(unknown)}", "primary metrics",
                         f"use: {', '.join(sorted(known))}")


def _metrics(e: _Encoded, mask: np.ndarray, groups: np.ndarray, G: int, o: PerfOptions) -> cls.WindowMetrics:
    if mask.all():  # every row labeled: no copies
        mask = slice(None)
    if o.task == "binary":
        return cls.binary_metrics(e.y[mask] if e.y is not None else np.zeros(0, np.int64), e.yhat[mask], groups, G,
                                  proba=e.proba[mask] if e.proba is not None else None,
                                  false_positive_cost=o.false_positive_cost, false_negative_cost=o.false_negative_cost)
    if o.task == "multiclass":
        k = len(e.classes)
        return cls.multiclass_metrics(e.y[mask] if e.y is not None else np.zeros(0, np.int64), e.yhat[mask], groups, G, k,
                                      proba=e.proba[mask] if e.proba is not None else None)
    return reg.regression_metrics(e.y[mask] if e.y is not None else np.zeros(0), e.yhat[mask], groups, G,
                                  quantile=o.quantile,
                                  lower=e.lower[mask] if e.lower is not None else None,
                                  upper=e.upper[mask] if e.upper is not None else None,
                                  under_prediction_cost=o.under_prediction_cost,
                                  over_prediction_cost=o.over_prediction_cost)


def _estimate(cur: _Encoded, ref: Optional[_Encoded], win: Windows, o: PerfOptions):
    from mlmon.stats import cbpe

    if ref is None:
        raise MlmonError("--estimate needs a labeled reference to calibrate on", "--estimate", "pass --reference FILE")
    rl = ref.labeled
    if rl.sum() < MIN_REFERENCE_FOR_ESTIMATE:
        raise MlmonError(f"only {int(rl.sum())} labeled reference rows", "--reference",
                         f"CBPE needs at least {MIN_REFERENCE_FOR_ESTIMATE} labeled reference rows")
    ref_p, ref_y = ref.proba[rl], ref.y[rl]
    if np.unique(ref_y).size < 2:
        raise MlmonError("the reference labels hold one class only", "--reference", "calibration needs both classes")
    choice = cbpe.choose_calibration(ref_p, ref_y)
    ece = choice.ece_calibrated if choice.calibrate else choice.ece_raw
    usable = ~np.isnan(cur.proba) & (cur.yhat >= 0)
    groups = win.groups[usable]
    score = cur.proba[usable]
    p = choice.fit(score) if choice.calibrate else score
    est = cbpe.estimate_binary(p, cur.yhat[usable], score, groups, win.count)
    unseen = cbpe.unseen_share(ref_p, score, groups, win.count)
    warnings = []
    calibrated_ok = ece <= ECE_UNRELIABLE
    if not calibrated_ok:
        warnings.append(f"estimated performance is unreliable: the model's probabilities are not calibrated on the "
                        f"reference even after isotonic calibration (ECE {ece:.3f} > {ECE_UNRELIABLE})")
    info = {
        "method": "cbpe",
        "calibration": "isotonic" if choice.calibrate else "none",
        "ece_raw": choice.ece_raw,
        "ece_calibrated": choice.ece_calibrated,
        "ece_threshold": ECE_UNRELIABLE,
        "calibrated": bool(calibrated_ok),
        "reference_rows": int(rl.sum()),
        "warnings": warnings,
    }
    return info, est, {"unseen": unseen, "calibrated": calibrated_ok}


def _window(w: int, win: Windows, n: int, n_labeled: int, realized: cls.WindowMetrics,
            est: Optional[cls.WindowMetrics], flags: Optional[Dict[str, Any]], baseline: Optional[Dict[str, Any]],
            primary: List[str], o: PerfOptions) -> Dict[str, Any]:
    notes: List[str] = []
    metrics: Dict[str, Any] = {}
    intervals: Dict[str, Any] = {}
    if n == 0:
        notes.append("empty window: no predictions in this period")
    elif n_labeled == 0:
        notes.append("no labels yet in this window")
    if n_labeled:
        for k, v in realized.values.items():
            metrics[k] = _f(v[w])
            intervals[k] = {"lower": _f(realized.lower[k][w]), "upper": _f(realized.upper[k][w])}
        if "auc_roc" in metrics and metrics["auc_roc"] is None:
            notes.append("auc_roc undefined: the window's labels hold one class only" if o.task == "binary"
                         else "auc_roc undefined: a class is missing from the window's labels")
        if n_labeled < o.min_labeled:
            notes.append(f"only {n_labeled} labels: realized metrics are noisy (see their intervals)")
    estimated = estimated_iv = estimation = None
    if est is not None and n:
        estimated = {k: _f(v[w]) for k, v in est.values.items()}
        estimated_iv = {k: {"lower": _f(est.lower[k][w]), "upper": _f(est.upper[k][w])} for k in est.values}
        reasons = []
        if not flags["calibrated"]:
            reasons.append("model not calibrated on the reference")
        unseen = float(flags["unseen"][w])
        if unseen > UNSEEN_UNRELIABLE:
            reasons.append(f"{unseen:.0%} of the window's scores fall where the reference had almost none")
        estimation = {"reliable": not reasons, "reasons": reasons, "unseen_share": _f(unseen)}
    basis, values = None, None
    if n_labeled and (n_labeled >= o.min_labeled or estimated is None):
        basis, values = "realized", metrics
    elif estimated is not None:
        basis, values = "estimated", estimated
    drops: Dict[str, Any] = {}
    beyond_noise: Dict[str, bool] = {}
    severity = "healthy"
    if baseline is not None and values:
        for m in primary:
            base, value = baseline["metrics"].get(m), values.get(m)
            if base is None or value is None or base == 0:
                continue
            drop = (value - base) / abs(base) if m in LOWER_IS_BETTER else (base - value) / abs(base)
            drops[m] = drop
            # outside the window's own interval, the baseline value is not explained by noise
            iv = (intervals if basis == "realized" else estimated_iv or {}).get(m) or {}
            if iv.get("lower") is not None and iv.get("upper") is not None:
                beyond_noise[m] = not (iv["lower"] <= base <= iv["upper"])
        worst = max(drops.values(), default=0.0)
        if worst > o.critical_drop:
            severity = "critical"
        elif worst > o.warning_drop:
            severity = "degraded"
        if severity != "healthy":
            worst_metric = max(drops, key=drops.get)
            if beyond_noise.get(worst_metric) is False:
                notes.append(f"{worst_metric}'s drop is within the window's 95% interval: it may be noise")
    elif n and baseline is not None:
        notes.append("severity not assessed: no labels" + ("" if o.estimate else " (add --estimate)"))
    return {
        "start": win.starts[w], "end": win.ends[w], "n": n, "n_labeled": n_labeled,
        "unlabeled_share": _f(1 - n_labeled / n) if n else None,
        "metrics": metrics, "intervals": intervals,
        "estimated": estimated, "estimated_intervals": estimated_iv, "estimation": estimation,
        "severity": severity, "severity_basis": basis, "drops": drops, "drop_beyond_noise": beyond_noise,
        "notes": notes,
    }


# ------------------------------------------------------------------------------------ labels

def compute_labels(current: pd.DataFrame, timestamp: str, label_timestamp: Optional[str] = None,
                   target: Optional[str] = None, window: Optional[str] = None, chunk_size: Optional[int] = None,
                   min_labeled_share: float = MIN_LABELED_SHARE, min_labeled: int = MIN_LABELED) -> LabelsResult:
    """``mlmon labels``: per window the share still unlabeled and, with ``label_timestamp``,
    the delay from prediction to label. A row is labeled when ``target`` (or, without one, the
    label timestamp) is present."""
    current = getattr(current, "frame", current)
    if not (target or label_timestamp):
        raise MlmonError("nothing tells which rows are labeled", "command line", "pass --target COL and/or --label-timestamp COL")
    for name, flag in ((timestamp, "--timestamp"), (label_timestamp, "--label-timestamp"), (target, "--target")):
        _require(current, name, flag, "current")
    ts_ns, zoned = parse_timestamps(current[timestamp], timestamp, "current")
    nat = np.iinfo(np.int64).min
    if (ts_ns == nat).any():
        raise MlmonError(f"{int((ts_ns == nat).sum())} rows have no timestamp in column {timestamp!r}",
                         f"current column {timestamp}", "fill or drop those rows")
    label_ns = parse_timestamps(current[label_timestamp], label_timestamp, "current")[0] if label_timestamp else None
    labeled = current[target].notna().to_numpy() if target else label_ns != nat
    win = make_windows(len(current), ts_ns, zoned, window, chunk_size)
    n = np.bincount(win.groups, minlength=win.count)
    k = np.bincount(win.groups[labeled], minlength=win.count)
    delay = label_delay(ts_ns, label_ns) if label_ns is not None else None
    per_window_delay = None
    if label_ns is not None:
        ok = labeled & (label_ns != nat)
        sums = np.bincount(win.groups[ok], weights=(label_ns[ok] - ts_ns[ok]) / 1e9, minlength=win.count)
        cnt = np.bincount(win.groups[ok], minlength=win.count)
        per_window_delay = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
    windows = []
    for w in range(win.count):
        row = {"start": win.starts[w], "end": win.ends[w], "n": int(n[w]), "n_labeled": int(k[w]),
               "unlabeled_share": _f(1 - k[w] / n[w]) if n[w] else None}
        if per_window_delay is not None:
            row["mean_delay_seconds"] = _f(per_window_delay[w])
        windows.append(row)
    sparse = sparse_latest(n.tolist(), k.tolist(), min_labeled_share, min_labeled)
    warnings = []
    if sparse:
        warnings.append(f"the latest {len(sparse)} window(s) are sparsely labeled (under {min_labeled_share:.0%} "
                        f"or fewer than {min_labeled} labels): realized metrics there mean little yet")
    if delay is not None:
        delay.update({"unlabeled_share": _f(1 - labeled.sum() / len(labeled)),
                      "sparse_windows": [win.starts[i] for i in sparse],
                      "min_labeled_share": min_labeled_share, "min_labeled": min_labeled})
        if delay["negative_delays"]:
            warnings.append(f"{delay['negative_delays']} labels are timestamped before their prediction")
    return LabelsResult(window=win.label, rows=int(len(current)), labeled_rows=int(labeled.sum()), windows=windows,
                        label_delay=delay, warnings=warnings)


# ------------------------------------------------------------------------------------ history

def metric_rows(result: Dict[str, Any], model: Optional[str] = None, version: Optional[str] = None) -> List[Dict[str, Any]]:
    """``ml_metrics`` rows of a result dict: one per window and metric, realized and estimated.

    >>> r = {"window": "1D", "model": "m", "version": "1", "windows": [{"start": "2024-01-01T00:00:00",
    ...      "end": "2024-01-02T00:00:00", "n": 10, "n_labeled": 8, "metrics": {"accuracy": 0.75},
    ...      "intervals": {"accuracy": {"lower": 0.4, "upper": 0.9}}, "estimated": {"accuracy": 0.8},
    ...      "estimated_intervals": {"accuracy": {"lower": 0.6, "upper": 1.0}}}]}
    >>> [(x["metric"], x["kind"], x["value"], x["n"]) for x in metric_rows(r)]
    [('accuracy', 'realized', 0.75, 8), ('accuracy', 'estimated', 0.8, 10)]
    """
    model = model if model is not None else result.get("model")
    version = version if version is not None else result.get("version")
    rows: List[Dict[str, Any]] = []
    for w in result.get("windows", []):
        for kind, values, ivs, n in (("realized", w.get("metrics"), w.get("intervals"), w.get("n_labeled")),
                                     ("estimated", w.get("estimated"), w.get("estimated_intervals"), w.get("n"))):
            for metric, value in (values or {}).items():
                if value is None:
                    continue
                iv = (ivs or {}).get(metric) or {}
                rows.append({"timestamp": w["start"], "window_end": w.get("end"), "model": model, "version": version,
                             "window": result.get("window"), "metric": metric, "value": value,
                             "lower": iv.get("lower"), "upper": iv.get("upper"), "kind": kind, "n": n})
    return rows


# ------------------------------------------------------------------------------------ helpers

def _f(x) -> Optional[float]:
    x = float(x)
    return x if math.isfinite(x) else None


def strict_json(obj):
    """Replace NaN and infinities by None and numpy scalars by Python ones."""
    if isinstance(obj, (float, np.floating)):
        return _f(obj)
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
