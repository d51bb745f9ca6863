"""``--engine``, ``--batch-rows`` and ``--dask-scheduler`` on ``mlmon profile`` and ``mlmon drift``.

A streamed profile is the profile of the data read whole (its exact parts, bit for bit); drift
with ``--engine local`` on small data (where profiles keep every value) gives the row-based
drift check's verdicts and scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.io.tables import read_table
from mlmon.profiles import load_profile, profile_frame
from mlmon_testing import run_mlmon


def write_dir(path, seed, shift=0.0, files=3, rows=400):
    path.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(files):
        pd.DataFrame({
            "x": rng.normal(shift, 1.0, rows),
            "n": rng.integers(0, 1000, rows),
            "color": rng.choice(["red", "green", "blue"] if not shift else ["red", "red", "blue"], rows),
        }).to_parquet(path / f"p{i}.parquet", row_group_size=150)
    return path


def test_profile_streamed_in_small_batches_equals_the_profile_of_the_whole_table(tmp_path):
    d = write_dir(tmp_path / "ref", seed=1)
    run = run_mlmon("profile", d, "--out", tmp_path / "r.mlprofile", "--batch-rows", "64", "--format", "json")
    assert run.code == 0, run.err
    table = read_table(str(d))
    whole = profile_frame(table.frame, kinds=table.kinds)
    assert load_profile(str(tmp_path / "r.mlprofile")).exact_parts() == whole.exact_parts()


def test_drift_with_the_local_engine_equals_the_row_based_check_on_small_data(tmp_path):
    ref, cur = write_dir(tmp_path / "ref", seed=1), write_dir(tmp_path / "cur", seed=2, shift=0.3)
    exact = run_mlmon("drift", ref, cur, "--format", "json", "--no-history")
    streamed = run_mlmon("drift", ref, cur, "--engine", "local", "--batch-rows", "100", "--format", "json", "--no-history")
    assert exact.code == streamed.code == 0, streamed.err
    a, b = exact.json(), streamed.json()
    assert b["reference"]["profile"] is True  # it really went through profiles
    assert set(a["columns"]) == set(b["columns"]) == {"x", "n", "color"}
    for name in a["columns"]:
        ca, cb = a["columns"][name], b["columns"][name]
        assert (ca["method"], ca["drifted"]) == (cb["method"], cb["drifted"]), name
        assert cb["score"] == pytest.approx(ca["score"], rel=1e-9, abs=1e-12), name
    assert a["columns"]["x"]["drifted"] and a["columns"]["color"]["drifted"] and not a["columns"]["n"]["drifted"]


def test_drift_against_a_profile_streams_a_csv_current(tmp_path):
    ref = write_dir(tmp_path / "ref", seed=1)
    assert run_mlmon("profile", ref, "--out", tmp_path / "r.mlprofile").code == 0
    cur = pd.concat([pd.read_parquet(f) for f in sorted(ref.glob("*.parquet"))])
    cur.to_csv(tmp_path / "cur.csv", index=False)
    run = run_mlmon("drift", tmp_path / "r.mlprofile", tmp_path / "cur.csv", "--batch-rows", "50", "--format", "json",
                    "--no-history")
    assert run.code == 0, run.err
    data = run.json()
    assert data["current"]["rows"] == 1200 and data["n_drifted"] == 0  # the same rows: no drift


@pytest.mark.parametrize("args, message", [
    (["--batch-rows", "0"], "argument --batch-rows: expected at least 1 row, got 0"),
    (["--batch-rows", "many"], "argument --batch-rows: expected a whole number of rows, got 'many'"),
    (["--engine", "spark"], "argument --engine: invalid choice: 'spark'"),
    (["--engine", "local", "--dask-scheduler", "tcp://127.0.0.1:8786"], "--dask-scheduler needs --engine dask"),
])
def test_bad_engine_flags_are_one_line_errors(tmp_path, args, message):
    ref = write_dir(tmp_path / "ref", seed=1)
    for command in (["profile", ref, "--out", tmp_path / "r.mlprofile"], ["drift", ref, ref, "--no-history"]):
        run = run_mlmon(*command, *args)
        assert run.code == 2
        assert run.out == ""
        assert run.err.startswith("mlmon: error: ") and message in run.err, run.err
        assert len(run.err.strip().splitlines()) == 1


def test_json_lines_cannot_go_to_dask_workers(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"a": 1}\n{"a": 2}\n')
    run = run_mlmon("profile", tmp_path / "d.jsonl", "--out", tmp_path / "r.mlprofile", "--engine", "dask")
    assert run.code == 2
    assert run.err.strip() == (f"mlmon: error: JSON Lines cannot be split across Dask workers ({tmp_path / 'd.jsonl'}); "
                               "convert it to parquet, or drop --engine dask")


def test_json_lines_are_profiled_whole_with_the_local_engine(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"a": 1, "s": "x"}\n{"a": 2, "s": "y"}\n')
    run = run_mlmon("profile", tmp_path / "d.jsonl", "--out", tmp_path / "r.mlprofile", "--format", "json")
    assert run.code == 0, run.err
    assert load_profile(str(tmp_path / "r.mlprofile")).rows == 2
