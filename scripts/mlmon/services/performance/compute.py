"""The run: :func:`compute_performance` encodes the frames, cuts the windows, computes every metric
for all windows at once (:mod:`mlmon.stats.classification`, :mod:`mlmon.stats.regression`),
adds CBPE estimates when asked, judges each window and sums up label coverage and delay."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError, option
from mlmon.jsonsafe import finite
from mlmon.services.labels import label_delay, parse_timestamps, sparse_latest
from mlmon.services.performance.encoding import Encoded, Encoder
from mlmon.services.performance.estimate import estimate
from mlmon.services.performance.options import DEFAULT_PRIMARY, PerfOptions, check_options
from mlmon.services.performance.result import PerfResult, PerfWindow
from mlmon.services.performance.severity import judge_window, worst
from mlmon.services.performance.windows import Windows, perf_windows
from mlmon.stats import classification as cls
from mlmon.stats import regression as reg


def compute_performance(current: pd.DataFrame, options: PerfOptions,
                        reference: Optional[pd.DataFrame] = None,
                        labels: Optional[pd.DataFrame] = None) -> PerfResult:
    """Windowed performance of ``current`` (see :mod:`mlmon.services.performance`).

    ``labels``, when given, is a separate frame of ground truth joined on ``options.join_on``
    (its target and, if it has it, label timestamp column); the result reports how many
    predictions matched."""
    o = options
    current = getattr(current, "frame", current)
    reference = getattr(reference, "frame", reference) if reference is not None else None
    labels = getattr(labels, "frame", labels) if labels is not None else None
    check_options(o)
    warnings: List[str] = []
    join = None
    if labels is not None:
        current, join = _join_labels(current, labels, o, warnings)
    enc = Encoder(o)
    if o.estimate and o.task == "multiclass" and reference is not None:
        _seed_classes(enc, current, reference, o)
    cur = enc.encode(current, "current")
    if cur.dropped:
        warnings.append(f"{cur.dropped} labeled rows without a usable prediction were left out")

    win, window_notes = perf_windows(current, o.timestamp, o.window, o.chunk_size)
    warnings.extend(window_notes)
    ts_ns = win.utc_ns
    G = win.count
    n_rows = np.asarray(win.counts, dtype=np.int64)  # the cutter's count: a run refuses rows without a time
    lab = cur.labeled
    every = bool(lab.all())  # every row labeled: no copies of ten million group indices
    n_labeled = n_rows.copy() if every else np.bincount(win.groups[lab], minlength=G)

    realized = _metrics(cur, lab, win.groups if every else win.groups[lab], G, o)
    baseline, ref_enc = None, None
    if reference is not None:
        ref_enc = enc.encode(reference, "reference", need_labels=True)
        baseline = _baseline(ref_enc, len(reference), o)
    warnings.extend(enc.warnings)

    estimation, est, est_flags = None, None, None
    if o.estimate:
        estimation, est, est_flags = estimate(cur, ref_enc, win, o, current, reference)
        warnings.extend(estimation.pop("warnings"))

    primary = list(o.primary) if o.primary else list(DEFAULT_PRIMARY[o.task])
    # per window, the labels of its rarest class (0 when a class is absent); None for regression
    smallest = realized.support.min(axis=1) if realized.support is not None and cur.y is not None else None
    windows = _judge_windows(win, n_rows, n_labeled, realized, est, est_flags, baseline, primary, o, smallest)
    if estimation is not None:
        _disagreement(windows, estimation, o, warnings)
    delay = _label_delay(current, ts_ns, o, warnings)
    sparse = sparse_latest(n_rows.tolist(), n_labeled.tolist(), o.min_labeled_share, o.min_labeled)
    if delay is not None:
        delay.update({"unlabeled_share": finite(1 - lab.sum() / len(lab)) if len(lab) else None,
                      "sparse_windows": [win.starts[i] for i in sparse],
                      "min_labeled_share": o.min_labeled_share, "min_labeled": o.min_labeled})
    if sparse and G > 1 or (sparse and n_labeled.sum() < o.min_labeled):
        shares = ", ".join(f"{windows[i].start}: {n_labeled[i]}/{n_rows[i]}" for i in sparse[-3:])
        if len(sparse) > 3:
            shares = f"the newest 3: {shares}"
        warnings.append(f"the latest {len(sparse)} window(s) are sparsely labeled ({shares} labeled): their realized "
                        "metrics mean little yet; wait for labels" + ("" if o.estimate else f" or add {option('estimate')}"))
    if baseline is None and o.baseline == "reference":
        warnings.append(f"no baseline (no {option('reference')}): severity is not assessed")

    return PerfResult(
        task=o.task, window=win.label, columns=_columns(o, cur, enc), rows=int(len(current)),
        labeled_rows=int(lab.sum()), baseline=baseline, windows=windows, label_delay=delay,
        severity=worst(w.severity for w in windows), primary=primary,
        tiers={"warning": o.warning_drop, "critical": o.critical_drop}, estimation=estimation,
        model=o.model, version=o.version, warnings=warnings, labels_join=join, baseline_kind=o.baseline,
    )


def _join_labels(current: pd.DataFrame, labels: pd.DataFrame, o: PerfOptions,
                 warnings: List[str]) -> Tuple[pd.DataFrame, Dict[str, Any]]:
    from mlmon.services.labels import join_labels

    if not o.join_on:
        raise MlmonError("a labels file needs the id column that joins it", option("labels"),
                         f"pass {option('join_on')} ID")
    if not o.target:
        raise MlmonError("which labels column is the target?", option("labels"), f"pass {option('target')} COL")
    take = [o.target] + [c for c in [o.label_timestamp] if c and c in labels.columns]
    current, join, join_warnings = join_labels(current, labels, o.join_on, take)
    warnings.extend(join_warnings)
    if join["matched"] < join["predictions"]:
        warnings.append(f"{join['predictions'] - join['matched']} of {join['predictions']} predictions have no label yet")
    return current, join


def _metrics(e: Encoded, mask: np.ndarray, groups: np.ndarray, G: int, o: PerfOptions) -> cls.WindowMetrics:
    if mask.all():  # every row labeled: no copies
        mask = slice(None)
    if o.task == "binary":
        return cls.binary_metrics(e.y[mask] if e.y is not None else np.zeros(0, np.int64), e.yhat[mask], groups, G,
                                  proba=e.proba[mask] if e.proba is not None else None,
                                  false_positive_cost=o.false_positive_cost, false_negative_cost=o.false_negative_cost)
    if o.task == "multiclass":
        k = len(e.classes)
        return cls.multiclass_metrics(e.y[mask] if e.y is not None else np.zeros(0, np.int64), e.yhat[mask], groups, G, k,
                                      proba=e.proba[mask] if e.proba is not None else None)
    return reg.regression_metrics(e.y[mask] if e.y is not None else np.zeros(0), e.yhat[mask], groups, G,
                                  quantile=o.quantile,
                                  lower=e.lower[mask] if e.lower is not None else None,
                                  upper=e.upper[mask] if e.upper is not None else None,
                                  under_prediction_cost=o.under_prediction_cost,
                                  over_prediction_cost=o.over_prediction_cost)


def _baseline(ref: Encoded, rows: int, o: PerfOptions) -> Dict[str, Any]:
    """The labeled reference's metrics as one window: what each window is compared with."""
    rl = ref.labeled
    if not rl.any():
        raise MlmonError("no labeled reference rows with a usable prediction", "reference",
                         "check the reference's columns")
    base = _metrics(ref, rl, np.zeros(int(rl.sum()), dtype=np.int64), 1, o)
    return {
        "n": int(rows),
        "n_labeled": int(rl.sum()),
        "metrics": {k: finite(v[0]) for k, v in base.values.items()},
        "intervals": {k: {"lower": finite(base.lower[k][0]), "upper": finite(base.upper[k][0])} for k in base.values},
    }


def _judge_windows(win: Windows, n_rows: np.ndarray, n_labeled: np.ndarray, realized: cls.WindowMetrics,
                   est: Optional[cls.WindowMetrics], est_flags: Optional[List[Dict[str, Any]]],
                   baseline: Optional[Dict[str, Any]], primary: List[str], o: PerfOptions,
                   smallest: Optional[np.ndarray] = None) -> List[PerfWindow]:
    """Every window against the reference, or (``previous_window``) against the last window
    before it that had metrics to judge by."""
    against_previous = o.baseline == "previous_window"
    windows: List[PerfWindow] = []
    previous: Optional[PerfWindow] = None
    for w in range(win.count):
        against = baseline
        if against_previous:
            against = {"metrics": previous.judged_values} if previous else None
        row = judge_window(w, win, int(n_rows[w]), int(n_labeled[w]), realized, est, est_flags, against, primary, o,
                           smallest_class=int(smallest[w]) if smallest is not None else None)
        if against_previous:
            row.against_previous = True
            row.baseline_window = previous.start if previous else None
            if row.severity_basis:
                previous = row
        windows.append(row)
    return windows


def _label_delay(current: pd.DataFrame, ts_ns: Optional[np.ndarray], o: PerfOptions,
                 warnings: List[str]) -> Optional[Dict[str, Any]]:
    if not o.label_timestamp:
        return None
    label_ns, _ = parse_timestamps(current[o.label_timestamp], o.label_timestamp, "current")
    if ts_ns is None:
        raise MlmonError("label delay needs the prediction timestamp", option("label_timestamp"),
                         f"pass {option('timestamp')} COL too")
    delay = label_delay(ts_ns, label_ns)
    if delay is None:
        warnings.append(f"no row has both a timestamp and a label timestamp ({o.label_timestamp}): no label delay")
    elif delay["negative_delays"]:
        warnings.append(f"{delay['negative_delays']} labels are timestamped before their prediction")
    return delay


def _columns(o: PerfOptions, cur: Encoded, enc: Encoder) -> Dict[str, Any]:
    columns = {"target": o.target, "prediction": o.prediction, "proba": o.proba, "timestamp": o.timestamp,
               "label_timestamp": o.label_timestamp}
    if cur.classes is not None:
        columns["classes"] = [str(c) for c in cur.classes]
        if enc.proba_mapped is not None:
            columns["proba"] = enc.proba_mapped  # matched by name: one per class, in the classes' order
    if o.task == "binary" and enc.positive is not None:
        columns["positive_label"] = str(enc.positive)
    return columns


def _seed_classes(enc: Encoder, current: pd.DataFrame, reference: pd.DataFrame, o: PerfOptions) -> None:
    """Estimating multiclass: the classes are those of the reference and the current data together
    (a current period without labels, or one that never predicts a class, still has all of them)."""
    from mlmon.services.performance.encoding import _uniques

    def col(frame, name):
        return frame[name] if name is not None and name in frame.columns else None

    enc.classes = _uniques(col(reference, o.target), col(reference, o.prediction), col(current, o.target),
                           col(current, o.prediction))
    cols = enc._proba_columns()
    if cols and len(cols) != len(enc.classes):
        raise MlmonError(f"{len(cols)} probability columns for {len(enc.classes)} classes "
                         f"({', '.join(map(str, enc.classes[:10]))}) in the reference and current data", option("proba"),
                         "give one column per class; a class the reference never saw cannot be estimated")


def _disagreement(windows: List[PerfWindow], estimation: Dict[str, Any], o: PerfOptions, warnings: List[str]) -> None:
    """Where windows have both labels (enough of them) and an estimate: has the realized value
    left the estimate's band on the same side for the last few windows?"""
    from mlmon.services.performance.disagreement import persistent_disagreement

    metric = "mae" if o.task == "regression" else "accuracy"
    triples = []
    for w in windows:
        if w.estimated is None:
            continue
        band = (w.estimated_intervals or {}).get(metric) or {}
        real = w.metrics.get(metric) if w.n_labeled >= o.min_labeled else None
        triples.append((w.estimated.get(metric), (band.get("lower"), band.get("upper")), real))
    keyed = [w for w in windows if w.estimated is not None]
    found = persistent_disagreement(triples, metric)
    if found is None:
        estimation["disagreement"] = None
        return
    first = found.starts[0]
    found.starts = [keyed[i].start for i in found.starts]
    estimation["disagreement"] = found.to_dict()
    warnings.append(found.message)
    for w in keyed[first:]:   # the run and every window after it
        w.estimation["reliable"] = False
        w.estimation["reasons"].append(found.message)
