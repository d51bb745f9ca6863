"""Epps-Singleton test (Evidently ``es``).

Compares the empirical characteristic functions of the two samples at the points
:math:`t = (0.4, 0.8)/\\hat\\sigma` (with :math:`\\hat\\sigma` the semi-interquartile range of the
pooled sample); the quadratic form :math:`W_2` is asymptotically :math:`\\chi^2_4`, with a
small-sample correction when both samples have fewer than 25 values. Drift when
``p < threshold`` (default 0.05). Works for discrete data too, where KS loses power.

Source: Evidently 0.7 ``stattests/epps_singleton_stattest.py``
(``scipy.stats.epps_singleton_2samp``); Epps & Singleton (1986), "An omnibus test for the
two-sample problem using the empirical characteristic function", J. Stat. Comput. Simul. 26.

Raises ``ValueError`` when the interquartile range of the pooled sample is 0, as Evidently
does.

Examples
--------
>>> import numpy as np
>>> r = es(np.arange(30.0), np.arange(30.0) + 10, "numerical", 0.05)
>>> round(r.statistic, 4), round(r.score, 4), r.drifted
(22.3947, 0.0002, True)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from . import NUMERICAL, StatTestResult, implement


def es(reference, current, column_type=NUMERICAL, threshold=0.05, *, presorted=False):
    reference = np.asarray(reference, dtype=np.float64)
    current = np.asarray(current, dtype=np.float64)
    if stats.iqr(np.hstack((reference, current))) == 0:
        raise ValueError("Epps-Singleton test needs a pooled interquartile range above 0")
    res = stats.epps_singleton_2samp(reference, current)
    p = float(res.pvalue)
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(res.statistic))


implement("es", es)
