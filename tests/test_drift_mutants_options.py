"""Drift options from a monitoring config, and the checks every option passes before a column is
read: each bound at its edge, each message word for word (the rules of
:mod:`mlmon.services.drift.options`)."""

from __future__ import annotations

import math

import pytest

from mlmon.errors import MlmonError
from mlmon.services.drift import DriftOptions, check_options, options_from_config

COLUMNS = ["y", "p", "p1", "p2", "ts", "id", "a", "c", "x"]
FULL = {
    "version": 1, "model": {"name": "m"},
    "data": {"columns": {"target": "y", "prediction": "p", "prediction_proba": ["p1", "p2"], "timestamp": "ts",
                         "id": "id", "numerical": ["a", "gone_n"], "categorical": ["c", "gone_c"],
                         "exclude": ["x", "gone_x"]}},
    "drift": {"method": "psi", "threshold": 0.2, "drift_share": 0.3, "fdr": 0.1,
              "column_methods": {"a": "ks", "gone": "ks"}, "column_thresholds": {"a": 0.3, "gone": 0.1},
              "calibration": {"enabled": False, "false_alarm_rate": 0.02}, "multivariate": {"enabled": True}},
    "segments": {"by": ["c:3", "gone_s"], "min_rows": 50, "false_discovery_rate": 0.1},
}


def test_every_config_field_maps_to_its_option_and_names_missing_from_the_data_are_warned():
    values, warnings = options_from_config(FULL, COLUMNS)
    assert values == {
        "target": "y", "prediction": "p", "numerical": ["a"], "categorical": ["c"],
        "exclude": ["x", "id", "ts", "p1", "p2"], "method": "psi", "threshold": 0.2, "drift_share": 0.3,
        "fdr": 0.1, "column_methods": {"a": "ks"}, "column_thresholds": {"a": 0.3}, "timestamp": "ts",
        "calibrate": False, "false_alarm_rate": 0.02, "segment_by": ["c:3"], "segment_min_rows": 50,
        "segment_fdr": 0.1, "multivariate": "mmd",
    }
    assert warnings == [
        "config data.columns.numerical not in the data, ignored: gone_n",
        "config data.columns.categorical not in the data, ignored: gone_c",
        "config data.columns.exclude not in the data, ignored: gone_x",
        "config segments.by not in the data, ignored: gone_s",
    ]


def test_a_config_that_sets_nothing_gives_only_the_empty_lists():
    assert options_from_config({"version": 1, "model": {"name": "m"}}, ["a"]) == (
        {"numerical": [], "categorical": [], "exclude": [], "column_methods": {}, "column_thresholds": {}}, [])


def test_target_and_prediction_missing_from_the_data_are_warned_and_left_out():
    cfg = {"version": 1, "model": {"name": "m"},
           "data": {"columns": {"target": "y", "prediction": "p", "timestamp": "ts", "numerical": ["a", "b", "c"]}},
           "drift": {"multivariate": {"enabled": True, "method": "mmd"}, "calibration": {"enabled": True}}}
    values, warnings = options_from_config(cfg, ["a"])
    assert values == {"numerical": ["a"], "categorical": [], "exclude": [], "column_methods": {},
                      "column_thresholds": {}, "calibrate": True, "multivariate": "mmd"}
    assert warnings == ["config data.columns.target not in the data, ignored: y",
                        "config data.columns.prediction not in the data, ignored: p",
                        "config data.columns.numerical not in the data, ignored: b, c"]


def test_an_id_already_excluded_is_not_excluded_twice():
    cfg = {"version": 1, "model": {"name": "m"}, "data": {"columns": {"id": "id", "exclude": ["id"]}}}
    assert options_from_config(cfg, ["id", "a"])[0]["exclude"] == ["id"]


def test_from_config_keeps_the_warnings_and_none_gives_the_defaults():
    opts = DriftOptions.from_config(FULL, COLUMNS)
    assert (opts.method, opts.threshold, opts.drift_share, opts.calibrate) == ("psi", 0.2, 0.3, False)
    assert len(opts.config_warnings) == 4
    assert DriftOptions.from_config(None, COLUMNS) == DriftOptions()


def _line(**fields):
    with pytest.raises(MlmonError) as exc:
        check_options(DriftOptions(**fields))
    return exc.value.line()


@pytest.mark.parametrize("fields", [
    dict(drift_share=1.0), dict(drift_share=1e-9), dict(threshold=0.0), dict(threshold=5.0), dict(fdr=0.999),
    dict(fdr=1e-9), dict(mmd_gamma=1e-9), dict(mmd_gamma=3), dict(false_alarm_rate=0.499),
    dict(false_alarm_rate=1e-9), dict(chunk_size=1), dict(window="1D", timestamp="ts"),
    dict(method="psi", column_methods={"a": "ks"}),
])
def test_options_at_the_edge_of_their_range_pass(fields):
    check_options(DriftOptions(**fields))


@pytest.mark.parametrize("fields, message", [
    (dict(drift_share=0.0), "drift_share 0.0 is outside (0, 1] (options); use e.g. drift_share 0.5"),
    (dict(drift_share=1.5), "drift_share 1.5 is outside (0, 1] (options); use e.g. drift_share 0.5"),
    (dict(threshold=-0.1), "threshold -0.1 must be a finite number >= 0 (options); use e.g. threshold 0.1"),
    (dict(threshold=math.inf), "threshold inf must be a finite number >= 0 (options); use e.g. threshold 0.1"),
    (dict(threshold=math.nan), "threshold nan must be a finite number >= 0 (options); use e.g. threshold 0.1"),
    (dict(fdr=0.0), "fdr 0.0 is outside (0, 1) (options); use e.g. fdr 0.05"),
    (dict(fdr=1.0), "fdr 1.0 is outside (0, 1) (options); use e.g. fdr 0.05"),
    (dict(mmd_gamma=0.0), "mmd_gamma 0.0 must be a positive finite number (options); use e.g. mmd_gamma 0.5, "
                          "or leave it out for the median heuristic"),
    (dict(mmd_gamma=math.inf), "mmd_gamma inf must be a positive finite number (options); use e.g. mmd_gamma 0.5, "
                               "or leave it out for the median heuristic"),
    (dict(mmd_gamma=True), "mmd_gamma True must be a positive finite number (options); use e.g. mmd_gamma 0.5, "
                           "or leave it out for the median heuristic"),
    (dict(mmd_gamma="1"), "mmd_gamma 1 must be a positive finite number (options); use e.g. mmd_gamma 0.5, "
                          "or leave it out for the median heuristic"),
    (dict(false_alarm_rate=0.0), "false_alarm_rate 0.0 is outside (0, 0.5) (options); use e.g. false_alarm_rate "
                                 "0.01 (one false alarm per column in 100 windows)"),
    (dict(false_alarm_rate=0.5), "false_alarm_rate 0.5 is outside (0, 0.5) (options); use e.g. false_alarm_rate "
                                 "0.01 (one false alarm per column in 100 windows)"),
    (dict(false_alarm_rate=True), "false_alarm_rate True is outside (0, 0.5) (options); use e.g. false_alarm_rate "
                                  "0.01 (one false alarm per column in 100 windows)"),
    (dict(false_alarm_rate="0.1"), "false_alarm_rate 0.1 is outside (0, 0.5) (options); use e.g. false_alarm_rate "
                                   "0.01 (one false alarm per column in 100 windows)"),
    (dict(window="1D", chunk_size=10, timestamp="ts"),
     "window and chunk_size given together (options); choose one: calendar periods (window 1D) or row counts "
     "(chunk_size 1000)"),
    (dict(window="1D"), "window 1D needs a timestamp column (options); name it with timestamp COL, or cut windows "
                        "by rows with chunk_size N"),
    (dict(chunk_size=0), "chunk_size 0 is not a positive row count (options); use e.g. chunk_size 1000"),
    (dict(chunk_size=True), "chunk_size True is not a positive row count (options); use e.g. chunk_size 1000"),
])
def test_options_out_of_range_are_one_line_errors(fields, message):
    assert _line(**fields) == "mlmon: error: " + message


@pytest.mark.parametrize("fields", [dict(method="nope"), dict(column_methods={"a": "nope"})])
def test_an_unknown_method_names_the_known_ones(fields):
    from mlmon.stats.univariate import catalog

    assert _line(**fields) == ("mlmon: error: unknown drift method 'nope' (options); use one of: "
                               + ", ".join(catalog.ids()))


def _config(**parts):
    return {"version": 1, "model": {"name": "m"}, **parts}


EMPTY = {"numerical": [], "categorical": [], "exclude": [], "column_methods": {}, "column_thresholds": {}}


def test_each_calibration_and_segment_setting_is_taken_only_where_the_file_sets_it():
    # a rate alone leaves calibration's on/off to the caller; segments by alone keeps the default
    # minimum and rate; missing segment columns are listed together, their ":k" cut off
    values, warnings = options_from_config(
        _config(drift={"calibration": {"false_alarm_rate": 0.02}}, segments={"by": ["c", "g1:2", "g2"]}), ["c"])
    assert values == {**EMPTY, "false_alarm_rate": 0.02, "segment_by": ["c"]}
    assert warnings == ["config segments.by not in the data, ignored: g1, g2"]
    assert options_from_config(_config(segments={"min_rows": 50}), ["c"])[0] == {**EMPTY, "segment_min_rows": 50}
    assert options_from_config(_config(segments={"false_discovery_rate": 0.1}), ["c"])[0] == {**EMPTY,
                                                                                              "segment_fdr": 0.1}
