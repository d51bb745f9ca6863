"""`mlmon drift --timestamp COL --window D | --chunk-size N`: drift per window, calibrated thresholds, onsets.

Expected values come from the data each test builds: the windows a calendar gives, the day a
shift was injected, the false-alarm rate asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import run_mlmon
from mlmon_testing import write_pair as _files, drift_json as _drift, drift_error as _error


def _reference(n=20_000, seed=0, with_ts=True):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(0, 1, n), "y": rng.gamma(2, 2, n), "c": rng.choice(list("abcd"), n)})
    if with_ts:
        frame.insert(0, "ts", pd.date_range("2024-01-01", periods=n, freq="15min"))
    return frame


def _days(days, per_day, shift_from=None, seed=1, start="2024-06-01"):
    """``per_day`` rows a day (a list: one count per day); ``x`` moves by 2 sd from day ``shift_from``."""
    rng = np.random.default_rng(seed)
    counts = per_day if isinstance(per_day, list) else [per_day] * days
    parts = []
    for d, k in enumerate(counts):
        t0 = pd.Timestamp(start) + pd.Timedelta(days=d)
        ts = t0 + pd.to_timedelta(np.sort(rng.uniform(0, 86_399, k)), unit="s")
        shift = 2.0 if shift_from is not None and d >= shift_from else 0.0
        parts.append(pd.DataFrame({"ts": ts, "x": rng.normal(shift, 1, k), "y": rng.gamma(2, 2, k),
                                   "c": rng.choice(list("abcd"), k)}))
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------- contract


def test_json_keeps_the_whole_period_and_adds_windows_onsets_calibration(tmp_path):
    files = _files(tmp_path, _reference(), _days(5, 200))
    d = _drift(*files, "--timestamp", "ts", "--window", "1D")
    assert set(d["columns"]) == {"x", "y", "c"}  # the timestamp is never tested
    assert {"dataset_drift", "drift_share", "severity", "warnings", "recommendations"} <= set(d)
    assert len(d["windows"]) == 5
    w = d["windows"][0]
    assert set(w) == {"start", "end", "n", "tested", "dataset_drift", "drift_share", "n_drifted", "severity", "columns"}
    assert set(w["columns"]) == {"x", "y", "c"}
    assert set(w["columns"]["x"]) == {"method", "score", "threshold", "drifted", "threshold_source"}
    assert set(d["onsets"]) == {"x", "y", "c"}
    cal = d["calibration"]
    assert cal["enabled"] is True and cal["false_alarm_rate"] == 0.01
    assert {"method", "draws", "threshold_sources", "expected_false_alarms_per_30_windows", "columns"} <= set(cal)
    assert d["current"]["timestamp"] == "ts" and d["current"]["window"] == "1D" and d["current"]["missing_timestamps"] == 0
    for c in d["columns"].values():  # whole period: today's thresholds
        assert c["threshold_source"] == "default" and c["threshold"] == 0.1


def test_two_file_check_is_unchanged_unless_calibrate_is_given(tmp_path):
    ref, cur = _reference(with_ts=False), _days(1, 400).drop(columns="ts")
    files = _files(tmp_path, ref, cur)
    plain = _drift(*files)
    assert "windows" not in plain and "calibration" not in plain
    assert {c["threshold_source"] for c in plain["columns"].values()} == {"default"}
    cal = _drift(*files, "--calibrate", "--false-alarm-rate", "0.05")
    assert {c["threshold_source"] for c in cal["columns"].values()} == {"calibrated"}
    assert cal["calibration"]["false_alarm_rate"] == 0.05
    # the score is the same test's; only the threshold moved
    assert cal["columns"]["x"]["score"] == plain["columns"]["x"]["score"]
    assert cal["columns"]["x"]["threshold"] != plain["columns"]["x"]["threshold"]


# ---------------------------------------------------------------------------- windows


def test_calendar_windows_have_exact_boundaries_and_empty_days_count_zero(tmp_path):
    cur = _days(4, [100, 0, 60, 10])  # day 2 has no rows, day 4 too few to test
    d = _drift(*_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--window", "1D")
    starts = [w["start"] for w in d["windows"]]
    assert starts == ["2024-06-01T00:00:00", "2024-06-02T00:00:00", "2024-06-03T00:00:00", "2024-06-04T00:00:00"]
    assert [w["end"] for w in d["windows"]][:1] == ["2024-06-02T00:00:00"]
    assert [w["n"] for w in d["windows"]] == [100, 0, 60, 10]
    assert [w["tested"] for w in d["windows"]] == [True, False, True, False]
    assert d["windows"][1]["reason"] == "no rows" and d["windows"][1]["columns"] == {}
    assert d["windows"][3]["reason"] == "10 rows, fewer than 30: not tested"
    assert any("2 of 4 windows not tested (1 empty, 1 under 30 rows)" in w for w in d["warnings"])


def test_chunks_follow_timestamp_order(tmp_path):
    cur = _days(3, 100).sample(frac=1, random_state=0)  # shuffled rows
    d = _drift(*_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--chunk-size", "100")
    assert [w["n"] for w in d["windows"]] == [100, 100, 100]
    assert [w["start"][:10] for w in d["windows"]] == ["2024-06-01", "2024-06-02", "2024-06-03"]


def test_onset_is_the_first_window_of_the_shift(tmp_path):
    cur = _days(10, 150, shift_from=6)
    d = _drift(*_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--window", "1D")
    assert d["onsets"]["x"] == "2024-06-07T00:00:00"
    assert d["onsets"]["y"] is None and d["onsets"]["c"] is None
    assert [w["columns"]["x"]["drifted"] for w in d["windows"]][6:] == [True] * 4
    run = run_mlmon("drift", *_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--window", "1D", "--no-history")
    assert "- `x` has drifted since 2024-06-07T00:00:00" in run.out


# ---------------------------------------------------------------------------- thresholds


def test_threshold_source_says_where_each_threshold_came_from(tmp_path):
    files = _files(tmp_path, _reference(), _days(3, 200))
    base = [*files, "--timestamp", "ts", "--window", "1D"]

    def sources(d):
        return {r["threshold_source"] for w in d["windows"] for r in w["columns"].values()}

    assert sources(_drift(*base)) == {"calibrated"}
    assert sources(_drift(*base, "--no-calibrate")) == {"default"}
    flagged = _drift(*base, "--threshold", "0.3")
    assert sources(flagged) == {"flag"}
    assert {c["threshold_source"] for c in flagged["columns"].values()} == {"flag"}
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text("version: 1\nmodel: {name: m, task: binary}\ndata:\n  reference: {path: r.parquet}\n  current: {path: c.parquet}\n"
                   "drift:\n  column_thresholds: {x: 0.5}\n")
    mixed = _drift(*base, "--config", cfg)
    assert {r["threshold_source"] for w in mixed["windows"] for c, r in w["columns"].items() if c == "x"} == {"config"}
    assert {r["threshold_source"] for w in mixed["windows"] for c, r in w["columns"].items() if c != "x"} == {"calibrated"}
    assert mixed["columns"]["x"]["threshold_source"] == "config"
    off = tmp_path / "off.yaml"
    off.write_text(cfg.read_text().replace("column_thresholds: {x: 0.5}", "calibration: {enabled: false}"))
    assert sources(_drift(*base, "--config", off)) == {"default"}


def test_noise_floor_warning_gives_the_figure(tmp_path):
    d = _drift(*_files(tmp_path, _reference(), _days(3, 165)), "--timestamp", "ts", "--window", "1D", "--no-calibrate")
    floor = [w for w in d["warnings"] if "crossed by chance" in w]
    assert any(w.startswith("wasserstein 0.1 on x is crossed by chance on ") and "% of 165-row windows" in w for w in floor)
    share = d["calibration"]["columns"]["x"][0]["fixed_threshold_crossed_by_chance"]
    assert share > 0.05  # 165 rows: N(0,1) crosses 0.1 sd on a large share of stable days


def test_calibrated_false_alarm_rate_holds_on_stable_data(tmp_path):
    """R = 0.05 asked for; 3 columns x 150 stable chunks of 120 rows: false alarms within 1.5 R (and not far below)."""
    rng = np.random.default_rng(7)
    n_ref, n_cur = 30_000, 150 * 120

    def frame(n):
        return pd.DataFrame({"a": rng.normal(0, 1, n), "b": rng.lognormal(0, 1, n), "c": rng.choice(list("pqrst"), n)})

    files = _files(tmp_path, frame(n_ref), frame(n_cur))
    d = _drift(*files, "--chunk-size", "120", "--false-alarm-rate", "0.05")
    flags = [r["drifted"] for w in d["windows"] for r in w["columns"].values()]
    assert len(flags) == 450
    rate = float(np.mean(flags))
    assert 0.05 / 2.5 <= rate <= 1.5 * 0.05, rate


# ---------------------------------------------------------------------------- bad input


def test_missing_timestamps_are_counted_and_reported(tmp_path):
    cur = _days(3, 100)
    cur.loc[[5, 50, 150], "ts"] = pd.NaT
    d = _drift(*_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--window", "1D")
    assert d["current"]["missing_timestamps"] == 3
    assert d["warnings"][0] == "3 current row(s) have no 'ts' timestamp: counted in the whole period, in no window"
    assert sum(w["n"] for w in d["windows"]) == 297 and d["current"]["rows"] == 300


def test_unparseable_timestamp_is_one_line(tmp_path):
    cur = _days(2, 100)
    cur["ts"] = cur["ts"].astype(str)
    cur.loc[7, "ts"] = "yesterday"
    err = _error(*_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--window", "1D")
    assert "unparseable timestamp(s) in column 'ts', e.g. 'yesterday'" in err and "ISO 8601" in err


def test_mixed_time_zones_are_one_line(tmp_path):
    cur = _days(2, 100)
    text = cur["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    cur["ts"] = text.where(cur.index % 2 == 0, text + "+02:00")
    err = _error(*_files(tmp_path, _reference(), cur), "--timestamp", "ts", "--window", "1D")
    assert "mixes values with a time zone" in err and "write every timestamp with its offset, or none of them" in err


def test_window_and_chunk_size_together(tmp_path):
    err = _error(*_files(tmp_path, _reference(), _days(2, 100)), "--timestamp", "ts", "--window", "1D", "--chunk-size", "50")
    assert err == ("mlmon: error: --window and --chunk-size given together (command line); choose one: "
                   "calendar periods (--window 1D) or row counts (--chunk-size 1000)\n")


@pytest.mark.parametrize("rate", ["0", "0.5", "-0.1", "1"])
def test_false_alarm_rate_outside_open_interval(tmp_path, rate):
    err = _error(*_files(tmp_path, _reference(), _days(2, 100)), "--timestamp", "ts", "--window", "1D",
                 "--false-alarm-rate", rate)
    assert f"--false-alarm-rate {float(rate)} is outside (0, 0.5) (command line)" in err


def test_window_too_large_for_the_calibration_says_what_it_serves(tmp_path):
    ref = _reference(n=1_000)
    err = _error(*_files(tmp_path, ref, _days(2, 800)), "--timestamp", "ts", "--window", "1D")
    assert "too many to calibrate on the 1000 reference values" in err
    assert "calibration serves windows of 30 to 500 rows" in err


def test_windows_too_small_to_test(tmp_path):
    files = _files(tmp_path, _reference(), _days(2, 100))
    err = _error(*files, "--timestamp", "ts", "--chunk-size", "10")
    assert "--chunk-size 10 is smaller than a window can be tested at" in err and "use at least 30 rows" in err
    err = _error(*_files(tmp_path, _reference(), _days(3, 12)), "--timestamp", "ts", "--window", "1D")
    assert "every window holds fewer than 30 rows (the largest: 12)" in err and "longer --window" in err


def test_window_needs_a_timestamp(tmp_path):
    err = _error(*_files(tmp_path, _reference(), _days(2, 100)), "--window", "1D")
    assert "--window 1D needs a timestamp column" in err and "--timestamp COL" in err
    err = _error(*_files(tmp_path, _reference(), _days(2, 100)), "--timestamp", "when", "--window", "1D")
    assert "timestamp column 'when' is not in the current data" in err


# ---------------------------------------------------------------------------- fast kernels


@pytest.mark.parametrize("N,n", [(50_000, 165), (1_000, 999), (7, 3), (100, 100)])
def test_wasserstein_against_a_prepared_reference_equals_the_merge(N, n):
    from mlmon.stats.univariate.wasserstein import SortedReference, wasserstein_distance_sorted, wasserstein_to_reference

    rng = np.random.default_rng(N + n)
    ref, cur = np.sort(rng.lognormal(3, 1, N)), np.sort(rng.lognormal(3.1, 1, n))
    assert wasserstein_to_reference(SortedReference(ref), cur) == pytest.approx(wasserstein_distance_sorted(ref, cur), rel=1e-12)


@pytest.mark.parametrize("method", ["jensenshannon", "psi", "chisquare", "kl_div", "hellinger", "wasserstein"])
def test_window_scorer_equals_the_row_test(method):
    from mlmon.stats.calibration import scorer
    from mlmon.stats.univariate import get

    rng = np.random.default_rng(3)
    test = get(method)
    kind = "numerical" if method == "wasserstein" else "categorical"
    if kind == "numerical":
        ref, cur = np.sort(rng.normal(size=5_000)), np.sort(rng.normal(0.2, 1, 150))
    else:
        ref, cur = np.sort(rng.integers(0, 5, 5_000)), np.sort(rng.integers(0, 6, 150))  # one category only in the window
    expected = test(ref, cur, kind, test.default_threshold, presorted=True)
    score, drifted = scorer(test, ref, kind)(cur, test.default_threshold)
    assert score == pytest.approx(expected.score, rel=1e-12) and drifted == expected.drifted


def test_windows_of_columns_beyond_1e150_score_and_calibrate_as_in_a_smaller_unit(tmp_path):
    """The same data with its numbers times 2**600 (about 4e180, exact): every window's score,
    calibrated threshold and verdict are those of the data as it is. Before, the draws that set
    the thresholds all came out NaN and the run stopped: "0 random draws cannot set a
    false-alarm rate"."""
    ref, cur = _reference(4000), _days(4, 200, shift_from=2)
    plain = _drift(*_files(tmp_path, ref, cur), "--timestamp", "ts", "--window", "1D", "--exclude", "c")
    big = tmp_path / "big"
    big.mkdir()
    scale = {"x": lambda f: np.ldexp(f.x, 600), "y": lambda f: np.ldexp(f.y, 600)}
    huge = _drift(*_files(big, ref.assign(**scale), cur.assign(**scale)), "--timestamp", "ts", "--window", "1D",
                  "--exclude", "c")
    for a, b in zip(plain["windows"], huge["windows"]):
        assert a["columns"] == b["columns"]
    assert [w["columns"]["x"]["drifted"] for w in huge["windows"]] == [False, False, True, True]
    assert huge["onsets"]["x"] == plain["onsets"]["x"] == "2024-06-03T00:00:00"
