"""Playing a slash command's part as a model would: find the expanded command text, the
argument-passing protocol it loads (references/arguments.md, attached by the CLI when it expands
the command's `@` reference) and the arguments the CLI sent; split the arguments as a POSIX shell
would without expanding anything, quote every word, and run the one invocation the command shows
(a backticked template holding 'WORD1') with the Bash tool."""

from __future__ import annotations

import json
import re
import shlex

from harness import REPO
from scripted_api import Request, tool

PROTOCOL = REPO / "references" / "arguments.md"

# Where a command shows the one call to make: a backticked template holding 'WORD1'.
INVOCATION = re.compile(r"`([^`\n]*'WORD1'[^`\n]*)`")


def user_texts(request: Request) -> list[str]:
    """Every text block on the user side of the conversation, in order."""
    out = []
    for message in request.messages:
        if message.get("role") == "assistant":
            continue
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        out += [b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    return out


def command_body(request: Request, command: str) -> str:
    """The expanded command text the CLI sent: the text that follows its <command-name> block."""
    texts = user_texts(request)
    for i, block in enumerate(texts[:-1]):
        if f"<command-name>{command}</command-name>" in block:
            return texts[i + 1]
    raise AssertionError(f"the expanded {command} text was not sent; user-side texts:\n" + "\n---\n".join(texts))


def command_args(request: Request) -> str:
    for block in user_texts(request):
        found = re.search(r"<command-args>(.*?)</command-args>", block, re.S)
        if found:
            return found.group(1)
    raise AssertionError("no <command-args> in the request")


def protocol_sent(request: Request) -> bool:
    """Whether the CLI attached the argument-passing protocol to the conversation."""
    heading = PROTOCOL.read_text(encoding="utf-8").splitlines()[0]
    return any(heading in block for block in user_texts(request))


def single_quote(word: str) -> str:
    """The protocol's quoting rule: every word in '…', each ' written as '\\''."""
    return "'" + word.replace("'", "'\\''") + "'"


def follow_command(command: str, calls: list[dict], description: str):
    """A turn that does what the expanded command asks: split the arguments, fill in the
    invocation the command shows, run it with Bash. The call made is appended to ``calls``."""

    def turn(request: Request) -> list[dict]:
        body = command_body(request, command)
        shown = INVOCATION.search(body)
        assert shown, f"the command shows no invocation with 'WORD1' in backticks:\n{body}"
        assert protocol_sent(request), f"{PROTOCOL.name} was not attached to the expanded {command}"
        before, _, after = shown.group(1).partition("'WORD1'")
        after = re.sub(r"^\s*('WORD2')?\s*(…|\.\.\.)?\s*", " ", after)
        words = shlex.split(command_args(request), posix=True)
        call = tool("Bash", command=before + " ".join(single_quote(w) for w in words) + after.rstrip(),
                    description=description, timeout=600000)
        calls.append(call)
        return [call]

    return turn


def result_json(output: str) -> dict:
    """The JSON result in a Bash tool result (mlmon's --format json output)."""
    start = output.find("{")
    assert start >= 0, f"no JSON result in the Bash output:\n{output}"
    return json.loads(output[start:output.rfind("}") + 1])
