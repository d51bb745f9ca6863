"""Windowed drift gives the same figures, to the last digit, as it did before its speed work.

The expected digest is the SHA-256 of the windows, onsets and calibration parts of the JSON
(``json.dumps(..., sort_keys=True)``) that the window-by-window code gave on this data
(before scoring windows in one batch and counting calibration draws' positions from the masks).
The data exercises each path: windows of many sizes (several size groups), a window under 30
rows, an empty day, missing values that leave one window's column under 30 values, tied
values (an integer count), random and contiguous calibration on the fast path, Wasserstein and
Jensen-Shannon columns (one of them with a category only in current: scored window by window).
If a deliberate change of the statistics moves these figures, recompute the digest and say why.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from mlmon_testing import run_mlmon

# Recomputed once: Jensen-Shannon is summed without rounding the mixture (js_terms) since the rows
# path stopped importing scipy.special; every score and calibrated threshold moved by at most
# 1.3e-15 from scipy's, no verdict.
# Recomputed once more: Wasserstein's sums of products use numpy's pairwise sum instead of BLAS's
# dot, whose digits changed with the machine's thread count (tests/stats/test_thread_count_independence.py);
# calibration thresholds moved in the 16th digit, no verdict.
EXPECTED = "648d70c2bb82b41667c9a01be5241db33575e947cf010840c216cf2f8b3b8975"


def _frames():
    rng = np.random.default_rng(7)
    n = 20_000
    ref = pd.DataFrame({
        "ts": pd.date_range("2024-01-01", periods=n, freq="20min"),
        "x": rng.normal(0, 1, n),
        "count": rng.poisson(3, n).astype(np.int64),
        "c": rng.choice(list("abcd"), n, p=[0.4, 0.3, 0.2, 0.1]),
        "d": rng.choice(list("uvw"), n, p=[0.5, 0.3, 0.2]),
    })
    sizes = [100, 104, 130, 0, 12, 117, 125, 101, 110, 128, 119, 106]
    parts = []
    for d, k in enumerate(sizes):
        t0 = pd.Timestamp("2024-06-01") + pd.Timedelta(days=d)
        shift = 0.8 if d >= 8 else 0.0
        x = rng.normal(shift, 1, k)
        if d == 6:
            x[:100] = np.nan  # 25 values left: this column is not tested in this window
        c = rng.choice(list("abcd"), k, p=[0.4, 0.3, 0.2, 0.1])
        if d == 9:
            c[:5] = "e"  # a category the reference lacks
        parts.append(pd.DataFrame({"ts": t0 + pd.to_timedelta(np.sort(rng.uniform(0, 86_399, k)), unit="s"),
                                   "x": x, "count": rng.poisson(3, k).astype(np.int64), "c": c,
                                   "d": rng.choice(list("uvw"), k, p=[0.4, 0.3, 0.3] if d >= 8 else [0.5, 0.3, 0.2])}))
    return ref, pd.concat(parts, ignore_index=True)


def test_windowed_result_is_pinned(tmp_path):
    ref, cur = _frames()
    r, c = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    ref.to_parquet(r, index=False)
    cur.to_parquet(c, index=False)
    run = run_mlmon("drift", r, c, "--timestamp", "ts", "--window", "1D", "--format", "json", "--no-history")
    assert run.code == 0, run.err
    out = run.json()
    assert [w["n"] for w in out["windows"]] == [100, 104, 130, 0, 12, 117, 125, 101, 110, 128, 119, 106]
    assert {m["method"] for w in out["windows"] for m in w["columns"].values()} == {"wasserstein", "jensenshannon"}
    pinned = {k: out[k] for k in ("windows", "onsets", "calibration")}
    digest = hashlib.sha256(json.dumps(pinned, sort_keys=True).encode()).hexdigest()
    assert digest == EXPECTED, digest
