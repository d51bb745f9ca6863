"""Jensen-Shannon distance between the binned distributions (Evidently ``jensenshannon``).

.. math::

    JS(p, q) = \\sqrt{\\tfrac12 \\sum_i p_i \\ln\\frac{p_i}{m_i} + \\tfrac12 \\sum_i q_i \\ln\\frac{q_i}{m_i}},
    \\qquad m = \\tfrac12 (p + q)

with natural logarithms (so :math:`0 \\le JS \\le \\sqrt{\\ln 2} \\approx 0.833`), ``p`` and
``q`` the shares of reference and current rows per bin (bins as in Evidently's
``get_binned_data`` *without* the zero filling, see :mod:`._binning`), each renormalised to
sum to one as ``scipy.spatial.distance.jensenshannon`` does. Drift when the distance is at or
above the threshold (default 0.1).

Source: Evidently 0.7 ``stattests/jensenshannon.py``; Lin (1991), "Divergence measures based
on the Shannon entropy", IEEE Trans. Inf. Theory 37(1); Endres & Schindelin (2003).

Examples
--------
>>> import numpy as np
>>> r = jensenshannon(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), "categorical", 0.1)
>>> round(r.score, 4), r.drifted
(0.1839, True)
"""

from __future__ import annotations

import numpy as np

from . import StatTestResult, implement
from ._binning import percents


def rel_entr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``scipy.special.rel_entr(x, y)`` where ``y > 0`` wherever ``x > 0`` (``y`` is a mixture
    holding ``x``): ``x log(x / y)``, 0 where ``x`` is 0. Written here because importing
    ``scipy.special`` costs a small check more than computing every test."""
    x, y = np.broadcast_arrays(x, y)
    out = np.zeros(x.shape)
    pos = x > 0
    out[pos] = x[pos] * np.log(x[pos] / y[pos])
    return out


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """``scipy.spatial.distance.jensenshannon(p, q)`` (natural log) for 1-D share vectors."""
    p = p / np.sum(p)
    q = q / np.sum(q)
    m = (p + q) / 2.0
    js = np.sum(rel_entr(p, m)) + np.sum(rel_entr(q, m))
    return float(np.sqrt(js / 2.0))


def jensenshannon(reference, current, column_type, threshold=0.1, *, presorted=False):
    ref, cur = percents(reference, current, column_type, presorted, feel_zeroes=False)
    score = js_distance(ref, cur)
    return StatTestResult(score=score, drifted=bool(score >= threshold))


def from_summary(reference, current, column_type, threshold):
    """jensenshannon from a profile's summaries (what and how exactly: the catalog's entry)."""
    from mlmon.stats import from_summaries  # imported by profiles only: rows never pay for it

    return from_summaries.binned("jensenshannon", reference, current, column_type, threshold)


implement("jensenshannon", jensenshannon, from_summary=from_summary)
