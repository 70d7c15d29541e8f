"""docs/instructor.md quotes every file of its worked example, docs/examples/daytime/, as it is."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = DOCS / "examples" / "daytime"
QUOTE = re.compile(r"^<!-- quoted: (?P<path>\S+) -->\n```[a-z]*\n(?P<text>.*?)^```$", re.MULTILINE | re.DOTALL)


def quotes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in QUOTE.finditer((DOCS / "instructor.md").read_text(encoding="utf-8")):
        found.setdefault(m["path"], []).append(m["text"])
    return found


def test_every_quote_is_its_file_as_it_is() -> None:
    found = quotes()
    assert found, "no quoted file found: each is `<!-- quoted: examples/... -->` then a fenced block"
    for path, texts in found.items():
        assert len(texts) == 1, f"{path} is quoted {len(texts)} times"
        assert texts[0] == (DOCS / path).read_text(encoding="utf-8"), f"the quote of {path} differs from the file"


def test_every_file_of_the_example_is_quoted() -> None:
    files = {str(p.relative_to(DOCS)) for p in EXAMPLE.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert set(quotes()) == files


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_the_page_name_its_sections() -> None:
    anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", (DOCS / "instructor.md").read_text(), re.MULTILINE)}
    pages = [DOCS.parent / "README.md", DOCS.parent / "CONTRIBUTING.md", *DOCS.glob("*.md")]
    linked = {(page.name, a) for page in pages for a in re.findall(r"instructor\.md#([\w-]+)", page.read_text())}
    assert linked and {(page, a) for page, a in linked if a not in anchors} == set()
