"""``mlmon ab analyze``: is the experiment healthy (sample ratio), is anything broken
(guardrails), does it win (comparisons), and what to do (:mod:`~.decisions`)."""

from __future__ import annotations

import copy
import os
from typing import List, Tuple

from mlmon.errors import MlmonError, option
from mlmon.services.experiments.comparisons import compare_all, decide_significance
from mlmon.services.experiments.decisions import recommend
from mlmon.services.experiments.guardrails import check_guardrails
from mlmon.services.experiments.options import AbOptions, check_options, require_columns
from mlmon.services.experiments.result import AbResult
from mlmon.stats import srm as srm_kernel


def analyze(table, options: AbOptions) -> AbResult:
    """Analyse one experiment; ``table`` is an :class:`mlmon.io.tables.Table`."""
    frame, path = table.frame, table.path
    warnings: List[str] = []
    options = copy.copy(options)  # the guardrails to check join the caller's options here, not there
    options.guardrails = options.guardrail_specs(warnings)
    check_options(options)
    require_columns(table, options)

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

    metrics, comparisons = compare_all(frame, labels, control, treatments, options, path, warnings)
    seq_info = decide_significance(comparisons, options, seq_info)
    guardrails = check_guardrails(frame, labels, control, treatments, options, path, warnings)
    verdicts, recommendation, reasons = recommend(comparisons, guardrails, metrics, treatments, options, frame,
                                                   labels, control)
    if recommendation == "SHIP" and not guardrails:
        warnings.append(f"SHIP with no guardrail checked: nothing says the treatment keeps errors or latency "
                        f"within bounds; pass {option('error_col')} and/or {option('latency_col')} (bounds from "
                        f"experiments.guardrails in {option('config')})")
    return AbResult(experiment, source, options.variant_col, control, treatments, metrics, srm_dict, comparisons,
                    guardrails, settings, seq_info, verdicts, recommendation, reasons, warnings)



def _control(options: AbOptions, names: List[str], path: str) -> str:
    if options.control is not None:
        if options.control not in names:
            raise MlmonError(f"control variant `{options.control}` is not in column `{options.variant_col}`", path,
                             f"the variants are: {', '.join(names)}; pass one of them with {option('control')}")
        return options.control
    if "control" in names:
        return "control"
    raise MlmonError(f"no variant is called `control` in column `{options.variant_col}`", path,
                     f"name the control with {option('control')} (variants: {', '.join(names)})")


def _split(options: AbOptions, names: List[str], path: str, warnings: List[str]) -> Tuple[List[str], List[float]]:
    split = options.expected_split
    if split and options.split_is_the_configs and not set(names) <= set(split):
        warnings.append("the config's traffic_split names other variants than the data "
                        f"({', '.join(sorted(split))} vs {', '.join(names)}); equal split assumed")
        split = None
    if not split:
        return names, [1.0] * len(names)
    extra = [n for n in names if n not in split]
    if extra:
        raise MlmonError(f"variant `{extra[0]}` has no share in the expected split", option("expected_split"),
                         f"give a share for every variant: {', '.join(names)}")
    bad = [n for n, w in split.items() if not w > 0]
    if bad:
        raise MlmonError(f"variant `{bad[0]}` has share {split[bad[0]]}", option("expected_split"),
                         "shares must be positive")
    for n in split:
        if n not in names:
            warnings.append(f"variant `{n}` of the expected split has no rows")
    order = names + [n for n in split if n not in names]
    return order, [float(split[n]) for n in order]
