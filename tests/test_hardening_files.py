"""What a failed or careless run must never do to the user's files, and what a hostile working
directory must never get to run (issue: hardening, items 2-5, 7 and the report permissions)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlmon_testing import ROOT, run_mlmon


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pd.DataFrame({"x": rng.normal(0, 1, 300), "c": rng.choice(["a", "b"], 300)}).to_parquet(ref)
    pd.DataFrame({"x": rng.normal(1, 1, 300), "c": rng.choice(["a", "b"], 300)}).to_parquet(cur)
    return ref, cur


def assert_refused(run, *fragments):
    assert run.code == 2, (run.code, run.out, run.err)
    line = run.err.strip()
    assert line.startswith("mlmon: error: ") and "\n" not in line, run.err
    for f in fragments:
        assert f in line, line


def runs_in(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("select count(*) from runs").fetchone()[0]


# -- item 3: a report never overwrites the history store, the config or an input ------------------

def test_output_equal_to_the_history_store_is_refused_and_the_store_kept(tmp_path, pair):
    db = tmp_path / "history.db"
    assert run_mlmon("drift", *pair, "--history", db).code == 0
    before = db.read_bytes()
    run = run_mlmon("drift", *pair, "--history", db, "--output", db)
    assert_refused(run, "would overwrite the history store", f"--output {db}")
    assert db.read_bytes() == before and runs_in(db) == 1


def test_output_through_a_symlink_to_the_store_is_refused(tmp_path, pair):
    db = tmp_path / "history.db"
    assert run_mlmon("drift", *pair, "--history", db).code == 0
    link = tmp_path / "report.md"
    link.symlink_to(db)
    assert_refused(run_mlmon("drift", *pair, "--history", db, "--output", link), "history store")
    assert runs_in(db) == 1


def test_the_default_store_is_protected_too(tmp_path, pair):
    assert run_mlmon("drift", *pair).code == 0  # records into .mlmon/history.db in the working directory
    store = Path(".mlmon/history.db")
    assert store.exists()
    assert_refused(run_mlmon("drift", *pair, "--output", store), "history store")
    assert runs_in(store) == 1


def test_output_equal_to_the_config_is_refused(tmp_path, pair):
    config = tmp_path / "monitoring.yaml"
    text = "version: 1\nmodel: {name: m}\n"
    config.write_text(text)
    assert_refused(run_mlmon("drift", *pair, "--config", config, "--output", config, "--no-history"),
                   "would overwrite the config")
    assert config.read_text() == text


# -- item 4: special files and symlinks are written through, never replaced -----------------------

def test_output_to_dev_null_leaves_it_a_device(pair):
    run = run_mlmon("drift", *pair, "--no-history", "--output", "/dev/null")
    assert run.code == 0, run.err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path, pair):
    target, link = tmp_path / "real.md", tmp_path / "link.md"
    target.write_text("old")
    link.symlink_to(target)
    assert run_mlmon("drift", *pair, "--no-history", "--output", link).code == 0
    assert link.is_symlink() and "drift" in target.read_text().lower()


def test_output_to_a_fifo_is_written_through(tmp_path, pair):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    run = run_mlmon("drift", *pair, "--no-history", "--output", fifo)
    reader.join(30)
    assert run.code == 0, run.err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and "drift" in got[0].lower()


def test_a_new_report_gets_the_users_umask_not_0600(tmp_path, pair):
    old = os.umask(0o022)
    try:
        assert run_mlmon("drift", *pair, "--no-history", "--output", tmp_path / "r.md").code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "r.md").st_mode) == 0o644


def test_a_rewritten_report_keeps_its_permissions(tmp_path, pair):
    report = tmp_path / "r.md"
    report.write_text("old")
    report.chmod(0o640)
    assert run_mlmon("drift", *pair, "--no-history", "--output", report).code == 0
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o640 and report.read_text() != "old"


# -- item 5: an output that cannot be written fails before anything is recorded ------------------

def test_an_unwritable_output_fails_before_the_run_is_recorded(tmp_path, pair):
    # /proc/self accepts no new files, for root too (permission bits alone would not tell)
    db = tmp_path / "history.db"
    run = run_mlmon("drift", *pair, "--history", db, "--output", "/proc/self/report.md")
    assert_refused(run, "not writable", "--output /proc/self/report.md")
    assert not db.exists()


def test_an_unwritable_scheduled_report_sends_and_records_nothing(tmp_path, pair):
    config = tmp_path / "monitoring.yaml"
    config.write_text(f"version: 1\nmodel: {{name: m}}\ndata:\n  reference: {{path: {pair[0]}}}\n"
                      f"  current: {{path: {pair[1]}}}\nstorage: {{history_url: sqlite:///{tmp_path / 'h.db'}}}\n")
    run = run_mlmon("run", "--config", config, "--output", "/proc/self/p.md")
    assert_refused(run, "not writable")
    assert not (tmp_path / "h.db").exists()


# -- item 7: configs are read bounded, and only from regular files -------------------------------

@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom"])
def test_validate_refuses_a_device_at_once(special):
    start = time.monotonic()
    run = run_mlmon("validate", special)
    assert run.code == 2 and "not a regular file" in run.out + run.err
    assert time.monotonic() - start < 5


def test_a_config_symlinked_to_dev_zero_is_refused_by_every_reader(tmp_path, pair):
    config = tmp_path / "monitoring.yaml"
    config.symlink_to("/dev/zero")
    assert "not a regular file" in (lambda r: r.out + r.err)(run_mlmon("validate", config))
    assert_refused(run_mlmon("drift", *pair, "--config", config, "--no-history"), "not a regular file")


def test_a_fifo_named_like_a_config_does_not_hang(tmp_path):
    fifo = tmp_path / "monitoring.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    run = run_mlmon("validate", fifo)
    assert run.code == 2 and "not a regular file" in run.out + run.err
    assert time.monotonic() - start < 5


def test_an_oversized_config_is_read_only_up_to_the_limit(tmp_path):
    from mlmon.services.config import MAX_CHARS, read_config_bytes

    big = tmp_path / "monitoring.yaml"
    big.write_bytes(b"# " + b"x" * (3 * MAX_CHARS))
    assert len(read_config_bytes(str(big))) == MAX_CHARS + 1
    assert "characters" in (lambda r: r.out + r.err)(run_mlmon("validate", big)) or run_mlmon("validate", big).code == 2


def test_the_hook_answers_an_edit_of_a_config_symlinked_to_dev_zero_quickly(tmp_path):
    (tmp_path / "monitoring.yaml").symlink_to("/dev/zero")
    event = {"hook_event_name": "PreToolUse", "tool_name": "Edit", "cwd": str(tmp_path),
             "tool_input": {"file_path": str(tmp_path / "monitoring.yaml"), "old_string": "a", "new_string": "b"}}
    start = time.monotonic()
    proc = subprocess.run([str(ROOT / "hooks" / "config_guard")], input=json.dumps(event).encode(),
                          capture_output=True, cwd=tmp_path, timeout=30, env={**os.environ, "CLAUDE_PROJECT_DIR": str(tmp_path)})
    assert proc.returncode == 0 and time.monotonic() - start < 20


# -- item 2: nothing in the working directory gets to run ---------------------------------------

def hostile_project(tmp_path: Path) -> tuple[Path, Path]:
    project, marker = tmp_path / "project", tmp_path / "pwned"
    (project / "mlmon").mkdir(parents=True)
    payload = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for name in ("yaml.py", "runpy.py", "jsonschema.py", "numpy.py", "pandas.py", "mlmon/__init__.py"):
        (project / name).write_text(payload)
    return project, marker


def test_bin_mlmon_runs_none_of_the_projects_modules(tmp_path):
    project, marker = hostile_project(tmp_path)
    (project / "monitoring.yaml").write_text((ROOT / "assets" / "config.yaml").read_text())
    proc = subprocess.run([str(ROOT / "bin" / "mlmon"), "validate", "monitoring.yaml"], cwd=project,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists(), marker.read_text()


def test_the_config_hook_runs_none_of_the_projects_modules(tmp_path):
    build = subprocess.run(["sh", "-c", f'. "{ROOT}/scripts/env.sh"; mlmon_ensure_env "{ROOT}" scripts/requirements-hook.txt'],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    project, marker = hostile_project(tmp_path)
    event = {"hook_event_name": "PreToolUse", "tool_name": "Write", "cwd": str(project),
             "tool_input": {"file_path": str(project / "monitoring.yaml"), "content": "model: {task: binaryy}\n"}}
    proc = subprocess.run([str(ROOT / "hooks" / "config_guard")], input=json.dumps(event).encode(), capture_output=True,
                          cwd=project, timeout=120, env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)})
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"  # it did validate
    assert not marker.exists(), marker.read_text()
