"""Secrets the validator must refuse wherever they are written, and a database password that must
not leak through the driver's error (issue: hardening, item 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.services.config import validate_text
from mlmon_testing import run_mlmon

BASE = """version: 1
model: {name: fraud, task: binary}
data:
  reference: {path: ref.parquet}
  current: {path: cur.parquet}
"""


def errors(text):
    return [p for p in validate_text(text) if p.severity == "error"]


@pytest.mark.parametrize("url", [
    "postgresql://db.internal/history?password=s3cretvalue",
    "postgresql://db.internal/history?sslmode=require&password=s3cretvalue",
])
def test_a_password_in_a_history_urls_query_is_refused(url):
    found = errors(BASE + f"storage: {{history_url: '{url}'}}\n")
    assert [p.path for p in found] == ["storage.history_url"]
    assert "inline secret" in found[0].message and "history_url_env" in found[0].message


@pytest.mark.parametrize("where, text", [
    ("data.reference.path", BASE.replace("ref.parquet", "'s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/ref.parquet'")),
    ("data.current.path", BASE.replace("cur.parquet", "'https://files.example/cur.parquet?token=abc123secret'")),
    ("model.name", BASE.replace("name: fraud", "name: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX'")),
])
def test_secret_shaped_values_under_data_and_model_are_refused(where, text):
    found = errors(text)
    assert [p.path for p in found] == [where]
    assert "credentials" in found[0].message


def test_plain_paths_and_names_are_not_mistaken_for_secrets():
    assert errors(BASE.replace("ref.parquet", "'s3://bucket/exports/2026-11/ref.parquet'")) == []


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pd.DataFrame({"x": rng.normal(0, 1, 200)}).to_parquet(ref)
    pd.DataFrame({"x": rng.normal(0, 1, 200)}).to_parquet(cur)
    return ref, cur


def test_an_unencoded_at_in_a_database_password_never_reaches_the_output(pair, monkeypatch):
    # libpq would read "cretpart@127.0.0.1" as the host and print it in its error
    monkeypatch.setenv("MLMON_DB_URL", "postgresql://mlmon:se@cretpart@127.0.0.1:1/history")
    run = run_mlmon("drift", *pair, "--format", "json")
    assert run.code == 0, run.err
    text = run.out + run.err
    assert "cretpart" not in text and "se@" not in text
    assert any("unencoded '@'" in w for w in run.json()["warnings"])
