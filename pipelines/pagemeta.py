"""trafilatura's page metadata, computed once per page.

:func:`page_metadata` is trafilatura's ``extract_metadata`` limited to the
fields the article record uses (title, author, date, description, tags,
categories) and built from the same trafilatura and htmldate functions:

* it runs once per page, not once per extraction pass (the extraction
  pipeline can run trafilatura up to four times on a page: precision or
  default mode, fast or with the readability/jusText comparison);
* the author fallback (when the meta tags and JSON-LD name nobody) tests
  trafilatura's author and discard XPaths in one walk of the page instead of
  five scans of a copy of it (:func:`extract_author`);
* category and tag links are looked for with trafilatura's ten XPath scans
  only when the page links to a ``/categor...`` or ``/tag...`` URL at all
  (trafilatura keeps only such links): on seven in ten benchmark pages it
  does not;
* the licence, site name and URL that the record does not use are not looked
  for.

Extraction with ``with_metadata=False`` plus this function measured 24.5
instead of 31 ms of worker CPU per page on the Zyte benchmark, with the same
metadata (tests/test_trafilatura_parity.py compares it with trafilatura's).
"""

from __future__ import annotations

import copy
import logging
import re
from html import unescape
from typing import Any

from htmldate import find_date
from lxml import etree
from lxml.etree import XPath
from trafilatura.metadata import (
    examine_meta,
    extract_catstags,
    extract_meta_json,
    extract_title,
    normalize_authors,
)
from trafilatura.settings import Document
from trafilatura.utils import line_processing, trim
from trafilatura.xml import delete_element

logger = logging.getLogger(__name__)

# Markup-only date search: htmldate's free-text search takes copyright lines
# ("© 2025") for publication dates; an unknown date stays null.
DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True}


# trafilatura's extract_catstags keeps only links whose href matches "/categor(y|ies|s)?/"
# or "/tag(s)?/": a page without any such link has none to give.
_LINKS_TO = {
    "category": XPath("//a[@href][contains(@href, '/categor')]"),
    "tag": XPath("//a[@href][contains(@href, '/tag')]"),
}
# extract_catstags' fallback for categories when no link qualifies.
_SECTION_META = XPath('.//head//meta[@property="article:section" or contains(@name, "subject")][@content]')


def _catstags(kind: str, tree: Any) -> list[str]:
    """``trafilatura.metadata.extract_catstags(kind, tree)``, without its scans when no link can qualify."""
    if _LINKS_TO[kind](tree):
        return list(extract_catstags(kind, tree))
    if kind != "category":
        return []
    values = (element.attrib["content"] for element in _SECTION_META(tree))
    return [r for r in dict.fromkeys(line_processing(x) for x in values if x) if r]


# trafilatura.xpaths.AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS as Python tests on one walk of
# the page (five XPath scans of every element, after a copy of the whole page, cost
# trafilatura 5.7 ms per benchmark page that needs them; this 1.3 ms).
# tests/test_trafilatura_parity.py checks the answers stay trafilatura's.
_AUTHOR_CLASS_0 = re.compile("author-?name|AuthorName|authorName")
_AUTHOR_ID_1 = re.compile("author|zuozhe|bianji|xiaobian")
_AUTHOR_CLASS_1 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_AUTHOR_ID_2 = re.compile("[Aa]uthor")
_AUTHOR_CLASS_2 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    "|print|category|meta-date|meta-reviewer"
)
_TAGS_0 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_TAGS_1 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})


def _author_candidates(tree: Any) -> tuple[list[list[Any]], set[Any]]:
    """Elements each AUTHOR_XPATHS expression selects, in document order, and the discarded ones."""
    found: list[list[Any]] = [[], [], []]
    discarded: set[Any] = set()
    # XPath's rel='me': a child element <rel> whose text is "me".
    rel_me = {rel.getparent() for rel in tree.iter("rel") if rel.text_content() == "me"}
    for el in tree.iter(etree.Element):
        tag = el.tag
        if tag in ("time", "figure"):
            discarded.add(el)
        attrib = el.attrib
        if not attrib and tag != "author" and el not in rel_me:
            continue
        cls, ident = attrib.get("class"), attrib.get("id")
        itemprop, component = attrib.get("itemprop"), attrib.get("data-component")
        if tag in _DISCARD_TAGS and el is not tree and (
            ident == "comments" or cls in ("comments", "title", "date")
            or (ident is not None and _DISCARD_ID.search(ident))
            or (cls is not None and _DISCARD_CLASS.search(cls))
            or (component is not None and "Figure" in component)
        ):
            discarded.add(el)
        if tag == "author" or (tag in _TAGS_0 and (
            attrib.get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
            or attrib.get("data-testid") in ("AuthorCard", "AuthorURL")
            or (cls is not None and _AUTHOR_CLASS_0.search(cls))
            or el in rel_me
        )):
            found[0].append(el)
        if tag in _TAGS_1 and (
            cls in ("byline", "username", "byl", "BBL")
            or (itemprop is not None and "author" in itemprop)
            or (ident is not None and _AUTHOR_ID_1.search(ident))
            or (cls is not None and _AUTHOR_CLASS_1.search(cls))
        ):
            found[1].append(el)
        if (
            (component is not None and "Byline" in component)
            or (itemprop is not None and "author" in itemprop)
            or (ident is not None and _AUTHOR_ID_2.search(ident))
            or (cls is not None and _AUTHOR_CLASS_2.search(cls))
        ):
            found[2].append(el)
    return found, discarded


def extract_author(tree: Any) -> str | None:
    """``trafilatura.metadata.extract_author``: the first author-like element's text, 3-119 characters.

    trafilatura deletes comment, date, figure, share ... sections from a copy
    of the page and then runs its three author XPaths.  Here one walk finds
    both; an author-like element inside a discarded section is skipped, and
    only a candidate's own subtree is copied to delete discarded sections from
    its text (a deleted element's tail text stays, as in trafilatura).
    """
    found, discarded = _author_candidates(tree)
    for candidates in found:
        for elem in candidates:
            if elem in discarded or any(a in discarded for a in elem.iterancestors()):
                continue
            content = trim(" ".join(_pruned_copy(elem, discarded).itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def _pruned_copy(elem: Any, discarded: set[Any]) -> Any:
    inner = [i for i, node in enumerate(elem.iterdescendants()) if node in discarded]
    if not inner:
        return elem
    clone = copy.deepcopy(elem)
    nodes = list(clone.iterdescendants())
    for i in inner:
        delete_element(nodes[i])
    return clone


def page_metadata(tree: Any, url: str, author_scan: list[str | None] | None = None) -> Document:
    """trafilatura's metadata of a page: title, author, date, description, tags, categories.

    ``url`` (the canonical URL when known) serves htmldate's URL date search
    when the page names none of its own.  ``author_scan``, when given, receives the
    result of the page scan for an author (:func:`extract_author`) if one was made, so
    the caller need not scan the same tree again.
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as exc:  # trafilatura's JSON-LD code has had bugs on odd input
        logger.debug("trafilatura's JSON-LD metadata failed on %s: %r", url, exc)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
        if author_scan is not None:
            author_scan.append(metadata.author)
    metadata.date = find_date(tree, url=metadata.url or url, **DATE_PARAMS)
    if not metadata.categories:
        metadata.categories = _catstags("category", tree)
    if not metadata.tags:
        metadata.tags = _catstags("tag", tree)
    for slot in ("title", "author", "description"):
        value = getattr(metadata, slot)
        if isinstance(value, str):
            setattr(metadata, slot, line_processing(unescape(value[:9999] + "…" if len(value) > 10000 else value)))
    return metadata


__all__ = ["DATE_PARAMS", "extract_author", "page_metadata"]
