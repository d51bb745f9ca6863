"""Every command, skill, agent and hook event the plugin ships has an end-to-end case here: a
test carrying the ``plugin_component`` mark with the part's id (``command:drift-check``,
``hook:PreToolUse``, ...; see plugin_parts.py). Adding a part without a case fails."""

from __future__ import annotations

import re
from pathlib import Path

from plugin_parts import component_ids

MARK = re.compile(r"""@pytest\.mark\.plugin_component\(\s*["']([^"']+)["']\s*\)""")


def covered() -> set[str]:
    found: set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        found.update(MARK.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_plugin_part_has_an_end_to_end_case():
    missing = [part for part in component_ids() if part not in covered()]
    assert missing == [], f"plugin parts without an end-to-end case in tests/e2e: {missing}"


def test_every_case_names_a_part_that_exists():
    known = set(component_ids()) | {"bin:mlmon", "marketplace"}
    assert sorted(covered() - known) == []
