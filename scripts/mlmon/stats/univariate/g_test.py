"""G-test (log-likelihood ratio) of current counts against reference counts (Evidently ``g_test``).

.. math::

    G = 2 \\sum_k O_k \\ln\\frac{O_k}{E_k}, \\qquad O_k = \\text{current count}, \\quad
    E_k = \\text{reference count}

over the categories present on either side, ``K - 1`` degrees of freedom. Evidently does
*not* rescale the reference counts to the current size, and scipy's ``power_divergence``
refuses totals that differ (relative tolerance ``sqrt(eps)``): so, like Evidently, this test
**raises ValueError unless both samples have the same size**. A category seen only in the
current sample gives :math:`G = \\infty`, p = 0. Drift when ``p < threshold`` (default 0.1).

Source: Evidently 0.7 ``stattests/g_stattest.py``
(``scipy.stats.power_divergence(lambda_="log-likelihood")``); Sokal & Rohlf, *Biometry*,
3rd ed., §17.

Examples
--------
>>> import numpy as np
>>> r = g_test(np.array([0] * 50 + [1] * 50), np.array([0] * 30 + [1] * 70), "categorical", 0.1)
>>> round(r.statistic, 4), round(r.score, 6), r.drifted
(16.4566, 5e-05, True)
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import CATEGORICAL, StatTestResult, implement
from ._binning import discrete_counts
from .chisquare import chi2_sf


def g_statistic(observed: np.ndarray, expected: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(2.0 * special.xlogy(observed, observed / expected)))


def g_test(reference, current, column_type=CATEGORICAL, threshold=0.1, *, presorted=False):
    ref, cur = discrete_counts(reference, current, column_type, presorted)
    n_ref, n_cur = ref.sum(), cur.sum()
    if abs(n_cur - n_ref) / min(n_cur, n_ref) > np.finfo(np.float64).eps ** 0.5:
        raise ValueError("G-test compares raw counts: reference and current must have the same size")
    stat = g_statistic(cur.astype(np.float64), ref.astype(np.float64))
    p = chi2_sf(stat, ref.size - 1)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=stat)


def from_summary(reference, current, column_type, threshold):
    """g_test from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.counts("g_test", reference, current, column_type, threshold)


implement("g_test", g_test, from_summary=from_summary)
