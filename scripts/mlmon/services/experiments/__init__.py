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

One module per concern: :mod:`~.options` (what an analysis is asked, from flags or the config's
``experiments`` section), :mod:`~.analysis` (the three questions), :mod:`~.comparisons` (every
treatment against the control, p-value adjustment, sequential boundaries), :mod:`~.guardrails`,
:mod:`~.decisions` (verdicts, the recommendation and its reasons), :mod:`~.result` and
:mod:`~.plan`.
"""

from __future__ import annotations

from mlmon.services.experiments.analysis import analyze
from mlmon.services.experiments.options import (CORRECTIONS, LATENCY_UNITS, METRIC_TYPES, RECOMMENDATIONS, AbOptions,
                                                GuardrailSpec, error_rate_guardrail, latency_guardrail,
                                                options_from_config)
from mlmon.services.experiments.plan import AbPlan, PlanOptions, plan, plan_from_options
from mlmon.services.experiments.result import SCHEMA_VERSION, AbResult, Comparison, GuardrailCheck

__all__ = [
    "CORRECTIONS", "LATENCY_UNITS", "METRIC_TYPES", "RECOMMENDATIONS", "SCHEMA_VERSION", "AbOptions", "AbPlan", "AbResult",
    "Comparison", "GuardrailCheck", "GuardrailSpec", "analyze", "error_rate_guardrail", "latency_guardrail", "options_from_config", "plan",
    "PlanOptions", "plan_from_options",
]
