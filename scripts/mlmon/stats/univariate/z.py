"""Two-proportion z-test (Evidently ``z``).

The smallest category present (Evidently's ``sorted(keys)[0]``) is compared with all the
others: with :math:`p_1, p_2` the shares of rows *not* in that category,

.. math::

    z = \\frac{p_1 - p_2}{\\sqrt{P(1 - P)(1/n_1 + 1/n_2)}}, \\qquad
    P = \\frac{p_1 n_1 + p_2 n_2}{n_1 + n_2}, \\qquad p = 2\\,(1 - \\Phi(|z|)).

When both samples hold one and the same single value the p-value is 1. Drift when
``p < threshold`` (default 0.05). The p-value is computed as ``2 * (1 - cdf)``, as in
Evidently, so it underflows to exactly 0 for ``|z|`` above about 8.3.

Source: Evidently 0.7 ``stattests/z_stattest.py``; Fleiss, Levin & Paik (2003), *Statistical
Methods for Rates and Proportions*, ch. 2.

Examples
--------
>>> import numpy as np
>>> r = z(np.array([0] * 50 + [1] * 50), np.array([0] * 30 + [1] * 70), "categorical", 0.05)
>>> round(r.statistic, 4), round(r.score, 6), r.drifted
(-2.8868, 0.003892, True)
"""

from __future__ import annotations

import numpy as np

from mlmon.stats import tails

from . import CATEGORICAL, StatTestResult, implement
from ._binning import discrete_counts


def z(reference, current, column_type=CATEGORICAL, threshold=0.05, *, presorted=False):
    ref, cur = discrete_counts(reference, current, column_type, presorted)
    n1, n2 = int(ref.sum()), int(cur.sum())
    if ref.size == 1:
        return StatTestResult(score=1.0, drifted=bool(1 < threshold), statistic=0.0)
    # shares of rows outside the smallest category
    p1 = float(n1 - ref[0]) / n1
    p2 = float(n2 - cur[0]) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    stat = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = float(2 * (1 - tails.ndtr(float(np.abs(stat)))))
    return StatTestResult(score=p, drifted=bool(p < threshold), statistic=float(stat))


def from_summary(reference, current, column_type, threshold):
    """z from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.counts("z", reference, current, column_type, threshold)


implement("z", z, from_summary=from_summary)
