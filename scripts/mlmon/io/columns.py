"""Column typing: which columns are numerical, which categorical, which are skipped and why.

The defaults follow Evidently 0.7 (``evidently.core.datasets.infer_column_type``), applied to
the *current* data as Evidently's ``Report.run(current, reference)`` does:

==================  ==========================================================
file kind           type
==================  ==========================================================
float               numerical
int                 categorical when at most 10 distinct values, else numerical
bool, category      categorical
string              categorical, unless distinct values exceed half of the
                    non-missing values: Evidently calls that *text*; mlmon skips
                    it as text-like (an id, a free-text field) with a warning
datetime            skipped (a timestamp is not a feature to drift-test)
==================  ==========================================================

``--numerical``, ``--categorical`` and ``--exclude`` (or the config) override the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

from mlmon.errors import MlmonError
from mlmon.io.tables import Table

INTEGER_CARDINALITY_LIMIT = 10
NUMERIC_KINDS = ("float", "int")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # "numerical" | "categorical"
    role: str  # "feature" | "target" | "prediction"


@dataclass
class Typing:
    columns: List[ColumnSpec]
    skipped: Dict[str, str]


def check_same_columns(reference: Table, current: Table, exclude: Sequence[str] = ()) -> None:
    """Both sides must hold the same columns, apart from the ones left out with ``--exclude``."""
    skip = set(exclude)
    ref = [c for c in reference.columns if c not in skip]
    cur = [c for c in current.columns if c not in skip]
    missing = [c for c in ref if c not in set(cur)]
    extra = [c for c in cur if c not in set(ref)]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing in current: " + ", ".join(missing))
        if extra:
            parts.append("only in current: " + ", ".join(extra))
        raise MlmonError(
            "reference and current have different columns: " + "; ".join(parts),
            f"{reference.path} vs {current.path}",
            "export both with the same columns, or leave the odd ones out with --exclude",
        )


def assign_types(
    reference: Table,
    current: Table,
    *,
    numerical: Sequence[str] = (),
    categorical: Sequence[str] = (),
    exclude: Sequence[str] = (),
    target: Optional[str] = None,
    prediction: Optional[str] = None,
) -> Typing:
    """Type every shared column; raise :class:`MlmonError` on contradictions."""
    names = [c for c in current.columns if c in set(reference.columns)]
    known = set(reference.columns) | set(current.columns)
    for flag, cols in (("--numerical", numerical), ("--categorical", categorical), ("--exclude", exclude)):
        _check_known(flag, cols, known, current.path)
    for flag, col in (("--target", target), ("--prediction", prediction)):
        if col is not None:
            _check_known(flag, [col], known, current.path)
    both = set(numerical) & set(categorical)
    if both:
        raise MlmonError(
            "column given as both --numerical and --categorical: " + ", ".join(sorted(both)),
            "command line",
            "name each column in one of the two",
        )

    columns: List[ColumnSpec] = []
    skipped: Dict[str, str] = {}
    for name in names:
        if name in exclude:
            continue
        rk, ck = reference.kinds[name], current.kinds[name]
        _check_compatible(name, rk, ck, reference, current)
        role = "target" if name == target else "prediction" if name == prediction else "feature"
        if name in numerical:
            if rk not in NUMERIC_KINDS + ("bool", "empty") or ck not in NUMERIC_KINDS + ("bool", "empty"):
                bad = reference.path if rk not in NUMERIC_KINDS + ("bool", "empty") else current.path
                raise MlmonError(
                    f"--numerical {name}: column holds {rk if bad == reference.path else ck} values, not numbers",
                    bad,
                    "drop it from --numerical or fix the column",
                )
            columns.append(ColumnSpec(name, "numerical", role))
            continue
        if name in categorical:
            columns.append(ColumnSpec(name, "categorical", role))
            continue
        inferred, reason = _infer(current, name)
        if inferred is None:
            skipped[name] = reason
        else:
            columns.append(ColumnSpec(name, inferred, role))
    return Typing(columns=columns, skipped=skipped)


def _infer(table: Table, name: str):
    kind = table.kinds[name]
    series = table.frame[name]
    if kind == "float":
        return "numerical", ""
    if kind == "int":
        n = series.nunique()
        return ("categorical", "") if n <= INTEGER_CARDINALITY_LIMIT else ("numerical", "")
    if kind in ("bool", "category"):
        return "categorical", ""
    if kind == "string":
        n, count = series.nunique(), series.count()
        if n > count * 0.5:
            return None, (
                f"text-like: {n} distinct values in {count} rows (an id or free text); "
                f"use --categorical {name} to test it anyway"
            )
        return "categorical", ""
    if kind == "datetime":
        return None, "datetime column: not a feature to drift-test"
    if kind == "empty":
        return None, "all values missing"
    return None, "mixed or nested values: cannot be typed; use --categorical to test it as categories"


def _check_compatible(name: str, rk: str, ck: str, reference: Table, current: Table) -> None:
    numeric = set(NUMERIC_KINDS)
    texty = {"string", "category"}
    if (rk in numeric and ck in texty) or (rk in texty and ck in numeric):
        ref_desc = "numeric" if rk in numeric else "text"
        cur_desc = "numeric" if ck in numeric else "text"
        cat = reference if rk in texty else current
        if rk == "category" or ck == "category":
            # a pandas categorical of numbers on one side is still numbers
            values = cat.frame[name].cat.categories
            if getattr(values, "dtype", None) is not None and values.dtype.kind in "iuf":
                return
        raise MlmonError(
            f"column {name!r} is {ref_desc} in reference but {cur_desc} in current",
            f"{reference.path} vs {current.path}",
            "fix the export so both sides hold the same type, or --exclude the column",
        )


def _check_known(flag: str, cols: Iterable[str], known: set, where: str) -> None:
    unknown = [c for c in cols if c not in known]
    if unknown:
        raise MlmonError(
            f"{flag} names unknown column(s): {', '.join(unknown)}",
            where,
            "check the spelling against the file's header",
        )
