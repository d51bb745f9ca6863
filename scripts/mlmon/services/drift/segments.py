"""Drift by segment: the whole-table check, then the same check inside every segment.

``run_segments`` splits both tables by ``segment_by`` (:mod:`mlmon.services.segments`) and runs
the one pipeline on each segment with the whole table's typing and methods, so a column is
tested the same way everywhere. Each segment's result has the whole table's contract and sits
under ``segments: {name: {...}}``; ``segmentation`` says how segments were made and tested,
which were too small to test, and which drifted most.

False discoveries. Testing ``S`` segments × ``C`` columns makes ``m = S·C`` pairs (an upper
bound: a column missing in a segment is not tested), and by chance alone some cross any fixed
threshold. The level ``q`` (``segment_fdr``, default 0.05) is split between the two kinds of
score so that the false discovery rate over all pairs stays at or below ``q``:

- p-value tests (``ks``, ``chisquare``, ``z``, ...): Benjamini-Hochberg over their ``m_p``
  pairs at level ``q·m_p/m``;
- distance tests (``wasserstein``, ``jensenshannon``, ``psi``, ...) have no p-value: each pair's
  threshold is *calibrated* on the segment's own reference (:mod:`mlmon.stats.calibration`:
  windows of the segment's current size drawn from a held-out part of its reference, scored
  against the rest) at the false-alarm rate ``q/m`` (Bonferroni), so that ``P(any distance
  pair flagged | no change) <= q·m_d/m``.

The false discovery proportion of the union is at most that of the BH part plus the chance of
any false distance flag, so ``FDR <= q·m_p/m + q·m_d/m = q`` (for BH under independence or
positive dependence of the p-values). When the current side of a segment is larger than half
its reference, the calibration draws windows of half the reference: smaller windows score
higher under no change, so the threshold is conservative. A threshold set explicitly (flag or
config) is kept as given and falls outside this control. A simulation test checks that on
data with no change the share of flagged pairs stays at or below ``q``.
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

#: Null draws a distance threshold may take (the rate ``q/m`` needs ``2m/q`` of them).
MAX_DRAWS = 20_000
#: Segments the whole-table result names as drifted most.
MOST_DRIFTED = 5
PROCEDURE = ("Benjamini-Hochberg over the p-value tests' pairs at level q*m_p/m; thresholds of distance tests "
             "calibrated on each segment's reference at false-alarm rate q/m (Bonferroni); m = segments x columns")


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
    m = max(1, len(tested) * len(keep))
    q = float(options.segment_fdr)
    rate = q / m
    draws = max(199, math.ceil(2 / rate) - 1)
    warnings: List[str] = []
    if draws > MAX_DRAWS:
        draws = MAX_DRAWS
        rate_used = 2 / (MAX_DRAWS + 1)
        warnings.append(f"{m} (segment, column) pairs: distance thresholds are calibrated at a false-alarm rate of "
                        f"{rate_used:.2g} per pair, not {rate:.2g}; segment by fewer values to keep the false "
                        f"discovery rate at {q:g}")
        rate = rate_used

    results: Dict[str, DriftResult] = {}
    for name in tested:
        ref_rows, cur_rows = part.rows[name]
        ref = Table(path=f"{reference.path} [{name}]", frame=reference.frame.iloc[ref_rows], kinds=reference.kinds)
        cur = Table(path=f"{current.path} [{name}]", frame=current.frame.iloc[cur_rows], kinds=current.kinds)
        results[name] = run(RowSource(ref, cur), base, calibrator=_calibrator(name, rate, draws))
    adjusted = _control(results, q, m, options.source("segment_fdr"))
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
        "distance_false_alarm_rate": rate,
        "p_value_level": adjusted["level"],
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


def _calibrator(segment: str, rate: float, draws: int):
    """Thresholds of distance tests at false-alarm rate ``rate``, from the segment's reference."""
    from mlmon.stats.calibration import null_scores, seed_for, threshold_from_scores

    def calibrate(spec, test, data):
        if test.score_kind != "distance":
            return None  # p-values: Benjamini-Hochberg afterwards
        N = data.n_reference
        n = min(data.n_current, N // 2)
        if n < 2:
            return None
        pool = null_scores(data.reference, test, spec.type, n, draws=draws, method="random",
                           seed=seed_for(f"{segment}\x00{spec.name}"), presorted=spec.type == NUMERICAL, fast=True)
        if math.floor(rate * (pool.scores.size + 1) + 1e-9) < 1:
            return float(np.nextafter(pool.scores[-1], np.inf)) if pool.scores.size else None
        return threshold_from_scores(pool.scores, drift_rule(test), rate)[0]

    return calibrate


def _pairs(r: DriftResult) -> List[ColumnDrift]:
    out = list(r.columns.values())
    out += [c for c in (r.target_drift, r.prediction_drift) if c is not None]
    return out


def _control(results: Dict[str, DriftResult], q: float, m: int, origin: str) -> Dict[str, Any]:
    """Benjamini-Hochberg over the p-value pairs at ``q·m_p/m`` (distance pairs were calibrated)."""
    from mlmon.stats.multiple_testing import benjamini_hochberg

    pairs = [c for r in results.values() for c in _pairs(r)]
    p_pairs = [c for c in pairs if c.score_kind == "p_value" and c.threshold_source not in ("config", "flag")]
    level = q * len(p_pairs) / m if m else q
    if p_pairs:
        adjusted = benjamini_hochberg(np.array([c.score for c in p_pairs]))
        for c, p_adj in zip(p_pairs, adjusted):
            c.p_value_adjusted = float(p_adj)
            c.threshold = level
            c.threshold_source = origin
            c.drift_rule = "<="
            c.drifted = bool(p_adj <= level)
    return {"tested": len(pairs), "flagged": sum(1 for c in pairs if c.drifted), "level": level}


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
