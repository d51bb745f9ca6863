r"""Chi-square test of homogeneity with sparse categories pooled (``chisquare_pooled``; not in Evidently).

Pearson's test on the 2 x K table (reference, current) x categories,

.. math::

    \chi^2 = \sum_{i \in \{ref, cur\}} \sum_k \frac{(n_{ik} - E_{ik})^2}{E_{ik}}, \qquad
    E_{ik} = \frac{n_i\, t_k}{N}

(:math:`n_i` the sample sizes, :math:`t_k` the category totals over both samples,
:math:`N = n_{ref} + n_{cur}`), computed after pooling: every category whose smaller expected
cell is below 5 goes into one "other" bin; if that bin's expected cells are still below 5 it is
merged into the remaining category with the smallest total. Degrees of freedom: bins - 1; no
continuity correction (``scipy.stats.chi2_contingency(table, correction=False)`` on the
pooled table). With fewer than two bins there is nothing to test: p = 1.

Why not Evidently's ``chisquare``: it takes the reference shares as the exact truth (current
counts against :math:`E_k = r_k n_{cur}/n_{ref}`), which ignores the reference's own sampling
noise, and it sums terms whose expected counts are far below Cochran's rule (all
:math:`E \ge 1`, at least 80 % :math:`\ge 5`): on a high-cardinality column (ids, zip codes)
it flags drift on noise, and a single row of a new category gives an infinite statistic and
p = 0. Here both samples are treated alike and pooling is decided on the category *totals*,
which under the null carry no information about the split between the samples, so the test
keeps its level. Drift when ``p < threshold`` (default 0.05).

Sources: Cochran (1954), "Some Methods for Strengthening the Common χ² Tests", Biometrics
10(4); Agresti (2013), *Categorical Data Analysis*, 3rd ed., §3.2.

Examples
--------
>>> import numpy as np
>>> ref = np.repeat([0, 1, 2, 3, 4], [50, 40, 6, 2, 2])
>>> cur = np.repeat([0, 1, 2, 3, 4], [40, 40, 10, 5, 5])
>>> r = chisquare_pooled(ref, cur, "categorical", 0.05)
>>> round(r.statistic, 4), round(r.score, 4), r.drifted
(4.6825, 0.1966, False)
"""

from __future__ import annotations

import numpy as np

from . import CATEGORICAL, StatTestResult, implement
from ._binning import discrete_counts
from .chisquare import chi2_sf

#: categories with an expected cell below this are pooled (Cochran's rule)
MIN_EXPECTED = 5.0


def pool_sparse(ref: np.ndarray, cur: np.ndarray, min_expected: float = MIN_EXPECTED):
    """Pool categories whose smaller expected cell is below ``min_expected`` (see module docstring)."""
    totals = ref + cur
    smaller_share = min(ref.sum(), cur.sum()) / totals.sum()
    sparse = totals * smaller_share < min_expected
    if not sparse.any():
        return ref, cur
    r, c = ref[~sparse].copy(), cur[~sparse].copy()
    other_r, other_c = ref[sparse].sum(), cur[sparse].sum()
    if (other_r + other_c) * smaller_share < min_expected and r.size > 0:
        i = int(np.argmin(r + c))
        r[i] += other_r
        c[i] += other_c
        return r, c
    return np.append(r, other_r), np.append(c, other_c)


def chisquare_pooled(reference, current, column_type=CATEGORICAL, threshold=0.05, *, presorted=False):
    ref, cur = discrete_counts(reference, current, column_type, presorted)
    ref, cur = pool_sparse(ref.astype(np.float64), cur.astype(np.float64))
    if ref.size < 2:
        return StatTestResult(score=1.0, drifted=bool(1.0 < threshold), statistic=0.0)
    observed = np.concatenate((ref, cur))
    totals = ref + cur
    expected = np.concatenate((totals * ref.sum(), totals * cur.sum())) / totals.sum()
    stat = float(np.sum((observed - expected) ** 2 / expected))
    p = chi2_sf(stat, ref.size - 1)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=stat)


implement("chisquare_pooled", chisquare_pooled)
