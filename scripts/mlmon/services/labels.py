"""Labels: joining late ground truth to predictions, and how late it is.

Ground truth often arrives days after the prediction, in another table keyed by a row id.
:func:`join_labels` attaches it (a left join: predictions without a label stay unlabeled) and
counts what matched; :func:`label_delay` summarises the time from prediction to label;
:func:`sparse_latest` finds the newest windows whose labels are too few for their realized
metrics to mean anything. ``mlmon labels`` is :func:`compute_labels`; ``mlmon perf`` uses the
same pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.jsonsafe import finite, strict_json

SCHEMA_VERSION = 1
#: below this share of labeled rows, or this many labels, a window is "sparsely labeled"
MIN_LABELED_SHARE = 0.5
MIN_LABELED = 30


def parse_timestamps(series: pd.Series, column: str, role: str = "data") -> Tuple[np.ndarray, bool]:
    """``(int64 nanoseconds since the epoch, UTC where zoned; NaT as the int64 minimum)``
    and whether the column carried a time zone. Text that does not parse is an error
    naming how many rows and one example; missing values stay missing (NaT).

    >>> ns, zoned = parse_timestamps(pd.Series(["2024-01-01", "2024-01-02 12:00"]), "ts")
    >>> int(ns[1] - ns[0]) // 10**9, zoned
    (129600, False)
    """
    s = series
    if not pd.api.types.is_datetime64_any_dtype(s):
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            raise MlmonError(f"timestamp column {column!r} is numeric, not a date or time", f"{role} column {column}",
                             "store timestamps as dates or ISO 8601 text (e.g. 2024-05-01T12:00:00)")
        text = s.astype("string")
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        except (TypeError, ValueError):
            parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
        bad = parsed.isna() & text.notna()
        if bad.any():
            example = str(text[bad].iloc[0])
            raise MlmonError(f"{int(bad.sum())} unparseable timestamp(s) in column {column!r}, e.g. {example!r}",
                             f"{role} column {column}", "use ISO 8601 text (2024-05-01T12:00:00) or a datetime column")
        s = parsed
    zoned = getattr(s.dt, "tz", None) is not None
    if zoned:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64), zoned


def join_labels(predictions: pd.DataFrame, labels: pd.DataFrame, on: str, columns: Sequence[str],
                where: str = option("labels"), require_match: bool = True) -> Tuple[pd.DataFrame, Dict[str, Any], List[str]]:
    """Left-join ``columns`` of ``labels`` onto ``predictions`` by the id column ``on``.

    Returns the joined frame (prediction order kept), a summary
    ``{"on", "predictions", "labels", "matched", "unmatched_labels"}`` and warnings. No match
    at all (unless ``require_match`` is False: labels not in yet), a missing id column or duplicate
    label ids are errors.

    >>> p = pd.DataFrame({"id": [1, 2, 3], "proba": [0.2, 0.7, 0.9]})
    >>> l = pd.DataFrame({"id": ["1", "3", "4"], "y": [0, 1, 1]})
    >>> frame, summary, _ = join_labels(p, l, "id", ["y"])
    >>> frame["y"].tolist(), summary["matched"], summary["unmatched_labels"]
    ([0.0, nan, 1.0], 2, 1)
    """
    for name, frame in (("predictions", predictions), ("labels", labels)):
        if on not in frame.columns:
            raise MlmonError(f"join column {on!r} not in the {name}", f"{option('join_on')} {on}",
                             f"name a column both files have; {name} columns: {', '.join(map(str, list(frame.columns)[:12]))}")
    missing = [c for c in columns if c not in labels.columns]
    if missing:
        raise MlmonError(f"label column(s) not in the labels file: {', '.join(missing)}", where,
                         f"check {option('target')} / {option('label_timestamp')} or the labels file's header")
    warnings: List[str] = []
    left_key, right_key = predictions[on], labels[on]
    if left_key.dtype != right_key.dtype:  # 17 in one file, "17" in the other: compare as text
        left_key, right_key = _key_text(left_key), _key_text(right_key)
    dup = right_key.duplicated(keep=False) & right_key.notna()
    if dup.any():
        raise MlmonError(f"{int(dup.sum())} label rows share an id, e.g. {right_key[dup].iloc[:1].tolist()[0]!r}", f"{where} column {on}",
                         "keep one label per id (the latest) before joining")
    right = pd.DataFrame({c: labels[c].to_numpy() for c in columns})
    right.index = pd.Index(right_key.to_numpy())
    overwritten = [c for c in columns if c in predictions.columns]
    if overwritten:
        warnings.append(f"column(s) {', '.join(overwritten)} taken from the labels file, replacing the predictions file's")
    joined = predictions.drop(columns=overwritten).copy()
    positions = right.index.get_indexer(pd.Index(left_key.to_numpy()))
    hit = positions >= 0
    for c in columns:
        col = right[c]
        values = col.to_numpy()
        if pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col):
            values = values.astype(np.float64)  # unmatched rows become NaN
        if not len(values):  # no label yet: every prediction waits
            joined[c] = pd.Series(np.nan, index=joined.index)
            continue
        out = pd.Series(values.take(np.where(hit, positions, 0)), index=joined.index)
        joined[c] = out.where(hit)
    matched = int(hit.sum())
    summary = {"on": on, "predictions": int(len(predictions)), "labels": int(len(labels)), "matched": matched,
               "unmatched_labels": int(len(labels) - np.unique(positions[hit]).size)}
    if matched == 0 and require_match and len(predictions):
        raise MlmonError(f"labels and predictions do not join: 0 of {len(predictions)} prediction ids found "
                         f"among {len(labels)} label ids", f"{option('join_on')} {on}",
                         "check that both files use the same ids in that column")
    return joined, summary, warnings


def _key_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
        s = s.astype("Int64")
    return s.astype("string")


def label_delay(pred_ns: np.ndarray, label_ns: np.ndarray) -> Optional[Dict[str, Any]]:
    """Median, p95 and max seconds from prediction to label over rows that have both.

    >>> d = label_delay(np.array([0, 0, 0]) * 10**9, np.array([60, 120, -1]) * 10**9)
    >>> d["median_seconds"], d["labeled_rows"], d["negative_delays"]
    (60.0, 3, 1)
    """
    nat = np.iinfo(np.int64).min
    ok = (pred_ns != nat) & (label_ns != nat)
    if not ok.any():
        return None
    delay = (label_ns[ok] - pred_ns[ok]) / 1e9
    return {
        "median_seconds": float(np.median(delay)),
        "p95_seconds": float(np.percentile(delay, 95)),
        "max_seconds": float(delay.max()),
        "labeled_rows": int(ok.sum()),
        "negative_delays": int((delay < 0).sum()),
    }


def sparse_latest(n: Sequence[int], n_labeled: Sequence[int], min_share: float = MIN_LABELED_SHARE,
                  min_labeled: int = MIN_LABELED) -> List[int]:
    """Indices of the trailing windows (newest last) that are sparsely labeled: fewer than
    ``min_labeled`` labels or under ``min_share`` of their rows labeled. Empty windows are
    skipped over, not counted.

    >>> sparse_latest([100, 100, 100, 0, 100], [90, 95, 20, 0, 3])
    [2, 4]
    """
    out: List[int] = []
    for i in range(len(n) - 1, -1, -1):
        if n[i] == 0:
            continue
        if n_labeled[i] < min_labeled or n_labeled[i] < min_share * n[i]:
            out.append(i)
        else:
            break
    return sorted(out)


@dataclass
class LabelsResult:
    """``mlmon labels``: per-window labeled share and the delay summary."""

    window: str
    rows: int
    labeled_rows: int
    windows: List[Dict[str, Any]]
    label_delay: Optional[Dict[str, Any]]
    join: Optional[Dict[str, Any]] = None
    warnings: List[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> Dict[str, Any]:
        return strict_json({
            "schema_version": self.schema_version,
            "window": self.window,
            "rows": self.rows,
            "labeled_rows": self.labeled_rows,
            "unlabeled_share": (1 - self.labeled_rows / self.rows) if self.rows else None,
            "join": self.join,
            "label_delay": self.label_delay,
            "windows": self.windows,
            "warnings": self.warnings,
        })


def compute_labels(current: pd.DataFrame, timestamp: str, label_timestamp: Optional[str] = None,
                   target: Optional[str] = None, window: Optional[str] = None, chunk_size: Optional[int] = None,
                   min_labeled_share: float = MIN_LABELED_SHARE, min_labeled: int = MIN_LABELED) -> LabelsResult:
    """``mlmon labels``: per window the share still unlabeled and, with ``label_timestamp``,
    the delay from prediction to label. A row is labeled when ``target`` (or, without one, the
    label timestamp) is present."""
    from mlmon.services.performance.encoding import require_column
    from mlmon.services.performance.windows import perf_windows

    current = getattr(current, "frame", current)
    if not (target or label_timestamp):
        raise MlmonError("nothing tells which rows are labeled", OPTIONS,
                         f"pass {option('target')} COL and/or {option('label_timestamp')} COL")
    for name, flag in ((timestamp, option("timestamp")), (label_timestamp, option("label_timestamp")),
                       (target, option("target"))):
        require_column(current, name, flag, "current")
    win, warnings = perf_windows(current, timestamp, window, chunk_size)
    ts_ns = win.utc_ns
    nat = np.iinfo(np.int64).min
    label_ns = parse_timestamps(current[label_timestamp], label_timestamp, "current")[0] if label_timestamp else None
    labeled = current[target].notna().to_numpy() if target else label_ns != nat
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
               "unlabeled_share": finite(1 - k[w] / n[w]) if n[w] else None}
        if per_window_delay is not None:
            row["mean_delay_seconds"] = finite(per_window_delay[w])
        windows.append(row)
    sparse = sparse_latest(n.tolist(), k.tolist(), min_labeled_share, min_labeled)
    if sparse:
        warnings.append(f"the latest {len(sparse)} window(s) are sparsely labeled (under {min_labeled_share:.0%} "
                        f"or fewer than {min_labeled} labels): realized metrics there mean little yet")
    if delay is not None:
        delay.update({"unlabeled_share": finite(1 - labeled.sum() / len(labeled)),
                      "sparse_windows": [win.starts[i] for i in sparse],
                      "min_labeled_share": min_labeled_share, "min_labeled": min_labeled})
        if delay["negative_delays"]:
            warnings.append(f"{delay['negative_delays']} labels are timestamped before their prediction")
    return LabelsResult(window=win.label, rows=int(len(current)), labeled_rows=int(labeled.sum()), windows=windows,
                        label_delay=delay, warnings=warnings)

