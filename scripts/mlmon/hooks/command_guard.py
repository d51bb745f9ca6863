"""PreToolUse guard for Bash: an ``mlmon`` command that writes files or reaches beyond the
machine is never pre-approved, whatever a command's ``allowed-tools`` says.

``allowed-tools: Bash(mlmon drift:*)`` matches a command by its prefix only; it cannot tell
``mlmon drift a.csv b.csv --format json`` (read-only analysis, approved) from the same command
with ``--output ~/.bashrc`` appended. This hook answers ``"permissionDecision": "ask"`` for the
latter, so the user sees the command and confirms it (in a non-interactive run it is refused);
the read-only invocation passes silently and the allow rule applies as before.

Asked for: ``--output``/``-o``, ``--html``, ``--evidently-html``, ``--out`` (``generate``), ``--force``,
``--allow-remote-prometheus``, and the commands that write or send by nature
(``init``, ``generate``, ``run``, ``serve``, ``demo``). ``--prometheus`` itself is restricted by
``mlmon diagnose`` (loopback or the config's URL) and needs no prompt.

With ``--dangerously-skip-permissions`` (``permission_mode: bypassPermissions``) the user opted
out of prompts, and nothing is asked. Every outcome exits 0; a bug allows silently.
"""

from __future__ import annotations

import json
import shlex
import sys

WRITE_FLAGS = ("--output", "-o", "--html", "--evidently-html", "--out", "--force", "--allow-remote-prometheus", "--to")
WRITING_COMMANDS = ("init", "generate", "run", "serve", "demo")
_SEPARATORS = (";", "&&", "||", "|", "&", "(", ")")


def mlmon_invocations(command: str) -> list[list[str]]:
    """The argument lists of each ``mlmon`` (or ``…/bin/mlmon``) invocation in ``command``.

    >>> mlmon_invocations("cd x && mlmon drift 'a b.csv' c.csv --output r.md; ls")
    [['drift', 'a b.csv', 'c.csv', '--output', 'r.md']]
    """
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        words = command.split()
    out: list[list[str]] = []
    current: list[str] | None = None
    start = True
    for word in words:
        if word in _SEPARATORS:
            if current is not None:
                out.append(current)
            current, start = None, True
            continue
        if current is not None:
            current.append(word)
        elif start and (word == "mlmon" or word.endswith("/mlmon")):
            current = []
        elif start and "=" in word and not word.startswith("-"):
            continue  # VAR=value before the command
        else:
            start = False
    if current is not None:
        out.append(current)
    return out


def risky(args: list[str]) -> list[str]:
    """Why an ``mlmon`` invocation must be confirmed (empty: read-only, no prompt).

    >>> risky(["drift", "a.csv", "b.csv", "--format", "json"])
    []
    >>> risky(["drift", "a.csv", "b.csv", "--output=r.md", "--html", "r.html"])
    ['--output writes a file', '--html writes a file']
    >>> risky(["init", "--data", "x.csv"])
    ['`mlmon init` writes files or sends notifications']
    """
    reasons = []
    command = next((a for a in args if not a.startswith("-")), "")
    if command in WRITING_COMMANDS:
        reasons.append(f"`mlmon {command}` writes files or sends notifications")
    for arg in args:
        flag = arg.split("=", 1)[0]
        if flag in WRITE_FLAGS:
            what = {"--allow-remote-prometheus": "lets mlmon query a Prometheus server on another host",
                    "--to": "writes into another history store"}.get(flag, "writes a file")
            reason = f"{flag} {what}"
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def decide(event: object) -> str:
    """The JSON to print for one PreToolUse event ('' lets the usual permission rules decide)."""
    if not isinstance(event, dict) or event.get("tool_name") != "Bash":
        return ""
    if event.get("permission_mode") == "bypassPermissions":
        return ""
    tool_input = event.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str):
        return ""
    reasons = [r for args in mlmon_invocations(command) for r in risky(args)]
    if not reasons:
        return ""
    return json.dumps({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "ask",
        "permissionDecisionReason": "ml-monitoring: this mlmon command needs your approval: "
                                    + "; ".join(dict.fromkeys(reasons))
                                    + ". Read-only analysis runs without asking; writing files, sending "
                                      "notifications or querying other hosts does not.",
    }})


def main() -> int:
    try:
        out = decide(json.loads(sys.stdin.buffer.read().decode("utf-8", "replace")))
    except Exception as exc:  # noqa: BLE001 - never break the session
        sys.stderr.write(f"ml-monitoring command guard: not checked ({type(exc).__name__}: {exc})\n")
        return 0
    if out:
        sys.stdout.write(out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
