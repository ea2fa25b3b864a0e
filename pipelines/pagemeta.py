"""trafilatura's page metadata, computed once per page.

:func:`page_metadata` is trafilatura's ``extract_metadata`` limited to the
fields the article record uses (title, author, date, description, tags,
categories) and built from the same trafilatura and htmldate functions:

* it runs once per page, not once per extraction pass (the extraction
  pipeline can run trafilatura up to four times on a page: precision or
  default mode, fast or with the readability/jusText comparison);
* category and tag links are looked for with trafilatura's ten XPath scans
  only when the page links to a ``/categor...`` or ``/tag...`` URL at all
  (trafilatura keeps only such links): on seven in ten benchmark pages it
  does not;
* the licence, site name and URL that the record does not use are not looked
  for.

Extraction with ``with_metadata=False`` plus this function measured 24.5
instead of 31 ms of worker CPU per page on the Zyte benchmark, with the same
metadata (``tests/test_pagemeta.py`` compares it with trafilatura's).
"""

from __future__ import annotations

import logging
from html import unescape
from typing import Any

from htmldate import find_date
from lxml.etree import XPath
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_title,
)
from trafilatura.settings import Document
from trafilatura.utils import line_processing

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


def page_metadata(tree: Any, url: str) -> Document:
    """trafilatura's metadata of a page: title, author, date, description, tags, categories.

    ``url`` (the canonical URL when known) serves htmldate's URL date search
    when the page names none of its own.
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


__all__ = ["DATE_PARAMS", "page_metadata"]
