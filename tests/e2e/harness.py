"""Running the real Claude Code CLI against the checkout, offline.

Each run gets a private HOME and working directory, talks only to a ``ScriptedAPI`` on
127.0.0.1 (which is also its HTTP(S) proxy, so anything that tries to leave loopback is recorded
and refused), and loads this checkout with ``--plugin-dir``. The CLI is the pinned one that
``scripts/test`` installs (``MLMON_CLAUDE_BIN``); without it these tests fail rather than skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripted_api import ScriptedAPI, Turn

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 180  # seconds for one `claude -p` run; a normal one takes a few


def claude_bin() -> str:
    found = os.environ.get("MLMON_CLAUDE_BIN") or shutil.which("claude")
    if not found or not os.access(found, os.X_OK):
        pytest.fail(
            "Claude Code CLI not found: set MLMON_CLAUDE_BIN or put `claude` on PATH "
            "(scripts/test installs the pinned version)",
            pytrace=False,
        )
    return found


def mlmon_home() -> str:
    """Where bin/mlmon keeps its environments for the real user, so runs under a private HOME
    reuse it instead of building a new one each time (same rule as scripts/env.sh)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("MLMON_HOME") or os.path.join(cache, "mlmon")


def caller_path() -> str:
    """The caller's PATH minus directories holding another `mlmon` (a pip-installed one, say):
    Claude Code appends the plugin's bin/ last, so such a one would stand in for the plugin's."""
    dirs = os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and not os.path.exists(os.path.join(d, "mlmon")))


def private_env(home: Path, base_url: str | None = None) -> dict[str, str]:
    """The whole environment of a CLI run: nothing from the caller but PATH and locale."""
    env = {
        "PATH": caller_path(),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "MLMON_HOME": mlmon_home(),
        "ANTHROPIC_API_KEY": "sk-ant-offline-test",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "IS_SANDBOX": "1",  # lets --dangerously-skip-permissions run as root (CI containers)
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            env[name] = base_url
    if "MLMON_PYTHON" in os.environ:  # the interpreter bin/mlmon was told to build with
        env["MLMON_PYTHON"] = os.environ["MLMON_PYTHON"]
    return env


@dataclass
class Run:
    """One finished `claude -p` run: its exit status, its stream-json events and the API log."""

    returncode: int
    events: list[dict]
    stderr: str
    api: ScriptedAPI
    workdir: Path
    home: Path
    argv: list[str] = field(default_factory=list)

    @property
    def result(self) -> dict:
        found = [e for e in self.events if e.get("type") == "result"]
        return found[-1] if found else {}

    def explain(self) -> str:
        """Context for an assertion message: what the CLI sent and said."""
        return (
            f"argv: {self.argv}\nexit: {self.returncode}\nresult: {self.result.get('result')!r}\n"
            f"stderr: {self.stderr[-2000:]}\n--- conversation ---\n{self.api.transcript()}"
        )


def run_claude(
    prompt: str,
    turns: list[Turn],
    workdir: Path,
    home: Path,
    *,
    subagent_turns: list[Turn] | None = None,
    skip_permissions: bool = True,
    extra_args: tuple[str, ...] = (),
    timeout: float = CLI_TIMEOUT,
) -> Run:
    """Run `claude -p PROMPT --plugin-dir <checkout>` against a ScriptedAPI playing ``turns``.

    With ``skip_permissions=False`` tools run only where a rule allows them (a command's
    ``allowed-tools``, an agent's ``tools``), as for a user who has not opted out of prompts."""
    home.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        claude_bin(), "-p", prompt,
        "--plugin-dir", str(REPO),
        "--output-format", "stream-json", "--verbose",
        *(["--dangerously-skip-permissions"] if skip_permissions else []),
        *extra_args,
    ]
    with ScriptedAPI(turns, subagent_turns=subagent_turns) as api:
        try:
            proc = subprocess.run(
                argv, cwd=workdir, env=private_env(home, api.base_url), stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"claude did not finish in {timeout}s; conversation so far:\n{api.transcript()}"
                        f"\nstderr: {(exc.stderr or b'')[-2000:]!r}")
    events = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
    run = Run(proc.returncode, events, proc.stderr, api, workdir, home, argv)
    if api.errors:
        pytest.fail("a scripted turn failed:\n" + "\n".join(api.errors), pytrace=False)
    assert not api.off_loopback, f"the CLI tried to leave loopback: {[r.path for r in api.off_loopback]}"
    return run
