"""Energy distance (Evidently ``ed``).

.. math::

    E(u, v) = \\sqrt{2 \\int_{-\\infty}^{\\infty} (F_u(x) - F_v(x))^2\\,dx}
            = \\left(2\\,\\mathbb E|X - Y| - \\mathbb E|X - X'| - \\mathbb E|Y - Y'|\\right)^{1/2}

on the empirical CDFs, **not normalised** (it has the unit of the column, so the default
threshold 0.1 depends on its scale). Drift when ``E > threshold`` (strictly greater, as in
Evidently).

Source: Evidently 0.7 ``stattests/energy_distance.py`` (``scipy.stats.energy_distance``);
Székely & Rizzo (2013), "Energy statistics: A class of statistics based on distances",
J. Stat. Plan. Inference 143(8).

Examples
--------
>>> import numpy as np
>>> r = ed(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0]), "numerical", 0.1)
>>> round(r.score, 4), r.drifted
(0.7071, True)
"""

from __future__ import annotations

import numpy as np

from . import NUMERICAL, StatTestResult, implement
from ._binning import merged_cdf_counts, sorted_values, weighted_sum


def energy_distance_sorted(us: np.ndarray, vs: np.ndarray) -> float:
    """``scipy.stats.energy_distance`` of two sorted samples."""
    values, _, gap = merged_cdf_counts(us, vs)
    diff = gap[:-1] / (us.size * vs.size)
    return float(np.sqrt(2.0) * np.sqrt(weighted_sum(diff * diff, np.diff(values))))


def ed(reference, current, column_type=NUMERICAL, threshold=0.1, *, presorted=False):
    score = energy_distance_sorted(sorted_values(reference, presorted), sorted_values(current, presorted))
    return StatTestResult(score=score, drifted=bool(score > threshold))


implement("ed", ed)
