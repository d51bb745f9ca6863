"""Where the reference can speak for the current data: per row, whether an input lies outside
what the reference showed (a number outside its range, a category it never held), and per
window the share of such rows. Estimators fitted on the reference (CBPE's calibration, DLE's
error model) only interpolate; outside the reference they guess.

>>> import numpy as np
>>> ref = np.array([[0.0], [1.0], [2.0]]); cur = np.array([[0.5], [3.0], [np.nan], [-1.0]])
>>> outside_range(ref, cur)[:, 0].tolist()
[False, True, False, True]
>>> share_per_window(outside_range(ref, cur).any(axis=1), np.array([0, 0, 1, 1]), 2).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import warnings

import numpy as np

from mlmon.stats.classification import _div


def outside_range(reference, current) -> np.ndarray:
    """``(n, d)`` booleans: ``current[i, j]`` lies below the smallest or above the largest value
    of reference column ``j`` (missing values are not outside; a column the reference never
    filled puts every present value outside)."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.ndim == 1:
        ref, cur = ref[:, None], cur[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: every value is outside
        lo, hi = np.nanmin(ref, axis=0, initial=np.inf), np.nanmax(ref, axis=0, initial=-np.inf)
    with np.errstate(invalid="ignore"):
        return (cur < lo) | (cur > hi)


def share_per_window(flag, groups, n_groups: int) -> np.ndarray:
    """The share of each window's rows where ``flag`` holds (NaN for an empty window)."""
    groups = np.asarray(groups, dtype=np.int64)
    n = np.bincount(groups, minlength=n_groups)
    return _div(np.bincount(groups, weights=np.asarray(flag, dtype=np.float64), minlength=n_groups), n)
