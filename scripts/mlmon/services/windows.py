"""Windows over a timestamp: calendar-aligned periods or fixed row counts.

Monitoring is a time series, and a window is a period a person would name: a day starts at
midnight, a week on Monday, a month on the 1st, all *in the data's own time zone* (the zone
of a zoned column, or the wall clock of a naive one). Durations are text:

=========================  =====================================================
``30s``, ``15min``, ``15m``  seconds, minutes (``m`` lower case is minutes)
``1h``, ``6h``               hours; the grid starts at the first day's midnight
``1D``, ``2D``               days (midnight to midnight: 23 or 25 hours on a DST change)
``1W``                       weeks, Monday 00:00 to Monday 00:00
``1M``, ``3M``, ``1mo``      calendar months from the 1st (``M`` upper case is months)
``1Y``                       calendar years from January 1st
=========================  =====================================================

The grid is laid out in wall-clock time from the start of the first period that holds data
(its day, week, month or year; for hours, minutes and seconds, the step of the grid from
that day's midnight that holds the first row; ``k`` units at a time from there) and each boundary is then
placed in the zone: a boundary that does not exist (spring forward) moves to the first instant
after the gap, an ambiguous one (fall back) takes the earlier instant, and boundaries that
coincide are merged. So ``1h`` windows on a spring-forward day are 23, and ``1D`` windows
are 23 or 25 hours long when the day is. Every period between the first and the last row is
a window, empty ones included, so the series has no holes.

``chunk_size=N`` cuts windows of ``N`` rows instead: in timestamp order (a stable sort) when
there is a timestamp, in the given row order when there is not. The last chunk may be short.

Rows whose timestamp is missing belong to no window (index ``-1``) and are counted in
:attr:`Windows.missing`, never dropped silently.

Errors are :class:`~mlmon.errors.MlmonError` naming the option field (``window``,
``chunk_size``, ``timestamp``, ``timezone``), not a command-line flag: the surface maps fields
to flags.

>>> ts = pd.Series(pd.to_datetime(["2024-03-30 23:00", "2024-03-31 01:00", "2024-03-31 23:30"]))
>>> w = cut_windows(ts.dt.tz_localize("Europe/Berlin"), window="1D")
>>> w.groups.tolist(), w.starts, w.counts.tolist()
([0, 1, 1], ['2024-03-30T00:00:00+01:00', '2024-03-31T00:00:00+01:00'], [1, 2])
>>> w.ends[1], float(w.seconds()[1]) / 3600
('2024-04-01T00:00:00+02:00', 23.0)
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError

#: More windows than this is almost always a stray timestamp (1970, 2099) or a unit slip.
MAX_WINDOWS = 100_000

NAT = np.iinfo(np.int64).min

_UNITS = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "min", "min": "min", "mins": "min", "minute": "min", "minutes": "min", "T": "min",
    "h": "h", "H": "h", "hour": "h", "hours": "h",
    "d": "D", "D": "D", "day": "D", "days": "D",
    "w": "W", "W": "W", "week": "W", "weeks": "W",
    "M": "M", "mo": "M", "month": "M", "months": "M", "MS": "M",
    "y": "Y", "Y": "Y", "year": "Y", "years": "Y",
}
_DURATION = re.compile(r"^\s*(\d+)?\s*([A-Za-z]+)\s*$")
_SECONDS = {"s": 1, "min": 60, "h": 3600, "D": 86400, "W": 7 * 86400}

# a time of day followed by a zone: "...T12:00:00+01:00", "... 12:00Z", "...12:00:00.5 UTC"
_ZONED_TEXT = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Duration:
    """A parsed window length: ``count`` calendar ``unit``\\ s (``s min h D W M Y``).

    >>> parse_window("6h"), parse_window("1M").unit, parse_window("30min").fixed_seconds
    (Duration(count=6, unit='h'), 'M', 1800)
    """

    count: int
    unit: str

    @property
    def fixed_seconds(self) -> Optional[int]:
        """Nominal length in seconds; None for months and years (no fixed length)."""
        return self.count * _SECONDS[self.unit] if self.unit in _SECONDS else None

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def parse_window(text: Any) -> Duration:
    """Read a duration text such as ``1D``, ``6h``, ``1W``, ``1M``, ``30min``; MlmonError otherwise."""
    m = _DURATION.match(str(text)) if text is not None else None
    unit = _UNITS.get(m.group(2)) or _UNITS.get(m.group(2).lower()) if m else None
    if m and m.group(2) == "M":
        unit = "M"  # upper-case M is a month, lower-case m a minute
    count = int(m.group(1)) if m and m.group(1) else 1
    if not m or unit is None or count < 1:
        raise MlmonError(f"window {text!r} is not a duration", "window",
                         "use a count and a unit, e.g. 30min, 6h, 1D, 1W or 1M (M months, m or min minutes)")
    return Duration(count, unit)


# ------------------------------------------------------------------------------ timestamps


def parse_timestamps(values: Any, column: str = "timestamp", timezone: Optional[str] = None) -> pd.DatetimeIndex:
    """The column as a :class:`pandas.DatetimeIndex` in the data's own time zone (naive stays naive).

    Accepts datetime columns (naive or zoned), datetime objects and ISO 8601 text. Missing
    values (None, NaN, empty text) become NaT. Text that does not parse, a mix of zoned and
    naive values, and zoned text with several UTC offsets but no ``timezone`` to read them in
    are errors. ``timezone`` (an IANA name) converts zoned data to that zone and places naive
    wall-clock times in it.

    >>> parse_timestamps(["2024-01-01T10:00+01:00", None, ""]).tz, parse_timestamps(["2024-01-01"]).tz
    (datetime.timezone(datetime.timedelta(seconds=3600)), None)
    """
    if isinstance(values, pd.DatetimeIndex) and not timezone:  # parsed already: no second copy
        return _in_ns(values)
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        idx = pd.DatetimeIndex(s)
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_object_dtype(s) and s.notna().any():
        raise MlmonError(f"timestamp column {column!r} is numeric, not a date or time", "timestamp",
                         "store timestamps as dates or ISO 8601 text (e.g. 2024-05-01T12:00:00)")
    else:
        idx = _parse_objects(s, column, timezone)
    if timezone:
        try:
            idx = idx.tz_convert(timezone) if idx.tz is not None else _localize(idx, timezone)
        except Exception as exc:  # unknown zone names come from several libraries
            raise MlmonError(f"unknown time zone {timezone!r} ({type(exc).__name__})", "timezone",
                             "use an IANA name such as UTC or Europe/Berlin") from None
    return _in_ns(idx)


def _in_ns(idx: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Every integer below is nanoseconds (parquet and pandas 3 may give other units); an index
    already in them is kept as it is (``as_unit`` would copy ten million rows to change nothing)."""
    return idx if idx.unit == "ns" else idx.as_unit("ns")


def _parse_objects(s: pd.Series, column: str, timezone: Optional[str]) -> pd.DatetimeIndex:
    present = s.notna().to_numpy()
    if s.dtype == object:
        items = s[present]
        is_dt = items.map(lambda v: isinstance(v, (_dt.datetime, _dt.date))).to_numpy(dtype=bool)
        if is_dt.all() and is_dt.size:
            aware = items.map(lambda v: getattr(v, "tzinfo", None) is not None).to_numpy(dtype=bool)
            _refuse_mixed(aware, items, column)
            try:
                if not aware.any():
                    return pd.DatetimeIndex(pd.to_datetime(s))
                parsed = pd.DatetimeIndex(pd.to_datetime(s, utc=True))
            except (pd.errors.OutOfBoundsDatetime, OverflowError):
                years = [v.year for v in items]
                raise MlmonError(f"timestamp column {column!r} runs from year {min(years)} to {max(years)}, beyond the "
                                 "years 1677-2262 a nanosecond clock can count", "timestamp",
                                 "drop or fix the outlying rows (a placeholder date?)") from None
            zones = {str(v.tzinfo) for v in items}
            return _in_zone(parsed, zones, items.iloc[0].tzinfo, column, timezone)
    text = s.astype("string").str.strip()
    text = text.mask(text == "")
    present = text.notna().to_numpy()
    items = text[present]
    offsets = items.str.extract(_ZONED_TEXT, expand=False)
    aware = offsets.notna().to_numpy(dtype=bool)
    _refuse_mixed(aware, items, column)
    zoned = bool(aware.any())
    parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=zoned)
    bad = parsed.isna() & text.notna()
    if bad.any():
        raise MlmonError(f"{int(bad.sum())} unparseable timestamp(s) in column {column!r}, e.g. {str(text[bad].iloc[0])!r}",
                         "timestamp", "use ISO 8601 text (2024-05-01T12:00:00) or a datetime column")
    idx = pd.DatetimeIndex(parsed)
    if not zoned:
        return idx
    offsets = offsets.str.upper().replace({"Z": "+00:00", "UTC": "+00:00", "GMT": "+00:00"}).map(_offset_seconds)
    distinct = sorted(set(offsets))
    zone = _dt.timezone(_dt.timedelta(seconds=distinct[0])) if len(distinct) == 1 else None
    return _in_zone(idx, {str(o) for o in distinct}, zone, column, timezone)


def _offset_seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)


def _in_zone(utc: pd.DatetimeIndex, zones: set, zone: Any, column: str, timezone: Optional[str]) -> pd.DatetimeIndex:
    if timezone:
        return utc  # converted by the caller
    if len(zones) > 1 or zone is None:
        raise MlmonError(f"timestamp column {column!r} carries {len(zones)} different time zones or UTC offsets",
                         "timestamp", "name the data's time zone (timezone: e.g. Europe/Berlin) so calendar "
                         "windows know where midnight is")
    return utc.tz_convert(zone)


def _refuse_mixed(aware: np.ndarray, items: pd.Series, column: str) -> None:
    if aware.any() and not aware.all():
        with_zone, without = items.iloc[int(np.argmax(aware))], items.iloc[int(np.argmin(aware))]
        raise MlmonError(f"timestamp column {column!r} mixes values with a time zone ({str(with_zone)!r}) and "
                         f"without ({str(without)!r}; {int((~aware).sum())} rows)", "timestamp",
                         "write every timestamp with its offset, or none of them")


def _localize(wall: pd.DatetimeIndex, zone: Any) -> pd.DatetimeIndex:
    """Place wall-clock times in ``zone``: gaps move forward, repeated hours take the earlier instant."""
    return wall.tz_localize(zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")


# ------------------------------------------------------------------------------ windows


@dataclass
class Windows:
    """Which window each row falls in, and what the windows are.

    ``groups``: window index per row (``-1``: no timestamp). ``starts`` / ``ends``: ISO 8601
    text, with the UTC offset when the data are zoned (``end`` is exclusive for calendar
    windows; for chunks, the first and last row's timestamps, or ``row i`` without one).
    ``bounds_ns``: calendar windows' ``count + 1`` boundaries as UTC nanoseconds (naive
    data: wall clock), else None. ``utc_ns``: each row's instant (``NAT`` when missing).
    """

    groups: np.ndarray
    starts: List[str]
    ends: List[str]
    counts: np.ndarray
    label: str                          # "1D", "chunk:1000", "all"
    missing: int = 0
    zone: Optional[str] = None          # "Europe/Berlin", "UTC+01:00", None for naive data
    bounds_ns: Optional[np.ndarray] = None
    order: Optional[np.ndarray] = None  # row order used for chunks (timestamp order)
    utc_ns: Optional[np.ndarray] = None

    @property
    def count(self) -> int:
        return len(self.starts)

    def seconds(self) -> np.ndarray:
        """Length of each calendar window in real seconds (23 h for a spring-forward day)."""
        if self.bounds_ns is None:
            raise ValueError("chunks have no fixed length")
        return np.diff(self.bounds_ns) / 1e9

    def to_list(self) -> List[dict]:
        return [{"start": s, "end": e, "n": int(n)} for s, e, n in zip(self.starts, self.ends, self.counts)]


def cut_windows(timestamps: Any = None, *, window: Optional[str] = None, chunk_size: Optional[int] = None,
                n_rows: Optional[int] = None, column: str = "timestamp", timezone: Optional[str] = None,
                max_windows: int = MAX_WINDOWS) -> Windows:
    """Assign every row to a window (see the module docstring).

    ``timestamps``: the timestamp column (pandas Series or Index, numpy ``datetime64``, text)
    or None; ``n_rows`` is needed only without timestamps. Neither ``window`` nor
    ``chunk_size``: one window ``all`` over every row.

    >>> w = cut_windows(pd.Series(pd.to_datetime(["2024-01-02", "2024-01-01", None])), chunk_size=1)
    >>> w.groups.tolist(), w.starts, w.missing
    ([1, 0, -1], ['2024-01-01T00:00:00', '2024-01-02T00:00:00'], 1)
    """
    if window and chunk_size is not None:
        raise MlmonError("both window and chunk_size given", "window, chunk_size", "choose one way to cut windows")
    idx = parse_timestamps(timestamps, column, timezone) if timestamps is not None else None
    if idx is None and n_rows is None:
        raise ValueError("give timestamps or n_rows")
    n = len(idx) if idx is not None else int(n_rows)
    utc_ns = None
    if idx is not None:
        utc_ns = idx.asi8.view()  # the column's own nanoseconds, read-only: no copy of ten million
        utc_ns.flags.writeable = False
    zone = str(idx.tz) if idx is not None and idx.tz is not None else None
    if chunk_size is not None:
        return _chunks(n, idx, utc_ns, chunk_size, zone)
    if window:
        if idx is None:
            raise MlmonError("time windows need a timestamp column", "window",
                             "name the timestamp column or cut windows by rows (chunk_size)")
        return _calendar(idx, utc_ns, parse_window(window), str(window), zone, column, max_windows)
    groups = np.zeros(n, dtype=np.int64)
    missing = 0
    if utc_ns is not None:
        groups[utc_ns == NAT] = -1
        missing = int((utc_ns == NAT).sum())
    ok = groups >= 0
    if utc_ns is not None and ok.any():
        start, end = _iso(idx, int(utc_ns[ok].min())), _iso(idx, int(utc_ns[ok].max()))
    else:
        start, end = "row 0", f"row {max(n - 1, 0)}"
    return Windows(groups, [start], [end], np.array([int(ok.sum())]), "all", missing, zone, utc_ns=utc_ns)


def _iso(idx: pd.DatetimeIndex, ns: int) -> str:
    ts = pd.Timestamp(ns, unit="ns")
    return (ts.tz_localize("UTC").tz_convert(idx.tz) if idx.tz is not None else ts).isoformat()


def _chunks(n: int, idx: Optional[pd.DatetimeIndex], utc_ns: Optional[np.ndarray], size: Any,
            zone: Optional[str]) -> Windows:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise MlmonError(f"chunk size must be at least 1 (a whole number of rows), got {size!r}", "chunk_size",
                         "give a positive row count")
    size = int(size)
    groups = np.full(n, -1, dtype=np.int64)
    order = None
    if utc_ns is not None:
        present = np.flatnonzero(utc_ns != NAT)
        order = present[np.argsort(utc_ns[present], kind="stable")]
    else:
        present = np.arange(n)
    rows = order if order is not None else present
    groups[rows] = np.arange(rows.size) // size
    count = -(-rows.size // size)
    starts, ends = [], []
    for k in range(count):
        lo, hi = k * size, min(rows.size, (k + 1) * size) - 1
        if order is not None:
            starts.append(_iso(idx, int(utc_ns[order[lo]])))
            ends.append(_iso(idx, int(utc_ns[order[hi]])))
        else:
            starts.append(f"row {lo}")
            ends.append(f"row {hi}")
    counts = np.bincount(groups[groups >= 0], minlength=count)
    return Windows(groups, starts, ends, counts, f"chunk:{size}", n - rows.size, zone, None, order, utc_ns)


def _calendar(idx: pd.DatetimeIndex, utc_ns: np.ndarray, dur: Duration, label: str, zone: Optional[str],
              column: str, max_windows: int) -> Windows:
    n = utc_ns.size
    # NaT is the smallest 64-bit integer: the column's minimum is NaT exactly when a row has no
    # time, so one reduction tells, and a column without gaps needs no mask and no copies
    lowest = int(utc_ns.min()) if n else NAT
    whole = lowest != NAT
    ok = None if whole else utc_ns != NAT
    if not whole and not ok.any():
        raise MlmonError(f"timestamp column {column!r} has no values", "timestamp", "fill it, or cut windows by rows (chunk_size)")
    if whole and idx.tz is None:  # the data's own clock is the instants' clock: two reductions in all
        first_ns, latest = lowest, int(utc_ns.max())
        last_ns = latest
    else:
        wall = idx.tz_localize(None) if idx.tz is not None else idx  # the data's own clock
        wall_ns = wall.asi8 if whole else wall.asi8[ok]
        first_ns, last_ns = int(wall_ns.min()), int(wall_ns.max())
        latest = int(utc_ns.max() if whole else utc_ns[ok].max())
    first, last = pd.Timestamp(first_ns), pd.Timestamp(last_ns)
    origin = _period_start(first, dur)
    estimate = _estimate_count(origin, last, dur)
    if estimate > max_windows:
        rows = np.ones(n, dtype=bool) if whole else ok
        raise MlmonError(_too_many(idx, utc_ns, rows, dur, estimate, max_windows), "window",
                         "drop or fix the outlying timestamps, or choose a longer window")
    try:
        bounds = pd.DatetimeIndex(_grid(origin, last, dur))
        if idx.tz is not None:
            bounds = _localize(bounds, idx.tz)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise MlmonError(f"{label} windows cannot be laid over timestamps from {first} to {last}: the last window "
                         f"would end after {pd.Timestamp.max:%Y-%m-%d}, where a nanosecond clock ends", "window",
                         "choose a shorter window, or drop the rows near that date") from None
    bounds_ns = np.unique(bounds.asi8)  # a boundary in a spring-forward gap coincides with the next one
    if bounds_ns[-1] <= latest:  # the last wall-clock boundary fell back onto the last row's hour
        bounds_ns = np.append(bounds_ns, latest + 1)
    groups = _bucket(utc_ns, ok, bounds_ns)
    count = bounds_ns.size - 1
    missing = 0 if whole else int(n - ok.sum())
    counts = np.bincount(groups[groups >= 0] if missing else groups, minlength=count)
    text = [_iso(idx, int(b)) for b in bounds_ns]
    return Windows(groups, text[:-1], text[1:], counts, label, missing, zone, bounds_ns, None, utc_ns)


def _bucket(utc_ns: np.ndarray, ok: Optional[np.ndarray], bounds_ns: np.ndarray) -> np.ndarray:
    """Each row's window: the last boundary at or before it (-1 where the time is missing;
    ``ok`` None: no time is missing).

    Boundaries equally far apart (days, hours, weeks without a clock change) give the window by
    one integer division instead of a binary search per row: the same windows (every time lies
    in [first boundary, last boundary)), several times faster on millions of rows."""
    whole = ok is None or bool(ok.all())
    times = utc_ns if whole else utc_ns[ok]
    widths = np.diff(bounds_ns)
    if widths.size and (widths == widths[0]).all():
        found = times - bounds_ns[0]
        np.floor_divide(found, widths[0], out=found)  # in place: one array of ten million, not two
    else:
        found = np.searchsorted(bounds_ns, times, side="right") - 1
    if whole:
        return found
    groups = np.full(utc_ns.size, -1, dtype=np.int64)
    groups[ok] = found
    return groups


def _period_start(t: pd.Timestamp, dur: Duration) -> pd.Timestamp:
    """Start of the first window: the grid of ``dur`` laid from a calendar origin, floored at ``t``."""
    day, unit = t.normalize(), dur.unit
    if unit == "W":
        return day - pd.Timedelta(days=day.dayofweek)
    if unit == "M":
        return day.replace(day=1)
    if unit == "Y":
        return day.replace(month=1, day=1)
    if unit == "D":
        return day
    width = pd.Timedelta(seconds=dur.fixed_seconds)  # sub-day: the grid from that day's midnight
    return day + ((t - day) // width) * width


def _estimate_count(origin: pd.Timestamp, last: pd.Timestamp, dur: Duration) -> int:
    if dur.unit in ("M", "Y"):
        months = (last.year - origin.year) * 12 + last.month - origin.month
        return months // (dur.count * (12 if dur.unit == "Y" else 1)) + 1
    return int((last - origin).total_seconds() // dur.fixed_seconds) + 1


def _grid(origin: pd.Timestamp, last: pd.Timestamp, dur: Duration) -> List[pd.Timestamp]:
    """Wall-clock boundaries from ``origin`` until one lies past ``last``."""
    if dur.unit in ("M", "Y"):
        step = pd.DateOffset(months=dur.count * (12 if dur.unit == "Y" else 1))
        out = [origin]
        while out[-1] <= last:
            out.append(origin + step * len(out))  # counted from the origin (a 1st), never chained
        return out
    width = int(dur.fixed_seconds) * 10**9
    k = (last.value - origin.value) // width + 2
    if origin.value + width * (k - 1) > pd.Timestamp.max.value:  # 64-bit nanoseconds would wrap around
        raise OverflowError(f"a {dur} grid from {origin} passes {pd.Timestamp.max}")
    return list(pd.to_datetime(origin.value + np.int64(width) * np.arange(k)))


def _too_many(idx: pd.DatetimeIndex, utc_ns: np.ndarray, ok: np.ndarray, dur: Duration, estimate: int, cap: int) -> str:
    rows = np.flatnonzero(ok)
    lo_row, hi_row = rows[np.argmin(utc_ns[ok])], rows[np.argmax(utc_ns[ok])]
    q01, q99 = np.quantile(utc_ns[ok], [0.01, 0.99]).astype(np.int64)
    return (f"{dur} windows would number about {estimate:,} (at most {cap:,}): timestamps run from "
            f"{_iso(idx, int(utc_ns[lo_row]))} (row {lo_row}) to {_iso(idx, int(utc_ns[hi_row]))} (row {hi_row}), "
            f"while 98% of rows lie between {_iso(idx, int(q01))} and {_iso(idx, int(q99))}")


# ------------------------------------------------------------------------------ onsets

#: Clean windows an episode survives: a drifted column with imperfect power misses a window now
#: and then, and one miss should not move "drifted since" to the next day.
MAX_GAP = 1


def episode_start(drifted: Sequence[Optional[bool]], max_gap: int = MAX_GAP) -> Optional[int]:
    """Index of the window where the current drift episode began, or None when the last window is clean.

    ``drifted``: one verdict per window, oldest first; None marks a window that was not tested
    (too few rows) and is skipped, neither drifted nor clean. The episode is the trailing run of
    drifted windows, bridging runs of at most ``max_gap`` clean windows between drifted ones; a
    clean *last* window always ends it (None), so a stable column never shows an onset.

    >>> episode_start([False, True, True]), episode_start([True, True, False]), episode_start([])
    (1, None, None)
    >>> episode_start([False, True, False, True, None]), episode_start([True, False, False, True])
    (1, 3)
    >>> episode_start([False, True, False, True], max_gap=0)
    3
    """
    tested = [(i, bool(v)) for i, v in enumerate(drifted) if v is not None]
    if not tested or not tested[-1][1]:
        return None
    start, gap = tested[-1][0], 0
    for i, flag in reversed(tested[:-1]):
        if flag:
            start, gap = i, 0
        else:
            gap += 1
            if gap > max_gap:
                break
    return start


def onsets(drifted: Mapping[str, Sequence[Optional[bool]]], starts: Sequence[str],
           max_gap: int = MAX_GAP) -> Dict[str, Optional[str]]:
    """``{column: start of the window where its current drift episode began, or None}``.

    >>> onsets({"amount": [False, True, True], "age": [True, False, False]}, ["d1", "d2", "d3"])
    {'amount': 'd2', 'age': None}
    """
    out: Dict[str, Optional[str]] = {}
    for column, flags in drifted.items():
        if len(flags) != len(starts):
            raise ValueError(f"{column}: {len(flags)} verdicts for {len(starts)} windows")
        k = episode_start(flags, max_gap)
        out[column] = starts[k] if k is not None else None
    return out
