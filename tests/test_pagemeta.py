"""pipelines.pagemeta gives trafilatura's own metadata answers, computed once and without copying the page."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from lxml import html as lxml_html
from trafilatura import metadata as tm

from crawler.evaluation import load_benchmark
from pipelines.extraction import decode_html
from pipelines.pagemeta import DATE_PARAMS, extract_author, page_metadata

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


def test_author_fallback_matches_trafilatura(pages) -> None:
    found = 0
    for url, html in pages:
        theirs = tm.extract_author(_tree(html))
        ours = extract_author(_tree(html))
        assert ours == theirs, url
        found += theirs is not None
    assert found >= 100  # the comparison covered real author fallbacks, not only Nones


def test_page_metadata_matches_trafilatura_and_leaves_the_page_alone(pages) -> None:
    for url, html in pages:
        theirs = tm.extract_metadata(_tree(html), url or None, dict(DATE_PARAMS))
        tree = _tree(html)
        before = lxml_html.tostring(tree)
        ours = page_metadata(tree, url)
        assert lxml_html.tostring(tree) == before, url
        for field in ("title", "author", "date", "description", "tags", "categories"):
            assert getattr(ours, field) == getattr(theirs, field), (url, field)


def test_discarded_sections_are_left_out_of_the_author_text() -> None:
    html = (
        "<html><body><p>x</p><div class='byline'>By <a>Jane Roe</a><time>3 March</time>, Damascus"
        "<div class='comments'>Joe Bloggs wrote</div></div></body></html>"
    )
    assert extract_author(lxml_html.fromstring(html)) == tm.extract_author(lxml_html.fromstring(html))
    assert "March" not in (extract_author(lxml_html.fromstring(html)) or "March")
