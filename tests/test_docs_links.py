"""The guide is one page per domain with GUIDE.md as its contents page: every relative link in the
prose (README, references, the skill, commands, agents) reaches a file and, with a #fragment, a
heading of that file; the contents page lists every page; no text points into the numbered
sections the guide once had."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / "references"
PROSE = sorted([ROOT / "README.md", *REFERENCES.glob("*.md"), *(ROOT / "skills").rglob("*.md"),
                *(ROOT / "commands").glob("*.md"), *(ROOT / "agents").glob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found, fence = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (m := re.match(r"^#{1,6} (.*)$", line)):
            found.add(slug(m.group(1)))
    return found


def test_slug_matches_githubs_anchors():
    assert slug("Known weaknesses and mlmon's variants") == "known-weaknesses-and-mlmons-variants"
    assert slug("On a Dask cluster (`--engine dask`)") == "on-a-dask-cluster---engine-dask"


@pytest.mark.parametrize("doc", PROSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_heading(doc):
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            broken.append(target)
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(target)
    assert broken == []


def test_the_contents_page_lists_every_page_of_the_guide():
    listed = set(LINK.findall((REFERENCES / "GUIDE.md").read_text(encoding="utf-8")))
    pages = {p.name for p in REFERENCES.glob("*.md")} - {"GUIDE.md"}
    assert pages - listed == set()


@pytest.mark.parametrize("doc", [*PROSE, *sorted((ROOT / "scripts" / "mlmon").rglob("*.py"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_into_the_old_numbered_guide(doc):
    text = doc.read_text(encoding="utf-8")
    assert re.findall(r"GUIDE(?:\.md)?,? (?:section|§|\")", text) == []
