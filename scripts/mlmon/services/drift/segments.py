"""Drift by segment: the whole-table check, then the same check inside every segment.

``run_segments`` splits both tables by ``segment_by`` (:mod:`mlmon.services.segments`) and runs
the one pipeline on each segment with the whole table's typing and methods, so a column is
tested the same way everywhere. Each segment's result has the whole table's contract and sits
under ``segments: {name: {...}}``; ``segmentation`` says how segments were made and tested,
which were too small to test, and which drifted most.

False discoveries. Testing ``S`` segments × ``C`` columns makes ``m = S·C`` pairs (an upper
bound: a column missing in a segment is not tested), and by chance alone some cross any fixed
threshold. Every pair gets an *empirical* p-value from its own null distribution, and
Benjamini-Hochberg runs over all of them at level ``q`` (``segment_fdr``, default 0.05):

- the null: ``B`` windows of the segment's current size drawn from its reference, each scored
  by the column's test against the rest of that reference (:func:`mlmon.stats.calibration.null_scores`);
  ``p = (1 + #{null scores at least as extreme}) / (B + 1)``, valid for a current window
  exchangeable with the draws whatever the test (``B + 1 >= 2m/q`` draws, so the smallest
  p-value can pass BH's first step);
- a test's own p-value is not used: Evidently's ``chisquare`` (and ``g_test``) take the
  reference proportions as exact, so on a segment whose current side is not much smaller than
  its reference they reject far more often than their level; distances have no p-value at all;
- when the current side is larger than half the reference, the draws are half the reference:
  smaller windows score further from it under no change, so the p-value is conservative.

BH controls the FDR at ``q`` for independent or positively dependent p-values (Benjamini &
Hochberg 1995; Benjamini & Yekutieli 2001). A threshold set explicitly (flag or config) is kept
as given and falls outside this control. A simulation test checks that on data with no change
the share of flagged pairs stays at or below ``q``.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.drift.recommendations import recommendations
from mlmon.services.drift.result import ColumnDrift, DriftOptions, DriftResult, severity_of
from mlmon.services.segments import MAX_SEGMENTS, Partition, parse_segment_by, partition
from mlmon.stats.univariate import CATEGORICAL, NUMERICAL, drift_rule

#: Null draws a pair may take (BH's first step at ``q/m`` needs ``2m/q`` of them).
MAX_DRAWS = 20_000
#: Segments the whole-table result names as drifted most.
MOST_DRIFTED = 5
PROCEDURE = ("Benjamini-Hochberg at level q over every (segment, column) pair's empirical p-value: its score "
             "against the scores of windows of the same size drawn from the segment's own reference")


def check_segment_options(options: DriftOptions) -> None:
    q = options.segment_fdr
    if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
        raise MlmonError(f"{option('segment_fdr')} {q} is outside (0, 1)", OPTIONS,
                         f"use e.g. {option('segment_fdr')} 0.05")
    n = options.segment_min_rows
    if isinstance(n, bool) or not isinstance(n, int) or n < 10:
        raise MlmonError(f"{option('segment_min_rows')} {n} is not a row count of at least 10", OPTIONS,
                         f"use e.g. {option('segment_min_rows')} 100")


def run_segments(reference, current, options: DriftOptions, whole: DriftResult) -> DriftResult:
    """``whole`` (the two tables' result) with every segment's result added."""
    from mlmon.io.tables import Table
    from mlmon.services.drift.pipeline import run
    from mlmon.services.drift.sources import RowSource
    from mlmon.services.drift.windowed import with_fields

    check_segment_options(options)
    by = parse_segment_by(options.segment_by)
    part = partition([reference.frame, current.frame], by, [reference.path, current.path])
    segment_columns = {s.column for s in by}
    typed = dict(whole.columns)
    for r in (whole.target_drift, whole.prediction_drift):
        if r is not None:
            typed[r.column] = r
    numerical = [n for n, r in typed.items() if r.type == NUMERICAL and n not in segment_columns]
    categorical = [n for n, r in typed.items() if r.type == CATEGORICAL and n not in segment_columns]
    keep = set(numerical) | set(categorical)
    everything = list(dict.fromkeys([*reference.columns, *current.columns]))
    base = with_fields(options, numerical=numerical, categorical=categorical,
                       exclude=[c for c in everything if c not in keep],
                       column_methods={c: m for c, m in options.column_methods.items() if c in keep},
                       fdr=None, multivariate=None, segment_by=(), embedding=())

    tested, not_tested = _sizes(part, options.segment_min_rows)
    m = len(tested) * len(keep)  # 0 when no segment is tested: 199 draws, nothing to flag
    q = float(options.segment_fdr)
    draws = max(199, math.ceil(2 * m / q) - 1)
    warnings: List[str] = []
    if draws > MAX_DRAWS:
        draws = MAX_DRAWS
        warnings.append(f"{m} (segment, column) pairs: {MAX_DRAWS} null draws a pair resolve p-values down to "
                        f"{1 / (MAX_DRAWS + 1):.2g}, above the {q / m:.2g} the first flag needs; segment by fewer "
                        f"values to keep the false discovery rate at {q:g} with power")

    results: Dict[str, DriftResult] = {}
    nulls: Dict[Tuple[str, str], Any] = {}
    for name in tested:
        ref_rows, cur_rows = part.rows[name]
        ref = Table(path=f"{reference.path} [{name}]", frame=reference.frame.iloc[ref_rows], kinds=reference.kinds)
        cur = Table(path=f"{current.path} [{name}]", frame=current.frame.iloc[cur_rows], kinds=current.kinds)
        results[name] = run(RowSource(ref, cur), base, calibrator=_null_recorder(name, draws, nulls))
    adjusted = _control(results, nulls, q, options.source("segment_fdr"))
    for r in results.values():
        _refresh(r)
    whole.segments = {name: r.to_dict() for name, r in results.items()}
    whole.segmentation = {
        "by": [str(s) for s in by],
        "min_rows": options.segment_min_rows,
        "false_discovery_rate": q,
        "procedure": PROCEDURE,
        "pairs": m,
        "pairs_tested": adjusted["tested"],
        "pairs_flagged": adjusted["flagged"],
        "null_draws": draws,
        "values": {name: part.values[name] for name in part.names},
        "not_tested": not_tested,
        "most_drifted": most_drifted(results),
    }
    top = whole.segmentation["most_drifted"]
    if top:
        whole.warnings.append("segments drifted most: " + "; ".join(
            f"{t['segment']} ({t['n_drifted']} of {t['n_columns']} columns: {', '.join(t['drifted_columns'][:3])})"
            for t in top[:3]))
    whole.warnings.extend(warnings)
    return whole


def _sizes(part: Partition, min_rows: int) -> Tuple[List[str], Dict[str, Dict[str, Any]]]:
    tested, not_tested = [], {}
    for name in part.names:
        n_ref, n_cur = part.sizes(name)
        if n_ref >= min_rows and n_cur >= min_rows:
            tested.append(name)
            continue
        reason = ("only in current" if n_ref == 0 else "only in reference" if n_cur == 0 else
                  f"fewer than {min_rows} rows on a side: reported, not tested")
        not_tested[name] = {"reference_rows": n_ref, "current_rows": n_cur, "reason": reason}
    return tested, not_tested


def _null_recorder(segment: str, draws: int, nulls: Dict[Tuple[str, str], Any]):
    """A pipeline calibrator that keeps no threshold but records each column's empirical p-value.

    It runs before the column's test, so it draws the null and stores it; the observed score
    is compared with it in :func:`_control`."""
    from mlmon.stats.calibration import null_scores, seed_for

    def record(spec, test, data):
        N = data.n_reference
        n = min(data.n_current, N // 2)
        if n >= 2:
            pool = null_scores(data.reference, test, spec.type, n, draws=draws, method="random",
                               seed=seed_for(f"{segment}\x00{spec.name}"), presorted=spec.type == NUMERICAL, fast=True)
            nulls[(segment, spec.name)] = (pool.scores, drift_rule(test))
        return None  # the test's own threshold stays until the adjustment replaces the verdict

    return record


def empirical_p_value(null: np.ndarray, score: float, rule: str) -> float:
    """``(1 + #{null scores at least as extreme as score}) / (B + 1)``; "extreme" follows the drift rule.

    >>> empirical_p_value(np.array([0.1, 0.2, 0.3, 0.4]), 0.3, ">="), empirical_p_value(np.array([0.01, 0.5]), 0.02, "<")
    (0.6, 0.6666666666666666)
    """
    s = np.asarray(null, dtype=np.float64)
    if np.isnan(score):
        return 1.0
    extreme = int((s >= score).sum()) if rule in (">=", ">") else int((s <= score).sum())
    return (1 + extreme) / (1 + s.size)


def _pairs(r: DriftResult) -> List[ColumnDrift]:
    out = list(r.columns.values())
    out += [c for c in (r.target_drift, r.prediction_drift) if c is not None]
    return out


def _control(results: Dict[str, DriftResult], nulls, q: float, origin: str) -> Dict[str, Any]:
    """Benjamini-Hochberg at ``q`` over the pairs' empirical p-values (a pair without a null: p = 1)."""
    from mlmon.stats.multiple_testing import benjamini_hochberg

    pairs = [(name, c) for name, r in results.items() for c in _pairs(r)]
    adjustable = [(name, c) for name, c in pairs if c.threshold_source not in ("config", "flag")]
    if adjustable:
        p = []
        for name, c in adjustable:
            null = nulls.get((name, c.column))
            p.append(1.0 if null is None else empirical_p_value(null[0], c.score, null[1]))
        adjusted = benjamini_hochberg(np.array(p))
        for (name, c), raw, p_adj in zip(adjustable, p, adjusted):
            null = nulls.get((name, c.column))
            c.details = dict(c.details or {}, null_p_value=raw, null_draws=0 if null is None else int(null[0].size))
            c.p_value_adjusted = float(p_adj)
            c.threshold = q
            c.threshold_source = origin
            c.drift_rule = "<="
            c.drifted = bool(p_adj <= q)
    return {"tested": len(pairs), "flagged": sum(1 for _, c in pairs if c.drifted)}


def _refresh(r: DriftResult) -> None:
    """The segment's verdict again, after its columns' flags were adjusted."""
    r.n_drifted = sum(1 for c in r.columns.values() if c.drifted)
    r.drift_share = r.n_drifted / r.n_columns if r.n_columns else 0.0
    r.dataset_drift = bool(r.n_columns > 0 and r.drift_share >= r.drift_share_threshold)
    r.severity = severity_of(r.drift_share)
    r.recommendations = recommendations(r)


def most_drifted(results: Dict[str, DriftResult], limit: int = MOST_DRIFTED) -> List[Dict[str, Any]]:
    """The segments with the most drifted columns (then the highest share), drifted ones only."""
    ranked = sorted((r.n_drifted, r.drift_share, name) for name, r in results.items() if r.n_drifted)
    out = []
    for n, share, name in sorted(ranked, key=lambda t: (-t[0], -t[1], t[2]))[:limit]:
        r = results[name]
        out.append({"segment": name, "n_drifted": n, "n_columns": r.n_columns, "drift_share": share,
                    "drifted_columns": r.drifted_columns, "reference_rows": r.reference["rows"],
                    "current_rows": r.current["rows"]})
    return out


def check_not_windowed(options: DriftOptions) -> None:
    if options.segment_by and options.windowed:
        raise MlmonError(f"{option('segment_by')} with windows is not supported yet", OPTIONS,
                         f"check segments on the two files (drop {option('window')}/{option('chunk_size')}), "
                         "or run one windowed check per segment's rows")


__all__: Sequence[str] = ("MAX_SEGMENTS", "check_segment_options", "most_drifted", "run_segments")
