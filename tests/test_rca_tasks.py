"""The diagnosis beyond binary classification: regression and multiclass models, a schema change,
and an id-like column that must not read as a new segment."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import run_mlmon

N = 2000


def side(rng, start: str, concept: float = 1.0) -> pd.DataFrame:
    """y = 3 x1 + 2 concept x2 + noise; the model predicts 3 x1 + 2 x2 (right when concept = 1)."""
    x1, x2 = rng.normal(size=N), rng.normal(size=N)
    y = 3 * x1 + 2 * concept * x2 + rng.normal(size=N)
    pred = 3 * x1 + 2 * x2
    f = pd.DataFrame({"x1": x1, "x2": x2, "c": rng.choice(["a", "b", "c"], N), "y": y, "pred": pred,
                      "row_id": [f"{start}-{i}" for i in range(N)]})
    f["cls"] = np.select([y > 1, y > -1], ["high", "mid"], "low")
    f["cls_pred"] = np.select([pred > 1, pred > -1], ["high", "mid"], "low")
    f["t"] = pd.date_range(start, periods=N, freq="5min", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    return f


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(20260301)
    side(rng, "2026-03-01").to_csv(tmp_path / "ref.csv", index=False)
    side(rng, "2026-03-08").to_csv(tmp_path / "ok.csv", index=False)
    side(rng, "2026-03-08", concept=-1.0).to_csv(tmp_path / "concept.csv", index=False)
    return tmp_path


def diagnose(files, current, *roles):
    run = run_mlmon("diagnose", "--reference", files / "ref.csv", "--current", files / current, *roles,
                    "--no-history", "--format", "json")
    assert run.code == 0, run.err
    return run.json()


REGRESSION = ("--target", "y", "--prediction", "pred", "--timestamp", "t", "--exclude", "cls,cls_pred,row_id")
MULTICLASS = ("--target", "cls", "--prediction", "cls_pred", "--timestamp", "t", "--exclude", "y,pred")


def test_regression_concept_drift_names_the_feature_whose_effect_flipped(files):
    d = diagnose(files, "concept.csv", *REGRESSION)
    assert d["primary_cause"] == "concept_drift"
    relations = [e for e in d["candidates"][0]["evidence"] if e.get("signal") == "relation_change"]
    assert relations and relations[0]["column"] == "x2"
    assert diagnose(files, "ok.csv", *REGRESSION)["primary_cause"] == "none"


def test_multiclass_uses_the_error_indicator(files):
    assert diagnose(files, "ok.csv", *MULTICLASS)["primary_cause"] == "none"
    d = diagnose(files, "concept.csv", *MULTICLASS)
    assert d["primary_cause"] == "concept_drift"
    # the error rate rose while the inputs held still; the flip is symmetric in x2, which a linear
    # correlation with the error indicator cannot see (a documented limit)
    shift = next(e for e in d["candidates"][0]["evidence"] if e.get("signal") == "calibration_shift")
    assert shift["value"] > shift["baseline"] and shift["strength"] > 0.9


def test_an_id_like_column_is_not_a_new_segment(files):
    d = diagnose(files, "ok.csv", *MULTICLASS)  # row_id differs on every row and is not excluded here
    traffic = [c for c in d["candidates"] if c["cause"] == "traffic_pattern"]
    assert not traffic or "row_id" not in json.dumps(traffic[0]["evidence"])


def test_a_column_missing_from_current_is_a_schema_change_not_an_error(files):
    pd.read_csv(files / "ok.csv").drop(columns=["c"]).to_csv(files / "narrow.csv", index=False)
    d = diagnose(files, "narrow.csv", *REGRESSION)
    model = next(c for c in d["candidates"] if c["cause"] == "model_bug")
    assert {"signal": "schema_change", "column": "c"}.items() <= model["evidence"][0].items()
    assert model["evidence"][0]["summary"] == "column c is missing from the current data"
