"""What ``mlmon diagnose`` tells about a drop: a real drop under the warning tier is reported as
such, and the timeline never dates an anomaly before the current data starts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlmon_testing import run_mlmon


def labelled(n: int, errors: int, seed: int, start: str, freq: str) -> pd.DataFrame:
    """``n`` rows, balanced labels, exactly ``errors`` wrong predictions at random rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    wrong = np.zeros(n, dtype=bool)
    wrong[rng.choice(n, errors, replace=False)] = True
    return pd.DataFrame({"x": rng.normal(size=n), "y": y, "yhat": np.where(wrong, 1 - y, y),
                         "t": pd.date_range(start, periods=n, freq=freq, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")})


def diagnose(tmp_path, ref: pd.DataFrame, cur: pd.DataFrame, *extra: str):
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    run = run_mlmon("diagnose", "--reference", tmp_path / "ref.csv", "--current", tmp_path / "cur.csv",
                    "--target", "y", "--prediction", "yhat", "--no-history", "--format", "json", *extra)
    assert run.code == 0, run.err
    return run.json()


def test_a_significant_drop_under_the_warning_tier_is_reported_as_such(tmp_path):
    # accuracy 4720/5000 = 0.944 in the reference, 4575/5000 = 0.915 now: a 3.1 % drop, under the
    # default 5 % tier, with 0.944 above the current value's interval (about +-0.008 on 5000 rows)
    d = diagnose(tmp_path, labelled(5000, 280, 1, "2026-03-01", "min"), labelled(5000, 425, 2, "2026-03-05", "min"))
    assert d["primary_cause"] == "none"
    # one action per primary metric past its interval (f1_score moved the same way here)
    first = next(a for a in d["recommended_actions"] if "accuracy" in a)
    assert first.startswith("Significant drop below the warning tier: accuracy fell from 0.944 to 0.915, 3.1 %, "
                            "with the reference value outside the current interval (interval 0.9"), first
    assert first.endswith("a real drop, but under the 5.0 % tier, so no alert.")
    assert not any("keep monitoring on the usual schedule" in a for a in d["recommended_actions"])


def test_no_drop_still_says_keep_monitoring(tmp_path):
    d = diagnose(tmp_path, labelled(5000, 280, 1, "2026-03-01", "min"), labelled(5000, 280, 2, "2026-03-05", "min"))
    assert d["recommended_actions"] == ["Nothing degraded: keep monitoring on the usual schedule."]


def test_the_first_anomaly_is_not_dated_before_the_current_data(tmp_path):
    # 3000 rows every 2 minutes from 2026-03-08T13:00Z: 10-hour windows (3000 // 300 = 10 windows
    # over 100 hours), aligned to the epoch, so the first window begins at 10:00, three hours
    # before the first row. Accuracy 0.80 against 0.944 from the first row on.
    d = diagnose(tmp_path, labelled(5000, 280, 1, "2026-03-01", "min"),
                 labelled(3000, 600, 3, "2026-03-08T13:00:00Z", "2min"), "--timestamp", "t")
    anomaly = next(e for e in d["timeline"] if e["event"].startswith("first anomaly"))
    assert anomaly["timestamp"] == "2026-03-08T13:00:00Z", d["timeline"]
    starts = next(e for e in d["timeline"] if e["event"].startswith("current data begins"))
    assert starts["timestamp"] == "2026-03-08T13:00:00Z"
