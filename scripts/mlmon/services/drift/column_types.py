"""Column typing for the drift check: one rule, whatever the columns are read from.

The defaults follow Evidently 0.7 (``infer_column_type``) on the *current* side, see
:mod:`mlmon.io.columns`; ``--numerical``, ``--categorical`` and ``--exclude`` override them. A
source answers the few questions the rule asks (:class:`ColumnFacts`): each side's file kind of
a column, and, for integers and text, how many distinct values the current side holds.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Protocol, Sequence, Tuple

from mlmon.errors import MlmonError
from mlmon.io.columns import INTEGER_CARDINALITY_LIMIT, NUMERIC_KINDS, ColumnSpec, Typing
from mlmon.services.drift.result import DriftOptions

#: kinds a column forced numerical may hold (bools count as 0 and 1, as in the rows)
NUMBER_LIKE = NUMERIC_KINDS + ("bool", "empty")


class ColumnFacts(Protocol):
    reference_where: str
    current_where: str
    reference_columns: List[str]
    current_columns: List[str]
    header: str  # what names the columns, for "check the spelling against ..."

    def kinds(self, name: str) -> Tuple[str, str]: ...
    def distinct(self, name: str) -> Tuple[int, int, bool]: ...  # current side: (distinct, present, more exist)
    def categories_are_numbers(self, name: str) -> bool: ...


def assign_types(facts: ColumnFacts, options: DriftOptions) -> Typing:
    """Type every shared column; raise :class:`MlmonError` on contradictions."""
    known = set(facts.reference_columns) | set(facts.current_columns)
    for flag, cols in (("--numerical", options.numerical), ("--categorical", options.categorical),
                       ("--exclude", options.exclude)):
        _check_known(flag, cols, known, facts)
    for flag, col in (("--target", options.target), ("--prediction", options.prediction)):
        if col is not None:
            _check_known(flag, [col], known, facts)
    both = set(options.numerical) & set(options.categorical)
    if both:
        raise MlmonError("column given as both --numerical and --categorical: " + ", ".join(sorted(both)),
                         "command line", "name each column in one of the two")
    columns: List[ColumnSpec] = []
    skipped: Dict[str, str] = {}
    in_reference = set(facts.reference_columns)
    for name in facts.current_columns:
        if name in options.exclude or name not in in_reference:
            continue
        rk, ck = facts.kinds(name)
        _check_compatible(name, rk, ck, facts)
        role = "target" if name == options.target else "prediction" if name == options.prediction else "feature"
        if name in options.numerical:
            if rk not in NUMBER_LIKE or ck not in NUMBER_LIKE:
                bad_kind, where = (rk, facts.reference_where) if rk not in NUMBER_LIKE else (ck, facts.current_where)
                raise MlmonError(f"--numerical {name}: column holds {bad_kind} values, not numbers", where,
                                 "drop it from --numerical or fix the column")
            columns.append(ColumnSpec(name, "numerical", role))
            continue
        if name in options.categorical:
            columns.append(ColumnSpec(name, "categorical", role))
            continue
        inferred, reason = _infer(facts, name, ck)
        if inferred is None:
            skipped[name] = reason
        else:
            columns.append(ColumnSpec(name, inferred, role))
    return Typing(columns=columns, skipped=skipped)


def _infer(facts: ColumnFacts, name: str, kind: str) -> Tuple[Optional[str], str]:
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
            return None, (f"text-like: {'more than ' if more else ''}{n} distinct values in {count} rows "
                          f"(an id or free text); use --categorical {name} to test it anyway")
        return "categorical", ""
    if kind == "datetime":
        return None, "datetime column: not a feature to drift-test"
    if kind == "empty":
        return None, "all values missing"
    return None, "mixed or nested values: cannot be typed; use --categorical to test it as categories"


def _check_compatible(name: str, rk: str, ck: str, facts: ColumnFacts) -> None:
    numeric, texty = set(NUMERIC_KINDS), {"string", "category"}
    if (rk in numeric and ck in texty) or (rk in texty and ck in numeric):
        if (rk == "category" or ck == "category") and facts.categories_are_numbers(name):
            return  # a categorical of numbers on one side is still numbers
        raise MlmonError(
            f"column {name!r} is {'numeric' if rk in numeric else 'text'} in reference but "
            f"{'numeric' if ck in numeric else 'text'} in current",
            f"{facts.reference_where} vs {facts.current_where}",
            "fix the export so both sides hold the same type, or --exclude the column")


def _check_known(flag: str, cols: Sequence[str], known: set, facts: ColumnFacts) -> None:
    unknown = [c for c in cols if c not in known]
    if unknown:
        raise MlmonError(f"{flag} names unknown column(s): {', '.join(unknown)}", facts.current_where,
                         f"check the spelling against {facts.header}")
