"""Which way each performance metric is better, declared once (no numpy: the alert engine, the
exporter and the generated rules read it without loading the kernels).

Every other metric (accuracy, precision, recall, F1, AUC, R², interval coverage, business value)
is better higher. A metric's *drop* is the relative change in its bad direction, and the value at
which a drop reaches a tier is its inverse; window severity, the alert engine, the exporter's
threshold series and the pages all use these two.
"""

from __future__ import annotations

#: metrics where a larger value is worse (their drop is a relative rise)
LOWER_IS_BETTER = frozenset({"log_loss", "false_positive_cost", "false_negative_cost",
                             "rmse", "mae", "mape", "quantile_loss"})


def lower_is_better(metric: str) -> bool:
    return metric in LOWER_IS_BETTER


def relative_drop(metric: str, base: float, value: float) -> float:
    """How much worse ``value`` is than ``base``, as a share of ``|base|`` (negative: better).

    >>> relative_drop("accuracy", 0.5, 0.375), relative_drop("rmse", 2.0, 2.5)
    (0.25, 0.25)
    """
    return (value - base) / abs(base) if metric in LOWER_IS_BETTER else (base - value) / abs(base)


def value_at_drop(metric: str, base: float, drop: float) -> float:
    """The value at which ``metric`` has dropped by ``drop`` from ``base`` (the inverse of
    :func:`relative_drop`).

    >>> value_at_drop("accuracy", 0.8, 0.05), value_at_drop("log_loss", 0.5, 0.1)
    (0.76, 0.55)
    """
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
    return base + sign * abs(base) * drop
