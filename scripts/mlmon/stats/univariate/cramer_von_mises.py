"""Two-sample Cramér-von Mises test (Evidently ``cramer_von_mises``).

.. math::

    T = \\frac{U}{n m (n + m)} - \\frac{4 n m - 1}{6 (n + m)}, \\qquad
    U = n \\sum_i (r_i - i)^2 + m \\sum_j (s_j - j)^2

with ``r``, ``s`` the (mid)ranks of the sorted samples in the pooled sample. The p-value is
exact when both samples have at most 20 values, otherwise from the limiting distribution of
the normalised statistic (Csörgő & Faraway 1996). Drift when ``p <= threshold`` (default
0.1; note the ``<=``, as in Evidently).

Source: Evidently 0.7 ``stattests/cramer_von_mises_stattest.py``, a copy of an older
``scipy.stats.cramervonmises_2samp``: the statistic and asymptotic p-value are scipy's (same
formulas), the exact p-value is Evidently's recursion (Xiao, Gordon & Yakovlev 2006, "A C++
Program for the Cramér-Von Mises Two-Sample Test", J. Stat. Softw. 17(8)), ported here
because current scipy's exact routine differs from it by ~1e-9; Anderson (1962), "On the
Distribution of the Two-Sample Cramér-von Mises Criterion", Ann. Math. Statist. 33(3).

Examples
--------
>>> import numpy as np
>>> r = cramer_von_mises(np.arange(10.0), np.arange(10.0) + 5, "numerical", 0.1)
>>> round(r.statistic, 4), round(r.score, 4), r.drifted
(0.8375, 0.0048, True)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from . import NUMERICAL, StatTestResult, implement


#: both samples at most this size: exact p-value (``method="auto"`` in scipy and Evidently)
EXACT_MAX_N = 20


def _pval_exact(u: float, m: int, n: int) -> float:
    """P(U >= u) under the null, by Evidently's (old scipy's) frequency-table recursion."""
    lcm = np.lcm(m, n)
    a = lcm // m
    b = lcm // n
    mn = m * n
    zeta = lcm**2 * (m + n) * (6 * u - mn * (4 * mn - 1)) // (6 * mn**2)
    zeta_bound = lcm**2 * (m + n)
    combinations = math.factorial(m + n) / (math.factorial(m) * math.factorial(n))
    dtype = np.min_scalar_type(max(zeta_bound, combinations))
    # Evidently's choice: a float type (often float32, whose rounding we keep to give its
    # numbers) when ``combinations`` is the larger, else a narrow unsigned integer type that
    # makes it raise a casting error (e.g. sizes 9 and 11); we widen the latter to int64
    if dtype.kind in "iu":
        dtype = np.dtype(np.int64)
    gs = [np.array([[0], [1]], dtype=dtype)] + [np.empty((2, 0), dtype=dtype) for _ in range(m)]
    for ui in range(n + 1):
        next_gs = []
        tmp = np.empty((2, 0), dtype=dtype)
        for v, g in enumerate(gs):
            vi, i0, i1 = np.intersect1d(tmp[0], g[0], return_indices=True)
            tmp = np.concatenate([np.stack([vi, tmp[1, i0] + g[1, i1]]), np.delete(tmp, i0, 1), np.delete(g, i1, 1)], 1)
            tmp[0] += (a * v - b * ui) ** 2
            next_gs.append(tmp)
        gs = next_gs
    value, freq = gs[m]
    return float(np.sum(freq[value >= zeta]) / combinations)


def cramer_von_mises(reference, current, column_type=NUMERICAL, threshold=0.1, *, presorted=False):
    x = np.asarray(reference, dtype=np.float64)
    y = np.asarray(current, dtype=np.float64)
    nx, ny = x.size, y.size
    if max(nx, ny) > EXACT_MAX_N:
        res = stats.cramervonmises_2samp(x, y, method="asymptotic")
        t, p = float(res.statistic), float(res.pvalue)
    else:
        if min(nx, ny) <= 1:
            raise ValueError("Cramér-von Mises test needs at least two observations per sample")
        r = stats.rankdata(np.concatenate([np.sort(x), np.sort(y)]), method="average")
        u = nx * np.sum((r[:nx] - np.arange(1, nx + 1)) ** 2) + ny * np.sum((r[nx:] - np.arange(1, ny + 1)) ** 2)
        k, big_n = nx * ny, nx + ny
        t = float(u / (k * big_n) - (4 * k - 1) / (6 * big_n))
        p = _pval_exact(u, nx, ny)
    return StatTestResult(score=p, drifted=bool(p <= threshold), statistic=t)


implement("cramer_von_mises", cramer_von_mises)
