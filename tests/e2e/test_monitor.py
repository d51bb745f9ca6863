"""End to end: the plugin's `alerts` monitor in an interactive Claude Code session, and
`/ml-monitoring:status` reading the state the same runs left.

Plugin monitors are armed only in interactive sessions (not with `-p`), so the real CLI runs in a
terminal multiplexer (Debian's `tmux`, on a private server socket) against the scripted API. The
project holds a monitoring config and a history store with one healthy day; with the session
open, a scheduled `mlmon run` in the background checks a drifted day and fires a critical alert.
The monitor's line must reach the model: the next request the scripted API receives carries it,
as Claude Code 2.1.328 delivers a monitor's stdout line (a `<task-notification>` system
reminder whose `<event>` is the line, sent as a new turn of an idle session).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness import REPO, claude_bin, mlmon_home, private_env
from command_turns import command_body, follow_command, result_json
from scripted_api import Request, ScriptedAPI, text

SESSION_READY_TIMEOUT = 90   # seconds for the CLI to start and the watch to take its cursor
LINE_TIMEOUT = 120           # the watch looks every 30 s; the run itself takes a few seconds
ANSWER = ('The drift_score alert of model "fraud" is firing (critical) for 2026-03-02; '
          "want me to run /ml-monitoring:diagnose on it?")
EXPECTED_LINE = ('ml-monitoring: alert FIRING: model "fraud", condition "drift_score", tier "critical", value 1 '
                 '(threshold 0.5), data of 2026-03-02; to diagnose: /ml-monitoring:diagnose --config monitoring.yaml '
                 '--current data/2026-03-02.parquet')


def write_project(work: Path) -> None:
    rng = np.random.default_rng(11)

    def day(shift: float) -> pd.DataFrame:
        return pd.DataFrame({"amount": rng.normal(shift, 1, 500), "age": rng.normal(40 + 10 * shift, 5, 500)})

    (work / "data").mkdir(parents=True)
    day(0).to_parquet(work / "reference.parquet")
    day(0).to_parquet(work / "data" / "2026-03-01.parquet")
    day(2.0).to_parquet(work / "data" / "2026-03-02.parquet")
    (work / "monitoring.yaml").write_text(
        "version: 1\nmodel: {name: fraud, task: binary}\ndata:\n  reference: {path: reference.parquet}\n"
        '  current: {path: "data/{date}.parquet"}\nalerts:\n  consecutive_failures: 1\n'
        "  critical:\n    conditions: {drift_score: 0.5}\n", encoding="utf-8")


def mlmon_run(work: Path, date: str) -> subprocess.Popen:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
           "MLMON_HOME": mlmon_home()}
    return subprocess.Popen([str(REPO / "bin" / "mlmon"), "run", "--config", "monitoring.yaml", "--date", date],
                            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def accept_onboarding(home: Path, work: Path, api_key: str) -> None:
    """What a user answers once: theme, trust in the project folder, the API key (the CLI keeps
    its last 20 characters), bypass mode."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True, "theme": "dark", "numStartups": 5, "bypassPermissionsModeAccepted": True,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": {str(work): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}},
    }))


def watch_processes(work: Path) -> list[int]:
    """Ids of the `mlmon watch` processes running in ``work`` (the monitor's)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if b"watch" in args and any(a.endswith(b"entry.py") for a in args) and cwd == str(work):
            found.append(int(pid))
    return found


def wait_for(check, timeout: float, what: str, context=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{context()}")


def event_texts(request: Request) -> list[str]:
    out = []
    for message in request.messages:
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        out += [b.get("text", "") for b in blocks if isinstance(b, dict) and "<task-notification>" in b.get("text", "")]
    return out


def test_an_alert_fired_by_a_background_run_reaches_the_model_through_the_monitor(tmp_path, mlmon_ready):
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.fail("tmux not found: install Debian's tmux package (.ci/run does)", pytrace=False)
    work, home = tmp_path / "work", tmp_path / "home"
    write_project(work)
    first = mlmon_run(work, "2026-03-01")
    assert first.wait(timeout=600) == 0, first.stderr.read()  # a healthy day: the store exists, nothing fires

    answered: list[Request] = []

    def answer(request: Request) -> list[dict]:
        answered.append(request)
        return [text(ANSWER)]

    socket = f"mlmon-e2e-{uuid.uuid4().hex[:8]}"
    with ScriptedAPI([answer, [text("noted")], [text("noted")]]) as api:
        env = private_env(home, api.base_url)
        accept_onboarding(home, work, env["ANTHROPIC_API_KEY"])
        argv = [claude_bin(), "--plugin-dir", str(REPO), "--dangerously-skip-permissions"]
        subprocess.run([tmux, "-L", socket, "new-session", "-d", "-x", "200", "-y", "50", "-c", str(work),
                        "--", *argv], env=env, check=True, timeout=30)

        def pane() -> str:
            shown = subprocess.run([tmux, "-L", socket, "capture-pane", "-p", "-J"], env=env,
                                   capture_output=True, text=True, timeout=10)
            return shown.stdout

        try:
            wait_for(lambda: watch_processes(work), SESSION_READY_TIMEOUT, "the monitor's mlmon watch", pane)
            time.sleep(3)  # it takes its cursor right after Python starts
            assert api.main_requests == [], "an idle session with nothing new should send nothing"

            run = mlmon_run(work, "2026-03-02")  # the scheduled run, in the background
            assert run.wait(timeout=600) == 0, run.stderr.read()

            wait_for(lambda: answered, LINE_TIMEOUT, "the monitor line to reach the model",
                     lambda: pane() + "\n" + api.transcript())
            [event] = event_texts(answered[0])
            assert f"<event>{EXPECTED_LINE}</event>" in event, event
            assert "Monitor event" in event and "ml-monitoring alert (mlmon watch)" in event
            wait_for(lambda: "want me to run /ml-monitoring:diagnose" in pane().replace("\n", ""), 30,
                     "the answer on screen", pane)

            time.sleep(35)  # one more look at the unchanged store: nothing is repeated
            assert len(answered) == 1, api.transcript()
        finally:
            watchers = watch_processes(work)
            subprocess.run([tmux, "-L", socket, "kill-server"], env=env, timeout=30)
        # the session's end stops the watch (SIGHUP or SIGTERM: exit 0)
        wait_for(lambda: not any(p in watch_processes(work) for p in watchers), 30, "the watch to stop")


@pytest.mark.plugin_component("command:status")
def test_status_shows_the_firing_alert_and_the_last_run_of_each_model(claude, workdir):
    write_project(workdir)
    for date in ("2026-03-01", "2026-03-02"):
        run = mlmon_run(workdir, date)
        assert run.wait(timeout=600) == 0, run.stderr.read()
    calls: list[dict] = []
    run = claude("/ml-monitoring:status --config monitoring.yaml", [follow_command("/ml-monitoring:status", calls, "Read every model's state"),
                                           [text("Reported.")]], skip_permissions=False)

    assert run.returncode == 0, run.explain()
    body = command_body(run.api.main_requests[0], "/ml-monitoring:status")
    assert "--config monitoring.yaml" in body and "/ml-monitoring:diagnose" in body and "$ARGUMENTS" not in body
    assert calls[0]["input"]["command"] == "mlmon history --summary '--config' 'monitoring.yaml' --format json"
    result = result_json(run.api.result_of(calls[0]))
    assert result["schema_version"] == 1
    [model] = result["models"]
    assert model["model"] == "fraud"
    [alert] = model["alerts_firing"]
    assert (alert["rule"], alert["tier"], alert["value"], alert["threshold"]) == ("drift_score", "critical", 1.0, 0.5)
    assert model["last_run"] == {"period_start": "2026-03-02T00:00:00", "period_end": "2026-03-03T00:00:00",
                                 "severity": "critical"}
    assert model["last_drift"]["drift_share"] == 1.0 and sorted(model["last_drift"]["drifted"]) == ["age", "amount"]
    assert run.result.get("result") == "Reported."
