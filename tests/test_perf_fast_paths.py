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


# ---------------------------------------------------------------------------- encoding shortcuts

from sklearn import metrics as skm  # noqa: E402

from mlmon.errors import MlmonError  # noqa: E402
from mlmon.services.performance import PerfOptions, compute_performance  # noqa: E402
from mlmon.services.performance.encoding import Encoder, _proba  # noqa: E402

BIN = dict(task="binary", target="y", prediction="yhat", proba="p")


def test_probabilities_report_a_gap_only_when_one_is_missing():
    f = pd.DataFrame({"p": [0.2, 0.9, 0.5], "q": [0.2, np.nan, 0.5]})
    p, gaps = _proba(f, "p", "current")
    assert p.tolist() == [0.2, 0.9, 0.5] and gaps is False
    q, gaps = _proba(f, "q", "current")
    assert np.isnan(q[1]) and gaps is True
    with pytest.raises(MlmonError, match=r"1 probabilities outside \[0, 1\]"):
        _proba(pd.DataFrame({"p": [np.nan, 1.5, 0.3]}), "p", "current")  # the range is checked around the gap


def test_whole_number_labels_and_complete_probabilities_keep_every_row_without_a_mask():
    f = pd.DataFrame({"y": [1, 0, 1, 0], "yhat": [1, 1, 0, 0], "p": [0.9, 0.6, 0.4, 0.1]})
    e = Encoder(PerfOptions(**BIN)).encode(f, "current")
    assert e.labeled.tolist() == [True] * 4 and e.dropped == 0
    assert e.y.tolist() == [1, 0, 1, 0] and e.yhat.tolist() == [1, 1, 0, 0]


def test_a_row_whose_probability_is_missing_is_left_out_and_counted():
    """Row 2 has a label and a prediction but no probability: it is dropped from every metric
    (they equal scikit-learn's on the other rows) and the run says so."""
    f = pd.DataFrame({"y": [1, 0, 1, 0, 1, 0], "yhat": [1, 1, 0, 0, 1, 0], "p": [0.9, 0.6, np.nan, 0.1, 0.8, 0.3]})
    d = compute_performance(f, PerfOptions(**BIN)).to_dict()
    assert "1 labeled rows without a usable prediction were left out" in d["warnings"]
    kept = [0, 1, 3, 4, 5]
    y, yhat, p = f.y[kept], f.yhat[kept], f.p[kept]
    m = d["windows"][0]["metrics"]
    assert m["accuracy"] == skm.accuracy_score(y, yhat) == 0.8
    assert m["auc_roc"] == skm.roc_auc_score(y, p) == 1.0
    assert d["labeled_rows"] == 5


def test_a_missing_prediction_in_a_float_column_is_left_out_and_counted():
    f = pd.DataFrame({"y": [1, 0, 1, 0], "yhat": [1.0, np.nan, 0.0, 0.0], "p": [0.9, 0.6, 0.4, 0.1]})
    d = compute_performance(f, PerfOptions(**BIN)).to_dict()
    assert "1 labeled rows without a usable prediction were left out" in d["warnings"]
    assert d["windows"][0]["metrics"]["accuracy"] == 2 / 3  # rows 0, 2, 3: 1=1, 0≠1, 0=0


def test_unlabeled_rows_of_a_float_target_are_not_taken_for_another_class():
    f = pd.DataFrame({"y": [1.0, np.nan, 0.0, np.nan], "yhat": [1, 0, 0, 1], "p": [0.9, 0.2, 0.3, 0.7]})
    d = compute_performance(f, PerfOptions(**BIN)).to_dict()
    assert d["labeled_rows"] == 2 and d["windows"][0]["metrics"]["accuracy"] == 1.0
    assert not any("left out" in w for w in d["warnings"])


def test_a_reference_with_a_class_the_current_data_lacks_is_refused_in_one_line():
    """The classes are chosen from the current data (0 and 1); the reference's target then holds
    a 2: its codes are looked at, although the current data's were not."""
    cur = pd.DataFrame({"y": [1, 0, 1, 0], "yhat": [1, 1, 0, 0], "p": [0.9, 0.6, 0.4, 0.1]})
    ref = cur.assign(y=[1, 2, 1, 0])
    with pytest.raises(MlmonError) as info:
        compute_performance(cur, PerfOptions(**BIN), reference=ref)
    assert (info.value.what, info.value.where) == ("target column 'y' has more than two classes for a binary task",
                                                  "reference column y")
