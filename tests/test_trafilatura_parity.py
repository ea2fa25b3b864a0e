"""Where the pipeline does trafilatura's work its own faster way, it gets trafilatura's answers.

* ``pipelines.extraction.parse_html`` builds the tree ``trafilatura.load_html`` builds;
* ``pipelines.pagemeta.page_metadata`` gives ``extract_metadata``'s title, author, date,
  description, tags and categories.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from lxml import html as lxml_html
from trafilatura import metadata as tm

from crawler.evaluation import load_benchmark
from pipelines.extraction import decode_html, parse_html
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


def test_parse_html_builds_trafilaturas_tree(pages) -> None:
    for url, html in pages:
        text = decode_html(html, "text/html")
        ours, theirs = parse_html(text), trafilatura.load_html(text)
        assert lxml_html.tostring(ours) == lxml_html.tostring(theirs), url
        assert isinstance(ours, lxml_html.HtmlElement) and hasattr(ours, "text_content")
    # Not HTML at all: None, as trafilatura says; an empty document: trafilatura's answer too.
    for text in ("just some text, no markup", "{\"json\": true}", "<p>x</p>", ""):
        theirs = trafilatura.load_html(text)
        ours = parse_html(text)
        assert (ours is None) == (theirs is None), text
        if ours is not None:
            assert lxml_html.tostring(ours) == lxml_html.tostring(theirs)
