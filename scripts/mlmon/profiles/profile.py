"""Profiles: a compact, mergeable summary of a table, column by column.

A :class:`Profile` of one batch comes from :func:`profile_frame`; profiles of batches or
partitions combine with :meth:`Profile.merge` (associative and commutative). Per column:

- every column: rows, missing values, the column's kind as read (``float``, ``int``, ``string``,
  ``category``, ``bool``, ``datetime``, ...);
- categorical kinds (``string``, ``category``, ``bool``): exact value counts, up to
  ``max_categories`` distinct values; past that the rarest values are folded into one "other"
  count and the column is marked ``truncated`` (merges stay exact while no side is truncated);
- numerical kinds (``float``, ``int``): finite count, infinite count, exact min, max, sum and
  sum of squares, a fine histogram on value-determined bins, a KLL quantile sketch, the exact
  values themselves while there are at most ``max_exact_values`` of them, and exact value counts
  while there are at most ``max_numeric_values`` distinct values (what Evidently's choice of
  test and of value bins needs).

Everything but the quantile sketch merges exactly: ``merge(profile(A), profile(B))`` has the
same counts, histograms, sums and extremes as ``profile(A ∪ B)``; the sketch agrees within its
rank-error bound.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Optional

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError
from mlmon.profiles.sketch import ExactSum, QuantileSketch, fine_bins, fraction_sqrt, merge_bins

NUMERIC_KINDS = ("float", "int")
CATEGORICAL_KINDS = ("string", "category", "bool")


@dataclass(frozen=True)
class ProfileOptions:
    """How detailed a profile is; profiles merge only when their options are equal.

    ``sketch_k`` is the KLL accuracy parameter (rank error about 1.33 % at 200, 0.67 % at 400,
    0.33 % at 800; see ``benchmarks/sketch_choice.py``); ``bins_per_octave`` (a power of two)
    sets the fine histogram's resolution (bin width at most value / bins_per_octave).
    """

    sketch_k: int = 400
    bins_per_octave: int = 1024
    max_categories: int = 10_000
    max_numeric_values: int = 32
    max_exact_values: int = 2_000

    def check(self) -> None:
        b = self.bins_per_octave
        if b < 1 or b > 1 << 16 or b & (b - 1):
            raise MlmonError(f"bins per octave {b} is not a power of two in [1, 65536]", "profile options", "use e.g. 1024")
        if not 8 <= self.sketch_k <= 65535:
            raise MlmonError(f"sketch k {self.sketch_k} is outside [8, 65535]", "profile options", "use e.g. 400")
        for name in ("max_categories", "max_numeric_values", "max_exact_values"):
            if getattr(self, name) < 0:
                raise MlmonError(f"{name} must be >= 0", "profile options", "use the default")


@dataclass
class NumericSummary:
    """The numerical parts of a column profile (finite values only)."""

    count: int
    infinite: int
    min: Optional[float]
    max: Optional[float]
    sum: ExactSum
    sumsq: ExactSum
    bin_keys: np.ndarray
    bin_counts: np.ndarray
    sketch: QuantileSketch
    values: Optional[np.ndarray] = None  # sorted, while count <= max_exact_values
    value_counts: Optional[Dict[float, int]] = None  # while distinct values <= max_numeric_values
    bpo: int = 1024  # the fine grid's bins per octave

    @property
    def mean(self) -> Optional[float]:
        return float(self.sum.fraction() / self.count) if self.count else None

    @property
    def std(self) -> Optional[float]:
        """Population standard deviation (ddof=0), from the exact sums (each square rounded once)."""
        if not self.count:
            return None
        mean = self.sum.fraction() / self.count
        return fraction_sqrt(self.sumsq.fraction() / self.count - mean * mean)


@dataclass
class ColumnProfile:
    name: str
    kind: str
    rows: int
    missing: int
    numeric: Optional[NumericSummary] = None
    categories: Optional[Dict[Any, int]] = None  # exact counts (value -> rows)
    other: int = 0  # rows of values folded away when past max_categories
    truncated: bool = False

    @property
    def present(self) -> int:
        """Rows holding a value (not missing)."""
        return self.rows - self.missing

    @property
    def n_distinct(self) -> Optional[int]:
        """Distinct values when known exactly, else None."""
        if self.categories is not None and not self.truncated:
            return len(self.categories)
        if self.numeric is not None and self.numeric.value_counts is not None:
            return len(self.numeric.value_counts)
        return None

    def exact_parts(self) -> Dict[str, Any]:
        """Everything that must merge exactly (for equality checks)."""
        d: Dict[str, Any] = {"kind": self.kind, "rows": self.rows, "missing": self.missing}
        if self.categories is not None:
            d["categories"] = dict(sorted(self.categories.items(), key=lambda kv: _sort_key(kv[0])))
            d["other"], d["truncated"] = self.other, self.truncated
        if self.numeric is not None:
            n = self.numeric
            d.update(count=n.count, infinite=n.infinite, min=n.min, max=n.max, sum=n.sum.units,
                     sumsq=n.sumsq.units, bins=(n.bin_keys.tolist(), n.bin_counts.tolist()),
                     values=None if n.values is None else n.values.tolist(),
                     value_counts=None if n.value_counts is None else sorted(n.value_counts.items()),
                     sketch_n=n.sketch.n)
        return d


@dataclass
class Profile:
    """Column profiles of one dataset (or of the union of merged batches)."""

    columns: Dict[str, ColumnProfile]
    rows: int
    options: ProfileOptions = field(default_factory=ProfileOptions)
    sources: List[str] = field(default_factory=list)
    #: columns the profile was made without (``--exclude``): a drift check drops them from the other side too
    excluded: List[str] = field(default_factory=list)

    @property
    def column_names(self) -> List[str]:
        return list(self.columns)

    def merge(self, other: "Profile") -> "Profile":
        """The profile of both datasets together (columns must match)."""
        if self.options != other.options:
            raise MlmonError(
                "profiles were made with different options and cannot be merged",
                f"{_describe(self)} vs {_describe(other)}",
                "profile both with the same settings",
            )
        if set(self.columns) != set(other.columns):
            a, b = set(self.columns), set(other.columns)
            raise MlmonError(
                "profiles have different columns: " + _column_diff(a, b),
                f"{_describe(self)} vs {_describe(other)}",
                "profile data with the same columns",
            )
        cols = {name: _merge_column(col, other.columns[name], self.options) for name, col in self.columns.items()}
        return Profile(columns=cols, rows=self.rows + other.rows, options=self.options,
                       sources=self.sources + [s for s in other.sources if s not in self.sources],
                       excluded=self.excluded + [c for c in other.excluded if c not in self.excluded])

    def exact_parts(self) -> Dict[str, Any]:
        return {"rows": self.rows, "columns": {n: c.exact_parts() for n, c in self.columns.items()}}

    def save(self, path: str) -> None:
        from mlmon.profiles.fileformat import save_profile

        save_profile(self, path)

    @classmethod
    def load(cls, path: str) -> "Profile":
        from mlmon.profiles.fileformat import load_profile

        return load_profile(path)

    def summary(self) -> Dict[str, Any]:
        """What a person wants to see about a profile (JSON-ready)."""
        cols = {}
        for name, c in self.columns.items():
            d: Dict[str, Any] = {"kind": c.kind, "rows": c.rows, "missing": c.missing}
            if c.numeric is not None:
                n = c.numeric
                d.update(count=n.count, infinite=n.infinite, min=n.min, max=n.max, mean=n.mean, std=n.std,
                         median=n.sketch.quantile(0.5), fine_bins=int(n.bin_keys.size),
                         rank_error=n.sketch.rank_error, exact_values=n.values is not None)
            if c.categories is not None:
                d.update(distinct=len(c.categories), other=c.other, truncated=c.truncated)
            cols[name] = d
        out = {"rows": self.rows, "options": self.options.__dict__.copy(), "sources": list(self.sources), "columns": cols}
        if self.excluded:
            out["excluded"] = list(self.excluded)
        return out


def merge_profiles(profiles: Iterable[Profile]) -> Profile:
    """Merge any number of profiles (at least one), left to right."""
    it = iter(profiles)
    try:
        out = next(it)
    except StopIteration:
        raise MlmonError("no profiles to merge", "profile", "give at least one batch") from None
    for p in it:
        out = out.merge(p)
    return out


def profile_frame(frame: pd.DataFrame, options: Optional[ProfileOptions] = None,
                  kinds: Optional[Dict[str, str]] = None, source: Optional[str] = None,
                  workers: Optional[int] = None) -> Profile:
    """Profile one batch of rows.

    ``kinds`` are the columns' kinds as read (:attr:`mlmon.io.tables.Table.kinds`); without it
    they are read off the frame's dtypes. Columns are profiled on ``workers`` threads (default:
    one per core; numpy and the sketch release the GIL); pass 1 inside a process pool.
    """
    options = options or ProfileOptions()
    options.check()
    from mlmon.io.tables import _kind

    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise MlmonError("duplicate column names", source or "data", "give every column a unique name")

    def one(i: int) -> ColumnProfile:
        series = frame.iloc[:, i]
        kind = (kinds or {}).get(names[i]) or _kind(series)
        return _profile_column(names[i], series, kind, options)

    workers = workers or min(len(names), os.cpu_count() or 1) or 1
    if workers > 1 and len(names) > 1 and len(frame) >= 10_000:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            profiles = list(pool.map(one, range(len(names))))
    else:
        profiles = [one(i) for i in range(len(names))]
    return Profile(columns=dict(zip(names, profiles)), rows=int(len(frame)), options=options,
                   sources=[source] if source else [])


# ---------------------------------------------------------------------------- one column


def _profile_column(name: str, series: pd.Series, kind: str, options: ProfileOptions) -> ColumnProfile:
    rows = int(len(series))
    if kind in NUMERIC_KINDS:
        arr = _float_values(series)
        nan = np.isnan(arr)
        finite = arr[np.isfinite(arr)]
        numeric = _numeric_summary(finite, int(arr.size - nan.sum() - finite.size), options)
        return ColumnProfile(name, kind, rows, int(nan.sum()), numeric=numeric)
    if kind in CATEGORICAL_KINDS:
        counts = series.value_counts(sort=False, dropna=True)
        counts = counts[counts > 0]
        cats = {_native(v): int(c) for v, c in counts.items()}
        missing = rows - int(sum(cats.values()))
        col = ColumnProfile(name, kind, rows, missing, categories=cats)
        return _bound_categories(col, options)
    return ColumnProfile(name, kind, rows, int(series.isna().sum()))


def _float_values(series: pd.Series) -> np.ndarray:
    if series.dtype == np.float64:
        return series.to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        return np.asarray(series.astype(float).to_numpy(dtype=np.float64, na_value=np.nan))
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_summary(finite: np.ndarray, infinite: int, options: ProfileOptions) -> NumericSummary:
    keys, counts = fine_bins(finite, options.bins_per_octave)
    values = np.sort(finite) if finite.size <= options.max_exact_values else None
    value_counts = None
    if keys.size <= options.max_numeric_values:  # more occupied bins means more distinct values
        uniq, c = np.unique(finite, return_counts=True)
        if uniq.size <= options.max_numeric_values:
            value_counts = dict(zip(uniq.tolist(), c.tolist()))
    return NumericSummary(
        count=int(finite.size),
        infinite=infinite,
        min=float(finite.min()) if finite.size else None,
        max=float(finite.max()) if finite.size else None,
        sum=ExactSum.of(finite),
        sumsq=ExactSum.of_squares(finite),
        bin_keys=keys,
        bin_counts=counts,
        sketch=QuantileSketch.of(finite, options.sketch_k),
        values=values,
        value_counts=value_counts,
        bpo=options.bins_per_octave,
    )


def _bound_categories(col: ColumnProfile, options: ProfileOptions) -> ColumnProfile:
    cats = col.categories or {}
    if len(cats) <= options.max_categories:
        return col
    ranked = sorted(cats.items(), key=lambda kv: (-kv[1], _sort_key(kv[0])))
    keep = dict(ranked[: options.max_categories])
    folded = sum(c for _, c in ranked[options.max_categories:])
    return replace(col, categories=keep, other=col.other + folded, truncated=True)


def _native(value):
    """A JSON-native key for a category value."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _sort_key(value):
    return (type(value).__name__, value) if isinstance(value, (int, float, str, bool)) else (type(value).__name__, str(value))


# ---------------------------------------------------------------------------- merging


_KIND_MERGE = {
    frozenset({"int", "float"}): "float",
    frozenset({"string", "category"}): "string",
}


def _merged_kind(a: ColumnProfile, b: ColumnProfile) -> str:
    if a.kind == b.kind:
        return a.kind
    if a.kind == "empty":
        return b.kind
    if b.kind == "empty":
        return a.kind
    kind = _KIND_MERGE.get(frozenset({a.kind, b.kind}))
    if kind is None:
        raise MlmonError(
            f"column {a.name!r} holds {a.kind} values in one part and {b.kind} values in another",
            "profile merge",
            "export every part with the same column types",
        )
    return kind


def _merge_column(a: ColumnProfile, b: ColumnProfile, options: ProfileOptions) -> ColumnProfile:
    kind = _merged_kind(a, b)
    out = ColumnProfile(a.name, kind, a.rows + b.rows, a.missing + b.missing)
    if kind in NUMERIC_KINDS:
        out.numeric = _merge_numeric(_numeric_or_empty(a, options), _numeric_or_empty(b, options), options)
    elif kind in CATEGORICAL_KINDS:
        cats = dict(a.categories or {})
        for v, c in (b.categories or {}).items():
            cats[v] = cats.get(v, 0) + c
        out.categories, out.other, out.truncated = cats, a.other + b.other, a.truncated or b.truncated
        out = _bound_categories(out, options)
    return out


def _numeric_or_empty(c: ColumnProfile, options: ProfileOptions) -> NumericSummary:
    if c.numeric is not None:
        return c.numeric
    return _numeric_summary(np.zeros(0), 0, options)


def _merge_numeric(a: NumericSummary, b: NumericSummary, options: ProfileOptions) -> NumericSummary:
    keys, counts = merge_bins(a.bin_keys, a.bin_counts, b.bin_keys, b.bin_counts)
    values = None
    if a.values is not None and b.values is not None and a.values.size + b.values.size <= options.max_exact_values:
        values = np.sort(np.concatenate((a.values, b.values)))
    value_counts = None
    if a.value_counts is not None and b.value_counts is not None:
        merged = dict(a.value_counts)
        for v, c in b.value_counts.items():
            merged[v] = merged.get(v, 0) + c
        if len(merged) <= options.max_numeric_values:
            value_counts = merged
    return NumericSummary(
        count=a.count + b.count,
        infinite=a.infinite + b.infinite,
        min=_opt(min, a.min, b.min),
        max=_opt(max, a.max, b.max),
        sum=a.sum + b.sum,
        sumsq=a.sumsq + b.sumsq,
        bin_keys=keys,
        bin_counts=counts,
        sketch=a.sketch.merged(b.sketch),
        values=values,
        value_counts=value_counts,
        bpo=options.bins_per_octave,
    )


def _opt(f, x, y):
    if x is None:
        return y
    if y is None:
        return x
    return f(x, y)


def _describe(p: Profile) -> str:
    return ", ".join(p.sources[:2]) or "profile"


def _column_diff(a: set, b: set) -> str:
    parts = []
    if a - b:
        parts.append("only in the first: " + ", ".join(sorted(a - b)))
    if b - a:
        parts.append("only in the second: " + ", ".join(sorted(b - a)))
    return "; ".join(parts)


__all__ = ["ColumnProfile", "NumericSummary", "Profile", "ProfileOptions", "merge_profiles", "profile_frame"]
