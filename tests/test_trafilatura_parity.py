"""Where the pipeline does trafilatura's work its own faster way, it gets trafilatura's answers.

* ``pipelines.article.parse_html`` builds the tree ``trafilatura.load_html`` builds;
* ``pipelines.pagemeta.page_metadata`` gives ``extract_metadata``'s title, author, date,
  description, tags and categories, and ``extract_author`` trafilatura's author fallback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from lxml import html as lxml_html
from trafilatura import metadata as tm

from pipelines.article import parse_html
from pipelines.charset import decode_html
from pipelines.pagemeta import DATE_PARAMS, extract_author, page_metadata
from tests.support.evaluation import load_benchmark

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
        assert extract_author(_tree(html)) == theirs, url
        found += theirs is not None
    assert found >= 100  # real authors were compared, not only Nones
    odd = (
        "<html><body><p>x</p><div class='byline'>By <a>Jane Roe</a><time>3 March</time>, Damascus"
        "<div class='comments'>Joe Bloggs wrote</div></div><span><rel>me</rel>Sam Poe</span>"
        "<author>Ann Other</author><aside class='sidebar'><span class='author'>Not Me</span></aside></body></html>"
    )
    assert extract_author(lxml_html.fromstring(odd)) == tm.extract_author(lxml_html.fromstring(odd)) is not None
    for html in (odd.replace("<author>Ann Other</author>", ""), odd.replace("class='byline'", "")):
        assert extract_author(lxml_html.fromstring(html)) == tm.extract_author(lxml_html.fromstring(html))


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
