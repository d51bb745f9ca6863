"""Guardrails of an experiment: limits a treatment must stay within (error rate, p99 latency)."""

from __future__ import annotations

import math
from typing import List

import numpy as np

from mlmon.errors import MlmonError
from mlmon.services.experiments.comparisons import numeric_column
from mlmon.services.experiments.options import AbOptions
from mlmon.services.experiments.result import GuardrailCheck
from mlmon.stats import two_sample


def check_guardrails(frame, labels, control, treatments, options: AbOptions, path: str,
                     warnings: List[str]) -> List[GuardrailCheck]:
    """Each guardrail for each treatment: *pass* when shown within its bound (a one-sided exact
    binomial test), *fail* when shown beyond it, *inconclusive* otherwise; and whether it is worse
    than the control's."""
    out: List[GuardrailCheck] = []
    for spec in options.guardrails:
        values = numeric_column(frame, spec.column, path, f"guardrail {spec.name} column")
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
            out.append(GuardrailCheck(
                treatment=treatment, name=spec.name, column=spec.column, kind=spec.kind,
                bound=spec.bound, unit=spec.unit, quantile=spec.quantile,
                control_value=value_c, treatment_value=value_t,
                treatment_exceed_rate=x_t / n_t, allowed_exceed_rate=rate_bound,
                p_value=p_hold, p_value_breach=p_break, worse_than_control_p=worse_p,
                status=status,
            ))
    return out
