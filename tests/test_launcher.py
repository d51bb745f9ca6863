"""bin/mlmon: builds its environment once, in one place found from its own path, says so while
it does, reuses it, and builds a new one when the dependency list changes.

A stand-in `python` records what the launcher asks of it (venv creation, pip installs, the
final `-m mlmon` call), so these run in milliseconds without touching the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_PYTHON = r"""#!/bin/sh
# stand-in interpreter: logs each call, fakes what bin/mlmon and scripts/env.sh use
[ "$1" = -I ] && shift  # isolated mode: the launcher always asks for it
echo "$*" >> "$FAKE_LOG"
case "$1" in
  */entry.py) shift 2; echo "mlmon ran with: $*"; exit 0 ;;
  -c) case "$2" in *print*) echo 3.11 ;; esac; exit 0 ;;
  -m)
    case "$2" in
      venv) mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0 ;;
      pip) [ -n "$FAKE_PIP_FAIL" ] && exit 1; exit 0 ;;
      mlmon) shift 2; echo "mlmon ran with: $*"; exit 0 ;;
    esac ;;
esac
exit 0
"""


@pytest.fixture
def checkout(tmp_path):
    repo = tmp_path / "plugin"
    (repo / "bin").mkdir(parents=True)
    (repo / "scripts").mkdir()
    shutil.copy(ROOT / "bin" / "mlmon", repo / "bin" / "mlmon")
    shutil.copy(ROOT / "scripts" / "env.sh", repo / "scripts" / "env.sh")
    shutil.copy(ROOT / "scripts" / "requirements.txt", repo / "scripts" / "requirements.txt")
    fake = tmp_path / "fakepy"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    return repo, fake


def launch(repo: Path, fake: Path, tmp_path: Path, *args: str, launcher=None, extra_env=None):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "MLMON_PYTHON": str(fake),
        "FAKE_LOG": str(tmp_path / "calls.log"),
    }
    env.update(extra_env or {})
    return subprocess.run(
        [str(launcher or repo / "bin" / "mlmon"), *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )


def pip_installs(tmp_path: Path) -> int:
    log = tmp_path / "calls.log"
    return sum(1 for line in log.read_text().splitlines() if line.startswith("-m pip install")) if log.exists() else 0


def test_first_run_builds_the_environment_and_says_so(checkout, tmp_path):
    repo, fake = checkout
    run = launch(repo, fake, tmp_path, "drift", "a b.parquet", "c")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "mlmon ran with: drift a b.parquet c\n"
    assert "mlmon: first run: creating the Python environment in" in run.stderr
    assert "environment ready" in run.stderr
    envs = list((tmp_path / "home" / ".cache" / "mlmon").glob("env-*"))
    assert len(envs) == 1 and (envs[0] / ".complete").exists()
    assert pip_installs(tmp_path) == 1


def test_second_run_reuses_it_silently(checkout, tmp_path):
    repo, fake = checkout
    launch(repo, fake, tmp_path, "methods")
    run = launch(repo, fake, tmp_path, "methods")
    assert run.returncode == 0 and run.stderr == ""
    assert pip_installs(tmp_path) == 1


def test_changed_dependency_list_builds_a_new_environment(checkout, tmp_path):
    repo, fake = checkout
    launch(repo, fake, tmp_path, "methods")
    with open(repo / "scripts" / "requirements.txt", "a") as fh:
        fh.write("tqdm>=4\n")
    run = launch(repo, fake, tmp_path, "methods")
    assert "first run: creating" in run.stderr
    assert len(list((tmp_path / "home" / ".cache" / "mlmon").glob("env-*"))) == 2
    assert pip_installs(tmp_path) == 2


def test_mlmon_home_and_a_symlinked_launcher_find_the_same_place(checkout, tmp_path):
    repo, fake = checkout
    link_dir = tmp_path / "elsewhere"
    link_dir.mkdir()
    (link_dir / "mlmon").symlink_to(repo / "bin" / "mlmon")
    run = launch(repo, fake, tmp_path, "methods", launcher=link_dir / "mlmon",
                 extra_env={"MLMON_HOME": str(tmp_path / "custom")})
    assert run.returncode == 0, run.stderr
    assert list((tmp_path / "custom").glob("env-*/.complete"))


def test_failed_install_leaves_no_half_environment(checkout, tmp_path):
    repo, fake = checkout
    run = launch(repo, fake, tmp_path, "methods", extra_env={"FAKE_PIP_FAIL": "1"})
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith("mlmon: error: installing Python dependencies failed")
    assert not list((tmp_path / "home" / ".cache" / "mlmon").glob("env-*/.complete"))
    ok = launch(repo, fake, tmp_path, "methods")
    assert ok.returncode == 0 and "first run" in ok.stderr
