"""k-sample Anderson-Darling test for two samples (Evidently ``anderson``).

.. math::

    A^2_{kN} = \\frac{1}{N} \\sum_{i=1}^{k} \\frac{1}{n_i} \\sum_{j=1}^{L}
    \\frac{l_j}{N} \\frac{(N F_{ij} - n_i B_j)^2}{B_j (N - B_j) - N l_j / 4}

(the midrank version for ties), standardised and turned into an approximate significance
level by interpolating Scholz & Stephens' table, which **caps the p-value to
[0.001, 0.25]**. Drift when ``p < threshold`` (default 0.1). The statistic is the
standardised ``A2akN`` that ``scipy.stats.anderson_ksamp`` reports.

Source: Evidently 0.7 ``stattests/anderson_darling_stattest.py``
(``scipy.stats.anderson_ksamp``); Scholz & Stephens (1987), "K-Sample Anderson-Darling
Tests", JASA 82(399).

Raises ``ValueError`` when all values are identical (as scipy and Evidently do).

Examples
--------
>>> import numpy as np
>>> r = anderson(np.arange(20.0), np.arange(20.0) + 4, "numerical", 0.1)
>>> round(r.statistic, 4), round(r.score, 4), r.drifted
(1.8359, 0.0568, True)
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from . import NUMERICAL, StatTestResult, implement


def anderson(reference, current, column_type=NUMERICAL, threshold=0.1, *, presorted=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when it caps the p-value
        res = stats.anderson_ksamp([np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64)])
    p = float(res.pvalue)  # the same number; significance_level is its deprecated name
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(res.statistic))


implement("anderson", anderson)
