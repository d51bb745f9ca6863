"""Student's two-sample t-test with pooled variance (Evidently ``t_test``).

.. math::

    t = \\frac{\\bar x_1 - \\bar x_2}{s_p \\sqrt{1/n_1 + 1/n_2}}, \\qquad
    s_p^2 = \\frac{(n_1 - 1) s_1^2 + (n_2 - 1) s_2^2}{n_1 + n_2 - 2}

two-sided p-value from Student's t with :math:`n_1 + n_2 - 2` degrees of freedom (equal
variances assumed, ``scipy.stats.ttest_ind`` defaults). Drift when ``p < threshold`` (default
0.05). Sensitive to a mean shift only.

Source: Evidently 0.7 ``stattests/t_test.py``; Student (1908), Biometrika 6(1).

Examples
--------
>>> import numpy as np
>>> r = t_test(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0]), "numerical", 0.05)
>>> round(r.statistic, 4), round(r.score, 4), r.drifted
(-2.1909, 0.071, False)
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from . import NUMERICAL, StatTestResult, implement
from ._binning import rescaled


def t_test(reference, current, column_type=NUMERICAL, threshold=0.05, *, presorted=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero variance on both sides: nan, as in Evidently
        # beyond about 1e150 both sides in a unit of 2**e (exact; t does not depend on the unit):
        # the variances would overflow and give NaN, "no drift"
        ref, cur, _ = rescaled(np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64), presorted)
        res = stats.ttest_ind(ref, cur)
    p = float(res.pvalue)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(res.statistic))


implement("t_test", t_test)
