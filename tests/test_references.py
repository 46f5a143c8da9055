"""docs/references.md: every entry is cited by some page, and every citation names an entry."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
REFERENCES = DOCS / "references.md"


def _entries() -> list[str]:
    return re.findall(r"^\{: #([a-z0-9]+) \}$", REFERENCES.read_text(), flags=re.M)


def _citations() -> dict[str, set[str]]:
    """anchor -> the pages (other than references.md) that link to it."""
    cited: dict[str, set[str]] = {}
    for page in sorted(DOCS.rglob("*")):
        if page.suffix not in (".md", ".ipynb") or page == REFERENCES:
            continue
        for anchor in re.findall(r"references\.md#([A-Za-z0-9_-]+)", page.read_text()):
            cited.setdefault(anchor, set()).add(str(page.relative_to(DOCS)))
    return cited


def test_entries_are_unique_and_well_formed():
    entries = _entries()
    assert len(entries) >= 40
    assert len(entries) == len(set(entries))
    # each anchor is the first author's surname and the year, as the pages cite it
    assert all(re.fullmatch(r"[a-z]+\d{4}[a-z]?", e) for e in entries), entries


def test_every_entry_is_cited_somewhere():
    cited = _citations()
    uncited = [e for e in _entries() if e not in cited]
    assert not uncited, f"listed in references.md but cited on no page: {uncited}"


def test_every_citation_names_an_entry():
    entries = set(_entries())
    dangling = {a: sorted(pages) for a, pages in _citations().items() if a not in entries}
    assert not dangling, f"cited but not listed in references.md: {dangling}"
