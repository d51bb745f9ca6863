"""From a frame's role columns to arrays the kernels take: class codes, 0/1 labels, probabilities
and regression values, with the checks that name the column and what to do when one is wrong."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.performance.options import PerfOptions


def require_column(frame: pd.DataFrame, name: Optional[str], flag: str, where: str) -> None:
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
        raise MlmonError(f"{what} column {column!r} holds infinite values", f"{where} column {column}",
                         "remove or fix those rows")
    return values


def _proba(frame: pd.DataFrame, column: str, where: str) -> Tuple[np.ndarray, bool]:
    """The probabilities as floats, and whether any is missing (NaN)."""
    series = frame[column]
    if pd.api.types.is_float_dtype(series) and series.dtype != object:
        p = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        p = _numeric(series, column, "probability", where)
    if p.size == 0:
        return p, False
    lo = float(p.min())  # NaN when any row is missing: then the ends of the rest
    gaps = bool(np.isnan(lo))
    if gaps:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: reported below
            lo, hi = np.nanmin(p), np.nanmax(p)
    else:
        hi = float(p.max())
    if np.isnan(lo):
        raise MlmonError(f"probability column {column!r} is empty", f"{where} column {column}",
                         f"fill it, or leave out {option('proba')}")
    if lo >= 0 and hi <= 1:
        return p, gaps  # two reductions, no temporary: the common case at ten million rows
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise MlmonError(f"{int(bad.sum())} probabilities outside [0, 1] in column {column!r}, e.g. {float(p[bad][0])!r}",
                         f"{where} column {column}", f"pass probabilities (not scores or logits) with {option('proba')}")
    return p, gaps


def _uniques(*series: Optional[pd.Series]) -> List[Any]:
    return _uniques_of(*(_distinct(s) for s in series if s is not None))


def _uniques_of(*distinct: List[Any]) -> List[Any]:
    """The classes among columns' distinct values (:func:`_distinct`): sorted, numbers as numbers,
    ``True``/``False`` and whole floats as integers, one value per text."""
    seen: Dict[str, Any] = {}
    for values in distinct:
        for v in values:
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
        if hi - lo <= 1:  # 0/1 labels: the two ends are every value
            return sorted({lo, hi})
        if hi - lo < 1_000_000:
            shifted = values - lo if lo else values
            return (np.flatnonzero(np.bincount(shifted)) + lo).tolist()
    return pd.unique(s.dropna()).tolist()


def _codes(series: pd.Series, classes: List[Any], distinct: Optional[List[Any]] = None) -> np.ndarray:
    """Class index per row (-1 for missing) matching values to ``classes`` by their text.
    ``distinct``: the column's distinct values when already known (:func:`_distinct`)."""
    lookup = {str(c): i for i, c in enumerate(classes) if c is not None}
    numbers = [c for c in classes if c is not None]
    if (pd.api.types.is_numeric_dtype(series) and len(classes) <= 64
            and all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in numbers)):
        # numeric labels: compare numbers, no text per row (ten million rows stay fast)
        values = series.to_numpy()
        if values.dtype.kind not in "iub":
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        elif classes == list(range(len(classes))) and _within(values, len(classes), distinct):
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


def _within(values: np.ndarray, k: int, distinct: Optional[List[Any]] = None) -> bool:
    """Whether integer ``values`` (not empty) all lie in ``0 .. k-1``: from their distinct
    values when known, else by two reductions."""
    if distinct is not None:
        return bool(distinct) and min(distinct) >= 0 and max(distinct) < k
    return bool(values.size) and values.min() >= 0 and values.max() < k


#: Rows needed before the probabilities' argmax is checked against the predictions, and the share
#: of those rows on which the two must agree (a model's argmax is its prediction on nearly every row;
#: columns in the wrong order agree on about 1/k of them).
MIN_ARGMAX_ROWS = 20
MIN_ARGMAX_AGREEMENT = 0.5

_AFFIXES = ("pred_proba", "predicted_proba", "probability", "proba", "prob", "score", "pred", "p")


def class_of_columns(cols: List[str], classes: List[Any]) -> Optional[List[str]]:
    """``cols`` reordered to follow ``classes`` when each column's name carries exactly one class
    (the class itself, or it with a prefix or suffix such as ``proba_``, ``p_``, ``_probability``),
    else None.

    >>> class_of_columns(["p_dog", "p_cat", "p_eel"], ["cat", "dog", "eel"])
    ['p_cat', 'p_dog', 'p_eel']
    >>> class_of_columns(["dog_probability", "cat_probability"], ["cat", "dog"])
    ['cat_probability', 'dog_probability']
    >>> class_of_columns(["a", "b"], ["cat", "dog"]) is None
    True
    """
    if len(cols) != len(classes) or not classes:
        return None
    names = {str(c).lower(): str(c) for c in classes}
    if len(names) != len(classes):  # classes differing only in case: names cannot tell them apart
        return None
    owner: Dict[str, str] = {}
    for col in cols:
        found = _class_in_name(str(col).lower(), names)
        if found is None or found in owner:
            return None
        owner[found] = col
    return [owner[str(c)] for c in classes]


def _class_in_name(name: str, names: Dict[str, str]) -> Optional[str]:
    if name in names:
        return names[name]
    hits = set()
    for sep in ("_", "-", ".", " ", ":", "="):
        for affix in _AFFIXES:
            for cand in (name[len(affix + sep):] if name.startswith(affix + sep) else None,
                         name[:-len(sep + affix)] if name.endswith(sep + affix) else None):
                if cand is not None and cand in names:
                    hits.add(names[cand])
    return hits.pop() if len(hits) == 1 else None


@dataclass
class Encoded:
    y: Optional[np.ndarray]        # class codes / 0-1 / floats; NaN or -1 where unlabeled
    labeled: np.ndarray
    yhat: Optional[np.ndarray]
    proba: Optional[np.ndarray]    # binary (n,), multiclass (n, k)
    lower: Optional[np.ndarray] = None
    upper: Optional[np.ndarray] = None
    classes: Optional[List[Any]] = None
    dropped: int = 0


class Encoder:
    """Turns one frame's role columns into arrays; the classes found on the current data are
    reused for the reference so both use one coding."""

    def __init__(self, options: PerfOptions):
        self.o = options
        self.classes: Optional[List[Any]] = None
        self.positive: Any = None
        self.negative: Any = None
        self.warnings: List[str] = []
        self.proba_mapped: Optional[List[str]] = None

    def encode(self, frame: pd.DataFrame, where: str, need_labels: bool = False) -> Encoded:
        o = self.o
        for name, flag in ((o.target, option("target")), (o.prediction, option("prediction")), (o.lower, option("lower")),
                           (o.upper, option("upper")), (o.timestamp, option("timestamp")), (o.label_timestamp, option("label_timestamp"))):
            if flag == option("label_timestamp") and where != "current":
                continue
            if flag == option("target") and name is not None and name not in frame.columns and o.estimate and not need_labels:
                continue  # estimating before any label arrived: every row is unlabeled
            require_column(frame, name, flag, where)
        for name in self._proba_columns():
            require_column(frame, name, option("proba"), where)
        n = len(frame)
        target = frame[o.target] if o.target is not None and o.target in frame.columns else None
        if need_labels and o.target is None:
            raise MlmonError("no target column: the reference baseline is measured on labels", option("target"),
                             f"pass {option('target')} COL (or data.columns.target in {option('config')})")
        if need_labels and (target is None or target.notna().sum() == 0):
            raise MlmonError("the reference has no labels", f"{where} column {o.target}",
                             "a baseline needs a labeled reference")
        labeled = target.notna().to_numpy() if target is not None else np.zeros(n, dtype=bool)
        if o.task == "regression":
            return self._regression(frame, target, labeled, where)
        return self._classification(frame, target, labeled, where)

    def _proba_columns(self) -> List[str]:
        p = self.o.proba
        if p is None:
            return []
        return [p] if isinstance(p, str) else list(p)

    def _regression(self, frame, target, labeled, where) -> Encoded:
        o = self.o
        y = _numeric(target, o.target, "target", where) if target is not None else None
        yhat = _numeric(frame[o.prediction], o.prediction, "prediction", where)
        lower = _numeric(frame[o.lower], o.lower, "interval bound", where) if o.lower else None
        upper = _numeric(frame[o.upper], o.upper, "interval bound", where) if o.upper else None
        usable = ~np.isnan(yhat)
        dropped = int((labeled & ~usable).sum())
        return Encoded(y, labeled & usable, yhat, None, lower, upper, dropped=dropped)

    def _classification(self, frame, target, labeled, where) -> Encoded:
        o = self.o
        pred = frame[o.prediction] if o.prediction else None
        cols = self._proba_columns()
        if o.task == "binary":
            if len(cols) > 1:
                raise MlmonError("a binary task takes one probability column", option("proba"),
                                 "pass the positive class's column only")
            proba, gaps = _proba(frame, cols[0], where) if cols else (None, False)
            if pred is not None and proba is None and pd.api.types.is_float_dtype(pred):
                v = pred.dropna().to_numpy()
                if v.size and not np.isin(v, (0.0, 1.0)).all() and ((v >= 0) & (v <= 1)).all():
                    raise MlmonError(f"prediction column {o.prediction!r} holds probabilities, not classes",
                                     f"{where} column {o.prediction}", f"pass it as {option('proba')} {o.prediction}")
            seen_target = seen_pred = None  # each column's distinct values, when read to choose the classes
            if self.positive is None:
                seen_target = _distinct(target) if target is not None else []
                seen_pred = _distinct(pred) if pred is not None else []
                self._choose_positive(_uniques_of(seen_target, seen_pred))
            y = self._is_positive(target, seen_target) if target is not None else None
            # usable: None while every row is (whole-number predictions, no missing probability)
            usable = None
            if pred is not None:
                yhat = self._is_positive(pred, seen_pred)
                if pred.dtype.kind not in "iub":
                    usable = pred.notna().to_numpy()
            elif proba is not None:
                yhat = (proba >= o.threshold).astype(np.int64)
            else:
                raise MlmonError("no prediction column", OPTIONS,
                                 f"pass {option('prediction')} COL or {option('proba')} COL")
            if proba is not None and gaps:
                usable = ~np.isnan(proba) if usable is None else usable & ~np.isnan(proba)
            if y is not None and target is not None and not self._known_classes(seen_target):
                unknown = labeled & (y < 0)
                if unknown.any():
                    raise MlmonError(f"target column {o.target!r} has more than two classes for a binary task",
                                     f"{where} column {o.target}", f"use {option('task')} multiclass")
            if usable is None:
                return Encoded(y, labeled, yhat, proba, dropped=0)
            dropped = int((labeled & ~usable).sum())
            return Encoded(y, labeled & usable, yhat, proba, dropped=dropped)
        # multiclass
        if pred is None:
            raise MlmonError("no prediction column", OPTIONS, f"multiclass needs {option('prediction')} COL")
        if self.classes is None:
            self.classes = _uniques(target, pred)
            if cols and len(cols) != len(self.classes):
                raise MlmonError(f"{len(cols)} probability columns for {len(self.classes)} classes "
                                 f"({', '.join(map(str, self.classes[:10]))})", option("proba"),
                                 "give one column per class, in the classes' sorted order")
        y = _codes(target, self.classes) if target is not None else None
        yhat = _codes(pred, self.classes)
        if y is not None and (labeled & (y < 0)).any():
            raise MlmonError("the reference holds a class the current data never shows", f"{where} column {o.target}",
                             "use a reference and current period with the same classes")
        proba = None
        if cols:
            cols = self._proba_order(cols)
            proba = np.column_stack([_proba(frame, c, where)[0] for c in cols])
        usable = yhat >= 0
        if proba is not None:
            usable &= ~np.isnan(proba).any(axis=1)
            self._check_argmax(proba, yhat, usable, cols, where)
        dropped = int((labeled & ~usable).sum())
        return Encoded(y, labeled & usable, yhat, proba, classes=self.classes, dropped=dropped)

    def _proba_order(self, cols: List[str]) -> List[str]:
        """The probability columns in the classes' sorted order: by name where every column names
        its class (``proba_cat``, ``p_dog``, ``dog_probability``, ``dog``), else as given."""
        mapped = class_of_columns(cols, self.classes or [])
        if mapped is None:
            return list(cols)
        if self.proba_mapped is None and mapped != list(cols):
            self.warnings.append(f"probability columns matched to classes by name: "
                                 f"{', '.join(f'{c} = {k}' for c, k in zip(mapped, self.classes))}")
        self.proba_mapped = mapped
        return mapped

    def _check_argmax(self, proba: np.ndarray, yhat: np.ndarray, usable: np.ndarray, cols: List[str], where: str) -> None:
        """Refuse probability columns whose most likely class disagrees with the predicted class
        on most rows: the columns are almost surely in another order than the classes."""
        rows = np.flatnonzero(usable)
        if rows.size < MIN_ARGMAX_ROWS:
            return
        top = proba[rows].argmax(axis=1)
        agree = float((top == yhat[rows]).mean())
        if agree >= MIN_ARGMAX_AGREEMENT:
            return
        k = len(cols)
        guess = []
        for j in range(k):
            hits = yhat[rows][top == j]
            guess.append(self.classes[int(np.bincount(hits, minlength=k).argmax())] if hits.size else None)
        looks = ""
        if None not in guess and len(set(map(str, guess))) == k:
            looks = f" (they look like classes {', '.join(map(str, guess))} in that order)"
        raise MlmonError(f"the probability columns' most likely class matches the predicted class on only "
                         f"{agree:.0%} of rows{looks}", f"{where}, {option('proba')} {','.join(cols)}",
                         f"give {option('proba')} one column per class in the classes' sorted order "
                         f"({', '.join(map(str, self.classes[:10]))}), or name each column after its class (proba_<class>)")

    def _choose_positive(self, values: List[Any]) -> None:
        """The positive and negative class from the classes seen in the target and prediction."""
        o = self.o
        if o.positive_label is not None:
            self.positive = o.positive_label
        elif set(map(str, values)) <= {"0", "1"}:
            self.positive = 1
        elif set(v.lower() for v in map(str, values)) <= {"true", "false"}:
            self.positive = next((v for v in values if str(v).lower() == "true"), "True")
        elif len(values) > 2:
            raise MlmonError(f"{len(values)} classes for a binary task ({', '.join(map(str, values[:6]))})",
                             f"column {o.target or o.prediction}", f"use {option('task')} multiclass")
        else:
            self.positive = values[-1]  # no values at all took the 0/1 branch above
            self.warnings.append(f"positive class taken as {self.positive!r} (the larger label); "
                                 f"pass {option('positive_label')} to choose another")
        others = [v for v in values if str(v) != str(self.positive)]
        if len(others) > 1:
            raise MlmonError(f"{len(values)} classes for a binary task ({', '.join(map(str, values[:6]))})",
                             f"column {o.target or o.prediction}", f"use {option('task')} multiclass")
        if others:
            self.negative = others[0]
        elif str(self.positive) in ("1", "True", "true"):
            self.negative = 0 if str(self.positive) == "1" else "False"

    def _classes(self) -> List[Any]:
        return [self.negative, self.positive] if self.negative is not None else [None, self.positive]

    def _is_positive(self, series: pd.Series, distinct: Optional[List[Any]] = None) -> np.ndarray:
        """1 / 0 per row, -1 for a missing value or one that is neither class."""
        return _codes(series, self._classes(), distinct)

    def _known_classes(self, distinct: Optional[List[Any]]) -> bool:
        """Whether a column's distinct values, when read, are known to be classes 0 and 1 only:
        then no labeled row can hold another class and its codes need no look."""
        return distinct is not None and self._classes() == [0, 1] and all(v in (0, 1) for v in distinct)

