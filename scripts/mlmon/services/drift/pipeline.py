"""The drift check, once for every source: typing, method choice, test, FDR, verdict.

:func:`run` takes a column source (:mod:`.sources`: two tables, or two profiles) and options
and returns a :class:`~.result.DriftResult`. The source reads and summarises; everything that
decides (which test, which threshold, whether a column is skipped, what the warnings say, how
the dataset verdict is reached) happens here, so rows and profiles cannot disagree.

Columns from rows run on a thread pool (numpy releases the GIL in sorts and reductions).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.io.columns import EMBEDDING, ColumnSpec, Typing, assign_types_from, check_same_columns
from mlmon.services.drift.options import check_options
from mlmon.services.drift.recommendations import recommendations
from mlmon.services.drift.result import ColumnDrift, DriftOptions, DriftResult, ProfileColumnDrift, severity_of
from mlmon.services.drift.sources import ColumnData, RowSource
from mlmon.stats import univariate
from mlmon.stats.univariate import NUMERICAL

SMALL_SAMPLE = 30
TARGET_NOT_IN_CURRENT = "not in the current data: labels not in yet?"
NEW_CATEGORIES_SHOWN = 20


def compute_drift(reference, current, options: Optional[DriftOptions] = None) -> DriftResult:
    """Drift of ``current`` against ``reference``, two :class:`~mlmon.io.tables.Table` objects."""
    return run(RowSource(reference, current), options)


def run(source, options: Optional[DriftOptions] = None, calibrator=None) -> DriftResult:
    """``calibrator``: ``(spec, test, data) -> threshold or None`` for columns without an explicit
    threshold (see :mod:`.windowed`); None keeps each test's default."""
    options = options or DriftOptions()
    source.check_methods(options)
    ref_side, cur_side = source.sides()
    exclude = _exclusions(source, options)
    check_same_columns(ref_side, cur_side, exclude, target=options.target)
    check_options(options)
    typing = assign_types_from(source, numerical=options.numerical, categorical=options.categorical,
                               exclude=exclude, target=options.target, prediction=options.prediction,
                               embedding=options.embedding)
    _check_column_methods(typing, options, source.header)
    warnings: List[str] = []
    skipped = dict(typing.skipped)
    target = options.target
    if target and target not in exclude and target in ref_side.columns and target not in cur_side.columns:
        skipped[target] = TARGET_NOT_IN_CURRENT

    jobs = list(typing.columns)
    workers = options.workers or min(len(jobs), os.cpu_count() or 1) or 1
    if source.parallel and workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda s: _column_drift(source, s, options, calibrator), jobs))
    else:
        outcomes = [_column_drift(source, s, options, calibrator) for s in jobs]

    results: Dict[str, ColumnDrift] = {}
    for spec, (res, col_warnings, skip_reason) in zip(jobs, outcomes):
        warnings.extend(col_warnings)
        if skip_reason:
            skipped[spec.name] = skip_reason
        else:
            results[spec.name] = res

    if options.fdr is not None:
        _apply_fdr(results, options.fdr, options.source("fdr") if options.source("fdr") != "default" else "flag")
        for r in results.values():
            if getattr(r, "approximate", False) and r.score_kind == "p_value":
                r.verdict_certain = False  # the bounds hold for the raw p-value, not the adjusted one

    features = feature_results(results, warnings)
    late: List[str] = []
    uncertain = [r.column for r in features.values() if not getattr(r, "verdict_certain", True)]
    if uncertain:
        late.append("verdict uncertain (the score's error bound straddles the threshold): " + ", ".join(uncertain)
                    + "; profile with a larger --bins-per-octave or --sketch-k, or compare the data files")
    multivariate = None
    if options.multivariate:
        multivariate = _multivariate(source, features, options, warnings)
    ref_info, cur_info = source.describe()
    return assemble_result(ref_info, cur_info, results, skipped, warnings, options,
                           multivariate=multivariate, late_warnings=late)


def _exclusions(source, options: DriftOptions) -> List[str]:
    """The columns left out: the options', and those a side was made without (a profile made with
    ``--exclude`` remembers it, so the other side drops the same columns)."""
    exclude = list(options.exclude)
    known = set(source.reference_columns) | set(source.current_columns)
    for name in getattr(source, "remembered_exclusions", lambda: [])():
        if name in known and name not in exclude:
            exclude.append(name)
    return exclude


def feature_results(results: Dict[str, ColumnDrift], warnings: List[str]) -> Dict[str, ColumnDrift]:
    """The feature columns among ``results`` (target and prediction are reported apart)."""
    features = {n: r for n, r in results.items() if r.role == "feature"}
    if not features:
        warnings.append("no feature column could be tested: see the skipped columns")
    return features


def assemble_result(reference: Dict[str, Any], current: Dict[str, Any], results: Dict[str, ColumnDrift],
                    skipped: Dict[str, str], warnings: List[str], options: DriftOptions,
                    multivariate=None, late_warnings: Sequence[str] = ()) -> DriftResult:
    """The dataset verdict from the tested columns: drift share, severity, skipped columns and
    small-sample warnings, the recommendations."""
    features = {n: r for n, r in results.items() if r.role == "feature"}
    n_columns = len(features)
    n_drifted = sum(1 for r in features.values() if r.drifted)
    share = n_drifted / n_columns if n_columns else 0.0
    for name, reason in skipped.items():
        warnings.insert(0, f"{name}: skipped ({reason})")
    if reference["rows"] < SMALL_SAMPLE or current["rows"] < SMALL_SAMPLE:
        warnings.append(
            f"small sample: {reference['rows']} reference and {current['rows']} current rows; "
            f"tests have little power below {SMALL_SAMPLE} rows, read the verdicts as weak evidence"
        )
    warnings.extend(late_warnings)
    result = DriftResult(
        reference=reference,
        current=current,
        columns=features,
        drift_share=share,
        dataset_drift=bool(n_columns > 0 and share >= options.drift_share),
        drift_share_threshold=options.drift_share,
        n_columns=n_columns,
        n_drifted=n_drifted,
        severity=severity_of(share),
        target_drift=results.get(options.target) if options.target else None,
        prediction_drift=results.get(options.prediction) if options.prediction else None,
        multivariate=multivariate,
        skipped=skipped,
        warnings=warnings,
        fdr=options.fdr,
    )
    result.recommendations = recommendations(result)
    return result


# ---------------------------------------------------------------------------- per column


def _column_drift(source, spec: ColumnSpec, options: DriftOptions,
                  calibrator=None) -> Tuple[Optional[ColumnDrift], List[str], Optional[str]]:
    data: ColumnData = source.column(spec)
    warnings: List[str] = []
    if data.infinite:
        warnings.append(f"{spec.name}: {data.infinite} infinite value(s) dropped")
    if data.n_reference == 0 or data.n_current == 0:
        where = "" if data.n_reference == data.n_current else " in reference" if data.n_reference == 0 else " in current"
        return None, warnings, f"all values missing{where}"
    if data.skip:
        return None, warnings, data.skip
    _new_categories_warning(spec.name, data, warnings)
    if data.n_unique == 1:
        warnings.append(f"{spec.name}: constant column (one value on both sides)")
    warnings.extend(f"{spec.name}: {note}" for note in data.notes)

    if spec.type == EMBEDDING:
        method = _embedding_method(spec, options, data)
    else:
        method = _method_for(spec, options, data.n_reference, data.n_unique)
    test = univariate.get(method)
    threshold = options.column_thresholds.get(spec.name, options.threshold)
    threshold_source = options.threshold_origin(spec.name) or "default"
    if threshold is None and calibrator is not None:
        threshold = calibrator(spec, test, data)
        threshold_source = "calibrated"
    if threshold is None:
        threshold = test.default_threshold
        threshold_source = "default"
    try:
        with np.errstate(all="ignore"):
            out = source.run(method, spec, data, threshold)
    except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
        reason = " ".join(str(exc).split())[:160]
        if spec.name not in options.column_methods:
            # --method asked for it on every column; this column cannot take it
            return None, warnings, f"{method} cannot be computed here: {reason}"
        raise MlmonError(
            f"{method} cannot be computed for column {spec.name!r}: {reason}",
            "drift method",
            f"choose another method for it, e.g. --column-method {spec.name}="
            + univariate.default_method(data.n_reference, data.n_unique, spec.type),
        ) from exc
    if out.note:
        warnings.append(f"{spec.name}: {out.note}")
    fields = dict(
        column=spec.name, type=spec.type, role=spec.role, method=method, method_name=test.display_name,
        score=float(out.score), threshold=float(threshold), drifted=bool(out.drifted), score_kind=test.score_kind,
        drift_rule=univariate.drift_rule(test), statistic=None if out.statistic is None else float(out.statistic),
        reference_count=int(data.n_reference), current_count=int(data.n_current),
        reference_missing=int(data.reference_missing), current_missing=int(data.current_missing),
        infinite_dropped=int(data.infinite), new_categories=data.new_categories[:NEW_CATEGORIES_SHOWN] or None,
        threshold_source=threshold_source, details=out.details,
    )
    if out.exactness is None:
        return ColumnDrift(**fields), warnings, None
    return ProfileColumnDrift(**fields, **out.exactness), warnings, None


def _new_categories_warning(name: str, data: ColumnData, warnings: List[str]) -> None:
    new = data.new_categories
    if not new:
        return
    shown = new[:5]
    more = f" and {len(new) - NEW_CATEGORIES_SHOWN} more" if len(new) > NEW_CATEGORIES_SHOWN else ""
    warnings.append(
        f"{name}: {len(new)} categor{'y' if len(new) == 1 else 'ies'} only in current "
        f"({', '.join(shown)}{', ...' if len(new) > 5 else ''}{more}; {data.new_rows} rows)"
    )


def _embedding_method(spec: ColumnSpec, options: DriftOptions, data: ColumnData) -> str:
    """The embedding test asked for, else the automatic choice by size and dimension."""
    from mlmon.stats.embedding import choose_method

    if spec.name in options.column_methods:
        return options.column_methods[spec.name]
    if options.method and EMBEDDING in univariate.get(options.method).column_types:
        return options.method
    return choose_method(data.n_reference, data.n_current, data.reference.shape[1])


def _method_for(spec: ColumnSpec, options: DriftOptions, n_reference: int, n_unique: int) -> str:
    if spec.name in options.column_methods:
        return options.column_methods[spec.name]
    if options.method:
        test = univariate.get(options.method)
        if spec.type in test.column_types:
            return options.method
    return univariate.default_method(n_reference, n_unique, spec.type)


# ---------------------------------------------------------------------------- dataset level


def _apply_fdr(results: Dict[str, ColumnDrift], q: float, origin: str = "flag") -> None:
    from mlmon.stats.multiple_testing import benjamini_hochberg

    tested = [r for r in results.values() if r.score_kind == "p_value"]
    if not tested:
        return
    adjusted = benjamini_hochberg(np.array([r.score for r in tested]))
    for r, p_adj in zip(tested, adjusted):
        r.p_value_adjusted = float(p_adj)
        r.threshold = q
        r.threshold_source = origin
        r.drift_rule = "<="
        r.drifted = bool(p_adj <= q)


def _multivariate(source, features: Dict[str, ColumnDrift], options: DriftOptions,
                  warnings: List[str]) -> Optional[Dict[str, Any]]:
    from mlmon.stats.mmd import mmd_test

    if options.multivariate != "mmd":
        raise MlmonError(f"unknown multivariate method {options.multivariate!r}", option("multivariate"),
                         f"use {option('multivariate')} mmd")
    cols = [n for n, r in features.items() if r.type == NUMERICAL]
    if not cols:
        warnings.append("multivariate MMD skipped: no numerical feature columns")
        return None
    ref_frame, cur_frame = source.frames()
    ref = ref_frame[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    cur = cur_frame[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    ref = ref[np.isfinite(ref).all(axis=1)]
    cur = cur[np.isfinite(cur).all(axis=1)]
    if len(ref) < 2 or len(cur) < 2:
        warnings.append("multivariate MMD skipped: fewer than 2 complete rows on a side")
        return None
    res = mmd_test(ref, cur, gamma=options.mmd_gamma)
    out = {"method": "mmd", "columns": cols}
    out.update(res.to_dict() if hasattr(res, "to_dict") else asdict(res))
    out["method"] = "mmd"
    return out


def _check_column_methods(typing: Typing, options: DriftOptions, header: str) -> None:
    types = {c.name: c.type for c in typing.columns}
    for col, method in options.column_methods.items():
        if col not in types:
            where = OPTIONS
            if col in typing.skipped:
                raise MlmonError(f"{option('column_method')} {col}={method}: column is skipped ({typing.skipped[col]})", where,
                                 "drop the option or type the column explicitly")
            raise MlmonError(f"{option('column_method')} names unknown column {col!r}", where,
                             f"check the spelling against {header}")
        test = univariate.get(method)
        if types[col] not in test.column_types:
            from mlmon.stats.univariate import catalog

            fits = [t.id for t in catalog.CATALOG if types[col] in t.column_types]
            raise MlmonError(
                f"{option('column_method')} {col}={method}: {method} does not apply to {types[col]} columns",
                OPTIONS,
                f"use one of: {', '.join(fits)}",
            )
