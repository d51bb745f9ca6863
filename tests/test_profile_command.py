"""`mlmon profile` and `mlmon drift` with .mlprofile inputs, as a user meets them."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import run_mlmon, run_mlmon_process


def _side(rng, n, drift):
    return pd.DataFrame({
        "a": rng.normal(0.5 if drift else 0.0, 1, n),
        "b": rng.gamma(2, 2, n),
        "d": rng.choice(["x", "y", "z"], n, p=[0.2, 0.3, 0.5] if drift else [0.5, 0.3, 0.2]),
        "label": (rng.random(n) < (0.3 if drift else 0.1)).astype(int),
    })


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    ref, cur = _side(rng, 3000, False), _side(rng, 2000, True)
    ref.to_parquet(tmp_path / "ref.parquet", index=False)
    ref.iloc[:1000].to_parquet(tmp_path / "ref1.parquet", index=False)
    ref.iloc[1000:].to_parquet(tmp_path / "ref2.parquet", index=False)
    cur.to_parquet(tmp_path / "cur.parquet", index=False)
    return tmp_path


def test_profile_writes_a_file_and_reports_its_columns(files):
    run = run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile", "--format", "json")
    assert run.code == 0, run.err
    d = run.json()
    assert d["schema_version"] == 1 and d["rows"] == 3000 and d["format_version"] == 1
    assert d["columns"]["d"]["distinct"] == 3 and d["columns"]["a"]["count"] == 3000
    assert d["bytes"] == (files / "ref.mlprofile").stat().st_size
    md = run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile")
    assert md.code == 0 and "# Profile: 3,000 rows, 4 columns" in md.out


def test_drift_against_a_profile_matches_drift_against_the_data(files):
    assert run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile").code == 0
    exact = run_mlmon("drift", files / "ref.parquet", files / "cur.parquet", "--format", "json", "--no-history").json()
    prof = run_mlmon("drift", files / "ref.mlprofile", files / "cur.parquet", "--format", "json", "--no-history")
    assert prof.code == 0, prof.err
    d = prof.json()
    assert d["reference"] == {"path": str(files / "ref.mlprofile"), "rows": 3000, "profile": True}
    assert d["current"] == {"path": str(files / "cur.parquet"), "rows": 2000, "profile": True}  # compared as a profile
    assert d["dataset_drift"] == exact["dataset_drift"] and d["n_drifted"] == exact["n_drifted"]
    for name, e in exact["columns"].items():
        c = d["columns"][name]
        assert (c["method"], c["drifted"]) == (e["method"], e["drifted"])
        if c["type"] == "categorical":
            assert c["score"] == pytest.approx(e["score"], rel=1e-12)
        elif c["approximate"]:
            lo, hi = c["score_bounds"]
            assert lo <= e["score"] <= hi


def test_profiles_of_parts_merge_into_the_profile_of_the_whole(files):
    assert run_mlmon("profile", files / "ref1.parquet", "--out", files / "p1.mlprofile").code == 0
    assert run_mlmon("profile", files / "ref2.parquet", "--out", files / "p2.mlprofile").code == 0
    merged = run_mlmon("profile", files / "p1.mlprofile", files / "p2.mlprofile", "--out", files / "m.mlprofile", "--format", "json")
    whole = run_mlmon("profile", files / "ref.parquet", "--out", files / "w.mlprofile", "--format", "json")
    assert merged.code == 0, merged.err
    m, w = merged.json(), whole.json()
    for name in ("a", "b", "d", "label"):
        for key in ("rows", "missing", "count", "min", "max", "mean", "distinct", "fine_bins"):
            assert m["columns"][name].get(key) == w["columns"][name].get(key), (name, key)


def test_profile_against_profile_and_fail_on(files):
    run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile")
    run_mlmon("profile", files / "cur.parquet", "--out", files / "cur.mlprofile")
    run = run_mlmon("drift", files / "ref.mlprofile", files / "cur.mlprofile", "--fail-on", "drift", "--no-history")
    assert run.code == 1, run.err
    assert "# Drift check: DRIFT" in run.out
    assert "## Scores from sketches (bounded)" in run.out and "| a | wasserstein |" in run.out


def test_drift_against_a_profile_is_recorded_in_history(files):
    run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile")
    run = run_mlmon("drift", files / "ref.mlprofile", files / "cur.parquet", "--history", files / "h.db", "--format", "json")
    assert run.code == 0 and "history not recorded" not in run.out
    from mlmon.store.history import HistoryStore

    runs = HistoryStore(str(files / "h.db")).drift_runs()
    assert runs[0]["reference_path"] == str(files / "ref.mlprofile")


def _corrupt(path, how):
    if how == "text":
        path.write_text("not a profile\n")
    elif how == "foreign":
        path.write_bytes(gzip.compress(json.dumps({"format": "other"}).encode()))
    elif how == "newer":
        path.write_bytes(gzip.compress(json.dumps({"format": "mlmon-profile", "format_version": 7}).encode()))


@pytest.mark.parametrize("how, message", [
    ("text", "not a profile file (not gzip-compressed, or cut short)"),
    ("foreign", "not an mlmon profile"),
    ("newer", "profile format version 7 is newer than this mlmon reads (1)"),
])
def test_bad_profile_files_are_one_line_and_exit_2(files, how, message):
    bad = files / "bad.mlprofile"
    _corrupt(bad, how)
    run = run_mlmon_process("drift", bad, files / "cur.parquet", "--no-history")
    assert run.code == 2
    assert run.err.startswith("mlmon: error: ") and message in run.err and str(bad) in run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err


def test_profile_and_data_with_different_columns_is_one_line_and_exit_2(files):
    run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile")
    cur = pd.read_parquet(files / "cur.parquet").drop(columns=["b"]).assign(extra=1.0)
    cur.to_parquet(files / "cur2.parquet", index=False)
    run = run_mlmon("drift", files / "ref.mlprofile", files / "cur2.parquet", "--no-history")
    assert run.code == 2
    assert run.err.startswith("mlmon: error: reference and current have different columns: "
                              "missing in current: b; only in current: extra")
    assert run.err.count("\n") == 1
    ok = run_mlmon("drift", files / "ref.mlprofile", files / "cur2.parquet", "--no-history", "--exclude", "b,extra")
    assert ok.code == 0, ok.err


@pytest.mark.parametrize("extra, message", [
    (["--method", "mannw"], "drift method 'mannw' needs the rows, a profile holds summaries"),
    (["--multivariate", "mmd"], "the multivariate test needs the rows"),
    (["--evidently-html", "r.html"], "Evidently's report needs the rows"),
])
def test_what_needs_rows_is_refused_for_profiles(files, extra, message):
    run_mlmon("profile", files / "ref.parquet", "--out", files / "ref.mlprofile")
    run = run_mlmon("drift", files / "ref.mlprofile", files / "cur.parquet", "--no-history", *extra)
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--out", "ref.parquet.out"], "a profile's name must end in .mlprofile"),
    (["--out", "x.mlprofile", "--bins-per-octave", "100"], "bins per octave 100 is not a power of two"),
    (["--out", "nodir/x.mlprofile"], "output directory does not exist"),
    (["--out", "x.mlprofile", "--sketch-k", "0"], "expected a number > 0"),
])
def test_bad_profile_options_are_one_line_and_exit_2(files, args, message):
    run = run_mlmon("profile", files / "ref.parquet", *args)
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


def test_merging_profiles_of_different_columns_is_refused(files):
    run_mlmon("profile", files / "ref.parquet", "--out", files / "p1.mlprofile")
    run_mlmon("profile", files / "ref.parquet", "--out", files / "p2.mlprofile", "--exclude", "b")
    run = run_mlmon("profile", files / "p1.mlprofile", files / "p2.mlprofile", "--out", files / "m.mlprofile")
    assert run.code == 2 and "profiles have different columns: only in the first: b" in run.err
    assert not (files / "m.mlprofile").exists()


def test_a_column_of_huge_values_profiles_and_scores_as_its_rows_do(tmp_path):
    """Values around 1e200: their variance (about 1e400) lies beyond float64, which ended
    `mlmon profile` with an internal error. The profile's standard deviation is the rows' own
    (np.std of the values scaled down, times the scale), and drift from it scores what the rows
    score."""
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 4000) * 1e200})
    cur = pd.DataFrame({"x": (rng.normal(0, 1, 3000) + 3) * 1e200})
    ref.to_parquet(tmp_path / "ref.parquet", index=False)
    cur.to_parquet(tmp_path / "cur.parquet", index=False)
    run = run_mlmon("profile", tmp_path / "ref.parquet", "--out", tmp_path / "ref.mlprofile", "--format", "json")
    assert run.code == 0, run.err
    assert run.json()["columns"]["x"]["std"] == pytest.approx(np.std(ref.x / 1e200) * 1e200, rel=1e-12)
    rows = run_mlmon("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet", "--format", "json", "--no-history")
    summary = run_mlmon("drift", tmp_path / "ref.mlprofile", tmp_path / "cur.parquet", "--format", "json",
                        "--no-history")
    assert rows.code == summary.code == 0, (rows.err, summary.err)
    x_rows, x_summary = rows.json()["columns"]["x"], summary.json()["columns"]["x"]
    assert x_rows["method"] == x_summary["method"] == "wasserstein" and x_rows["drifted"] and x_summary["drifted"]
    assert x_summary["score"] == pytest.approx(x_rows["score"], rel=1e-3)  # within the profile's stated bound
    assert x_rows["score"] == pytest.approx(3.0, abs=0.1)  # three reference deviations apart


@pytest.mark.parametrize("method", ["wasserstein", "hellinger", "psi", "ks"])
def test_columns_spanning_the_float_range_score_from_a_profile_within_bounds_of_the_rows_score(tmp_path, method):
    """Values up to ±1.7e308: from a profile, Wasserstein came out NaN and Hellinger 1.0 or NaN.
    Each score from the profile now brackets the rows' score within its stated bounds, for a
    column that moved (x) and one that did not (y)."""
    rng = np.random.default_rng(6)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 4000) * 1e307, "y": rng.uniform(-1, 1, 4000) * 1.7e308})
    cur = pd.DataFrame({"x": (rng.normal(0, 1, 3000) + 3) * 1e307, "y": rng.uniform(-1, 1, 3000) * 1.7e308})
    ref.to_parquet(tmp_path / "ref.parquet", index=False)
    cur.to_parquet(tmp_path / "cur.parquet", index=False)
    assert run_mlmon("profile", tmp_path / "ref.parquet", "--out", tmp_path / "ref.mlprofile").code == 0
    args = ("--method", method, "--format", "json", "--no-history")
    rows = run_mlmon("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet", *args).json()["columns"]
    summary = run_mlmon("drift", tmp_path / "ref.mlprofile", tmp_path / "cur.parquet", *args).json()["columns"]
    for name, moved in (("x", True), ("y", False)):
        lo, hi = summary[name].get("score_bounds") or [summary[name]["score"]] * 2  # none when exact
        exact = rows[name]["score"]
        assert lo - 1e-12 <= exact <= hi + 1e-12, (name, exact, lo, hi)
        assert rows[name]["drifted"] is moved and summary[name]["drifted"] is moved, name
