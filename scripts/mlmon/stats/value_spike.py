r"""A spike of missing values or of one repeated value: a feature silently filled with a
default (0, -1, the training mean, an empty string) looks like this.

Both are an increase of a share from reference to current, tested one-sided with the pooled
two-proportion z statistic (Fleiss, Levin & Paik 2003, *Statistical Methods for Rates and
Proportions*, 3rd ed., sec. 2.5.1):

.. math::  z = \frac{\hat p_c - \hat p_r}{\sqrt{\bar p (1 - \bar p) (1/n_r + 1/n_c)}},
           \qquad \bar p = \frac{k_r + k_c}{n_r + n_c}

with the p-value :math:`\Phi(-z)`. :func:`default_spike` looks at the value the current
side repeats most and compares its share with the same value's share in the reference.

Examples
--------
>>> s = share_increase(5, 1000, 300, 1000)
>>> round(s.difference, 3), round(s.z, 2), s.p_value < 1e-50
(0.295, 18.35, True)
>>> import numpy as np
>>> ref = np.arange(100, dtype=float)
>>> cur = np.r_[np.zeros(40), np.arange(60, dtype=float)]
>>> d = default_spike(ref, cur)
>>> d.value, d.reference_share, d.current_share
(0.0, 0.01, 0.41)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.special import ndtr

from mlmon.stats.two_sample import two_proportion_z_statistic


class ShareIncrease(NamedTuple):
    reference_share: float
    current_share: float
    difference: float
    z: float
    p_value: float  # one-sided: current share greater than the reference share


class DefaultSpike(NamedTuple):
    value: Any                # the value current repeats most
    reference_share: float
    current_share: float
    z: float
    p_value: float


def share_increase(k_reference: int, n_reference: int, k_current: int, n_current: int) -> ShareIncrease:
    """One-sided pooled two-proportion z test that the current share exceeds the reference's."""
    if n_reference <= 0 or n_current <= 0:
        raise ValueError("both sides need at least one row")
    p_r, p_c = k_reference / n_reference, k_current / n_current
    z = float(two_proportion_z_statistic(k_reference, n_reference, k_current, n_current))
    return ShareIncrease(p_r, p_c, p_c - p_r, float(z), float(ndtr(-z)))


def default_spike(reference, current) -> DefaultSpike:
    """The current side's most repeated non-missing value against its share in the reference.

    Shares are over all rows (missing included), so a fill that replaces missing values counts.
    Numerical arrays are compared as numbers, anything else by its text.
    """
    ref, cur = np.asarray(reference).ravel(), np.asarray(current).ravel()
    numeric = ref.dtype.kind in "fiub" and cur.dtype.kind in "fiub"
    if numeric:
        ref, cur = ref.astype(np.float64), cur.astype(np.float64)
        ref_present, cur_present = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    else:
        ref, cur = ref.astype(object), cur.astype(object)
        ref_present = ref[~_missing(ref)].astype(str)
        cur_present = cur[~_missing(cur)].astype(str)
    if cur_present.size == 0 or ref.size == 0:
        return DefaultSpike(None, float("nan"), float("nan"), float("nan"), float("nan"))
    values, counts = np.unique(cur_present, return_counts=True)
    top = values[int(np.argmax(counts))]
    k_cur = int(counts.max())
    k_ref = int((ref_present == top).sum())
    value = top.item() if isinstance(top, np.generic) else top
    s = share_increase(k_ref, ref.size, k_cur, cur.size)
    return DefaultSpike(value, s.reference_share, s.current_share, s.z, s.p_value)


def _missing(arr: np.ndarray) -> np.ndarray:
    # NaN is the one value unequal to itself; None compares equal only to None
    return np.asarray((arr == None) | (arr != arr), dtype=bool)  # noqa: E711
