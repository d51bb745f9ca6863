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

A feature column named like an identifier (``id``, ``*_id``, ``uuid``, ``*_key``, ``userId``, ...)
whose current values are unique per row is skipped as *id-like*: a fresh id range always
"drifts", and would lead the recommendations. Evidently has no such rule; its parity data
holds no such column. Naming the column in ``--numerical``/``--categorical`` tests it anyway.

``--numerical``, ``--categorical`` and ``--exclude`` (or the config) override the defaults.

The rule asks two sides a few questions (:class:`ColumnFacts`): each side's kind of a column,
and for integers and text how many distinct values the current side holds. Tables answer them
(:class:`TableFacts`), and so do profiles, so the drift check types columns one way whatever
it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.io.tables import Table

INTEGER_CARDINALITY_LIMIT = 10
NUMERIC_KINDS = ("float", "int")
#: kinds a column forced numerical may hold (bools count as 0 and 1)
NUMBER_LIKE = NUMERIC_KINDS + ("bool", "empty")
#: names of identifiers: id, uuid, guid, key, pk alone or as a suffix (``user_id``, ``order-key``, ``userId``)
_ID_WORDS = r"(?:id|uuid|guid|key|pk)"
ID_NAME = re.compile(rf"^(?i:{_ID_WORDS})$|[_\-. ](?i:{_ID_WORDS})$|[a-z0-9](?:Id|ID|Uuid|UUID|Guid|GUID|Key|KEY)$")
#: a column needs this many non-missing current values before "unique per row" means anything
ID_MIN_ROWS = 2


def looks_like_id_name(name: str) -> bool:
    """Whether ``name`` reads like an identifier's.

    >>> [looks_like_id_name(n) for n in ("id", "user_id", "userId", "uuid", "order_key", "idle", "paid", "keyboard")]
    [True, True, True, True, True, False, False, False]
    """
    return bool(ID_NAME.search(str(name)))


EMBEDDING = "embedding"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # "numerical" | "categorical" | "embedding"
    role: str  # "feature" | "target" | "prediction"
    members: Tuple[str, ...] = ()  # an embedding made of several columns: their names, in order


@dataclass
class Typing:
    columns: List[ColumnSpec]
    skipped: Dict[str, str]


def check_same_columns(reference: Table, current: Table, exclude: Sequence[str] = (),
                       target: Optional[str] = None) -> None:
    """Both sides must hold the same columns, apart from the ones left out with ``--exclude``
    and the ``target`` when only the reference has it (labels arrive after predictions)."""
    skip = set(exclude)
    if target is not None and target not in set(current.columns):
        skip.add(target)
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


class ColumnFacts(Protocol):
    """What the typing rule asks of two sides, whatever they are read from (tables, profiles)."""

    reference_where: str
    current_where: str
    reference_columns: List[str]
    current_columns: List[str]
    header: str  # what names the columns, for "check the spelling against ..."

    def kinds(self, name: str) -> Tuple[str, str]: ...
    def distinct(self, name: str) -> Tuple[int, int, bool]: ...  # current side: (distinct, present, more exist)
    def categories_are_numbers(self, name: str) -> bool: ...


class TableFacts:
    """:class:`ColumnFacts` of two tables."""

    header = "the file's header"

    def __init__(self, reference: Table, current: Table):
        self.reference, self.current = reference, current
        self.reference_where, self.current_where = reference.path, current.path
        self.reference_columns, self.current_columns = list(reference.columns), list(current.columns)

    def kinds(self, name: str) -> Tuple[str, str]:
        return self.reference.kinds[name], self.current.kinds[name]

    def distinct(self, name: str) -> Tuple[int, int, bool]:
        counted = self.current.distinct(name)
        if counted is not None:
            return counted[0], counted[1], False
        series = self.current.frame[name]
        return int(series.nunique()), int(series.count()), False

    def is_vector(self, name: str) -> bool:
        """Whether the current side's first value is a list of numbers (a parquet list<float>)."""
        return holds_vectors(self.current.frame[name])

    def categories_are_numbers(self, name: str) -> bool:
        table = self.reference if self.reference.kinds[name] in ("string", "category") else self.current
        if table.in_arrow:
            return False  # an Arrow table's text columns are dictionaries of strings
        accessor = getattr(table.frame[name], "cat", None)
        values = accessor.categories if accessor is not None else None
        return getattr(values, "dtype", None) is not None and values.dtype.kind in "iuf"


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
    """Type every shared column of two tables; raise :class:`MlmonError` on contradictions."""
    return assign_types_from(TableFacts(reference, current), numerical=numerical, categorical=categorical,
                             exclude=exclude, target=target, prediction=prediction)


def assign_types_from(
    facts: ColumnFacts,
    *,
    numerical: Sequence[str] = (),
    categorical: Sequence[str] = (),
    exclude: Sequence[str] = (),
    target: Optional[str] = None,
    prediction: Optional[str] = None,
    embedding: Sequence[str] = (),
) -> Typing:
    """Type every shared column of two sides described by ``facts`` (the one typing rule).

    A column of lists of numbers is an ``embedding``; so are the columns sharing a prefix named
    in ``embedding`` (one embedding per prefix, named by it, its columns in file order)."""
    known = set(facts.reference_columns) | set(facts.current_columns)
    groups = _embedding_groups(facts, embedding, exclude)
    grouped = {c for members in groups.values() for c in members}
    first_of = {members[0]: prefix for prefix, members in groups.items()}
    for field, cols in (("numerical", numerical), ("categorical", categorical), ("exclude", exclude)):
        _check_known(option(field), cols, known, facts)
    for field, col in (("target", target), ("prediction", prediction)):
        if col is not None:
            _check_known(option(field), [col], known, facts)
    both = set(numerical) & set(categorical)
    if both:
        raise MlmonError(
            f"column given as both {option('numerical')} and {option('categorical')}: " + ", ".join(sorted(both)),
            OPTIONS,
            "name each column in one of the two",
        )

    columns: List[ColumnSpec] = []
    skipped: Dict[str, str] = {}
    in_reference = set(facts.reference_columns)
    for name in facts.current_columns:
        if name in exclude or name not in in_reference:
            continue
        if name in grouped:  # an embedding stands where its first column is
            if name in first_of:
                prefix = first_of[name]
                columns.append(ColumnSpec(prefix, EMBEDDING, "feature", tuple(groups[prefix])))
            continue
        rk, ck = facts.kinds(name)
        _check_compatible(name, rk, ck, facts)
        role = "target" if name == target else "prediction" if name == prediction else "feature"
        if name in numerical:
            if rk not in NUMBER_LIKE or ck not in NUMBER_LIKE:
                bad_kind, where = (rk, facts.reference_where) if rk not in NUMBER_LIKE else (ck, facts.current_where)
                raise MlmonError(
                    f"{option('numerical')} {name}: column holds {bad_kind} values, not numbers",
                    where,
                    f"drop it from {option('numerical')} or fix the column",
                )
            columns.append(ColumnSpec(name, "numerical", role))
            continue
        if name in categorical:
            columns.append(ColumnSpec(name, "categorical", role))
            continue
        if role == "feature" and ck not in ("datetime", "empty", "bool") and looks_like_id_name(name):
            n, count, more = facts.distinct(name)
            if count >= ID_MIN_ROWS and (more or n == count):
                force = f"{option('categorical')} {name}" + ("" if ck in ("string", "category")
                                                             else f" or {option('numerical')} {name}")
                skipped[name] = f"id-like: named like an identifier and unique per row ({count} rows); use {force} to test it anyway"
                continue
        inferred, reason = _infer(facts, name, ck)
        if inferred is None:
            skipped[name] = reason
        else:
            columns.append(ColumnSpec(name, inferred, role))
    return Typing(columns=columns, skipped=skipped)


def _infer(facts: ColumnFacts, name: str, kind: str):
    if kind == "float":
        return "numerical", ""
    if kind == "int":
        n, _, more = facts.distinct(name)
        return ("categorical", "") if not more and n <= INTEGER_CARDINALITY_LIMIT else ("numerical", "")
    if kind in ("bool", "category"):
        return "categorical", ""
    if kind == "string":
        n, count, more = facts.distinct(name)
        if more or n > count * 0.5:
            return None, (
                f"text-like: {'more than ' if more else ''}{n} distinct values in {count} rows (an id or free text); "
                f"use --categorical {name} to test it anyway"
            )
        return "categorical", ""
    if kind == "datetime":
        return None, "datetime column: not a feature to drift-test"
    if kind == "empty":
        return None, "all values missing"
    is_vector = getattr(facts, "is_vector", None)
    if kind == "other" and is_vector is not None and is_vector(name):
        return EMBEDDING, ""
    return None, "mixed or nested values: cannot be typed; use --categorical to test it as categories"


def _check_compatible(name: str, rk: str, ck: str, facts: ColumnFacts) -> None:
    numeric = set(NUMERIC_KINDS)
    texty = {"string", "category"}
    if (rk in numeric and ck in texty) or (rk in texty and ck in numeric):
        if (rk == "category" or ck == "category") and facts.categories_are_numbers(name):
            return  # a pandas categorical of numbers on one side is still numbers
        raise MlmonError(
            f"column {name!r} is {'numeric' if rk in numeric else 'text'} in reference but "
            f"{'numeric' if ck in numeric else 'text'} in current",
            f"{facts.reference_where} vs {facts.current_where}",
            "fix the export so both sides hold the same type, or --exclude the column",
        )


def _check_known(flag: str, cols: Iterable[str], known: set, facts: ColumnFacts) -> None:
    unknown = [c for c in cols if c not in known]
    if unknown:
        raise MlmonError(
            f"{flag} names unknown column(s): {', '.join(unknown)}",
            facts.current_where,
            f"check the spelling against {facts.header}",
        )


def holds_vectors(series) -> bool:
    """Whether ``series``' first non-missing value is a non-empty list or array of numbers."""
    import numpy as np

    values = series.dropna()
    if not len(values):
        return False
    first = values.iloc[0]
    if not isinstance(first, (list, tuple, np.ndarray)) or len(first) == 0:
        return False
    return np.asarray(first).dtype.kind in "fiu"


def _embedding_groups(facts: ColumnFacts, prefixes: Sequence[str], exclude: Sequence[str]) -> Dict[str, List[str]]:
    """Columns of each embedding prefix (both sides, not excluded); a prefix matching nothing is an error."""
    groups: Dict[str, List[str]] = {}
    in_reference = set(facts.reference_columns)
    for prefix in prefixes:
        members = [c for c in facts.current_columns
                   if str(c).startswith(prefix) and c in in_reference and c not in exclude]
        if not members:
            shown = ", ".join(map(str, facts.current_columns[:8])) + (", ..." if len(facts.current_columns) > 8 else "")
            raise MlmonError(f"{option('embedding')} {prefix!r} matches no column", facts.current_where,
                             f"name the prefix the vector's columns share (emb_ for emb_0, emb_1, ...); columns: {shown}")
        for c in members:
            kinds = facts.kinds(c)
            bad = [k for k in kinds if k not in NUMBER_LIKE]
            if bad:
                raise MlmonError(f"{option('embedding')} {prefix!r}: column {c!r} holds {bad[0]} values, not numbers",
                                 facts.current_where, f"use a prefix only the vector's number columns share")
        groups[prefix] = members
    return groups
