"""Cutting predictions into windows with the one window cutter, :func:`mlmon.services.windows.cut_windows`:
calendar periods in the data's own time zone (days at midnight, weeks on Monday, months on the
1st: ``1h``, ``1D``, ``1W``, ``1M``), chunks of N rows in time order, or one window over everything.

What a performance run adds: every prediction needs its timestamp (metrics per window count
every row), and the cutter's errors name the run's options (the surface shows them as flags).
Timestamps written with several UTC offsets and no zone to read them in (text exported from a
zone with daylight saving time) are cut in UTC, with a warning, rather than refused.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError, option
from mlmon.services.windows import NAT, Windows, cut_windows, parse_timestamps

__all__ = ["Windows", "perf_windows"]

_OPTION_FIELDS = ("window", "chunk_size")


def perf_windows(frame: pd.DataFrame, timestamp: Optional[str], window: Optional[str],
                 chunk_size: Optional[int], role: str = "current") -> Tuple[Windows, List[str]]:
    """The windows of ``frame`` and any warning about how they were cut.

    ``win.utc_ns`` holds each row's instant (UTC nanoseconds; naive data: wall clock) when there
    is a timestamp.

    >>> f = pd.DataFrame({"ts": pd.to_datetime(["2024-01-31 23:00", "2024-02-01 01:00", "2024-02-29 12:00"])})
    >>> win, notes = perf_windows(f, "ts", "1M", None)
    >>> win.starts, win.counts.tolist(), notes
    (['2024-01-01T00:00:00', '2024-02-01T00:00:00'], [1, 2], [])
    """
    notes: List[str] = []
    idx = None
    if timestamp:
        idx, notes = _timestamps(frame[timestamp], timestamp, role)
    try:
        win = cut_windows(idx, n_rows=len(frame), window=window, chunk_size=chunk_size, column=timestamp or "timestamp")
    except MlmonError as exc:
        raise MlmonError(exc.what, _as_options(exc.where), exc.todo) from None
    _refuse_mostly_empty(win, frame[timestamp] if timestamp else None)
    return win, notes


#: Calendar windows beyond this many, nearly all empty (share below), mean a few rows lie far from
#: the rest (a placeholder date such as 1970-01-01): every window would be reported and recorded.
MANY_WINDOWS = 1000
MOSTLY_EMPTY = 0.9


def _refuse_mostly_empty(win: Windows, values: Optional[pd.Series]) -> None:
    if win.bounds_ns is None or win.count <= MANY_WINDOWS or values is None:
        return
    empty = float((win.counts == 0).mean())
    if empty <= MOSTLY_EMPTY:
        return
    ok = np.flatnonzero(win.groups >= 0)
    order = ok[np.argsort(win.utc_ns[ok], kind="stable")]
    lo, hi = int(order[0]), int(order[-1])
    busiest = int(np.argmax(win.counts))
    raise MlmonError(f"{win.count:,} {win.label} windows, {empty:.0%} of them empty: timestamps run from "
                     f"{values.iloc[lo]} (row {lo}) to {values.iloc[hi]} (row {hi}), while the busiest window "
                     f"starts {win.starts[busiest]}", option("window"),
                     "filter out the outlying rows (a placeholder date?) or choose a longer window")


#: Calendar years a timestamp may fall in: pandas counts nanoseconds in 64 bits (1677-09-21 to
#: 2262-04-11), and a window grid needs room for a period before the first row (a week starts on
#: the Monday before) and after the last.
FIRST_YEAR, LAST_YEAR = 1679, 2261
_YEAR = r"^\s*([+-]?\d{4,})-\d"


def _refuse_out_of_range(values: pd.Series, column: str, where: str) -> None:
    """One line naming the rows whose timestamps lie outside the years windows can be cut in
    (text such as ``9999-12-31`` or datetimes at pandas' limits), instead of an internal error."""
    if pd.api.types.is_datetime64_any_dtype(values):  # the same years as the text's, without writing it
        years = pd.DatetimeIndex(values).year.to_numpy(dtype=float, na_value=np.nan)
    else:  # text, or datetime and date objects: their text begins with their year as well
        found = values.astype("string").str.extract(_YEAR, expand=False)
        years = pd.to_numeric(found).to_numpy(dtype=float, na_value=np.nan)
    bad = (years < FIRST_YEAR) | (years > LAST_YEAR)  # a missing year (NaN) is neither
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    shown = ", ".join(f"row {i}: {str(values.iloc[i])!r}" for i in rows[:3]) + (", ..." if rows.size > 3 else "")
    raise MlmonError(f"{rows.size} timestamp(s) in column {column!r} lie outside the years {FIRST_YEAR}-{LAST_YEAR} "
                     f"({shown})", where, "drop or fix those rows (a placeholder date?) before cutting windows")


def _timestamps(values: pd.Series, column: str, role: str) -> Tuple[pd.DatetimeIndex, List[str]]:
    where = f"{role} column {column}"
    notes: List[str] = []
    try:
        idx = parse_timestamps(values, column)
    except MlmonError as exc:
        _refuse_out_of_range(values, column, where)  # the clearer message when that is the cause
        try:  # several UTC offsets and no zone to name: the instants are still known
            idx = parse_timestamps(values, column, timezone="UTC")
        except MlmonError:
            raise MlmonError(exc.what, where, exc.todo) from None
        notes.append(f"timestamps in column {column!r} carry several UTC offsets: windows are cut in UTC")
    ns = idx.asi8
    # the first and last rows by two integer reductions; NaT is the smallest integer, so the
    # first row is NaT exactly when some row has no time (then the rows are counted)
    lo = int(ns.argmin()) if ns.size else 0
    if not ns.size or ns[lo] == NAT:
        missing = np.asarray(idx.isna())
        if missing.all():
            raise MlmonError(f"timestamp column {column!r} is empty", where, f"fill it or leave out {option('timestamp')}")
        raise MlmonError(f"{int(missing.sum())} rows have no timestamp in column {column!r}", where,
                         "fill or drop those rows")
    first, last = idx[lo], idx[int(ns.argmax())]  # the rows are looked at only when one is out
    if first.year < FIRST_YEAR or last.year > LAST_YEAR:
        _refuse_out_of_range(values, column, where)
        raise MlmonError(f"timestamps in column {column!r} run from {first} to {last}, outside the years "
                         f"{FIRST_YEAR}-{LAST_YEAR}", where, "drop or fix those rows before cutting windows")
    return idx, notes


def _as_options(where: str) -> str:
    """The cutter names its fields as the place (``window``, ``window, chunk_size``): make them
    option names the surface renders as flags."""
    parts = [p.strip() for p in where.split(",")]
    if parts and all(p in _OPTION_FIELDS for p in parts):
        return ", ".join(option(p) for p in parts)
    return where
