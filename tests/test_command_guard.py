"""The command guard (PreToolUse on Bash): read-only mlmon analysis passes to the usual
permission rules, a command that writes files, sends notifications or may query another host is
put to the user ("ask"), whatever a command's allowed-tools pre-approves. The end-to-end case is
in tests/e2e/test_drift_check_command.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mlmon.hooks.command_guard import decide, mlmon_invocations

ROOT = Path(__file__).resolve().parents[1]


def bash(command: str, mode: str = "default") -> dict:
    return {"hook_event_name": "PreToolUse", "tool_name": "Bash", "permission_mode": mode,
            "tool_input": {"command": command}, "cwd": "/tmp"}


@pytest.mark.parametrize("command", [
    "mlmon drift 'a.csv' 'b.csv' --format json",
    "mlmon perf 'cur.csv' --reference 'ref.csv' --target y --prediction p --format json",
    "mlmon ab analyze 'e.csv' --variant-col v --metric-col m --format json",
    "mlmon diagnose --reference a.csv --current b.csv --prometheus http://localhost:9090 --timestamp t",
    "mlmon validate monitoring.yaml",
    "mlmon history --metric accuracy --since 2026-03-01 --format json",
    "ls -la",
    "echo mlmon drift --output x",  # not an mlmon invocation
])
def test_read_only_analysis_is_left_to_the_permission_rules(command):
    assert decide(bash(command)) == ""


@pytest.mark.parametrize("command, reason", [
    ("mlmon drift 'a.csv' 'b.csv' --output ~/.bashrc --format json", "--output writes a file"),
    ("mlmon drift a.csv b.csv -o=r.md", "-o writes a file"),
    ("mlmon drift a.csv b.csv --html report.html", "--html writes a file"),
    ("mlmon init --data x.csv --force", "`mlmon init` writes files or sends notifications; --force writes a file"),
    ("mlmon generate compose --config m.yaml --out stack --force", "`mlmon generate` writes files or sends notifications"),
    ("mlmon run --config m.yaml", "`mlmon run` writes files or sends notifications"),
    ("mlmon diagnose --reference a --current b --prometheus http://evil.example.com --allow-remote-prometheus",
     "--allow-remote-prometheus lets mlmon query a Prometheus server on another host"),
    ("cd proj && MLMON_HOME=/x ./bin/mlmon drift a b --output r.md; ls", "--output writes a file"),
    ("mlmon history copy --to postgresql://mlmon@db/h", "--to writes into another history store"),
])
def test_writes_and_remote_queries_are_put_to_the_user(command, reason):
    answer = json.loads(decide(bash(command)))["hookSpecificOutput"]
    assert answer["hookEventName"] == "PreToolUse" and answer["permissionDecision"] == "ask"
    assert answer["permissionDecisionReason"].startswith(
        f"ml-monitoring: this mlmon command needs your approval: {reason}"), answer


def test_nothing_is_asked_when_the_user_skipped_permissions():
    assert decide(bash("mlmon drift a b --output r.md", mode="bypassPermissions")) == ""


def test_invocations_are_found_in_compound_commands():
    assert mlmon_invocations("mlmon drift a b && mlmon perf c | tee x") == [["drift", "a", "b"], ["perf", "c"]]


def test_the_process_filters_in_shell_and_answers_in_python():
    hook = ROOT / "hooks" / "command_guard"
    hooks = json.loads((ROOT / "hooks" / "hooks.json").read_text())["hooks"]["PreToolUse"]
    assert {"matcher": "Bash", "hooks": [{"type": "command", "command": '"${CLAUDE_PLUGIN_ROOT}/hooks/command_guard"',
                                          "timeout": 30}]} in hooks
    for command, asked in (("ls", False), ("mlmon drift a b --format json", False), ("mlmon drift a b --html x", True)):
        proc = subprocess.run([str(hook)], input=json.dumps(bash(command)).encode(), capture_output=True, timeout=60,
                              env=dict(os.environ))
        assert proc.returncode == 0 and bool(proc.stdout) == asked, (command, proc.stdout, proc.stderr)


def test_commands_pre_approve_only_their_own_subcommands():
    import re

    for name, expected in (("drift-check", "Bash(mlmon drift:*), Read"), ("perf-check", "Bash(mlmon perf:*), Bash(mlmon history:*), Read"),
                           ("ab-test", "Bash(mlmon ab:*), Read")):
        text = (ROOT / "commands" / f"{name}.md").read_text()
        assert re.search(r"^allowed-tools: (.*)$", text, re.M).group(1) == expected
    assert "Bash(mlmon:*)" not in (ROOT / "commands" / "diagnose.md").read_text()
