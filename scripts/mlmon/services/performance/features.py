"""The model's input columns for estimation: which they are, how they become numbers an error
model can take, and where each current row lies outside the reference.

Numbers and booleans are used as they are. A text or categorical column becomes codes of the
reference's categories (at most :data:`MAX_CATEGORIES`; a value the reference never held is
missing to the error model and *outside* for the support check). Dates and columns with more
categories cannot be used: named in a warning, or an error when the user asked for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError, option
from mlmon.services.performance.options import PerfOptions
from mlmon.stats.support import outside_range

#: A booster's categorical column holds at most this many categories (scikit-learn's limit).
MAX_CATEGORIES = 254


def feature_columns(o: PerfOptions, frame: pd.DataFrame) -> List[str]:
    """``o.features``, or every column that has no role (target, prediction, probabilities,
    timestamps, interval bounds, the join id)."""
    if o.features:
        return list(o.features)
    proba = [o.proba] if isinstance(o.proba, str) else list(o.proba or [])
    roles = {o.target, o.prediction, o.timestamp, o.label_timestamp, o.lower, o.upper, o.join_on, *proba}
    return [c for c in frame.columns if c not in roles]


@dataclass
class Features:
    names: List[str]                    # usable columns, in order
    reference: np.ndarray               # (n_ref, d) floats, category codes, NaN missing
    current: np.ndarray                 # (n_cur, d)
    categorical: np.ndarray             # (d,) bool
    outside: np.ndarray                 # (n_cur, d) bool: outside the reference's support
    dropped: List[str] = field(default_factory=list)    # "name (why)"


def encode_features(o: PerfOptions, reference: pd.DataFrame, current: pd.DataFrame) -> Features:
    """Encode the input columns of both frames on the reference's terms (module docstring)."""
    asked = bool(o.features)
    names = feature_columns(o, reference)
    missing = [c for c in names if c not in reference.columns or c not in current.columns]
    if missing and asked:
        raise MlmonError(f"feature column(s) not in both files: {', '.join(map(str, missing[:5]))}",
                         option("features"), "name columns present in the reference and the current data")
    names = [c for c in names if c not in missing]
    used, ref_cols, cur_cols, cats, outside, dropped = [], [], [], [], [], []
    for c in names:
        r, k = reference[c], current[c]
        why = _unusable(r)
        if why:
            dropped.append(f"{c} ({why})")
            continue
        if pd.api.types.is_bool_dtype(r) or pd.api.types.is_numeric_dtype(r):
            rv, cv = _floats(r), _floats(k)
            if rv is None or cv is None:
                dropped.append(f"{c} (numbers in one file, text in the other)")
                continue
            used.append(c)
            ref_cols.append(rv)
            cur_cols.append(cv)
            cats.append(False)
            outside.append(outside_range(rv, cv)[:, 0])
            continue
        levels = pd.Index(r.dropna().astype(str).unique())
        cr = levels.get_indexer(r.astype(str).where(r.notna(), None)).astype(np.float64)
        cc = levels.get_indexer(k.astype(str).where(k.notna(), None)).astype(np.float64)
        unseen = (cc < 0) & k.notna().to_numpy()
        cr[cr < 0], cc[cc < 0] = np.nan, np.nan
        used.append(c)
        ref_cols.append(cr)
        cur_cols.append(cc)
        cats.append(True)
        outside.append(unseen)
    if dropped and asked:
        raise MlmonError(f"the error model cannot use feature(s) {', '.join(dropped[:5])}",
                         option("features"), "encode them as numbers or fewer categories, or leave them out")
    n_ref, n_cur = len(reference), len(current)
    return Features(
        names=used,
        reference=np.column_stack(ref_cols) if ref_cols else np.zeros((n_ref, 0)),
        current=np.column_stack(cur_cols) if cur_cols else np.zeros((n_cur, 0)),
        categorical=np.array(cats, dtype=bool),
        outside=np.column_stack(outside) if outside else np.zeros((n_cur, 0), dtype=bool),
        dropped=dropped,
    )


def _unusable(series: pd.Series) -> Optional[str]:
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return "a date or duration"
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return None
    distinct = series.dropna().astype(str).nunique()
    if distinct > MAX_CATEGORIES:
        return f"text with {distinct} distinct values, more than {MAX_CATEGORIES}"
    return None


def _floats(series: pd.Series) -> Optional[np.ndarray]:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        inf = np.isinf(values)
        return np.where(inf, np.nan, values) if inf.any() else values
    return None
