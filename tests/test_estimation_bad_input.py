"""Bad input to ``mlmon perf --estimate``: one clear line each, exit 2 where the estimate cannot
be made, a warning where it can with a stated gap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estimation_data import CLASSES, multiclass_frame, regression_frame
from mlmon_testing import run_mlmon

PROBA = ",".join(f"proba_{c}" for c in CLASSES)
MC_ARGS = ["--task", "multiclass", "--target", "y", "--prediction", "yhat", "--proba", PROBA, "--estimate"]
REG_ARGS = ["--task", "regression", "--target", "y", "--prediction", "yhat", "--estimate"]


def _files(tmp_path, ref, cur):
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_parquet(tmp_path / "cur.parquet")
    return tmp_path / "cur.parquet", tmp_path / "ref.parquet"


def _error_line(run):
    lines = run.err.strip().splitlines()
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("mlmon: error: "), run.err
    return lines[0]


def test_probability_columns_that_do_not_sum_to_one_are_refused(tmp_path):
    cur = multiclass_frame(500, seed=70).drop(columns=["y"])
    cur.loc[cur.index[:7], "proba_eel"] = 0.0   # a class's probability lost on 7 rows
    cur_path, ref_path = _files(tmp_path, multiclass_frame(1000, seed=71), cur)
    line = _error_line(run_mlmon("perf", cur_path, "--reference", ref_path, *MC_ARGS))
    assert "the probability columns do not sum to 1 on" in line and "current rows" in line
    assert "--proba" in line and "give one probability column for every class" in line


def test_probabilities_a_little_off_one_are_rescaled_with_a_warning(tmp_path):
    cur = multiclass_frame(500, seed=72).drop(columns=["y"])
    cur["proba_cat"] = cur["proba_cat"] * 0.99   # rows sum to between 0.99 and 1
    cur_path, ref_path = _files(tmp_path, multiclass_frame(1000, seed=73), cur)
    run = run_mlmon("perf", cur_path, "--reference", ref_path, *MC_ARGS, "--format", "json")
    assert run.code == 0, run.err
    assert any("each row is rescaled to sum to 1" in w for w in run.json()["warnings"])


def test_a_class_the_reference_never_labelled_is_refused(tmp_path):
    ref = multiclass_frame(1000, seed=74)
    ref = ref[ref["y"] != "eel"]   # the model predicts eel now and then, but no reference row is an eel
    cur_path, ref_path = _files(tmp_path, ref, multiclass_frame(500, seed=75).drop(columns=["y"]))
    line = _error_line(run_mlmon("perf", cur_path, "--reference", ref_path, *MC_ARGS))
    assert "class(es) eel appear in the current data but never in the reference's labels" in line
    assert "(--reference)" in line


def test_a_regression_reference_too_small_for_the_error_model_says_how_many_rows_it_needs(tmp_path):
    cur_path, ref_path = _files(tmp_path, regression_frame(300, seed=76), regression_frame(200, seed=77))
    line = _error_line(run_mlmon("perf", cur_path, "--reference", ref_path, *REG_ARGS))
    assert "only 300 labeled reference rows for the error model" in line
    assert "needs at least 500 labeled reference rows" in line


def _with_unusable(frame, seed):
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    frame["session"] = [f"s{i}" for i in rng.integers(0, 10**6, len(frame))]   # an id: ~every value distinct
    frame["signup"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, len(frame)), unit="D")
    return frame


def test_inputs_the_error_model_cannot_use_are_named_in_a_warning(tmp_path):
    cur_path, ref_path = _files(tmp_path, _with_unusable(regression_frame(800, seed=78), 1),
                                _with_unusable(regression_frame(300, seed=79), 2).assign(y=np.nan))
    run = run_mlmon("perf", cur_path, "--reference", ref_path, *REG_ARGS, "--format", "json")
    assert run.code == 0, run.err
    d = run.json()
    assert d["estimation"]["features"] == ["x1", "x2", "region"]   # text with few values is encoded, not dropped
    warning = next(w for w in d["warnings"] if "left out of the estimate's support check and error model" in w)
    assert "session (text with" in warning and "more than 254" in warning
    assert "signup (a date or duration)" in warning and "ts (a date or duration)" in warning
    assert "--features" in warning


def test_asking_for_an_input_the_error_model_cannot_use_is_refused(tmp_path):
    cur_path, ref_path = _files(tmp_path, _with_unusable(regression_frame(800, seed=80), 3),
                                _with_unusable(regression_frame(300, seed=81), 4))
    line = _error_line(run_mlmon("perf", cur_path, "--reference", ref_path, *REG_ARGS, "--features", "x1,signup"))
    assert "the error model cannot use feature(s) signup (a date or duration)" in line and "(--features)" in line


def test_regression_estimation_without_scikit_learn_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)   # import fails as if it were not installed
    cur_path, ref_path = _files(tmp_path, regression_frame(600, seed=82), regression_frame(200, seed=83))
    line = _error_line(run_mlmon("perf", cur_path, "--reference", ref_path, *REG_ARGS))
    assert "regression estimation needs scikit-learn" in line and "install scikit-learn" in line


def test_the_report_says_which_estimates_are_unreliable_and_why(tmp_path):
    cur = regression_frame(900, seed=84, days=3)
    cur.loc[cur["ts"] >= "2024-01-03", "x1"] += 6   # the last day's inputs leave the reference's range
    cur_path, ref_path = _files(tmp_path, regression_frame(800, seed=85), cur.assign(y=np.nan))
    run = run_mlmon("perf", cur_path, "--reference", ref_path, *REG_ARGS, "--timestamp", "ts", "--window", "1D")
    assert run.code == 0, run.err
    assert "Estimation: DLE (error model on 3 input column(s) plus the prediction, fitted on the first 600 of 800" in run.out
    assert "**Estimates unreliable in 1 of 3 window(s)**: " in run.out
    assert "of the window's rows have inputs outside the reference's support (x1 " in run.out
    assert run.out.count("(unreliable)") == 1
