"""End to end: `/ml-monitoring:ab-test` inside the real Claude Code CLI.

The scripted model does what the command asks: it splits the arguments as a POSIX shell would,
quotes every word and runs the invocation the command shows (`mlmon ab analyze 'WORD1' … --format
json`). Expected numbers are computed here, with statsmodels and scipy, from the file the test
writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from scripted_api import text
from command_turns import command_body, follow_command, result_json

COMMAND = "/ml-monitoring:ab-test"


def write_events(path: Path, n_control: int, n_treatment: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    variant = ["control"] * n_control + ["treatment"] * n_treatment
    rate = np.array([0.10] * n_control + [0.13] * n_treatment)
    converted = [int(x) for x in rng.random(len(variant)) < rate]
    path.write_text("variant,converted\n" + "".join(f"{v},{c}\n" for v, c in zip(variant, converted)))
    return {"variant": variant, "converted": converted}


@pytest.mark.plugin_component("command:ab-test")
def test_ab_test_runs_the_analysis_and_the_model_gets_the_verdict(claude, workdir):
    data = write_events(workdir / "events.csv", 3000, 3000, seed=5)
    calls: list[dict] = []
    run = claude(f"{COMMAND} events.csv --variant-col variant --metric-col converted",
                 [follow_command(COMMAND, calls, "Analyse the A/B test"), [text("Reported.")]])

    assert run.returncode == 0, run.explain()
    body = command_body(run.api.main_requests[0], COMMAND)
    assert "events.csv --variant-col variant --metric-col converted" in body and "$ARGUMENTS" not in body
    assert calls[0]["input"]["command"].startswith("mlmon ab analyze 'events.csv' '--variant-col' 'variant'")
    result = result_json(run.api.result_of(calls[0]))
    c = np.array([x for v, x in zip(data["variant"], data["converted"]) if v == "control"])
    t = np.array([x for v, x in zip(data["variant"], data["converted"]) if v == "treatment"])
    z, p = proportions_ztest([t.sum(), c.sum()], [t.size, c.size])
    comp = result["comparisons"][0]
    assert comp["p_value"] == pytest.approx(p, rel=1e-9)
    assert comp["lift"] == pytest.approx(t.mean() / c.mean() - 1, rel=1e-12)
    assert result["schema_version"] == 1 and result["recommendation"] == "SHIP"
    assert run.result.get("result") == "Reported."


@pytest.mark.plugin_component("command:ab-test")
def test_ab_test_with_a_broken_split_hands_the_model_a_stop(claude, workdir):
    write_events(workdir / "events.csv", 3000, 3400, seed=6)
    calls: list[dict] = []
    run = claude(f"{COMMAND} events.csv --variant-col variant --metric-col converted",
                 [follow_command(COMMAND, calls, "Analyse the A/B test"), [text("Reported.")]], skip_permissions=False)

    assert run.returncode == 0, run.explain()
    result = result_json(run.api.result_of(calls[0]))
    assert result["srm"]["p_value"] == pytest.approx(stats.chisquare([3000, 3400]).pvalue, rel=1e-9)
    assert result["recommendation"] == "STOP" and result["comparisons"] == []
    assert "sample ratio mismatch" in result["reasons"][0]
