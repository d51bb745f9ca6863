"""Model performance per window: realized metrics where labels exist, estimated ones (CBPE)
where they do not yet, degradation against a baseline.

Reads nothing and prints nothing: :func:`compute_performance` takes pandas frames (predictions
with their labels, already joined; an optional labeled reference) and :class:`PerfOptions`,
and returns a :class:`PerfResult` whose ``to_dict()`` is the JSON contract of
``mlmon perf --format json``. :func:`metric_rows` (in :mod:`mlmon.store.rows`) turns that dict
into ``ml_metrics`` rows; how late labels arrive is :mod:`mlmon.services.labels`.

One module per concern:

- :mod:`~.options`: :class:`PerfOptions`, the tasks, default primary metrics, option checks;
- :mod:`~.settings`: what a monitoring config gives (:func:`settings_from_config`);
- :mod:`~.windows`: calendar windows in the data's own time zone (``window="1D"``: days from
  midnight; ``1W`` from Monday, ``1M`` from the 1st; see :mod:`mlmon.services.windows`) or row
  chunks (``chunk_size=N``, after a stable sort by the timestamp when there is one); every row
  gets a window index;
- :mod:`~.encoding`: role columns to arrays (class codes, probabilities, values);
- :mod:`~.compute`: the run; each metric is computed for all windows at once by the kernels in
  :mod:`mlmon.stats.classification`, :mod:`mlmon.stats.regression` and :mod:`mlmon.stats.cbpe`;
- :mod:`~.estimate`: CBPE estimates and when they are unreliable;
- :mod:`~.severity`: a window's severity: the largest relative drop of a primary metric from the
  baseline (``(base - value) / |base|``, or its negative for metrics where lower is better)
  against the tiers (default: above 0.05 ``degraded``, above 0.15 ``critical``, the config's
  ``alerts.*.conditions.accuracy_drop``). Realized metrics decide where the window has enough
  labels; estimated ones otherwise (with ``estimate``);
- :mod:`~.result`: :class:`PerfWindow` and :class:`PerfResult`.
"""

from __future__ import annotations

from mlmon.jsonsafe import strict_json
from mlmon.services.labels import compute_labels
from mlmon.services.performance.compute import compute_performance
from mlmon.services.performance.estimate import ECE_UNRELIABLE, MIN_REFERENCE_FOR_ESTIMATE, UNSEEN_UNRELIABLE
from mlmon.services.performance.options import DEFAULT_PRIMARY, LOWER_IS_BETTER, TASKS, PerfOptions
from mlmon.services.performance.result import SCHEMA_VERSION, PerfResult, PerfWindow
from mlmon.services.performance.settings import settings_from_config
from mlmon.services.performance.windows import Windows, perf_windows
from mlmon.store.rows import metric_rows

__all__ = [
    "DEFAULT_PRIMARY", "ECE_UNRELIABLE", "LOWER_IS_BETTER", "MIN_REFERENCE_FOR_ESTIMATE", "SCHEMA_VERSION", "TASKS",
    "UNSEEN_UNRELIABLE", "PerfOptions", "PerfResult", "PerfWindow", "Windows", "compute_labels", "compute_performance",
    "metric_rows", "perf_windows", "settings_from_config", "strict_json",
]
