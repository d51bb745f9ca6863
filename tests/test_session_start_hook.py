"""hooks/session_start: returns at once while hooks/prepare-env builds the hook environment and
then the full one in the background; a failed preparation is reported once, with how to retry.

A stand-in `python` (as in test_launcher.py) plays venv and pip, so nothing touches the index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_launcher import FAKE_PYTHON

ROOT = Path(__file__).resolve().parents[1]
# pip waits for the gate file named by FAKE_PIP_GATE, so a test decides when the "build" ends.
GATED_PIP = FAKE_PYTHON.replace(
    'pip) [ -n "$FAKE_PIP_FAIL" ] && exit 1;',
    'pip) while [ -n "$FAKE_PIP_GATE" ] && [ ! -e "$FAKE_PIP_GATE" ]; do sleep 0.05; done;'
    ' [ -n "$FAKE_PIP_FAIL" ] && exit 1;')


@pytest.fixture
def plugin(tmp_path):
    repo = tmp_path / "plugin"
    for rel in ("hooks/session_start", "hooks/prepare-env", "scripts/env.sh",
                "scripts/requirements.txt", "scripts/requirements-hook.txt"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    fake = tmp_path / "fakepy"
    fake.write_text(GATED_PIP)
    fake.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "MLMON_HOME": str(tmp_path / "envs"),
        "CLAUDE_PLUGIN_DATA": str(tmp_path / "data"),
        "MLMON_PYTHON": str(fake),
        "FAKE_LOG": str(tmp_path / "calls.log"),
    }
    return repo, env, tmp_path


def session_start(repo: Path, env: dict, **extra: str) -> subprocess.CompletedProcess:
    payload = json.dumps({"session_id": "s1", "hook_event_name": "SessionStart", "source": "startup",
                          "cwd": str(repo)})
    proc = subprocess.run([str(repo / "hooks" / "session_start")], input=payload, capture_output=True,
                          text=True, env={**env, **extra}, timeout=30)
    return proc


def wait_for(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the background preparation did not finish"
        time.sleep(0.05)


def completed_envs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "envs").glob("env-*/.complete"))


def test_it_returns_at_once_and_builds_the_hook_env_first_in_the_background(plugin):
    repo, env, tmp = plugin
    gate = tmp / "build-may-finish"
    proc = session_start(repo, env, FAKE_PIP_GATE=str(gate))
    # the hook has returned while pip is still held at the gate: it did not wait for the build
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert completed_envs(tmp) == []
    gate.touch()
    wait_for(lambda: len(completed_envs(tmp)) == 2)
    pip_calls = [line for line in (tmp / "calls.log").read_text().splitlines() if line.startswith("-m pip")]
    assert "requirements-hook.txt" in pip_calls[0] and "requirements.txt" in pip_calls[1]
    # the second environment is marked complete a moment before the script logs that both are ready
    wait_for(lambda: "environments ready" in (tmp / "data" / "prepare-env.log").read_text())


def test_a_failed_preparation_is_reported_once_with_how_to_retry(plugin):
    repo, env, tmp = plugin
    proc = session_start(repo, env, FAKE_PIP_FAIL="1")
    assert proc.stdout == ""
    wait_for(lambda: (tmp / "data" / "prepare-failed").exists())

    proc = session_start(repo, env)  # the next session hears about it (and retries, now successfully)
    assert proc.returncode == 0
    message = json.loads(proc.stdout)["systemMessage"]
    assert "preparing mlmon's Python environment failed" in message
    assert f"sh {repo}/hooks/prepare-env" in message and str(tmp / "data" / "prepare-env.log") in message
    wait_for(lambda: len(completed_envs(tmp)) == 2)

    proc = session_start(repo, env)
    assert proc.stdout == ""  # told once


def test_nothing_is_rebuilt_when_the_environments_exist(plugin):
    repo, env, tmp = plugin
    session_start(repo, env)
    wait_for(lambda: len(completed_envs(tmp)) == 2)
    before = (tmp / "calls.log").read_text().count("-m pip")
    session_start(repo, env)
    wait_for(lambda: (tmp / "data" / "prepare-env.log").read_text().count("environments ready") == 2)
    assert (tmp / "calls.log").read_text().count("-m pip") == before


def test_an_unwritable_data_dir_still_exits_zero(plugin):
    repo, env, tmp = plugin
    (tmp / "file").write_text("")
    proc = session_start(repo, env, CLAUDE_PLUGIN_DATA=str(tmp / "file" / "data"))
    assert proc.returncode == 0 and proc.stdout == ""


def test_control_characters_in_the_last_log_line_still_give_valid_json(plugin):
    repo, env, tmp = plugin
    data = tmp / "data"
    data.mkdir()
    (data / "prepare-failed").write_text("")
    # a coloured pip error: ESC sequences, a bell, a vertical tab, DEL, a backslash and a quote
    (data / "prepare-env.log").write_bytes(b"ok\n\x1b[31mERROR:\x1b[0m no \"wheel\" \\ for\x07\x0b\x0c\x01\x7f x86\r\n")
    proc = session_start(repo, env, FAKE_PIP_FAIL="1")
    assert proc.returncode == 0
    message = json.loads(proc.stdout)["systemMessage"]  # raises on a raw control character
    assert message.endswith('-- last log line: [31mERROR:[0m no "wheel" \\ for x86 ')
    assert not any(ord(c) < 32 or ord(c) == 127 for c in message)
