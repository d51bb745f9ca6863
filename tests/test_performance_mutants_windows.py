"""A performance run's windows at their limits, called in the test process: calendar grids that are
nearly all empty (refused beyond 1000 windows and 90 % empty, naming the outlying rows), rows
without a timestamp, the role in every place an error names, and the cutter's fields as options
(found by mutation testing: ``scripts/mutation scripts/mlmon/services/performance/windows.py``).

Window counts are days counted by hand between the first and the last timestamp."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError, option
from mlmon.services.performance.windows import FIRST_YEAR, LAST_YEAR, MANY_WINDOWS, MOSTLY_EMPTY, _as_options, perf_windows

DAY0 = pd.Timestamp("2024-01-01 06:00")


def _days(*offsets):
    return pd.DataFrame({"ts": [DAY0 + pd.Timedelta(days=d) for d in offsets]})


def _refusal(frame, role="current", window="1D"):
    with pytest.raises(MlmonError) as info:
        perf_windows(frame, "ts", window, None, role=role)
    return info.value.what, info.value.where, info.value.todo


def test_the_limits():
    assert (MANY_WINDOWS, MOSTLY_EMPTY) == (1000, 0.9)


def test_a_grid_of_many_nearly_empty_windows_is_refused_naming_the_first_and_last_rows():
    # rows on day 1460 (twice) and day 0: 1461 daily windows, 1459 of them empty; the later of two equal
    # last timestamps is named
    frame = _days(1460, 1460, 0)
    assert _refusal(frame) == (
        "1,461 1D windows, 100% of them empty: timestamps run from 2024-01-01 06:00:00 (row 2) to 2027-12-31 06:00:00 "
        "(row 1), while the busiest window starts 2027-12-31T00:00:00", option("window"),
        "filter out the outlying rows (a placeholder date?) or choose a longer window")


def test_a_thousand_windows_however_empty_are_cut():
    win, notes = perf_windows(_days(0, 999), "ts", "1D", None)
    assert (win.count, notes) == (1000, [])
    assert _refusal(_days(0, 1000))[0].startswith("1,001 1D windows, 100% of them empty")


def test_nine_in_ten_windows_empty_are_cut_more_are_refused():
    win, _ = perf_windows(_days(*range(199), 1999), "ts", "1D", None)
    assert win.count == 2000 and (win.counts == 0).sum() == 1800
    what = _refusal(_days(*range(198), 1999))[0]
    assert what.startswith("2,000 1D windows, 90% of them empty: timestamps run from 2024-01-01 06:00:00 (row 0)")
    assert what.endswith("while the busiest window starts 2024-01-01T00:00:00")


def test_rows_without_a_timestamp_are_refused_with_their_count_and_role():
    frame = pd.DataFrame({"ts": [DAY0, pd.NaT, pd.NaT, DAY0]})
    assert _refusal(frame, role="reference") == (
        "2 rows have no timestamp in column 'ts'", "reference column ts", "fill or drop those rows")
    assert _refusal(pd.DataFrame({"ts": [pd.NaT, pd.NaT]}), role="reference") == (
        "timestamp column 'ts' is empty", "reference column ts", f"fill it or leave out {option('timestamp')}")


def test_the_cutter_fields_become_options_other_places_stay():
    assert _as_options("window") == option("window")
    assert _as_options("window, chunk_size") == f"{option('window')}, {option('chunk_size')}"
    assert _as_options("window, current column ts") == "window, current column ts"
    assert _as_options("") == ""


# ---------------------------------------------------------------------------- the years windows can be cut in


def _out_of_range(values):
    from mlmon.services.performance.windows import _refuse_out_of_range

    try:
        _refuse_out_of_range(pd.Series(values), "ts", "current column ts")
    except MlmonError as err:
        return err.what
    return None


def test_the_first_and_last_cuttable_years_are_kept_the_years_beyond_refused():
    from datetime import date, datetime

    assert (FIRST_YEAR, LAST_YEAR) == (1679, 2261)
    assert _out_of_range(["1679-01-01", "2261-12-31 23:59", None]) is None
    assert _out_of_range(pd.to_datetime(["1679-01-01", "2261-12-31", None])) is None
    assert _out_of_range([datetime(1679, 1, 1), date(2261, 12, 31), None]) is None
    assert _out_of_range(["1678-12-31", "2262-01-01"]).startswith("2 timestamp(s) in column 'ts'")
    # nanosecond datetimes reach 1677 and 2262 (pandas' limits); datetime and date objects are read by their text
    assert _out_of_range(pd.to_datetime(["1677-09-22", "2024-01-01", "2262-04-10", None])) == (
        "2 timestamp(s) in column 'ts' lie outside the years 1679-2261 (row 0: '1677-09-22 00:00:00', "
        "row 2: '2262-04-10 00:00:00')")
    assert _out_of_range(["2024-01-01", date(1500, 3, 1), datetime(9999, 1, 1), "text"]) == (
        "2 timestamp(s) in column 'ts' lie outside the years 1679-2261 (row 1: '1500-03-01', "
        "row 2: '9999-01-01 00:00:00')")


def _timestamps_of(values, role="current"):
    from mlmon.services.performance.windows import _timestamps

    return _timestamps(pd.Series(values), "ts", role)


def test_unparseable_timestamps_are_named_with_their_column_and_role():
    with pytest.raises(MlmonError) as err:
        _timestamps_of(["2024-01-01", "not a time"], role="reference")
    assert (err.value.what, err.value.where, err.value.todo) == (
        "1 unparseable timestamp(s) in column 'ts', e.g. 'not a time'", "reference column ts",
        "use ISO 8601 text (2024-05-01T12:00:00) or a datetime column")


def test_several_utc_offsets_are_cut_in_utc_with_a_note():
    idx, notes = _timestamps_of(["2024-01-01T00:00:00+01:00", "2024-06-01T00:00:00+02:00"])
    assert [str(t) for t in idx] == ["2023-12-31 23:00:00+00:00", "2024-05-31 22:00:00+00:00"]
    assert notes == ["timestamps in column 'ts' carry several UTC offsets: windows are cut in UTC"]


def test_timestamps_in_the_first_and_last_cuttable_years_are_read():
    idx, notes = _timestamps_of(["1679-01-01", "2261-12-31"])
    assert ([t.year for t in idx], notes) == ([1679, 2261], [])
    for outside in ("1678-12-31", "2262-01-01"):
        with pytest.raises(MlmonError) as err:
            _timestamps_of(["2024-01-01", outside])
        assert err.value.what.startswith("1 timestamp(s) in column 'ts' lie outside the years 1679-2261")
        assert err.value.where == "current column ts"


def test_a_time_whose_text_is_in_range_but_whose_utc_instant_is_not_is_refused_by_its_span():
    # 00:30 at +01:00 on the first day of 1679 is 1678 in UTC, where several offsets put the windows
    with pytest.raises(MlmonError) as err:
        _timestamps_of(["1679-01-01T00:30:00+01:00", "2024-06-01T00:00:00+02:00"])
    assert (err.value.what, err.value.where, err.value.todo) == (
        "timestamps in column 'ts' run from 1678-12-31 23:30:00+00:00 to 2024-05-31 22:00:00+00:00, outside the "
        "years 1679-2261", "current column ts", "drop or fix those rows before cutting windows")


def test_among_rows_sharing_the_first_or_last_time_the_refusal_names_the_first_and_the_last_in_file_order():
    rng = np.random.default_rng(0)
    days = np.concatenate([np.zeros(500, dtype=int), np.full(500, 1460)])
    rng.shuffle(days)
    frame = _days(*days.tolist())
    first, last = int(np.flatnonzero(days == 0)[0]), int(np.flatnonzero(days == 1460)[-1])
    what, _, _ = _refusal(frame)
    assert what.startswith(f"1,461 1D windows, 100% of them empty: timestamps run from 2024-01-01 06:00:00 (row {first}) "
                           f"to 2027-12-31 06:00:00 (row {last})")
