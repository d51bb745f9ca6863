"""`mlmon demo`: a fitted fraud model, a month it did well, and days an upstream unit change broke
it; the drift check, performance per day and the diagnosis each find that change, and the demo's
results are exactly what the commands it prints give."""

from __future__ import annotations

import re
import shlex
import sqlite3

import numpy as np
import pandas as pd
import pytest
from mlmon_testing import run_mlmon

from mlmon.services import demo


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("demo") / "data"


@pytest.fixture(scope="module")
def result(out_dir):
    run = run_mlmon("demo", "--format", "json", "--out-dir", out_dir, "--no-history")
    assert run.code == 0, run.err
    return run.json()


@pytest.fixture(scope="module")
def markdown(out_dir, result):
    run = run_mlmon("demo", "--out-dir", out_dir, "--no-history")
    assert run.code == 0, run.err
    return run.out


@pytest.fixture(scope="module")
def frames(out_dir, result):
    return pd.read_parquet(out_dir / "reference.parquet"), pd.read_parquet(out_dir / "current.parquet")


def _days(result):
    incident = demo.INCIDENT_DAY
    windows = result["performance"]["windows"]
    return [w for w in windows if w["start"][:10] < incident], [w for w in windows if w["start"][:10] >= incident]


def test_json_carries_the_three_results_of_the_real_commands(result):
    assert set(result) == {"schema_version", "scenario", "drift", "performance", "diagnosis"}
    assert result["drift"]["schema_version"] == 1 and "columns" in result["drift"]
    assert result["performance"]["window"] == "1D" and result["performance"]["task"] == "binary"
    assert "primary_cause" in result["diagnosis"]
    assert result["scenario"]["incident"]["feature"] == "amount"


def test_the_model_is_worth_monitoring_in_the_reference(frames, result):
    reference, _ = frames
    y = reference["is_fraud"].to_numpy()
    flagged = reference["fraud_score"].to_numpy() >= 0.5
    # F1 by hand from the confusion counts: 2 TP / (2 TP + FP + FN)
    tp = int((flagged & (y == 1)).sum())
    f1 = 2 * tp / (2 * tp + int((flagged & (y == 0)).sum()) + int((~flagged & (y == 1)).sum()))
    baseline = result["performance"]["baseline"]["metrics"]
    assert baseline["f1_score"] == pytest.approx(f1, abs=1e-9)
    assert 0.5 < f1 < 0.8
    assert 0.02 < y.mean() < 0.05 and 0.01 < flagged.mean() < y.mean()
    # calibrated: the mean probability is the fraud rate
    assert reference["fraud_score"].mean() == pytest.approx(y.mean(), abs=0.003)
    assert baseline["auc_roc"] > 0.95


def test_performance_drops_on_every_day_from_the_incident_and_only_then(result):
    before, after = _days(result)
    base = result["performance"]["baseline"]["metrics"]["f1_score"]
    assert len(before) == 3 and len(after) == 9
    assert [w["severity"] for w in before] == ["healthy"] * 3
    for w in after:
        assert w["severity"] == "critical"
        assert w["metrics"]["f1_score"] < 0.15 < 0.3 < base
        # a drop past noise: the reference F1 lies far above the day's 95 % interval
        assert w["intervals"]["f1_score"]["upper"] < base / 2
        assert w["drop_beyond_noise"]["f1_score"] is True


def test_drift_flags_the_injected_feature_and_the_model_output_only(result):
    drift = result["drift"]
    assert {c for c, v in drift["columns"].items() if v["drifted"]} == {"amount"}
    assert set(drift["columns"]) == {"amount", "merchant_category", "device", "country", "hour", "customer_age",
                                     "account_age_days", "n_prev_tx"}  # the timestamp is not a feature
    assert drift["prediction_drift"]["column"] == "fraud_score" and drift["prediction_drift"]["drifted"]
    assert drift["target_drift"]["column"] == "is_fraud" and not drift["target_drift"]["drifted"]


def test_diagnosis_finds_the_unit_change_in_amount(result):
    d = result["diagnosis"]
    assert d["primary_cause"] == "model_bug" and d["confidence"] > 0.8
    top = d["candidates"][0]
    assert top["cause"] == "model_bug"
    jumps = [e for e in top["evidence"] if e["signal"] == "scale_jump"]
    assert [(e["column"], e["details"]["factor"]) for e in jumps] == [("amount", 100.0)]
    assert "amount arrives x100" in d["recommended_actions"][0]
    anomaly = next(t for t in d["timeline"] if t["event"].startswith("first anomaly"))
    assert anomaly["timestamp"].startswith(demo.INCIDENT_DAY)


def test_the_injected_change_is_a_unit_change_of_amount_only(frames):
    reference, current = frames
    broken = current["timestamp"] >= pd.Timestamp(demo.INCIDENT_DAY, tz="UTC")
    # euro amounts carry cents; from the incident on they arrive as whole numbers of cents
    assert (current.loc[broken, "amount"] % 1 == 0).all()
    assert (reference["amount"] % 1 != 0).mean() > 0.9 and (current.loc[~broken, "amount"] % 1 != 0).mean() > 0.9
    ref_median = reference["amount"].median()
    assert current.loc[~broken, "amount"].median() == pytest.approx(ref_median, rel=0.1)
    assert current.loc[broken, "amount"].median() == pytest.approx(100 * ref_median, rel=0.1)
    assert current["is_fraud"].mean() == pytest.approx(reference["is_fraud"].mean(), abs=0.005)


def test_markdown_names_the_drifted_feature_the_drop_and_the_cause(markdown, result):
    sections = re.split(r"^## ", markdown, flags=re.M)
    drift = next(s for s in sections if s.startswith("Drift"))
    perf = next(s for s in sections if s.startswith("Performance"))
    diagnosis = next(s for s in sections if s.startswith("Diagnosis"))
    assert "- drifted: `amount` (wasserstein" in drift
    assert "**Performance: CRITICAL** — 12 window(s): 9 critical, 0 degraded, 3 healthy" in perf
    base = result["performance"]["baseline"]["metrics"]["f1_score"]
    assert f"f1_score {base:.4f}" in perf
    assert "| 2026-11-04 | 1,500 |" in perf and perf.count("| critical |") == 9 and perf.count("| healthy |") == 3
    assert diagnosis.startswith("Diagnosis: model or pipeline change (`model_bug`)")
    assert "amount changed scale" in diagnosis and "close to x100" in diagnosis
    assert "## On your own data" in markdown and "mlmon diagnose --reference" in markdown


def test_results_are_what_the_printed_commands_give(markdown, result):
    block = markdown.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [shlex.split(line) for line in block.strip().splitlines()]
    assert [line[:2] for line in lines] == [["mlmon", "drift"], ["mlmon", "perf"], ["mlmon", "diagnose"]]
    for line, key in zip(lines, ("drift", "performance", "diagnosis")):
        run = run_mlmon(*line[1:], "--format", "json", "--no-history")
        assert run.code == 0, run.err
        assert run.json() == result[key], key


def test_same_output_every_time(out_dir, markdown):
    again = run_mlmon("demo", "--out-dir", out_dir, "--no-history")
    assert again.out == markdown
    first, second = demo.demo_frames(), demo.demo_frames()
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])


def test_records_each_result_in_the_history(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLMON_DB_URL", raising=False)
    run = run_mlmon("demo", "--format", "json")
    assert run.code == 0, run.err
    with sqlite3.connect(tmp_path / ".mlmon" / "history.db") as conn:
        kinds = sorted(k for (k,) in conn.execute("SELECT kind FROM runs"))
    assert kinds == ["diagnose", "drift", "perf"]
    assert (tmp_path / ".mlmon" / "demo" / "reference.parquet").exists()


def test_output_may_not_overwrite_the_demo_data(out_dir, result):
    before = (out_dir / "reference.parquet").read_bytes()
    run = run_mlmon("demo", "--out-dir", out_dir, "--no-history", "--output", out_dir / "reference.parquet")
    assert run.code == 2
    assert run.err.startswith("mlmon: error: output would overwrite an input file (--output ")
    assert (out_dir / "reference.parquet").read_bytes() == before


def test_fit_logistic_matches_statsmodels():
    # statsmodels Logit(y, x).fit().params on this input: (-3.03506896, 1.21402759)
    x = np.column_stack([np.ones(6), np.arange(6.0)])
    np.testing.assert_allclose(demo.fit_logistic(x, np.array([0, 0, 1, 0, 1, 1.0])), [-3.03506896, 1.21402759],
                               atol=1e-7)


def test_drift_per_day_dates_the_onset_on_the_day_of_the_unit_change(result):
    # the feed switched to cents on 2026-11-04 (services/demo.py): calibrated daily thresholds
    # flag amount from that day on and no other feature in any day
    drift = result["drift"]
    assert drift["onsets"]["amount"] == "2026-11-04T00:00:00+00:00"
    assert {c for c, s in drift["onsets"].items() if s} == {"amount"}
    flagged = {w["start"][:10] for w in drift["windows"] if w["columns"]["amount"]["drifted"]}
    assert flagged == {f"2026-11-{d:02d}" for d in range(4, 13)}
    assert {r["threshold_source"] for w in drift["windows"] for r in w["columns"].values()} == {"calibrated"}
