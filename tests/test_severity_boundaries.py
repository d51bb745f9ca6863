"""Where "healthy" ends and "degraded" and "critical" begin, for drift and for performance:
both scales compare strictly (above the boundary, not at it), as GUIDE.md and the services'
docstrings state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.services.drift import SEVERITY_CRITICAL, SEVERITY_DEGRADED, severity_of
from mlmon.services.performance import PerfOptions, compute_performance
from mlmon_testing import run_mlmon

# ------------------------------------------------------------------------------------ drift


def test_drift_severity_boundaries_are_0_2_and_0_5():
    assert (SEVERITY_DEGRADED, SEVERITY_CRITICAL) == (0.2, 0.5)


@pytest.mark.parametrize("share, severity", [
    (0.0, "healthy"), (0.2, "healthy"), (np.nextafter(0.2, 1.0), "degraded"), (0.25, "degraded"),
    (0.5, "degraded"), (np.nextafter(0.5, 1.0), "critical"), (1.0, "critical"),
])
def test_drift_severity_is_strictly_above_each_boundary(share, severity):
    assert severity_of(float(share)) == severity


@pytest.mark.parametrize("drifted, severity", [(1, "healthy"), (2, "degraded"), (3, "critical")])
def test_a_drift_run_with_one_two_or_three_of_five_columns_shifted(tmp_path, drifted, severity):
    # shares 0.2 (at the degraded boundary: healthy), 0.4 and 0.6
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({k: rng.normal(0, 1, 500) for k in "abcde"})
    cur = pd.DataFrame({k: rng.normal(3 if i < drifted else 0, 1, 500) for i, k in enumerate("abcde")})
    ref.to_parquet(tmp_path / "r.parquet")
    cur.to_parquet(tmp_path / "c.parquet")
    d = run_mlmon("drift", tmp_path / "r.parquet", tmp_path / "c.parquet", "--format", "json", "--no-history").json()
    assert sorted(c for c, v in d["columns"].items() if v["drifted"]) == list("abcde"[:drifted])
    assert (d["drift_share"], d["severity"]) == (drifted / 5, severity)


# ------------------------------------------------------------------------------ performance


def _window(correct: int, n: int, day: str) -> pd.DataFrame:
    y = np.arange(n) % 2
    yhat = np.where(np.arange(n) < correct, y, 1 - y)
    ts = pd.Timestamp(day) + pd.to_timedelta(np.arange(n), unit="min")
    return pd.DataFrame({"ts": ts, "y": y, "yhat": yhat})


def _severity(correct, n=64, **tiers):
    ref = _window(64, 64, "2024-01-01")  # accuracy 1.0: the drop is 1 - accuracy, exactly
    opts = PerfOptions(task="binary", target="y", prediction="yhat", timestamp="ts", window="1D",
                       primary=["accuracy"], min_labeled=1, **tiers)
    (w,) = compute_performance(_window(correct, n, "2024-02-01"), opts, ref).to_dict()["windows"]
    return w["drops"]["accuracy"], w["severity"]


@pytest.mark.parametrize("correct, drop, severity", [
    (64, 0.0, "healthy"), (62, 0.03125, "healthy"), (56, 0.125, "degraded"), (48, 0.25, "critical"),
])
def test_performance_severity_with_the_default_tiers_0_05_and_0_15(correct, drop, severity):
    assert _severity(correct) == (drop, severity)


@pytest.mark.parametrize("tiers, severity", [
    ({"warning_drop": 0.125}, "healthy"),                              # at the warning boundary
    ({"warning_drop": 0.124}, "degraded"),
    ({"warning_drop": 0.0625, "critical_drop": 0.125}, "degraded"),    # at the critical boundary
    ({"warning_drop": 0.0625, "critical_drop": 0.124}, "critical"),
])
def test_performance_severity_is_strictly_above_each_boundary(tiers, severity):
    assert _severity(56, **tiers) == (0.125, severity)  # accuracy 56/64 = 0.875: a drop of 1/8
