"""The shortcuts that keep a ten-million-row performance run cheap give what the long way gives.

- The rarest class per window is read from the metrics' own label counts (``support``, checked
  against a plain count in ``tests/stats/test_label_auc_keys.py``).
- A timestamp index already parsed is not parsed (nor copied) again, and the nanoseconds the
  windows hand back are the column's own, read-only: no run can change the caller's data.
- Integer labels spanning at most two values are their own distinct values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon.services.performance.encoding import _distinct
from mlmon.services.windows import cut_windows, parse_timestamps


def test_rarest_class_in_a_run_counts_labels_not_predictions():
    from mlmon.services.performance import PerfOptions, compute_performance

    # one day of 40 labeled rows: 3 positive labels, 20 positive predictions, so the rarest class
    # has 3 labels (fewer than 5: AUC keeps its value but loses its interval)
    y = np.array([1, 1, 1] + [0] * 37)
    p = np.linspace(0.05, 0.95, 40)
    frame = pd.DataFrame({"ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(40), unit="min"),
                          "y": y, "p": p, "yhat": (p >= 0.5).astype(int)})
    result = compute_performance(frame, PerfOptions(task="binary", target="y", prediction="yhat", proba="p",
                                                    timestamp="ts", window="1D", min_labeled=10))
    (window,) = result.windows
    assert window.too_small == ["auc_roc"]
    assert ("window too small for auc_roc's interval: 3 labels of the rarest class (fewer than 5)"
            in window.notes)


def test_a_parsed_index_is_kept_and_the_nanoseconds_handed_back_are_read_only():
    idx = pd.DatetimeIndex(pd.to_datetime(["2024-01-02 00:00", "2024-01-01 12:00", "2024-01-03 00:00"]))
    assert parse_timestamps(idx) is idx
    before = idx.asi8.copy()
    win = cut_windows(idx, window="1D")
    assert win.groups.tolist() == [1, 0, 2]
    with pytest.raises(ValueError):
        win.utc_ns[0] = 0
    assert idx.asi8.tolist() == before.tolist()
    series = cut_windows(pd.Series(idx), window="1D")
    assert (series.groups.tolist(), series.starts) == (win.groups.tolist(), win.starts)


def test_an_index_in_another_unit_is_brought_to_nanoseconds():
    idx = pd.DatetimeIndex(pd.to_datetime(["2024-01-01", "2024-01-02"])).as_unit("s")
    assert parse_timestamps(idx).unit == "ns"
    assert parse_timestamps(idx).asi8.tolist() == [1704067200 * 10**9, 1704153600 * 10**9]


@pytest.mark.parametrize("values, expected", [([1, 0, 1, 1], [0, 1]), ([5, 5, 5], [5]), ([-3, -2], [-3, -2]),
                                              ([7, 9, 7], [7, 9])])
def test_distinct_integer_labels(values, expected):
    assert _distinct(pd.Series(values, dtype=np.int64)) == expected
