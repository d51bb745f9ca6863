"""Hellinger distance (Evidently ``hellinger``).

.. math::

    H(p, q) = \\sqrt{1 - BC}, \\qquad BC = \\sum_i \\sqrt{p_i q_i}\\ \\ \\text{(categorical)},
    \\qquad BC = \\sum_i \\sqrt{f_i g_i}\\, w \\ \\ \\text{(numerical)}

with the Bhattacharyya coefficient ``BC`` clipped to ``[0, 1]``. Categorical: ``p``, ``q`` are
the shares per category. Numerical: ``f``, ``g`` are histogram *densities* on Sturges bins
built from the **distinct values** of both samples (not from the rows, unlike PSI or JS;
Evidently's choice, kept), ``w`` the bin width. Drift when ``H >= threshold`` (default 0.1).

Source: Evidently 0.7 ``stattests/hellinger_distance.py``; Hellinger (1909), J. reine angew.
Math. 136.

Examples
--------
>>> import numpy as np
>>> r = hellinger(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), "categorical", 0.1)
>>> round(r.score, 4), r.drifted
(0.1846, True)
"""

from __future__ import annotations

import numpy as np

from . import CATEGORICAL, StatTestResult, implement
from ._binning import category_counts, histogram_sorted, rescaled, sorted_values, sturges_edges, unique_sorted


def _bhattacharyya_numerical(rs: np.ndarray, cs: np.ndarray) -> float:
    keys = np.union1d(unique_sorted(rs), unique_sorted(cs))
    edges = sturges_edges(keys[0], keys[-1], keys.size)
    widths = np.diff(edges)
    f = histogram_sorted(rs, edges) / rs.size / widths
    g = histogram_sorted(cs, edges) / cs.size / widths
    bin_width = (edges.max() - edges.min()) / (edges.size - 1)
    return float(np.sum(np.sqrt(f * g) * bin_width))


def hellinger(reference, current, column_type, threshold=0.1, *, presorted=False):
    if column_type == CATEGORICAL:
        ref, cur = category_counts(reference, current)
        bc = float(np.sum(np.sqrt((ref / ref.sum()) * (cur / cur.sum()))))
    else:
        # beyond about 1e150 in a unit of 2**e (exact; the coefficient does not depend on the unit)
        rs, cs, _ = rescaled(sorted_values(reference, presorted), sorted_values(current, presorted), presorted=True)
        bc = _bhattacharyya_numerical(rs, cs)
    score = float(np.sqrt(1 - np.clip(bc, 0, 1)))
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def from_summary(reference, current, column_type, threshold):
    """hellinger from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.binned("hellinger", reference, current, column_type, threshold)


implement("hellinger", hellinger, from_summary=from_summary)
