"""`mlmon drift` as a user meets it: the JSON contract, verdicts, options, formats, history."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlmon_testing import run_mlmon

ROOT = Path(__file__).resolve().parents[1]


def _write(frame: pd.DataFrame, path):
    s = str(path)
    if s.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif s.endswith(".jsonl"):
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path


def _data(n_ref=3000, n_cur=2000, seed=0):
    rng = np.random.default_rng(seed)

    def side(n, drift):
        return pd.DataFrame(
            {
                "a": rng.normal(1.0 if drift else 0.0, 1, n),
                "b": rng.normal(0, 1, n),
                "c": rng.gamma(2, 2, n),
                "d": rng.choice(["x", "y", "z"], n, p=[0.2, 0.3, 0.5] if drift else [0.5, 0.3, 0.2]),
                "e": rng.choice(["u", "v"], n),
                "label": (rng.random(n) < (0.3 if drift else 0.1)).astype(int),
                "score": rng.beta(2, 5, n),
            }
        )

    return side(n_ref, False), side(n_cur, True)


@pytest.fixture
def files(tmp_path):
    ref, cur = _data()
    return _write(ref, tmp_path / "ref.parquet"), _write(cur, tmp_path / "cur.parquet")


def test_json_contract(files):
    run = run_mlmon("drift", *files, "--format", "json", "--target", "label", "--prediction", "score")
    assert run.code == 0, run.err
    d = run.json()
    assert d["schema_version"] == 1
    assert d["reference"] == {"path": str(files[0]), "rows": 3000}
    assert d["current"] == {"path": str(files[1]), "rows": 2000}
    assert set(d["columns"]) == {"a", "b", "c", "d", "e"}  # target and prediction are reported apart
    for c in d["columns"].values():
        assert c["type"] in ("numerical", "categorical")
        assert isinstance(c["score"], float) and isinstance(c["threshold"], float)
        assert isinstance(c["drifted"], bool)
    assert d["columns"]["a"]["method"] == "wasserstein" and d["columns"]["d"]["method"] == "jensenshannon"
    assert d["n_columns"] == 5
    assert d["n_drifted"] == sum(c["drifted"] for c in d["columns"].values())
    assert d["drift_share"] == pytest.approx(d["n_drifted"] / 5)
    assert d["dataset_drift"] is (d["drift_share"] >= 0.5)
    assert d["target_drift"]["column"] == "label" and d["target_drift"]["drifted"] is True
    assert d["prediction_drift"]["column"] == "score" and d["prediction_drift"]["drifted"] is False
    assert d["multivariate"] is None
    assert d["columns"]["a"]["drifted"] and d["columns"]["d"]["drifted"]
    assert not d["columns"]["b"]["drifted"] and not d["columns"]["e"]["drifted"]
    assert any("a (wasserstein" in r for r in d["recommendations"])
    assert any("target label drifted" in r for r in d["recommendations"])


def test_wasserstein_score_is_scipy_distance_over_reference_std(files):
    ref, cur = pd.read_parquet(files[0]), pd.read_parquet(files[1])
    d = run_mlmon("drift", *files, "--format", "json", "--no-history").json()
    expected = stats.wasserstein_distance(ref["c"], cur["c"]) / np.std(ref["c"])
    assert d["columns"]["c"]["score"] == pytest.approx(expected, abs=1e-12)


def test_dataset_drift_at_exactly_the_share_and_severity(tmp_path):
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({k: rng.normal(0, 1, 2000) for k in "abcd"})
    cur = pd.DataFrame({k: rng.normal(3 if k in "ab" else 0, 1, 2000) for k in "abcd"})
    files = _write(ref, tmp_path / "r.parquet"), _write(cur, tmp_path / "c.parquet")
    d = run_mlmon("drift", *files, "--format", "json", "--no-history").json()
    assert d["drift_share"] == 0.5 and d["dataset_drift"] is True and d["severity"] == "degraded"
    d = run_mlmon("drift", *files, "--format", "json", "--no-history", "--drift-share", "0.6").json()
    assert d["dataset_drift"] is False


def test_fail_on_gates(files, tmp_path):
    assert run_mlmon("drift", *files, "--no-history", "--fail-on", "drift").code == 0  # 2 of 7 columns drifted
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({k: rng.normal(0, 1, 500) for k in "abc"})
    cur = pd.DataFrame({k: rng.normal(2, 1, 500) for k in "abc"})
    f = _write(ref, tmp_path / "r.parquet"), _write(cur, tmp_path / "c.parquet")
    assert run_mlmon("drift", *f, "--no-history", "--fail-on", "drift").code == 1
    assert run_mlmon("drift", *f, "--no-history", "--fail-on", "critical").code == 1
    assert run_mlmon("drift", *f, "--no-history").code == 0


def test_method_column_method_and_threshold(files):
    ref, cur = pd.read_parquet(files[0]), pd.read_parquet(files[1])
    d = run_mlmon(
        "drift", *files, "--format", "json", "--no-history",
        "--method", "ks", "--column-method", "b=psi", "--threshold", "0.01",
    ).json()
    assert d["columns"]["a"]["method"] == "ks"
    assert d["columns"]["a"]["score"] == pytest.approx(stats.ks_2samp(ref["a"], cur["a"]).pvalue, rel=1e-9, abs=1e-300)
    assert d["columns"]["b"]["method"] == "psi"
    assert d["columns"]["d"]["method"] == "jensenshannon"  # ks does not apply to categorical columns
    assert all(c["threshold"] == 0.01 for c in d["columns"].values())


def test_fdr_adjusts_p_values_like_statsmodels(tmp_path):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    ref = pd.DataFrame({f"f{i}": rng.normal(0, 1, 400) for i in range(8)})
    cur = pd.DataFrame({f"f{i}": rng.normal(0.25 if i < 2 else 0, 1, 400) for i in range(8)})
    files = _write(ref, tmp_path / "r.parquet"), _write(cur, tmp_path / "c.parquet")
    raw = run_mlmon("drift", *files, "--format", "json", "--no-history", "--method", "ks").json()
    adj = run_mlmon("drift", *files, "--format", "json", "--no-history", "--method", "ks", "--fdr", "0.05").json()
    names = sorted(raw["columns"])
    p = np.array([raw["columns"][n]["score"] for n in names])
    reject, expected, _, _ = multipletests(p, alpha=0.05, method="fdr_bh")
    got = np.array([adj["columns"][n]["p_value_adjusted"] for n in names])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert [adj["columns"][n]["drifted"] for n in names] == list(reject)
    assert adj["fdr"] == 0.05


def test_column_typing_follows_evidently(tmp_path):
    n = 3000
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "few_ints": rng.integers(0, 10, n),  # 10 distinct ints: categorical
            "many_ints": rng.integers(0, 50, n),  # numerical
            "flag": rng.random(n) < 0.5,  # bool: categorical
            "cat": pd.Categorical(rng.choice(["p", "q"], n)),  # pandas category: categorical
            "free_text": [f"note {i}" for i in range(n)],  # text-like: skipped
            "when": pd.date_range("2026-01-01", periods=n, freq="min"),  # datetime: skipped
            "num": rng.normal(0, 1, n),
        }
    )
    files = _write(frame, tmp_path / "r.parquet"), _write(frame.sample(frac=1, random_state=1), tmp_path / "c.parquet")
    d = run_mlmon("drift", *files, "--format", "json", "--no-history").json()
    types = {k: v["type"] for k, v in d["columns"].items()}
    assert types == {"few_ints": "categorical", "many_ints": "numerical", "flag": "categorical",
                     "cat": "categorical", "num": "numerical"}
    assert d["skipped"]["free_text"].startswith("text-like")
    assert d["skipped"]["when"].startswith("datetime")
    d = run_mlmon("drift", *files, "--format", "json", "--no-history", "--numerical", "few_ints",
                  "--categorical", "many_ints", "--exclude", "num").json()
    assert d["columns"]["few_ints"]["type"] == "numerical" and d["columns"]["many_ints"]["type"] == "categorical"
    assert "num" not in d["columns"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_csv_and_jsonl_give_the_parquet_result(tmp_path, files, suffix):
    ref, cur = pd.read_parquet(files[0]), pd.read_parquet(files[1])
    other = _write(ref, tmp_path / f"r{suffix}"), _write(cur, tmp_path / f"c{suffix}")
    a = run_mlmon("drift", *files, "--format", "json", "--no-history").json()
    b = run_mlmon("drift", *other, "--format", "json", "--no-history").json()
    for name, col in a["columns"].items():
        assert b["columns"][name]["method"] == col["method"]
        assert b["columns"][name]["score"] == pytest.approx(col["score"], rel=1e-9, abs=1e-12)


def test_directory_of_parquet_files_is_one_table(tmp_path, files):
    ref = pd.read_parquet(files[0])
    (tmp_path / "parts").mkdir()
    for i, part in enumerate(np.array_split(ref, 3)):
        part.to_parquet(tmp_path / "parts" / f"part-{i}.parquet", index=False)
    a = run_mlmon("drift", files[0], files[1], "--format", "json", "--no-history").json()
    b = run_mlmon("drift", tmp_path / "parts", files[1], "--format", "json", "--no-history").json()
    assert b["reference"]["rows"] == 3000
    assert {k: v["score"] for k, v in b["columns"].items()} == pytest.approx({k: v["score"] for k, v in a["columns"].items()}, rel=1e-12)


def test_each_run_is_appended_to_the_history(files, tmp_path):
    db = tmp_path / "h.db"
    first = run_mlmon("drift", *files, "--format", "json", "--history", db, "--target", "label").json()
    run_mlmon("drift", *files, "--format", "json", "--history", db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE kind='drift'").fetchone()[0] == 2
    rows = dict(conn.execute("SELECT column_name, score FROM drift_columns WHERE run_id=1").fetchall())
    assert rows.pop("label") == first["target_drift"]["score"]
    assert rows == {k: v["score"] for k, v in first["columns"].items()}
    assert json.loads(conn.execute("SELECT result_json FROM runs WHERE id=1").fetchone()[0]) == first


def test_default_history_location(files):
    run_mlmon("drift", *files)
    conn = sqlite3.connect(".mlmon/history.db")
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_history_goes_where_the_configs_storage_says_relative_to_the_config(files, tmp_path, monkeypatch):
    monkeypatch.delenv("MLMON_DB_URL", raising=False)
    ops = tmp_path / "ops"
    ops.mkdir()
    config = ops / "monitoring.yaml"
    assert run_mlmon("init", "--output", config).code == 0
    config.write_text(config.read_text().replace("sqlite:///.mlmon/history.db", "sqlite:///store/h.db"))
    assert run_mlmon("drift", *files, "--config", config).code == 0
    conn = sqlite3.connect(ops / "store" / "h.db")
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE kind='drift'").fetchone()[0] == 1
    assert not Path(".mlmon/history.db").exists()


def test_output_file_and_markdown(files, tmp_path):
    out = tmp_path / "report.md"
    run = run_mlmon("drift", *files, "--output", out, "--no-history")
    assert run.code == 0 and run.out == ""
    text = out.read_text()
    assert text.startswith("# Drift check:")
    assert "| a | numerical | wasserstein |" in text


def test_multivariate_mmd_in_the_result(files):
    d = run_mlmon("drift", *files, "--format", "json", "--no-history", "--multivariate", "mmd").json()
    mv = d["multivariate"]
    assert mv["method"] == "mmd" and mv["drifted"] is True
    assert set(mv["columns"]) == {"a", "b", "c", "score"}
    assert 0 <= mv["p_value"] <= 1 and mv["statistic"] > 0


def test_evidently_html_report_is_evidentlys(files, tmp_path):
    out = tmp_path / "r.html"
    run = run_mlmon("drift", *files, "--evidently-html", out, "--no-history")
    assert run.code == 0, run.err
    html = out.read_text()
    assert "<html" in html.lower() and "drift" in html.lower() and len(html) > 10_000


def test_demo_runs_on_built_in_data(tmp_path):
    run = run_mlmon("demo", "--format", "json", "--out-dir", tmp_path / "demo", "--no-history")
    assert run.code == 0, run.err
    d = run.json()["drift"]
    drifted = {k for k, v in d["columns"].items() if v["drifted"]}
    assert drifted == {"amount"}  # the demo's injected change (tests/test_demo.py has the rest)
    assert d["prediction_drift"]["column"] == "fraud_score"


def test_methods_lists_evidentlys_ids():
    d = json.loads(run_mlmon("methods", "--format", "json").out)
    ids = {m["id"] for m in d["methods"]}
    assert {"ks", "chisquare", "z", "wasserstein", "psi", "jensenshannon"} <= ids


def test_every_registered_test_is_reachable_by_id():
    from mlmon.stats import univariate

    assert sorted(univariate.available(), key=str.lower) == univariate.known_ids()


def test_markdown_shows_each_tests_own_drift_rule(files):
    text = run_mlmon("drift", *files, "--no-history", "--method", "ks").out
    assert "| a | numerical | ks |" in text and "| p ≤ 0.0500 | **yes** |" in text
    listing = json.loads(run_mlmon("methods", "--format", "json").out)["methods"]
    rules = {m["id"]: m["drift_rule"] for m in listing}
    assert rules["ks"] == "<=" and rules["ed"] == ">" and rules["chisquare"] == "<" and rules["psi"] == ">="


def test_config_supplies_roles_methods_and_thresholds_and_flags_override_it(files, tmp_path):
    import yaml

    config = yaml.safe_load((ROOT / "assets" / "config.yaml").read_text())
    config["data"]["columns"].update(
        {"target": "label", "prediction": "score", "numerical": ["a", "b", "gone"], "categorical": ["d", "e"],
         "id": None, "timestamp": None, "prediction_proba": None}
    )
    config["data"]["columns"] = {k: v for k, v in config["data"]["columns"].items() if v is not None}
    config["drift"].update({"column_methods": {"b": "psi"}, "column_thresholds": {"a": 2.0}, "drift_share": 0.2})
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text(yaml.safe_dump(config))
    assert run_mlmon("validate", cfg).code == 0
    d = run_mlmon("drift", *files, "--config", cfg, "--format", "json", "--no-history").json()
    assert d["target_drift"]["column"] == "label" and d["prediction_drift"]["column"] == "score"
    assert d["columns"]["b"]["method"] == "psi"
    assert d["columns"]["a"]["threshold"] == 2.0 and d["columns"]["a"]["drifted"] is False
    assert d["drift_share_threshold"] == 0.2
    assert "config data.columns.numerical not in the data, ignored: gone" in d["warnings"]
    d = run_mlmon("drift", *files, "--config", cfg, "--format", "json", "--no-history",
                  "--drift-share", "0.9", "--column-method", "b=ks").json()
    assert d["drift_share_threshold"] == 0.9 and d["columns"]["b"]["method"] == "ks"


def test_invalid_config_is_one_line_error(files, tmp_path):
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text("drift:\n  drift_shar: 0.5\n")
    run = run_mlmon("drift", *files, "--config", cfg, "--no-history")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("mlmon: error: invalid monitoring config") and len(run.err.strip().splitlines()) == 1
    assert "mlmon validate" in run.err
