"""Drift at the edges a first real user meets: labels not in yet, extra excluded columns, id
columns, the model's probability column, guessed roles, bad MMD gammas, unwritable or hostile
``--html`` reports, and profiles that remember their exclusions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import run_mlmon

LABELS_NOT_IN = "label: skipped (not in the current data: labels not in yet?)"


def _side(rng, n, shift):
    return pd.DataFrame({
        "a": rng.normal(shift, 1, n), "b": rng.normal(0, 1, n),
        "d": rng.choice(["x", "y", "z"], n), "label": rng.integers(0, 2, n),
    })


@pytest.fixture
def pair(tmp_path):
    """Reference and current (a shifted by 1 sd in current), as CSV files."""
    rng = np.random.default_rng(0)
    ref, cur = _side(rng, 500, 0.0), _side(rng, 400, 1.0)
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    cur.drop(columns="label").to_csv(tmp_path / "cur_nolabel.csv", index=False)
    ref.assign(extra=rng.normal(0, 1, 500)).to_csv(tmp_path / "ref_extra.csv", index=False)
    return tmp_path


def _json(run):
    assert run.code == 0, run.err
    return run.json()


def _assert_one_line(run, *fragments):
    assert run.code == 2, (run.code, run.out, run.err)
    line = run.err.strip()
    assert line.startswith("mlmon: error: ") and "\n" not in line, run.err
    for f in fragments:
        assert f in line, line


# ---------------------------------------------------------------------------- item 13


def test_a_target_not_in_current_is_skipped_with_the_reason_and_the_features_are_tested(pair):
    d = _json(run_mlmon("drift", pair / "ref.csv", pair / "cur_nolabel.csv", "--target", "label", "--format", "json"))
    assert sorted(d["columns"]) == ["a", "b", "d"]
    assert d["n_columns"] == 3 and d["n_drifted"] == 1  # a moved by one sd on 400 rows
    assert d["skipped"] == {"label": "not in the current data: labels not in yet?"}
    assert d["target_drift"] is None
    assert LABELS_NOT_IN in d["warnings"]


def test_a_config_target_not_in_current_is_skipped_too(pair):
    (pair / "m.yaml").write_text("version: 1\nmodel: {name: m, task: binary}\ndata:\n"
                                 "  reference: {path: ref.csv}\n  current: {path: cur.csv}\n"
                                 "  columns: {target: label}\n")
    d = _json(run_mlmon("drift", pair / "ref.csv", pair / "cur_nolabel.csv", "--config", pair / "m.yaml",
                        "--format", "json"))
    assert d["skipped"] == {"label": "not in the current data: labels not in yet?"}
    assert sorted(d["columns"]) == ["a", "b", "d"]


def test_a_config_exclusion_drops_a_column_only_the_reference_has(pair):
    (pair / "m.yaml").write_text("version: 1\nmodel: {name: m, task: binary}\ndata:\n"
                                 "  reference: {path: ref_extra.csv}\n  current: {path: cur.csv}\n"
                                 "  columns: {exclude: [extra]}\n")
    d = _json(run_mlmon("drift", pair / "ref_extra.csv", pair / "cur.csv", "--config", pair / "m.yaml",
                        "--format", "json"))
    assert sorted(d["columns"]) == ["a", "b", "d", "label"]
    assert not any("extra" in w for w in d["warnings"])
    # the flag does the same
    d = _json(run_mlmon("drift", pair / "ref_extra.csv", pair / "cur.csv", "--exclude", "extra", "--format", "json"))
    assert sorted(d["columns"]) == ["a", "b", "d", "label"]


def test_mlmon_run_takes_an_extra_excluded_reference_column_and_no_labels(pair):
    (pair / "run.yaml").write_text("version: 1\nmodel: {name: m, task: binary}\ndata:\n  format: csv\n"
                                   "  reference: {path: ref_extra.csv}\n  current: {path: cur_nolabel.csv}\n"
                                   "  columns: {target: label, exclude: [extra]}\n")
    d = _json(run_mlmon("run", "--config", pair / "run.yaml", "--history", pair / "h.db", "--format", "json"))
    assert d["drift"]["n_columns"] == 3 and d["drift"]["drifted"] == ["a"]


# ---------------------------------------------------------------------------- item 14


@pytest.fixture
def with_ids(tmp_path):
    """Ids on both sides (fresh ranges in current, as every new period has) and a store_id with
    a few values: named like an id but not unique per row, so it is a feature."""
    rng = np.random.default_rng(1)
    frames = []
    for n, start, shift in ((500, 0, 0.0), (400, 10_000, 1.0)):
        f = _side(rng, n, shift)
        f.insert(0, "id", np.arange(start, start + n))
        f.insert(1, "user_id", [f"u{i}" for i in range(start, start + n)])
        f["orderKey"] = np.arange(start, start + n) * 7 + 0.5
        f["store_id"] = rng.integers(0, 5, n)
        frames.append(f)
    frames[0].to_csv(tmp_path / "ref.csv", index=False)
    frames[1].to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path


def test_id_like_columns_are_skipped_with_the_reason_not_tested(with_ids):
    d = _json(run_mlmon("drift", with_ids / "ref.csv", with_ids / "cur.csv", "--format", "json"))
    assert sorted(d["columns"]) == ["a", "b", "d", "label", "store_id"]
    assert d["skipped"] == {
        "id": "id-like: named like an identifier and unique per row (400 rows); "
              "use --categorical id or --numerical id to test it anyway",
        "user_id": "id-like: named like an identifier and unique per row (400 rows); "
                   "use --categorical user_id to test it anyway",
        "orderKey": "id-like: named like an identifier and unique per row (400 rows); "
                    "use --categorical orderKey or --numerical orderKey to test it anyway",
    }
    assert {n for n, c in d["columns"].items() if c["drifted"]} >= {"a"}
    assert not any(re.search(r"\bid\b|orderKey", r) for r in d["recommendations"]), d["recommendations"]


def test_an_id_column_named_as_a_type_is_tested(with_ids):
    d = _json(run_mlmon("drift", with_ids / "ref.csv", with_ids / "cur.csv", "--numerical", "id", "--format", "json"))
    assert d["columns"]["id"]["drifted"] is True  # fresh ids: disjoint ranges, KS p ~ 0
    assert "id" not in d["skipped"]


def test_prediction_proba_from_the_config_is_not_a_feature(tmp_path):
    rng = np.random.default_rng(2)
    for name, shift in (("ref.csv", 0.0), ("cur.csv", 1.0)):
        f = _side(rng, 300, shift)
        f["pred"] = rng.integers(0, 2, 300)
        f["proba"] = rng.beta(2, 5 - 2 * shift, 300)
        f.to_csv(tmp_path / name, index=False)
    (tmp_path / "m.yaml").write_text("version: 1\nmodel: {name: m, task: binary}\ndata:\n"
                                     "  reference: {path: ref.csv}\n  current: {path: cur.csv}\n"
                                     "  columns: {target: label, prediction: pred, prediction_proba: proba}\n")
    d = _json(run_mlmon("drift", tmp_path / "ref.csv", tmp_path / "cur.csv", "--config", tmp_path / "m.yaml",
                        "--format", "json"))
    # Evidently's DataDriftPreset tests the feature columns: a, b, d
    assert sorted(d["columns"]) == ["a", "b", "d"] and d["n_columns"] == 3
    assert "proba" not in json.dumps(d["recommendations"])


def test_init_names_an_unusual_target_and_prints_the_roles_it_guessed(tmp_path):
    rng = np.random.default_rng(3)
    n = 200
    pd.DataFrame({"tenure": rng.normal(size=n), "plan": rng.choice(["a", "b"], n), "churned": rng.integers(0, 2, n),
                  "customer_id": [f"c{i}" for i in range(n)]}).to_csv(tmp_path / "s.csv", index=False)
    run = run_mlmon("init", "--data", tmp_path / "s.csv", "--output", tmp_path / "m.yaml")
    assert run.code == 0, run.err
    from mlmon.services.config import load_config

    columns = load_config(str(tmp_path / "m.yaml")).as_dict()["data"]["columns"]
    assert columns["target"] == "churned" and columns["id"] == "customer_id"
    assert columns["numerical"] == ["tenure"] and columns["categorical"] == ["plan"]
    assert [line for line in run.err.splitlines() if line.startswith("mlmon: guessed ")] == [
        "mlmon: guessed target: churned",
        "mlmon: guessed prediction: none found",
        "mlmon: guessed prediction_proba: none found",
        "mlmon: guessed timestamp: none found",
        "mlmon: guessed id: customer_id",
        "mlmon: guessed numerical features: tenure",
        "mlmon: guessed categorical features: plan",
    ]


# ---------------------------------------------------------------------------- item 20


@pytest.mark.parametrize("gamma", ["nan", "-1", "0", "inf"])
def test_a_bad_mmd_gamma_is_one_line_and_exit_2(pair, gamma):
    run = run_mlmon("drift", pair / "ref.csv", pair / "cur.csv", "--multivariate", "mmd", "--mmd-gamma", gamma)
    _assert_one_line(run, "--mmd-gamma", "must be a positive finite number", "(command line)")


def test_html_into_an_unwritable_folder_is_one_line_and_exit_2(pair, tmp_path):
    # /proc/self takes no new files, even for root (a chmod'ed folder would not stop root)
    run = run_mlmon("drift", pair / "ref.csv", pair / "cur.csv", "--html", "/proc/self/report.html",
                    "--history", tmp_path / "h.db")
    _assert_one_line(run, "not writable", "--html /proc/self/report.html")
    assert not (tmp_path / "h.db").exists()


def test_a_profile_remembers_its_exclusions(pair):
    made = run_mlmon("profile", pair / "ref_extra.csv", "--exclude", "extra", "--out", pair / "ref.mlprofile")
    assert made.code == 0, made.err
    from mlmon.profiles import load_profile

    assert load_profile(str(pair / "ref.mlprofile")).excluded == ["extra"]
    for sides in ((pair / "ref.mlprofile", pair / "ref_extra.csv"), (pair / "ref_extra.csv", pair / "ref.mlprofile")):
        d = _json(run_mlmon("drift", *sides, "--format", "json"))
        assert sorted(d["columns"]) == ["a", "b", "d", "label"] and d["n_drifted"] == 0


def test_a_profile_without_exclusions_keeps_its_bytes(pair):
    from mlmon.profiles.fileformat import profile_to_dict
    from mlmon.profiles import load_profile

    assert run_mlmon("profile", pair / "ref.csv", "--out", pair / "p.mlprofile").code == 0
    assert "excluded" not in profile_to_dict(load_profile(str(pair / "p.mlprofile")))


# ---------------------------------------------------------------------------- item 9 (--html)

HOSTILE = "</script><script>alert(1)</script>"


@pytest.mark.parametrize("flag", ["--html", "--evidently-html"])
def test_html_report_escapes_hostile_column_names_and_values(tmp_path, flag):
    rng = np.random.default_rng(4)
    for name, shift in (("ref.csv", 0.0), ("cur.csv", 1.0)):
        pd.DataFrame({HOSTILE: rng.normal(shift, 1, 60), "c": rng.choice([HOSTILE + "v", "<b>w</b>"], 60),
                      "x": rng.normal(0, 1, 60)}).to_csv(tmp_path / name, index=False)
    run = run_mlmon("drift", tmp_path / "ref.csv", tmp_path / "cur.csv", flag, tmp_path / "r.html",
                    "--format", "json")
    d = _json(run)
    assert HOSTILE in d["columns"]  # the JSON keeps the name as it is
    page = Path(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "alert(1)" in page  # the column is in the report, escaped
    assert "<script>alert(1)" not in page
    assert "<b>w</b>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
