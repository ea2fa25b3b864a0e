"""pipelines.pagemeta gives trafilatura's own metadata answers (computed once per page)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from lxml import html as lxml_html
from trafilatura import metadata as tm

from crawler.evaluation import load_benchmark
from pipelines.extraction import decode_html
from pipelines.pagemeta import DATE_PARAMS, page_metadata

FIXTURES = Path(__file__).parent / "fixtures"


def _pages() -> list[tuple[str, bytes]]:
    pages = [(url or "", html) for _, url, _, html in load_benchmark()]
    pages += [("", p.read_bytes()) for p in sorted(FIXTURES.rglob("*.html"))]
    return pages


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    return _pages()


def _tree(html: bytes):
    return trafilatura.load_html(decode_html(html, "text/html"))


def test_page_metadata_matches_trafilatura_and_leaves_the_page_alone(pages) -> None:
    authors = 0
    for url, html in pages:
        theirs = tm.extract_metadata(_tree(html), url or None, dict(DATE_PARAMS))
        tree = _tree(html)
        before = lxml_html.tostring(tree)
        ours = page_metadata(tree, url)
        assert lxml_html.tostring(tree) == before, url
        for field in ("title", "author", "date", "description", "tags", "categories"):
            assert getattr(ours, field) == getattr(theirs, field), (url, field)
        authors += ours.author is not None
    assert authors >= 100  # real answers were compared, not only Nones
