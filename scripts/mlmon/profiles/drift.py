"""Drift against a profile: the drift check's result, computed from summaries.

:func:`drift_from_profiles` follows :func:`mlmon.services.drift.compute_drift` step for step
(column typing, Evidently's automatic choice of test, thresholds, FDR, drift share, severity,
recommendations) and returns the same :class:`~mlmon.services.drift.DriftResult`. What differs
is where each number comes from:

- exact, and equal to the row-based check: every test while both sides still hold their exact
  values (small columns); every count test on categorical columns (chi-square, z, G, PSI,
  Jensen-Shannon, KL, Hellinger) while no side's categories were truncated; KS and
  Wasserstein on numerical columns with few distinct values (exact value counts);
- exact *given the profile's bins*: PSI, Jensen-Shannon, KL and Hellinger on numerical columns,
  on Evidently's Sturges bins (edges from the exact minimum, maximum and count) snapped to the
  profile's fine value-determined bins;
- bounded: KS and Wasserstein on numerical columns otherwise, from the fine histogram and the
  KLL sketch, whichever bounds the statistic tighter. Such a column carries ``approximate``,
  ``error_bound`` (on the statistic for KS, on the score for Wasserstein), ``score_bounds`` and
  ``verdict_certain`` (false when the bound straddles the threshold).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError
from mlmon.io.columns import check_same_columns
from mlmon.profiles.profile import NUMERIC_KINDS, ColumnProfile, Profile, profile_frame
from mlmon.profiles.sketch import bins_edges
from mlmon.services.drift import (
    ColumnDrift,
    DriftOptions,
    DriftResult,
    _apply_fdr,
    _check_options,
    assemble_result,
    feature_results,
)
from mlmon.stats import from_counts as fc
from mlmon.stats import univariate
from mlmon.stats.univariate import CATEGORICAL, NUMERICAL
from mlmon.stats.univariate._binning import MAX_VALUE_BINS, sturges_edges

INTEGER_CARDINALITY_LIMIT = 10
_Named = namedtuple("_Named", "path columns")  # what check_same_columns reads of a table
KS_EXACT_MAX_N = 10_000  # the ks kernel's exact-distribution limit (scipy's ks_2samp "auto")

#: tests a profile can answer (the rest need the rows: permutations, ranks, energy, MMD)
PROFILE_METHODS = ("chisquare", "g_test", "hellinger", "jensenshannon", "kl_div", "ks", "psi", "wasserstein", "z")
_COUNT_TESTS = {"chisquare": fc.chisquare_counts, "z": fc.z_counts, "g_test": fc.g_test_counts}
_BIN_TESTS = {"psi": fc.psi_counts, "jensenshannon": fc.jensenshannon_counts, "kl_div": fc.kl_div_counts}


@dataclass
class ProfileColumnDrift(ColumnDrift):
    """A column's drift from profiles: the usual fields plus how exact the score is."""

    approximate: bool = False
    error_bound: Optional[float] = None
    statistic_bounds: Optional[List[float]] = None
    score_bounds: Optional[List[float]] = None
    verdict_certain: bool = True
    basis: str = "exact"

    def to_dict(self) -> Dict[str, Any]:
        d = super().to_dict()
        if not self.approximate:
            for key in ("error_bound", "statistic_bounds", "score_bounds"):
                d.pop(key, None)
        return d


def drift_from_profiles(
    reference: Profile,
    current: Union[Profile, pd.DataFrame],
    options: Optional[DriftOptions] = None,
    *,
    reference_path: Optional[str] = None,
    current_path: Optional[str] = None,
    current_kinds: Optional[Dict[str, str]] = None,
) -> DriftResult:
    """Drift of ``current`` (a profile, or rows to profile) against a reference profile."""
    options = options or DriftOptions()
    if isinstance(current, pd.DataFrame):
        current = profile_frame(current, reference.options, current_kinds)
    if options.multivariate:
        raise MlmonError("the multivariate test needs the rows, a profile holds summaries", "--multivariate",
                         "run the drift check on the data files, or drop --multivariate")
    _check_options(options)
    ref_path = reference_path or (", ".join(reference.sources) or "reference profile")
    cur_path = current_path or (", ".join(current.sources) or "current profile")
    _check_same_columns(reference, current, options.exclude, ref_path, cur_path)
    specs, skipped = _assign_types(reference, current, options, cur_path)
    _check_column_methods(specs, skipped, options)

    warnings: List[str] = []
    results: Dict[str, ProfileColumnDrift] = {}
    for name, (ctype, role) in specs.items():
        res, reason = _column_drift(name, ctype, role, reference.columns[name], current.columns[name], options, warnings)
        if reason:
            skipped[name] = reason
        else:
            results[name] = res

    if options.fdr is not None:
        _apply_fdr(results, options.fdr)
        for r in results.values():
            if r.approximate and r.score_kind == "p_value":
                r.verdict_certain = False  # the bounds hold for the raw p-value, not the adjusted one

    features = feature_results(results, warnings)
    uncertain = [r.column for r in features.values() if not r.verdict_certain]
    late = []
    if uncertain:
        late.append(
            "verdict uncertain (the score's error bound straddles the threshold): " + ", ".join(uncertain)
            + "; profile with a larger --bins-per-octave or --sketch-k, or compare the data files")
    # "profile": this side was compared through its summary, not its rows
    return assemble_result(
        {"path": ref_path, "rows": reference.rows, "profile": True},
        {"path": cur_path, "rows": current.rows, "profile": True},
        results, skipped, warnings, options, late_warnings=late,
    )


# ---------------------------------------------------------------------------- typing


def _check_same_columns(reference: Profile, current: Profile, exclude: Sequence[str], ref_path: str, cur_path: str) -> None:
    """The row check's rule and message, on the profiles' column lists."""
    check_same_columns(_Named(ref_path, reference.column_names), _Named(cur_path, current.column_names), exclude)


def _assign_types(reference: Profile, current: Profile, options: DriftOptions, cur_path: str):
    """Column types as :func:`mlmon.io.columns.assign_types` gives them, read off the profiles."""
    known = set(reference.columns) | set(current.columns)
    for flag, cols in (("--numerical", options.numerical), ("--categorical", options.categorical), ("--exclude", options.exclude)):
        unknown = [c for c in cols if c not in known]
        if unknown:
            raise MlmonError(f"{flag} names unknown column(s): {', '.join(unknown)}", cur_path, "check the spelling against the profile's columns")
    for flag, col in (("--target", options.target), ("--prediction", options.prediction)):
        if col is not None and col not in known:
            raise MlmonError(f"{flag} names unknown column: {col}", cur_path, "check the spelling against the profile's columns")
    both = set(options.numerical) & set(options.categorical)
    if both:
        raise MlmonError("column given as both --numerical and --categorical: " + ", ".join(sorted(both)),
                         "command line", "name each column in one of the two")
    specs: Dict[str, Tuple[str, str]] = {}
    skipped: Dict[str, str] = {}
    for name in current.columns:
        if name in options.exclude or name not in reference.columns:
            continue
        rc, cc = reference.columns[name], current.columns[name]
        _check_compatible(name, rc, cc)
        role = "target" if name == options.target else "prediction" if name == options.prediction else "feature"
        if name in options.numerical:
            for c in (rc, cc):
                if c.kind not in NUMERIC_KINDS + ("empty",):
                    raise MlmonError(f"--numerical {name}: column holds {c.kind} values, not numbers", cur_path,
                                     "drop it from --numerical or fix the column")
            specs[name] = (NUMERICAL, role)
            continue
        if name in options.categorical:
            specs[name] = (CATEGORICAL, role)
            continue
        ctype, reason = _infer(cc)
        if ctype is None:
            skipped[name] = reason
        else:
            specs[name] = (ctype, role)
    return specs, skipped


def _infer(c: ColumnProfile):
    if c.kind == "float":
        return NUMERICAL, ""
    if c.kind == "int":
        n = c.n_distinct
        return (CATEGORICAL, "") if n is not None and n <= INTEGER_CARDINALITY_LIMIT else (NUMERICAL, "")
    if c.kind in ("bool", "category"):
        return CATEGORICAL, ""
    if c.kind == "string":
        distinct = len(c.categories or {}) + (1 if c.truncated else 0)
        if c.truncated or distinct > c.present * 0.5:
            more = "more than " if c.truncated else ""
            return None, (
                f"text-like: {more}{len(c.categories or {})} distinct values in {c.present} rows (an id or free text); "
                f"use --categorical {c.name} to test it anyway"
            )
        return CATEGORICAL, ""
    if c.kind == "datetime":
        return None, "datetime column: not a feature to drift-test"
    if c.kind == "empty":
        return None, "all values missing"
    return None, "mixed or nested values: cannot be typed; use --categorical to test it as categories"


def _check_compatible(name: str, rc: ColumnProfile, cc: ColumnProfile) -> None:
    numeric, texty = set(NUMERIC_KINDS), {"string", "category"}
    if (rc.kind in numeric and cc.kind in texty) or (rc.kind in texty and cc.kind in numeric):
        raise MlmonError(
            f"column {name!r} is {'numeric' if rc.kind in numeric else 'text'} in reference but "
            f"{'numeric' if cc.kind in numeric else 'text'} in current",
            "profiles", "fix the export so both sides hold the same type, or --exclude the column")


def _check_column_methods(specs, skipped, options: DriftOptions) -> None:
    for m in [options.method, *options.column_methods.values()]:
        if m is not None and m not in PROFILE_METHODS:
            raise MlmonError(f"drift method {m!r} needs the rows, a profile holds summaries", "command line",
                             "with profiles use one of: " + ", ".join(PROFILE_METHODS))
    for col, method in options.column_methods.items():
        if col not in specs:
            if col in skipped:
                raise MlmonError(f"--column-method {col}={method}: column is skipped ({skipped[col]})", "command line",
                                 "drop the option or type the column explicitly")
            raise MlmonError(f"--column-method names unknown column {col!r}", "command line", "check the spelling against the profile's columns")
        test = univariate.get(method)
        if specs[col][0] not in test.column_types:
            raise MlmonError(f"--column-method {col}={method}: {method} does not apply to {specs[col][0]} columns", "command line",
                             "see `mlmon methods`")


# ---------------------------------------------------------------------------- per column


def _column_drift(name, ctype, role, rc: ColumnProfile, cc: ColumnProfile, options: DriftOptions, warnings: List[str]):
    rn, cn = rc.numeric, cc.numeric
    infinite = (rn.infinite if rn else 0) + (cn.infinite if cn else 0)
    if infinite:
        warnings.append(f"{name}: {infinite} infinite value(s) dropped")
    if ctype == NUMERICAL:
        n_ref, n_cur = (rn.count if rn else 0), (cn.count if cn else 0)
    else:
        n_ref, n_cur = _categorical_size(rc), _categorical_size(cc)
    if n_ref == 0 or n_cur == 0:
        where = "" if n_ref == n_cur else " in reference" if n_ref == 0 else " in current"
        return None, f"all values missing{where}"

    new_categories: List[str] = []
    if ctype == CATEGORICAL:
        keys, ref_counts, cur_counts = _category_counts(name, rc, cc)
        if keys is None:
            return None, ("too many distinct values to test as categories from a profile "
                          f"(profiles keep value counts for at most {rc.numeric and 'a few'} numbers)")
        n_unique = len(keys)
        new = [k for k, r, c in zip(keys, ref_counts, cur_counts) if r == 0 and c > 0 and k != _OTHER]
        if new:
            new_categories = [str(k) for k in new[:20]]
            rows = int(sum(c for k, r, c in zip(keys, ref_counts, cur_counts) if r == 0 and c > 0 and k != _OTHER))
            more = f" and {len(new) - 20} more" if len(new) > 20 else ""
            warnings.append(
                f"{name}: {len(new)} categor{'y' if len(new) == 1 else 'ies'} only in current "
                f"({', '.join(new_categories[:5])}{', ...' if len(new) > 5 else ''}{more}; {rows} rows)")
        if rc.truncated or cc.truncated:
            warnings.append(f"{name}: more distinct values than the profile keeps; the rarest are pooled into one 'other' bin")
    else:
        n_unique = _n_unique_numeric(rn, cn)
    if n_unique == 1:
        warnings.append(f"{name}: constant column (one value on both sides)")

    method = _method_for(name, ctype, options, n_ref, n_unique)
    test = univariate.get(method)
    threshold = options.column_thresholds.get(name, options.threshold)
    if threshold is None:
        threshold = test.default_threshold
    out = _Outcome()
    try:
        with np.errstate(all="ignore"):
            if ctype == CATEGORICAL:
                out = _categorical_test(method, ref_counts, cur_counts, threshold)
            else:
                out = _numerical_test(method, rn, cn, threshold, rc.kind)
    except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
        reason = " ".join(str(exc).split())[:160]
        if name not in options.column_methods:
            return None, f"{method} cannot be computed here: {reason}"
        raise MlmonError(f"{method} cannot be computed for column {name!r}: {reason}", "drift method",
                         f"choose another method for it, e.g. --column-method {name}=" + univariate.default_method(n_ref, n_unique, ctype)) from exc
    if out.note:
        warnings.append(f"{name}: {out.note}")
    result = ProfileColumnDrift(
        column=name, type=ctype, role=role, method=method, method_name=test.display_name,
        score=float(out.score), threshold=float(threshold), drifted=bool(out.drifted), score_kind=test.score_kind,
        drift_rule=univariate.drift_rule(test), statistic=None if out.statistic is None else float(out.statistic),
        reference_count=int(n_ref), current_count=int(n_cur),
        reference_missing=rc.missing, current_missing=cc.missing, infinite_dropped=infinite,
        new_categories=new_categories or None,
        approximate=out.approximate, error_bound=out.error_bound,
        statistic_bounds=out.statistic_bounds, score_bounds=out.score_bounds,
        verdict_certain=out.verdict_certain, basis=out.basis,
    )
    return result, None


@dataclass
class _Outcome:
    score: float = float("nan")
    drifted: bool = False
    statistic: Optional[float] = None
    approximate: bool = False
    error_bound: Optional[float] = None
    statistic_bounds: Optional[List[float]] = None
    score_bounds: Optional[List[float]] = None
    verdict_certain: bool = True
    basis: str = "exact"
    note: str = ""


_OTHER = "(other)"


def _categorical_size(c: ColumnProfile) -> int:
    if c.categories is not None:
        return sum(c.categories.values()) + c.other
    if c.numeric is not None:
        return c.numeric.count
    return 0


def _category_counts(name: str, rc: ColumnProfile, cc: ColumnProfile):
    """Sorted category keys with both sides' counts; folded values pooled into one last bin."""
    ref_map, ref_other, ref_trunc = _counts_map(rc)
    cur_map, cur_other, cur_trunc = _counts_map(cc)
    if ref_map is None or cur_map is None:
        return None, None, None
    keys = set(ref_map) | set(cur_map)
    if ref_trunc or cur_trunc:
        # a value is its own bin only where every truncated side still counts it exactly
        keys = {k for k in keys if (not ref_trunc or k in ref_map) and (not cur_trunc or k in cur_map)}
    ordered = _sorted_keys(keys)
    ref_counts = np.array([ref_map.get(k, 0) for k in ordered], dtype=np.int64)
    cur_counts = np.array([cur_map.get(k, 0) for k in ordered], dtype=np.int64)
    ref_rest = sum(ref_map.values()) + ref_other - int(ref_counts.sum())
    cur_rest = sum(cur_map.values()) + cur_other - int(cur_counts.sum())
    if ref_rest or cur_rest:
        ordered.append(_OTHER)
        ref_counts = np.append(ref_counts, ref_rest)
        cur_counts = np.append(cur_counts, cur_rest)
    seen = (ref_counts + cur_counts) > 0
    return [k for k, s in zip(ordered, seen) if s], ref_counts[seen], cur_counts[seen]


def _counts_map(c: ColumnProfile):
    if c.categories is not None:
        return c.categories, c.other, c.truncated
    if c.numeric is not None:
        if c.numeric.value_counts is None:
            return None, 0, False
        if c.kind == "int":  # keys are kept as floats; name them as the data does
            return {int(k): v for k, v in c.numeric.value_counts.items()}, 0, False
        return c.numeric.value_counts, 0, False
    return {}, 0, False


def _sorted_keys(keys) -> list:
    seq = list(keys)
    try:
        return sorted(seq)
    except TypeError:
        return sorted(seq, key=lambda v: (type(v).__name__, str(v)))


def _n_unique_numeric(rn, cn) -> int:
    if rn.value_counts is not None and cn.value_counts is not None:
        return len(set(rn.value_counts) | set(cn.value_counts))
    return max(len(rn.value_counts or ()), len(cn.value_counts or ()), 33)  # > max_numeric_values: many


def _method_for(name, ctype, options: DriftOptions, n_reference: int, n_unique: int) -> str:
    if name in options.column_methods:
        return options.column_methods[name]
    if options.method:
        if ctype in univariate.get(options.method).column_types:
            return options.method
    return univariate.default_method(n_reference, n_unique, ctype)


def _categorical_test(method: str, ref_counts, cur_counts, threshold) -> _Outcome:
    if method in _COUNT_TESTS:
        r = _COUNT_TESTS[method](ref_counts, cur_counts, threshold)
    elif method in _BIN_TESTS:
        r = _BIN_TESTS[method](ref_counts, cur_counts, threshold)
    elif method == "hellinger":
        r = fc.hellinger_counts(ref_counts, cur_counts, threshold)
    else:
        raise ValueError(f"{method} does not apply to categorical columns")
    return _Outcome(score=r.score, drifted=r.drifted, statistic=r.statistic, basis="exact counts")


def _numerical_test(method: str, rn, cn, threshold: float, kind: str) -> _Outcome:
    if rn.values is not None and cn.values is not None:
        test = univariate.get(method)
        r = test(rn.values, cn.values, NUMERICAL, threshold, presorted=True)
        return _Outcome(score=r.score, drifted=r.drifted, statistic=r.statistic, basis="exact values")
    if method in _COUNT_TESTS:
        if rn.value_counts is None or cn.value_counts is None:
            raise ValueError("more distinct values than a profile counts exactly")
        keys = _sorted_keys(set(rn.value_counts) | set(cn.value_counts))
        r = _COUNT_TESTS[method](np.array([rn.value_counts.get(k, 0) for k in keys]),
                                 np.array([cn.value_counts.get(k, 0) for k in keys]), threshold)
        return _Outcome(score=r.score, drifted=r.drifted, statistic=r.statistic, basis="exact value counts")
    if method in _BIN_TESTS or method == "hellinger":
        return _binned_test(method, rn, cn, threshold)
    if method == "ks":
        return _ks(rn, cn, threshold)
    if method == "wasserstein":
        return _wasserstein(rn, cn, threshold)
    raise ValueError(f"{method} is not available from a profile")


def _binned_test(method: str, rn, cn, threshold: float) -> _Outcome:
    """Histogram tests on Evidently's bins: value bins for few reference values, else Sturges
    bins from the exact extremes and counts, snapped to the fine grid."""
    if rn.value_counts is not None and len(rn.value_counts) <= MAX_VALUE_BINS and cn.value_counts is not None:
        keys = _sorted_keys(set(rn.value_counts) | set(cn.value_counts))
        ref = np.array([rn.value_counts.get(k, 0) for k in keys])
        cur = np.array([cn.value_counts.get(k, 0) for k in keys])
        if method == "hellinger":
            # Evidently's numerical Hellinger: Sturges bins over the distinct values
            edges = sturges_edges(keys[0], keys[-1], len(keys))
            r = fc.hellinger_density(np.histogram(keys, edges, weights=ref)[0], np.histogram(keys, edges, weights=cur)[0],
                                     edges, threshold)
            return _Outcome(score=r.score, drifted=r.drifted, basis="exact value counts")
        r = _BIN_TESTS[method](ref, cur, threshold)
        return _Outcome(score=r.score, drifted=r.drifted, basis="exact value counts")
    if method == "hellinger":
        n_distinct = int(np.union1d(rn.bin_keys, cn.bin_keys).size)
        edges = _hellinger_edges(rn, cn, n_distinct)
    else:
        edges = sturges_edges(min(rn.min, cn.min), max(rn.max, cn.max), rn.count + cn.count)
    ref, ref_edges = _snap(rn, edges)
    cur, _ = _snap(cn, edges)
    note = ""
    occupied = int(np.union1d(rn.bin_keys, cn.bin_keys).size)
    if occupied < edges.size - 1:
        note = (f"the profile's fine bins ({occupied} occupied) are coarser than the test's {edges.size - 1} bins "
                "(values spread little relative to their size): read this histogram score with care")
    if method == "hellinger":
        r = fc.hellinger_density(ref, cur, ref_edges, threshold)
    else:
        r = _BIN_TESTS[method](ref, cur, threshold)
    return _Outcome(score=r.score, drifted=r.drifted, basis="sturges bins snapped to the fine grid", note=note)


def _hellinger_edges(rn, cn, n_distinct: int) -> np.ndarray:
    return sturges_edges(min(rn.min, cn.min), max(rn.max, cn.max), max(n_distinct, 1))


def _snap(n, edges: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Counts per coarse bin, each fine bin going wholly to the coarse bin holding its left end.

    Returns the counts and the snapped edges (each coarse edge moved to the left end of the fine
    bin that holds it)."""
    left, _ = bins_edges(n.bin_keys, n.bpo)
    left = np.maximum(left, n.min)
    idx = np.clip(np.searchsorted(edges, left, side="right") - 1, 0, edges.size - 2)
    counts = np.bincount(idx, weights=n.bin_counts, minlength=edges.size - 1).astype(np.int64)
    return counts, edges


def _ks(rn, cn, threshold: float) -> _Outcome:
    if rn.value_counts is not None and cn.value_counts is not None:
        keys = _sorted_keys(set(rn.value_counts) | set(cn.value_counts))
        if max(rn.count, cn.count) <= KS_EXACT_MAX_N:
            # small enough for the exact distribution the row check uses: rebuild the samples
            ref = np.repeat(keys, [rn.value_counts.get(k, 0) for k in keys])
            cur = np.repeat(keys, [cn.value_counts.get(k, 0) for k in keys])
            r = univariate.get("ks")(ref, cur, NUMERICAL, threshold, presorted=True)
            return _Outcome(score=r.score, drifted=r.drifted, statistic=r.statistic, basis="exact value counts")
        b = fc.ks_from_histograms(np.array([rn.value_counts.get(k, 0) for k in keys]),
                                  np.array([cn.value_counts.get(k, 0) for k in keys]))
        d = b.low  # on single values the lower bound is the statistic itself
        p = fc.ks_pvalue(d, rn.count, cn.count)
        return _Outcome(score=p, drifted=p <= threshold, statistic=d, basis="exact value counts")
    keys, ref, cur = _aligned_bins(rn, cn)
    hist = fc.ks_from_histograms(ref, cur, points=keys == 0)  # zero's bin is a single value
    points = np.union1d(rn.sketch.items()[0], cn.sketch.items()[0])
    sk = fc.ks_from_cdfs(rn.sketch.cdf(points), cn.sketch.cdf(points), rn.sketch.rank_error, cn.sketch.rank_error)
    # the estimate is the histogram's lower end, |F_ref - F_cur| at real points: it depends on exact
    # counts only (KLL compacts at random, so a sketch estimate would change from run to run), and
    # moves only where the sketches prove the statistic larger
    b = fc.intersect(fc.Bounded(hist.low, hist.low, hist.high), sk, keep="a")
    d = b.estimate
    p = fc.ks_pvalue(d, rn.count, cn.count)
    p_lo, p_hi = fc.ks_pvalue(b.high, rn.count, cn.count), fc.ks_pvalue(b.low, rn.count, cn.count)
    certain = (p_hi <= threshold) == (p_lo <= threshold)
    approximate = b.high > b.low
    return _Outcome(score=p, drifted=p <= threshold, statistic=d, approximate=approximate,
                    error_bound=b.error_bound, statistic_bounds=[b.low, b.high], score_bounds=[p_lo, p_hi],
                    verdict_certain=certain, basis="fine histogram and KLL sketch")


def _aligned_bins(rn, cn) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = np.union1d(rn.bin_keys, cn.bin_keys)
    ref = np.zeros(keys.size, dtype=np.int64)
    cur = np.zeros(keys.size, dtype=np.int64)
    ref[np.searchsorted(keys, rn.bin_keys)] = rn.bin_counts
    cur[np.searchsorted(keys, cn.bin_keys)] = cn.bin_counts
    return keys, ref, cur


def _wasserstein(rn, cn, threshold: float) -> _Outcome:
    std = rn.std
    norm = max(std, 0.001)
    if rn.value_counts is not None and cn.value_counts is not None:
        rk, rw = zip(*sorted(rn.value_counts.items()))
        ck, cw = zip(*sorted(cn.value_counts.items()))
        w = fc.wasserstein_weighted(np.array(rk), np.array(rw), np.array(ck), np.array(cw))
        score = w / norm
        return _Outcome(score=score, drifted=score >= threshold, basis="exact value counts")
    # histogram: each bin's mass at the middle of the bin clipped to the side's extremes
    hist_w, hist_err = _hist_wasserstein(rn, cn)
    rx, rw = rn.sketch.items()
    cx, cw = cn.sketch.items()
    sk_w = fc.wasserstein_weighted(rx, rw, cx, cw)
    sk_err = (rn.sketch.rank_error + cn.sketch.rank_error) * (max(rn.max, cn.max) - min(rn.min, cn.min))
    w, err, basis = (hist_w, hist_err, "fine histogram") if hist_err <= sk_err else (sk_w, sk_err, "KLL sketch")
    score, score_err = w / norm, err / norm
    lo, hi = max(score - score_err, 0.0), score + score_err
    certain = (lo >= threshold) == (hi >= threshold)
    return _Outcome(score=score, drifted=score >= threshold, approximate=err > 0, error_bound=score_err,
                    statistic_bounds=None, score_bounds=[lo, hi], verdict_certain=certain, basis=basis)


def _hist_wasserstein(rn, cn) -> Tuple[float, float]:
    def points(n):
        left, right = bins_edges(n.bin_keys, n.bpo)
        left, right = np.maximum(left, n.min), np.minimum(right, n.max)
        right = np.maximum(left, right)
        mid = (left + right) / 2
        err = float(np.dot(n.bin_counts, (right - left) / 2)) / n.count
        return mid, n.bin_counts, err

    rm, rw, re = points(rn)
    cm, cw, ce = points(cn)
    return fc.wasserstein_weighted(rm, rw, cm, cw), re + ce
