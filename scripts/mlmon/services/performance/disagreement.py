"""When the estimate and the labels part ways: once labels arrive for windows that were
estimated, a realized value outside the estimate's band on several recent windows in a row,
always on the same side, is what a changed relation between inputs and label (concept drift)
looks like; sampling noise alone leaves the band about one window in twenty, on either side.

:func:`persistent_disagreement` is pure: it takes the recent windows' ``(estimate, (lower,
upper), realized)`` triples, oldest first, from wherever they are kept (one ``mlmon perf`` run
with partly labeled windows, or the history store), and says whether and how the estimate has
been off. :func:`disagreement_from_rows` reads the same from stored ``ml_metrics`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

#: Consecutive windows outside the band, on one side, before the disagreement is reported:
#: with 95 % bands and no change, three in a row on one side happen with probability 0.025³.
MIN_WINDOWS = 3

Triple = Tuple[Optional[float], Tuple[Optional[float], Optional[float]], Optional[float]]


@dataclass
class Disagreement:
    """The newest run of windows whose realized value lies outside the estimate's band."""

    metric: str
    windows: int                 # length of the run (the newest windows with labels)
    gap: float                   # mean realized - estimate over the run (signed)
    starts: List[Any]            # the run's window keys, oldest first (when given)

    @property
    def message(self) -> str:
        direction = "above" if self.gap > 0 else "below"
        return (f"the estimate has been off by {abs(self.gap):.2f} for {self.windows} windows: the input-label "
                f"relation has likely changed (realized {self.metric} {direction} the estimate's band each time; "
                "concept drift), so estimates cannot be trusted until the reference is renewed")

    def to_dict(self) -> Dict[str, Any]:
        return {"metric": self.metric, "windows": self.windows, "gap": self.gap, "starts": self.starts,
                "message": self.message}


def persistent_disagreement(triples: Iterable[Triple], metric: str = "accuracy", min_windows: int = MIN_WINDOWS,
                            keys: Optional[Sequence[Any]] = None) -> Optional[Disagreement]:
    """The newest run of at least ``min_windows`` windows (among those with a realized value and
    a band) whose realized value lies outside the band on the same side, or None.

    Windows without labels yet (``realized`` None) are skipped, not counted as agreement.

    >>> t = [(0.90, (0.88, 0.92), 0.905)] + [(0.90, (0.88, 0.92), 0.83)] * 5
    >>> d = persistent_disagreement(t)
    >>> d.windows, round(d.gap, 2), d.message[:61]
    (5, -0.07, 'the estimate has been off by 0.07 for 5 windows: the input-la')
    >>> persistent_disagreement(t[:3]) is None
    True
    """
    seen = []
    for i, (est, band, real) in enumerate(triples):
        lo, hi = band if band is not None else (None, None)
        if est is None or real is None or lo is None or hi is None:
            continue
        side = 1 if real > hi else -1 if real < lo else 0
        seen.append((i, est, real, side))
    run: List[Tuple[int, float, float, int]] = []
    for item in reversed(seen):
        if item[3] == 0 or (run and item[3] != run[0][3]):
            break
        run.append(item)
    if len(run) < min_windows:
        return None
    run.reverse()
    gap = sum(real - est for _, est, real, _ in run) / len(run)
    starts = [keys[i] if keys is not None else i for i, _, _, _ in run]
    return Disagreement(metric, len(run), float(gap), starts)


def disagreement_from_rows(rows: Iterable[Dict[str, Any]], metric: str = "accuracy", min_labeled: int = 30,
                           min_windows: int = MIN_WINDOWS) -> Optional[Disagreement]:
    """:func:`persistent_disagreement` over ``ml_metrics`` rows as the history store keeps them
    (``timestamp``, ``metric``, ``value``, ``lower``, ``upper``, ``kind`` estimated|realized, ``n``;
    see :func:`mlmon.store.rows.metric_rows`) for one model: windows in time order, realized
    values counted once they rest on ``min_labeled`` labels.

    >>> rows = [{"timestamp": f"2024-01-0{d}", "metric": "accuracy", "kind": "estimated", "value": 0.9,
    ...          "lower": 0.88, "upper": 0.92, "n": 500} for d in range(1, 5)]
    >>> rows += [{"timestamp": f"2024-01-0{d}", "metric": "accuracy", "kind": "realized", "value": 0.83,
    ...           "lower": 0.8, "upper": 0.86, "n": 400} for d in range(2, 5)]
    >>> d = disagreement_from_rows(rows)
    >>> d.windows, d.starts
    (3, ['2024-01-02', '2024-01-03', '2024-01-04'])
    """
    est: Dict[Any, Dict[str, Any]] = {}
    real: Dict[Any, Optional[float]] = {}
    for r in rows:
        if r.get("metric") != metric:
            continue
        if r.get("kind") == "estimated":
            est[r["timestamp"]] = r
        elif r.get("kind") == "realized" and (r.get("n") or 0) >= min_labeled:
            real[r["timestamp"]] = r.get("value")
    keys = sorted(est)
    triples = [(est[k].get("value"), (est[k].get("lower"), est[k].get("upper")), real.get(k)) for k in keys]
    return persistent_disagreement(triples, metric, min_windows, keys=keys)


def disagreements_from_rows(rows: Iterable[Dict[str, Any]], metrics: Optional[Sequence[str]] = None,
                            min_windows: int = MIN_WINDOWS) -> List[Disagreement]:
    """:func:`disagreement_from_rows` for each of ``metrics`` (default: every metric the rows
    hold estimates of, in name order), the ones found.

    >>> rows = [{"timestamp": d, "metric": m, "kind": k, "value": v, "lower": 0.88, "upper": 0.92, "n": 500}
    ...         for d in ("a", "b", "c") for m in ("accuracy", "recall")
    ...         for k, v in (("estimated", 0.9), ("realized", 0.8 if m == "recall" else 0.9))]
    >>> [d.metric for d in disagreements_from_rows(rows)]
    ['recall']
    """
    rows = list(rows)
    if metrics is None:
        metrics = sorted({r["metric"] for r in rows if r.get("kind") == "estimated"})
    found = (disagreement_from_rows(rows, m, min_windows=min_windows) for m in metrics)
    return [d for d in found if d is not None]

