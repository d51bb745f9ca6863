"""Fixtures for the end-to-end tests: the real Claude Code CLI, a private HOME, a scripted API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import REPO, Run, mlmon_home, run_claude  # noqa: E402
from scripted_api import Turn  # noqa: E402

MLMON_WARMUP_TIMEOUT = 1200  # the first bin/mlmon builds its Python environment


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "plugin_component(id): the plugin part this case exercises, e.g. 'command:drift-check'"
    )


@pytest.fixture
def claude(tmp_path: Path, mlmon_ready: None):
    """``claude(prompt, turns, **kw) -> Run`` in a private HOME (tmp_path/home), cwd tmp_path/work."""

    def run(prompt: str, turns: list[Turn], **kw) -> Run:
        return run_claude(prompt, turns, tmp_path / "work", tmp_path / "home", **kw)

    return run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The working directory the `claude` fixture runs in; put a test's data files here."""
    path = tmp_path / "work"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def mlmon_ready() -> None:
    """Build bin/mlmon's environment once, before any CLI run: building it inside a Bash tool
    call would outlast the tool's timeout."""
    try:
        proc = subprocess.run(
            [str(REPO / "bin" / "mlmon"), "--help"], env={**os.environ, "MLMON_HOME": mlmon_home()},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=MLMON_WARMUP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"bin/mlmon did not set up its environment within {MLMON_WARMUP_TIMEOUT}s")
    if proc.returncode != 0:
        pytest.fail(f"bin/mlmon --help failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
