"""`mlmon diagnose` looks for the worst segments itself: the segment whose metric dropped most
against the same segment in the reference, with enough rows and beyond its interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlmon_testing import run_mlmon


def _table(n, seed, broken=None):
    rng = np.random.default_rng(seed)
    country = rng.choice(["FR", "DE", "US", "IT"], n, p=[0.4, 0.3, 0.2, 0.1])
    y = rng.integers(0, 2, n)
    p = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.15, n), 0, 1)
    if broken:
        m = country == broken
        p[m] = rng.uniform(0, 1, m.sum())
    return pd.DataFrame({"country": country, "x": rng.normal(size=n), "y": y, "p": p})


def _diagnose(tmp_path, ref, cur):
    r, c = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    ref.to_parquet(r, index=False)
    cur.to_parquet(c, index=False)
    run = run_mlmon("diagnose", "--reference", r, "--current", c, "--target", "y", "--proba", "p",
                    "--format", "json", "--no-history")
    assert run.code == 0, run.err
    return run.json()


def test_the_segment_whose_metric_dropped_most_is_reported_as_evidence(tmp_path):
    d = _diagnose(tmp_path, _table(10_000, 0), _table(10_000, 1, broken="IT"))
    top = d["segments"][0]
    assert top["diagnostic"] == "segment" and top["signal"] == "segment_metric_drop"
    assert top["segment"] == "country=IT" and top["column"] == "country" and top["metric"] == "auc_roc"
    assert top["details"]["current_rows"] == int((_table(10_000, 1)["country"] == "IT").sum())
    assert top["value"] < top["details"]["upper"] < top["baseline"]  # the reference value is beyond the interval
    assert all(s["segment"] == "country=IT" for s in d["segments"])  # the healthy countries did not drop


def test_no_segment_evidence_when_no_segment_dropped(tmp_path):
    d = _diagnose(tmp_path, _table(10_000, 0), _table(10_000, 1))
    assert "segments" not in d
