"""The drift check: reference vs current, per column and for the dataset.

Reads nothing and prints nothing: it takes two :class:`~mlmon.io.tables.Table` objects and
options and returns a :class:`DriftResult` that the surfaces render (Markdown, JSON, HTML)
and the history store records.

Speed comes from doing each piece of work once: every numerical column is cleaned and sorted
once and the sorted arrays are shared by the method choice and the test; categorical columns
become integer codes over one sorted category list, so every categorical test is a
``bincount`` away from its counts; columns run on a thread pool (numpy releases the GIL in
sorts and reductions).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError
from mlmon.io.columns import ColumnSpec, Typing, assign_types, check_same_columns
from mlmon.io.tables import Table
from mlmon.stats import univariate
from mlmon.stats.univariate import NUMERICAL
from mlmon.stats.univariate._binning import nunique_sorted, unique_sorted

SCHEMA_VERSION = 1
SMALL_SAMPLE = 30
SEVERITY_CRITICAL = 0.5
SEVERITY_DEGRADED = 0.2


@dataclass
class DriftOptions:
    method: Optional[str] = None
    column_methods: Dict[str, str] = field(default_factory=dict)
    threshold: Optional[float] = None
    column_thresholds: Dict[str, float] = field(default_factory=dict)
    drift_share: float = 0.5
    fdr: Optional[float] = None
    multivariate: Optional[str] = None
    mmd_gamma: Optional[float] = None
    target: Optional[str] = None
    prediction: Optional[str] = None
    numerical: Sequence[str] = ()
    categorical: Sequence[str] = ()
    exclude: Sequence[str] = ()
    workers: Optional[int] = None


@dataclass
class ColumnDrift:
    column: str
    type: str
    role: str
    method: str
    method_name: str
    score: float
    threshold: float
    drifted: bool
    score_kind: str
    drift_rule: str
    statistic: Optional[float]
    reference_count: int
    current_count: int
    reference_missing: int
    current_missing: int
    infinite_dropped: int
    p_value_adjusted: Optional[float] = None
    new_categories: Optional[List[str]] = None

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        if d["p_value_adjusted"] is None:
            del d["p_value_adjusted"]
        if not d["new_categories"]:
            del d["new_categories"]
        return d


@dataclass
class DriftResult:
    reference: Dict[str, Any]
    current: Dict[str, Any]
    columns: Dict[str, ColumnDrift]
    drift_share: float
    dataset_drift: bool
    drift_share_threshold: float
    n_columns: int
    n_drifted: int
    severity: str
    target_drift: Optional[ColumnDrift] = None
    prediction_drift: Optional[ColumnDrift] = None
    multivariate: Optional[Dict[str, Any]] = None
    skipped: Dict[str, str] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)
    recommendations: List[str] = field(default_factory=list)
    fdr: Optional[float] = None
    schema_version: int = SCHEMA_VERSION

    @property
    def drifted_columns(self) -> List[str]:
        return [c.column for c in self.columns.values() if c.drifted]

    def to_dict(self) -> Dict[str, Any]:
        d = {
            "schema_version": self.schema_version,
            "reference": self.reference,
            "current": self.current,
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drift_share_threshold": self.drift_share_threshold,
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "severity": self.severity,
            "columns": {name: c.to_dict() for name, c in self.columns.items()},
            "target_drift": self.target_drift.to_dict() if self.target_drift else None,
            "prediction_drift": self.prediction_drift.to_dict() if self.prediction_drift else None,
            "multivariate": self.multivariate,
            "fdr": self.fdr,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "recommendations": self.recommendations,
        }
        return _strict_json(d)


def options_from_config(config: Dict[str, Any], columns: Sequence[str]) -> Tuple[Dict[str, Any], List[str]]:
    """DriftOptions fields from a validated monitoring config, for data with ``columns``.

    Column roles name a model's columns; a file at hand may lack some of them, so names not in
    the data are dropped with a warning instead of failing the run. The id and timestamp columns
    are left out of the drift check (they are not features).
    """
    present = set(columns)
    cols = (config.get("data") or {}).get("columns") or {}
    drift = config.get("drift") or {}
    warnings: List[str] = []

    def keep(names, what):
        names = list(names or [])
        missing = [n for n in names if n not in present]
        if missing:
            warnings.append(f"config {what} not in the data, ignored: {', '.join(missing)}")
        return [n for n in names if n in present]

    out: Dict[str, Any] = {}
    for role in ("target", "prediction"):
        name = cols.get(role)
        if name:
            kept = keep([name], f"data.columns.{role}")
            if kept:
                out[role] = kept[0]
    out["numerical"] = keep(cols.get("numerical"), "data.columns.numerical")
    out["categorical"] = keep(cols.get("categorical"), "data.columns.categorical")
    exclude = keep(cols.get("exclude"), "data.columns.exclude")
    exclude += [cols[k] for k in ("id", "timestamp") if cols.get(k) in present and cols[k] not in exclude]
    out["exclude"] = exclude
    for key in ("method", "threshold", "drift_share", "fdr"):
        if drift.get(key) is not None:
            out[key] = drift[key]
    out["column_methods"] = {c: m for c, m in (drift.get("column_methods") or {}).items() if c in present}
    out["column_thresholds"] = {c: t for c, t in (drift.get("column_thresholds") or {}).items() if c in present}
    mv = drift.get("multivariate") or {}
    if mv.get("enabled"):
        out["multivariate"] = mv.get("method") or "mmd"
    return out, warnings


def severity_of(drift_share: float) -> str:
    """``critical`` above 0.5, ``degraded`` above 0.2, else ``healthy``.

    >>> [severity_of(s) for s in (0.0, 0.2, 0.25, 0.5, 0.6)]
    ['healthy', 'healthy', 'degraded', 'degraded', 'critical']
    """
    if drift_share > SEVERITY_CRITICAL:
        return "critical"
    if drift_share > SEVERITY_DEGRADED:
        return "degraded"
    return "healthy"


def compute_drift(reference: Table, current: Table, options: Optional[DriftOptions] = None) -> DriftResult:
    options = options or DriftOptions()
    check_same_columns(reference, current, options.exclude)
    _check_options(options)
    typing = assign_types(
        reference,
        current,
        numerical=options.numerical,
        categorical=options.categorical,
        exclude=options.exclude,
        target=options.target,
        prediction=options.prediction,
    )
    _check_column_methods(typing, options)
    warnings: List[str] = []
    skipped = dict(typing.skipped)

    jobs = [spec for spec in typing.columns]
    workers = options.workers or min(len(jobs), os.cpu_count() or 1) or 1
    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda s: _column_drift(s, reference, current, options), jobs))
    else:
        outcomes = [_column_drift(s, reference, current, options) for s in jobs]

    results: Dict[str, ColumnDrift] = {}
    for spec, (res, col_warnings, skip_reason) in zip(jobs, outcomes):
        warnings.extend(col_warnings)
        if skip_reason:
            skipped[spec.name] = skip_reason
        else:
            results[spec.name] = res

    if options.fdr is not None:
        _apply_fdr(results, options.fdr)

    features = feature_results(results, warnings)
    multivariate = None
    if options.multivariate:
        multivariate = _multivariate(reference, current, features, options, warnings)
    return assemble_result(
        {"path": reference.path, "rows": reference.rows}, {"path": current.path, "rows": current.rows},
        results, skipped, warnings, options, multivariate=multivariate,
    )


def feature_results(results: Dict[str, ColumnDrift], warnings: List[str]) -> Dict[str, ColumnDrift]:
    """The feature columns among ``results`` (target and prediction are reported apart)."""
    features = {n: r for n, r in results.items() if r.role == "feature"}
    if not features:
        warnings.append("no feature column could be tested: see the skipped columns")
    return features


def assemble_result(reference: Dict[str, Any], current: Dict[str, Any], results: Dict[str, ColumnDrift],
                    skipped: Dict[str, str], warnings: List[str], options: DriftOptions,
                    multivariate=None, late_warnings: Sequence[str] = ()) -> DriftResult:
    """The dataset verdict from the tested columns, however they were tested (rows or profiles):
    drift share, severity, skipped columns and small-sample warnings, the recommendations."""
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


def _column_drift(
    spec: ColumnSpec, reference: Table, current: Table, options: DriftOptions
) -> Tuple[Optional[ColumnDrift], List[str], Optional[str]]:
    ref_s, cur_s = reference.frame[spec.name], current.frame[spec.name]
    warnings: List[str] = []
    new_categories: List[str] = []
    if spec.type == NUMERICAL:
        ref, ref_missing, ref_inf = _numeric(ref_s)
        cur, cur_missing, cur_inf = _numeric(cur_s)
        inf = ref_inf + cur_inf
    else:
        ref, cur, categories, ref_missing, cur_missing, inf = _categorical(ref_s, cur_s)
    if inf:
        warnings.append(f"{spec.name}: {inf} infinite value(s) dropped")
    if ref.size == 0 or cur.size == 0:
        where = "" if ref.size == cur.size else " in reference" if ref.size == 0 else " in current"
        return None, warnings, f"all values missing{where}"

    presorted = spec.type == NUMERICAL
    if spec.type == NUMERICAL:
        ref.sort()
        cur.sort()
        n_unique = _n_unique_sorted(ref, cur)
        if n_unique == 1:
            warnings.append(f"{spec.name}: constant column (one value on both sides)")
        kind = reference.kinds.get(spec.name)
        if kind == "int" and nunique_sorted(cur) > 0.95 * cur.size and cur.size >= 100:
            warnings.append(f"{spec.name}: almost every value is distinct: looks like an identifier; consider --exclude {spec.name}")
    else:
        k = len(categories)
        ref_counts = np.bincount(ref, minlength=k)
        cur_counts = np.bincount(cur, minlength=k)
        present = (ref_counts + cur_counts) > 0
        n_unique = int(present.sum())
        new = np.flatnonzero((ref_counts == 0) & (cur_counts > 0))
        if new.size:
            new_categories = [str(categories[i]) for i in new[:20]]
            rows = int(cur_counts[new].sum())
            more = f" and {new.size - 20} more" if new.size > 20 else ""
            warnings.append(
                f"{spec.name}: {new.size} categor{'y' if new.size == 1 else 'ies'} only in current "
                f"({', '.join(new_categories[:5])}{', ...' if new.size > 5 else ''}{more}; {rows} rows)"
            )
        if n_unique == 1:
            warnings.append(f"{spec.name}: constant column (one value on both sides)")

    method = _method_for(spec, options, ref.size, n_unique)
    test = univariate.get(method)
    threshold = options.column_thresholds.get(spec.name, options.threshold)
    if threshold is None:
        threshold = test.default_threshold
    try:
        with np.errstate(all="ignore"):
            out = test(ref, cur, spec.type, threshold, presorted=presorted)
    except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
        reason = " ".join(str(exc).split())[:160]
        if spec.name not in options.column_methods:
            # --method asked for it on every column; this column cannot take it
            return None, warnings, f"{method} cannot be computed here: {reason}"
        raise MlmonError(
            f"{method} cannot be computed for column {spec.name!r}: {reason}",
            "drift method",
            f"choose another method for it, e.g. --column-method {spec.name}=" + univariate.default_method(ref.size, n_unique, spec.type),
        ) from exc
    score = float(out.score)
    result = ColumnDrift(
        column=spec.name,
        type=spec.type,
        role=spec.role,
        method=method,
        method_name=test.display_name,
        score=score,
        threshold=float(threshold),
        drifted=bool(out.drifted),
        score_kind=test.score_kind,
        drift_rule=univariate.drift_rule(test),
        statistic=None if out.statistic is None else float(out.statistic),
        reference_count=int(ref.size),
        current_count=int(cur.size),
        reference_missing=ref_missing,
        current_missing=cur_missing,
        infinite_dropped=inf,
        new_categories=new_categories or None,
    )
    return result, warnings, None


def _numeric(series: pd.Series) -> Tuple[np.ndarray, int, int]:
    """Finite values (float64, or float32 as stored) the caller may sort, missing and infinite counts."""
    if series.dtype in (np.float64, np.float32):
        # float32 stays float32: Evidently computes on the column as stored (wasserstein's
        # norm is float32 there), and scores must match it to the last digits
        arr = series.to_numpy()
    elif isinstance(series.dtype, pd.CategoricalDtype):
        arr = np.asarray(series.astype(float).to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(arr)
    if finite.all():
        return arr.copy(), 0, 0
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(arr.size - finite.sum() - n_nan)
    return arr[finite], n_nan, n_inf


def _categorical(ref: pd.Series, cur: pd.Series):
    """Codes of both sides over one sorted category list; missing (and ±inf) dropped."""
    ref_inf = cur_inf = 0
    if isinstance(ref.dtype, pd.CategoricalDtype) and isinstance(cur.dtype, pd.CategoricalDtype):
        cats = _sorted_values(pd.Index(ref.cat.categories).append(pd.Index(cur.cat.categories)).unique())
        ref_codes = ref.cat.set_categories(cats).cat.codes.to_numpy()
        cur_codes = cur.cat.set_categories(cats).cat.codes.to_numpy()
    else:
        ref, ref_inf = _inf_to_nan(ref)
        cur, cur_inf = _inf_to_nan(cur)
        combined = pd.concat([ref.astype(object) if isinstance(ref.dtype, pd.CategoricalDtype) else ref,
                              cur.astype(object) if isinstance(cur.dtype, pd.CategoricalDtype) else cur],
                             ignore_index=True)
        codes, uniques = pd.factorize(combined)
        order = _sort_order(uniques)
        remap = np.empty(len(uniques), dtype=np.int64)
        remap[order] = np.arange(len(uniques))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        cats = pd.Index(uniques).take(order)
        ref_codes, cur_codes = codes[: len(ref)], codes[len(ref):]
    ref_missing = int((ref_codes < 0).sum())
    cur_missing = int((cur_codes < 0).sum())
    ref_codes = ref_codes[ref_codes >= 0].astype(np.int64)
    cur_codes = cur_codes[cur_codes >= 0].astype(np.int64)
    return ref_codes, cur_codes, list(cats), ref_missing - ref_inf, cur_missing - cur_inf, ref_inf + cur_inf


def _inf_to_nan(series: pd.Series) -> Tuple[pd.Series, int]:
    if series.dtype.kind == "f":
        inf = np.isinf(series.to_numpy())
        n = int(inf.sum())
        if n:
            return series.mask(inf), n
    return series, 0


def _sort_order(values) -> np.ndarray:
    """Positions that sort ``values`` (mixed types fall back to (type name, text) order)."""
    seq = list(values)
    try:
        return np.array(sorted(range(len(seq)), key=seq.__getitem__), dtype=np.int64)
    except TypeError:
        keys = [(type(v).__name__, str(v)) for v in seq]
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def _sorted_values(index: pd.Index) -> pd.Index:
    return index.take(_sort_order(index))


def _n_unique_sorted(a: np.ndarray, b: np.ndarray) -> int:
    """Distinct values across two sorted arrays: exact up to 5, else a lower bound above 5.

    The automatic method choice only asks whether there are more than 5 (and the constant-column
    warning whether there is exactly 1), so large columns never pay for merging both sides.
    """
    na = nunique_sorted(a)
    if na > 5:
        return na
    nb = nunique_sorted(b)
    if nb > 5:
        return nb
    return int(np.union1d(unique_sorted(a), unique_sorted(b)).size)


def _method_for(spec: ColumnSpec, options: DriftOptions, n_reference: int, n_unique: int) -> str:
    if spec.name in options.column_methods:
        return options.column_methods[spec.name]
    if options.method:
        test = univariate.get(options.method)
        if spec.type in test.column_types:
            return options.method
    return univariate.default_method(n_reference, n_unique, spec.type)


# ---------------------------------------------------------------------------- dataset level


def _apply_fdr(results: Dict[str, ColumnDrift], q: float) -> None:
    from mlmon.stats.multiple_testing import benjamini_hochberg

    tested = [r for r in results.values() if r.score_kind == "p_value"]
    if not tested:
        return
    adjusted = benjamini_hochberg(np.array([r.score for r in tested]))
    for r, p_adj in zip(tested, adjusted):
        r.p_value_adjusted = float(p_adj)
        r.threshold = q
        r.drift_rule = "<="
        r.drifted = bool(p_adj <= q)


def _multivariate(
    reference: Table, current: Table, features: Dict[str, ColumnDrift], options: DriftOptions, warnings: List[str]
) -> Optional[Dict[str, Any]]:
    from mlmon.stats.mmd import mmd_test

    if options.multivariate != "mmd":
        raise MlmonError(f"unknown multivariate method {options.multivariate!r}", "--multivariate", "use --multivariate mmd")
    cols = [n for n, r in features.items() if r.type == NUMERICAL]
    if not cols:
        warnings.append("multivariate MMD skipped: no numerical feature columns")
        return None
    ref = reference.frame[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    cur = current.frame[cols].to_numpy(dtype=np.float64, na_value=np.nan)
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


def recommendations(result: DriftResult) -> List[str]:
    recs: List[str] = []
    drifted = sorted(
        (c for c in result.columns.values() if c.drifted),
        key=lambda c: -_strength(c),
    )
    if drifted:
        named = ", ".join(f"{c.column} ({c.method} {_fmt(c.score)})" for c in drifted[:5])
        more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
        recs.append(f"Investigate the upstream sources of the drifted features, strongest first: {named}{more}.")
    if result.severity == "critical":
        recs.append(
            "More than half of the features moved at once: look for a pipeline or schema change "
            "(units, encoding, a join that broke) before treating it as real-world drift."
        )
    elif result.severity == "degraded":
        recs.append("Check whether model quality moved with the inputs before retraining; drift alone is not degradation.")
    if result.target_drift and result.target_drift.drifted:
        recs.append(
            f"The target {result.target_drift.column} drifted ({result.target_drift.method} "
            f"{_fmt(result.target_drift.score)}): the base rate or label process changed; re-evaluate "
            "performance on recent labels and consider retraining on recent data."
        )
    if result.prediction_drift and result.prediction_drift.drifted:
        recs.append(
            f"The model's output {result.prediction_drift.column} shifted ({result.prediction_drift.method} "
            f"{_fmt(result.prediction_drift.score)}): expect downstream decision rates (approvals, alerts) to change."
        )
    mv = result.multivariate
    if mv and mv.get("drifted") and not drifted:
        recs.append(
            "No single feature drifted but the joint distribution did (MMD): check relationships "
            "between features (correlations, segments) rather than single columns."
        )
    big = max(result.reference.get("rows", 0), result.current.get("rows", 0))
    pval_drifted = [c for c in drifted if c.score_kind == "p_value"]
    if big > 100_000 and pval_drifted and result.fdr is None:
        recs.append(
            "With this many rows p-value tests flag even negligible shifts: confirm with a distance "
            "(--method wasserstein or psi) before acting."
        )
    if not drifted and not (mv and mv.get("drifted")):
        if result.n_columns:
            recs.append("No feature drifted beyond its threshold: keep monitoring on the usual schedule.")
    return recs


def _strength(c: ColumnDrift) -> float:
    if c.score_kind == "p_value":
        return -math.log10(max(c.score, 1e-300)) / max(-math.log10(max(c.threshold, 1e-300)), 1e-9)
    return c.score / c.threshold if c.threshold > 0 else c.score


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{x:.3g}"


def _check_options(options: DriftOptions) -> None:
    if not 0 < options.drift_share <= 1:
        raise MlmonError(f"--drift-share {options.drift_share} is outside (0, 1]", "command line", "use e.g. --drift-share 0.5")
    if options.threshold is not None and not (options.threshold >= 0 and math.isfinite(options.threshold)):
        raise MlmonError(f"--threshold {options.threshold} must be a finite number >= 0", "command line", "use e.g. --threshold 0.1")
    if options.fdr is not None and not 0 < options.fdr < 1:
        raise MlmonError(f"--fdr {options.fdr} is outside (0, 1)", "command line", "use e.g. --fdr 0.05")
    names = univariate.known_ids()
    for m in [options.method, *options.column_methods.values()]:
        if m is not None and m not in names:
            raise MlmonError(
                f"unknown drift method {m!r}",
                "command line",
                "use one of: " + ", ".join(names),
            )


def _check_column_methods(typing: Typing, options: DriftOptions) -> None:
    types = {c.name: c.type for c in typing.columns}
    for col, method in options.column_methods.items():
        if col not in types:
            where = "command line"
            if col in typing.skipped:
                raise MlmonError(f"--column-method {col}={method}: column is skipped ({typing.skipped[col]})", where, "drop the option or type the column explicitly")
            raise MlmonError(f"--column-method names unknown column {col!r}", where, "check the spelling against the file's header")
        test = univariate.get(method)
        if types[col] not in test.column_types:
            fits = sorted((t for t in univariate.available().values() if types[col] in t.column_types), key=lambda t: t.id.lower())
            raise MlmonError(
                f"--column-method {col}={method}: {method} does not apply to {types[col]} columns",
                "command line",
                f"use one of: {', '.join(t.id for t in fits)}",
            )


def _strict_json(obj):
    """Replace NaN and infinities by None so the JSON is strict."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict_json(v) for v in obj]
    if isinstance(obj, (np.floating,)):
        return _strict_json(float(obj))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
