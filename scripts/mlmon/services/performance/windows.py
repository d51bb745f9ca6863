"""Cutting predictions into windows: fixed-width time windows aligned to the Unix epoch in UTC
(like ``Series.dt.floor``), chunks of N rows in time order, or one window over everything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError


@dataclass
class Windows:
    groups: np.ndarray        # window index per row
    starts: List[str]
    ends: List[str]
    label: str                # "1D", "chunk:1000", "all"
    order: Optional[np.ndarray] = None  # row order used (chunks sorted by time)

    @property
    def count(self) -> int:
        return len(self.starts)


def window_seconds(text: str) -> float:
    """Seconds in a window like ``1D``, ``1d``, ``6h``, ``7D``, ``30min``; MlmonError otherwise.

    >>> window_seconds("1D"), window_seconds("6h"), window_seconds("30min")
    (86400.0, 21600.0, 1800.0)
    """
    from mlmon.services.config import parse_duration

    t = str(text).strip()
    if t.endswith("M") or t.lower().endswith(("mo", "month", "months", "y")):
        raise MlmonError(f"window {text!r} has no fixed length", "--window", "use a fixed width such as 1h, 1D, 7D or 30D")
    if t.lower().endswith("min"):
        t = t[:-3] + "m"
    seconds = parse_duration(t)
    if seconds is None:
        try:
            seconds = pd.Timedelta(t).total_seconds()
        except (ValueError, TypeError):
            seconds = None
    if not seconds or seconds <= 0:
        raise MlmonError(f"window {text!r} is not a duration", "--window", "use e.g. 1h, 1D or 7D")
    return float(seconds)


def _iso(ns: int, zoned: bool) -> str:
    ts = pd.Timestamp(int(ns), unit="ns")
    return ts.tz_localize("UTC").isoformat() if zoned else ts.isoformat()


def make_windows(n_rows: int, ts_ns: Optional[np.ndarray], zoned: bool, window: Optional[str],
                 chunk_size: Optional[int]) -> Windows:
    """Assign each row to a window (see the module docstring)."""
    if window and chunk_size:
        raise MlmonError("both --window and --chunk-size given", "command line", "choose one way to cut windows")
    if chunk_size is not None:
        if chunk_size < 1:
            raise MlmonError(f"chunk size must be at least 1, got {chunk_size}", "--chunk-size", "give a positive row count")
        order = np.argsort(ts_ns, kind="stable") if ts_ns is not None else None
        position = np.empty(n_rows, dtype=np.int64)
        position[order if order is not None else np.arange(n_rows)] = np.arange(n_rows)
        groups = position // chunk_size
        count = max(1, -(-n_rows // chunk_size))
        starts, ends = [], []
        for k in range(count):
            lo, hi = k * chunk_size, min(n_rows, (k + 1) * chunk_size) - 1
            if ts_ns is not None:
                starts.append(_iso(ts_ns[order[lo]], zoned))
                ends.append(_iso(ts_ns[order[hi]], zoned))
            else:
                starts.append(f"row {lo}")
                ends.append(f"row {hi}")
        return Windows(groups, starts, ends, f"chunk:{chunk_size}", order)
    if window:
        if ts_ns is None:
            raise MlmonError("time windows need a timestamp column", "--window", "pass --timestamp COL or use --chunk-size N")
        width = int(round(window_seconds(window) * 1e9))
        origin = (int(ts_ns.min()) // width) * width
        groups = (ts_ns - origin) // width
        count = int(groups.max()) + 1
        starts = [_iso(origin + k * width, zoned) for k in range(count)]
        ends = [_iso(origin + (k + 1) * width, zoned) for k in range(count)]
        return Windows(groups.astype(np.int64), starts, ends, window)
    groups = np.zeros(n_rows, dtype=np.int64)
    if ts_ns is not None and n_rows:
        return Windows(groups, [_iso(ts_ns.min(), zoned)], [_iso(ts_ns.max(), zoned)], "all")
    return Windows(groups, ["row 0"], [f"row {max(n_rows - 1, 0)}"], "all")

