"""The drift check: reference vs current, per column and for the dataset.

Reads nothing and prints nothing. A column source (:mod:`.sources`: two tables, or two
profiles) feeds one pipeline (:mod:`.pipeline`: typing, method choice, test, FDR, verdict)
that returns a :class:`DriftResult` (:mod:`.result`) the surfaces render and the history
store records; :mod:`.options` reads options from a config and checks them,
:mod:`.recommendations` says what to do next.
"""

from mlmon.services.drift.options import check_options, options_from_config
from mlmon.services.drift.pipeline import (
    SMALL_SAMPLE,
    assemble_result,
    compute_drift,
    feature_results,
    run,
)
from mlmon.services.drift.recommendations import recommendations
from mlmon.services.drift.result import (
    SCHEMA_VERSION,
    SEVERITY_CRITICAL,
    SEVERITY_DEGRADED,
    ColumnDrift,
    DriftOptions,
    DriftResult,
    ProfileColumnDrift,
    severity_of,
)

__all__ = [
    "SCHEMA_VERSION", "SEVERITY_CRITICAL", "SEVERITY_DEGRADED", "SMALL_SAMPLE", "ColumnDrift", "DriftOptions",
    "DriftResult", "ProfileColumnDrift", "assemble_result", "check_options", "compute_drift", "feature_results",
    "options_from_config", "recommendations", "run", "severity_of",
]
