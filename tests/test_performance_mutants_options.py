"""The checks a performance run's options pass before any data is read, each refusal whole (what,
where, what to do) and each bound at its edge, called in the test process (found by mutation
testing: ``scripts/mutation scripts/mlmon/services/performance/options.py``)."""

from __future__ import annotations

import math

import pytest

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.performance.options import DEFAULT_PRIMARY, TASKS, PerfOptions, check_options
from mlmon.stats import classification as cls
from mlmon.stats import regression as reg

BIN = dict(task="binary", target="y", prediction="yhat")
REG = dict(task="regression", target="y", prediction="yhat")


def _refusal(**kw):
    with pytest.raises(MlmonError) as info:
        check_options(PerfOptions(**kw))
    e = info.value
    return e.what, e.where, e.todo


def test_the_tasks_and_their_default_primary_metrics():
    assert TASKS == ("binary", "multiclass", "regression")
    assert DEFAULT_PRIMARY == {"binary": ["accuracy", "f1_score", "auc_roc"],
                               "multiclass": ["accuracy", "f1_score", "auc_roc"],
                               "regression": ["rmse", "mae", "r2_score"]}


@pytest.mark.parametrize("kw", [BIN, dict(task="binary", proba="p"), dict(task="multiclass", prediction="yhat"),
                                REG, dict(REG, quantile=0.5, lower="lo", upper="hi"),
                                dict(task="binary", proba="p", estimate=True),
                                dict(task="multiclass", proba=["a", "b"], estimate=True),
                                dict(REG, estimate=True), dict(BIN, primary=["accuracy", "log_loss"]),
                                dict(REG, primary=["rmse", "mape"]), dict(BIN, baseline="previous_window")])
def test_options_that_pass(kw):
    assert check_options(PerfOptions(**kw)) is None


def test_a_task_is_needed_and_must_be_known():
    todo = f"pass {option('task')} binary|multiclass|regression or model.task in {option('config')}"
    assert _refusal(prediction="yhat") == ("no task given", OPTIONS, todo)
    assert _refusal(task="", prediction="yhat") == ("no task given", OPTIONS, todo)
    assert _refusal(task="ranking", prediction="yhat") == (
        "unknown task 'ranking'", option("task"), "use one of: binary, multiclass, regression")


def test_a_prediction_column_is_needed_probabilities_serving_only_classification():
    assert _refusal(task="regression", proba="p") == (
        "regression needs a prediction column", option("prediction"), f"pass {option('prediction')} COL")
    for task in ("binary", "multiclass"):
        assert _refusal(task=task) == (
            "no prediction column", OPTIONS, f"pass {option('prediction')} COL and/or {option('proba')} COL")


@pytest.mark.parametrize("name, value, bounds, example", [
    ("threshold", -0.01, "between 0 and 1", "0.5"),
    ("threshold", 1.01, "between 0 and 1", "0.5"),
    ("threshold", math.nan, "between 0 and 1", "0.5"),
    ("threshold", math.inf, "between 0 and 1", "0.5"),
    ("threshold", True, "between 0 and 1", "0.5"),
    ("threshold", "0.5", "between 0 and 1", "0.5"),
    ("false_positive_cost", -1, "a number of at least 0", "1"),
    ("false_positive_cost", math.inf, "a number of at least 0", "1"),
    ("false_negative_cost", -0.5, "a number of at least 0", "5"),
    ("under_prediction_cost", -1, "a number of at least 0", "1"),
    ("over_prediction_cost", -1, "a number of at least 0", "1"),
    ("min_labeled_share", 1.5, "between 0 and 1", "0.5"),
    ("warning_drop", -0.1, "a number of at least 0", "0.05"),
    ("critical_drop", -0.1, "a number of at least 0", "0.15"),
])
def test_numeric_options_out_of_range_are_refused_with_their_range_and_an_example(name, value, bounds, example):
    kw = dict(REG) if "prediction_cost" in name else dict(BIN)
    if name == "warning_drop":
        kw["critical_drop"] = 0.15
    assert _refusal(**kw, **{name: value}) == (
        f"{name.replace('_', ' ')} must be {bounds}, got {value!r}", option(name), f"e.g. {example}")


@pytest.mark.parametrize("name, value", [
    ("threshold", 0), ("threshold", 1), ("threshold", 0.5), ("false_positive_cost", 0), ("false_negative_cost", 1e9),
    ("min_labeled_share", 0), ("min_labeled_share", 1), ("warning_drop", 0), ("critical_drop", 1e9),
    ("under_prediction_cost", 0), ("over_prediction_cost", 1e9), ("threshold", None),
])
def test_numeric_options_at_their_bounds_pass(name, value):
    kw = dict(REG) if "prediction_cost" in name else dict(BIN)
    check_options(PerfOptions(**kw, **{name: value}))


def test_the_baseline_is_the_reference_or_the_previous_window():
    assert _refusal(**BIN, baseline="yesterday") == (
        "unknown baseline 'yesterday'", option("baseline"), "use reference or previous_window")


@pytest.mark.parametrize("q", [0, 1, -0.5, 1.5])
def test_a_quantile_lies_strictly_between_0_and_1(q):
    assert _refusal(**REG, quantile=q) == (
        f"quantile must lie strictly between 0 and 1, got {q}", option("quantile"), "e.g. 0.9")


@pytest.mark.parametrize("bounds", [dict(lower="lo"), dict(upper="hi")])
def test_a_prediction_interval_needs_both_bounds(bounds):
    assert _refusal(**REG, **bounds) == (
        "a prediction interval needs both bounds", f"{option('lower')}/{option('upper')}", "pass both columns")


def test_the_tiers_are_in_order():
    assert _refusal(**BIN, warning_drop=0.2, critical_drop=0.1) == (
        "tiers out of order: warning 0.2, critical 0.1", "tiers", "warning must be at most critical")
    check_options(PerfOptions(**BIN, warning_drop=0.1, critical_drop=0.1))


def test_estimation_needs_the_probability_one_per_class_for_multiclass():
    assert _refusal(**BIN, estimate=True) == (
        f"{option('estimate')} needs the predicted probability", option("estimate"), f"pass {option('proba')} COL")
    assert _refusal(task="multiclass", prediction="yhat", estimate=True) == (
        f"{option('estimate')} needs the predicted probability", option("estimate"),
        f"pass {option('proba')} COL (one per class)")
    per_class = (f"multiclass {option('estimate')} needs one probability column per class", option("proba"),
                 f"pass {option('proba')} COL1,COL2,... (proba_<class> columns are matched by name)")
    assert _refusal(task="multiclass", proba="p", estimate=True) == per_class
    assert _refusal(task="multiclass", proba=["p"], estimate=True) == per_class
    # without estimation a single column is no error here
    check_options(PerfOptions(task="multiclass", proba=["p"]))


def test_primary_metrics_must_belong_to_the_task():
    known = ", ".join(sorted(cls.BINARY_METRICS))
    assert _refusal(**BIN, primary=["accuracy", "rmse", "mae"]) == (
        "unknown metric(s) for binary: rmse, mae", "primary metrics", f"use: {known}")
    assert _refusal(task="multiclass", prediction="yhat", primary=["r2_score"]) == (
        "unknown metric(s) for multiclass: r2_score", "primary metrics", f"use: {known}")
    assert _refusal(**REG, primary=["accuracy"]) == (
        "unknown metric(s) for regression: accuracy", "primary metrics",
        f"use: {', '.join(sorted(reg.REGRESSION_METRICS))}")


# ---------------------------------------------------------------------------- from a config


def test_options_from_a_config_know_which_segment_settings_the_file_gave():
    from mlmon.services.config.model import from_dict

    o = PerfOptions.from_config(from_dict({"model": {"task": "binary"}, "segments": {"by": ["country"]}}))
    assert (o.segment_by, o.segment_min_rows) == (["country"], 100)
    assert (o.source("segment_by"), o.source("segment_min_rows")) == ("config", "default")
    o = PerfOptions.from_config(from_dict({"model": {"task": "binary"}}))
    assert (o.source("segment_by"), o.source("segment_min_rows")) == ("default", "default")
    o = PerfOptions.from_config(from_dict({"segments": {"min_rows": 50}}))
    assert (o.segment_min_rows, o.source("segment_min_rows")) == (50, "config")


def test_row_chunks_from_a_config_without_windows_keep_its_other_settings():
    from mlmon.services.config.model import from_dict

    o = PerfOptions.from_config(from_dict({"model": {"task": "binary"}, "data": {"columns": {"timestamp": "ts"}}}),
                                chunks=True)
    assert (o.task, o.timestamp, o.window, o.source("window")) == ("binary", "ts", None, "default")


def test_a_numeric_option_left_empty_skips_only_its_own_check():
    assert _refusal(**BIN, threshold=None, critical_drop=-1) == (
        "critical drop must be a number of at least 0, got -1", option("critical_drop"), "e.g. 0.15")
