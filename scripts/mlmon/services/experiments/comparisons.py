"""Every treatment against the control on every metric, and which differences count: p-values
adjusted for the number of comparisons (Holm or Benjamini-Hochberg), the mixture-SPRT p-value with
``always_valid``, the group-sequential boundary at a planned look."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from mlmon.errors import MlmonError, option
from mlmon.services.experiments.options import AbOptions
from mlmon.services.experiments.result import Comparison
from mlmon.stats import multiple_testing, sequential, two_sample


def numeric_column(frame, col: str, path: str, what: str) -> np.ndarray:
    import pandas as pd

    series = frame[col]
    if series.dtype == bool or str(series.dtype) == "boolean":
        series = series.astype("float64")
    if not pd.api.types.is_numeric_dtype(series.dtype):
        sample = ", ".join(repr(v) for v in series.dropna().astype(str).unique()[:3])
        raise MlmonError(f"{what} `{col}` is not numeric (values like {sample})", path,
                         "pass a column of numbers (0/1 for a binary metric)")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _metric_type(values: np.ndarray, col: str, requested: Optional[str], path: str) -> str:
    finite = values[~np.isnan(values)]
    is_binary = bool(np.all((finite == 0) | (finite == 1)))
    if requested == "binary" and not is_binary:
        raise MlmonError(f"metric `{col}` is not binary (values other than 0 and 1)", path,
                         f"use {option('metric_type')} continuous, or a 0/1 column")
    return requested or ("binary" if is_binary else "continuous")


def compare_all(frame, labels, control, treatments, options: AbOptions, path: str,
                warnings: List[str]) -> Tuple[List[Dict[str, Any]], List[Comparison]]:
    """Every treatment against the control on every metric (Welch's t, or the two-proportion z-test
    for a 0/1 metric without covariate; CUPED first when a covariate is given)."""
    metrics: List[Dict[str, Any]] = []
    comparisons: List[Comparison] = []
    for index, col in enumerate(options.metric_cols):
        y = numeric_column(frame, col, path, "metric")
        if np.isinf(y).any():
            raise MlmonError(f"metric `{col}` holds infinite values", path, "remove or cap them")
        keep = ~np.isnan(y)
        cov_col = options.covariates.get(col)
        x = None
        if cov_col:
            x = numeric_column(frame, cov_col, path, "covariate")
            keep &= np.isfinite(x)
        dropped = int((~keep).sum())
        if dropped:
            warnings.append(f"metric `{col}`: {dropped} rows with missing values left out")
        kind = _metric_type(y[keep], col, options.metric_type, path)
        info: Dict[str, Any] = {"name": col, "type": kind, "primary": index == 0, "covariate": cov_col}
        y_used, lab = y[keep], labels[keep]
        if x is not None:
            try:
                adj = two_sample.cuped(y_used, x[keep])
            except ValueError:
                raise MlmonError(f"covariate `{cov_col}` is constant", path, "CUPED needs a covariate that varies") from None
            info["cuped"] = {"theta": adj.theta, "variance_reduction": adj.variance_reduction}
            y_used = adj.adjusted
        metrics.append(info)
        for treatment in treatments:
            c, t = y_used[lab == control], y_used[lab == treatment]
            for arm, values in ((control, c), (treatment, t)):
                if values.size < 2:
                    raise MlmonError(f"variant `{arm}` has {values.size} usable rows for metric `{col}`", path,
                                     "each arm needs at least two rows with a value")
            try:
                if kind == "binary" and x is None:
                    res = two_sample.two_proportion_z(c.sum(), c.size, t.sum(), t.size, options.alpha)
                    test = "two_proportion_z"
                else:
                    res = two_sample.welch_t(c, t, options.alpha)
                    test = "welch_t"
            except ValueError:
                raise MlmonError(f"metric `{col}` has zero variance in both `{control}` and `{treatment}` "
                                 f"(every value is {c[0]:g})", path,
                                 "a constant metric cannot be compared; check the column or leave it out") from None
            comparisons.append(Comparison(
                control=control, treatment=treatment, metric=col, metric_type=kind, test=test,
                primary=index == 0, cuped=cov_col is not None,
                control_n=res.control_n, treatment_n=res.treatment_n,
                control_mean=res.control_mean, treatment_mean=res.treatment_mean,
                lift=res.relative_lift, lift_ci=list(res.relative_lift_ci) if res.relative_lift_ci else [None, None],
                absolute_lift=res.difference, absolute_lift_ci=list(res.difference_ci),
                statistic=res.statistic, df=res.df, standard_error=res.standard_error,
                p_value=res.p_value,
            ))
    return metrics, comparisons


def decide_significance(comparisons: List[Comparison], options: AbOptions,
                        seq_info: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Adjusted p-values and significance of every comparison: the always-valid p-value replaces the
    fixed-horizon one when asked; at a planned look the boundary decides instead."""
    m = len(comparisons)
    if options.always_valid:
        for comp in comparisons:
            tau = options.mixture_sd if options.mixture_sd is not None else (options.mde or 0.0)
            if not tau > 0:
                tau = 0.1 * abs(comp.control_mean) or 1.0
            av = sequential.msprt(comp.absolute_lift, comp.standard_error ** 2, tau ** 2, options.alpha)
            comp.always_valid = {"p_value": av.p_value, "ci": list(av.ci), "mixture_sd": tau,
                                    "likelihood_ratio": av.likelihood_ratio}
    p_values = [c.always_valid["p_value"] if options.always_valid else c.p_value for c in comparisons]
    if options.correction == "holm":
        adjusted = multiple_testing.holm(p_values)
    elif options.correction == "bh":
        adjusted = multiple_testing.benjamini_hochberg(p_values)
    else:
        adjusted = np.asarray(p_values, dtype=float)
    for comp, adj in zip(comparisons, adjusted):
        comp.p_value_adjusted = float(adj)
        comp.significant = bool(adj < options.alpha)
    if options.look is None:
        return seq_info
    # planned looks: each comparison gets the boundary of a Bonferroni share of alpha
    bounds = sequential.group_sequential_boundaries(options.of, options.alpha / m, options.spending)
    k = options.look - 1
    seq_info.update({
        "alpha_per_comparison": options.alpha / m,
        "comparisons": m,
        # the boundary `mlmon ab plan` shows is for the whole alpha (one comparison); with m
        # comparisons each gets alpha/m (Bonferroni), so its boundary at this look is higher
        "plan_boundary": sequential.group_sequential_boundaries(options.of, options.alpha, options.spending).z[k],
        "boundary_reason": (f"Bonferroni: alpha {options.alpha:g} split over {m} comparisons "
                            f"({options.alpha / m:.4g} each)") if m > 1 else None,
        "boundaries": [{"look": i + 1, "information_fraction": t, "z": z, "nominal_p": p}
                       for i, (t, z, p) in enumerate(zip(bounds.information_fraction, bounds.z, bounds.nominal_p))],
        "boundary": bounds.z[k],
    })
    for comp in comparisons:
        crossed = abs(comp.statistic) >= bounds.z[k]
        comp.sequential = {"look": options.look, "of": options.of, "boundary": bounds.z[k], "crossed": bool(crossed)}
        comp.significant = bool(crossed)
    return seq_info

