"""`mlmon perf --segment-by`: each segment against its own baseline, and the segments that dropped most.

The data put a broken model in one segment (random scores for IT); the expected segment and
row counts come from the data the test builds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import run_mlmon


def _table(n, seed, broken=None):
    rng = np.random.default_rng(seed)
    country = rng.choice(["FR", "DE", "US", "IT"], n, p=[0.4, 0.3, 0.2, 0.1])
    y = rng.integers(0, 2, n)
    p = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.15, n), 0, 1)
    if broken:
        m = country == broken
        p[m] = rng.uniform(0, 1, m.sum())
    return pd.DataFrame({"country": country, "y": y, "p": p})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("perfseg")
    ref, cur = tmp / "ref.parquet", tmp / "cur.parquet"
    _table(10_000, 0).to_parquet(ref, index=False)
    _table(10_000, 1, broken="IT").to_parquet(cur, index=False)
    return ref, cur


def _perf(ref, cur, *flags):
    run = run_mlmon("perf", cur, "--reference", ref, "--task", "binary", "--target", "y", "--proba", "p",
                    "--no-history", *flags)
    return run


def test_the_broken_segment_is_the_worst_and_beyond_its_interval(files):
    run = _perf(*files, "--segment-by", "country", "--format", "json")
    assert run.code == 0, run.err
    d = run.json()
    worst = d["segmentation"]["worst"]
    assert worst[0]["segment"] == "IT" and worst[0]["beyond_interval"] is True
    assert worst[0]["drop"] > 0.3 > max(w["drop"] for w in worst[1:])  # random scores: AUC near 0.5
    assert worst[0]["rows"] == int((_table(10_000, 1)["country"] == "IT").sum())
    it = d["segments"]["IT"]
    assert set(it) == set(d) - {"segments", "segmentation"}  # the whole run's contract
    assert it["baseline"]["n"] == int((_table(10_000, 0)["country"] == "IT").sum())  # its own baseline


def test_without_segments_perf_json_has_no_segment_keys(files):
    d = _perf(*files, "--format", "json").json()
    assert "segments" not in d and "segmentation" not in d


def test_small_segments_are_reported_not_computed(files):
    d = _perf(*files, "--segment-by", "country", "--segment-min-rows", "1500", "--format", "json").json()
    it = d["segmentation"]["not_tested"]["IT"]
    assert it["reason"] == "fewer than 1500 rows: reported, not computed" and "IT" not in d["segments"]


def test_markdown_names_the_worst_segment(files):
    run = _perf(*files, "--segment-by", "country")
    assert "## Segments by country" in run.out
    assert "- IT: auc_roc dropped" in run.out and "(beyond its interval;" in run.out


def test_a_segment_column_not_in_the_predictions_is_refused(files):
    run = _perf(*files, "--segment-by", "region")
    assert run.code == 2 and run.out == "" and run.err.count("\n") == 1
    assert "--segment-by names column 'region', which is not in the data" in run.err


def test_a_segment_column_with_too_many_values_is_refused(tmp_path):
    t = _table(300, 0)
    t["user"] = np.arange(300).astype(str)
    p = tmp_path / "cur.parquet"
    t.to_parquet(p, index=False)
    run = run_mlmon("perf", p, "--task", "binary", "--target", "y", "--proba", "p", "--segment-by", "user",
                    "--no-history")
    assert run.code == 2
    assert "segment column 'user' has 300 distinct values" in run.err and "--segment-by user:TOP20" in run.err
