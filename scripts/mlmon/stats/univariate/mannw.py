"""Mann-Whitney U test, one-sided (Evidently ``mannw``).

.. math::

    U_1 = R_1 - \\frac{n_1 (n_1 + 1)}{2}

with :math:`R_1` the rank sum of the reference in the pooled sample (midranks for ties), and
the alternative **"less"** (reference stochastically smaller than current), as Evidently
calls it: a current sample shifted *down* is not flagged. Exact distribution when both
samples have at most 8 values and no ties, else the normal approximation with continuity and
tie corrections (``scipy.stats.mannwhitneyu`` defaults). Drift when ``p < threshold``
(default 0.05).

Source: Evidently 0.7 ``stattests/mann_whitney_urank_stattest.py``; Mann & Whitney (1947),
Ann. Math. Statist. 18(1).

Examples
--------
>>> import numpy as np
>>> r = mannw(np.arange(10.0), np.arange(10.0) + 5, "numerical", 0.05)
>>> r.statistic, round(r.score, 4), r.drifted
(12.5, 0.0025, True)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from . import NUMERICAL, StatTestResult, implement


def mannw(reference, current, column_type=NUMERICAL, threshold=0.05, *, presorted=False):
    res = stats.mannwhitneyu(np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64), alternative="less")
    p = float(res.pvalue)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(res.statistic))


implement("mannw", mannw)
