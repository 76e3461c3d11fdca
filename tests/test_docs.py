"""The documentation holds together: every setting of `settings.py` is in
docs/configuration.md, every page of docs/ is on README's map, and every relative link
(and its #anchor) leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hookline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", page.read_text(), re.M)}


def test_every_setting_is_in_the_configuration_reference():
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = [
        f"HOOKLINE_{name.upper()}"
        for name in Settings.model_fields
        if f"`HOOKLINE_{name.upper()}`" not in documented
    ]
    assert missing == []


def test_every_page_of_docs_is_on_the_readme_map():
    readme = (ROOT / "README.md").read_text()
    unlisted = [p.name for p in PAGES[1:] if f"](docs/{p.name})" not in readme]
    assert unlisted == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_somewhere(page: Path):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):  # https:, mailto: …
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in _anchors(file)):
            broken.append(target)
    assert broken == []


def test_the_architecture_page_names_only_modules_that_exist():
    """docs/architecture.md walks a message through the code by module path: a module
    renamed or removed must take the page with it."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`([a-z_/]+(?:\.py|/))`", page))
    src = ROOT / "src" / "hookline"
    missing = sorted(p for p in named if not (src / p).exists() and not (ROOT / p).exists())
    assert len(named) > 30  # the walk names the modules at each step
    assert missing == []
