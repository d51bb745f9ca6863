"""End to end: `/ml-monitoring:perf-check` inside the real Claude Code CLI.

The scripted model does what the command asks: it splits the arguments as a POSIX shell would,
quotes every word and runs the invocation the command shows (`mlmon perf 'WORD1' … --format
json`). Expected numbers are computed here, with scikit-learn, from the files the test writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from scripted_api import text
from command_turns import command_body, follow_command, result_json

COMMAND = "/ml-monitoring:perf-check"


def write_predictions(path: Path, n: int, seed: int, flip: float) -> dict:
    """Daily predictions of a calibrated model over 3 days; ``flip`` of the labels are wrong."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-2 * x))
    y = (rng.random(n) < p).astype(int)
    y = np.where(rng.random(n) < flip, 1 - y, y)
    day = rng.integers(0, 3, n)
    ts = [f"2024-03-{d + 1:02d}T{h:02d}:00:00" for d, h in zip(day, rng.integers(0, 24, n))]
    yhat = (p >= 0.5).astype(int)
    lines = ["ts,y,yhat,p"] + [f"{t},{a},{b},{c!r}" for t, a, b, c in zip(ts, y, yhat, p.tolist())]
    path.write_text("\n".join(lines) + "\n")
    return {"day": day, "y": y, "yhat": yhat, "p": p}


@pytest.mark.plugin_component("command:perf-check")
def test_perf_check_reports_windows_and_degradation_against_the_reference(claude, workdir):
    write_predictions(workdir / "reference.csv", 3000, seed=1, flip=0.0)
    cur = write_predictions(workdir / "current.csv", 3000, seed=2, flip=0.3)
    args = ("current.csv --reference reference.csv --task binary --target y --prediction yhat --proba p "
            "--timestamp ts --window 1D --no-history")
    calls: list[dict] = []
    run = claude(f"{COMMAND} {args}", [follow_command(COMMAND, calls, "Check model performance"), [text("Reported.")]], skip_permissions=False)

    assert run.returncode == 0, run.explain()
    body = command_body(run.api.main_requests[0], COMMAND)
    assert args in body and "$ARGUMENTS" not in body
    assert calls[0]["input"]["command"].startswith("mlmon perf 'current.csv' '--reference' 'reference.csv'")
    assert calls[0]["input"]["command"].endswith("--format json")
    result = result_json(run.api.result_of(calls[0]))
    assert result["schema_version"] == 1 and len(result["windows"]) == 3
    for w, window in enumerate(result["windows"]):
        sel = cur["day"] == w
        assert window["n"] == int(sel.sum())
        assert window["metrics"]["accuracy"] == pytest.approx(skm.accuracy_score(cur["y"][sel], cur["yhat"][sel]), abs=1e-12)
        assert window["metrics"]["auc_roc"] == pytest.approx(skm.roc_auc_score(cur["y"][sel], cur["p"][sel]), abs=1e-12)
        assert window["severity"] == "critical"  # 30 % of labels flipped: accuracy far below the baseline
    assert result["severity"] == "critical"
    assert run.result.get("result") == "Reported."
