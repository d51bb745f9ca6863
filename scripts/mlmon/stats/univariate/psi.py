"""Population Stability Index on Evidently's bins (Evidently ``psi``).

.. math::

    PSI = \\sum_i (r_i - c_i) \\ln\\frac{r_i}{c_i}

with :math:`r_i, c_i` the shares of reference and current rows in bin ``i``; bins and the
replacement of empty bins (``feel_zeroes``) are Evidently's ``get_binned_data`` (see
:mod:`._binning`): Sturges bins over the *combined* sample for numerical columns whose
reference has more than 20 distinct values, one bin per value otherwise. Drift when
:math:`PSI \\ge` threshold (default 0.1). See ``psi_quantile`` for bins at reference deciles.

Source: Evidently 0.7 ``stattests/psi.py``; Yurdakul (2018), "Statistical Properties of
Population Stability Index", Western Michigan University dissertation.

Examples
--------
>>> import numpy as np
>>> r = psi(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1]), "categorical", 0.1)
>>> round(r.score, 4), r.drifted
(1.0986, True)
"""

from __future__ import annotations

import numpy as np

from . import StatTestResult, implement
from ._binning import percents


def psi_value(ref: np.ndarray, cur: np.ndarray) -> float:
    """PSI of two share vectors with no zero entries."""
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def psi(reference, current, column_type, threshold=0.1, *, presorted=False):
    ref, cur = percents(reference, current, column_type, presorted, feel_zeroes=True)
    score = psi_value(ref, cur)
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def from_summary(reference, current, column_type, threshold):
    """psi from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.binned("psi", reference, current, column_type, threshold)


implement("psi", psi, from_summary=from_summary)
