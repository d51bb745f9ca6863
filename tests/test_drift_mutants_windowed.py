"""Drift per window, rule by rule, on small tables run in this process: which windows are tested,
their verdicts and reasons, the warnings word for word, where each threshold came from, the
calibration summary's figures (the Poisson-binomial dataset alarm rate by hand), each window's
Wasserstein score as scipy computes it, and the errors (the rules of
:mod:`mlmon.services.drift.windowed`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, wasserstein_distance

from mlmon.errors import MlmonError
from mlmon.io.tables import Table, _kind
from mlmon.services.drift import DriftOptions
from mlmon.services.drift.windowed import dataset_alarm_rate, draws_for, run_two_files, run_windowed, with_fields


def _table(path, frame):
    return Table(path, frame, {c: _kind(frame[c]) for c in frame.columns})


def _reference(n=2000):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=n, freq="h"), "x": rng.normal(0, 1, n),
                         "c": rng.choice(list("ab"), n)})


def _days(counts=(40, 0, 12, 40, 40), shift_from=3):
    """Rows 10 minutes apart from midnight, day by day; x moves by 3 sd from day ``shift_from``; row 5 has no time."""
    rng = np.random.default_rng(1)
    parts = []
    for d, k in enumerate(counts):
        t0 = pd.Timestamp("2024-06-01") + pd.Timedelta(days=d)
        parts.append(pd.DataFrame({"ts": t0 + pd.to_timedelta(np.arange(k) * 600, unit="s"),
                                   "x": rng.normal(3.0 if d >= shift_from else 0.0, 1, k),
                                   "c": rng.choice(list("ab"), k)}))
    cur = pd.concat(parts, ignore_index=True)
    cur.loc[5, "ts"] = pd.NaT
    return cur


def _windowed(options, ref=None, cur=None):
    ref = _reference() if ref is None else ref
    cur = _days() if cur is None else cur
    return run_windowed(_table("r.parquet", ref), _table("c.parquet", cur), options), ref, cur


def test_draws_rest_the_quantile_on_two_draws_and_never_go_below_200():
    # max(200, ceil(2 / R) - 1)
    assert [draws_for(r) for r in (0.01, 0.02, 0.0099, 0.004, 0.001)] == [200, 200, 202, 499, 1999]


@pytest.mark.parametrize("rates, share, expected", [
    ([], 0.5, 0.0),
    ([0.01, 0.01], 0.5, 1 - 0.99 ** 2),                 # at least 1 of 2
    ([0.1, 0.2, 0.3], 0.5, 0.014 + 0.024 + 0.054 + 0.006),  # at least 2 of 3, each pair and all three by hand
    ([0.1, 0.2, 0.3], 2 / 3, 0.098),                    # 2/3 of 3 columns is 2, whatever the rounding
    ([0.1, 0.2, 0.3], 1.0, 0.1 * 0.2 * 0.3),
    ([0.1, 0.2, 0.3], 1e-9, 1 - 0.9 * 0.8 * 0.7),       # at least one column, never zero
    ([0.1, 0.2, 0.3], 1e-13, 1 - 0.9 * 0.8 * 0.7),
    ([0.1] * 10, 0.1 * 3, binom.sf(2, 10, 0.1)),        # 0.30000000000000004 of 10 columns is 3, not 4
    ([0.1, 0.2], 0.5 + 1e-12, 1 - 0.9 * 0.8),           # within the 1e-12 tolerance, inclusive: 1 of 2
])
def test_the_dataset_alarm_rate_is_the_chance_that_enough_columns_cross_at_once(rates, share, expected):
    assert dataset_alarm_rate(rates, share) == pytest.approx(expected, rel=1e-12)


def test_with_fields_changes_the_values_and_keeps_where_the_others_came_from():
    base = DriftOptions().from_fields(threshold=0.2).override(exclude=["a"])
    out = with_fields(base, exclude=["a", "ts"])
    assert (out.exclude, out.threshold, out.source("threshold"), out.source("exclude")) == (["a", "ts"], 0.2, "config",
                                                                                           "flag")
    assert base.exclude == ["a"]


def test_windows_are_tested_from_30_rows_with_their_verdicts_reasons_and_onsets():
    r, ref, cur = _windowed(DriftOptions().override(timestamp="ts", window="1D"))
    d = r.to_dict()
    w = d["windows"]
    assert [x["n"] for x in w] == [39, 0, 12, 40, 40]  # row 5 (day 1) has no time
    assert [x["tested"] for x in w] == [True, False, False, True, True]
    assert [x.get("reason") for x in w] == [None, "no rows", "12 rows, fewer than 30: not tested", None, None]
    for x in (w[1], w[2]):
        assert (x["dataset_drift"], x["drift_share"], x["n_drifted"], x["severity"], x["columns"]) == (
            None, None, None, None, {})
    assert [(x["n_drifted"], x["drift_share"], x["dataset_drift"], x["severity"]) for x in (w[0], w[3], w[4])] == [
        (0, 0.0, False, "healthy"), (1, 0.5, True, "degraded"), (1, 0.5, True, "degraded")]
    # each window's x against the whole reference, as Evidently scores it (scipy's distance over the
    # reference's standard deviation); the verdict follows ">="
    rows = [cur["ts"].notna() & (cur["ts"].dt.day == day) for day in (1, 4, 5)]
    for x, keep in zip((w[0], w[3], w[4]), rows):
        col = x["columns"]["x"]
        assert col["score"] == pytest.approx(wasserstein_distance(ref["x"], cur.loc[keep, "x"]) / np.std(ref["x"]),
                                             rel=1e-12)
        assert (col["method"], col["threshold_source"]) == ("wasserstein", "calibrated")
        assert col["drifted"] == (col["score"] >= col["threshold"])
    assert [x["columns"]["x"]["drifted"] for x in (w[0], w[3], w[4])] == [False, True, True]
    assert d["onsets"] == {"x": "2024-06-04T00:00:00", "c": None}
    assert {k: d["current"][k] for k in ("timestamp", "window", "windows", "zone", "missing_timestamps")} == {
        "timestamp": "ts", "window": "1D", "windows": 5, "zone": None, "missing_timestamps": 1}
    assert d["warnings"] == ["1 current row(s) have no 'ts' timestamp: counted in the whole period, in no window",
                             "2 of 5 windows not tested (1 empty, 1 under 30 rows)"]
    assert set(d["columns"]) == {"x", "c"}  # the timestamp is never tested


def test_the_calibration_summary_adds_up_from_each_columns_rate():
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D"))
    cal = r.to_dict()["calibration"]
    assert (cal["enabled"], cal["false_alarm_rate"], cal["draws"]) == (True, 0.01, 200)
    assert cal["threshold_sources"] == {"calibrated": 6}  # 3 tested windows x 2 columns
    rates = cal["column_false_alarm_rate"]
    assert set(rates) == {"x", "c"}
    assert rates == {c: max(x["achieved_rate"] for x in cal["columns"][c]) for c in ("x", "c")}
    rx, rc = rates["x"], rates["c"]
    # drift share 0.5 of 2 columns: one column crossing is a dataset alarm
    assert cal["expected_false_alarms_per_30_windows"] == pytest.approx(30 * (1 - (1 - rx) * (1 - rc)), rel=1e-12)
    assert cal["expected_column_false_alarms_per_30_windows"] == pytest.approx(30 * (rx + rc), rel=1e-12)
    for c in ("x", "c"):
        thresholds = {w["columns"][c]["threshold"] for w in r.windows if w["tested"]}
        assert thresholds == {cal["columns"][c][0]["threshold"]}  # 39 and 40 rows: one size group
    # windows of 40 and 60 rows: two size groups, two calibrations; a column's rate is the larger
    two, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D"), cur=_days(counts=(41, 60)))
    cal = two.to_dict()["calibration"]
    assert [len(cal["columns"][c]) for c in ("x", "c")] == [2, 2]
    assert cal["column_false_alarm_rate"] == {c: max(x["achieved_rate"] for x in cal["columns"][c]) for c in ("x", "c")}


def test_a_fixed_threshold_is_kept_and_its_chance_crossings_are_measured():
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D", threshold=0.05),
                        cur=_days(counts=(35, 40, 60)))
    d = r.to_dict()
    for w in d["windows"]:
        assert {(c["threshold"], c["threshold_source"]) for c in w["columns"].values()} == {(0.05, "flag")}
        assert all(c["drifted"] == (c["score"] >= 0.05) for c in w["columns"].values())
    cal = d["calibration"]
    assert (cal["enabled"], cal["threshold_sources"]) == (False, {"flag": 6})
    floors = {c: v[0] for c, v in cal["columns"].items()}
    assert {c: f["window_size"] for c, f in floors.items()} == {"x": 40, "c": 40}  # the median of 34, 40, 60
    assert cal["column_false_alarm_rate"] == {c: f["fixed_threshold_crossed_by_chance"] for c, f in floors.items()}
    share = floors["x"]["fixed_threshold_crossed_by_chance"]
    assert share > 0.05  # a Wasserstein distance of 0.05 sd is crossed by most 40-row samples
    assert (f"wasserstein 0.05 on x is crossed by chance on {share * 100:.0f} % of 40-row windows; calibrate the "
            "thresholds or raise this one") in d["warnings"]
    config, _, _ = _windowed(DriftOptions().from_fields(threshold=0.05).override(timestamp="ts", window="1D"))
    assert config.to_dict()["calibration"]["threshold_sources"] == {"config": 6}
    off, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D", calibrate=False))
    assert off.to_dict()["calibration"]["threshold_sources"] == {"default": 6}
    assert {c["threshold"] for w in off.windows if w["tested"] for c in w["columns"].values()} == {0.1}


def test_row_chunks_need_no_timestamp():
    cur = _days(counts=(40, 40, 40), shift_from=9).drop(columns="ts")
    r, _, _ = _windowed(DriftOptions().override(chunk_size=40), ref=_reference().drop(columns="ts"), cur=cur)
    d = r.to_dict()
    assert [w["n"] for w in d["windows"]] == [40, 40, 40] and all(w["tested"] for w in d["windows"])
    assert (d["current"]["timestamp"], d["current"]["windows"], d["current"]["missing_timestamps"]) == (None, 3, 0)
    assert not any("windows not tested" in w for w in d["warnings"])


def test_a_window_of_30_rows_is_tested_and_one_without_30_values_in_any_column_has_no_drift():
    cur = _days(counts=(30, 30, 30), shift_from=9).drop(columns="ts")
    cur.loc[60:75, ["x", "c"]] = np.nan  # the third chunk keeps 14 values in each column
    r, _, _ = _windowed(DriftOptions().override(chunk_size=30), ref=_reference().drop(columns="ts"), cur=cur)
    w = r.to_dict()["windows"]
    assert [set(x["columns"]) for x in w] == [{"x", "c"}, {"x", "c"}, set()]
    assert (w[2]["tested"], w[2]["n_drifted"], w[2]["drift_share"], w[2]["dataset_drift"], w[2]["severity"]) == (
        True, 0, 0.0, False, "healthy")


def test_empty_windows_alone_are_counted_in_the_warning():
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D"), cur=_days(counts=(40, 0, 40)))
    assert r.warnings[-1] == "1 of 3 windows not tested (1 empty, 0 under 30 rows)"


def test_a_fixed_threshold_is_measured_at_the_largest_size_the_reference_serves():
    # 40-row windows (size group from 39) against 78 reference values: 2 x 39 <= 78, measured
    one_chunk = _days(counts=(40,)).drop(columns="ts")
    r, _, _ = _windowed(DriftOptions().override(chunk_size=40, threshold=0.5), ref=_reference(78).drop(columns="ts"),
                        cur=one_chunk)
    assert [f["window_size"] for f in r.calibration["columns"]["x"]] == [40]


def _error(options, ref=None, cur=None):
    with pytest.raises(MlmonError) as exc:
        _windowed(options, ref, cur)
    return exc.value.line()


def test_window_errors_are_one_line_with_what_to_do():
    assert _error(DriftOptions().override(timestamp="when", window="1D")) == (
        "mlmon: error: timestamp column 'when' is not in the current data (options); name one of its columns with "
        "timestamp: ts, x, c")
    assert _error(DriftOptions().override(chunk_size=29)) == (
        "mlmon: error: chunk_size 29 is smaller than a window can be tested at (options); use at least 30 rows a "
        "window, e.g. chunk_size 500")
    assert _error(DriftOptions().override(timestamp="ts", window="1D"), cur=_days(counts=(29, 12))) == (
        "mlmon: error: every window holds fewer than 30 rows (the largest: 28) (options); windows are tested from "
        "30 rows up: use a longer window or a larger chunk_size")  # 28: row 5 has no time
    # a 40-row window is in the size group from 39 rows (mlmon.stats.calibration.size_bucket), which
    # needs 2 x 39 = 78 reference values
    one_chunk = _days(counts=(40,)).drop(columns="ts")
    assert _error(DriftOptions().override(chunk_size=40), ref=_reference(77).drop(columns="ts"), cur=one_chunk) == (
        "mlmon: error: window row 0 holds 40 rows, too many to calibrate on the 77 reference values of 'x' "
        "(calibration serves windows of 30 to 38 rows) (options); use shorter windows (window or chunk_size), "
        "a larger reference, or fixed thresholds (calibration disabled)")
    r, _, _ = _windowed(DriftOptions().override(chunk_size=40), ref=_reference(78).drop(columns="ts"), cur=one_chunk)
    assert r.windows[0]["tested"] is True


def test_the_two_file_check_calibrates_only_when_asked():
    ref, cur = _table("r", _reference()), _table("c", _days(counts=(40, 40)))
    plain = run_two_files(ref, cur, DriftOptions().override(timestamp="ts"))
    assert {c.threshold_source for c in plain.columns.values()} == {"default"} and plain.calibration is None
    assert (set(plain.columns), plain.skipped) == ({"x", "c"}, {})  # the named timestamp is left out, not skipped
    named = run_two_files(ref, cur, DriftOptions().override(timestamp="ts", exclude=["ts"]))
    assert (set(named.columns), named.skipped) == ({"x", "c"}, {})
    flag = run_two_files(ref, cur, DriftOptions().override(timestamp="ts", calibrate=True))
    assert {c.threshold_source for c in flag.columns.values()} == {"calibrated"}
    assert flag.calibration["enabled"] is True and flag.calibration["threshold_sources"] == {"calibrated": 2}
    config = DriftOptions().from_fields(timestamp="ts", calibrate=True)
    assert {c.threshold_source for c in run_two_files(ref, cur, config).columns.values()} == {"default"}
    assert {c.threshold_source for c in run_two_files(ref, cur, config, calibrate_by_config=True).columns.values()} == {
        "calibrated"}


def test_a_current_side_too_large_to_calibrate_is_an_error_when_asked_and_a_warning_when_scheduled():
    ref, cur = _table("r", _reference(150)), _table("c", _days(counts=(80,)))
    with pytest.raises(MlmonError) as exc:
        run_two_files(ref, cur, DriftOptions().override(calibrate=True))
    assert exc.value.line().startswith("mlmon: error: the current data holds 80 rows, too many to calibrate on the "
                                       "150 reference values of 'x' (calibration serves windows of 30 to 75 rows)")
    r = run_two_files(ref, cur, DriftOptions().from_fields(calibrate=True), calibrate_by_config=True)
    assert r.warnings[-1] == ("calibration skipped for c, x: the current data (80 rows) is more than half the "
                              "reference; these columns use their tests' default thresholds")
    assert {c.threshold_source for c in r.columns.values()} == {"default"}
    assert r.calibration["enabled"] is False


def test_rows_out_of_time_order_are_scored_in_their_own_windows():
    # the first day's rows, then the third's, then the second's latest first: each window's x is
    # still its day's values, scored as scipy scores them
    cur = _days(counts=(40, 40, 40), shift_from=9)
    cur = pd.concat([cur[:40], cur[80:], cur[40:80].iloc[::-1]])
    r, ref, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D", threshold=0.5), cur=cur)
    days = [cur.loc[cur["ts"].notna() & (cur["ts"].dt.day == day), "x"] for day in (1, 2, 3)]
    assert [w["n"] for w in r.windows] == [39, 40, 40]
    assert [w["columns"]["x"]["score"] for w in r.windows] == [
        pytest.approx(wasserstein_distance(ref["x"], x) / np.std(ref["x"]), rel=1e-12) for x in days]


def test_a_fixed_threshold_crossed_on_exactly_the_noise_floor_earns_no_warning(monkeypatch):
    from mlmon.services.drift import windowed

    options = DriftOptions().override(timestamp="ts", window="1D", threshold=0.05)
    r, _, _ = _windowed(options, cur=_days(counts=(35, 40, 60)))
    share = r.calibration["columns"]["x"][0]["fixed_threshold_crossed_by_chance"]
    assert any(w.startswith("wasserstein 0.05 on x ") for w in r.warnings)
    monkeypatch.setattr(windowed, "NOISE_FLOOR", share)  # "more than" the floor: the floor itself passes
    r, _, _ = _windowed(options, cur=_days(counts=(35, 40, 60)))
    assert r.calibration["columns"]["x"][0]["fixed_threshold_crossed_by_chance"] == share
    assert not any(w.startswith("wasserstein 0.05 on x ") for w in r.warnings)


def test_a_last_window_without_any_value_of_a_column_tests_the_other_columns():
    cur = _days(counts=(30, 30, 30), shift_from=9).drop(columns="ts")
    cur.loc[60:, "x"] = np.nan  # the third chunk: no x at all, 30 values of c
    r, _, _ = _windowed(DriftOptions().override(chunk_size=30), ref=_reference().drop(columns="ts"), cur=cur)
    assert [set(w["columns"]) for w in r.windows] == [{"x", "c"}, {"x", "c"}, {"c"}]
    assert [w["tested"] for w in r.windows] == [True, True, True]


def test_a_fixed_threshold_is_not_measured_at_a_size_the_reference_cannot_serve():
    # 40-row windows need 2 x 39 = 78 reference values (mlmon.stats.calibration.size_bucket); 77 have no floor
    one_chunk = _days(counts=(40,)).drop(columns="ts")
    r, _, _ = _windowed(DriftOptions().override(chunk_size=40, threshold=0.5), ref=_reference(77).drop(columns="ts"),
                        cur=one_chunk)
    assert (r.windows[0]["tested"], r.calibration["columns"], r.calibration["column_false_alarm_rate"]) == (True, {}, {})


def test_the_noise_floor_counts_the_references_own_chunks_in_time_order():
    # the same 2000 values, once rising with time and once shuffled: random draws see the same
    # sorted values, only the reference's contiguous chunks differ (used from 1 / R = 20 chunks). Every
    # 39-row chunk of a rising reference lies more than 0.3 sd from the rest: crossed every time.
    rising = _reference()
    rising["x"] = np.sort(rising["x"].to_numpy())
    shuffled = rising.assign(x=np.random.default_rng(5).permutation(rising["x"].to_numpy()))
    options = DriftOptions().override(timestamp="ts", window="1D", threshold=0.3, false_alarm_rate=0.05)
    floors = [_windowed(options, ref=ref, cur=_days(counts=(40, 40)))[0].calibration["columns"]["x"]
              for ref in (rising, shuffled)]
    assert floors[0] == [{"fixed_threshold_crossed_by_chance": 1.0, "window_size": 39}]
    assert floors[1][0]["fixed_threshold_crossed_by_chance"] < 0.5


def test_numbers_as_categories_leave_out_missing_and_infinite_values_window_by_window():
    # each window's score is the two-file check's on that window's rows (same method and typing)
    ref, cur = _reference(), _days(counts=(40, 40), shift_from=9)
    ref["k"] = np.where(np.arange(len(ref)) % 3, 1.0, 2.0)
    ref.loc[7, "k"] = np.inf
    cur["k"] = np.where(np.arange(len(cur)) % 2, 1.0, 2.0)
    cur.loc[[3, 50], "k"], cur.loc[[4, 60], "k"] = np.inf, np.nan
    options = DriftOptions().override(timestamp="ts", window="1D", categorical=["k"], threshold=0.5)
    r, _, _ = _windowed(options, ref=ref, cur=cur)
    for w, day in zip(r.windows, (1, 2)):
        rows = cur[cur["ts"].notna() & (cur["ts"].dt.day == day)]
        alone = run_two_files(_table("r", ref), _table("c", rows),
                              options.override(column_methods={"k": w["columns"]["k"]["method"]}))
        assert w["columns"]["k"]["score"] == pytest.approx(alone.columns["k"].score, rel=1e-12)
        assert alone.columns["k"].current_count == len(rows) - 2  # one inf and one missing a day


def test_nullable_numbers_are_scored_as_plain_floats():
    options = DriftOptions().override(timestamp="ts", window="1D", threshold=0.5, numerical=["x"])
    plain = _days(counts=(40, 40))
    plain.loc[[10, 70], "x"] = np.nan
    expected = [w["columns"]["x"]["score"] for w in _windowed(options, cur=plain)[0].windows]
    r, _, _ = _windowed(options, cur=plain.assign(x=plain["x"].astype("Float64")))  # missing as pd.NA
    assert [w["columns"]["x"]["score"] for w in r.windows] == expected


def test_a_time_zone_cuts_days_at_its_own_midnight():
    # rows from 00:00 UTC, 10 minutes apart, 40 a day: 20:00 to 02:30 in New York (UTC-4 in June), so
    # its first day holds the 24 rows before 04:00 UTC (less row 5, which has no time), the next two
    # the remaining 16 of a day and the first 24 of the next, the last 16
    cur = _days(counts=(40, 40, 40), shift_from=9)
    cur["ts"] = cur["ts"].dt.tz_localize("UTC")
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D", timezone="America/New_York"), cur=cur)
    assert r.current["zone"] == "America/New_York"
    assert [(w["start"], w["n"]) for w in r.windows] == [
        ("2024-05-31T00:00:00-04:00", 23), ("2024-06-01T00:00:00-04:00", 40), ("2024-06-02T00:00:00-04:00", 40),
        ("2024-06-03T00:00:00-04:00", 16)]


def test_timestamp_errors_name_the_column_and_at_most_ten_others():
    ref = _reference()
    ref["ts"] = np.arange(len(ref))
    assert _error(DriftOptions().override(timestamp="ts", window="1D"), ref=ref) == (
        "mlmon: error: timestamp column 'ts' is numeric, not a date or time (timestamp); store timestamps as dates "
        "or ISO 8601 text (e.g. 2024-05-01T12:00:00)")
    cur = _days().assign(**{f"z{i}": 1.0 for i in range(9)})  # 12 columns
    assert _error(DriftOptions().override(timestamp="when", window="1D"), cur=cur).endswith(
        "name one of its columns with timestamp: ts, x, c, z0, z1, z2, z3, z4, z5, z6")


def test_every_calibration_takes_the_draws_its_false_alarm_rate_needs():
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D", false_alarm_rate=0.004))
    cal = r.calibration
    assert cal["draws"] == 499  # ceil(2 / 0.004) - 1
    assert {c["draws"] for cals in cal["columns"].values() for c in cals} == {499}


def test_reference_rows_sharing_a_time_keep_their_file_order():
    # reference rows at two instants in turn, values rising down the file: in time order, the even
    # rows then the odd ones, each half still rising: each chunk is a narrow band of values, at least
    # E|X| = 0.8 sd from the rest (the middle one; the others further), so 0.7 is crossed every time
    rising = _reference()
    rising["ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(rising)) % 2, unit="h")
    rising["x"] = np.sort(rising["x"].to_numpy())
    options = DriftOptions().override(timestamp="ts", window="1D", threshold=0.7, false_alarm_rate=0.05)
    r, _, _ = _windowed(options, ref=rising, cur=_days(counts=(40, 40)))
    assert r.calibration["columns"]["x"] == [{"fixed_threshold_crossed_by_chance": 1.0, "window_size": 39}]


def test_one_worker_and_one_column_give_the_windows_several_workers_give():
    options = DriftOptions().override(timestamp="ts", window="1D")
    threads, _, _ = _windowed(options)
    serial, _, _ = _windowed(options.override(workers=1))
    assert serial.windows == threads.windows and serial.onsets == threads.onsets
    alone, _, _ = _windowed(options, ref=_reference().drop(columns="c"), cur=_days().drop(columns="c"))
    assert [w["columns"] for w in alone.windows] == [{k: v for k, v in w["columns"].items() if k == "x"}
                                                     for w in threads.windows]


def test_missing_timestamps_are_warned_about_first_and_a_one_row_window_is_small_not_empty():
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D", threshold=0.05),
                        cur=_days(counts=(35, 40, 60)))
    assert r.warnings[0] == "1 current row(s) have no 'ts' timestamp: counted in the whole period, in no window"
    assert [w.split(" ")[:3] for w in r.warnings[1:]] == [["wasserstein", "0.05", "on"], ["jensenshannon", "0.05", "on"]]
    r, _, _ = _windowed(DriftOptions().override(timestamp="ts", window="1D"), cur=_days(counts=(40, 1, 40)))
    assert r.windows[1]["reason"] == "1 rows, fewer than 30: not tested"
    assert r.warnings[-1] == "1 of 3 windows not tested (0 empty, 1 under 30 rows)"


def test_a_calibrated_two_file_check_draws_at_its_false_alarm_rate_from_one_fixed_rest_of_the_reference():
    from mlmon.stats.calibration import CalibrationCache
    from mlmon.stats.univariate import NUMERICAL, get

    ref, cur = _reference(), _days(counts=(40, 40))
    # x would take Wasserstein by default (2000 reference rows): KS shows the options reach the check
    options = DriftOptions().override(calibrate=True, false_alarm_rate=0.005, column_methods={"x": "ks"})
    r = run_two_files(_table("r", ref), _table("c", cur), options)
    x, c = r.columns["x"], r.columns["c"]
    assert (x.method, c.method) == ("ks", "jensenshannon")
    cache = CalibrationCache(false_alarm_rate=0.005, draws=draws_for(0.005), method="random", fast=True)
    want = cache.calibration("x", np.sort(ref["x"].to_numpy()), get("ks"), NUMERICAL, 80)
    assert (x.threshold, x.threshold_source, c.threshold_source) == (want.threshold, "calibrated", "calibrated")
    assert r.calibration["false_alarm_rate"] == 0.005 and r.calibration["draws"] == 399
    assert r.calibration["column_false_alarm_rate"] == {"x": want.achieved_rate, "c": want.achieved_rate}


def test_the_sorted_columns_reach_the_callback_with_or_without_calibration():
    ref, cur = _table("r", _reference()), _table("c", _days(counts=(40, 40)))
    for options in (DriftOptions(), DriftOptions().override(calibrate=True)):
        seen = []
        run_two_files(ref, cur, options, on_sorted=lambda name, a, b: seen.append((name, a.size, b.size)))
        assert seen == [("x", 2000, 80)]  # the numerical column only


def test_a_timestamp_only_the_reference_holds_is_a_column_the_current_lacks():
    ref, cur = _table("r", _reference()), _table("c", _days(counts=(40, 40)).drop(columns=["ts"]))
    with pytest.raises(MlmonError) as exc:
        run_two_files(ref, cur, DriftOptions().override(timestamp="ts"))
    assert exc.value.what == "reference and current have different columns: missing in current: ts"
