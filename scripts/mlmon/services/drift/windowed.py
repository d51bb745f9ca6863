"""Drift per window: the one pipeline over the whole period, then every window against the reference.

``run_windowed`` cuts the current data into windows on a timestamp (calendar periods in the
data's own time zone, :mod:`mlmon.services.windows`) or into row chunks, and returns today's
whole-period :class:`~.result.DriftResult` with three more parts:

- ``windows``: per window its period, rows, verdict and per-column ``{method, score, threshold,
  drifted, threshold_source}``; windows under :data:`MIN_WINDOW_ROWS` rows are listed with a
  reason, not tested;
- ``onsets``: per column, the start of the window where its current drift episode began
  (:func:`~mlmon.services.windows.episode_start`), or None;
- ``calibration``: how thresholds were set, the false-alarm rate asked for, and the dataset-level
  false alarms per 30 stable windows that follow from the per-column rates.

The typing and the test of each column are the whole-period run's, so every window is judged the
same way. The reference side of each column is the one the whole-period run cleaned and sorted
(``RowSource.kept``); the current side is split by window, each window sorted, and where the
test has a batch kernel (Wasserstein, Jensen-Shannon) every window is scored in one pass. Thresholds: an explicit one (config or flag) wins;
otherwise, with calibration on (the default here), the ``1 - R`` quantile of the score under no
change at the window's size (:class:`~mlmon.stats.calibration.CalibrationCache`, the fast path:
draws against a reference subsample); otherwise the test's default. A fixed threshold crossed by
chance on more than :data:`NOISE_FLOOR` of windows of the size in use gets a warning with the figure.
"""

from __future__ import annotations

import dataclasses
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.io.columns import EMBEDDING
from mlmon.services.drift.options import check_options
from mlmon.services.drift.pipeline import SMALL_SAMPLE, run
from mlmon.services.drift.result import ColumnDrift, DriftOptions, DriftResult, severity_of
from mlmon.services.drift.sources import RowSource, _categorical
from mlmon.stats import univariate
from mlmon.stats.calibration import CalibrationCache, crosses, scorer, size_bucket, window_scorer
from mlmon.stats.univariate import NUMERICAL, catalog
from mlmon.stats.univariate._binning import rescaled

#: Windows (and a column's values in a window) below this many rows are reported, not tested.
MIN_WINDOW_ROWS = SMALL_SAMPLE
#: A fixed threshold crossed by chance on more than this share of windows earns a warning.
NOISE_FLOOR = 0.05
#: The horizon of the expected false alarms ("per 30 windows": a month of days).
HORIZON = 30


def draws_for(false_alarm_rate: float) -> int:
    """Null draws per (column, size group): 200, or enough that the quantile rests on 2 draws.

    >>> draws_for(0.01), draws_for(0.001)
    (200, 1999)
    """
    return max(200, math.ceil(2 / false_alarm_rate) - 1)


def with_fields(options: DriftOptions, **values: Any) -> DriftOptions:
    """A copy with ``values`` that keeps where every other field came from."""
    out = dataclasses.replace(options, **values)
    object.__setattr__(out, "_mlmon_sources", options.sources())
    return out


# ---------------------------------------------------------------------------- two files


def _rows(reference, current, on_sorted) -> RowSource:
    source = RowSource(reference, current)
    source.on_sorted = on_sorted
    return source


def run_two_files(reference, current, options: DriftOptions, *, calibrate_by_config: bool = False,
                  on_sorted: Optional[Any] = None) -> DriftResult:
    """The two-file check. Calibrated thresholds only when ``calibrate`` came from a flag, or
    also from the config with ``calibrate_by_config`` (what ``mlmon run`` does: a scheduled check
    is one window of a series). A named timestamp column is left out (it is never drift-tested).
    ``on_sorted(name, reference, current)``: called with each numerical column's sorted values
    (a page's histograms are counted there)."""
    ts = options.timestamp
    if ts and ts in current.columns and ts not in options.exclude:
        options = with_fields(options, exclude=[*options.exclude, ts])
    if not (options.calibrate and (options.source("calibrate") == "flag" or calibrate_by_config)):
        return run(_rows(reference, current, on_sorted), options)
    check_options(options)
    cache = CalibrationCache(false_alarm_rate=options.false_alarm_rate, draws=draws_for(options.false_alarm_rate),
                             method="random", fast=True)
    used: Dict[str, Any] = {}

    unserved: List[str] = []

    def calibrator(spec, test, data):
        presorted = spec.type == NUMERICAL
        try:
            _check_servable(data.n_current, data.n_reference, spec.name, "the current data")
        except MlmonError:
            if not calibrate_by_config:
                raise  # asked for on the command line: say what cannot be done
            unserved.append(spec.name)  # a scheduled run goes on with the test's own threshold
            return None
        cal = cache.calibration(spec.name, data.reference, test, spec.type, data.n_current, presorted=presorted)
        used[spec.name] = cal
        return cal.threshold

    result = run(_rows(reference, current, on_sorted), options, calibrator=calibrator)
    if unserved:
        result.warnings.append(
            f"calibration skipped for {', '.join(sorted(unserved))}: the current data ({current.rows} rows) is more "
            f"than half the reference; these columns use their tests' default thresholds")
    rates = {c: cal.achieved_rate for c, cal in used.items() if c in result.columns}
    result.calibration = _calibration_summary(options, result, {c: [cal] for c, cal in used.items()}, rates, {})
    return result


# ---------------------------------------------------------------------------- windows


def run_windowed(reference, current, options: DriftOptions) -> DriftResult:
    """Drift per window of ``current`` (see the module docstring)."""
    from mlmon.services.windows import NAT, cut_windows, episode_start, parse_timestamps  # pandas: windows only

    check_options(options)
    ts = options.timestamp
    if ts is not None and ts not in current.columns:
        raise MlmonError(f"timestamp column {ts!r} is not in the current data", OPTIONS,
                         f"name one of its columns with {option('timestamp')}: {', '.join(current.columns[:10])}")
    if options.chunk_size is not None and options.chunk_size < MIN_WINDOW_ROWS:
        raise MlmonError(f"{option('chunk_size')} {options.chunk_size} is smaller than a window can be tested at",
                         OPTIONS, f"use at least {MIN_WINDOW_ROWS} rows a window, e.g. {option('chunk_size')} 500")
    windows = cut_windows(current.frame[ts] if ts else None, window=options.window, chunk_size=options.chunk_size,
                          n_rows=current.rows, column=ts or "timestamp", timezone=options.timezone)
    exclude = list(options.exclude)
    if ts and ts not in exclude:
        exclude.append(ts)  # the timestamp is never drift-tested
    base = with_fields(options, exclude=exclude)
    source = RowSource(reference, current)
    source.kept = {}  # the whole-period run's cleaned, sorted reference columns, reused per window
    whole = run(source, base)  # today's whole-period result

    ref_ns = None  # reference rows with a timestamp, in time order (for its contiguous chunks)
    if ts and ts in reference.columns:
        stamps = parse_timestamps(reference.frame[ts], ts, options.timezone).asi8
        have = np.flatnonzero(stamps != NAT)
        ref_ns = have[np.argsort(stamps[have], kind="stable")]
    cache = CalibrationCache(false_alarm_rate=options.false_alarm_rate, draws=draws_for(options.false_alarm_rate),
                             fast=True)
    W = windows.count
    testable = windows.counts >= MIN_WINDOW_ROWS
    if W and not testable.any():
        raise MlmonError(f"every window holds fewer than {MIN_WINDOW_ROWS} rows (the largest: {int(windows.counts.max())})",
                         OPTIONS, f"windows are tested from {MIN_WINDOW_ROWS} rows up: use a longer {option('window')} "
                                  f"or a larger {option('chunk_size')}")
    columns = [c for c in whole.columns.values() if c.type != EMBEDDING]  # embeddings: the whole period only
    jobs = [(c, options) for c in columns]
    workers = options.workers or min(len(jobs), os.cpu_count() or 1) or 1

    def one(job):
        return _column_windows(job[0], reference, current, windows, testable, ref_ns, job[1], cache,
                               source.kept.get(job[0].column))

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            per_column = list(pool.map(one, jobs))
    else:
        per_column = [one(j) for j in jobs]

    warnings: List[str] = []
    calibrations: Dict[str, list] = {}
    rates: Dict[str, float] = {}
    floors: Dict[str, Tuple[float, int]] = {}
    for col, out in zip(columns, per_column):
        warnings.extend(out["warnings"])
        if out["calibrations"]:
            calibrations[col.column] = out["calibrations"]
            rates[col.column] = max(c.achieved_rate for c in out["calibrations"])
        if out["floor"] is not None:
            floors[col.column] = out["floor"]
            rates[col.column] = out["floor"][0]

    entries: List[Dict[str, Any]] = []
    for w in range(W):
        entry: Dict[str, Any] = {"start": windows.starts[w], "end": windows.ends[w], "n": int(windows.counts[w])}
        cols = {c.column: out["results"][w] for c, out in zip(columns, per_column) if out["results"][w] is not None}
        if not testable[w]:
            entry.update(tested=False, reason="no rows" if windows.counts[w] == 0 else
                         f"{int(windows.counts[w])} rows, fewer than {MIN_WINDOW_ROWS}: not tested",
                         dataset_drift=None, drift_share=None, n_drifted=None, severity=None, columns={})
        else:
            n_drifted = sum(1 for r in cols.values() if r["drifted"])
            share = n_drifted / len(cols) if cols else 0.0
            entry.update(tested=True, dataset_drift=bool(cols and share >= options.drift_share), drift_share=share,
                         n_drifted=n_drifted, severity=severity_of(share), columns=cols)
        entries.append(entry)
    onsets: Dict[str, Optional[str]] = {}
    for c, out in zip(columns, per_column):
        flags = [None if r is None else r["drifted"] for r in out["results"]]
        i = episode_start(flags)
        onsets[c.column] = windows.starts[i] if i is not None else None

    whole.current = dict(whole.current, timestamp=ts, window=windows.label, windows=W, zone=windows.zone,
                         missing_timestamps=int(windows.missing))
    if windows.missing:
        warnings.insert(0, f"{windows.missing} current row(s) have no {ts!r} timestamp: counted in the whole period, "
                           "in no window")
    empty = int((windows.counts == 0).sum())
    small = int(((windows.counts > 0) & ~testable).sum())
    if empty or small:
        warnings.append(f"{empty + small} of {W} windows not tested ({empty} empty, {small} under {MIN_WINDOW_ROWS} rows)")
    whole.warnings.extend(warnings)
    whole.windows = entries
    whole.onsets = onsets
    whole.calibration = _calibration_summary(options, whole, calibrations, rates, floors)
    return whole


def _column_windows(col: ColumnDrift, reference, current, windows, testable: np.ndarray, ref_ns: Optional[np.ndarray],
                    options: DriftOptions, cache: CalibrationCache, kept=None) -> Dict[str, Any]:
    """One column over every window: its results (None where not tested), calibrations, noise floor.

    ``kept``: what the whole-period run kept of the column (see ``RowSource.kept``)."""
    name, ctype = col.column, col.type
    test = univariate.get(col.method)
    ref_s, cur_s = reference.frame[name], current.frame[name]
    order = None
    if kept is not None and ctype == NUMERICAL:
        # the sorted reference and its order (any order of tied values serves: draws and chunks
        # read values, and a tie's positions hold the same value)
        ref_sorted, order = kept[0].astype(np.float64, copy=False), kept[1]
        cur = _floats(cur_s)
        cur_keep = np.isfinite(cur)
        cur = cur[cur_keep]
        ref_keep = np.isfinite(_floats(ref_s)) if ref_ns is not None else None
    elif kept is not None:
        ref, cur = kept
        ref_keep, cur_keep = (_present(ref_s) if ref_ns is not None else None), _present(cur_s)
    else:
        ref, cur, ref_keep, cur_keep = _values(ref_s, cur_s, ctype)
    if order is None:
        order = np.argsort(ref.astype(np.int16) if ref.dtype.kind in "iu" and ref.size and ref.max() < 2 ** 15
                           else ref, kind="stable" if ref.dtype.kind in "iu" else None)
        ref_sorted = ref[order]
    time_order = None
    if ref_ns is not None:  # the column's kept values, in time order, as positions in ref_sorted
        rows = ref_ns[ref_keep[ref_ns]]  # rows by time (computed once), the kept ones
        kept_index = np.cumsum(ref_keep) - 1
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        time_order = rank[kept_index[rows]]
    groups = windows.groups[cur_keep]
    ok = groups >= 0
    g, v = groups[ok], cur[ok]
    if g.size and not (g[1:] >= g[:-1]).all():  # rows out of time order: put them in window order
        by = np.argsort(g, kind="stable")
        g, v = g[by], v[by]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(g, minlength=windows.count))])
    for w in range(windows.count):  # each window's values ascending
        v[offsets[w]:offsets[w + 1]].sort()

    if ctype == NUMERICAL and catalog.get(col.method).unit_free:
        # beyond about 1e150 the reference and every window in a unit of 2**e (exact): the
        # scores and their calibration are the same numbers, and nothing overflows on the way
        ref_sorted, v, _ = rescaled(ref_sorted, v)
    explicit = options.threshold_origin(name)
    fixed = options.column_thresholds.get(name, options.threshold)
    calibrate = options.calibrate and explicit is None
    N = ref_sorted.size
    score = None
    batch = window_scorer(test, ref_sorted, ctype)
    with np.errstate(all="ignore"):
        scores = batch(v, offsets) if batch is not None else None
    rule = univariate.drift_rule(test)
    results: List[Optional[Dict[str, Any]]] = []
    cals: Dict[int, Any] = {}
    sizes: List[int] = []
    warnings: List[str] = []
    for w in range(windows.count):
        x = v[offsets[w]:offsets[w + 1]]
        if not testable[w] or x.size < MIN_WINDOW_ROWS:
            results.append(None)
            continue
        sizes.append(x.size)
        if calibrate:
            _check_servable(x.size, N, name, f"window {windows.starts[w]}")
            cal = cache.calibration(name, ref_sorted, test, ctype, x.size, presorted=True, time_order=time_order)
            cals[cal.min_window_size] = cal
            threshold, source = cal.threshold, "calibrated"
        elif explicit is not None:
            threshold, source = float(fixed), explicit
        else:
            threshold, source = float(test.default_threshold), "default"
        if scores is not None:
            s = float(scores[w])
            drifted = crosses(s, threshold, rule)
        else:
            score = score or scorer(test, ref_sorted, ctype)
            with np.errstate(all="ignore"):
                s, drifted = score(x, threshold)
        results.append({"method": col.method, "score": s, "threshold": float(threshold),
                        "drifted": drifted, "threshold_source": source})
    floor = None
    if not calibrate and sizes:
        n = int(np.median(sizes))
        threshold = float(fixed) if explicit is not None else float(test.default_threshold)
        if 2 * size_bucket(n)[0] <= N:
            share = cache.noise_floor(name, ref_sorted, test, ctype, n, threshold, presorted=True, time_order=time_order)
            floor = (share, n)
            if share > NOISE_FLOOR:
                warnings.append(f"{col.method} {threshold:g} on {name} is crossed by chance on {share * 100:.0f} % of "
                                f"{n}-row windows; calibrate the thresholds or raise this one")
    return {"results": results, "calibrations": [cals[k] for k in sorted(cals)], "floor": floor, "warnings": warnings}


def _values(ref_s, cur_s, ctype: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both sides' testable values (float64, or codes over one category list) and which rows hold them."""
    if ctype == NUMERICAL:
        ref, cur = _floats(ref_s), _floats(cur_s)
        ref_keep, cur_keep = np.isfinite(ref), np.isfinite(cur)
        return ref[ref_keep], cur[cur_keep], ref_keep, cur_keep
    ref, cur, *_ = _categorical(ref_s, cur_s)
    return ref, cur, _present(ref_s), _present(cur_s)


def _floats(series) -> np.ndarray:
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(float)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _present(series) -> np.ndarray:
    keep = series.notna().to_numpy()
    if series.dtype.kind == "f":
        keep &= ~np.isinf(series.to_numpy())
    return keep


def _check_servable(n: int, N: int, column: str, what: str) -> None:
    lo = size_bucket(n)[0]
    if 2 * lo > N:
        raise MlmonError(f"{what} holds {n} rows, too many to calibrate on the {N} reference values of {column!r} "
                         f"(calibration serves windows of {MIN_WINDOW_ROWS} to {N // 2} rows)", OPTIONS,
                         f"use shorter windows ({option('window')} or {option('chunk_size')}), a larger reference, "
                         f"or fixed thresholds (calibration disabled)")


def dataset_alarm_rate(rates: Sequence[float], drift_share: float) -> float:
    """Chance that a stable window shows dataset drift, when each column alone is flagged with its
    rate (independent columns): at least ``ceil(drift_share * m)`` of ``m`` columns.

    >>> round(dataset_alarm_rate([0.01] * 2, 0.5), 4), dataset_alarm_rate([], 0.5)
    (0.0199, 0.0)
    """
    m = len(rates)
    if not m:
        return 0.0
    k = next(k for k in range(m + 1) if k / m >= drift_share - 1e-12)
    dist = np.zeros(m + 1)
    dist[0] = 1.0
    for p in rates:  # Poisson-binomial
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(dist[max(k, 1):].sum())


def _calibration_summary(options: DriftOptions, result: DriftResult, calibrations: Dict[str, list],
                         rates: Dict[str, float], floors: Dict[str, Tuple[float, int]]) -> Dict[str, Any]:
    """How thresholds were set, the rate asked for, and the false alarms to expect per 30 windows."""
    sources: Dict[str, int] = {}
    for w in result.windows or [{"columns": {c: {"threshold_source": r.threshold_source}
                                             for c, r in result.columns.items()}}]:
        for r in w["columns"].values():
            sources[r["threshold_source"]] = sources.get(r["threshold_source"], 0) + 1
    per_window = dataset_alarm_rate(list(rates.values()), options.drift_share)
    cols = {c: [cal.to_dict() for cal in cals] for c, cals in calibrations.items()}
    for c, (share, n) in floors.items():
        cols.setdefault(c, []).append({"fixed_threshold_crossed_by_chance": share, "window_size": n})
    return {
        "enabled": bool(calibrations),
        "false_alarm_rate": options.false_alarm_rate,
        "method": ("(1 - R) quantile of the score under no change at the window's size, estimated on the "
                   "reference: random windows drawn from a held-out part of it, and its own contiguous chunks "
                   "when it has the timestamp, each scored against the rest"),
        "draws": draws_for(options.false_alarm_rate),
        "threshold_sources": sources,
        "column_false_alarm_rate": rates,
        "expected_false_alarms_per_30_windows": HORIZON * per_window,
        "expected_column_false_alarms_per_30_windows": HORIZON * float(sum(rates.values())),
        "columns": cols,
    }
