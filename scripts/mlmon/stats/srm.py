"""Sample ratio mismatch: are the arms the size the traffic split says they should be?

Pearson's chi-square goodness-of-fit of the observed unit counts per arm against the counts the
planned split predicts, :math:`\\chi^2 = \\sum_i (O_i - E_i)^2 / E_i` on :math:`k - 1` degrees of
freedom (``scipy.stats.chisquare``). A mismatch means assignment or logging is broken (units lost
or double-counted in one arm), so any lift computed from the data is suspect. The customary
threshold is p < 0.001 (Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch in Online
Controlled Experiments", KDD): at that level a healthy experiment raises a false alarm once in a
thousand analyses.

Examples
--------
>>> r = sample_ratio_mismatch([5000, 5200], [0.5, 0.5])
>>> round(r.statistic, 4), round(r.p_value, 4), r.mismatch
(3.9216, 0.0477, False)
>>> sample_ratio_mismatch([5000, 5600], [0.5, 0.5]).mismatch
True
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
from scipy import stats

SRM_THRESHOLD = 0.001


class SrmResult(NamedTuple):
    statistic: float
    p_value: float
    expected: np.ndarray  # expected counts per arm
    mismatch: bool


def sample_ratio_mismatch(observed: Sequence[float], weights: Sequence[float],
                          threshold: float = SRM_THRESHOLD) -> SrmResult:
    """Chi-square test of ``observed`` counts against the split ``weights`` (normalised to 1)."""
    obs = np.asarray(observed, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if obs.shape != w.shape or obs.size < 2:
        raise ValueError("need one weight per arm and at least two arms")
    if np.any(w <= 0):
        raise ValueError("every arm needs a positive weight")
    expected = obs.sum() * w / w.sum()
    stat = float(((obs - expected) ** 2 / expected).sum())
    p = float(stats.chi2.sf(stat, obs.size - 1))
    return SrmResult(stat, p, expected, bool(p < threshold))
