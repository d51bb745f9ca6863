"""The config guard's rules, each called in this process with an exact expected outcome: which
paths are configs (any case, listed in the settings, through a symlink), the content an Edit or
MultiEdit would leave, the deny and allow messages word for word, the environment paths (checked
against scripts/env.sh, which builds them), the background preparation, the validator child
process and the hook's entry point. test_config_guard.py runs the hook as Claude Code does, in
another process; these tests state the same rules where mutation testing can watch them."""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from mlmon.hooks import config_guard as guard
from mlmon.hooks.config_guard import ALLOW, Decision, EnvUnavailable, decide

ROOT = Path(__file__).resolve().parents[1]
ERROR = ("error", "monitoring.yaml:3:3: drift.threshold: 1.5 is greater than the maximum of 1")


@pytest.fixture(autouse=True)
def _no_project_dir(monkeypatch):
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)


class Validator:
    """Stands in for the validator's answer; records what it was asked to validate."""

    def __init__(self, *problems, raises=None):
        self.problems, self.raises, self.calls = list(problems), raises, []

    def __call__(self, content, name):
        self.calls.append((content, name))
        if self.raises:
            raise self.raises
        return self.problems


def write_event(file_path, content, cwd=None):
    e = {"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": str(file_path),
                                                                                "content": content}}
    if cwd is not None:
        e["cwd"] = str(cwd)
    return e


def settings(project: Path, config_files) -> None:
    (project / ".mlmon").mkdir(parents=True, exist_ok=True)
    text = json.dumps({"config_files": config_files}, ensure_ascii=False)  # UTF-8 as an editor writes it
    (project / ".mlmon" / "settings.json").write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    """A project folder that is not the current directory (conftest puts every test in tmp_path)."""
    p = tmp_path / "project"
    p.mkdir()
    return p


# -- the content an edit would leave -------------------------------------------------------------

@pytest.mark.parametrize("current, old, new, replace_all, expected", [
    (None, "", "a: 1\n", False, "a: 1\n"),        # Edit creates a missing file from an empty old_string
    (None, "a", "b", False, None),                # and from nothing else
    ("", "", "a: 1\n", False, "a: 1\n"),          # an empty file is filled from an empty old_string
    ("a: 1\n", "", "b", False, None),             # a file with text is not: the tool refuses
    ("ab", "", "x", True, None),                  # not even with replace_all
    ("x: 1\ny: 2\n", "1", "3", False, "x: 3\ny: 2\n"),
    ("x: 1\ny: 1\n", "1", "2", False, None),      # not unique without replace_all: the tool refuses
    ("x: 1\ny: 1\n", "1", "2", True, "x: 2\ny: 2\n"),
    ("x: 1\n", "z", "2", True, None),             # not found
    ("a: 1\n", "a", None, False, None),           # new_string not text
    ("a: 1\n", None, "b", False, None),           # old_string not text
    ("a: 1\n", "a", 3, True, None),
])
def test_apply_edit(current, old, new, replace_all, expected):
    assert guard._apply_edit(current, old, new, replace_all) == expected


def test_a_write_whose_content_is_not_text_has_no_content():
    assert guard.post_edit_content("Write", {"file_path": "/p/monitoring.yaml", "content": 3}, {}.get) is None


def test_a_multiedit_without_edits_has_no_content():
    files = {"/p/m.yaml": "a: 1\n"}
    assert guard.post_edit_content("MultiEdit", {"file_path": "/p/m.yaml", "edits": []}, files.get) is None


def test_multiedit_honours_replace_all_per_edit():
    files = {"/p/m.yaml": "x: 1\ny: 1\n"}
    tool_input = {"file_path": "/p/m.yaml", "edits": [{"old_string": "1", "new_string": "2", "replace_all": True},
                                                      {"old_string": "y: 2", "new_string": "z: 2"}]}
    assert guard.post_edit_content("MultiEdit", tool_input, files.get) == "x: 2\nz: 2\n"


def test_read_text_file_reads_up_to_the_config_limit_and_no_further(tmp_path):
    from mlmon.services.config.files import MAX_CHARS

    assert MAX_CHARS == 1_000_000
    at_limit, over = tmp_path / "at.yaml", tmp_path / "over.yaml"
    at_limit.write_bytes(b"a" * MAX_CHARS)
    over.write_bytes(b"a" * (MAX_CHARS + 1))
    assert guard.read_text_file(str(at_limit)) == "a" * MAX_CHARS
    assert guard.read_text_file(str(over)) is None
    assert guard.read_text_file(str(tmp_path / "missing.yaml")) is None


# -- which files are configs ---------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("MONITORING.YAML", True), ("Monitoring.yml", True), ("Fraud.Monitoring.YAML", True), ("monitoring.yaml", True),
    ("README.md", False), ("MONITORING.YAML.BAK", False),
])
def test_a_config_name_in_any_case_is_a_config(project, name, expected):
    # a case-insensitive disk (macOS, Windows) holds one file for MONITORING.YAML and monitoring.yaml
    assert guard.is_monitoring_config(name, str(project), []) is expected
    assert guard.is_monitoring_config(os.path.join("deploy", name), str(project), []) is expected


def test_a_listed_path_matches_as_written_and_with_its_name_in_lower_case(project):
    listed = [str(project / "ops" / "Model-Monitor.yaml"), str(project / "ops" / "alerts.yaml")]
    assert guard.is_monitoring_config("ops/Model-Monitor.yaml", str(project), listed) is True
    assert guard.is_monitoring_config("ops/ALERTS.yaml", str(project), listed) is True
    assert guard.is_monitoring_config("ops/other.yaml", str(project), listed) is False
    assert guard.is_monitoring_config("alerts.yaml", str(project), listed) is False  # the folder counts


def test_a_relative_path_is_taken_from_the_project_not_the_current_directory(project):
    listed = [str(project / "ops" / "model-monitor.yaml")]
    assert guard.is_monitoring_config("ops/model-monitor.yaml", str(project), listed) is True


def test_without_a_list_the_project_settings_are_read(project):
    settings(project, ["ops/model-monitor.yaml"])
    assert guard.is_monitoring_config("ops/model-monitor.yaml", str(project)) is True
    assert guard.is_monitoring_config("ops/other.yaml", str(project)) is False


def test_a_given_list_is_used_instead_of_the_project_settings(project):
    settings(project, ["ops/model-monitor.yaml"])
    assert guard.is_monitoring_config("ops/given.yaml", str(project), [str(project / "ops" / "given.yaml")]) is True
    assert guard.is_monitoring_config("ops/model-monitor.yaml", str(project), []) is False


def test_a_symlink_of_another_name_is_a_config_when_its_target_is_one(project):
    (project / "ops").mkdir()
    (project / "monitoring.yaml").write_text("x: 1\n")
    (project / "ops" / "model-monitor.yaml").write_text("x: 1\n")
    (project / "notes.yaml").write_text("x: 1\n")
    (project / "current.yaml").symlink_to(project / "monitoring.yaml")
    (project / "listed-link.yaml").symlink_to(project / "ops" / "model-monitor.yaml")
    (project / "other-link.yaml").symlink_to(project / "notes.yaml")
    listed = [str(project / "ops" / "model-monitor.yaml")]
    assert guard.is_monitoring_config("current.yaml", str(project), listed) is True
    assert guard.is_monitoring_config("listed-link.yaml", str(project), listed) is True
    assert guard.is_monitoring_config("other-link.yaml", str(project), listed) is False
    assert guard.is_monitoring_config("notes.yaml", str(project), listed) is False


def test_a_path_that_cannot_be_resolved_is_not_a_config(project):
    # os.path.realpath refuses a NUL byte (ValueError): such a path is no file, so not a config
    assert guard.is_monitoring_config("notes\x00.md", str(project), []) is False


# -- the project's settings ----------------------------------------------------------------------

def test_project_settings_keep_text_patterns_made_absolute_and_refuse_catch_alls(project):
    settings(project, [3, None, "", "ops/a.yaml", "*", "ops/*.monitor.yaml", "**"])
    kept, refused = guard.read_project_settings(str(project))
    assert kept == [str(project / "ops" / "a.yaml"), str(project / "ops" / "*.monitor.yaml")]
    assert refused == ["*", "**"]
    assert guard.project_config_files(str(project)) == kept


def test_project_settings_are_read_from_the_project_not_the_current_directory(tmp_path, project):
    settings(tmp_path, ["elsewhere.yaml"])  # tmp_path is the current directory
    settings(project, ["ops/a.yaml"])
    assert guard.read_project_settings(str(project)) == ([str(project / "ops" / "a.yaml")], [])


def test_project_settings_are_utf8_whatever_the_locale(project, monkeypatch):
    settings(project, ["ops/modèle.yaml"])

    def latin1_locale_open(file, mode="r", buffering=-1, encoding=None, *args, **kwargs):
        if "b" not in mode and encoding is None:
            encoding = "latin-1"  # what open() picks on a Latin-1 locale when not told
        return builtins.open(file, mode, buffering, encoding, *args, **kwargs)

    monkeypatch.setattr(guard, "open", latin1_locale_open, raising=False)
    assert guard.read_project_settings(str(project)) == ([str(project / "ops" / "modèle.yaml")], [])


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"config_files": "ops/a.yaml"}', '{"config_files": null}'])
def test_unusable_project_settings_list_nothing(project, text):
    (project / ".mlmon").mkdir()
    (project / ".mlmon" / "settings.json").write_text(text)
    assert guard.read_project_settings(str(project)) == ([], [])


def test_the_refused_patterns_message():
    assert guard.refused_patterns_message(["*", "**/*"]) == (
        'ml-monitoring: .mlmon/settings.json: ignoring config_files "*", "**/*": a pattern matching every file '
        "would have every write checked as a monitoring config (README.md too). List the config files by path "
        'or a narrow pattern, e.g. ["ops/*.monitoring.yaml"].')


# -- the decision ----------------------------------------------------------------------------------

@pytest.mark.parametrize("event", [None, [], "Write", 42, {"tool_name": "Write"}, {"tool_name": "Write", "tool_input": None},
                                   {"tool_name": "Write", "tool_input": []},
                                   {"tool_name": "Write", "tool_input": {"file_path": None}},
                                   {"tool_name": "Read", "tool_input": {"file_path": "monitoring.yaml"}}])
def test_an_event_the_guard_has_nothing_to_say_about_is_allowed_silently(event):
    validator = Validator(ERROR)
    assert decide(event, validator) == ALLOW
    assert validator.calls == []


def test_the_deny_reason_word_for_word(project):
    second = ("error", "monitoring.yaml:7:5: alerts.warning: less severe than critical")
    warning = ("warning", "monitoring.yaml:1:1: model: consider a version")
    decision = decide(write_event(project / "monitoring.yaml", "x"), Validator(ERROR, warning, second),
                      project_dir=str(project))
    assert decision == Decision(False, "\n".join([
        "monitoring.yaml would not be a valid monitoring config, so this Write was not applied "
        "(the file on disk is unchanged). The validator found:",
        ERROR[1], second[1],
        "Fix each line above (FILE:LINE:COL: key: problem, line and column in the content you sent) "
        "and send the whole tool call again."]))
    assert json.loads(decision.output()) == {"hookSpecificOutput": {
        "hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": decision.reason}}


def test_the_project_is_the_events_cwd(tmp_path, project):
    settings(project, ["ops/model-monitor.yaml"])
    validator = Validator(ERROR)
    decision = decide(write_event(project / "ops" / "model-monitor.yaml", "x", cwd=project), validator)
    assert decision.allow is False
    assert validator.calls == [("x", os.path.join("ops", "model-monitor.yaml"))]


def test_claude_project_dir_wins_over_the_events_cwd(tmp_path, project, monkeypatch):
    settings(project, ["ops/model-monitor.yaml"])
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(project))
    validator = Validator()
    assert decide(write_event(project / "ops" / "model-monitor.yaml", "x", cwd=tmp_path), validator) == ALLOW
    assert validator.calls == [("x", os.path.join("ops", "model-monitor.yaml"))]


@pytest.mark.parametrize("cwd", ["missing", None, 7])
def test_without_a_usable_cwd_the_project_is_the_current_directory(tmp_path, cwd):
    e = {"tool_name": "Write", "tool_input": {"file_path": "sub/monitoring.yaml", "content": "x"}}
    if cwd != "missing":
        e["cwd"] = cwd
    validator = Validator()
    assert decide(e, validator) == ALLOW
    assert validator.calls == [("x", os.path.join("sub", "monitoring.yaml"))]


def test_a_catch_all_pattern_is_reported_to_the_user_on_any_write(project):
    settings(project, ["*"])
    note = guard.refused_patterns_message(["*"])
    validator = Validator(ERROR)
    decision = decide(write_event(project / "README.md", "# hi\n"), validator, project_dir=str(project))
    assert decision == Decision(True, "", note)
    assert json.loads(decision.output()) == {"systemMessage": note}
    assert validator.calls == []
    # and the standard names are still guarded
    assert decide(write_event(project / "monitoring.yaml", "x"), validator, project_dir=str(project)).allow is False


def test_an_edit_is_computed_with_the_given_reader(project):
    path = str(project / "monitoring.yaml")  # not on disk: only the reader knows it
    validator = Validator()
    e = {"tool_name": "Edit", "tool_input": {"file_path": path, "old_string": "1", "new_string": "2"}}
    assert decide(e, validator, read_file={path: "a: 1\n"}.get, project_dir=str(project)) == ALLOW
    assert validator.calls == [("a: 2\n", "monitoring.yaml")]


def test_the_size_limit_is_a_million_bytes_of_utf8(project):
    assert guard.MAX_CONFIG_BYTES == 1_000_000
    validator = Validator()
    at_limit = "é" * 500_000  # 500,000 characters, 1,000,000 bytes
    assert decide(write_event(project / "monitoring.yaml", at_limit), validator, project_dir=str(project)) == ALLOW
    assert len(validator.calls) == 1
    decision = decide(write_event(project / "monitoring.yaml", at_limit + "a"), validator, project_dir=str(project))
    assert decision == Decision(False, "monitoring.yaml: refusing this Write: the result would be 1,000,001 bytes, "
                                       "and a monitoring config is a short YAML file (limit 1,000,000 bytes). "
                                       "Write only the monitoring settings to this file.")
    assert len(validator.calls) == 1


def test_nul_bytes_are_denied_word_for_word(project):
    validator = Validator()
    e = {"tool_name": "Edit", "tool_input": {"file_path": "monitoring.yaml", "old_string": "a", "new_string": "\x00"}}
    decision = decide(e, validator, read_file=lambda path: "a: 1\n", project_dir=str(project))
    assert decision == Decision(False, "monitoring.yaml: refusing this Edit: the result would contain NUL bytes, "
                                       "and a monitoring config is YAML text.")
    assert validator.calls == []


def test_no_environment_allows_with_a_message_word_for_word(project):
    validator = Validator(raises=EnvUnavailable("mlmon's Python environment is still being prepared (waited 20 s)"))
    decision = decide(write_event(project / "monitoring.yaml", "x"), validator, project_dir=str(project))
    assert decision == Decision(True, "", "ml-monitoring: monitoring.yaml was written WITHOUT validation: "
                                          "mlmon's Python environment is still being prepared (waited 20 s). "
                                          "Check it with `mlmon validate monitoring.yaml` once the environment is ready.")


@pytest.mark.parametrize("file_path, expected", [
    ("monitoring.yaml", "monitoring.yaml"),
    ("./ops/../monitoring.yaml", "monitoring.yaml"),
    ("../monitoring.yaml", "{tmp}/monitoring.yaml"),     # outside the project: absolute
    ("{project}/ops/monitoring.yaml", "ops/monitoring.yaml"),
])
def test_display_name(tmp_path, project, file_path, expected):
    fill = {"tmp": str(tmp_path), "project": str(project)}
    assert guard.display_name(file_path.format(**fill), str(project)) == expected.format(**fill)


def test_display_name_without_a_project_is_the_path_as_given(tmp_path):
    # an event whose cwd is "" has no project: the path is shown as written, normalised
    assert guard.display_name(str(tmp_path / "ops" / "monitoring.yaml"), "") == str(tmp_path / "ops" / "monitoring.yaml")
    assert guard.display_name("ops/./monitoring.yaml", "") == os.path.join("ops", "monitoring.yaml")


# -- the hook's input and output -----------------------------------------------------------------

def test_a_silent_allow_prints_nothing_at_all(tmp_path):
    payload = json.dumps(write_event(tmp_path / "README.md", "x", cwd=tmp_path)).encode()
    assert guard.run_hook(payload, Validator(ERROR)) == ("", "")


def test_invalid_utf8_inside_the_json_is_replaced_not_refused(tmp_path):
    payload = (b'{"tool_name": "Write", "cwd": "%s", "tool_input": {"file_path": "monitoring.yaml", '
               b'"content": "a: \xff\\n"}}' % str(tmp_path).encode())
    validator = Validator(ERROR)
    out, err = guard.run_hook(payload, validator)
    assert validator.calls == [("a: \ufffd\n", "monitoring.yaml")]
    assert json.loads(out)["hookSpecificOutput"]["permissionDecision"] == "deny" and err == ""


def test_unreadable_input_is_ignored_with_a_reason():
    assert guard.run_hook(b"{", Validator(ERROR)) == (
        "", "ml-monitoring config guard: ignoring unreadable hook input "
            "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))\n")


def test_a_guard_bug_names_the_exception(tmp_path):
    payload = json.dumps(write_event(tmp_path / "monitoring.yaml", "x", cwd=tmp_path)).encode()
    assert guard.run_hook(payload, Validator(raises=KeyError("boom"))) == (
        "", "ml-monitoring config guard: not checked, allowing the tool call (KeyError: 'boom')\n")


INVALID = "version: 1\nmodel:\n  name: fraud\n  task: binaryy\n"


class Stdin:
    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)


def test_main_answers_the_event_on_stdin_with_one_line(tmp_path, monkeypatch, capsys):
    e = write_event(tmp_path / "monitoring.yaml", "a\x00", cwd=tmp_path)  # denied before any validation
    monkeypatch.setattr(sys, "stdin", Stdin(json.dumps(e).encode()))
    assert guard.main([]) == 0
    out, err = capsys.readouterr()
    assert out.endswith("}\n") and out.count("\n") == 1 and err == ""
    assert json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"] == (
        "monitoring.yaml: refusing this Write: the result would contain NUL bytes, and a monitoring config is YAML text.")


def test_main_reads_its_arguments_from_argv(monkeypatch, capsys):
    from mlmon.services.config import validate_text

    monkeypatch.setattr(sys, "argv", ["config_guard", "--validate", "ops/m.yaml"])
    monkeypatch.setattr(sys, "stdin", Stdin(INVALID.encode()))
    assert guard.main() == 0
    assert json.loads(capsys.readouterr().out) == [{"severity": p.severity, "text": p.format()}
                                                   for p in validate_text(INVALID, file="ops/m.yaml")]


def test_main_reports_unreadable_input_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Stdin(b"{"))
    assert guard.main([]) == 0
    assert capsys.readouterr() == ("", "ml-monitoring config guard: ignoring unreadable hook input "
                                       "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))\n")


def test_main_allows_silently(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Stdin(json.dumps(write_event(tmp_path / "README.md", "x", cwd=tmp_path)).encode()))
    assert guard.main([]) == 0
    assert capsys.readouterr() == ("", "")


def test_validate_mode_prints_the_validators_problems_as_json(monkeypatch, capsys):
    from mlmon.services.config import validate_text

    expected = [{"severity": p.severity, "text": p.format()} for p in validate_text(INVALID, file="ops/m.yaml")]
    assert any(p["severity"] == "error" and p["text"].startswith("ops/m.yaml:4:9: model.task: ") for p in expected)
    monkeypatch.setattr(sys, "stdin", Stdin(INVALID.encode()))
    assert guard.main(["--validate", "ops/m.yaml"]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_validate_mode_keeps_bytes_that_are_not_utf8(monkeypatch, capsys):
    # the content crossed as UTF-8 with lone surrogates kept (surrogatepass); bytes that are not
    # UTF-8 still reach the validator, which reports them, instead of crashing the child
    from mlmon.services.config import validate_text

    raw = b"version: 1\nmodel:\n  name: fr\xffud\n"
    expected = [{"severity": p.severity, "text": p.format()}
                for p in validate_text(raw.decode("utf-8", "surrogateescape"), file="m.yaml")]
    monkeypatch.setattr(sys, "stdin", Stdin(raw))
    assert guard.validate_stdin("m.yaml") == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_a_lone_validate_flag_is_not_validate_mode(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Stdin(b"[]"))
    assert guard.main(["--validate"]) == 0
    assert capsys.readouterr() == ("", "")


# -- the environments ------------------------------------------------------------------------------

def env_sh_paths(root: Path, env: dict) -> list[Path]:
    """The hook and full environments as scripts/env.sh names them: the specification."""
    script = ('. "$1/scripts/env.sh"; for r in scripts/requirements-hook.txt scripts/requirements.txt; do '
              'mlmon_env_path "$1" "$r" && echo "$MLMON_VENV"; done')
    out = subprocess.run(["sh", "-c", script, "sh", str(root)], env=env, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return [Path(line) for line in out.splitlines()]


def cache_env(monkeypatch, tmp_path, which: str) -> dict:
    """Set one of env.sh's cache settings (the others unset); the environment env.sh sees."""
    for name in ("MLMON_HOME", "XDG_CACHE_HOME", "MLMON_PYTHON"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if which == "MLMON_HOME":
        monkeypatch.setenv("MLMON_HOME", str(tmp_path / "mlmon-home"))
    elif which == "XDG_CACHE_HOME":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return dict(os.environ)


@pytest.mark.parametrize("which, home", [("MLMON_HOME", "mlmon-home"), ("XDG_CACHE_HOME", "xdg/mlmon"),
                                         ("HOME", "home/.cache/mlmon")])
def test_env_paths_agree_with_env_sh(monkeypatch, tmp_path, which, home):
    env = cache_env(monkeypatch, tmp_path, which)
    expected = env_sh_paths(ROOT, env)
    monkeypatch.setattr(guard, "env_candidates_from_env_sh", lambda root: pytest.fail("asked the shell"))
    assert guard.env_candidates(ROOT) == expected
    assert [p.parent for p in expected] == [tmp_path / home] * 2 and expected[0] != expected[1]


def test_env_paths_from_env_sh_itself(monkeypatch, tmp_path):
    env = cache_env(monkeypatch, tmp_path, "MLMON_HOME")
    assert guard.env_candidates_from_env_sh(ROOT) == env_sh_paths(ROOT, env)


def test_a_hung_env_sh_is_abandoned_after_20_seconds(monkeypatch, tmp_path):
    # waiting that long for real would make a slow test: the call is watched instead
    cache_env(monkeypatch, tmp_path, "MLMON_HOME")
    timeouts = []

    def run(*args, **kwargs):
        timeouts.append(kwargs.get("timeout"))
        return subprocess.run(*args, **kwargs)

    monkeypatch.setattr(guard, "subprocess", types.SimpleNamespace(run=run, DEVNULL=subprocess.DEVNULL))
    assert len(guard.env_candidates_from_env_sh(ROOT)) == 2
    assert timeouts == [20]


FAKE_PYTHON_3_99 = """#!/bin/sh
case "$2" in *'print('*) echo 3.99 ;; esac
exit 0
"""


def test_mlmon_python_is_honoured_through_env_sh(monkeypatch, tmp_path):
    fake = tmp_path / "python-3.99"
    fake.write_text(FAKE_PYTHON_3_99)
    fake.chmod(0o755)
    cache_env(monkeypatch, tmp_path, "MLMON_HOME")
    in_process = guard.env_candidates(ROOT)
    monkeypatch.setenv("MLMON_PYTHON", str(fake))
    expected = env_sh_paths(ROOT, dict(os.environ))
    assert guard.env_candidates(ROOT) == expected
    assert expected != in_process  # the key follows the interpreter MLMON_PYTHON names


@pytest.mark.parametrize("version, asks_the_shell", [((3, 10, 0, "final", 0), False), ((3, 9, 18, "final", 0), True)])
def test_an_interpreter_older_than_3_10_asks_env_sh_for_one_that_is_not(monkeypatch, tmp_path, version, asks_the_shell):
    cache_env(monkeypatch, tmp_path, "MLMON_HOME")
    asked = []
    monkeypatch.setattr(guard, "env_candidates_from_env_sh", lambda root: asked.append(root) or ["from env.sh"])
    monkeypatch.setattr(guard, "sys", types.SimpleNamespace(version_info=version))
    found = guard.env_candidates(ROOT)
    assert asked == ([ROOT] if asks_the_shell else [])
    if not asks_the_shell:
        import hashlib

        key = hashlib.sha256(b"3.10\n" + (ROOT / "scripts" / "requirements-hook.txt").read_bytes()).hexdigest()[:16]
        assert found[0] == tmp_path / "mlmon-home" / f"env-{key}"  # env.sh's key: "3.10", then the file
    else:
        assert found == ["from env.sh"]


class Clock:
    """time for ready_env: monotonic() advances only by sleep()."""

    def __init__(self):
        self.now, self.sleeps = 100.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_ready_env_polls_every_quarter_second_until_the_wait_is_over(tmp_path, monkeypatch):
    clock, asked, started = Clock(), [], []
    monkeypatch.setattr(guard, "time", clock)
    monkeypatch.setattr(guard, "env_candidates", lambda root: asked.append(root) or [tmp_path / "env-hook"])
    monkeypatch.setattr(guard, "start_preparation", lambda root: started.append(root))
    with pytest.raises(EnvUnavailable) as info:
        guard.ready_env(tmp_path / "root", wait=0.5)
    assert str(info.value) == "mlmon's Python environment is still being prepared (waited 0.5 s)"
    assert clock.sleeps == [0.25, 0.25]
    assert asked == started == [tmp_path / "root"]


def test_ready_env_with_no_wait_does_not_sleep(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(guard, "time", clock)
    monkeypatch.setattr(guard, "env_candidates", lambda root: [tmp_path / "env-hook"])
    monkeypatch.setattr(guard, "start_preparation", lambda root: None)
    with pytest.raises(EnvUnavailable, match=r"\(waited 0 s\)$"):
        guard.ready_env(tmp_path, wait=0)
    assert clock.sleeps == []


def test_ready_env_finds_an_environment_that_completes_while_it_waits(tmp_path, monkeypatch):
    clock = Clock()
    env = tmp_path / "env-hook"
    env.mkdir()

    def sleep(seconds):
        Clock.sleep(clock, seconds)
        (env / ".complete").touch()

    clock.sleep = sleep
    monkeypatch.setattr(guard, "time", clock)
    monkeypatch.setattr(guard, "env_candidates", lambda root: [env])
    monkeypatch.setattr(guard, "start_preparation", lambda root: None)
    assert guard.ready_env(tmp_path, wait=5) == env and clock.sleeps == [0.25]


def test_plugin_root_is_the_checkout_or_the_named_root(monkeypatch, tmp_path):
    monkeypatch.delenv("MLMON_PLUGIN_ROOT", raising=False)
    assert guard.plugin_root() == ROOT
    monkeypatch.setenv("MLMON_PLUGIN_ROOT", str(tmp_path))
    assert guard.plugin_root() == tmp_path


# -- preparing the environments in the background ------------------------------------------------

PREPARE = """echo "stdin: $(cat)"
echo "to stderr" >&2
"{python}" -c 'import os; print("own session:", os.getsid(0) == os.getppid())'
touch "$(dirname "$0")/done"
"""


def fake_plugin(tmp_path: Path) -> Path:
    root = tmp_path / "plugin"
    (root / "hooks").mkdir(parents=True)
    (root / "hooks" / "prepare-env").write_text(PREPARE.format(python=sys.executable))
    return root


def wait_for(path: Path, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


@pytest.mark.parametrize("which, data", [("CLAUDE_PLUGIN_DATA", "plugin-data/a/b"), ("MLMON_HOME", "mlmon-home"),
                                         ("XDG_CACHE_HOME", "xdg/mlmon"), ("HOME", "home/.cache/mlmon")])
def test_preparation_runs_prepare_env_detached_and_appends_to_its_log(tmp_path, monkeypatch, which, data):
    for name in ("CLAUDE_PLUGIN_DATA", "MLMON_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    values = {"CLAUDE_PLUGIN_DATA": "plugin-data/a/b", "MLMON_HOME": "mlmon-home", "XDG_CACHE_HOME": "xdg"}
    if which in values:
        monkeypatch.setenv(which, str(tmp_path / values[which]))
        if which == "CLAUDE_PLUGIN_DATA":  # it wins over the others
            monkeypatch.setenv("MLMON_HOME", str(tmp_path / "mlmon-home"))
    root = fake_plugin(tmp_path)
    log = tmp_path / data / "prepare-env.log"
    if which == "MLMON_HOME":  # an existing folder and log: the log grows
        log.parent.mkdir(parents=True)
        log.write_text("earlier run\n")
    # the hook's own stdin (here a pipe with text) is not the preparation's
    read, write = os.pipe()
    os.write(write, b"the hook's input")
    os.close(write)
    saved = os.dup(0)
    try:
        os.dup2(read, 0)
        guard.start_preparation(root)
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read)
    wait_for(root / "hooks" / "done")
    earlier = "earlier run\n" if which == "MLMON_HOME" else ""
    assert log.read_text() == earlier + "stdin: \nto stderr\nown session: True\n"


# -- validating in mlmon's environment -------------------------------------------------------------

FAKE_ENTRY = """import json, os, sys
data = sys.stdin.buffer.read()
with open(os.path.join(os.path.dirname(__file__), "call.json"), "w") as f:
    json.dump({"argv": sys.argv, "isolated": sys.flags.isolated, "stdin": list(data)}, f)
if os.environ.get("FAKE_VALIDATOR_FAIL"):
    sys.stderr.buffer.write(b"x" * 600 + b"y" * 999 + b"\\xff")
    sys.exit(3)
if os.environ.get("FAKE_VALIDATOR_HANG"):
    import time
    time.sleep(float(os.environ["FAKE_VALIDATOR_HANG"]))
print(json.dumps([{"severity": "error", "text": "ops/m.yaml:1:1: model: bad"},
                  {"severity": "warning", "text": "ops/m.yaml:2:1: data: odd"}]))
"""


@pytest.fixture
def plugin_with_env(tmp_path, monkeypatch):
    """A plugin root whose full environment is built (its python is this one) and whose
    scripts/entry.py is a stand-in validator recording how it was called."""
    root = tmp_path / "plugin"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "requirements-hook.txt").write_text("pyyaml\n")
    (root / "scripts" / "requirements.txt").write_text("pyyaml\nnumpy\n")
    (root / "scripts" / "entry.py").write_text(FAKE_ENTRY)
    monkeypatch.setenv("MLMON_PLUGIN_ROOT", str(root))
    monkeypatch.setenv("MLMON_HOME", str(tmp_path / "envs"))
    for name in ("MLMON_PYTHON", "MLMON_HOOK_ENV_WAIT", "FAKE_VALIDATOR_FAIL", "FAKE_VALIDATOR_HANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(guard, "start_preparation", lambda root: pytest.fail("nothing to prepare"))
    _hook_env, full_env = guard.env_candidates(root)
    (full_env / "bin").mkdir(parents=True)
    (full_env / "bin" / "python").symlink_to(sys.executable)
    (full_env / ".complete").touch()
    return root


def test_validation_runs_the_validator_isolated_in_the_environment(plugin_with_env):
    content = "model: {name: modèle}\n# \udcff\n"  # a lone surrogate crosses as UTF-8 (surrogatepass)
    assert guard.validate_in_env(content, "ops/m.yaml") == [("error", "ops/m.yaml:1:1: model: bad"),
                                                            ("warning", "ops/m.yaml:2:1: data: odd")]
    call = json.loads((plugin_with_env / "scripts" / "call.json").read_text())
    assert call["argv"] == [str(plugin_with_env / "scripts" / "entry.py"), "mlmon.hooks.config_guard",
                            "--validate", "ops/m.yaml"]
    assert call["isolated"] == 1
    assert bytes(call["stdin"]) == "model: {name: modèle}\n# ".encode() + b"\xed\xb3\xbf\n"


def test_a_failing_validator_is_an_error_with_the_end_of_its_stderr(plugin_with_env, monkeypatch):
    monkeypatch.setenv("FAKE_VALIDATOR_FAIL", "1")
    with pytest.raises(RuntimeError) as info:
        guard.validate_in_env("x: 1\n", "monitoring.yaml")
    assert str(info.value) == "the validator failed (exit 3): " + "y" * 999 + "\ufffd"


def test_a_hanging_validator_is_abandoned(plugin_with_env, monkeypatch):
    monkeypatch.setenv("FAKE_VALIDATOR_HANG", "30")
    monkeypatch.setattr(guard, "VALIDATE_TIMEOUT_SECONDS", 0.5)
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        guard.validate_in_env("x: 1\n", "monitoring.yaml")
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("setting, waited", [(None, "20"), ("0", "0"), ("1.5", "1.5")])
def test_validation_waits_for_an_environment_as_long_as_mlmon_hook_env_wait_says(tmp_path, monkeypatch, setting, waited):
    root = tmp_path / "plugin"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "requirements-hook.txt").write_text("pyyaml\n")
    (root / "scripts" / "requirements.txt").write_text("pyyaml\nnumpy\n")
    monkeypatch.setenv("MLMON_PLUGIN_ROOT", str(root))
    monkeypatch.setenv("MLMON_HOME", str(tmp_path / "envs"))
    monkeypatch.delenv("MLMON_PYTHON", raising=False)
    if setting is None:
        monkeypatch.delenv("MLMON_HOOK_ENV_WAIT", raising=False)
    else:
        monkeypatch.setenv("MLMON_HOOK_ENV_WAIT", setting)
    clock, started = Clock(), []
    monkeypatch.setattr(guard, "time", clock)
    monkeypatch.setattr(guard, "start_preparation", lambda root: started.append(root))
    with pytest.raises(EnvUnavailable) as info:
        guard.validate_in_env("x: 1\n", "monitoring.yaml")
    assert str(info.value) == f"mlmon's Python environment is still being prepared (waited {waited} s)"
    assert started == [root] and sum(clock.sleeps) == float(waited)
