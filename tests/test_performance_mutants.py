"""The performance service pinned where its other tests leave room: each failure path's whole
message, the CBPE summary of a binary run, segments at their row-count bounds, and the
estimate-vs-label check read from stored rows (found by mutation testing:
``scripts/mutation performance``).

Expected values come from hand computation on small frames built here (CBPE's expected
accuracy is the mean of ``p`` where the prediction is positive and ``1 - p`` where it is not)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimation_data import stored_rows
from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.performance import PerfOptions, compute_performance
from mlmon.services.performance.disagreement import disagreement_from_rows, disagreements_from_rows
from mlmon.services.performance.segments import add_segments, worst_segments

BIN = dict(task="binary", target="y", prediction="yhat")


def _error(call):
    with pytest.raises(MlmonError) as info:
        call()
    e = info.value
    return e.what, e.where, e.todo


# ---------------------------------------------------------------------------- labels from another frame


def _predictions(n=6):
    return pd.DataFrame({"id": np.arange(n), "yhat": [1, 0] * (n // 2)})


def test_a_labels_frame_without_a_join_column_or_target_is_refused_whole():
    labels = pd.DataFrame({"id": [0], "y": [1]})
    assert _error(lambda: compute_performance(_predictions(), PerfOptions(**BIN), labels=labels)) == (
        "a labels file needs the id column that joins it", option("labels"), f"pass {option('join_on')} ID")
    assert _error(lambda: compute_performance(_predictions(), PerfOptions(task="binary", prediction="yhat", join_on="id"),
                                              labels=labels)) == (
        "which labels column is the target?", option("labels"), f"pass {option('target')} COL")


def test_joined_labels_count_the_predictions_still_waiting_and_bring_their_timestamps():
    cur = _predictions().assign(ts=pd.Timestamp("2024-01-01"))
    labels = pd.DataFrame({"id": [0, 1, 2, 3], "y": [1, 0, 0, 0],
                           "label_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta([1, 2, 3, 4], unit="h")})
    o = PerfOptions(**BIN, join_on="id", timestamp="ts", label_timestamp="label_ts")
    d = compute_performance(cur, o, labels=labels).to_dict()
    assert "2 of 6 predictions have no label yet" in d["warnings"]
    assert d["labeled_rows"] == 4 and d["windows"][0]["metrics"]["accuracy"] == 0.75  # yhat 1,0,1,0 vs y 1,0,0,0
    assert d["label_delay"]["median_seconds"] == 2.5 * 3600  # delays 1, 2, 3, 4 hours
    # every prediction labeled: no such warning; a label timestamp the labels frame lacks is read from the predictions
    labels = pd.DataFrame({"id": range(6), "y": [1, 0, 1, 0, 1, 1]})
    d = compute_performance(cur.assign(label_ts=cur.ts + pd.Timedelta(hours=5)), o, labels=labels).to_dict()
    assert not any("no label yet" in w for w in d["warnings"])
    assert d["label_delay"]["median_seconds"] == 5 * 3600


# ---------------------------------------------------------------------------- CBPE summary of a binary run


class _Choice:
    """A calibration choice with known numbers: ``fit`` maps p to 0.5 + (p - 0.5) / 2."""

    def __init__(self, calibrate, ece_raw, ece_calibrated):
        self.calibrate, self.ece_raw, self.ece_calibrated = calibrate, ece_raw, ece_calibrated

    @staticmethod
    def fit(p):
        return 0.5 + (np.asarray(p) - 0.5) / 2


def _cbpe_frames():
    rng = np.random.default_rng(5)
    ref_p = rng.uniform(0.05, 0.95, 200)
    ref = pd.DataFrame({"p": ref_p, "yhat": (ref_p >= 0.5).astype(int), "y": (rng.random(200) < ref_p).astype(int)})
    cur_p = rng.uniform(0.05, 0.95, 50)
    cur = pd.DataFrame({"p": cur_p, "yhat": (cur_p >= 0.5).astype(float)})
    cur.loc[3, "yhat"] = np.nan  # no prediction: left out of the estimate
    return ref, cur


@pytest.mark.parametrize("calibrate", [False, True])
def test_the_binary_estimate_and_its_held_back_check_follow_the_chosen_calibration(monkeypatch, calibrate):
    from mlmon.stats import cbpe

    monkeypatch.setattr(cbpe, "choose_calibration", lambda p, y: _Choice(calibrate, 0.08, 0.03))
    ref, cur = _cbpe_frames()
    d = compute_performance(cur, PerfOptions(task="binary", target="y", prediction="yhat", proba="p", estimate=True),
                            ref).to_dict()
    fit = _Choice.fit if calibrate else (lambda p: p)
    use = cur.yhat.notna()
    p, yhat = fit(cur.p[use].to_numpy()), cur.yhat[use].to_numpy() == 1
    assert d["windows"][0]["estimated"]["accuracy"] == pytest.approx(np.where(yhat, p, 1 - p).mean(), abs=1e-12)
    held = slice(150, 200)  # the reference's last quarter
    ph, yh = fit(ref.p.to_numpy()[held]), ref.yhat.to_numpy()[held] == 1
    pc = np.where(yh, ph, 1 - ph)
    e = d["estimation"]
    assert e["held_back"] == {"metric": "accuracy", "estimated": pytest.approx(pc.mean(), abs=1e-12),
                              "realized": float((yh == (ref.y.to_numpy()[held] == 1)).mean()), "rows": 50,
                              "se": pytest.approx(np.sqrt((pc * (1 - pc)).sum()) / 50, abs=1e-12), "held": True}
    assert (e["method"], e["calibration"], e["ece_raw"], e["ece_calibrated"], e["ece_threshold"], e["reference_rows"]) \
        == ("cbpe", "isotonic" if calibrate else "none", 0.08, 0.03, 0.05, 200)
    # the ECE that counts is the calibrated one when calibration is used: 0.03 passes, 0.08 does not
    assert e["calibrated"] is calibrate
    warned = [w for w in d["warnings"] if "not calibrated" in w]
    assert warned == ([] if calibrate else ["estimated performance is unreliable: the model's probabilities are not "
                                            "calibrated on the reference even after isotonic calibration (ECE 0.080 > 0.05)"])


def test_an_ece_at_the_threshold_counts_as_calibrated(monkeypatch):
    from mlmon.stats import cbpe

    monkeypatch.setattr(cbpe, "choose_calibration", lambda p, y: _Choice(False, 0.05, 0.2))
    ref, cur = _cbpe_frames()
    d = compute_performance(cur, PerfOptions(task="binary", target="y", prediction="yhat", proba="p", estimate=True),
                            ref).to_dict()
    assert d["estimation"]["calibrated"] is True


def test_a_reference_whose_labels_hold_one_class_cannot_calibrate():
    ref, cur = _cbpe_frames()
    assert _error(lambda: compute_performance(cur, PerfOptions(task="binary", target="y", prediction="yhat", proba="p",
                                                               estimate=True), ref.assign(y=1))) == (
        "the reference labels hold one class only", option("reference"), "calibration needs both classes")


def test_too_small_a_reference_names_cbpe():
    ref, cur = _cbpe_frames()
    assert _error(lambda: compute_performance(cur, PerfOptions(task="binary", target="y", prediction="yhat", proba="p",
                                                               estimate=True), ref.iloc[:99])) == (
        "only 99 labeled reference rows", option("reference"), "CBPE needs at least 100 labeled reference rows")


# ---------------------------------------------------------------------------- segments


def _segmented(sizes, seed=0):
    rng = np.random.default_rng(seed)
    g = np.concatenate([[name] * size for name, size in sizes.items()])
    y = rng.integers(0, 2, g.size)
    return pd.DataFrame({"g": g, "y": y, "yhat": y})  # a perfect model


def test_segments_with_fewer_rows_than_the_minimum_are_reported_with_their_counts():
    o = PerfOptions(**BIN, segment_by=["g"], segment_min_rows=10)
    cur = _segmented({"A": 12, "B": 10, "C": 9})
    d = add_segments({}, cur, o)
    assert sorted(d["segments"]) == ["A", "B"]  # B has exactly the minimum
    assert d["segments"]["B"]["rows"] == 10
    assert {k: v for k, v in d["segmentation"].items() if k != "worst"} == {
        "by": ["g"], "min_rows": 10, "values": {"A": {"g": "A"}, "B": {"g": "B"}, "C": {"g": "C"}},
        "not_tested": {"C": {"current_rows": 9, "reference_rows": None, "reason": "fewer than 10 rows: reported, not computed"}}}
    ref = _segmented({"A": 10, "B": 9, "C": 30}, seed=1)
    d = add_segments({}, cur, o, ref)
    assert sorted(d["segments"]) == ["A"]
    assert d["segments"]["A"]["baseline"]["n"] == 10
    assert d["segmentation"]["not_tested"] == {
        "B": {"current_rows": 10, "reference_rows": 9, "reason": "fewer than 10 rows: reported, not computed"},
        "C": {"current_rows": 9, "reference_rows": 30, "reason": "fewer than 10 rows: reported, not computed"}}


@pytest.mark.parametrize("n", [9, True, 10.0, "10"])
def test_a_segment_minimum_that_is_no_row_count_of_at_least_10_is_refused(n):
    o = PerfOptions(**BIN, segment_by=["g"], segment_min_rows=n)
    assert _error(lambda: add_segments({}, _segmented({"A": 20}), o)) == (
        f"{option('segment_min_rows')} {n} is not a row count of at least 10", OPTIONS,
        f"use e.g. {option('segment_min_rows')} 100")


def test_a_segment_column_missing_from_a_file_names_that_file():
    o = PerfOptions(**BIN, segment_by=["g"], segment_min_rows=10)
    cur = _segmented({"A": 20})
    assert _error(lambda: add_segments({}, cur.drop(columns="g"), o))[1] == "predictions"
    assert _error(lambda: add_segments({}, cur, o, cur.drop(columns="g")))[1] == "reference"
    assert _error(lambda: add_segments({}, cur, o, cur.drop(columns="g"), wheres=("a", "b")))[1] == "b"


def test_worst_segments_rank_drops_beyond_the_interval_first_then_by_size_then_name():
    def seg(*windows, primary=("accuracy",)):
        return {"primary": list(primary), "windows": [
            {"start": s, "n": n, "severity": sev, "drops": drops, "drop_beyond_noise": beyond}
            for s, n, sev, drops, beyond in windows]}

    segments = {
        "a": seg(("d1", 10, "degraded", {"accuracy": 0.1}, {"accuracy": False}),
                 ("d2", 11, "critical", {"accuracy": 0.2}, {"accuracy": True})),
        "b": seg(("d1", 12, "degraded", {"accuracy": 0.3, "auc_roc": 0.9}, {})),  # auc_roc is not primary here
        "c": seg(("d1", 13, "healthy", {"accuracy": -0.4}, {"accuracy": True})),  # a gain is no drop
        "d": seg(("d1", 14, "critical", {"accuracy": 0.2}, {"accuracy": True})),
        "e": seg(("d1", 15, "healthy", {"accuracy": 0.0}, {})),
        "f": seg(("d1", 16, "degraded", {"accuracy": None, "f1_score": 0.05}, None), primary=("accuracy", "f1_score")),
    }
    worst = worst_segments(segments)
    assert worst == [
        {"segment": "a", "metric": "accuracy", "drop": 0.2, "window": "d2", "rows": 11, "beyond_interval": True,
         "severity": "critical"},
        {"segment": "d", "metric": "accuracy", "drop": 0.2, "window": "d1", "rows": 14, "beyond_interval": True,
         "severity": "critical"},
        {"segment": "b", "metric": "accuracy", "drop": 0.3, "window": "d1", "rows": 12, "beyond_interval": False,
         "severity": "degraded"},
        {"segment": "f", "metric": "f1_score", "drop": 0.05, "window": "d1", "rows": 16, "beyond_interval": False,
         "severity": "degraded"}]
    assert worst_segments(segments, limit=2) == worst[:2]
    assert len(worst_segments({f"s{i}": segments["a"] for i in range(7)})) == 5  # five shown by default


# ---------------------------------------------------------------------------- estimate vs labels from stored rows




def test_stored_rows_disagree_when_three_labeled_windows_in_a_row_leave_the_band_on_one_side():
    d = disagreement_from_rows(stored_rows([0.9, 0.8, 0.83, 0.86]))
    assert d.to_dict() == {"metric": "accuracy", "windows": 3, "gap": pytest.approx((0.8 + 0.83 + 0.86) / 3 - 0.9),
                           "starts": ["2024-01-02", "2024-01-03", "2024-01-04"], "message": d.message}
    assert "realized accuracy below the estimate's band" in d.message
    assert disagreement_from_rows(stored_rows([0.8, 0.8, 0.8]), min_windows=4) is None
    assert disagreement_from_rows(stored_rows([0.8, 0.8, 0.8], metric="recall"), metric="recall").metric == "recall"


def test_realized_values_count_from_thirty_labels_on():
    assert disagreement_from_rows(stored_rows([0.8, 0.8, 0.8], n=30)).windows == 3
    assert disagreement_from_rows(stored_rows([0.8, 0.8, 0.8], n=29)) is None
    assert disagreement_from_rows(stored_rows([0.8, 0.8, 0.8], n=None), min_labeled=0).windows == 3
    assert disagreement_from_rows(stored_rows([0.8, 0.8, 0.8], n=30), min_labeled=31) is None
    # an estimated row's count is no label count: windows without realized rows are skipped
    rows = [r for r in stored_rows([0.8, 0.8, 0.8]) if r["kind"] == "estimated"]
    assert disagreement_from_rows(rows, min_labeled=0) is None


def test_every_metric_with_estimates_is_checked_in_name_order():
    rows = stored_rows([0.8] * 3, metric="recall") + stored_rows([0.9] * 3) + stored_rows([0.95] * 3, metric="f1_score")
    rows += [{"timestamp": "2024-01-01", "metric": "precision", "kind": "realized", "value": 0.1, "n": 400}]
    found = disagreements_from_rows(iter(rows))
    assert [(d.metric, d.windows, round(d.gap, 6)) for d in found] == [("f1_score", 3, 0.05), ("recall", 3, -0.1)]
    assert [d.metric for d in disagreements_from_rows(rows, metrics=["recall", "precision"])] == ["recall"]
    assert disagreements_from_rows(rows, min_windows=4) == []


# ---------------------------------------------------------------------------- window errors as options


def test_a_cutter_place_that_is_not_an_option_field_stays_as_it_is():
    from mlmon.services.performance.windows import _as_options

    assert _as_options("window, chunk_size") == f"{option('window')}, {option('chunk_size')}"
    assert _as_options("current column ts") == "current column ts"
    assert _as_options("window, ts") == "window, ts"


# ---------------------------------------------------------------------------- the positive class of a binary task


def _positive(y, yhat, reference=None, **options):
    d = compute_performance(pd.DataFrame({"y": y, "yhat": yhat}), PerfOptions(**BIN, **options),
                            None if reference is None else pd.DataFrame(reference)).to_dict()
    taken = [w for w in d["warnings"] if w.startswith("positive class taken")]
    return d["columns"].get("positive_label"), taken, d


@pytest.mark.parametrize("y, yhat, positive", [
    ([0, 1, 1, 0], [0, 1, 0, 0], "1"),
    (["0", "1"], ["1", "1"], "1"),
    ([1, 1], [0, 0], "1"),            # the classes come from the labels and the predictions together
    ([0, 0], [1, 1], "1"),
    ([True, False], [True, True], "1"),
    (["True", "False"], ["False", "False"], "True"),
    (["false", "true"], ["true", "true"], "true"),
    (["FALSE", "FALSE"], ["FALSE", "FALSE"], "True"),   # no true value present: True stands for it
])
def test_the_positive_class_of_0_1_and_true_false_labels_is_taken_without_a_warning(y, yhat, positive):
    got, taken, _ = _positive(y, yhat)
    assert (got, taken) == (positive, [])


def test_other_labels_take_the_larger_as_positive_with_a_warning_unless_one_is_named():
    got, taken, d = _positive(["no", "yes", "yes"], ["yes", "yes", "no"])
    assert got == "yes" and taken == [f"positive class taken as 'yes' (the larger label); pass {option('positive_label')} "
                                      "to choose another"]
    assert d["windows"][0]["metrics"]["recall"] == 0.5  # yes is positive: 2 actual, 1 found
    got, taken, d = _positive(["no", "yes", "yes"], ["yes", "yes", "no"], positive_label="no")
    assert (got, taken) == ("no", []) and d["windows"][0]["metrics"]["recall"] == 0.0


def test_labels_of_one_class_still_know_the_other_for_the_reference():
    ones = dict(y=[1] * 20, yhat=[1] * 20)
    got, _, d = _positive(**ones, reference={"y": [0, 1] * 10, "yhat": [0, 0] * 10})
    assert got == "1" and d["baseline"]["metrics"]["accuracy"] == 0.5
    got, _, d = _positive(y=["True"] * 20, yhat=["True"] * 20, reference={"y": ["False", "True"] * 10,
                                                                         "yhat": ["True"] * 20})
    assert got == "True" and d["baseline"]["metrics"]["accuracy"] == 0.5


@pytest.mark.parametrize("y, yhat, options, shown", [
    (["a", "b"], ["c", "a"], {}, "3 classes for a binary task (a, b, c)"),
    (["a", "b"], ["b", "a"], {"positive_label": "c"}, "2 classes for a binary task (a, b)"),
])
def test_more_than_two_classes_for_a_binary_task_are_refused(y, yhat, options, shown):
    assert _error(lambda: _positive(y, yhat, **options)) == (shown, "column y", f"use {option('task')} multiclass")


# ---------------------------------------------------------------------------- what a config says


def test_settings_take_only_what_the_file_itself_says():
    from mlmon.services.config.model import from_dict
    from mlmon.services.performance.settings import run_settings_from_config, settings_from_config

    assert settings_from_config(from_dict({"model": {"name": "fraud"}, "performance": {"windows": ["1d"]},
                                           "data": {"columns": {"prediction_proba": ["p0", "p1"]}}})) == {
        "model": "fraud", "proba": ["p0", "p1"]}
    assert settings_from_config(from_dict({"data": {"columns": {"prediction_proba": ["p1"]}}})) == {"proba": "p1"}
    assert settings_from_config(from_dict({
        "model": {"task": "regression", "version": 2}, "performance": {"baseline": "previous_window", "regression": {
            "primary": ["mae"], "quantile": 0.9, "under_prediction_cost": 3, "over_prediction_cost": 1}},
        "data": {"columns": {"target": "y", "prediction": "yhat", "timestamp": "ts", "id": "key"}},
        "alerts": {"warning": {"conditions": {"accuracy_drop": 0.1}}}})) == {
        "task": "regression", "baseline": "previous_window", "version": "2", "target": "y", "prediction": "yhat",
        "timestamp": "ts", "join_on": "key", "primary": ["mae"], "quantile": 0.9, "under_prediction_cost": 3.0,
        "over_prediction_cost": 1.0, "warning_drop": 0.1}
    assert settings_from_config(from_dict({"model": {"task": "regression"}, "performance": {"regression": {"quantile": 0.5}},
                                           "alerts": {"critical": {"conditions": {"accuracy_drop": 0.3}}}})) == {
        "task": "regression", "quantile": 0.5, "critical_drop": 0.3}
    assert settings_from_config(from_dict({"model": {"task": "binary"}, "performance": {"classification": {
        "primary": ["recall"], "business": {"false_negative_cost": 5}}}})) == {
        "task": "binary", "primary": ["recall"], "false_negative_cost": 5.0}
    assert settings_from_config(from_dict({"performance": {"classification": {"business": {"false_positive_cost": 2}}}})) \
        == {"false_positive_cost": 2.0}
    assert settings_from_config(from_dict({"performance": {"classification": {"secondary": ["precision"]},
                                                           "regression": {"primary": ["mae"]}}})) == {}
    assert run_settings_from_config(from_dict({"performance": {"windows": ["1d"]},
                                               "data": {"reference": {"path": "ref/{date}.parquet"}}})) == {}
    assert run_settings_from_config(from_dict({"data": {"reference": {"path": "ref.parquet"}}})) == {"reference": "ref.parquet"}
    # a regression section without a quantile gives none (the schema's 0.9 stands for "not set")
    assert settings_from_config(from_dict({"model": {"task": "regression"},
                                           "performance": {"regression": {"primary": ["mae"]}}})) == {
        "task": "regression", "primary": ["mae"]}
    # the schema's windows (1h, 1d, 7d) are no choice of the file's: no window unless it names them
    assert run_settings_from_config(from_dict({"performance": {"baseline": "reference"},
                                               "data": {"columns": {"timestamp": "ts"}}})) == {
        "baseline": "reference", "timestamp": "ts", "reference": "data/reference.parquet"}  # the schema's reference
    # a relative reference is read from the config's folder, an absolute one as it is
    assert run_settings_from_config(from_dict({"data": {"reference": {"path": "ref.parquet"}}},
                                              path="/srv/m/monitor.yaml")) == {"reference": "/srv/m/ref.parquet"}
    assert run_settings_from_config(from_dict({"data": {"reference": {"path": "/data/ref.parquet"}}},
                                              path="/srv/m/monitor.yaml")) == {"reference": "/data/ref.parquet"}


def test_perf_options_from_a_config_take_its_segments_and_drop_the_window_for_chunks(tmp_path):
    from mlmon.services.config.model import from_dict

    config = from_dict({"model": {"task": "binary"}, "data": {"columns": {"timestamp": "ts"}},
                        "performance": {"windows": ["1w"]}, "segments": {"by": ["country"], "min_rows": 50}})
    o = PerfOptions.from_config(config)
    assert (o.window, o.segment_by, o.segment_min_rows) == ("1w", ["country"], 50)
    o = PerfOptions.from_config(config, chunks=True)
    assert (o.window, o.timestamp) == (None, "ts")
    o = PerfOptions.from_config(from_dict({"model": {"task": "binary"}, "segments": {"by": ["country"]}}))
    assert (o.segment_by, o.segment_min_rows) == (["country"], 100)
    assert PerfOptions.from_config(from_dict({"segments": {"min_rows": 50}})).segment_by is None


# ---------------------------------------------------------------------------- timestamps outside the years windows can cut


def _window_error(values):
    from mlmon.services.performance.windows import perf_windows

    return _error(lambda: perf_windows(pd.DataFrame({"ts": values}), "ts", "1D", None))


def test_timestamps_outside_the_cuttable_years_are_named_by_row_the_first_three_shown():
    what, where, todo = _window_error(["2024-01-01", "9999-01-01", "1600-05-05", "0500-01-01", "2024-01-02", "3000-01-01"])
    assert what == ("4 timestamp(s) in column 'ts' lie outside the years 1679-2261 (row 1: '9999-01-01', "
                    "row 2: '1600-05-05', row 3: '0500-01-01', ...)")
    assert (where, todo) == ("current column ts", "drop or fix those rows (a placeholder date?) before cutting windows")
    assert _window_error(["2024-01-01", "1678-12-31", "2262-01-01", "9999-01-01"])[0] == (
        "3 timestamp(s) in column 'ts' lie outside the years 1679-2261 (row 1: '1678-12-31', row 2: '2262-01-01', "
        "row 3: '9999-01-01')")


def test_datetime_objects_outside_the_cuttable_years_are_named_too():
    from datetime import datetime

    values = pd.Series([datetime(2024, 1, 1), datetime(1678, 6, 1), datetime(2024, 1, 2)], dtype=object)
    assert _window_error(values)[0] == ("1 timestamp(s) in column 'ts' lie outside the years 1679-2261 "
                                        "(row 1: '1678-06-01 00:00:00')")


def test_datetime_objects_beyond_pandas_range_are_refused_in_one_line():
    from datetime import datetime

    values = pd.Series([datetime(2024, 1, 1), datetime(1500, 1, 1)], dtype=object)
    assert _window_error(values)[0].startswith("1 timestamp(s) in column 'ts' lie outside the years 1679-2261")


def test_datetime_objects_beyond_pandas_range_are_one_line_for_every_caller():
    from datetime import datetime, timezone

    from mlmon.errors import MlmonError
    from mlmon.services.windows import parse_timestamps

    for tz in (None, timezone.utc):
        values = pd.Series([datetime(2024, 1, 1, tzinfo=tz), datetime(1500, 1, 1, tzinfo=tz)], dtype=object)
        with pytest.raises(MlmonError) as err:
            parse_timestamps(values, "ts")
        assert err.value.what == ("timestamp column 'ts' runs from year 1500 to 2024, beyond the years 1677-2262 "
                                  "a nanosecond clock can count")


# ---------------------------------------------------------------------------- CBPE summary of a multiclass run


class _Identity:
    """A multiclass calibration that keeps the probabilities; its per-class choices are given."""

    def __init__(self, choices):
        self.choices = choices

    @property
    def calibrated(self):
        return [c.calibrate for c in self.choices]

    def __call__(self, proba):
        return np.asarray(proba, dtype=np.float64)


def _multiclass_frames(cur_rows=40):
    rng = np.random.default_rng(9)

    def frame(n):
        p = rng.dirichlet([2, 2, 2], n)
        yhat = np.array(["a", "b", "c"])[p.argmax(axis=1)]
        y = np.array(["a", "b", "c"])[[rng.choice(3, p=row) for row in p]]
        return pd.DataFrame({"y": y, "yhat": yhat, "proba_a": p[:, 0], "proba_b": p[:, 1], "proba_c": p[:, 2]})

    return frame(200), frame(cur_rows)


MULTI = dict(task="multiclass", target="y", prediction="yhat", proba=["proba_a", "proba_b", "proba_c"], estimate=True)


@pytest.mark.parametrize("calibrate", [False, True])
def test_the_multiclass_summary_takes_the_worst_class_ece_and_checks_the_held_back_quarter(monkeypatch, calibrate):
    from mlmon.stats import cbpe

    choices = (_Choice(calibrate, 0.02, 0.01), _Choice(False, 0.04, 0.09), _Choice(calibrate, 0.03, 0.02))
    monkeypatch.setattr(cbpe, "choose_multiclass_calibration", lambda p, y, k: _Identity(choices))
    ref, cur = _multiclass_frames()
    e = compute_performance(cur, PerfOptions(**MULTI), ref).to_dict()["estimation"]
    held = ref.iloc[150:]
    p = held[["proba_a", "proba_b", "proba_c"]].to_numpy()
    pc = p[np.arange(50), held.yhat.map({"a": 0, "b": 1, "c": 2}).to_numpy()]
    assert e["held_back"] == {"metric": "accuracy", "estimated": pytest.approx(pc.mean(), abs=1e-12),
                              "realized": float((held.yhat == held.y).mean()), "rows": 50,
                              "se": pytest.approx(np.sqrt((pc * (1 - pc)).sum()) / 50, abs=1e-12), "held": e["held_back"]["held"]}
    # per class the ECE that counts is the calibrated one where calibration is kept; the run's is the largest
    ece = max(0.01 if calibrate else 0.02, 0.04, 0.02 if calibrate else 0.03)
    assert (e["method"], e["calibration"], e["calibrated_classes"], e["ece_raw"], e["ece_calibrated"], e["ece_threshold"],
            e["calibrated"], e["reference_rows"]) == (
        "cbpe", "isotonic per class" if calibrate else "none", ["a", "c"] if calibrate else [], 0.04, ece, 0.05, True, 200)


def test_probabilities_off_one_are_rescaled_with_a_warning_or_refused_when_far_off():
    ref, cur = _multiclass_frames()
    off = cur.assign(proba_a=cur.proba_a + 0.01)  # every row sums to 1.01: off by at most 0.01 either way
    d = compute_performance(off, PerfOptions(**MULTI), ref).to_dict()
    assert ("the probability columns sum to between 0.9900 and 1.0100 on some current rows; each row is rescaled to "
            "sum to 1") in d["warnings"]
    far = ref.copy()
    far.loc[[3, 7], "proba_b"] += 0.2
    assert _error(lambda: compute_performance(cur, PerfOptions(**MULTI), far)) == (
        "the probability columns do not sum to 1 on 2 reference rows (e.g. 1.200)", f"reference, {option('proba')}",
        "give one probability column for every class (not scores or logits)")


def test_a_class_predicted_now_but_never_labeled_in_the_reference_is_refused():
    ref, cur = _multiclass_frames()
    ref = ref.assign(y=ref.y.replace("c", "a"))
    assert _error(lambda: compute_performance(cur, PerfOptions(**MULTI), ref)) == (
        "class(es) c appear in the current data but never in the reference's labels: their probabilities cannot be "
        "calibrated", option("reference"), "use a reference period whose labels hold every class the model predicts")
    assert _error(lambda: compute_performance(cur, PerfOptions(**MULTI), ref.iloc[:99]))[2] == (
        "CBPE needs at least 100 labeled reference rows")


@pytest.mark.parametrize("worst, calibrated", [(0.05, True), (0.0500001, False)])
def test_a_multiclass_model_is_calibrated_up_to_an_ece_of_005_and_warned_about_beyond(monkeypatch, worst, calibrated):
    from mlmon.stats import cbpe

    # a class whose raw ECE is far off but calibrated well counts with its calibrated ECE
    choices = (_Choice(True, 0.30, 0.01), _Choice(False, worst, 0.09), _Choice(False, 0.03, 0.02))
    monkeypatch.setattr(cbpe, "choose_multiclass_calibration", lambda p, y, k: _Identity(choices))
    ref, cur = _multiclass_frames()
    d = compute_performance(cur, PerfOptions(**MULTI), ref).to_dict()
    assert d["estimation"]["calibrated"] is calibrated
    warned = [w for w in d["warnings"] if "not calibrated" in w]
    assert warned == ([] if calibrated else [
        "estimated performance is unreliable: the model's probabilities are not calibrated on the reference even "
        "after isotonic calibration (ECE 0.050 > 0.05)"])


def test_multiclass_bands_carry_the_held_back_uncertainty_and_windows_their_unseen_share(monkeypatch):
    from mlmon.stats import cbpe

    seen = {}
    real = cbpe.estimate_multiclass

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(cbpe, "estimate_multiclass", spy)
    ref, cur = _multiclass_frames()
    d = compute_performance(cur, PerfOptions(**MULTI), ref).to_dict()
    assert seen == {"reference_se": d["estimation"]["held_back"]["se"]} and seen["reference_se"] > 0
    # the share of current rows whose confidence the reference never showed, window by window
    confidence = cur[["proba_a", "proba_b", "proba_c"]].max(axis=1).to_numpy()
    ref_conf = ref[["proba_a", "proba_b", "proba_c"]].max(axis=1).to_numpy()
    want = cbpe.unseen_share(ref_conf, confidence, np.zeros(len(cur), dtype=np.int64), 1)
    assert d["windows"][0]["estimation"]["unseen_share"] == pytest.approx(float(want[0]), abs=1e-15)
    assert want[0] > 0
