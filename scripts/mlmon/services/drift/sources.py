"""Where a drift check's columns come from: rows, or profiles' summaries.

A source answers the typing rule's questions (:class:`~mlmon.io.columns.ColumnFacts`),
hands the pipeline each typed column as :class:`ColumnData` (cleaned values or summaries, sizes,
missing and infinite counts, distinct values, categories new in current), and runs a test on it.
Everything else (method choice, thresholds, FDR, the verdict) is the pipeline's, once.

- :class:`RowSource`: two tables. Every numerical column is cleaned and sorted once, the sorted
  arrays shared by the method choice and the test; categorical columns become integer codes
  over one sorted category list, so every categorical test is a ``bincount`` away from its
  counts.
- :class:`ProfileSource`: two profiles. Categories give exact counts; numbers give exact
  values (small columns), exact value counts (few distinct values) or a fine histogram and a
  quantile sketch; each test's ``from_summary`` computes what its catalog entry declares.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from mlmon.io.columns import EMBEDDING, ColumnSpec, TableFacts
from mlmon.stats import univariate
from mlmon.stats.univariate import NUMERICAL
from mlmon.stats.univariate._binning import nunique_sorted, unique_sorted

Named = namedtuple("Named", "path columns")  # what check_same_columns reads of a side
OTHER = "(other)"  # the bin of values a profile pooled away
EXACT_BOOL_VALUES = 2_000  # a bool column forced numerical is handed over as values up to this size


@dataclass
class ColumnData:
    """One typed column as a source hands it to the pipeline."""

    reference: Any  # rows: sorted floats or category codes; profiles: a summary view or counts
    current: Any
    n_reference: int
    n_current: int
    reference_missing: int
    current_missing: int
    infinite: int
    n_unique: int = 0
    new_categories: List[str] = field(default_factory=list)  # category names only in current
    new_rows: int = 0  # current rows holding them
    notes: List[str] = field(default_factory=list)  # source-specific warnings (without the column name)
    skip: Optional[str] = None  # why the column cannot be tested from this source


@dataclass
class Outcome:
    """A test's result on one column, with how exact it is (rows: always exact)."""

    score: float
    drifted: bool
    statistic: Optional[float] = None
    exactness: Optional[Dict[str, Any]] = None  # profiles: approximate, bounds, basis, ...
    note: str = ""
    details: Optional[Dict[str, Any]] = None  # embeddings: what the test used


# ---------------------------------------------------------------------------- rows


class RowSource(TableFacts):
    """Two tables; the typing rule's answers are :class:`~mlmon.io.columns.TableFacts`'."""

    summaries = False
    parallel = True
    #: When a dict: each column's cleaned reference as the test saw it, by name (numbers: sorted,
    #: with the positions that sort them; categories: both sides' codes), for windowed drift.
    kept: Optional[Dict[str, Tuple[np.ndarray, np.ndarray]]] = None
    #: When set: called as ``on_sorted(name, reference, current)`` with each numerical column's
    #: cleaned values of both sides, sorted, while the run holds them (a page counts its
    #: histograms there instead of sorting every column again; nothing is kept).
    on_sorted: Optional[Any] = None

    def sides(self) -> Tuple[Named, Named]:
        return self.reference, self.current

    def describe(self) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        return ({"path": self.reference.path, "rows": self.reference.rows},
                {"path": self.current.path, "rows": self.current.rows})

    def column(self, spec: ColumnSpec) -> ColumnData:
        if spec.type == EMBEDDING:
            return _embedding_data(self.reference, self.current, spec)
        name = spec.name
        if spec.type == NUMERICAL:
            # the reference's positions are kept for windowed runs: its finite values in file
            # order, then sorted; otherwise both sides are sorted whole and their finite values
            # read off the ends (no mask, no copy beyond the sort's)
            ref, ref_missing, ref_inf = (_numeric if self.kept is not None else _numeric_sorted)(self.reference, name)
            cur, cur_missing, cur_inf = _numeric_sorted(self.current, name)
            data = ColumnData(ref, cur, ref.size, cur.size, ref_missing, cur_missing, ref_inf + cur_inf)
            if ref.size and cur.size:
                if self.kept is not None:
                    order = np.argsort(ref)
                    ref = data.reference = ref[order]
                    self.kept[name] = (ref, order)
                if self.on_sorted is not None:
                    self.on_sorted(name, ref, cur)
                data.n_unique = _n_unique_sorted(ref, cur)
                if (self.reference.kinds.get(name) == "int" and cur.size >= 100
                        and nunique_sorted(cur) > 0.95 * cur.size):
                    data.notes.append(f"almost every value is distinct: looks like an identifier; consider --exclude {name}")
            return data
        ref, cur, categories, ref_missing, cur_missing, inf = _categorical_columns(self.reference, self.current, name)
        if self.kept is not None:
            self.kept[name] = (ref, cur)
        data = ColumnData(ref, cur, ref.size, cur.size, ref_missing, cur_missing, inf)
        if ref.size and cur.size:
            k = len(categories)
            ref_counts, cur_counts = np.bincount(ref, minlength=k), np.bincount(cur, minlength=k)
            data.n_unique = int(((ref_counts + cur_counts) > 0).sum())
            new = np.flatnonzero((ref_counts == 0) & (cur_counts > 0))
            data.new_categories = [str(categories[i]) for i in new]
            data.new_rows = int(cur_counts[new].sum())
        return data

    def run(self, method: str, spec: ColumnSpec, data: ColumnData, threshold: float) -> Outcome:
        if spec.type == EMBEDDING:
            from mlmon.stats.embedding import embedding_test

            r = embedding_test(data.reference, data.current, method, alpha=threshold)
            return Outcome(r.p_value, r.drifted, r.statistic, details=r.details)
        out = univariate.get(method)(data.reference, data.current, spec.type, threshold,
                                     presorted=spec.type == NUMERICAL)
        return Outcome(out.score, out.drifted, out.statistic)

    def check_methods(self, options) -> None:
        pass

    def frames(self):
        return self.reference.frame, self.current.frame


def _embedding_data(reference, current, spec: ColumnSpec) -> ColumnData:
    """Both sides' vectors as ``(rows, dimension)`` arrays; rows without a vector count as missing."""
    ref, ref_missing = _vectors(reference, spec)
    cur, cur_missing = _vectors(current, spec)
    if ref.size and cur.size and ref.shape[1] != cur.shape[1]:
        from mlmon.errors import MlmonError

        raise MlmonError(f"embedding {spec.name!r} has {ref.shape[1]} values a vector in the reference but "
                         f"{cur.shape[1]} in current", f"{reference.path} vs {current.path}",
                         "compare embeddings from the same model, or --exclude the column")
    return ColumnData(ref, cur, len(ref), len(cur), ref_missing, cur_missing, 0)


def _vectors(table, spec: ColumnSpec) -> Tuple[np.ndarray, int]:
    """One side's vectors (float32 stays float32) and how many rows have none.

    A vector of another length than the first, or with NaN inside, is an input error: one line
    saying which row, and what to do."""
    from mlmon.errors import MlmonError

    where = table.path
    if spec.members:
        values = table.frame[list(spec.members)].to_numpy()
        if values.dtype.kind not in "f":
            values = values.astype(np.float64)
        nan = np.isnan(values)
        empty = nan.all(axis=1)
        partial = nan.any(axis=1) & ~empty
        if partial.any():
            raise MlmonError(f"embedding {spec.name!r} has missing values inside {int(partial.sum())} vector(s) "
                             f"(first at row {int(np.flatnonzero(partial)[0])})", where,
                             "fill or drop those rows before the check, or --exclude the columns")
        return (values[~empty] if empty.any() else values), int(empty.sum())
    series = table.frame[spec.name]
    present = series.notna().to_numpy()
    cells = series.to_numpy(dtype=object)[present]
    if not cells.size:
        return np.zeros((0, 0)), int((~present).sum())
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=cells.size)
    if (lengths != lengths[0]).any():
        i = int(np.flatnonzero(lengths != lengths[0])[0])
        raise MlmonError(f"embedding column {spec.name!r} holds vectors of different lengths ({int(lengths[0])} and "
                         f"{int(lengths[i])} values, row {int(np.flatnonzero(present)[i])})", where,
                         "export every vector with the same length (one model, one dimension), or --exclude the column")
    matrix = np.concatenate(cells).reshape(cells.size, int(lengths[0]))  # one copy, in C
    if matrix.dtype not in (np.float32, np.float64):
        try:
            matrix = matrix.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise MlmonError(f"embedding column {spec.name!r} holds values that are not numbers inside its vectors",
                             where, "export the vectors as lists of floats (missing values as NaN rows dropped), "
                                    "or --exclude the column") from exc
    bad = np.isnan(matrix).any(axis=1) if matrix.dtype.kind == "f" else np.zeros(len(matrix), dtype=bool)
    if bad.any():
        raise MlmonError(f"embedding column {spec.name!r} has NaN inside {int(bad.sum())} vector(s) (first at row "
                         f"{int(np.flatnonzero(present)[np.flatnonzero(bad)[0]])})", where,
                         "fill or drop those rows before the check, or --exclude the column")
    return matrix, int((~present).sum())


def _numeric(table, name: str) -> Tuple[np.ndarray, int, int]:
    """Finite values (float64, or float32 as stored) the caller may sort, missing and infinite counts."""
    arr = table.numbers(name)
    return _finite(_series_numbers(table.frame[name]) if arr is None else arr)


def _numeric_sorted(table, name: str) -> Tuple[np.ndarray, int, int]:
    """:func:`_numeric`'s finite values, sorted: one sort of the whole column (numpy puts NaN
    last and the infinities at the ends), the finite values the slice between them."""
    arr = table.numbers(name)
    values = np.sort(_series_numbers(table.frame[name]) if arr is None else arr)
    n = values.size
    if not n or (np.isfinite(values[0]) and np.isfinite(values[-1])):
        return values, 0, 0
    lo = int(np.searchsorted(values, -np.inf, side="right"))  # the -inf at the start
    hi = int(np.searchsorted(values, np.inf, side="left"))  # +inf and then NaN from here
    first_nan = n if not np.isnan(values[-1]) else int(np.searchsorted(values, np.nan, side="left"))
    return values[lo:hi], n - first_nan, lo + (first_nan - hi)


def _finite(arr: np.ndarray) -> Tuple[np.ndarray, int, int]:
    """A fresh array of ``arr``'s finite values, and its missing and infinite counts."""
    finite = np.isfinite(arr)
    if finite.all():
        return arr.copy(), 0, 0
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(arr.size - finite.sum() - n_nan)
    return arr[finite], n_nan, n_inf


def _series_numbers(series) -> np.ndarray:
    import pandas as pd

    if series.dtype in (np.float64, np.float32):
        # float32 stays float32: Evidently computes on the column as stored (wasserstein's
        # norm is float32 there), and scores must match it to the last digits
        return series.to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        return np.asarray(series.astype(float).to_numpy(dtype=np.float64, na_value=np.nan))
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _categorical_columns(reference, current, name: str):
    """Codes of both tables' column ``name`` over one sorted category list (see :func:`_categorical`),
    from Arrow's dictionaries or integers when both tables have them, else from pandas."""
    ref_d, cur_d = reference.dictionary(name), current.dictionary(name)
    if ref_d is not None and cur_d is not None:
        return _dictionary_codes(ref_d, cur_d)
    ref_i, cur_i = reference.integers(name), current.integers(name)
    if ref_i is not None and cur_i is not None:
        return _integer_codes(ref_i, cur_i)
    return _categorical(reference.frame[name], current.frame[name])


def _dictionary_codes(ref, cur):
    """:func:`_categorical` of two text columns given as ``(codes, values)`` (-1: missing)."""
    (ref_codes, ref_values), (cur_codes, cur_values) = ref, cur
    both = list(dict.fromkeys(list(ref_values) + list(cur_values)))
    cats = [both[i] for i in _sort_order(both)]
    position = {v: i for i, v in enumerate(cats)}
    out = []
    for codes, values in ((ref_codes, ref_values), (cur_codes, cur_values)):
        remap = np.array([position[v] for v in values] + [-1], dtype=np.int64)  # code -1 reads the last
        out.append(remap[codes])
    ref_codes, cur_codes = out
    return (ref_codes[ref_codes >= 0], cur_codes[cur_codes >= 0], cats,
            int((ref_codes < 0).sum()), int((cur_codes < 0).sum()), 0)


def _integer_codes(ref: np.ndarray, cur: np.ndarray):
    """:func:`_categorical` of two integer columns (no missing values): codes over the sorted values."""
    both = np.concatenate([ref, cur])
    lo, hi = (int(both.min()), int(both.max())) if both.size else (0, 0)
    if both.size and hi - lo <= 4 * both.size + 1024 and hi < 2 ** 62:  # a bounded range: one pass, no sort
        offset = both.astype(np.int64, copy=False) - lo
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[offset] = True
        cats = np.flatnonzero(present) + lo
        codes = (np.cumsum(present, dtype=np.int64) - 1)[offset]
    else:
        cats, codes = np.unique(both, return_inverse=True)
        codes = codes.reshape(-1)
    cats = cats.astype(np.result_type(ref, cur), copy=False)
    return codes[: ref.size].astype(np.int64), codes[ref.size:].astype(np.int64), list(cats), 0, 0, 0


def _categorical(ref, cur):
    """Codes of both sides over one sorted category list; missing (and ±inf) dropped."""
    import pandas as pd

    ref_inf = cur_inf = 0
    if isinstance(ref.dtype, pd.CategoricalDtype) and isinstance(cur.dtype, pd.CategoricalDtype):
        both = pd.Index(ref.cat.categories).append(pd.Index(cur.cat.categories)).unique()
        cats = both.take(_sort_order(both))
        ref_codes = ref.cat.set_categories(cats).cat.codes.to_numpy()
        cur_codes = cur.cat.set_categories(cats).cat.codes.to_numpy()
    else:
        ref, ref_inf = _inf_to_nan(ref)
        cur, cur_inf = _inf_to_nan(cur)
        combined = pd.concat([ref.astype(object) if isinstance(ref.dtype, pd.CategoricalDtype) else ref,
                              cur.astype(object) if isinstance(cur.dtype, pd.CategoricalDtype) else cur],
                             ignore_index=True)
        codes, uniques = pd.factorize(combined)
        order = _sort_order(uniques)
        remap = np.empty(len(uniques), dtype=np.int64)
        remap[order] = np.arange(len(uniques))
        if len(uniques):  # no value on either side: every code is already -1 (missing)
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        cats = pd.Index(uniques).take(order)
        ref_codes, cur_codes = codes[: len(ref)], codes[len(ref):]
    ref_missing = int((ref_codes < 0).sum())
    cur_missing = int((cur_codes < 0).sum())
    ref_codes = ref_codes[ref_codes >= 0].astype(np.int64)
    cur_codes = cur_codes[cur_codes >= 0].astype(np.int64)
    return ref_codes, cur_codes, list(cats), ref_missing - ref_inf, cur_missing - cur_inf, ref_inf + cur_inf


def _inf_to_nan(series):
    if series.dtype.kind == "f":
        inf = np.isinf(series.to_numpy())
        n = int(inf.sum())
        if n:
            return series.mask(inf), n
    return series, 0


def _sort_order(values) -> np.ndarray:
    """Positions that sort ``values`` (mixed types fall back to (type name, text) order)."""
    seq = list(values)
    try:
        return np.array(sorted(range(len(seq)), key=seq.__getitem__), dtype=np.int64)
    except TypeError:
        keys = [(type(v).__name__, str(v)) for v in seq]
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def _n_unique_sorted(a: np.ndarray, b: np.ndarray) -> int:
    """Distinct values across two sorted arrays: exact up to 5, else a lower bound above 5.

    The automatic method choice only asks whether there are more than 5 (and the constant-column
    warning whether there is exactly 1), so large columns never pay for merging both sides.
    """
    na = nunique_sorted(a)
    if na > 5:
        return na
    nb = nunique_sorted(b)
    if nb > 5:
        return nb
    return int(np.union1d(unique_sorted(a), unique_sorted(b)).size)


# ---------------------------------------------------------------------------- profiles


class ProfileSource:
    summaries = True
    parallel = False
    header = "the profile's columns"

    def __init__(self, reference, current, reference_where: str, current_where: str):
        self.reference, self.current = reference, current
        self.reference_where, self.current_where = reference_where, current_where
        self.reference_columns, self.current_columns = reference.column_names, current.column_names

    def sides(self) -> Tuple[Named, Named]:
        return Named(self.reference_where, self.reference_columns), Named(self.current_where, self.current_columns)

    def remembered_exclusions(self) -> List[str]:
        """Columns either profile was made without (``mlmon profile --exclude``)."""
        out: List[str] = []
        for side in (self.reference, self.current):
            out.extend(c for c in getattr(side, "excluded", ()) if c not in out)
        return out

    def describe(self) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        # "profile": this side was compared through its summary, not its rows
        return ({"path": self.reference_where, "rows": self.reference.rows, "profile": True},
                {"path": self.current_where, "rows": self.current.rows, "profile": True})

    def kinds(self, name):
        return self.reference.columns[name].kind, self.current.columns[name].kind

    def distinct(self, name):
        c = self.current.columns[name]
        if c.categories is not None:
            return len(c.categories), c.present, c.truncated
        n = c.n_distinct
        return (n, c.present, False) if n is not None else (len((c.numeric and c.numeric.value_counts) or ()), c.present, True)

    def categories_are_numbers(self, name):
        return False

    def column(self, spec: ColumnSpec) -> ColumnData:
        rc, cc = self.reference.columns[spec.name], self.current.columns[spec.name]
        infinite = sum(c.numeric.infinite for c in (rc, cc) if c.numeric is not None)
        if spec.type == NUMERICAL:
            rn, cn = _numeric_view(rc), _numeric_view(cc)
            data = ColumnData(rn, cn, rn.count if rn else 0, cn.count if cn else 0, rc.missing, cc.missing, infinite)
            if data.n_reference and data.n_current:
                data.n_unique = _n_unique_numeric(rn, cn)
            return data
        data = ColumnData(None, None, _categorical_size(rc), _categorical_size(cc), rc.missing, cc.missing, infinite)
        if not (data.n_reference and data.n_current):
            return data
        keys, data.reference, data.current = _category_counts(rc, cc)
        if keys is None:
            data.skip = ("too many distinct values to test as categories from a profile "
                         f"(profiles keep value counts for at most {rc.numeric and 'a few'} numbers)")
            return data
        data.n_unique = len(keys)
        new = [(k, c) for k, r, c in zip(keys, data.reference, data.current) if r == 0 and c > 0 and k != OTHER]
        data.new_categories = [str(k) for k, _ in new]
        data.new_rows = int(sum(c for _, c in new))
        if rc.truncated or cc.truncated:
            data.notes.append("more distinct values than the profile keeps; the rarest are pooled into one 'other' bin")
        return data

    def run(self, method: str, spec: ColumnSpec, data: ColumnData, threshold: float) -> Outcome:
        rn, cn = data.reference, data.current
        if spec.type == NUMERICAL and rn.values is not None and cn.values is not None:
            out = univariate.get(method)(rn.values, cn.values, NUMERICAL, threshold, presorted=True)
            return Outcome(out.score, out.drifted, out.statistic, {"basis": "exact values"})
        test = univariate.get(method)
        r = test.from_summary(rn, cn, spec.type, threshold)
        exactness = {"approximate": r.approximate, "error_bound": r.error_bound, "statistic_bounds": r.statistic_bounds,
                     "score_bounds": r.score_bounds, "verdict_certain": r.verdict_certain, "basis": r.basis}
        return Outcome(r.score, r.drifted, r.statistic, exactness, r.note)

    def check_methods(self, options) -> None:
        from mlmon.errors import OPTIONS, MlmonError, option
        from mlmon.stats.univariate import catalog

        if options.multivariate:
            raise MlmonError("the multivariate test needs the rows, a profile holds summaries", option("multivariate"),
                             f"run the drift check on the data files, or drop {option('multivariate')}")
        answerable = catalog.profile_ids()
        for m in [options.method, *options.column_methods.values()]:
            if m is not None and m in catalog.BY_ID and m not in answerable:
                raise MlmonError(f"drift method {m!r} needs the rows, a profile holds summaries", OPTIONS,
                                 "with profiles use one of: " + ", ".join(answerable))


def _numeric_view(c):
    """A column's numbers as the summary tests read them; bools count as 0 and 1."""
    from mlmon.profiles.sketch import bins_edges
    from mlmon.stats.from_summaries import NumericSummaryView

    n = c.numeric
    if n is None:
        if c.kind != "bool" or not c.categories:
            return None
        counts = {float(k): int(v) for k, v in c.categories.items()}
        values = None  # beyond EXACT_BOOL_VALUES the value counts serve every test
        if sum(counts.values()) <= EXACT_BOOL_VALUES:
            values = np.repeat(np.array(sorted(counts)), [counts[k] for k in sorted(counts)])
        empty = np.zeros(0, dtype=np.int64)
        total, keys = sum(counts.values()), sorted(counts)
        mean = sum(k * v for k, v in counts.items()) / total
        std = (sum(v * (k - mean) ** 2 for k, v in counts.items()) / total) ** 0.5
        return NumericSummaryView(count=total, min=keys[0], max=keys[-1], std=std, value_counts=counts, values=values,
                                  bin_keys=empty, bin_counts=empty, bin_left=empty.astype(float),
                                  bin_right=empty.astype(float))
    if n.count == 0:
        return None
    left, right = bins_edges(n.bin_keys, n.bpo)
    left, right = np.maximum(left, n.min), np.minimum(right, n.max)
    return NumericSummaryView(count=n.count, min=n.min, max=n.max, std=n.std, value_counts=n.value_counts,
                              values=n.values, bin_keys=n.bin_keys, bin_counts=n.bin_counts,
                              bin_left=left, bin_right=np.maximum(left, right), sketch=n.sketch)


def _categorical_size(c) -> int:
    if c.categories is not None:
        return sum(c.categories.values()) + c.other
    if c.numeric is not None:
        return c.numeric.count
    return 0


def _category_counts(rc, cc):
    """Sorted category keys with both sides' counts; folded values pooled into one last bin."""
    ref_map, ref_other, ref_trunc = _counts_map(rc)
    cur_map, cur_other, cur_trunc = _counts_map(cc)
    if ref_map is None or cur_map is None:
        return None, None, None
    keys = set(ref_map) | set(cur_map)
    if ref_trunc or cur_trunc:
        # a value is its own bin only where every truncated side still counts it exactly
        keys = {k for k in keys if (not ref_trunc or k in ref_map) and (not cur_trunc or k in cur_map)}
    ordered = _sorted_keys(keys)
    ref_counts = np.array([ref_map.get(k, 0) for k in ordered], dtype=np.int64)
    cur_counts = np.array([cur_map.get(k, 0) for k in ordered], dtype=np.int64)
    ref_rest = sum(ref_map.values()) + ref_other - int(ref_counts.sum())
    cur_rest = sum(cur_map.values()) + cur_other - int(cur_counts.sum())
    if ref_rest or cur_rest:
        ordered.append(OTHER)
        ref_counts = np.append(ref_counts, ref_rest)
        cur_counts = np.append(cur_counts, cur_rest)
    seen = (ref_counts + cur_counts) > 0
    return [k for k, s in zip(ordered, seen) if s], ref_counts[seen], cur_counts[seen]


def _counts_map(c):
    if c.categories is not None:
        return c.categories, c.other, c.truncated
    if c.numeric is not None:
        if c.numeric.value_counts is None:
            return None, 0, False
        if c.kind == "int":  # keys are kept as floats; name them as the data does
            return {int(k): v for k, v in c.numeric.value_counts.items()}, 0, False
        return c.numeric.value_counts, 0, False
    return {}, 0, False


def _sorted_keys(keys) -> list:
    seq = list(keys)
    try:
        return sorted(seq)
    except TypeError:
        return sorted(seq, key=lambda v: (type(v).__name__, str(v)))


def _n_unique_numeric(rn, cn) -> int:
    if rn.value_counts is not None and cn.value_counts is not None:
        return len(set(rn.value_counts) | set(cn.value_counts))
    return max(len(rn.value_counts or ()), len(cn.value_counts or ()), 33)  # > max_numeric_values: many
