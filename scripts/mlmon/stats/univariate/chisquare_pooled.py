"""Chi-square test with sparse categories pooled (``chisquare_pooled``; not in Evidently).

Pearson's statistic of current counts against reference shares, as ``chisquare``,

.. math::

    \\chi^2 = \\sum_k \\frac{(O_k - E_k)^2}{E_k}, \\qquad E_k = r_k \\frac{n_{cur}}{n_{ref}},

but computed on pooled bins: every category whose expected count is below 5 (including
categories never seen in the reference, :math:`E_k = 0`) goes into one "other" bin; if that
bin's expected count is still below 5 it is merged into the remaining category with the
smallest expected count. Degrees of freedom: number of bins - 1. With fewer than two bins
there is nothing to test: p = 1.

Why: the chi-square distribution of the statistic is a large-sample approximation that is
poor when expected counts are small (Cochran's rule: all :math:`E_k \\ge 1` and at least 80 %
:math:`\\ge 5`). On a high-cardinality column (ids, zip codes) Evidently's ``chisquare`` sums
hundreds of terms with :math:`E_k < 1` and flags drift on noise; a single new category seen
once gives an infinite statistic and p = 0. Pooling keeps the test valid and lets a new
category count in proportion to its size. Drift when ``p < threshold`` (default 0.05).

Sources: Cochran (1954), "Some Methods for Strengthening the Common χ² Tests", Biometrics
10(4); Agresti (2013), *Categorical Data Analysis*, 3rd ed., §1.5.

Examples
--------
>>> import numpy as np
>>> ref = np.repeat([0, 1, 2, 3, 4], [50, 40, 6, 2, 2])
>>> cur = np.repeat([0, 1, 2, 3, 4], [40, 40, 10, 5, 5])
>>> r = chisquare_pooled(ref, cur, "categorical", 0.05)
>>> round(r.statistic, 4), round(r.score, 6), r.drifted
(12.0, 0.002479, True)
"""

from __future__ import annotations

import numpy as np

from . import CATEGORICAL, StatTest, StatTestResult, register
from ._binning import discrete_counts
from .chisquare import pearson_chisquare

#: categories expected fewer times than this are pooled (Cochran's rule)
MIN_EXPECTED = 5.0


def pool_sparse(observed: np.ndarray, expected: np.ndarray, min_expected: float = MIN_EXPECTED):
    """Pool categories with ``expected < min_expected`` (see module docstring)."""
    sparse = expected < min_expected
    if not sparse.any():
        return observed, expected
    obs, exp = observed[~sparse], expected[~sparse]
    other_obs, other_exp = observed[sparse].sum(), expected[sparse].sum()
    if other_exp < min_expected and obs.size > 0:
        i = int(np.argmin(exp))
        obs, exp = obs.copy(), exp.copy()
        obs[i] += other_obs
        exp[i] += other_exp
        return obs, exp
    return np.append(obs, other_obs), np.append(exp, other_exp)


def chisquare_pooled(reference, current, column_type=CATEGORICAL, threshold=0.05, *, presorted=False):
    ref, cur = discrete_counts(reference, current, column_type, presorted)
    expected = ref * (cur.sum() / ref.sum())
    obs, exp = pool_sparse(cur.astype(np.float64), expected)
    if obs.size < 2:
        return StatTestResult(score=1.0, drifted=bool(1.0 < threshold), statistic=0.0)
    stat, p = pearson_chisquare(obs, exp)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=stat)


register(
    StatTest(
        id="chisquare_pooled",
        display_name="chi-square p_value (sparse categories pooled)",
        column_types=frozenset({CATEGORICAL}),
        default_threshold=0.05,
        score_kind="p_value",
        func=chisquare_pooled,
    )
)
