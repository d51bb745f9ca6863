"""The config check after Bash (PostToolUse): a shell command that changed a monitoring config
gets it validated at once and Claude told exactly what is wrong; other commands pass in silence.
Plus the guard's blind spots before a Write or Edit: a symlink with another name, a config name
in capitals, and a project setting that would guard every file."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from mlmon.hooks import bash_config_check as check_mod
from mlmon.hooks.bash_config_check import check, command_paths, run_hook
from mlmon.hooks.config_guard import decide

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "hooks" / "config_check"
GUARD = ROOT / "hooks" / "config_guard"
ERROR = ("error", "monitoring.yaml:3:3: drift.threshold: 1.5 is greater than the maximum of 1")


class Validator:
    def __init__(self, *problems):
        self.problems = list(problems)
        self.calls = []

    def __call__(self, content, name):
        self.calls.append((content, name))
        return self.problems


@pytest.fixture(autouse=True)
def _no_project_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)
    monkeypatch.setenv("CLAUDE_PLUGIN_DATA", str(tmp_path / "plugin-data"))  # the per-session state


def bash(command: str, cwd: Path) -> dict:
    """A PostToolUse event for Bash as Claude Code 2.1 sends it."""
    return {"session_id": "s", "transcript_path": str(cwd / "t.jsonl"), "cwd": str(cwd),
            "permission_mode": "default", "hook_event_name": "PostToolUse", "tool_name": "Bash",
            "tool_input": {"command": command, "description": "write the config"},
            "tool_response": {"stdout": "", "stderr": "", "interrupted": False, "isImage": False},
            "tool_use_id": "toolu_01"}


def old(path: Path) -> None:
    """Give ``path`` a modification time a minute ago: not changed by the command under test."""
    t = time.time() - 60
    os.utime(path, (t, t))


# -- what the command touched --------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    "cat > monitoring.yaml <<'EOF'\ndrift:\n  threshold: 1.5\nEOF",
    "sed -i 's/0.5/1.5/' monitoring.yaml",
    "cp /tmp/other.yaml ./monitoring.yaml && echo done",
    "echo 'x: 1' >>monitoring.yaml",
    "printf 'drift: {}' | tee MONITORING.YAML",
])
def test_a_config_the_command_names_is_validated_and_claude_told(tmp_path, command):
    config = tmp_path / ("MONITORING.YAML" if "MONITORING" in command else "monitoring.yaml")
    config.write_text("drift:\n  threshold: 1.5\n")
    old(config)  # found by its name in the command, not by its time
    validator = Validator(ERROR)
    answer = json.loads(check(bash(command, tmp_path), validator).output())
    assert answer["decision"] == "block"
    assert ERROR[1] in answer["reason"]
    assert answer["reason"].startswith(f"The command left the monitoring config invalid ({config.name}); it has run")
    assert set(answer) == {"decision", "reason"}  # the form Claude Code hands to the model after the tool
    assert validator.calls == [("drift:\n  threshold: 1.5\n", config.name)]


def test_a_config_changed_seconds_ago_is_checked_even_when_the_command_does_not_name_it(tmp_path):
    (tmp_path / "ops").mkdir()
    config = tmp_path / "ops" / "fraud.monitoring.yml"
    config.write_text("bad: [\n")  # just written, by a script the command ran
    validator = Validator(ERROR)
    assert check(bash("python make_configs.py", tmp_path), validator).reason
    assert validator.calls[0][1] == os.path.join("ops", "fraud.monitoring.yml")
    # the next command in the session, unrelated: the same version is not reported again
    assert check(bash("ls", tmp_path), Validator(ERROR)) == check_mod.Outcome()
    config.write_text("bad: [[\n")  # changed again: reported again
    assert check(bash("python make_configs.py", tmp_path), Validator(ERROR)).reason
    old(config)
    assert check(bash("python make_configs.py", tmp_path), Validator(ERROR)) == check_mod.Outcome()


def test_a_valid_config_and_unrelated_commands_pass_silently(tmp_path):
    (tmp_path / "monitoring.yaml").write_text("version: 1\n")
    assert check(bash("cat monitoring.yaml", tmp_path), Validator()).output() == ""
    (tmp_path / "notes.md").write_text("x")
    validator = Validator(ERROR)
    old(tmp_path / "monitoring.yaml")
    assert check(bash("ls -la && echo hi > notes.md", tmp_path), validator).output() == ""
    assert validator.calls == []


def test_other_tools_and_malformed_input_are_ignored(tmp_path):
    e = bash("cat > monitoring.yaml", tmp_path)
    e["tool_name"] = "Write"
    assert check(e, Validator(ERROR)).output() == ""
    assert run_hook(b"{") [0] == ""
    assert run_hook(json.dumps({"tool_name": "Bash", "tool_input": "x"}).encode()) == ("", "")


def test_command_paths():
    assert command_paths("cat > monitoring.yaml <<EOF") == ["cat", "monitoring.yaml", "<<EOF"]
    assert command_paths("dd if=/dev/zero of=monitoring.yml 2>/dev/null; mv a 'b c.yaml'") == [
        "dd", "/dev/zero", "monitoring.yml", "/dev/null", "mv", "a", "b c.yaml"]
    assert command_paths("echo 'unbalanced > monitoring.yaml")[-1] == "monitoring.yaml"


# -- the guard's blind spots (PreToolUse) ---------------------------------------------------------

def write(path: Path, content: str, cwd: Path) -> dict:
    return {"cwd": str(cwd), "hook_event_name": "PreToolUse", "tool_name": "Write",
            "tool_input": {"file_path": str(path), "content": content}}


def test_a_symlink_of_another_name_pointing_at_a_config_is_guarded(tmp_path):
    (tmp_path / "monitoring.yaml").write_text("version: 1\n")
    (tmp_path / "current.yaml").symlink_to(tmp_path / "monitoring.yaml")
    assert not decide(write(tmp_path / "current.yaml", "bad", tmp_path), Validator(ERROR)).allow
    (tmp_path / "plain.yaml").write_text("x")
    assert decide(write(tmp_path / "plain.yaml", "bad", tmp_path), Validator(ERROR)).allow


@pytest.mark.parametrize("name", ["MONITORING.YAML", "Monitoring.yml", "Fraud.Monitoring.YAML"])
def test_a_config_name_in_any_case_is_guarded(tmp_path, name):
    assert not decide(write(tmp_path / name, "bad", tmp_path), Validator(ERROR)).allow


@pytest.mark.parametrize("pattern", ["*", "**", "*.*", "**/*", "*.md"])
def test_a_settings_pattern_matching_every_file_is_refused_with_a_message(tmp_path, pattern):
    (tmp_path / ".mlmon").mkdir()
    (tmp_path / ".mlmon" / "settings.json").write_text(json.dumps({"config_files": [pattern, "ops/alerts.yaml"]}))
    validator = Validator(ERROR)
    decision = decide(write(tmp_path / "README.md", "# My project\n", tmp_path), validator)
    assert decision.allow and validator.calls == []  # README.md is never denied
    assert decision.user_message.startswith(f"ml-monitoring: .mlmon/settings.json: ignoring config_files "
                                            f"{json.dumps(pattern)}: a pattern matching every file")
    # the narrow entry beside it, and the standard names, are still guarded
    assert not decide(write(tmp_path / "ops" / "alerts.yaml", "bad", tmp_path), validator).allow
    assert not decide(write(tmp_path / "monitoring.yaml", "bad", tmp_path), validator).allow


# -- the processes -----------------------------------------------------------------------------

def run_process(hook: Path, payload: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(hook)], input=json.dumps(payload).encode(), capture_output=True, cwd=cwd, timeout=120,
                          env={**os.environ, "CLAUDE_PROJECT_DIR": str(cwd)})


def test_the_hooks_json_runs_the_check_after_bash():
    hooks = json.loads((ROOT / "hooks" / "hooks.json").read_text())["hooks"]
    (entry,) = hooks["PostToolUse"]
    assert entry["matcher"] == "Bash"
    assert entry["hooks"][0]["command"] == '"${CLAUDE_PLUGIN_ROOT}/hooks/config_check"'
    assert os.access(HOOK, os.X_OK)


def test_an_unrelated_command_is_answered_without_python(tmp_path):
    start = time.monotonic()
    proc = run_process(HOOK, bash("ls -la", tmp_path), tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    bin_dir = tmp_path / "bin"  # no python3 on PATH: the cheap path never needs it
    bin_dir.mkdir()
    for tool in ("cat", "find", "head"):
        os.symlink(subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip(),
                   bin_dir / tool)
    proc = subprocess.run([str(HOOK)], input=json.dumps(bash("ls", tmp_path)).encode(), capture_output=True,
                          cwd=tmp_path, env={"PATH": str(bin_dir), "CLAUDE_PROJECT_DIR": str(tmp_path)}, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    assert time.monotonic() - start < 5


def test_the_guard_process_sees_a_symlink_and_capitals(tmp_path):
    # the shell filter must let these through to Python (which denies for want of a valid config)
    (tmp_path / "monitoring.yaml").write_text("version: 1\n")
    (tmp_path / "live.yaml").symlink_to(tmp_path / "monitoring.yaml")
    for target in ("live.yaml", "MONITORING.YAML"):
        proc = run_process(GUARD, write(tmp_path / target, "model: [\n", tmp_path), tmp_path)
        assert proc.returncode == 0
        assert proc.stdout, f"{target}: answered by the shell filter without a check"
