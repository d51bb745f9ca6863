"""Rows go to calendar windows by one integer division when the boundaries are equally far
apart, and by binary search otherwise: both give each row the last boundary at or before it
(``np.searchsorted(bounds, t, "right") - 1``, the definition), and -1 where the time is missing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon.services.windows import NAT, _bucket


@settings(max_examples=200, deadline=None)
@given(start=st.integers(-10**15, 10**15), width=st.integers(1, 10**13), k=st.integers(1, 50),
       uneven=st.booleans(), seed=st.integers(0, 2**32 - 1), missing=st.floats(0, 0.5))
def test_bucket_is_the_last_boundary_at_or_before_each_time(start, width, k, uneven, seed, missing):
    rng = np.random.default_rng(seed)
    bounds = start + width * np.arange(k + 1, dtype=np.int64)
    if uneven and k > 1:
        bounds[1:-1] += rng.integers(0, width // 2 + 1, k - 1)  # a clock change moves inner boundaries
    times = rng.integers(bounds[0], bounds[-1], 500)
    times[:3] = [bounds[0], bounds[-1] - 1, bounds[min(1, k)] - 1]  # both ends and a boundary's eve
    ok = rng.random(500) >= missing
    times = np.where(ok, times, NAT)
    got = _bucket(times, ok, bounds)
    want = np.where(ok, np.searchsorted(bounds, times, side="right") - 1, -1)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64
