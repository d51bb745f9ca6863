"""PreToolUse guard: a Write, Edit or MultiEdit that would leave a monitoring config invalid is
denied, with the validator's lines as the reason, so the broken file never reaches disk.

Run as ``python3 -I scripts/entry.py mlmon.hooks.config_guard`` by ``hooks/config_guard`` with the hook's JSON on
stdin. Deciding "not a monitoring config" uses the standard library only (any ``python3`` will
do); validation needs pyyaml and jsonschema, so it runs in mlmon's own environment (the small
hook environment from ``scripts/requirements-hook.txt``, or the full one) as a child process:
``python -I scripts/entry.py mlmon.hooks.config_guard --validate NAME`` with the content on stdin.

Every outcome exits 0. A guard that crashes must not take the session down, nor block a file it
has nothing to say about: an unexpected error allows the tool call and says why on stderr.

Decision rules
--------------
- not Write/Edit/MultiEdit, no ``file_path``, or not a config path: allow, silently;
- a config path whose post-tool content cannot be computed (Edit of a missing file, an
  ``old_string`` not found or not unique): allow, because the tool itself will refuse the call;
- content over ``MAX_CONFIG_BYTES``, or not text: deny (no monitoring config is that);
- validator errors: deny, reason = the ``FILE:LINE:COL: path: message`` lines; warnings alone: allow;
- no Python environment to validate with after ``ENV_WAIT_SECONDS``: allow, with a
  ``systemMessage`` telling the user the file was NOT validated and how to check it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

GUARDED_TOOLS = ("Write", "Edit", "MultiEdit")
# A project lists configs with other names here: {"config_files": ["ops/model-monitor.yaml"]}
PROJECT_SETTINGS = Path(".mlmon") / "settings.json"
MAX_CONFIG_BYTES = 1_000_000
ENV_WAIT_SECONDS = 20.0  # how long the first config edit of a fresh install waits for the env
VALIDATE_TIMEOUT_SECONDS = 30.0

ReadFile = Callable[[str], "str | None"]
# validate(content, display_name) -> [(severity, "FILE:LINE:COL: path: message"), ...]
Validate = Callable[[str, str], "list[tuple[str, str]]"]


class EnvUnavailable(Exception):
    """No Python environment able to run the validator (yet)."""


@dataclass(frozen=True)
class Decision:
    """What the guard answers: ``deny`` with a reason for the model, or ``allow``, optionally with
    a message for the user."""

    allow: bool = True
    reason: str = ""
    user_message: str = ""

    def output(self) -> str:
        """The JSON the hook prints on stdout ('' for a silent allow)."""
        if not self.allow:
            return json.dumps({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": self.reason,
            }})
        if self.user_message:
            return json.dumps({"systemMessage": self.user_message})
        return ""


ALLOW = Decision()


# -- which files are ours ------------------------------------------------------------------------

# a pattern in config_files matching any of these matches everything a project holds: guarding
# it would deny every write (README.md included), so it is refused when the settings are read
CATCH_ALL_PROBES = ("README.md", "src/main.py", "notes.txt", "Makefile", "docs/index.md")


def read_project_settings(project_dir: str) -> tuple[list[str], list[str]]:
    """(config paths the project lists in .mlmon/settings.json, made absolute; the listed
    patterns refused because they match every file). ([], []) when none or unreadable."""
    from mlmon.services.config import is_config_path  # stdlib-only at import time

    try:
        with open(os.path.join(project_dir, PROJECT_SETTINGS), encoding="utf-8") as fh:
            listed = json.load(fh).get("config_files") or []
    except (OSError, ValueError, AttributeError):
        return [], []
    if not isinstance(listed, list):
        return [], []
    kept, refused = [], []
    for pattern in listed:
        if not isinstance(pattern, str) or not pattern:
            continue
        absolute = os.path.normpath(os.path.join(project_dir, pattern))
        probes = [os.path.normpath(os.path.join(project_dir, p)) for p in CATCH_ALL_PROBES]
        if any(is_config_path(p, [absolute]) for p in probes):
            refused.append(pattern)
        else:
            kept.append(absolute)
    return kept, refused


def project_config_files(project_dir: str) -> list[str]:
    """Config paths the project lists in .mlmon/settings.json, made absolute; [] when none or
    unreadable. Patterns that match every file are left out (see :func:`read_project_settings`)."""
    return read_project_settings(project_dir)[0]


def refused_patterns_message(refused: list[str]) -> str:
    shown = ", ".join(json.dumps(p) for p in refused)
    return (f"ml-monitoring: {PROJECT_SETTINGS}: ignoring config_files {shown}: a pattern matching every file "
            "would have every write checked as a monitoring config (README.md too). List the config files "
            'by path or a narrow pattern, e.g. ["ops/*.monitoring.yaml"].')


def _named_like_a_config(path: str, listed: list[str]) -> bool:
    from mlmon.services.config import is_config_path  # stdlib-only at import time

    lowered = os.path.join(os.path.dirname(path), os.path.basename(path).lower())
    return is_config_path(path, listed) or is_config_path(lowered, listed)


def is_monitoring_config(file_path: str, project_dir: str, listed: list[str] | None = None) -> bool:
    """A config by its name (in any case: MONITORING.YAML on a case-insensitive disk is the same
    file), by the project's settings, or through a symlink of another name pointing at one."""
    listed = project_config_files(project_dir) if listed is None else listed
    absolute = os.path.normpath(os.path.join(project_dir, file_path))
    if _named_like_a_config(absolute, listed):
        return True
    try:
        target = os.path.realpath(absolute)
    except (OSError, ValueError):
        return False
    return target != absolute and _named_like_a_config(target, listed)


# -- the content the file would have -------------------------------------------------------------

def read_text_file(path: str) -> str | None:
    """The file as Claude's tools see it, or None when it does not exist, is not a regular file
    (a FIFO or a device would hang the hook or fill its memory), is larger than any config may
    be, or is not UTF-8 text."""
    from mlmon.services.config import MAX_CHARS, read_config_bytes  # stdlib-only at import time

    try:
        raw = read_config_bytes(path)
        if len(raw) > MAX_CHARS:
            return None
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _apply_edit(current: str | None, old: object, new: object, replace_all: object) -> str | None:
    if not isinstance(old, str) or not isinstance(new, str):
        return None
    if current is None:  # Edit creates a missing file only from an empty old_string
        return new if old == "" else None
    if old == "":
        return new if current == "" else None
    count = current.count(old)
    if count == 0 or (count > 1 and not replace_all):
        return None  # the tool refuses these itself
    return current.replace(old, new) if replace_all else current.replace(old, new, 1)


def post_edit_content(tool_name: str, tool_input: dict, read_file: ReadFile = read_text_file) -> str | None:
    """The text ``file_path`` would hold after the tool runs, or None when that cannot be told
    (the tool will then fail on its own, so there is nothing to guard)."""
    path = tool_input.get("file_path")
    if not isinstance(path, str):
        return None
    if tool_name == "Write":
        content = tool_input.get("content")
        return content if isinstance(content, str) else None
    if tool_name == "Edit":
        return _apply_edit(read_file(path), tool_input.get("old_string"), tool_input.get("new_string"),
                           tool_input.get("replace_all"))
    if tool_name == "MultiEdit":
        edits = tool_input.get("edits")
        if not isinstance(edits, list) or not edits:
            return None
        content = read_file(path)
        for edit in edits:
            if not isinstance(edit, dict):
                return None
            content = _apply_edit(content, edit.get("old_string"), edit.get("new_string"), edit.get("replace_all"))
            if content is None:
                return None
        return content
    return None


# -- the decision --------------------------------------------------------------------------------

def display_name(file_path: str, project_dir: str) -> str:
    """The path as the user knows it: relative to the project when inside it."""
    absolute = os.path.normpath(os.path.join(project_dir, file_path))
    relative = os.path.relpath(absolute, project_dir) if project_dir else absolute
    return absolute if relative.startswith("..") else relative


def decide(event: object, validate: Validate, read_file: ReadFile = read_text_file,
           project_dir: str | None = None) -> Decision:
    """The guard's answer to one PreToolUse event (the JSON Claude Code sends, parsed)."""
    if not isinstance(event, dict) or event.get("tool_name") not in GUARDED_TOOLS:
        return ALLOW
    tool_input = event.get("tool_input")
    if not isinstance(tool_input, dict) or not isinstance(tool_input.get("file_path"), str):
        return ALLOW
    file_path = tool_input["file_path"]
    if project_dir is None:
        cwd = event.get("cwd")
        project_dir = os.environ.get("CLAUDE_PROJECT_DIR") or (cwd if isinstance(cwd, str) else os.getcwd())
    listed, refused = read_project_settings(project_dir)
    note = refused_patterns_message(refused) if refused else ""
    if not file_path or not is_monitoring_config(file_path, project_dir, listed):
        return Decision(True, user_message=note) if note else ALLOW

    content = post_edit_content(event["tool_name"], tool_input, read_file)
    if content is None:
        return ALLOW
    name = display_name(file_path, project_dir)
    size = len(content.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        return Decision(False, f"{name}: refusing this {event['tool_name']}: the result would be {size:,} bytes, "
                               f"and a monitoring config is a short YAML file (limit {MAX_CONFIG_BYTES:,} bytes). "
                               "Write only the monitoring settings to this file.")
    if "\x00" in content:
        return Decision(False, f"{name}: refusing this {event['tool_name']}: the result would contain NUL bytes, "
                               "and a monitoring config is YAML text.")
    try:
        problems = validate(content, name)
    except EnvUnavailable as exc:
        return Decision(True, user_message=(
            f"ml-monitoring: {name} was written WITHOUT validation: {exc}. "
            f"Check it with `mlmon validate {name}` once the environment is ready."))
    errors = [line for severity, line in problems if severity == "error"]
    if not errors:
        return ALLOW
    return Decision(False, "\n".join([
        f"{name} would not be a valid monitoring config, so this {event['tool_name']} was not applied "
        f"(the file on disk is unchanged). The validator found:",
        *errors,
        "Fix each line above (FILE:LINE:COL: key: problem, line and column in the content you sent) "
        "and send the whole tool call again.",
    ]))


# -- validation in mlmon's environment -----------------------------------------------------------

def plugin_root() -> Path:
    return Path(os.environ.get("MLMON_PLUGIN_ROOT") or Path(__file__).resolve().parents[3])


ENV_REQUIREMENTS = (("scripts/requirements-hook.txt",), ("scripts/requirements.txt",))


def env_candidates(root: Path) -> list[Path]:
    """The hook environment and the full one, as scripts/env.sh names them (built or not).

    env.sh keys an environment by the first ``python3`` on PATH (>= 3.10; MLMON_PYTHON overrides)
    and the dependency files. This process was started as that ``python3``, so the key is computed
    here, saving the shell's interpreter probes (~100 ms each behind a pyenv shim); anything else
    asks env.sh itself."""
    if os.environ.get("MLMON_PYTHON") or sys.version_info < (3, 10):
        return env_candidates_from_env_sh(root)
    home = os.environ.get("MLMON_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mlmon")
    found = []
    for files in ENV_REQUIREMENTS:
        text = b"%d.%d\n" % sys.version_info[:2] + b"".join((root / f).read_bytes() for f in files)
        found.append(Path(home) / f"env-{hashlib.sha256(text).hexdigest()[:16]}")
    return found


def env_candidates_from_env_sh(root: Path) -> list[Path]:
    script = ('. "$1/scripts/env.sh"; mlmon_env_path "$1" scripts/requirements-hook.txt && echo "$MLMON_VENV"; '
              'mlmon_env_path "$1" scripts/requirements.txt && echo "$MLMON_VENV"')
    proc = subprocess.run(["sh", "-c", script, "sh", str(root)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=20)
    return [Path(line) for line in proc.stdout.splitlines() if line.strip()]


def start_preparation(root: Path) -> None:
    """Start building the environments in the background, logging where session_start does
    (hooks/prepare-env; it waits on env.sh's lock when another build is under way)."""
    data = Path(os.environ.get("CLAUDE_PLUGIN_DATA") or os.environ.get("MLMON_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mlmon"))
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "prepare-env.log", "ab") as log:
        subprocess.Popen(["sh", str(root / "hooks" / "prepare-env")], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log, start_new_session=True)


def ready_env(root: Path, wait: float) -> Path:
    """A built environment that can validate, waiting up to ``wait`` seconds for one."""
    candidates = env_candidates(root)
    deadline = time.monotonic() + wait
    started = False
    while True:
        for env in candidates:
            if (env / ".complete").is_file():
                return env
        if not started:
            start_preparation(root)
            started = True
        if time.monotonic() >= deadline:
            raise EnvUnavailable(f"mlmon's Python environment is still being prepared (waited {wait:g} s)")
        time.sleep(0.25)


def validate_in_env(content: str, name: str) -> list[tuple[str, str]]:
    root = plugin_root()
    wait = float(os.environ.get("MLMON_HOOK_ENV_WAIT", ENV_WAIT_SECONDS))
    env = ready_env(root, wait)
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-I", str(root / "scripts" / "entry.py"), "mlmon.hooks.config_guard",
         "--validate", name],
        input=content.encode("utf-8", "surrogatepass"), capture_output=True, timeout=VALIDATE_TIMEOUT_SECONDS,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the validator failed (exit {proc.returncode}): "
                           f"{proc.stderr.decode('utf-8', 'replace')[-1000:]}")
    return [(p["severity"], p["text"]) for p in json.loads(proc.stdout)]


def validate_stdin(name: str) -> int:
    """``--validate NAME``: validate stdin, print [{"severity", "text"}, ...] as JSON."""
    from mlmon.services.config import validate_text

    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    problems = validate_text(text, file=name)
    json.dump([{"severity": p.severity, "text": p.format()} for p in problems], sys.stdout)
    return 0


# -- the hook process ----------------------------------------------------------------------------

def run_hook(stdin: bytes, validate: Validate = validate_in_env) -> tuple[str, str]:
    """(stdout, stderr) for one hook call. Never raises."""
    try:
        event = json.loads(stdin.decode("utf-8", "replace"))
    except ValueError as exc:
        return "", f"ml-monitoring config guard: ignoring unreadable hook input ({exc})\n"
    try:
        return decide(event, validate).output(), ""
    except Exception as exc:  # noqa: BLE001 - a guard bug must never block the tool call
        return "", f"ml-monitoring config guard: not checked, allowing the tool call ({type(exc).__name__}: {exc})\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--validate"] and len(argv) == 2:
        return validate_stdin(argv[1])
    out, err = run_hook(sys.stdin.buffer.read())
    if out:
        sys.stdout.write(out + "\n")
    if err:
        sys.stderr.write(err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
