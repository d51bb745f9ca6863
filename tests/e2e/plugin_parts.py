"""What the checkout's plugin consists of, read from its files the way Claude Code finds them:
commands/*.md, skills/*/SKILL.md, agents/*.md and the events wired in hooks/hooks.json."""

from __future__ import annotations

import json

import yaml

from harness import REPO


def frontmatter(path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    return yaml.safe_load(text.split("---", 2)[1]) or {}


def command_names() -> list[str]:
    return sorted(p.stem for p in (REPO / "commands").glob("*.md"))


def skill_names() -> list[str]:
    return sorted(frontmatter(p).get("name") or p.parent.name for p in (REPO / "skills").glob("*/SKILL.md"))


def agent_names() -> list[str]:
    return sorted(frontmatter(p).get("name") or p.stem for p in (REPO / "agents").glob("*.md"))


def hook_events() -> list[str]:
    path = REPO / "hooks" / "hooks.json"
    if not path.exists():
        return []
    return sorted(json.loads(path.read_text(encoding="utf-8")).get("hooks", {}))


def component_ids() -> list[str]:
    """One id per part that needs an end-to-end case, as used in @pytest.mark.plugin_component."""
    return (
        [f"command:{n}" for n in command_names()]
        + [f"skill:{n}" for n in skill_names()]
        + [f"agent:{n}" for n in agent_names()]
        + [f"hook:{e}" for e in hook_events()]
    )
