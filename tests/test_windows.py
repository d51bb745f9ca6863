"""Calendar windows in the data's own time zone, row chunks, and drift onsets.

Expected boundaries are read off a calendar: Europe/Berlin springs forward on 2024-03-31
(02:00 CET -> 03:00 CEST, a 23-hour day) and falls back on 2024-10-27 (03:00 CEST -> 02:00 CET,
a 25-hour day); 2024-01-01 and 2024-04-01 are Mondays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon.errors import MlmonError
from mlmon.services.windows import (MAX_WINDOWS, cut_windows, episode_start, onsets, parse_timestamps,
                                    parse_window)


def berlin(*wall):
    return pd.Series(pd.to_datetime(list(wall), format="ISO8601")).dt.tz_localize("Europe/Berlin")


# ------------------------------------------------------------------ durations


@pytest.mark.parametrize("text, count, unit", [
    ("1D", 1, "D"), ("1d", 1, "D"), ("2D", 2, "D"), ("6h", 6, "h"), ("1W", 1, "W"), ("1M", 1, "M"),
    ("3mo", 3, "M"), ("30min", 30, "min"), ("15m", 15, "min"), ("1Y", 1, "Y"), ("45s", 45, "s"),
])
def test_duration_texts_and_case_of_m(text, count, unit):
    d = parse_window(text)
    assert (d.count, d.unit) == (count, unit)


@pytest.mark.parametrize("text", ["", "soon", "0D", "1.5h", "-1D", "D1"])
def test_a_bad_duration_names_the_window_field(text):
    with pytest.raises(MlmonError) as err:
        parse_window(text)
    assert err.value.where == "window" and "30min, 6h, 1D, 1W or 1M" in err.value.todo


# ------------------------------------------------------------------ calendar windows


def test_days_in_utc_start_at_midnight_and_include_empty_days():
    ts = pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-05-01 23:59:59", "2024-05-01 00:00", "2024-05-03 12:00"]).tz_localize("UTC"))
    w = cut_windows(ts, window="1D")
    assert w.groups.tolist() == [0, 0, 2]
    assert w.starts == ["2024-05-01T00:00:00+00:00", "2024-05-02T00:00:00+00:00", "2024-05-03T00:00:00+00:00"]
    assert w.ends[-1] == "2024-05-04T00:00:00+00:00"
    assert w.counts.tolist() == [2, 0, 1] and w.zone == "UTC" and w.label == "1D"


def test_naive_timestamps_use_their_own_wall_clock():
    w = cut_windows(pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-05-01 10:00", "2024-05-02 01:00"])), window="1D")
    assert w.starts == ["2024-05-01T00:00:00", "2024-05-02T00:00:00"] and w.zone is None


def test_berlin_days_across_both_dst_changes_are_23_and_25_hours():
    w = cut_windows(berlin("2024-03-30 12:00", "2024-03-31 01:59", "2024-03-31 03:00", "2024-04-01 00:00"), window="1D")
    assert w.starts == ["2024-03-30T00:00:00+01:00", "2024-03-31T00:00:00+01:00", "2024-04-01T00:00:00+02:00"]
    assert w.groups.tolist() == [0, 1, 1, 2]
    assert (w.seconds() / 3600).tolist() == [24.0, 23.0, 24.0]
    fall = cut_windows(berlin("2024-10-27 00:30", "2024-10-27 23:30"), window="1D")
    assert fall.starts == ["2024-10-27T00:00:00+02:00"] and fall.ends == ["2024-10-28T00:00:00+01:00"]
    assert (fall.seconds() / 3600).tolist() == [25.0]


def test_berlin_hours_on_the_spring_forward_day_skip_the_missing_hour():
    ts = pd.Series(pd.date_range("2024-03-30 23:00", "2024-03-31 00:59", freq="1h", tz="UTC")).dt.tz_convert("Europe/Berlin")
    # 00:00 CET, 01:00 CET, (02:00 does not exist), 03:00 CEST
    w = cut_windows(ts, window="1h")
    assert w.starts == ["2024-03-31T00:00:00+01:00", "2024-03-31T01:00:00+01:00"]
    assert w.ends == ["2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00"]
    assert (w.seconds() / 3600).tolist() == [1.0, 1.0]


def test_six_hour_windows_stay_on_local_quarter_days_after_dst():
    w = cut_windows(berlin("2024-03-30 19:00", "2024-03-31 07:00", "2024-03-31 13:00"), window="6h")
    assert w.starts == ["2024-03-30T18:00:00+01:00", "2024-03-31T00:00:00+01:00", "2024-03-31T06:00:00+02:00",
                        "2024-03-31T12:00:00+02:00"]
    assert (w.seconds() / 3600).tolist() == [6.0, 5.0, 6.0, 6.0]
    assert w.groups.tolist() == [0, 2, 3]


def test_weeks_start_on_monday():
    # 2024-01-03 is a Wednesday, 2024-01-14 a Sunday, 2024-01-15 a Monday
    w = cut_windows(pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-01-03", "2024-01-14 23:00", "2024-01-15"])), window="1W")
    assert w.starts == ["2024-01-01T00:00:00", "2024-01-08T00:00:00", "2024-01-15T00:00:00"]
    assert w.groups.tolist() == [0, 1, 2]


def test_months_run_from_the_first_including_january_31_to_february():
    ts = pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-01-31 23:00", "2024-02-29 23:59", "2024-03-01 00:00", "2024-04-15"]))
    w = cut_windows(ts, window="1M")
    assert w.starts == ["2024-01-01T00:00:00", "2024-02-01T00:00:00", "2024-03-01T00:00:00", "2024-04-01T00:00:00"]
    assert w.ends[-1] == "2024-05-01T00:00:00"
    assert w.groups.tolist() == [0, 1, 2, 3]
    quarters = cut_windows(ts, window="3M")
    assert quarters.starts == ["2024-01-01T00:00:00", "2024-04-01T00:00:00"] and quarters.groups.tolist() == [0, 0, 0, 1]


def test_months_in_berlin_carry_the_offset_of_each_first():
    w = cut_windows(berlin("2024-03-15", "2024-04-15"), window="1M")
    assert w.starts == ["2024-03-01T00:00:00+01:00", "2024-04-01T00:00:00+02:00"]


def test_microsecond_columns_are_read_as_instants_not_rescaled():
    ts = pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-05-01 10:00", "2024-05-02 10:00"]).as_unit("us"))
    w = cut_windows(ts.dt.tz_localize("Europe/Berlin"), window="1D")
    assert w.starts == ["2024-05-01T00:00:00+02:00", "2024-05-02T00:00:00+02:00"] and w.groups.tolist() == [0, 1]
    assert w.utc_ns[0] == pd.Timestamp("2024-05-01T08:00:00Z").value


def test_missing_timestamps_get_no_window_and_are_counted():
    w = cut_windows(pd.Series(["2024-01-01T10:00", None, "", "2024-01-02T10:00"]), window="1D")
    assert w.groups.tolist() == [0, -1, -1, 1] and w.missing == 2 and w.counts.tolist() == [1, 1]


def test_text_with_one_offset_keeps_it_and_a_named_zone_reads_mixed_offsets():
    w = cut_windows(["2024-01-01T23:30:00+01:00", "2024-01-02T00:30:00+01:00"], window="1D")
    assert w.starts == ["2024-01-01T00:00:00+01:00", "2024-01-02T00:00:00+01:00"]
    text = ["2024-03-30T12:00:00+01:00", "2024-04-01T12:00:00+02:00"]
    w = cut_windows(text, window="1D", timezone="Europe/Berlin")
    assert w.starts[-1] == "2024-04-01T00:00:00+02:00" and w.zone == "Europe/Berlin"


# ------------------------------------------------------------------ chunks and the whole period


def test_chunks_follow_timestamp_order_and_the_last_one_is_short():
    ts = pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-01-05", "2024-01-01", "2024-01-03", "2024-01-02", "2024-01-04"]))
    w = cut_windows(ts, chunk_size=2)
    assert w.groups.tolist() == [2, 0, 1, 0, 1]
    assert w.starts == ["2024-01-01T00:00:00", "2024-01-03T00:00:00", "2024-01-05T00:00:00"]
    assert w.ends == ["2024-01-02T00:00:00", "2024-01-04T00:00:00", "2024-01-05T00:00:00"]
    assert w.counts.tolist() == [2, 2, 1] and w.label == "chunk:2"
    assert w.order.tolist() == [1, 3, 2, 4, 0]


def test_chunks_without_timestamp_follow_file_order():
    w = cut_windows(n_rows=5, chunk_size=2)
    assert w.groups.tolist() == [0, 0, 1, 1, 2] and w.starts == ["row 0", "row 2", "row 4"] and w.ends[-1] == "row 4"


def test_no_window_and_no_chunks_is_one_window_over_everything():
    w = cut_windows(pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-01-02", None, "2024-01-01"])))
    assert w.groups.tolist() == [0, -1, 0] and w.starts == ["2024-01-01T00:00:00"] and w.label == "all"


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("values, where, words", [
    (["2024-01-01", "not a date"], "timestamp", "1 unparseable timestamp(s) in column 'ts', e.g. 'not a date'"),
    (["2024-01-01T00:00:00+01:00", "2024-01-02T00:00:00"], "timestamp", "mixes values with a time zone"),
    (["2024-03-30T12:00:00+01:00", "2024-04-01T12:00:00+02:00"], "timestamp", "2 different time zones"),
    ([1.5, 2.5], "timestamp", "numeric, not a date"),
    ([None, None], "timestamp", "has no values"),
])
def test_timestamp_problems_are_one_line_errors(values, where, words):
    with pytest.raises(MlmonError) as err:
        cut_windows(pd.Series(values), window="1D", column="ts")
    assert err.value.where == where and words in err.value.what


def test_mixed_zones_in_datetime_objects_are_refused():
    values = pd.Series([pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-02")], dtype=object)
    with pytest.raises(MlmonError, match="mixes values with a time zone"):
        parse_timestamps(values)


def test_window_and_chunk_size_together_are_refused():
    with pytest.raises(MlmonError) as err:
        cut_windows(n_rows=3, window="1D", chunk_size=10)
    assert err.value.where == "window, chunk_size"


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_a_chunk_size_must_be_a_positive_whole_number(size):
    with pytest.raises(MlmonError) as err:
        cut_windows(n_rows=3, chunk_size=size)
    assert err.value.where == "chunk_size"


def test_time_windows_need_a_timestamp():
    with pytest.raises(MlmonError, match="time windows need a timestamp column"):
        cut_windows(n_rows=3, window="1D")


def test_a_stray_timestamp_that_would_make_too_many_windows_is_named():
    ts = pd.Series(pd.to_datetime(format="ISO8601", arg=["2024-01-01 00:00"] * 50 + ["1970-01-01"] + ["2024-01-02 00:00"] * 50))
    with pytest.raises(MlmonError) as err:
        cut_windows(ts, window="1h")
    msg = err.value.what
    assert err.value.where == "window" and f"at most {MAX_WINDOWS:,}" in msg
    assert "1970-01-01T00:00:00 (row 50)" in msg and "98% of rows lie between 2024-01-01" in msg


def test_an_unknown_time_zone_name_is_refused():
    with pytest.raises(MlmonError) as err:
        cut_windows(["2024-01-01T00:00:00+00:00"], window="1D", timezone="Mars/Olympus")
    assert err.value.where == "timezone"


# ------------------------------------------------------------------ onsets


def test_onset_is_the_start_of_the_trailing_drift_episode():
    starts = ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert onsets({"amount": [False, False, False, True, True, True]}, starts) == {"amount": "d4"}
    # one clean window inside an episode does not end it; two do
    assert onsets({"amount": [False, True, True, False, True, True]}, starts) == {"amount": "d2"}
    assert onsets({"amount": [True, True, False, False, True, True]}, starts) == {"amount": "d5"}
    # a clean last window: no current episode
    assert onsets({"amount": [True, True, True, True, True, False]}, starts) == {"amount": None}
    # untested (too small) windows are skipped
    assert onsets({"amount": [False, True, None, True, True, None]}, starts) == {"amount": "d2"}


# ------------------------------------------------------------------ properties


instants = st.lists(st.integers(1_700_000_000, 1_700_000_000 + 120 * 86400), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(instants, st.sampled_from(["6h", "1D", "2D", "1W", "1M"]),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", None]), st.lists(st.booleans(), max_size=60))
def test_windows_partition_the_rows_and_starts_increase(seconds, window, zone, holes):
    hole = np.zeros(len(seconds), dtype=bool)
    hole[:len(holes[:len(seconds)])] = holes[:len(seconds)]
    ts = pd.Series(pd.to_datetime(seconds, unit="s")).where(~hole)
    if zone:
        ts = ts.dt.tz_localize("UTC").dt.tz_convert(zone)
    if ts.isna().all():
        return
    w = cut_windows(ts, window=window)
    present = ts.notna().to_numpy()
    assert (w.groups[~present] == -1).all() and (w.groups[present] >= 0).all()
    assert w.counts.sum() + w.missing == len(ts) and w.count == len(w.ends)
    assert (np.diff(w.bounds_ns) > 0).all()
    assert [pd.Timestamp(s) for s in w.starts] == sorted(pd.Timestamp(s) for s in w.starts)
    assert w.starts[1:] == w.ends[:-1]
    ns = ts[present].dt.tz_localize(None).to_numpy().view(np.int64) if zone is None else \
        ts[present].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().view(np.int64)
    g = w.groups[present]
    assert (w.bounds_ns[g] <= ns).all() and (ns < w.bounds_ns[g + 1]).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 80), st.integers(1, 30))
def test_chunks_partition_the_rows(n, size):
    w = cut_windows(n_rows=n, chunk_size=size)
    assert sorted(w.groups.tolist()) == w.groups.tolist() and w.counts.sum() == n
    assert all(c == size for c in w.counts[:-1]) and (n == 0 or 1 <= w.counts[-1] <= size)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([True, False, None]), max_size=30), st.integers(0, 3))
def test_an_onset_exists_exactly_when_the_last_tested_window_drifted(flags, gap):
    tested = [f for f in flags if f is not None]
    k = episode_start(flags, gap)
    assert (k is None) == (not tested or not tested[-1])
    if k is not None:
        assert flags[k] is True


@pytest.mark.parametrize("window", ["50Y", "30000D", "6M"])
def test_a_grid_that_would_end_past_the_nanosecond_clock_is_refused_not_wrapped_around(window):
    # 30000 days from 2261 wrapped around 64-bit nanoseconds to a window starting in 1758
    ts = pd.Series(pd.to_datetime(["2261-01-01", "2262-03-01"]))
    with pytest.raises(MlmonError) as err:
        cut_windows(ts, window=window)
    assert (err.value.what, err.value.where, err.value.todo) == (
        f"{window} windows cannot be laid over timestamps from 2261-01-01 00:00:00 to 2262-03-01 00:00:00: the last "
        "window would end after 2262-04-11, where a nanosecond clock ends", "window",
        "choose a shorter window, or drop the rows near that date")


def test_a_grid_ending_just_inside_the_nanosecond_clock_is_cut():
    win = cut_windows(pd.Series(pd.to_datetime(["2261-01-01", "2262-03-01"])), window="1D")
    assert (win.starts[0], win.ends[-1], win.count) == ("2261-01-01T00:00:00", "2262-03-02T00:00:00", 425)
