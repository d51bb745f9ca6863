"""pyproject.toml declares exactly the requirements the launcher and the test command install, so
`pip install .` gets the same environment as `bin/mlmon` and `scripts/test`."""

from __future__ import annotations

import re

from mlmon_testing import ROOT


def requirement_lines(name: str) -> set[str]:
    lines = (ROOT / "scripts" / name).read_text().splitlines()
    return {line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()}


def pyproject_list(key: str) -> set[str]:
    text = (ROOT / "pyproject.toml").read_text()
    found = re.search(rf"^{key}\s*=\s*\[(.*?)\]\s*$", text, re.S | re.M)
    assert found, f"{key} not in pyproject.toml"
    return set(re.findall(r'"([^"]+)"', found.group(1)))


def test_runtime_dependencies_match_the_launchers_requirements():
    assert pyproject_list("dependencies") == requirement_lines("requirements.txt")


def test_test_extra_matches_the_test_requirements():
    assert pyproject_list("test") == requirement_lines("requirements-dev.txt")
