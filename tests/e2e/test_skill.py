"""End to end: the ml-monitoring skill is offered to the model, loads when invoked through the
Skill tool, and the reference files it links to can be read from where the plugin is loaded."""

from __future__ import annotations

import json
import os
import re

import pytest

from harness import REPO
from plugin_parts import frontmatter
from scripted_api import Request, text, tool

SKILL = REPO / "skills" / "ml-monitoring" / "SKILL.md"
LINK = re.compile(r"\]\(([^)#\s]+\.md)\)")


def skill_body() -> str:
    return SKILL.read_text(encoding="utf-8").split("---", 2)[2]


def read_linked_references(calls: list[dict]):
    """A turn that follows the skill's links: Read each one, relative to the skill's directory."""

    def turn(request: Request) -> list[dict]:
        sent = "\n".join(_texts(request))
        found = re.search(r"Base directory for this skill: (\S+)", sent)
        assert found, f"the skill's base directory was not sent:\n{sent[-3000:]}"
        for link in LINK.findall(skill_body()):
            calls.append(tool("Read", file_path=os.path.normpath(os.path.join(found.group(1), link))))
        return list(calls) or [text("The skill links to nothing.")]

    return turn


def _texts(request: Request) -> list[str]:
    out = []
    for message in request.messages:
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        out += [b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    return out


@pytest.mark.plugin_component("skill:ml-monitoring")
def test_skill_is_listed_loads_and_its_references_resolve(claude):
    name = frontmatter(SKILL)["name"]
    description = frontmatter(SKILL)["description"]
    calls: list[dict] = []
    invoke = tool("Skill", skill=f"ml-monitoring:{name}")
    run = claude("My fraud model's inputs look different this week.",
                 [[invoke], read_linked_references(calls), [text("Read.")]])

    assert run.returncode == 0, run.explain()
    first = run.api.main_requests[0]
    offered = json.dumps(first.body, ensure_ascii=False)
    assert f"ml-monitoring:{name}" in offered and json.dumps(description, ensure_ascii=False)[1:-1] in offered, \
        "the skill and its description are not offered to the model"

    loaded = "\n".join(_texts(run.api.main_requests[1]))
    assert "${CLAUDE_PLUGIN_ROOT}" not in loaded.split("Base directory for this skill:")[-1]
    missing = [line for line in skill_body().splitlines()
               if line.strip() and "${" not in line and line.strip() not in loaded]
    assert missing == [], f"skill lines not sent to the model: {missing[:5]}\n{run.explain()}"

    assert calls, "SKILL.md links to no reference file"
    for call in calls:
        result = run.api.result_of(call)
        target = REPO / os.path.relpath(call["input"]["file_path"], REPO)
        heading = target.read_text(encoding="utf-8").splitlines()[0]
        assert heading in result, f"reading {call['input']['file_path']} did not return the file:\n{result[:500]}"
