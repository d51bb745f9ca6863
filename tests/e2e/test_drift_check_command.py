"""End to end: `/ml-monitoring:drift-check` and `mlmon drift` inside the real Claude Code CLI.

The scripted model plays its part the way the command tells a model to: it splits the arguments
as a POSIX shell would without expanding anything, quotes every word, and runs the invocation the
command shows (`mlmon drift 'WORD1' 'WORD2' … --format json`). Expected scores are computed here,
with scipy, from the files the test writes.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from harness import REPO
from command_turns import command_body, follow_command, result_json
from scripted_api import text, tool

COMMAND = "/ml-monitoring:drift-check"


def write_csv(path: Path, columns: dict[str, list]) -> None:
    """A CSV whose floats round-trip exactly (repr), so scipy here sees what mlmon reads."""
    names = list(columns)
    lines = [",".join(names)]
    for row in zip(*columns.values()):
        lines.append(",".join(repr(v) if isinstance(v, float) else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def drifted_files(workdir: Path) -> dict:
    """reference/current with exactly one drifted column: `tenure_days` moves by one sd;
    `basket_value` and `channel` keep their distributions (fixed seed)."""
    rng = np.random.default_rng(20240611)
    n = 400
    ref = {
        "tenure_days": [float(x) for x in rng.normal(100.0, 20.0, n)],
        "basket_value": [float(x) for x in rng.normal(50.0, 5.0, n)],
        "channel": [str(x) for x in rng.choice(["web", "app", "store"], n)],
    }
    cur = {
        "tenure_days": [float(x) for x in rng.normal(120.0, 20.0, n)],
        "basket_value": [float(x) for x in rng.normal(50.0, 5.0, n)],
        "channel": [str(x) for x in rng.choice(["web", "app", "store"], n)],
    }
    write_csv(workdir / "reference.csv", ref)
    write_csv(workdir / "current.csv", cur)
    return {"reference": ref, "current": cur}


def expected_ks_pvalue(files: dict, column: str) -> float:
    return float(stats.ks_2samp(files["reference"][column], files["current"][column]).pvalue)


@pytest.mark.plugin_component("command:drift-check")
def test_drift_check_sends_the_command_and_the_model_gets_the_drifted_columns(claude, drifted_files):
    calls: list[dict] = []
    run = claude(f"{COMMAND} reference.csv current.csv", [follow_command(COMMAND, calls, "Check the files for drift"), [text("Reported.")]])

    assert run.returncode == 0, run.explain()
    assert run.api.main_requests, f"the command never reached the model:\n{run.explain()}"
    body = command_body(run.api.main_requests[0], COMMAND)
    assert "reference.csv current.csv" in body, "the arguments are not in place in the command text"
    assert "$ARGUMENTS" not in body

    result = result_json(run.api.result_of(calls[0]))
    drifted = {name for name, col in result["columns"].items() if col["drifted"]}
    assert drifted == {"tenure_days"}
    tenure = result["columns"]["tenure_days"]
    assert tenure["method"] == "ks"
    assert tenure["score"] == pytest.approx(expected_ks_pvalue(drifted_files, "tenure_days"), rel=1e-9)
    basket = result["columns"]["basket_value"]
    assert basket["score"] == pytest.approx(expected_ks_pvalue(drifted_files, "basket_value"), rel=1e-9)
    assert result["n_drifted"] == 1 and result["n_columns"] == 3
    assert calls[0]["input"]["command"].startswith("mlmon drift 'reference.csv' 'current.csv'")
    assert run.result.get("result") == "Reported."


@pytest.mark.plugin_component("command:drift-check")
def test_drift_check_runs_mlmon_within_its_allowed_tools_without_skipping_permissions(claude, drifted_files):
    # Without --dangerously-skip-permissions, only the command's `allowed-tools` lets Bash run.
    calls: list[dict] = []
    run = claude(
        f"{COMMAND} reference.csv current.csv", [follow_command(COMMAND, calls, "Check the files for drift"), [text("Reported.")]],
        skip_permissions=False,
    )

    assert run.returncode == 0, run.explain()
    output = run.api.result_of(calls[0])
    assert "tenure_days" in result_json(output)["columns"], run.explain()


# File names full of shell syntax, typed as the user would. The first set has no backtick so that
# a command splicing $ARGUMENTS into a `!` line would run `touch pwned`; the second has backticks
# (which would also end such a line early) and a quote inside a word.
HOSTILE = [
    pytest.param('"ref $(touch pwned).csv" "cur; touch pwned; $HOME.csv"',
                 "ref $(touch pwned).csv", "cur; touch pwned; $HOME.csv", id="dollar-paren-semicolon"),
    pytest.param("'ref data.csv' \"cur it's `touch pwned` | x.csv\"",
                 "ref data.csv", "cur it's `touch pwned` | x.csv", id="backticks-quote-pipe"),
]


@pytest.mark.plugin_component("command:drift-check")
@pytest.mark.parametrize("typed, reference, current", HOSTILE)
def test_drift_check_passes_shell_syntax_in_arguments_as_data(claude, workdir, drifted_files, typed, reference,
                                                             current):
    assert shlex.split(typed) == [reference, current]
    (workdir / "reference.csv").rename(workdir / reference)
    (workdir / "current.csv").rename(workdir / current)

    calls: list[dict] = []
    run = claude(f"{COMMAND} {typed}", [follow_command(COMMAND, calls, "Check the files for drift"), [text("Reported.")]])

    pwned = [str(p) for p in (run.workdir, run.home, REPO) if (p / "pwned").exists()]
    assert not pwned, f"an argument was executed as a command: `pwned` created in {pwned}"
    assert run.returncode == 0, run.explain()
    assert run.api.main_requests, f"the command never reached the model:\n{run.explain()}"
    assert typed in command_body(run.api.main_requests[0], COMMAND), "the arguments were altered on the way in"
    result = result_json(run.api.result_of(calls[0]))
    assert Path(result["reference"]["path"]).name == reference, "mlmon did not receive the literal file name"
    assert Path(result["current"]["path"]).name == current, "mlmon did not receive the literal file name"
    assert {n for n, c in result["columns"].items() if c["drifted"]} == {"tenure_days"}


@pytest.mark.plugin_component("bin:mlmon")
def test_plain_mlmon_in_a_bash_call_runs_the_plugins_launcher(claude, drifted_files):
    call = tool("Bash", command="command -v mlmon && mlmon drift reference.csv current.csv", timeout=600000)
    run = claude("Did my inputs drift between reference.csv and current.csv?", [[call], [text("Done.")]])

    assert run.returncode == 0, run.explain()
    output = run.api.result_of(call)
    first_line = output.splitlines()[0] if output else ""
    assert first_line.endswith("/bin/mlmon"), f"mlmon is not the plugin's launcher:\n{output}"
    assert Path(first_line).resolve() == REPO / "bin" / "mlmon"
    assert "tenure_days" in output, f"the Markdown report does not name the drifted column:\n{output}"
    assert "command not found" not in output


@pytest.mark.plugin_component("command:drift-check")
def test_a_write_flag_is_not_pre_approved_by_the_commands_allowed_tools(claude, drifted_files, workdir):
    # `Bash(mlmon drift:*)` approves by prefix; the plugin's PreToolUse hook puts a command that
    # writes a file to the user, so without a user to approve (-p, no skip) it does not run
    writes = tool("Bash", command="mlmon drift 'reference.csv' 'current.csv' --output report.md --format json",
                  description="Check for drift and save the report")
    reads = tool("Bash", command="mlmon drift 'reference.csv' 'current.csv' --format json",
                 description="Check for drift")
    run = claude(f"{COMMAND} reference.csv current.csv", [[writes], [reads], [text("Reported.")]],
                 skip_permissions=False)
    assert run.returncode == 0, run.explain()
    assert not (workdir / "report.md").exists(), "a write flag ran under the command's pre-approval"
    refused = run.api.result_of(writes)
    assert refused.startswith("ml-monitoring: this mlmon command needs your approval: --output writes a file."), refused
    assert "tenure_days" in result_json(run.api.result_of(reads))["columns"], run.explain()
