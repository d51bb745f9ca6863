"""PSI on bins at the reference deciles (``psi_quantile``; not in Evidently).

.. math::

    PSI = \\sum_{i=1}^{B} (c_i - r_i) \\ln\\frac{c_i}{r_i}

with :math:`r_i, c_i` the shares of reference and current rows in bin ``i``, the bins cut at
the reference quantiles :math:`q_{1/B}, \\dots, q_{(B-1)/B}` (``B = 10``: deciles, linear
interpolation as ``np.quantile``; repeated cut points from ties are merged) and open towards
both infinities: :math:`(-\\infty, q_{0.1}], (q_{0.1}, q_{0.2}], \\dots, (q_{0.9}, \\infty)`. An
empty bin gets a share of ``1e-4`` so the logarithm stays finite.

Why not Evidently's ``psi``: its bins are equal-width Sturges bins over the *combined*
sample, so one extreme value in either sample squeezes almost all rows into one bin and PSI
collapses towards 0 whatever happened to the bulk of the distribution. Reference deciles put
about 10 % of the reference in every bin whatever the range, so the index reads the same on
every column and is the definition used in credit scoring, where the rule of thumb comes
from: **PSI < 0.1 no significant shift, 0.1-0.25 moderate shift, > 0.25 significant shift**
(Siddiqi 2006). Drift when ``PSI >= threshold`` (default 0.1).

Sources: Siddiqi (2006), *Credit Risk Scorecards*, Wiley, ch. 8; Yurdakul (2018),
"Statistical Properties of Population Stability Index", Western Michigan University.

Examples
--------
>>> import numpy as np
>>> from scipy.stats import norm
>>> from mlmon.stats.univariate.psi import psi
>>> ref = norm.ppf((np.arange(200) + 0.5) / 200)  # a standard normal sample, idealised
>>> cur = ref + 0.5                                # half a standard deviation to the right
>>> round(psi_quantile(ref, cur, "numerical", 0.1).score, 4), round(psi(ref, cur, "numerical", 0.1).score, 4)
(0.2384, 0.2389)
>>> cur_outlier = np.append(cur, 1e6)              # one extreme value more
>>> round(psi_quantile(ref, cur_outlier, "numerical", 0.1).score, 4), round(psi(ref, cur_outlier, "numerical", 0.1).score, 4)
(0.2445, 0.0191)
"""

from __future__ import annotations

import numpy as np

from . import NUMERICAL, StatTestResult, implement
from ._binning import sorted_values

#: number of quantile bins (deciles)
N_BINS = 10
#: share given to an empty bin
EMPTY_SHARE = 1e-4


def quantile_edges(ref_sorted: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Inner cut points at the reference quantiles ``1/n_bins, ..., (n_bins-1)/n_bins``."""
    return np.unique(np.quantile(ref_sorted, np.arange(1, n_bins) / n_bins))


def quantile_bin_shares(xs: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares of sorted ``xs`` in ``(-inf, e_1], (e_1, e_2], ..., (e_k, inf)``."""
    at_or_below = np.searchsorted(xs, edges, side="right")
    counts = np.diff(np.concatenate(([0], at_or_below, [xs.size])))
    return np.maximum(counts / xs.size, EMPTY_SHARE)


def psi_quantile(reference, current, column_type=NUMERICAL, threshold=0.1, *, presorted=False, n_bins=N_BINS):
    rs = sorted_values(reference, presorted)
    cs = sorted_values(current, presorted)
    edges = quantile_edges(rs, n_bins)
    r = quantile_bin_shares(rs, edges)
    c = quantile_bin_shares(cs, edges)
    score = float(np.sum((c - r) * np.log(c / r)))
    return StatTestResult(score=score, drifted=bool(score >= threshold))


implement("psi_quantile", psi_quantile)
