"""The config guard (PreToolUse on Write|Edit|MultiEdit): fed the JSON Claude Code sends, it
denies an edit that would leave a monitoring config invalid, with the validator's lines as the
reason, lets everything else through, and never breaks the session.

Decision tests inject the validator's answer (``validate``), so they state the guard's rules
alone; the process tests at the end run hooks/config_guard and the real validator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlmon.hooks import config_guard as guard
from mlmon.hooks.config_guard import Decision, EnvUnavailable, decide, post_edit_content, run_hook

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "hooks" / "config_guard"
HOOK_ENV_REQS = "scripts/requirements-hook.txt"

ERROR = ("error", "monitoring.yaml:3:3: drift.threshold: 1.5 is greater than the maximum of 1")


def event(tool_name: str, tool_input: dict, cwd: Path) -> dict:
    """A PreToolUse event exactly as Claude Code 2.1 sends it."""
    return {
        "session_id": "0b6c3b1e-3f39-4f7e-9a55-0d2f8a1c6e10",
        "transcript_path": str(cwd / "transcript.jsonl"),
        "cwd": str(cwd),
        "permission_mode": "bypassPermissions",
        "hook_event_name": "PreToolUse",
        "tool_name": tool_name,
        "tool_input": tool_input,
        "tool_use_id": "toolu_01ABCDEF",
    }


def write(path: Path, content: str, cwd: Path | None = None) -> dict:
    return event("Write", {"file_path": str(path), "content": content}, cwd or path.parent)


def edit(path: Path, old: str, new: str, replace_all: bool = False) -> dict:
    return event("Edit", {"file_path": str(path), "old_string": old, "new_string": new,
                          "replace_all": replace_all}, path.parent)


def multi_edit(path: Path, *edits: tuple[str, str]) -> dict:
    return event("MultiEdit", {"file_path": str(path),
                               "edits": [{"old_string": o, "new_string": n} for o, n in edits]}, path.parent)


class Validator:
    """Stands in for the validator's answer; records what it was asked to validate."""

    def __init__(self, *problems: tuple[str, str], raises: Exception | None = None):
        self.problems = list(problems)
        self.raises = raises
        self.calls: list[tuple[str, str]] = []

    def __call__(self, content: str, name: str) -> list[tuple[str, str]]:
        self.calls.append((content, name))
        if self.raises:
            raise self.raises
        return self.problems


@pytest.fixture(autouse=True)
def _no_project_dir(monkeypatch):
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)


@pytest.fixture(autouse=True)
def _config_names(monkeypatch):
    """The validator's own is_config_path when it is importable; until then, its documented rule."""
    try:
        import mlmon.services.config  # noqa: F401
    except ImportError:
        import fnmatch
        import types

        def is_config_path(path, project_settings=None):
            base = os.path.basename(path)
            return (any(fnmatch.fnmatch(base, p) for p in ("monitoring.y*ml", "*.monitoring.y*ml"))
                    or os.path.normpath(path) in [os.path.normpath(p) for p in project_settings or []])

        monkeypatch.setitem(sys.modules, "mlmon.services.config", types.SimpleNamespace(is_config_path=is_config_path))


# -- which files are guarded ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["monitoring.yaml", "monitoring.yml", "fraud.monitoring.yaml", "x.monitoring.yml"])
def test_a_config_name_is_validated_and_an_invalid_write_denied(tmp_path, name):
    validator = Validator(ERROR)
    decision = decide(write(tmp_path / name, "drift:\n  threshold: 1.5\n"), validator)
    assert not decision.allow
    assert ERROR[1] in decision.reason
    assert validator.calls == [("drift:\n  threshold: 1.5\n", name)]


@pytest.mark.parametrize("name", ["README.md", "config.yaml", "monitoring.yaml.bak", "monitoring.json", "notmonitoring.yaml"])
def test_other_files_pass_untouched_without_validation(tmp_path, name):
    validator = Validator(ERROR)
    assert decide(write(tmp_path / name, "drift: [\n"), validator) == Decision()
    assert validator.calls == []


def test_a_file_listed_in_the_project_settings_is_guarded(tmp_path):
    (tmp_path / ".mlmon").mkdir()
    (tmp_path / ".mlmon" / "settings.json").write_text(json.dumps({"config_files": ["ops/model-monitor.yaml"]}))
    (tmp_path / "ops").mkdir()
    validator = Validator(ERROR)
    assert not decide(write(tmp_path / "ops" / "model-monitor.yaml", "x: 1\n", tmp_path), validator).allow
    assert validator.calls[0][1] == os.path.join("ops", "model-monitor.yaml")
    assert decide(write(tmp_path / "ops" / "other.yaml", "x: 1\n", tmp_path), validator).allow


def test_unreadable_project_settings_guard_only_the_standard_names(tmp_path):
    (tmp_path / ".mlmon").mkdir()
    (tmp_path / ".mlmon" / "settings.json").write_text("{not json")
    assert decide(write(tmp_path / "other.yaml", "x"), Validator(ERROR)).allow
    assert not decide(write(tmp_path / "monitoring.yaml", "x"), Validator(ERROR)).allow


@pytest.mark.parametrize("tool_name", ["Read", "Bash", "NotebookEdit"])
def test_other_tools_are_not_guarded(tmp_path, tool_name):
    e = write(tmp_path / "monitoring.yaml", "bad")
    e["tool_name"] = tool_name
    assert decide(e, Validator(ERROR)).allow


# -- the decision and its message ----------------------------------------------------------------

def test_a_valid_config_is_allowed_silently(tmp_path):
    decision = decide(write(tmp_path / "monitoring.yaml", "model:\n  name: fraud\n"), Validator())
    assert decision == Decision() and decision.output() == ""


def test_warnings_alone_do_not_deny(tmp_path):
    warning = ("warning", "monitoring.yaml:1:1: model: consider a version")
    assert decide(write(tmp_path / "monitoring.yaml", "model: {}\n"), Validator(warning)).allow


def test_the_deny_output_is_the_json_claude_code_reads(tmp_path):
    second = ("error", "monitoring.yaml:7:5: alerts.warning: less severe than critical")
    decision = decide(write(tmp_path / "monitoring.yaml", "x"), Validator(ERROR, second))
    out = json.loads(decision.output())
    assert out["hookSpecificOutput"]["hookEventName"] == "PreToolUse"
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"
    reason = out["hookSpecificOutput"]["permissionDecisionReason"]
    lines = reason.splitlines()
    assert lines[1:3] == [ERROR[1], second[1]]  # every validator line, in order, verbatim
    assert "was not applied" in lines[0] and "Write" in lines[0]
    assert "send the whole tool call again" in lines[-1]


def test_a_path_outside_the_project_is_named_absolutely(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    validator = Validator()
    decide(write(tmp_path / "monitoring.yaml", "x"), validator, project_dir=str(project))
    assert validator.calls[0][1] == str(tmp_path / "monitoring.yaml")


def test_a_ten_megabyte_config_write_is_denied_without_validating(tmp_path):
    validator = Validator()
    decision = decide(write(tmp_path / "monitoring.yaml", "a: 1\n" * 2_000_000), validator)
    assert not decision.allow and "10,000,000 bytes" in decision.reason
    assert validator.calls == []


def test_a_ten_megabyte_unrelated_write_is_allowed(tmp_path):
    assert decide(write(tmp_path / "data.csv", "1,2\n" * 2_500_000), Validator(ERROR)).allow


def test_binary_content_for_a_config_is_denied_for_an_unrelated_file_allowed(tmp_path):
    assert not decide(write(tmp_path / "monitoring.yaml", "a\x00b\udcff"), Validator()).allow
    assert decide(write(tmp_path / "blob.bin", "a\x00b\udcff"), Validator(ERROR)).allow


def test_no_environment_allows_but_tells_the_user_the_config_was_not_validated(tmp_path):
    validator = Validator(raises=EnvUnavailable("mlmon's Python environment is still being prepared (waited 20 s)"))
    decision = decide(write(tmp_path / "monitoring.yaml", "drift: [\n"), validator)
    assert decision.allow
    message = json.loads(decision.output())["systemMessage"]
    assert "WITHOUT validation" in message and "mlmon validate monitoring.yaml" in message


# -- the content after the tool runs -------------------------------------------------------------

def reader(files: dict[str, str]):
    return files.get


def test_write_content_is_the_new_content():
    assert post_edit_content("Write", {"file_path": "/p/monitoring.yaml", "content": "a: 1\n"}, reader({})) == "a: 1\n"


def test_edit_replaces_the_first_and_only_occurrence():
    files = {"/p/m.yaml": "a: 1\nb: 2\n"}
    assert post_edit_content("Edit", {"file_path": "/p/m.yaml", "old_string": "b: 2", "new_string": "b: 3"},
                             reader(files)) == "a: 1\nb: 3\n"


def test_edit_replace_all_replaces_every_occurrence():
    files = {"/p/m.yaml": "x: 1\ny: 1\n"}
    assert post_edit_content("Edit", {"file_path": "/p/m.yaml", "old_string": "1", "new_string": "2",
                                      "replace_all": True}, reader(files)) == "x: 2\ny: 2\n"


@pytest.mark.parametrize("old", ["missing", "1"])  # not found; found twice without replace_all
def test_an_edit_the_tool_will_refuse_yields_no_content(old):
    files = {"/p/m.yaml": "x: 1\ny: 1\n"}
    assert post_edit_content("Edit", {"file_path": "/p/m.yaml", "old_string": old, "new_string": "2"},
                             reader(files)) is None


def test_an_edit_of_a_missing_file_creates_it_only_from_an_empty_old_string():
    make = {"file_path": "/p/m.yaml", "old_string": "", "new_string": "a: 1\n"}
    assert post_edit_content("Edit", make, reader({})) == "a: 1\n"
    assert post_edit_content("Edit", {**make, "old_string": "a"}, reader({})) is None


def test_multiedit_applies_its_edits_in_order():
    files = {"/p/m.yaml": "a: 1\nb: 2\n"}
    tool_input = {"file_path": "/p/m.yaml", "edits": [
        {"old_string": "a: 1", "new_string": "a: 10"},
        {"old_string": "a: 10\nb", "new_string": "a: 10\nc", "replace_all": False},
    ]}
    assert post_edit_content("MultiEdit", tool_input, reader(files)) == "a: 10\nc: 2\n"


def test_multiedit_with_one_failing_edit_yields_no_content():
    files = {"/p/m.yaml": "a: 1\n"}
    tool_input = {"file_path": "/p/m.yaml", "edits": [{"old_string": "a", "new_string": "b"},
                                                      {"old_string": "zzz", "new_string": "y"}]}
    assert post_edit_content("MultiEdit", tool_input, reader(files)) is None


@pytest.mark.parametrize("tool_input", [{}, {"file_path": 3, "content": "x"}, {"file_path": "/p/m.yaml"},
                                        {"file_path": "/p/m.yaml", "edits": "nope"},
                                        {"file_path": "/p/m.yaml", "edits": [None]}])
def test_malformed_tool_input_yields_no_content(tool_input):
    for tool_name in ("Write", "Edit", "MultiEdit"):
        assert post_edit_content(tool_name, tool_input, reader({"/p/m.yaml": "a"})) is None


def test_edit_on_disk_denied_when_the_result_is_invalid_and_the_file_is_unchanged(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text("drift:\n  threshold: 0.1\n")
    validator = Validator(ERROR)
    assert not decide(edit(path, "0.1", "1.5"), validator).allow
    assert validator.calls[0][0] == "drift:\n  threshold: 1.5\n"
    assert path.read_text() == "drift:\n  threshold: 0.1\n"


def test_multiedit_on_disk_validates_the_combined_result(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text("a: 1\nb: 2\n")
    validator = Validator()
    assert decide(multi_edit(path, ("a: 1", "a: 3"), ("b: 2", "b: 4")), validator).allow
    assert validator.calls[0][0] == "a: 3\nb: 4\n"


def test_an_edit_whose_old_string_is_not_found_is_left_to_the_tool(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text("a: 1\n")
    validator = Validator(ERROR)
    assert decide(edit(path, "nowhere", "x"), validator).allow and validator.calls == []


def test_an_edit_of_a_config_that_does_not_exist_yet(tmp_path):
    validator = Validator(ERROR)
    assert decide(edit(tmp_path / "monitoring.yaml", "a", "b"), validator).allow  # the tool will refuse
    assert not decide(edit(tmp_path / "monitoring.yaml", "", "bad: ["), validator).allow


def test_a_non_utf8_config_on_disk_is_left_to_the_tool(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    assert decide(edit(path, "a", "b"), Validator(ERROR)).allow


# -- the hook never breaks the session -----------------------------------------------------------

@pytest.mark.parametrize("stdin", [b"", b"not json", b"{\"tool_name\": ", b"\xff\xfe\x00", b"[]", b"null", b"42",
                                   b'{"tool_name": "Write"}', b'{"tool_name": "Write", "tool_input": null}',
                                   b'{"tool_name": "Write", "tool_input": {"file_path": null}}'])
def test_malformed_or_partial_input_allows_silently(stdin):
    out, _err = run_hook(stdin, Validator(ERROR))
    assert out == ""


def test_a_bug_in_the_guard_allows_the_call_and_says_so_on_stderr(tmp_path):
    payload = json.dumps(write(tmp_path / "monitoring.yaml", "x")).encode()
    out, err = run_hook(payload, Validator(raises=RuntimeError("validator exploded")))
    assert out == ""
    assert "not checked, allowing" in err and "validator exploded" in err


def test_ready_env_starts_preparation_and_gives_up_after_the_wait(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(guard, "env_candidates", lambda root: [tmp_path / "env-hook", tmp_path / "env-full"])
    monkeypatch.setattr(guard, "start_preparation", lambda root: started.append(root))
    t0 = time.monotonic()
    with pytest.raises(EnvUnavailable, match="still being prepared"):
        guard.ready_env(tmp_path, wait=0.3)
    assert 0.3 <= time.monotonic() - t0 < 2 and len(started) == 1


def test_ready_env_takes_the_full_environment_when_the_hook_one_is_missing(tmp_path, monkeypatch):
    (tmp_path / "env-full").mkdir()
    (tmp_path / "env-full" / ".complete").touch()
    monkeypatch.setattr(guard, "env_candidates", lambda root: [tmp_path / "env-hook", tmp_path / "env-full"])
    monkeypatch.setattr(guard, "start_preparation", lambda root: pytest.fail("nothing to prepare"))
    assert guard.ready_env(tmp_path, wait=0) == tmp_path / "env-full"


def test_env_candidates_are_the_paths_env_sh_builds(monkeypatch, tmp_path):
    monkeypatch.setenv("MLMON_HOME", str(tmp_path))
    monkeypatch.delenv("MLMON_PYTHON", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    computed = guard.env_candidates(ROOT)  # keyed by this interpreter, as python3 first on PATH
    assert computed == guard.env_candidates_from_env_sh(ROOT)
    hook_env, full_env = computed
    assert hook_env.parent == full_env.parent == tmp_path and hook_env != full_env


# -- the hook process ----------------------------------------------------------------------------

def run_process(payload: bytes, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(HOOK)], input=payload, capture_output=True, cwd=cwd, timeout=120,
                          env={**os.environ, **env})


def test_the_process_answers_an_unrelated_ten_megabyte_write_silently(tmp_path):
    payload = json.dumps(write(tmp_path / "data.csv", "1,2\n" * 2_500_000)).encode()
    proc = run_process(payload, tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


@pytest.mark.parametrize("payload", [b"", b"{", b"\xff\xfe monitoring.yaml \x00", b'{"tool_input": {"file_path": "monitoring.yaml"}}'])
def test_the_process_exits_zero_on_malformed_input(tmp_path, payload):
    proc = run_process(payload, tmp_path)
    assert proc.returncode == 0 and proc.stdout == b""


def test_the_process_exits_zero_without_python3(tmp_path):
    tools = tmp_path / "bin"  # the shell tools the entry uses, and no python3
    tools.mkdir()
    for name in ("cat", "dirname"):
        os.symlink(shutil.which(name), tools / name)
    payload = json.dumps(write(tmp_path / "monitoring.yaml", "x")).encode()
    proc = run_process(payload, tmp_path, PATH=str(tools))
    assert proc.returncode == 0 and proc.stdout == b"" and b"not checked" in proc.stderr


def test_the_process_denies_an_invalid_config_with_the_real_validator_and_allows_a_valid_one(tmp_path):
    build = subprocess.run(["sh", "-c", f'. "{ROOT}/scripts/env.sh"; mlmon_ensure_env "{ROOT}" {HOOK_ENV_REQS}'],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    valid = (ROOT / "assets" / "config.yaml").read_text(encoding="utf-8")
    proc = run_process(json.dumps(write(tmp_path / "monitoring.yaml", valid)).encode(), tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr

    invalid = valid.replace("task: binary", "task: binaryy", 1)
    proc = run_process(json.dumps(write(tmp_path / "monitoring.yaml", invalid)).encode(), tmp_path)
    answer = json.loads(proc.stdout)["hookSpecificOutput"]
    assert proc.returncode == 0 and answer["permissionDecision"] == "deny"
    assert "monitoring.yaml:" in answer["permissionDecisionReason"] and "model.task" in answer["permissionDecisionReason"]


def test_the_process_without_any_environment_allows_and_says_the_config_was_not_validated(tmp_path):
    from test_launcher import FAKE_PYTHON  # a stand-in python whose pip fails: no env can be built

    fake = tmp_path / "fakepy"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = dict(MLMON_HOME=str(tmp_path / "envs"), CLAUDE_PLUGIN_DATA=str(tmp_path / "data"), MLMON_PYTHON=str(fake),
               FAKE_LOG=str(tmp_path / "calls.log"), FAKE_PIP_FAIL="1", MLMON_HOOK_ENV_WAIT="1")
    proc = run_process(json.dumps(write(tmp_path / "monitoring.yaml", "model: [\n")).encode(), tmp_path, **env)
    assert proc.returncode == 0, proc.stderr
    message = json.loads(proc.stdout)["systemMessage"]
    assert "WITHOUT validation" in message and "mlmon validate monitoring.yaml" in message
    assert not (tmp_path / "monitoring.yaml").exists()  # the hook itself never writes the file
