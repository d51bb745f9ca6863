"""PostToolUse check for Bash: a shell command that wrote a monitoring config (``cat >
monitoring.yaml <<EOF``, ``sed -i``, ``cp``, ``mv``, ``tee``) gets the file validated at once, and
Claude is told exactly what is wrong. The command has already run, so nothing is undone: the
answer is a ``"decision": "block"`` with the validator's lines as the reason, which Claude Code
hands to the model right after the tool result.

Run as ``python3 -I scripts/entry.py mlmon.hooks.bash_config_check`` by ``hooks/config_check``
with the hook's JSON on stdin; validation runs in mlmon's environment exactly as for the
PreToolUse guard (:func:`mlmon.hooks.config_guard.validate_in_env`).

Which files a command touched cannot be known for sure, so two signals are combined:

- paths in the command (its words, redirection targets, ``of=``-style values) that name a
  monitoring config (by name in any case, by the project's settings, or through a symlink);
- config files in the working directory and the project directory (and one level below) whose
  modification time is within :data:`RECENT_SECONDS` (a glob, a script, ``make``) and differs
  from the one this session last checked (so the next, unrelated command does not repeat it).

Every outcome exits 0, and a bug in the check never blocks anything.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass

from mlmon.hooks.config_guard import (MAX_CONFIG_BYTES, EnvUnavailable, Validate, display_name,
                                      is_monitoring_config, read_project_settings, read_text_file,
                                      refused_patterns_message, validate_in_env)

RECENT_SECONDS = 10.0   # a config modified this recently counts as touched by the command
MAX_CHECKED = 10        # configs validated per command at most
_REDIRECT = re.compile(r"^(?:\d*>>?|&>>?|<|>\|)")


@dataclass(frozen=True)
class Outcome:
    """``reason`` for the model when a config is invalid (block), or a note for the user."""

    reason: str = ""
    user_message: str = ""

    def output(self) -> str:
        if self.reason:
            # the reason reaches the model right after the tool result (said once: an
            # additionalContext with the same text would repeat it)
            return json.dumps({"decision": "block", "reason": self.reason})
        if self.user_message:
            return json.dumps({"systemMessage": self.user_message})
        return ""


def command_paths(command: str) -> list[str]:
    """Words of ``command`` that could be file paths: each word, a redirection's target, the
    value of ``key=value``.

    >>> command_paths("cat > monitoring.yaml <<EOF")
    ['cat', 'monitoring.yaml', '<<EOF']
    >>> command_paths("sed -i 's/a/b/' ops/m.yml && cp x 2>err.log of=MONITORING.YAML")[-3:]
    ['x', 'err.log', 'MONITORING.YAML']
    """
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:  # an unbalanced quote: fall back to whitespace
        words = command.split()
    out = []
    for word in words:
        if word in (";", "&&", "||", "|", "&", "(", ")", ">", ">>", "<"):
            continue
        stripped = _REDIRECT.sub("", word) if not word.startswith("<<") else word
        if "=" in stripped and not stripped.startswith("-"):
            stripped = stripped.split("=", 1)[1]
        if stripped:
            out.append(stripped)
    return out


def _state_file(session: str) -> str:
    data = os.environ.get("CLAUDE_PLUGIN_DATA") or os.environ.get("MLMON_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "mlmon")
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", session)[:100] or "session"
    return os.path.join(data, "config-check", f"{safe}.json")


def _load_seen(session: str) -> dict:
    try:
        with open(_state_file(session), encoding="utf-8") as fh:
            seen = json.load(fh)
        return seen if isinstance(seen, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_seen(session: str, seen: dict) -> None:
    path = _state_file(session)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(seen, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # without the state, a config may be reported twice: no harm


def _version(path: str) -> str:
    st = os.stat(path)
    return f"{st.st_mtime_ns}:{st.st_size}"


def _recent_configs(dirs: list[str], listed: list[str], now: float) -> list[str]:
    found = []
    for top in dirs:
        for depth, (folder, subdirs, files) in enumerate(_walk(top, depth=1)):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    recent = now - os.lstat(path).st_mtime <= RECENT_SECONDS or now - os.stat(path).st_mtime <= RECENT_SECONDS
                except OSError:
                    continue
                if recent and is_monitoring_config(path, top, listed):
                    found.append(path)
    return found


def _walk(top: str, depth: int):
    """``top`` and its subfolders ``depth`` levels down (hidden folders skipped)."""
    try:
        entries = list(os.scandir(top))
    except OSError:
        return
    files = [e.name for e in entries if not e.is_dir(follow_symlinks=False)]
    subdirs = [e.path for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    yield top, subdirs, files
    if depth > 0:
        for sub in subdirs[:200]:
            yield from _walk(sub, depth - 1)


def touched_configs(command: str, cwd: str, project_dir: str, listed: list[str], now: float,
                    seen: dict | None = None) -> list[str]:
    """Existing monitoring configs the command names, and those that changed in the last seconds
    into a version not ``seen`` (path -> version) by an earlier check."""
    seen = {} if seen is None else seen
    found: list[str] = []
    for word in command_paths(command):
        path = os.path.normpath(os.path.join(cwd, os.path.expanduser(word)))
        if os.path.isfile(path) and is_monitoring_config(path, project_dir, listed):
            found.append(path)
    for path in _recent_configs(list(dict.fromkeys([cwd, project_dir])), listed, now):
        try:
            if seen.get(path) != _version(path):
                found.append(path)
        except OSError:
            continue
    unique = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique[:MAX_CHECKED]


def check(event: object, validate: Validate = validate_in_env, now: float | None = None) -> Outcome:
    """The answer to one PostToolUse event for Bash."""
    if not isinstance(event, dict) or event.get("tool_name") != "Bash":
        return Outcome()
    tool_input = event.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str):
        return Outcome()
    cwd = event.get("cwd") if isinstance(event.get("cwd"), str) else os.getcwd()
    project_dir = os.environ.get("CLAUDE_PROJECT_DIR") or cwd
    listed, refused = read_project_settings(project_dir)
    note = refused_patterns_message(refused) if refused else ""
    session = event.get("session_id") if isinstance(event.get("session_id"), str) else ""
    seen = _load_seen(session)
    paths = touched_configs(command, cwd, project_dir, listed, time.time() if now is None else now, seen)
    if paths:
        for path in paths:
            try:
                seen[path] = _version(path)
            except OSError:
                pass
        _save_seen(session, dict(list(seen.items())[-200:]))
    problems: list[str] = []
    for path in paths:
        name = display_name(path, project_dir)
        content = read_text_file(path)
        if content is None:
            problems.append(f"{name}: not a readable UTF-8 text file of at most {MAX_CONFIG_BYTES:,} bytes, "
                            "so it is not a valid monitoring config")
            continue
        try:
            errors = [line for severity, line in validate(content, name) if severity == "error"]
        except EnvUnavailable as exc:
            return Outcome(user_message=f"ml-monitoring: {name} was changed by a shell command and NOT validated: "
                                        f"{exc}. Check it with `mlmon validate {name}`.")
        problems += errors
    if not problems:
        return Outcome(user_message=note)
    names = ", ".join(display_name(p, project_dir) for p in paths)
    return Outcome(reason="\n".join([
        f"The command left the monitoring config invalid ({names}); it has run, so the file on disk is now "
        "broken. The validator found:",
        *problems,
        "Fix each line above (FILE:LINE:COL: key: problem, as the file is on disk now) with an Edit or Write "
        "of the file, then check it with `mlmon validate FILE`.",
    ]), user_message=note)


def run_hook(stdin: bytes, validate: Validate = validate_in_env) -> tuple[str, str]:
    """(stdout, stderr) for one hook call. Never raises."""
    try:
        event = json.loads(stdin.decode("utf-8", "replace"))
    except ValueError as exc:
        return "", f"ml-monitoring config check: ignoring unreadable hook input ({exc})\n"
    try:
        return check(event, validate).output(), ""
    except Exception as exc:  # noqa: BLE001 - a bug in the check must never disturb the session
        return "", f"ml-monitoring config check: not checked ({type(exc).__name__}: {exc})\n"


def main() -> int:
    out, err = run_hook(sys.stdin.buffer.read())
    if out:
        sys.stdout.write(out + "\n")
    if err:
        sys.stderr.write(err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
