"""Fisher's exact test on a binary column (Evidently ``fisher_exact``).

The 2x2 table crosses sample (current, reference) with the two categories; the two-sided
p-value sums the hypergeometric probabilities of all tables with the same margins that are
no more likely than the observed one. Drift when ``p < threshold`` (default 0.1). The
statistic is the conditional-free sample odds ratio
:math:`(c_1 r_0) / (c_0 r_1)` with category 1 the larger code.

Like Evidently, this test **raises ValueError** unless both samples have the same size and at
most two categories; unlike Evidently it also refuses three or more categories in total
(each side binary but different pairs), where Evidently's table depends on Python's
set-iteration order of the values and silently miscounts.

Source: Evidently 0.7 ``stattests/fisher_exact_stattest.py`` and
``utils.generate_fisher2x2_contingency_table`` (``scipy.stats.fisher_exact``); Fisher (1922),
J. R. Stat. Soc. 85(1).

Examples
--------
>>> import numpy as np
>>> r = fisher_exact(np.array([0] * 8 + [1] * 2), np.array([0] * 2 + [1] * 8), "categorical", 0.1)
>>> round(r.score, 4), r.drifted
(0.023, True)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from . import CATEGORICAL, StatTestResult, implement
from ._binning import discrete_counts


def fisher_exact(reference, current, column_type=CATEGORICAL, threshold=0.1, *, presorted=False):
    if np.asarray(reference).size != np.asarray(current).size:
        raise ValueError("Fisher's exact test needs reference and current of equal length")
    ref, cur = discrete_counts(reference, current, column_type, presorted)
    if ref.size > 2:
        raise ValueError("Fisher's exact test needs binary data: found more than 2 categories")
    if ref.size == 1:  # one value everywhere: both rows are (n, 0)
        ref, cur = np.append(ref, 0), np.append(cur, 0)
    table = np.array([[cur[1], cur[0]], [ref[1], ref[0]]])
    odds_ratio, p = stats.fisher_exact(table)
    p = float(p)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(odds_ratio))


implement("fisher_exact", fisher_exact)
