"""Performance by segment: the same run on every segment's rows, and the segments that dropped most.

Rows are split by :mod:`mlmon.services.segments` (the same segments as drift), the reference
too when given, so each segment is held against its own baseline: a segment that was always
harder is not "degraded" for being harder. Each segment's result has the whole run's contract,
under ``segments: {name: {...}}``; segments with fewer than ``segment_min_rows`` current rows
(or reference rows, with a reference) are reported, not computed. ``segmentation.worst`` ranks
the computed segments by the largest relative drop of a primary metric in any of their windows,
saying whether the drop lies beyond the window's interval.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pandas as pd

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.performance.compute import compute_performance
from mlmon.services.performance.options import PerfOptions
from mlmon.services.segments import parse_segment_by, partition

WORST_SHOWN = 5


def add_segments(data: Dict[str, Any], current: pd.DataFrame, options: PerfOptions,
                 reference: Optional[pd.DataFrame] = None, labels: Optional[pd.DataFrame] = None,
                 wheres=("predictions", "reference")) -> Dict[str, Any]:
    """``data`` (the whole run's ``to_dict()``) with ``segments`` and ``segmentation`` added."""
    n = options.segment_min_rows
    if isinstance(n, bool) or not isinstance(n, int) or n < 10:
        raise MlmonError(f"{option('segment_min_rows')} {n} is not a row count of at least 10", OPTIONS,
                         f"use e.g. {option('segment_min_rows')} 100")
    by = parse_segment_by(options.segment_by or ())
    part = partition([current, reference], by, list(wheres))
    segments: Dict[str, Any] = {}
    not_tested: Dict[str, Any] = {}
    for name in part.names:
        cur_rows, ref_rows = part.rows[name]
        if cur_rows.size < n or (reference is not None and ref_rows.size < n):
            not_tested[name] = {"current_rows": int(cur_rows.size),
                                "reference_rows": None if reference is None else int(ref_rows.size),
                                "reason": f"fewer than {n} rows: reported, not computed"}
            continue
        seg_ref = reference.iloc[ref_rows] if reference is not None else None
        segments[name] = compute_performance(current.iloc[cur_rows], options, seg_ref, labels=labels).to_dict()
    data["segmentation"] = {"by": [str(s) for s in by], "min_rows": n,
                            "values": {k: part.values[k] for k in part.names}, "not_tested": not_tested,
                            "worst": worst_segments(segments)}
    data["segments"] = segments
    return data


def worst_segments(segments: Dict[str, Dict[str, Any]], limit: int = WORST_SHOWN) -> List[Dict[str, Any]]:
    """Segments by their largest relative drop of a primary metric (drops only), largest first."""
    found = []
    for name, r in segments.items():
        best = None
        for w in r.get("windows") or []:
            for metric, drop in (w.get("drops") or {}).items():
                if metric in r["primary"] and drop is not None and drop > 0 and (best is None or drop > best[1]):
                    best = (metric, drop, w)
        if best is not None:
            metric, drop, w = best
            found.append({"segment": name, "metric": metric, "drop": drop, "window": w["start"], "rows": w["n"],
                          "beyond_interval": bool((w.get("drop_beyond_noise") or {}).get(metric, False)),
                          "severity": w["severity"]})
    found.sort(key=lambda f: (-f["beyond_interval"], -f["drop"], f["segment"]))
    return found[:limit]
