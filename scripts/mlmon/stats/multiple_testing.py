"""Adjusting p-values for testing many columns at once.

With one test per column, some columns cross ``p < 0.05`` by chance alone (about 5 % of the
undrifted ones). Two adjustments, as ``statsmodels.stats.multitest.multipletests`` computes
them (``method="fdr_bh"`` and ``"holm"``):

- :func:`benjamini_hochberg` controls the *false discovery rate* (the expected share of false
  alarms among flagged columns). With :math:`p_{(1)} \\le \\dots \\le p_{(m)}`,

  .. math::  \\tilde p_{(i)} = \\min_{j \\ge i} \\min\\left(1, \\frac{m}{j} p_{(j)}\\right)

  Benjamini & Hochberg (1995), "Controlling the False Discovery Rate", JRSS B 57(1).

- :func:`holm` controls the *family-wise error rate* (any false alarm at all), uniformly more
  powerful than Bonferroni:

  .. math::  \\tilde p_{(i)} = \\max_{j \\le i} \\min\\left(1, (m - j + 1)\\, p_{(j)}\\right)

  Holm (1979), "A Simple Sequentially Rejective Multiple Test Procedure", Scand. J. Stat. 6(2).

A column is flagged when its adjusted p-value is below the chosen level. Adjusted values come
back in the order of the input. NaN p-values (a test that could not be computed) are left
NaN and do not count towards ``m``.

Examples
--------
>>> p = [0.01, 0.04, 0.03, 0.20]
>>> benjamini_hochberg(p).round(4).tolist()
[0.04, 0.0533, 0.0533, 0.2]
>>> holm(p).round(4).tolist()
[0.04, 0.09, 0.09, 0.2]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _prepare(p_values: Sequence[float]):
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p_values must be one-dimensional")
    finite = ~np.isnan(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return p, finite


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (FDR), in input order."""
    p, finite = _prepare(p_values)
    out = np.full(p.shape, np.nan)
    q = p[finite]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    scaled = q[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[finite] = result
    return out


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (FWER), in input order."""
    p, finite = _prepare(p_values)
    out = np.full(p.shape, np.nan)
    q = p[finite]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    scaled = np.minimum(q[order] * (m - np.arange(m)), 1.0)
    adjusted = np.maximum.accumulate(scaled)
    result = np.empty(m)
    result[order] = adjusted
    out[finite] = result
    return out
