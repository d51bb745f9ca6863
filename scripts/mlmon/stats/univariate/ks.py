"""Two-sample Kolmogorov-Smirnov test (Evidently ``ks``).

.. math::

    D = \\sup_x |F_{ref}(x) - F_{cur}(x)|

two-sided, p-value from ``scipy.stats.ks_2samp`` semantics: exact distribution when both
samples have at most 10 000 values (``mlmon.stats.ks_exact``, scipy's algorithm without
importing scipy; scipy itself where that walk would be slow, where a run has walked more
than importing scipy would cost, once scipy is imported anyway, or where the walk fails), otherwise Smirnov's
limiting distribution ``kstwo.sf(D, round(n m / (n + m)))``. Drift when ``p <= threshold`` (default 0.05; note the
``<=``, as in Evidently).

Source: Evidently 0.7 ``stattests/ks_stattest.py``; Hodges (1958), "The significance
probability of the Smirnov two-sample test", Arkiv för Matematik 3.

Large samples skip scipy's two ``searchsorted`` passes over the pooled sample: ``D`` is read
off a linear merge of the sorted samples at the last position of each run of equal values
(the right-continuous CDFs scipy evaluates), giving the identical float.

Examples
--------
>>> import numpy as np
>>> r = ks(np.arange(10.0), np.arange(10.0) + 5, "numerical", 0.05)
>>> r.statistic, round(r.score, 4), r.drifted
(0.5, 0.1678, False)
"""

from __future__ import annotations

import sys

import numpy as np

from mlmon.stats import ks_exact

from . import NUMERICAL, StatTestResult, implement
from ._binning import merged_cdf_counts, sorted_values

#: scipy's ``ks_2samp(method="auto")`` uses the exact distribution up to this sample size.
EXACT_MAX_N = 10000

#: Lattice cells one process walks in Python (about 0.3 s) before importing scipy, whose
#: compiled walk is faster, becomes the cheaper way: a wide table of unequal samples near
#: 1,000 values must not pay more than the import it avoids.
RUN_BUDGET = 1_500_000
_walked = 0


def _scipy_stats_loaded() -> bool:
    return "scipy.stats" in sys.modules


def ks_statistic_sorted(us: np.ndarray, vs: np.ndarray) -> float:
    """Two-sided KS statistic of two sorted samples."""
    values, cu, gap = merged_cdf_counts(us, vs)
    run_end = np.empty(values.size, dtype=bool)
    np.not_equal(values[1:], values[:-1], out=run_end[:-1])
    run_end[-1] = True
    # inside a run of ties the CDFs are not yet right-continuous: only the run ends count
    # (zeroing the others is not enough: with identical samples every end has gap 0, and the
    # first zero would be a position inside a run, where the partial CDFs differ)
    ends = np.flatnonzero(run_end)
    g = gap[ends]
    # the extremes located on exact integers, then scipy's float expression at those points
    k_max, k_min = int(ends[np.argmax(g)]), int(ends[np.argmin(g)])

    def cdf_diff(k):
        return cu[k] / us.size - (k + 1 - cu[k]) / vs.size

    return float(max(np.clip(-cdf_diff(k_min), 0, 1), cdf_diff(k_max)))


def _exact(reference, current, presorted):
    """scipy's exact ``(D, p)`` without scipy, or ``None`` where scipy must answer."""
    global _walked
    us, vs = sorted_values(reference, presorted), sorted_values(current, presorted)
    # empty or NaN samples keep scipy's own answer (the pipeline drops both before a test)
    if us.size == 0 or vs.size == 0 or np.isnan(us[-1]) or np.isnan(vs[-1]):
        return None
    d = ks_statistic_sorted(us, vs)
    cost = ks_exact.walk_cost(d, us.size, vs.size)
    if cost:
        # already imported, scipy walks faster; else spend at most the per-call and per-run budgets
        if _scipy_stats_loaded() or cost > min(ks_exact.INSIDE_BUDGET, RUN_BUDGET - _walked):
            return None
        _walked += cost
    return ks_exact.two_sided(d, us.size, vs.size, budget=cost)


def ks(reference, current, column_type=NUMERICAL, threshold=0.05, *, presorted=False):
    n1, n2 = np.asarray(reference).size, np.asarray(current).size
    if max(n1, n2) <= EXACT_MAX_N:
        exact = _exact(reference, current, presorted)
        if exact is None:
            from scipy import stats  # a second of import: only where the exact walk declines

            res = stats.ks_2samp(reference, current)
            d, p = float(res.statistic), float(res.pvalue)
        else:
            d, p = exact
    else:
        from scipy import stats

        d = ks_statistic_sorted(sorted_values(reference, presorted), sorted_values(current, presorted))
        m, n = sorted([float(n1), float(n2)], reverse=True)
        p = float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))
    return StatTestResult(score=p, drifted=bool(p <= threshold), statistic=d)


def from_summary(reference, current, column_type, threshold):
    """ks from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.ks(reference, current, column_type, threshold)


implement("ks", ks, from_summary=from_summary)
