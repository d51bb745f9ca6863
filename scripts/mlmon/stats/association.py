r"""How strongly a feature goes with the model's output: a model-agnostic importance proxy.

Without the model itself, a feature matters to the degradation question in proportion to how
much the model's score moves with it. Two measures on a 0-1 scale:

- numerical features: :math:`|\rho_S|`, Spearman's rank correlation with the score (Spearman
  1904), which catches any monotone effect;
- categorical features: the correlation ratio :math:`\eta = \sqrt{SS_\text{between} / SS_\text{total}}`
  of the score across categories (Pearson 1905; Cohen 1988, *Statistical Power Analysis*, 8.2).

Examples
--------
>>> import numpy as np
>>> round(association(np.array([1.0, 2, 3, 4]), np.array([0.1, 0.2, 0.4, 0.3])), 3)
0.8
>>> round(association(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.7, 0.9]), categorical=True), 4)
0.9487
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def association(feature, score, *, categorical: bool = False) -> float:
    """|Spearman rho| (numerical) or eta (categorical codes) between ``feature`` and ``score``;
    0.0 when either side is constant or fewer than 3 pairs are complete."""
    x = np.asarray(feature)
    y = np.asarray(score, dtype=np.float64)
    ok = np.isfinite(y)
    if not categorical:
        x = x.astype(np.float64)
        ok &= np.isfinite(x)
    x, y = x[ok], y[ok]
    if y.size < 3 or np.ptp(y) == 0:
        return 0.0
    if categorical:
        _, codes = np.unique(x, return_inverse=True)
        sums = np.bincount(codes, weights=y)
        counts = np.bincount(codes)
        between = float((sums ** 2 / counts).sum() - y.sum() ** 2 / y.size)
        total = float(((y - y.mean()) ** 2).sum())
        return float(np.sqrt(max(0.0, min(1.0, between / total))))
    if np.ptp(x) == 0:
        return 0.0
    return float(abs(stats.spearmanr(x, y).statistic))
