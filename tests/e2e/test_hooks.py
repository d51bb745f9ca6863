"""End to end: the plugin's hooks inside the real Claude Code CLI.

PreToolUse (hooks/config_guard): a Write that would leave a monitoring config invalid is denied,
the validator's lines reach the model in the tool result, and the file never reaches disk; a
valid config and an unrelated file are written as asked. SessionStart (hooks/session_start)
starts preparing mlmon's environments without holding the session up, and reports a failed
preparation once.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from harness import REPO, mlmon_home, private_env
from scripted_api import text, tool

VALID = (REPO / "assets" / "config.yaml").read_text(encoding="utf-8")
# assets/config.yaml with one misspelt task: the validator names the line and the fix
INVALID = VALID.replace("task: binary", "task: binaryy", 1)


@pytest.fixture(scope="module")
def hook_env_ready() -> None:
    """Build the hook's small environment first, as a SessionStart would have done by the time a
    user asks for a config edit; the fallback without it is covered by the unit tests."""
    proc = subprocess.run(
        ["sh", "-c", '. "$1/scripts/env.sh"; mlmon_ensure_env "$1" scripts/requirements-hook.txt', "sh", str(REPO)],
        env={**private_env(Path.home()), "HOME": str(Path.home()), "MLMON_HOME": mlmon_home()},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the hook environment failed:\n{proc.stderr[-3000:]}")


def validator_lines(content: str, name: str) -> list[str]:
    """What the validator says about ``content``, computed here with the package's own validator."""
    from mlmon.services.config import validate_text

    return [p.format() for p in validate_text(content, name) if p.severity == "error"]


@pytest.mark.plugin_component("hook:PreToolUse")
def test_an_invalid_config_write_is_denied_with_the_reason_and_others_go_through(claude, workdir, hook_env_ready):
    assert "task: binary" in VALID and validator_lines(VALID, "monitoring.yaml") == []
    expected = validator_lines(INVALID, "fraud.monitoring.yaml")
    assert expected and any("model.task" in line for line in expected)

    invalid = tool("Write", file_path=str(workdir / "fraud.monitoring.yaml"), content=INVALID)
    valid = tool("Write", file_path=str(workdir / "monitoring.yaml"), content=VALID)
    unrelated = tool("Write", file_path=str(workdir / "notes.md"), content="monitoring.yaml: see fraud model\n")
    run = claude("Set up monitoring for the fraud model.", [[invalid], [valid], [unrelated], [text("Done.")]])
    assert run.returncode == 0, run.explain()

    denied = run.api.result_of(invalid)
    for line in expected:
        assert line in denied, f"validator line missing from the tool result: {line}\n{run.explain()}"
    assert "was not applied" in denied
    assert not (workdir / "fraud.monitoring.yaml").exists(), "the invalid config reached disk"

    assert (workdir / "monitoring.yaml").read_text(encoding="utf-8") == VALID, run.explain()
    assert "monitoring config" not in run.api.result_of(valid)
    assert (workdir / "notes.md").read_text(encoding="utf-8") == "monitoring.yaml: see fraud model\n"


@pytest.mark.plugin_component("hook:PreToolUse")
def test_an_edit_that_breaks_a_config_is_denied_and_the_file_is_unchanged(claude, workdir, hook_env_ready):
    path = workdir / "monitoring.yaml"
    path.write_text(VALID, encoding="utf-8")
    breaking = tool("Edit", file_path=str(path), old_string="task: binary", new_string="task: binaryy")
    run = claude("Change the task.", [[tool("Read", file_path=str(path))], [breaking], [text("Done.")]])
    assert run.returncode == 0, run.explain()
    for line in validator_lines(INVALID, "monitoring.yaml"):
        assert line in run.api.result_of(breaking), run.explain()
    assert path.read_text(encoding="utf-8") == VALID


def hook_responses(run, event: str) -> list[dict]:
    return [e for e in run.events if e.get("subtype") == "hook_response" and e.get("hook_event") == event]


def wait_for_line(path: Path, needle: str, times: int = 1, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while (path.read_text() if path.exists() else "").count(needle) < times:
        assert time.monotonic() < deadline, f"{needle!r} did not appear {times} times in {path}"
        time.sleep(0.1)


@pytest.mark.plugin_component("hook:SessionStart")
def test_session_start_prepares_in_the_background_and_reports_a_failure_once(claude, tmp_path):
    run = claude("Hello.", [[text("Hi.")]])
    assert run.returncode == 0, run.explain()
    [started] = hook_responses(run, "SessionStart")
    assert (started["exit_code"], started["stdout"]) == (0, ""), started
    # the plugin's data directory (CLAUDE_PLUGIN_DATA) under the private HOME holds the build log
    [log] = list((tmp_path / "home" / ".claude" / "plugins" / "data").glob("*/prepare-env.log"))
    wait_for_line(log, "environments ready")  # both environments exist already (mlmon_ready)

    # a failed preparation leaves this marker (hooks/prepare-env); the next session tells the user
    marker = log.parent / "prepare-failed"
    marker.write_text("failed\n")
    run = claude("Hello again.", [[text("Hi.")]])
    assert run.returncode == 0, run.explain()
    [told] = hook_responses(run, "SessionStart")
    message = json.loads(told["stdout"])["systemMessage"]
    assert "preparing mlmon's Python environment failed" in message
    assert f"sh {REPO}/hooks/prepare-env" in message and str(log) in message
    assert not marker.exists()

    wait_for_line(log, "environments ready", times=2)  # the retry this session started
    run = claude("Once more.", [[text("Hi.")]])
    assert [r["stdout"] for r in hook_responses(run, "SessionStart")] == [""]  # told once


@pytest.mark.plugin_component("hook:PostToolUse")
def test_a_bash_command_that_breaks_a_config_is_reported_to_the_model_at_once(claude, workdir, hook_env_ready):
    # PostToolUse cannot undo the command: the validator's lines reach the model right after it
    expected = validator_lines(INVALID, "monitoring.yaml")
    assert expected
    heredoc = tool("Bash", command=f"cat > monitoring.yaml <<'EOF'\n{INVALID}EOF", description="Write the config")
    unrelated = tool("Bash", command="echo hello > notes.txt", description="Write a note")
    run = claude("Write the monitoring config with a heredoc.", [[heredoc], [unrelated], [text("Done.")]])
    assert run.returncode == 0, run.explain()
    assert (workdir / "monitoring.yaml").read_text(encoding="utf-8") == INVALID  # it ran: nothing undone
    after = "\n".join(_sent_texts_after(run, heredoc))
    for line in expected:
        assert line in after, f"validator line not sent to the model: {line}\n{run.explain()}"
    assert after.count("The command left the monitoring config invalid (monitoring.yaml)") == 1, run.explain()
    assert (workdir / "notes.txt").read_text() == "hello\n"  # the next, unrelated command: not reported again


def _sent_texts_after(run, call: dict) -> list[str]:
    """Everything in the conversation the CLI last sent (each turn once): ``call``'s tool result
    and every text beside it, hook notes included."""
    from scripted_api import _blocks, _content_text

    texts = []
    for request in run.api.main_requests[-1:]:
        for message in request.messages:
            for block in _blocks(message):
                if block.get("type") == "tool_result" and block.get("tool_use_id") == call["id"]:
                    texts.append(_content_text(block.get("content")))
                elif block.get("type") == "text":
                    texts.append(block["text"])
    return texts
