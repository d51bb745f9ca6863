"""A/B tests of model versions: analysis of an experiment's events, and planning.

:func:`analyze` reads one row per unit (variant, metrics, optional pre-period covariates and
guardrail columns) and answers three questions in order:

1. **Is the experiment healthy?** Sample ratio mismatch against the planned split; a mismatch
   (p < 0.001) stops the analysis, since any lift computed from broken assignment is biased.
2. **Is anything broken?** Guardrails (error rate, p99 latency) against the config's bounds,
   each with a one-sided exact binomial test: *pass* when the treatment is shown within the
   bound (non-inferiority), *fail* when it is shown beyond it, *inconclusive* otherwise.
3. **Does it win?** Every treatment against the control on every metric (Welch's t or the
   two-proportion z-test, CUPED when a covariate is given), p-values adjusted for the number of
   comparisons (Holm or Benjamini-Hochberg); at an interim look (``look``/``of``) the z
   statistic is compared with the group-sequential boundary instead, and with ``always_valid``
   the mixture-SPRT p-value replaces the fixed-horizon one.

The first metric is the primary one: it decides SHIP or REVERT; the others are reported and
named in the reasons when they move significantly.

:func:`plan` gives the sample size per arm and, for planned looks, the boundaries.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from mlmon.errors import MlmonError
from mlmon.stats import multiple_testing, power as power_kernels, sequential, srm as srm_kernel, two_sample

SCHEMA_VERSION = 1
RECOMMENDATIONS = ("SHIP", "REVERT", "CONTINUE", "STOP", "NO_DECISION")
CORRECTIONS = ("holm", "bh", "none")
METRIC_TYPES = ("binary", "continuous")
LATENCY_UNITS = {"ms": 0.001, "s": 1.0}


@dataclass
class GuardrailSpec:
    """A limit the treatment must stay within: ``rate`` (share of 1s in a 0/1 column below
    ``bound``) or ``quantile`` (the ``quantile`` of a column below ``bound``, in the column's unit)."""

    name: str
    column: str
    kind: str
    bound: float
    quantile: Optional[float] = None
    unit: str = ""


@dataclass
class AbOptions:
    variant_col: str
    metric_cols: List[str]
    control: Optional[str] = None
    metric_type: Optional[str] = None
    expected_split: Optional[Dict[str, float]] = None
    split_from_config: bool = False
    covariates: Dict[str, str] = field(default_factory=dict)  # metric -> pre-period column
    alpha: float = 0.05
    correction: str = "holm"
    look: Optional[int] = None
    of: Optional[int] = None
    spending: str = "obf"
    always_valid: bool = False
    mixture_sd: Optional[float] = None
    guardrails: List[GuardrailSpec] = field(default_factory=list)
    mde: Optional[float] = None          # absolute, for "has it enough data yet" (CONTINUE)
    power: float = 0.8
    experiment: Optional[str] = None


# ---------------------------------------------------------------------------- config


def options_from_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """AbOptions fields from a validated monitoring config's ``experiments`` section. Guardrail
    bounds come back as ``latency_p99_max_seconds`` and ``error_rate_max`` for the caller to
    attach to columns."""
    from mlmon.services.config import parse_duration

    exp = (config or {}).get("experiments") or {}
    out: Dict[str, Any] = {}
    if exp.get("significance") is not None:
        out["alpha"] = float(exp["significance"])
    if exp.get("power") is not None:
        out["power"] = float(exp["power"])
    if exp.get("minimum_detectable_effect") is not None:
        out["mde"] = float(exp["minimum_detectable_effect"])
    if exp.get("traffic_split"):
        out["expected_split"] = {str(k): float(v) for k, v in exp["traffic_split"].items()}
        out["split_from_config"] = True
    guard = exp.get("guardrails") or {}
    if guard.get("latency_p99_max") is not None:
        out["latency_p99_max_seconds"] = parse_duration(str(guard["latency_p99_max"]))
    if guard.get("error_rate_max") is not None:
        out["error_rate_max"] = float(guard["error_rate_max"])
    return out


def latency_guardrail(column: str, bound_seconds: float, unit: str = "ms") -> GuardrailSpec:
    if unit not in LATENCY_UNITS:
        raise MlmonError(f"unknown latency unit {unit!r}", "--latency-unit", "use ms or s")
    return GuardrailSpec("latency_p99", column, "quantile", bound_seconds / LATENCY_UNITS[unit], 0.99, unit)


def error_rate_guardrail(column: str, bound: float) -> GuardrailSpec:
    return GuardrailSpec("error_rate", column, "rate", bound)


# ---------------------------------------------------------------------------- result


@dataclass
class AbResult:
    experiment: str
    source: Dict[str, Any]
    variant_col: str
    control: str
    treatments: List[str]
    metrics: List[Dict[str, Any]]
    srm: Dict[str, Any]
    comparisons: List[Dict[str, Any]]
    guardrails: List[Dict[str, Any]]
    settings: Dict[str, Any]
    sequential: Optional[Dict[str, Any]]
    verdicts: Dict[str, str]
    recommendation: str
    reasons: List[str]
    warnings: List[str]

    def to_dict(self) -> Dict[str, Any]:
        return _strict({
            "schema_version": SCHEMA_VERSION,
            "kind": "ab",
            "experiment": self.experiment,
            "source": self.source,
            "variant_col": self.variant_col,
            "control": self.control,
            "treatments": self.treatments,
            "metrics": self.metrics,
            "settings": self.settings,
            "srm": self.srm,
            "comparisons": self.comparisons,
            "guardrails": self.guardrails,
            "sequential": self.sequential,
            "verdicts": self.verdicts,
            "recommendation": self.recommendation,
            "reasons": self.reasons,
            "warnings": self.warnings,
        })


def _strict(value):
    """JSON-safe: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


# ---------------------------------------------------------------------------- analysis


def analyze(table, options: AbOptions) -> AbResult:
    """Analyse one experiment; ``table`` is an :class:`mlmon.io.tables.Table`."""
    frame, path = table.frame, table.path
    warnings: List[str] = []
    _check_options(options)
    _require_columns(table, options)

    variants = frame[options.variant_col]
    missing_variant = int(variants.isna().sum())
    if missing_variant:
        warnings.append(f"{missing_variant} rows without a variant in `{options.variant_col}` left out")
    frame = frame[variants.notna()]
    labels = frame[options.variant_col].astype(str).to_numpy()
    names = sorted(set(labels.tolist()))
    if len(names) < 2:
        shown = names[0] if names else "none"
        raise MlmonError(f"only one variant ({shown}) in column `{options.variant_col}`",
                         path, "an experiment needs a control and at least one treatment in the data")
    control = _control(options, names, path)
    treatments = [n for n in names if n != control]
    split_names, weights = _split(options, names, path, warnings)

    observed = {n: int((labels == n).sum()) for n in split_names}
    srm = srm_kernel.sample_ratio_mismatch([observed[n] for n in split_names], weights)
    srm_dict = {
        "statistic": srm.statistic, "p_value": srm.p_value, "mismatch": srm.mismatch,
        "threshold": srm_kernel.SRM_THRESHOLD,
        "observed": observed,
        "expected": {n: float(e) for n, e in zip(split_names, srm.expected)},
        "expected_share": {n: float(w / sum(weights)) for n, w in zip(split_names, weights)},
    }
    settings = {
        "alpha": options.alpha, "correction": options.correction, "metric_type": options.metric_type,
        "always_valid": options.always_valid, "mixture_sd": options.mixture_sd,
        "minimum_detectable_effect": options.mde, "power": options.power,
    }
    source = {"path": path, "rows": int(table.rows)}
    experiment = options.experiment or os.path.splitext(os.path.basename(path.rstrip("/")))[0]
    seq_info = None
    if options.look is not None:
        seq_info = {"look": options.look, "of": options.of, "spending": options.spending}

    if srm.mismatch:
        shares = ", ".join(f"{n} {observed[n]} (expected {srm_dict['expected'][n]:.0f})" for n in split_names)
        reasons = [
            f"sample ratio mismatch: {shares}; chi-square p = {srm.p_value:.2g} < {srm_kernel.SRM_THRESHOLD}",
            "the arms are not the sizes the split promises, so units were lost, duplicated or moved in one "
            "arm; every lift computed from this data is suspect, so the analysis stops here",
            "find the cause (assignment code, redirects, bot filtering, logging that differs by arm) and "
            "rerun on repaired data",
        ]
        return AbResult(experiment, source, options.variant_col, control, treatments, [], srm_dict, [], [],
                        settings, seq_info, {t: "STOP" for t in treatments}, "STOP", reasons, warnings)

    metrics, comparisons = _compare_all(frame, labels, control, treatments, options, path, warnings)
    seq_info = _decide_significance(comparisons, options, seq_info)
    guardrails = _guardrails(frame, labels, control, treatments, options, path, warnings)
    verdicts, recommendation, reasons = _recommend(comparisons, guardrails, metrics, treatments, options, frame,
                                                   labels, control)
    return AbResult(experiment, source, options.variant_col, control, treatments, metrics, srm_dict, comparisons,
                    guardrails, settings, seq_info, verdicts, recommendation, reasons, warnings)


def _check_options(options: AbOptions) -> None:
    if not options.metric_cols:
        raise MlmonError("no metric column given", "--metric-col", "name at least one metric column")
    if len(set(options.metric_cols)) != len(options.metric_cols):
        raise MlmonError("a metric column is named twice", "--metric-col", "name each metric once")
    if options.correction not in CORRECTIONS:
        raise MlmonError(f"unknown correction {options.correction!r}", "--correction", f"use {', '.join(CORRECTIONS)}")
    if options.metric_type is not None and options.metric_type not in METRIC_TYPES:
        raise MlmonError(f"unknown metric type {options.metric_type!r}", "--metric-type", "use binary or continuous")
    if not 0 < options.alpha < 1:
        raise MlmonError(f"significance level {options.alpha} is not between 0 and 1", "--alpha", "use e.g. 0.05")
    if (options.look is None) != (options.of is None):
        raise MlmonError("--look and --of go together", "--look/--of", "give both, e.g. --look 2 --of 4")
    if options.look is not None:
        if options.of < 1 or not 1 <= options.look <= options.of:
            raise MlmonError(f"look {options.look} of {options.of} is not a planned look", "--look/--of",
                             "use 1 <= look <= of")
        if options.always_valid:
            raise MlmonError("--always-valid and --look are two different sequential methods", "--always-valid",
                             "choose one: planned looks (--look/--of) or continuous monitoring (--always-valid)")
    if options.spending not in sequential.SPENDING:
        raise MlmonError(f"unknown spending function {options.spending!r}", "--spending", "use obf or pocock")
    if options.mixture_sd is not None and not options.mixture_sd > 0:
        raise MlmonError("the mixture sd must be positive", "--mixture-sd", "give the size of effect you expect")


def _require_columns(table, options: AbOptions) -> None:
    wanted = [("--variant-col", options.variant_col)]
    wanted += [("--metric-col", c) for c in options.metric_cols]
    wanted += [("--covariate-col", c) for c in options.covariates.values()]
    wanted += [(f"guardrail {g.name}", g.column) for g in options.guardrails]
    for flag, col in wanted:
        if col not in table.frame.columns:
            shown = ", ".join(table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
            raise MlmonError(f"no column `{col}`", f"{flag} in {table.path}", f"the file's columns are: {shown}")
    unknown = [m for m in options.covariates if m not in options.metric_cols]
    if unknown:
        raise MlmonError(f"covariate given for `{unknown[0]}`, which is not a metric", "--covariate-col",
                         "write METRIC=COLUMN with a metric named by --metric-col")


def _control(options: AbOptions, names: List[str], path: str) -> str:
    if options.control is not None:
        if options.control not in names:
            raise MlmonError(f"control variant `{options.control}` is not in column `{options.variant_col}`", path,
                             f"the variants are: {', '.join(names)}; pass one of them with --control")
        return options.control
    if "control" in names:
        return "control"
    raise MlmonError(f"no variant is called `control` in column `{options.variant_col}`", path,
                     f"name the control with --control (variants: {', '.join(names)})")


def _split(options: AbOptions, names: List[str], path: str, warnings: List[str]) -> Tuple[List[str], List[float]]:
    split = options.expected_split
    if split and options.split_from_config and not set(names) <= set(split):
        warnings.append("the config's traffic_split names other variants than the data "
                        f"({', '.join(sorted(split))} vs {', '.join(names)}); equal split assumed")
        split = None
    if not split:
        return names, [1.0] * len(names)
    extra = [n for n in names if n not in split]
    if extra:
        raise MlmonError(f"variant `{extra[0]}` has no share in the expected split", "--expected-split",
                         f"give a share for every variant: {', '.join(names)}")
    bad = [n for n, w in split.items() if not w > 0]
    if bad:
        raise MlmonError(f"variant `{bad[0]}` has share {split[bad[0]]}", "--expected-split", "shares must be positive")
    for n in split:
        if n not in names:
            warnings.append(f"variant `{n}` of the expected split has no rows")
    order = names + [n for n in split if n not in names]
    return order, [float(split[n]) for n in order]


def _numeric(frame, col: str, path: str, what: str) -> np.ndarray:
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
                         "use --metric-type continuous, or a 0/1 column")
    return requested or ("binary" if is_binary else "continuous")


def _compare_all(frame, labels, control, treatments, options: AbOptions, path: str, warnings: List[str]):
    metrics, comparisons = [], []
    for index, col in enumerate(options.metric_cols):
        y = _numeric(frame, col, path, "metric")
        if np.isinf(y).any():
            raise MlmonError(f"metric `{col}` holds infinite values", path, "remove or cap them")
        keep = ~np.isnan(y)
        cov_col = options.covariates.get(col)
        x = None
        if cov_col:
            x = _numeric(frame, cov_col, path, "covariate")
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
            comparisons.append({
                "control": control, "treatment": treatment, "metric": col, "metric_type": kind, "test": test,
                "primary": index == 0, "cuped": cov_col is not None,
                "control_n": res.control_n, "treatment_n": res.treatment_n,
                "control_mean": res.control_mean, "treatment_mean": res.treatment_mean,
                "lift": res.relative_lift, "lift_ci": list(res.relative_lift_ci) if res.relative_lift_ci else [None, None],
                "absolute_lift": res.difference, "absolute_lift_ci": list(res.difference_ci),
                "statistic": res.statistic, "df": res.df, "standard_error": res.standard_error,
                "p_value": res.p_value,
            })
    return metrics, comparisons


def _decide_significance(comparisons, options: AbOptions, seq_info):
    m = len(comparisons)
    if options.always_valid:
        for comp in comparisons:
            tau = options.mixture_sd if options.mixture_sd is not None else (options.mde or 0.0)
            if not tau > 0:
                tau = 0.1 * abs(comp["control_mean"]) or 1.0
            av = sequential.msprt(comp["absolute_lift"], comp["standard_error"] ** 2, tau ** 2, options.alpha)
            comp["always_valid"] = {"p_value": av.p_value, "ci": list(av.ci), "mixture_sd": tau,
                                    "likelihood_ratio": av.likelihood_ratio}
    p_values = [c["always_valid"]["p_value"] if options.always_valid else c["p_value"] for c in comparisons]
    if options.correction == "holm":
        adjusted = multiple_testing.holm(p_values)
    elif options.correction == "bh":
        adjusted = multiple_testing.benjamini_hochberg(p_values)
    else:
        adjusted = np.asarray(p_values, dtype=float)
    for comp, adj in zip(comparisons, adjusted):
        comp["p_value_adjusted"] = float(adj)
        comp["significant"] = bool(adj < options.alpha)
    if options.look is None:
        return seq_info
    # planned looks: each comparison gets the boundary of a Bonferroni share of alpha
    bounds = sequential.group_sequential_boundaries(options.of, options.alpha / m, options.spending)
    k = options.look - 1
    seq_info.update({
        "alpha_per_comparison": options.alpha / m,
        "boundaries": [{"look": i + 1, "information_fraction": t, "z": z, "nominal_p": p}
                       for i, (t, z, p) in enumerate(zip(bounds.information_fraction, bounds.z, bounds.nominal_p))],
        "boundary": bounds.z[k],
    })
    for comp in comparisons:
        crossed = abs(comp["statistic"]) >= bounds.z[k]
        comp["sequential"] = {"look": options.look, "of": options.of, "boundary": bounds.z[k], "crossed": bool(crossed)}
        comp["significant"] = bool(crossed)
    return seq_info


def _guardrails(frame, labels, control, treatments, options: AbOptions, path: str, warnings: List[str]):
    out = []
    for spec in options.guardrails:
        values = _numeric(frame, spec.column, path, f"guardrail {spec.name} column")
        keep = ~np.isnan(values)
        if spec.kind == "rate":
            finite = values[keep]
            if not np.all((finite == 0) | (finite == 1)):
                raise MlmonError(f"guardrail column `{spec.column}` is not 0/1", path,
                                 "pass a column that is 1 for a failed request and 0 otherwise")
            exceed, rate_bound = values == 1, spec.bound
        else:
            exceed, rate_bound = values > spec.bound, 1.0 - spec.quantile

        def arm(name):
            mask = keep & (labels == name)
            v = values[mask]
            n = int(mask.sum())
            x = int(exceed[mask].sum())
            value = float(v.mean()) if spec.kind == "rate" else float(np.quantile(v, spec.quantile)) if n else None
            return v, n, x, value

        _, n_c, x_c, value_c = arm(control)
        for treatment in treatments:
            _, n_t, x_t, value_t = arm(treatment)
            if n_t == 0:
                warnings.append(f"guardrail {spec.name}: `{treatment}` has no values in `{spec.column}`")
                continue
            p_hold = two_sample.one_sided_rate_below(x_t, n_t, rate_bound)
            p_break = two_sample.one_sided_rate_above(x_t, n_t, rate_bound)
            status = "pass" if p_hold < options.alpha else "fail" if p_break < options.alpha else "inconclusive"
            worse_p = None
            if n_c > 0:
                pooled = (x_c + x_t) / (n_c + n_t)
                se = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
                if se > 0:
                    from scipy import special

                    worse_p = float(special.ndtr(-((x_t / n_t - x_c / n_c) / se)))
            out.append({
                "treatment": treatment, "name": spec.name, "column": spec.column, "kind": spec.kind,
                "bound": spec.bound, "unit": spec.unit, "quantile": spec.quantile,
                "control_value": value_c, "treatment_value": value_t,
                "treatment_exceed_rate": x_t / n_t, "allowed_exceed_rate": rate_bound,
                "p_value": p_hold, "p_value_breach": p_break, "worse_than_control_p": worse_p,
                "status": status,
            })
    return out


def _required_n(comp, options: AbOptions, frame, labels, control) -> Optional[int]:
    if not options.mde:
        return None
    try:
        if comp["metric_type"] == "binary":
            base = comp["control_mean"]
            return power_kernels.sample_size_proportions(base, options.mde, alpha=options.alpha,
                                                         power=options.power).per_arm
        sd = comp["standard_error"] / math.sqrt(1 / comp["control_n"] + 1 / comp["treatment_n"])
        return power_kernels.sample_size_means(options.mde, sd, alpha=options.alpha, power=options.power).per_arm
    except ValueError:
        return None


def _fmt_lift(comp) -> str:
    if comp["lift"] is None:
        return f"{comp['absolute_lift']:+.4g} (absolute)"
    return f"{comp['lift'] * 100:+.2f}%"


def _recommend(comparisons, guardrails, metrics, treatments, options: AbOptions, frame, labels, control):
    reasons: List[str] = []
    verdicts: Dict[str, str] = {}
    primary = metrics[0]["name"]
    final_look = options.look is not None and options.look == options.of
    for treatment in treatments:
        comp = next(c for c in comparisons if c["treatment"] == treatment and c["metric"] == primary)
        own_guards = [g for g in guardrails if g["treatment"] == treatment]
        failed = [g for g in own_guards if g["status"] == "fail"]
        open_guards = [g for g in own_guards if g["status"] == "inconclusive"]
        for g in own_guards:
            if g["worse_than_control_p"] is not None and g["worse_than_control_p"] < options.alpha and g["status"] != "fail":
                reasons.append(f"{treatment}: {g['name']} is worse than {control} (one-sided p = "
                               f"{g['worse_than_control_p']:.2g}) though within its bound")
        for other in comparisons:
            if other["treatment"] == treatment and not other["primary"] and other["significant"]:
                reasons.append(f"{treatment}: secondary metric {other['metric']} moved {_fmt_lift(other)} "
                               f"(adjusted p = {other['p_value_adjusted']:.2g})")
        where = f"{treatment} vs {control} on {primary}: {_fmt_lift(comp)}"
        test = _test_words(comp, options)
        if failed:
            verdicts[treatment] = "REVERT"
            for g in failed:
                reasons.append(f"{treatment} breaks guardrail {g['name']}: {_guard_value(g)} against a bound of "
                               f"{_guard_bound(g)} (one-sided p = {g['p_value_breach']:.2g}); roll it back")
            continue
        if comp["significant"] and comp["absolute_lift"] > 0:
            if open_guards:
                verdicts[treatment] = "CONTINUE"
                reasons.append(f"{where} is significant ({test}), but guardrail "
                               f"{', '.join(g['name'] for g in open_guards)} is not yet shown within its bound; "
                               "keep collecting data")
            else:
                verdicts[treatment] = "SHIP"
                reasons.append(f"{where} is significant ({test})"
                               + ("; every guardrail holds" if own_guards else ""))
            continue
        if comp["significant"]:
            verdicts[treatment] = "REVERT"
            reasons.append(f"{where} is significantly worse ({test})")
            continue
        if options.look is not None and not final_look:
            verdicts[treatment] = "CONTINUE"
            reasons.append(f"{where} has not crossed the look-{options.look} boundary "
                           f"(|z| = {abs(comp['statistic']):.3f} < {comp['sequential']['boundary']:.3f}); "
                           f"continue to look {options.look + 1} of {options.of}")
            continue
        needed = None if options.look is not None else _required_n(comp, options, frame, labels, control)
        have = min(comp["control_n"], comp["treatment_n"])
        if needed is not None and have < needed:
            verdicts[treatment] = "CONTINUE"
            reasons.append(f"{where} is not significant ({test}) with {have} units per arm; detecting the "
                           f"minimum effect of {options.mde:g} at power {options.power:g} needs {needed} per arm")
            continue
        verdicts[treatment] = "NO_DECISION"
        reasons.append(f"{where} is not significant ({test}); no evidence either way, keep {control}"
                       + (" (final look)" if final_look else ""))
    values = set(verdicts.values())
    if any(g["status"] == "fail" for g in guardrails):
        rec = "REVERT"
    elif "SHIP" in values:
        rec = "SHIP"
        if len(treatments) > 1:
            best = max((c for c in comparisons if c["metric"] == primary and verdicts[c["treatment"]] == "SHIP"),
                       key=lambda c: c["absolute_lift"])
            reasons.insert(0, f"ship {best['treatment']} (largest significant lift on {primary})")
    elif "CONTINUE" in values:
        rec = "CONTINUE"
    elif "REVERT" in values:
        rec = "REVERT"
    else:
        rec = "NO_DECISION"
    return verdicts, rec, reasons


def _test_words(comp, options: AbOptions) -> str:
    if "sequential" in comp:
        return (f"look {comp['sequential']['look']} of {comp['sequential']['of']}: |z| = {abs(comp['statistic']):.3f} "
                f"vs boundary {comp['sequential']['boundary']:.3f}")
    if "always_valid" in comp:
        return f"always-valid p = {comp['always_valid']['p_value']:.2g}"
    adjusted = "" if options.correction == "none" else f", {options.correction}-adjusted {comp['p_value_adjusted']:.2g}"
    return f"p = {comp['p_value']:.2g}{adjusted}"


def _guard_value(g) -> str:
    if g["kind"] == "rate":
        return f"{g['treatment_value']:.4g}"
    return f"p{round(g['quantile'] * 100)} {g['treatment_value']:.4g}{g['unit']}"


def _guard_bound(g) -> str:
    return f"{g['bound']:.4g}{g['unit']}"


# ---------------------------------------------------------------------------- planning


@dataclass
class AbPlan:
    baseline: Optional[float]
    mde: float
    relative: bool
    sd: Optional[float]
    alpha: float
    power: float
    sample_size: power_kernels.SampleSize
    looks: Optional[int]
    spending: str
    boundaries: Optional[sequential.Boundaries]
    inflation: Optional[float]

    def to_dict(self) -> Dict[str, Any]:
        target = None
        if self.baseline is not None and self.sd is None:
            target = self.baseline * (1 + self.mde) if self.relative else self.baseline + self.mde
        per_arm = self.sample_size.per_arm
        boundaries = []
        if self.boundaries is not None:
            boundaries = [
                {"look": i + 1, "information_fraction": t, "z": z, "nominal_p": p, "cumulative_alpha": a}
                for i, (t, z, p, a) in enumerate(zip(self.boundaries.information_fraction, self.boundaries.z,
                                                     self.boundaries.nominal_p, self.boundaries.cumulative_alpha))
            ]
        max_n = int(math.ceil(self.sample_size.exact * self.inflation - 1e-9)) if self.inflation else per_arm
        return _strict({
            "schema_version": SCHEMA_VERSION,
            "kind": "ab_plan",
            "metric_type": "continuous" if self.sd is not None else "binary",
            "baseline_rate": self.baseline if self.sd is None else None,
            "target_rate": target,
            "sd": self.sd,
            "mde": self.mde,
            "relative": self.relative,
            "alpha": self.alpha,
            "power": self.power,
            "effect_size": self.sample_size.effect_size,
            "sample_size_exact": self.sample_size.exact,
            "sample_size_per_arm": per_arm,
            "looks": self.looks,
            "spending": self.spending if self.looks else None,
            "inflation_factor": self.inflation,
            "max_sample_size_per_arm": max_n,
            "boundaries": boundaries,
        })


def plan(*, mde: float, baseline: Optional[float] = None, sd: Optional[float] = None, relative: bool = False,
         alpha: float = 0.05, power: float = 0.8, looks: Optional[int] = None, spending: str = "obf") -> AbPlan:
    """Sample size per arm (and boundaries for ``looks`` planned looks)."""
    if not 0 < alpha < 1:
        raise MlmonError(f"alpha {alpha} is not between 0 and 1", "--alpha", "use e.g. 0.05")
    if not 0 < power < 1 or power <= alpha:
        raise MlmonError(f"power {power} is not between alpha and 1", "--power", "use e.g. 0.8")
    if mde == 0:
        raise MlmonError("the minimum detectable effect is 0", "--mde", "give the smallest change worth detecting")
    if looks is not None and looks < 1:
        raise MlmonError(f"{looks} looks", "--looks", "plan at least one look")
    if spending not in sequential.SPENDING:
        raise MlmonError(f"unknown spending function {spending!r}", "--spending", "use obf or pocock")
    if sd is not None:
        if relative:
            if baseline is None:
                raise MlmonError("a relative effect on a mean needs the baseline mean", "--relative",
                                 "pass --baseline-rate with the control mean, or give --mde in the metric's unit")
            effect = baseline * mde
        else:
            effect = mde
        try:
            size = power_kernels.sample_size_means(effect, sd, alpha=alpha, power=power)
        except ValueError as exc:
            raise MlmonError(str(exc), "--sd", "give the metric's standard deviation per unit") from None
    else:
        if baseline is None:
            raise MlmonError("no baseline rate", "--baseline-rate", "give the control's current rate, e.g. 0.10")
        try:
            size = power_kernels.sample_size_proportions(baseline, mde, relative=relative, alpha=alpha, power=power)
        except ValueError as exc:
            raise MlmonError(str(exc), "--baseline-rate/--mde", "rates are between 0 and 1, e.g. --baseline-rate 0.1 --mde 0.01") from None
    bounds, inflation = None, None
    if looks:
        bounds = sequential.group_sequential_boundaries(looks, alpha, spending)
        fixed = sequential.drift_for_power([float(bounds.z[-1]) if looks == 1 else _fixed_z(alpha)], 1, power)
        inflation = (sequential.drift_for_power(bounds.z, looks, power) / fixed) ** 2
    return AbPlan(baseline, mde, relative, sd, alpha, power, size, looks, spending, bounds, inflation)


def _fixed_z(alpha: float) -> float:
    from scipy import special

    return float(special.ndtri(1 - alpha / 2))
