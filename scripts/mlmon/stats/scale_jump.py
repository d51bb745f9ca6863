r"""A feature whose scale jumped by a power of ten: the signature of a unit change (cents for
euros, milliseconds for seconds, percent for fractions) somewhere upstream.

A unit change multiplies every value by the same factor :math:`c`, so it moves the column's
*location* and its *spread* by the same factor. Real-world drift seldom does both, and almost
never by a round power of ten. With :math:`m = \operatorname{median}|x|` and
:math:`s = \operatorname{IQR}(x)` on each side,

.. math::  \ell = \log_{10} \frac{m_\text{cur}}{m_\text{ref}}, \qquad
           \ell_s = \log_{10} \frac{s_\text{cur}}{s_\text{ref}}

and a jump is declared when :math:`|\ell| \ge` ``min_log10`` (0.8, a factor of about 6), the two
agree within ``tolerance`` (0.3 decades), and :math:`\ell` lies within ``tolerance`` of a whole
number of decades. Medians and quartiles keep a few outliers from faking a jump (Rousseeuw &
Croux 1993 on robust scale: the median and IQR have a 50 % and 25 % breakdown point).

Examples
--------
>>> import numpy as np
>>> ref = np.array([10.0, 12.0, 15.0, 20.0, 30.0])
>>> j = scale_jump(ref, ref * 100)
>>> j.jumped, j.factor, round(j.log10_ratio, 3)
(True, 100.0, 2.0)
>>> scale_jump(ref, ref + 5).jumped
False
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class ScaleJump(NamedTuple):
    log10_ratio: float          # log10 of the ratio of median absolute values, current / reference
    spread_log10_ratio: float   # log10 of the ratio of interquartile ranges (nan when one is 0)
    factor: float               # the nearest power of ten, 10 ** round(log10_ratio)
    jumped: bool


def scale_jump(reference, current, *, min_log10: float = 0.8, tolerance: float = 0.3) -> ScaleJump:
    """Compare the scale of two samples of one numerical feature (finite values only).

    Parameters
    ----------
    reference, current : array_like
        The feature's values on each side; non-finite values are ignored.
    min_log10 : float
        Smallest jump in decades that counts (0.8: a factor of about 6).
    tolerance : float
        How far (in decades) the location ratio may sit from a whole power of ten, and from the
        spread ratio.
    """
    ref = _finite(reference)
    cur = _finite(current)
    if ref.size == 0 or cur.size == 0:
        return ScaleJump(float("nan"), float("nan"), float("nan"), False)
    m_ref, m_cur = np.median(np.abs(ref)), np.median(np.abs(cur))
    if m_ref <= 0 or m_cur <= 0:
        return ScaleJump(float("nan"), float("nan"), float("nan"), False)
    loc = float(np.log10(m_cur / m_ref))
    s_ref = float(np.subtract(*np.percentile(ref, [75, 25])))
    s_cur = float(np.subtract(*np.percentile(cur, [75, 25])))
    spread = float(np.log10(s_cur / s_ref)) if s_ref > 0 and s_cur > 0 else float("nan")
    power = round(loc)
    jumped = bool(
        abs(loc) >= min_log10
        and abs(loc - power) <= tolerance
        and (np.isnan(spread) or abs(spread - loc) <= tolerance)
    )
    return ScaleJump(loc, spread, float(10.0 ** power), jumped)


def _finite(values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]
