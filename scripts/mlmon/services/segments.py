"""Segments: the rows of one or more tables split by the values of one or more columns.

``segment_by`` names columns, each optionally with a top-K form: ``country`` makes one segment
per value; ``merchant:TOP20`` one per value among the 20 most frequent (counted over every table
given), the rest pooled as ``(other)``. Several columns make one segment per combination present
(``country=FR, device=ios``). A missing value is its own segment, ``(missing)``.

A segment column with more than :data:`MAX_SEGMENTS` values is refused with its count and the
top-K form to use: hundreds of tiny segments test nothing and flood a report. Drift
(:mod:`mlmon.services.drift.segments`), performance (:mod:`mlmon.services.performance.segments`)
and the diagnosis all split rows here, so a segment means the same everywhere.

>>> import pandas as pd
>>> ref = pd.DataFrame({"c": ["a", "b", "a", None]})
>>> cur = pd.DataFrame({"c": ["b", "b", "z"]})
>>> p = partition([ref, cur], parse_segment_by(["c:TOP2"]))
>>> p.names, [rows.tolist() for rows in p.rows["b"]], p.sizes("(other)")
(['b', 'a', '(missing)', '(other)'], [[1], [0, 1]], [0, 1])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mlmon.errors import OPTIONS, MlmonError, option

#: Distinct values a segment column may hold without the top-K form (and segments in all).
MAX_SEGMENTS = 100
#: Rows each side of a segment needs before it is tested (fewer: reported, not tested).
DEFAULT_MIN_ROWS = 100
#: Expected share of false alarms among flagged (segment, column) pairs.
DEFAULT_FALSE_DISCOVERY_RATE = 0.05
OTHER = "(other)"
MISSING = "(missing)"
_TOP = re.compile(r"^(?P<column>.+):TOP(?P<k>\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class SegmentBy:
    """One segment column; ``top``: keep its ``top`` most frequent values, pool the rest."""

    column: str
    top: Optional[int] = None

    def __str__(self) -> str:
        return self.column if self.top is None else f"{self.column}:TOP{self.top}"


def parse_segment_by(items: Sequence[str]) -> Tuple[SegmentBy, ...]:
    """``["country", "merchant:TOP20"]`` as :class:`SegmentBy` items.

    >>> parse_segment_by(["country", "merchant:top20"])
    (SegmentBy(column='country', top=None), SegmentBy(column='merchant', top=20))
    """
    out: List[SegmentBy] = []
    for item in items:
        text = str(item).strip()
        m = _TOP.match(text)
        if m:
            k = int(m.group("k"))
            if k < 1:
                raise MlmonError(f"{option('segment_by')} {text}: TOP needs at least 1 value", OPTIONS,
                                 f"use e.g. {option('segment_by')} {m.group('column')}:TOP20")
            out.append(SegmentBy(m.group("column"), k))
        elif text:
            out.append(SegmentBy(text))
    if len({s.column for s in out}) != len(out):
        raise MlmonError(f"{option('segment_by')} names a column twice", OPTIONS, "name each column once")
    return tuple(out)


@dataclass
class Partition:
    """Segments over several tables: ``rows[name][i]`` are table ``i``'s row positions in segment ``name``."""

    by: Tuple[SegmentBy, ...]
    names: List[str]  # by total rows, largest first
    rows: Dict[str, List[np.ndarray]] = field(default_factory=dict)
    values: Dict[str, Dict[str, str]] = field(default_factory=dict)  # segment -> {column: value}

    def sizes(self, name: str) -> List[int]:
        return [int(r.size) for r in self.rows[name]]


def partition(frames: Sequence, by: Sequence[SegmentBy], wheres: Sequence[str] = ()) -> Partition:
    """Split the rows of ``frames`` (pandas frames; None stands for a table not given) by ``by``."""
    present = [(i, f) for i, f in enumerate(frames) if f is not None]
    labels: List[List[np.ndarray]] = [[] for _ in frames]
    for s in by:
        for i, f in present:
            if s.column not in f.columns:
                where = wheres[i] if i < len(wheres) else OPTIONS
                shown = ", ".join(map(str, list(f.columns)[:10])) + (", ..." if len(f.columns) > 10 else "")
                raise MlmonError(f"{option('segment_by')} names column {s.column!r}, which is not in the data", where,
                                 f"segment by one of its columns: {shown}")
        texts = {i: _texts(f[s.column]) for i, f in present}
        values, counts = np.unique(np.concatenate([t[t != MISSING] for t in texts.values()]) if texts else
                                   np.array([], dtype=object), return_counts=True)
        if s.top is None and values.size > MAX_SEGMENTS:
            raise MlmonError(f"segment column {s.column!r} has {values.size} distinct values, more than the "
                             f"{MAX_SEGMENTS} segments a check tests", OPTIONS,
                             f"keep the most frequent with {option('segment_by')} {s.column}:TOP20 "
                             f"(the other values pooled as \"{OTHER}\")")
        if s.top is not None and values.size > s.top:
            order = sorted(range(values.size), key=lambda j: (-counts[j], str(values[j])))
            keep = set(values[order[: s.top]].tolist())
            texts = {i: np.where(np.isin(t, list(keep)) | (t == MISSING), t, OTHER) for i, t in texts.items()}
        for i, t in texts.items():
            labels[i].append(t)
    keys: Dict[int, np.ndarray] = {}
    named: Dict[str, Dict[str, str]] = {}
    for i, _ in present:
        parts = labels[i]
        if len(parts) == 1:
            keys[i] = parts[0]
            continue
        combos, inverse = np.unique(np.stack(parts, axis=1).astype(str), axis=0, return_inverse=True)
        names = [", ".join(f"{s.column}={v}" for s, v in zip(by, combo)) for combo in combos]
        named.update({n: {s.column: str(v) for s, v in zip(by, combo)} for n, combo in zip(names, combos)})
        keys[i] = np.asarray(names, dtype=object)[inverse.reshape(-1)]
    out = Partition(tuple(by), [])
    totals: Dict[str, int] = {}
    groups: Dict[int, Dict[str, np.ndarray]] = {}
    for i, k in keys.items():
        uniq, inverse = np.unique(k.astype(str), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=uniq.size))])
        groups[i] = {str(u): order[bounds[j]:bounds[j + 1]] for j, u in enumerate(uniq)}
        for u, rows in groups[i].items():
            totals[u] = totals.get(u, 0) + rows.size
    if len(totals) > MAX_SEGMENTS:
        raise MlmonError(f"{', '.join(str(s) for s in by)} make {len(totals)} segments, more than the "
                         f"{MAX_SEGMENTS} a check tests", OPTIONS,
                         f"segment by fewer columns, or keep the most frequent values with "
                         f"{option('segment_by')} {by[-1].column}:TOP5")
    out.names = sorted(totals, key=lambda u: (-totals[u], u))
    empty = np.zeros(0, dtype=np.int64)
    for u in out.names:
        out.rows[u] = [groups[i].get(u, empty) if i in groups else empty for i in range(len(frames))]
        out.values[u] = {by[0].column: u} if len(by) == 1 else named[u]
    return out


def _texts(series) -> np.ndarray:
    """A column's values as text (how segments are named), missing values as :data:`MISSING`."""
    import pandas as pd

    missing = series.isna().to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.asarray([str(c) for c in series.cat.categories] + [MISSING], dtype=object)
        codes = series.cat.codes.to_numpy()
        return cats[np.where(codes < 0, len(cats) - 1, codes)]
    values = series.to_numpy(dtype=object)
    out = np.empty(values.size, dtype=object)
    if values.size:
        uniq, inverse = pd.factorize(pd.Series(values), use_na_sentinel=True)
        names = np.asarray([_text(v) for v in inverse] + [MISSING], dtype=object)
        out[:] = names[np.where(uniq < 0, len(names) - 1, uniq)]
    out[missing] = MISSING
    return out


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
