"""Kullback-Leibler divergence of the binned distributions (Evidently ``kl_div``).

.. math::

    D_{KL}(r \\,\\|\\, c) = \\sum_i \\hat r_i \\ln\\frac{\\hat r_i}{\\hat c_i}, \\qquad
    \\hat r = r / \\textstyle\\sum r, \\quad \\hat c = c / \\textstyle\\sum c

with ``r``, ``c`` the shares per bin after Evidently's zero filling (see :mod:`._binning`),
renormalised as ``scipy.stats.entropy`` does. Drift when the divergence is at or above the
threshold (default 0.1). Not symmetric: reference first.

Source: Evidently 0.7 ``stattests/kl_div.py``; Kullback & Leibler (1951), "On Information
and Sufficiency", Ann. Math. Statist. 22(1).

Examples
--------
>>> import numpy as np
>>> r = kl_div(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), "categorical", 0.1)
>>> round(r.score, 4), r.drifted
(0.1438, True)
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr

from . import StatTestResult, implement
from ._binning import percents


def kl_div(reference, current, column_type, threshold=0.1, *, presorted=False):
    ref, cur = percents(reference, current, column_type, presorted, feel_zeroes=True)
    score = float(np.sum(rel_entr(ref / np.sum(ref), cur / np.sum(cur))))
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def from_summary(reference, current, column_type, threshold):
    """kl_div from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.binned("kl_div", reference, current, column_type, threshold)


implement("kl_div", kl_div, from_summary=from_summary)
