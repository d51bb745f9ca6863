"""Pearson's chi-square test of current counts against reference shares (Evidently ``chisquare``).

.. math::

    \\chi^2 = \\sum_k \\frac{(O_k - E_k)^2}{E_k}, \\qquad
    O_k = \\text{current count}, \\quad E_k = \\text{reference count} \\cdot \\frac{n_{cur}}{n_{ref}}

over the categories present on either side, ``K - 1`` degrees of freedom. A category seen
only in the current sample has :math:`E_k = 0`, so the statistic is infinite and the p-value
0, as in Evidently. Drift when ``p < threshold`` (default 0.05).

Source: Evidently 0.7 ``stattests/chisquare_stattest.py`` (``scipy.stats.chisquare``);
Pearson (1900), Philosophical Magazine 50(302). See ``chisquare_pooled`` for sparse columns.

Examples
--------
>>> import numpy as np
>>> r = chisquare(np.array([0] * 50 + [1] * 50), np.array([0] * 30 + [1] * 70), "categorical", 0.05)
>>> round(r.statistic, 4), round(r.score, 6), r.drifted
(16.0, 6.3e-05, True)
"""

from __future__ import annotations

import numpy as np

from mlmon.stats import tails

from . import CATEGORICAL, StatTestResult, implement
from ._binning import discrete_counts


def chi2_sf(statistic: float, dof: int) -> float:
    """Upper tail of the chi-square distribution (what ``scipy.stats.chisquare`` reports)."""
    if dof <= 0:
        return float("nan")
    return tails.chi2_sf(statistic, dof)


def pearson_chisquare(observed: np.ndarray, expected: np.ndarray) -> tuple:
    """``scipy.stats.chisquare(observed, expected)`` without its input checks."""
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.sum((observed - expected) ** 2 / expected))
    return stat, chi2_sf(stat, observed.size - 1)


def chisquare(reference, current, column_type=CATEGORICAL, threshold=0.05, *, presorted=False):
    ref, cur = discrete_counts(reference, current, column_type, presorted)
    expected = ref * (cur.sum() / ref.sum())
    stat, p = pearson_chisquare(cur.astype(np.float64), expected)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=stat)


def from_summary(reference, current, column_type, threshold):
    """chisquare from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.counts("chisquare", reference, current, column_type, threshold)


implement("chisquare", chisquare, from_summary=from_summary)
