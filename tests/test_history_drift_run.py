"""A stored drift run reads back whole: every column the guide documents for ``runs`` and
``drift_columns`` (GUIDE.md, "History store") holds what the run computed, since users query
these tables with their own SQL."""

from __future__ import annotations

import json
import sqlite3

import pytest

from mlmon_testing import run_mlmon
from test_drift_command import _data, _write

RUN_COLUMNS = ("id", "kind", "created_at", "reference_path", "current_path", "reference_rows", "current_rows",
               "dataset_drift", "drift_share", "severity", "result_json")
COLUMN_COLUMNS = ("run_id", "column_name", "role", "type", "method", "score", "threshold", "drifted")


@pytest.fixture
def stored(tmp_path):
    ref, cur = _data(n_ref=3000, n_cur=2000)
    files = _write(ref, tmp_path / "ref.parquet"), _write(cur, tmp_path / "cur.parquet")
    db = tmp_path / "h.db"
    result = run_mlmon("drift", *files, "--format", "json", "--history", db, "--target", "label").json()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    run = dict(conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs").fetchone())
    columns = {r["column_name"]: dict(r) for r in conn.execute(f"SELECT {', '.join(COLUMN_COLUMNS)} FROM drift_columns")}
    conn.close()
    return files, result, run, columns


def test_the_run_row_holds_paths_sizes_verdict_and_the_whole_result(stored):
    (ref_path, cur_path), result, run, _ = stored
    created_at = run.pop("created_at")
    assert isinstance(created_at, float) and created_at > 1.7e9  # Unix seconds, 2023 or later
    assert json.loads(run.pop("result_json")) == result
    assert run == {
        "id": 1, "kind": "drift", "reference_path": str(ref_path), "current_path": str(cur_path),
        "reference_rows": 3000, "current_rows": 2000,  # the sizes _data was asked for
        "dataset_drift": int(result["dataset_drift"]), "drift_share": result["drift_share"],
        "severity": result["severity"],
    }
    # columns a and d drift (their distributions are shifted in _data), 2 of 6 features
    assert (run["drift_share"], run["dataset_drift"], run["severity"]) == (pytest.approx(2 / 6), 0, "degraded")


def test_a_row_per_tested_column_with_its_role_type_method_score_threshold_and_verdict(stored):
    _, result, _, columns = stored
    expected = {name: {"run_id": 1, "column_name": name, "role": c["role"], "type": c["type"], "method": c["method"],
                       "score": c["score"], "threshold": c["threshold"], "drifted": int(c["drifted"])}
                for name, c in result["columns"].items()}
    t = result["target_drift"]
    expected["label"] = {"run_id": 1, "column_name": "label", "role": t["role"], "type": t["type"], "method": t["method"],
                         "score": t["score"], "threshold": t["threshold"], "drifted": int(t["drifted"])}
    assert columns == expected
    # independent facts about this data: 3000 reference rows (over 1000), so Evidently's
    # defaults pick wasserstein for the numerical columns and jensenshannon for the categorical
    assert {n: (c["type"], c["method"]) for n, c in columns.items()} == {
        **{n: ("numerical", "wasserstein") for n in ("a", "b", "c", "score")},
        **{n: ("categorical", "jensenshannon") for n in ("d", "e", "label")}}
    assert {n for n, c in columns.items() if c["drifted"]} == {"a", "d", "label"}
