"""Rough edges a first real user hit in ``mlmon perf``/``labels`` (each test feeds the input that
misbehaved: a wrong answer given silently, an internal error, or a misleading message)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlmon.services.performance import PerfOptions, compute_performance
from mlmon_testing import run_mlmon
from test_perf_service import frame


def _three_classes(n=900, seed=16):
    """A model whose argmax is its prediction: classes cat/dog/eel with probabilities per class."""
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet([0.6, 0.6, 0.6], n)
    classes = np.array(["cat", "dog", "eel"])
    y = classes[[rng.choice(3, p=r) for r in proba]]
    return proba, classes, y


def test_multiclass_proba_columns_are_matched_to_classes_by_name():
    proba, classes, y = _three_classes()
    cur = pd.DataFrame({"y": y, "yhat": classes[proba.argmax(1)], "proba_dog": proba[:, 1],
                        "proba_eel": proba[:, 2], "proba_cat": proba[:, 0]})
    # given in file order (dog, eel, cat), not the classes' sorted order (cat, dog, eel)
    d = compute_performance(cur, PerfOptions(task="multiclass", target="y", prediction="yhat",
                                             proba=["proba_dog", "proba_eel", "proba_cat"])).to_dict()
    m = d["windows"][0]["metrics"]
    assert m["auc_roc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-9)
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=list(classes)), abs=1e-12)
    assert any("matched to classes by name" in w for w in d["warnings"])
    assert d["columns"]["proba"] == ["proba_cat", "proba_dog", "proba_eel"]


@pytest.mark.parametrize("names", [["dog_probability", "cat_probability", "eel_probability"],
                                   ["p_eel", "p_cat", "p_dog"], ["eel", "dog", "cat"]])
def test_name_patterns_that_carry_the_class(names):
    from mlmon.services.performance.encoding import class_of_columns

    got = class_of_columns(names, ["cat", "dog", "eel"])
    assert [n.replace("_probability", "").replace("p_", "") for n in got] == ["cat", "dog", "eel"]


def test_multiclass_proba_in_the_wrong_order_without_class_names_is_refused(tmp_path):
    proba, classes, y = _three_classes()
    cur = pd.DataFrame({"y": y, "yhat": classes[proba.argmax(1)],
                        "s1": proba[:, 1], "s2": proba[:, 2], "s3": proba[:, 0]})  # dog, eel, cat
    path = tmp_path / "cur.csv"
    cur.to_csv(path, index=False)
    r = run_mlmon("perf", str(path), "--task", "multiclass", "--target", "y", "--prediction", "yhat",
                  "--proba", "s1,s2,s3", "--no-history")
    assert r.code == 2 and r.out == ""
    assert r.err.count("\n") == 1 and r.err.startswith("mlmon: error: the probability columns' most likely class")
    assert "they look like classes dog, eel, cat in that order" in r.err
    assert "--proba" in r.err and "sorted order (cat, dog, eel)" in r.err


def test_multiclass_proba_in_sorted_order_still_passes():
    proba, classes, y = _three_classes()
    cur = pd.DataFrame({"y": y, "yhat": classes[proba.argmax(1)], "a": proba[:, 0], "b": proba[:, 1], "c": proba[:, 2]})
    d = compute_performance(cur, PerfOptions(task="multiclass", target="y", prediction="yhat",
                                             proba=["a", "b", "c"])).to_dict()
    assert d["windows"][0]["metrics"]["auc_roc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-9)


@pytest.fixture
def files(tmp_path):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    frame(seed=1).to_parquet(ref)
    frame(seed=2).to_parquet(cur)
    return ref, cur


ROLES = ["--task", "binary", "--prediction", "yhat", "--proba", "p", "--timestamp", "ts", "--no-history"]


def _one_line_error(r):
    assert r.code == 2 and r.out == "", r.err
    assert r.err.startswith("mlmon: error: ") and r.err.count("\n") == 1 and "internal error" not in r.err
    return r.err


def test_missing_target_names_the_option_not_a_none_column(files):
    ref, cur = files
    err = _one_line_error(run_mlmon("perf", cur, "--reference", ref, *ROLES, "--window", "1D"))
    assert "None" not in err
    assert err == ("mlmon: error: no target column: the reference baseline is measured on labels (--target); "
                   "pass --target COL (or data.columns.target in --config)\n")


@pytest.mark.parametrize("flag, value, says", [
    ("--threshold", "nan", "threshold must be between 0 and 1, got nan (--threshold)"),
    ("--threshold", "5", "threshold must be between 0 and 1, got 5.0 (--threshold)"),
    ("--fp-cost", "nan", "false positive cost must be a number of at least 0, got nan (--fp-cost)"),
    ("--min-labeled-share", "nan", "min labeled share must be between 0 and 1, got nan (--min-labeled-share)"),
])
def test_out_of_range_numbers_are_refused(files, flag, value, says):
    ref, cur = files
    err = _one_line_error(run_mlmon("perf", cur, "--reference", ref, *ROLES, "--target", "y", flag, value))
    assert says in err


def test_one_row_from_1970_hits_the_window_cap_naming_the_outlier(files, tmp_path):
    ref, _ = files
    f = frame(seed=2)
    f.loc[7, "ts"] = pd.Timestamp("1970-01-01")
    path = tmp_path / "c.parquet"
    f.to_parquet(path)
    err = _one_line_error(run_mlmon("perf", path, "--reference", ref, *ROLES, "--target", "y", "--window", "1h"))
    assert "(at most 100,000)" in err and "1970-01-01T00:00:00 (row 7)" in err
    assert "drop or fix the outlying timestamps" in err


@pytest.mark.parametrize("value", [pd.Timestamp.min, pd.Timestamp.max, "1677-09-22", "1678-01-01", "2262-04-11", "9999-12-31"])
@pytest.mark.parametrize("window", ["1D", "1W", "1M"])
def test_timestamps_at_pandas_limits_are_one_clear_line(files, tmp_path, value, window):
    ref, _ = files
    f = frame(seed=2)
    if isinstance(value, str):
        f["ts"] = f.ts.astype(str)
    f.loc[3, "ts"] = value
    path = tmp_path / "c.parquet"
    f.to_parquet(path)
    err = _one_line_error(run_mlmon("perf", path, "--reference", ref, *ROLES, "--target", "y", "--window", window))
    assert "1 timestamp(s) in column 'ts' lie outside the years 1679-2261 (row 3: " in err
    assert "drop or fix those rows" in err


def _perfect(n, positives):
    """``n`` labeled rows, ``positives`` of them positive, every prediction right."""
    y = np.r_[np.ones(positives, int), np.zeros(n - positives, int)]
    p = np.where(y == 1, 0.9, 0.1) + np.linspace(0, 0.05, n)
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="min")
    return pd.DataFrame({"ts": ts, "y": y, "p": p, "yhat": y})


def test_five_labels_say_the_window_is_too_small_instead_of_a_degenerate_interval(tmp_path):
    path = tmp_path / "c.parquet"
    _perfect(5, 2).to_parquet(path)
    r = run_mlmon("perf", path, *ROLES, "--target", "y", "--format", "json")
    assert r.code == 0, r.err
    w = r.json()["windows"][0]
    assert w["metrics"]["f1_score"] == 1.0 and w["metrics"]["auc_roc"] == 1.0  # the value stays
    assert w["intervals"]["f1_score"] == {"lower": None, "upper": None}
    assert set(w["too_small"]) >= {"accuracy", "f1_score", "auc_roc"}
    assert "window too small: 5 labels (fewer than 30)" in w["notes"][0]
    md = run_mlmon("perf", path, *ROLES, "--target", "y").out
    assert "[1.0000, 1.0000]" not in md and "1.0000 (too few labels)" in md


def test_auc_needs_five_labels_of_each_class():
    d = compute_performance(_perfect(200, 3), PerfOptions(task="binary", target="y", prediction="yhat",
                                                          proba="p")).to_dict()
    w = d["windows"][0]
    assert w["too_small"] == ["auc_roc"] and w["intervals"]["auc_roc"] == {"lower": None, "upper": None}
    assert w["intervals"]["accuracy"]["lower"] is not None
    assert any("3 labels of the rarest class (fewer than 5)" in n for n in w["notes"])
    d = compute_performance(_perfect(200, 5), PerfOptions(task="binary", target="y", prediction="yhat",
                                                          proba="p")).to_dict()
    assert d["windows"][0]["too_small"] == []


def test_labels_markdown_says_when_it_shows_only_the_latest_windows(tmp_path):
    f = frame(n=3000, days=50, seed=9)
    path = tmp_path / "c.parquet"
    f.to_parquet(path)
    r = run_mlmon("labels", path, "--timestamp", "ts", "--target", "y", "--window", "1D")
    assert r.code == 0, r.err
    assert "Latest 40 of 50 windows (all of them are in `--format json`)." in r.out
    assert r.out.count("| 2024-") == 40


def test_sparse_label_warning_says_which_of_the_windows_it_lists():
    f = frame(n=3000, days=6, seed=10)
    late = f.ts >= pd.Timestamp("2024-01-03")
    f.loc[late, "y"] = np.where(np.arange(late.sum()) % 50 == 0, f.loc[late, "y"], np.nan)  # 2% labeled
    d = compute_performance(f, PerfOptions(task="binary", target="y", prediction="yhat", timestamp="ts",
                                           window="1D")).to_dict()
    warning = next(w for w in d["warnings"] if "sparsely labeled" in w)
    assert warning.startswith("the latest 4 window(s) are sparsely labeled (the newest 3: 2024-01-04T00:00:00: ")
    assert warning.count("T00:00:00: ") == 3


@pytest.mark.parametrize("command", [["perf"], ["labels"], ["ab", "analyze"], ["ab", "plan"]])
def test_help_shows_single_percent_signs(command):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        from mlmon.cli import main

        main([*command, "--help"])
    assert done.value.code == 0 and "%%" not in out.getvalue()
    r = type("R", (), {"out": out.getvalue()})
    if command == ["perf"]:
        assert "(with 95% intervals)" in r.out


def test_one_row_from_1970_in_daily_windows_is_refused_naming_it(files, tmp_path):
    ref, _ = files
    f = frame(seed=2)
    f.loc[11, "ts"] = pd.Timestamp("1970-01-01 08:00")
    path = tmp_path / "c.parquet"
    f.to_parquet(path)
    err = _one_line_error(run_mlmon("perf", path, "--reference", ref, *ROLES, "--target", "y", "--window", "1D"))
    assert err.startswith("mlmon: error: 19,728 1D windows, 100% of them empty: timestamps run from "
                          "1970-01-01 08:00:00 (row 11) to 2024-01-05 ")
    assert err.endswith("(--window); filter out the outlying rows (a placeholder date?) or choose a longer window\n")
