"""End to end: the root-cause-analyst agent and `/ml-monitoring:diagnose` in the real Claude Code
CLI.

The main loop's scripted model starts the agent with the Agent tool in the foreground; the
subagent's requests (the CLI marks them) play their own script: run the `mlmon diagnose`
invocation the agent's system prompt shows, on an incident from the scenario suite (a unit
change upstream: `income` arrives x100), and answer with a report built from the JSON it got
back. The checks: the subagent runs with its own system prompt and only its declared tools, the
diagnosis it ran names the injected fault, and its report comes back to the main loop.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import rca_scenarios as rs
from harness import REPO
from plugin_parts import frontmatter
from scripted_api import Request, text, tool
from command_turns import user_texts

AGENT = "ml-monitoring:root-cause-analyst"
COMMAND = "/ml-monitoring:diagnose"
AGENT_FILE = REPO / "agents" / "root-cause-analyst.md"
# The diagnose invocation the system prompt shows, in backticks.
INVOCATION = re.compile(r"`(mlmon diagnose --reference 'REF'[^`\n]*)`")


@pytest.fixture
def incident(workdir: Path) -> rs.Scenario:
    s = rs.Scenario("unit_change", "model_bug", ["income"], 71, {"factor": 100.0})
    files = rs.build(s, workdir)
    for flag, path in files.items():  # the CLI runs in workdir: name the files as a user would
        files[flag] = Path(path).name
    s.params["files"] = files
    return s


def agent_body() -> str:
    return AGENT_FILE.read_text(encoding="utf-8").split("---", 2)[2].strip()


def run_diagnose(calls: list[dict], files: dict):
    """The subagent's first turn: the invocation its system prompt shows, filled in."""

    def turn(request: Request) -> list[dict]:
        shown = INVOCATION.search(request.system_text)
        assert shown, "the subagent's system prompt shows no `mlmon diagnose --reference 'REF' ...` invocation"
        command = (f"mlmon diagnose --reference '{files['--reference']}' --current '{files['--current']}' "
                   f"--target 'label' --prediction 'predicted' --proba 'score' --timestamp 'event_time' "
                   f"--infra '{files['--infra']}' --events '{files['--events']}' --format json")
        call = tool("Bash", command=command, description="Diagnose the degradation", timeout=600000)
        calls.append(call)
        return [call]

    return turn


def report_from_result(calls: list[dict]):
    """The subagent's last turn: a report whose numbers are copied from the diagnosis JSON."""

    def turn(request: Request) -> list[dict]:
        out = tool_result(request, calls[0]["id"])
        d = json.loads(out[out.find("{"): out.rfind("}") + 1])
        top = d["candidates"][0]
        lines = [f"## Root cause: {d['primary_cause']} (confidence {d['confidence']})"]
        lines += [f"- for: {e['summary']}" for e in top["evidence"][:3]]
        lines += [f"1. {a}" for a in d["recommended_actions"][:2]]
        return [text("\n".join(lines))]

    return turn


def tool_result(request: Request, tool_id: str) -> str:
    for message in request.messages:
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result" and block.get("tool_use_id") == tool_id:
                c = block.get("content")
                return c if isinstance(c, str) else "\n".join(b.get("text", "") for b in c or [])
    raise AssertionError(f"no tool_result for {tool_id} in the subagent's request")


def check_subagent(run, calls, turns=2):
    sub = run.api.subagent_requests
    assert len(sub) == turns, run.explain()
    # its own system prompt and exactly the tools its frontmatter grants
    assert "You are a root-cause analyst for production ML models." in sub[0].system_text
    assert agent_body().splitlines()[0] in sub[0].system_text
    granted = {t.strip() for t in frontmatter(AGENT_FILE)["tools"].split(",")}
    assert set(sub[0].tool_names) == granted, sub[0].tool_names
    result = run.api.result_of(calls[0])
    d = json.loads(result[result.find("{"): result.rfind("}") + 1])
    assert d["primary_cause"] == "model_bug"
    assert "income" in json.dumps(d["candidates"][0]["evidence"])
    return d


@pytest.mark.plugin_component("agent:root-cause-analyst")
def test_the_agent_runs_with_its_own_prompt_and_tools_and_its_report_comes_back(claude, incident):
    calls: list[dict] = []
    launch = tool("Agent", subagent_type=AGENT, description="Why did the model get worse",
                  prompt="Why did my model get worse? reference.csv is last week, current.csv is this week; "
                         "infra.csv and events.json are in the working directory.",
                  run_in_background=False)
    run = claude("My fraud model got worse this week, find out why.", [[launch], [text("Relayed.")]],
                 subagent_turns=[run_diagnose(calls, incident.params["files"]), report_from_result(calls)])

    assert run.returncode == 0, run.explain()
    # the main loop offers the agent, described so that "why did my model get worse" goes to it
    offered = json.dumps(run.api.main_requests[0].body)
    assert f"{AGENT}: Finds why an ML model got worse" in offered
    assert 'why did my model get worse' in offered and "(Tools: Bash, Read)" in offered
    d = check_subagent(run, calls)
    report = run.api.result_of(launch)
    assert f"## Root cause: model_bug (confidence {d['confidence']})" in report
    assert "income changed scale by a factor of" in report
    assert run.result.get("result") == "Relayed."


def start_agent_as_told(launches: list[dict]):
    """The main loop's first turn: what the expanded command tells the model to do."""

    def turn(request: Request) -> list[dict]:
        texts = user_texts(request)
        body = next((texts[i + 1] for i, b in enumerate(texts[:-1]) if f"<command-name>{COMMAND}</command-name>" in b), None)
        assert body is not None, "the expanded command text was not sent"
        assert f"`{AGENT}`" in body and "run_in_background: false" in body
        args = re.search(r"<command-args>(.*?)</command-args>", "\n".join(texts), re.S).group(1)
        prompt = body[body.index('"Find out why'):body.rindex('"') + 1].strip('"')
        prompt = prompt.replace("(the arguments above, verbatim)", args)
        call = tool("Agent", subagent_type=AGENT, description="Root-cause analysis", prompt=prompt, run_in_background=False)
        launches.append(call)
        return [call]

    return turn


@pytest.mark.plugin_component("command:diagnose")
def test_the_diagnose_command_starts_the_agent_and_relays_its_report(claude, incident):
    calls: list[dict] = []
    launches: list[dict] = []
    files = incident.params["files"]
    args = f"--reference {files['--reference']} --current {files['--current']} why is accuracy down?"

    def relay(request: Request) -> list[dict]:
        return [text(tool_result(request, launches[0]["id"]))]

    run = claude(f"{COMMAND} {args}", [start_agent_as_told(launches), relay],
                 subagent_turns=[run_diagnose(calls, files), report_from_result(calls)])

    assert run.returncode == 0, run.explain()
    sub = run.api.subagent_requests
    assert sub and args in json.dumps(sub[0].messages), "the user's arguments did not reach the agent"
    d = check_subagent(run, calls)
    relayed = run.result.get("result", "")
    assert f"## Root cause: model_bug (confidence {d['confidence']})" in relayed
    assert "income changed scale by a factor of" in relayed


@pytest.mark.plugin_component("command:diagnose")
def test_the_command_lets_the_agent_run_mlmon_without_skipping_permissions(claude, incident):
    # Without --dangerously-skip-permissions only the command's `allowed-tools` lets the
    # subagent's Bash run; it grants `mlmon` and nothing else.
    calls: list[dict] = []
    launches: list[dict] = []
    files = incident.params["files"]
    probe = tool("Bash", command="touch pwned.txt", description="not mlmon")

    def try_something_else(request: Request) -> list[dict]:
        return [probe]

    def relay(request: Request) -> list[dict]:
        return [text(tool_result(request, launches[0]["id"]))]

    run = claude(f"{COMMAND} --reference {files['--reference']} --current {files['--current']}",
                 [start_agent_as_told(launches), relay],
                 subagent_turns=[run_diagnose(calls, files), try_something_else, report_from_result(calls)],
                 skip_permissions=False)

    assert run.returncode == 0, run.explain()
    check_subagent(run, calls, turns=3)
    assert not (run.workdir / "pwned.txt").exists(), "a non-mlmon command ran under the command's permissions"
    assert "needs approval" in run.api.result_of(probe)
    assert "## Root cause: model_bug" in run.result.get("result", "")
