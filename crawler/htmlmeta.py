"""A page's own metadata, read once: ``<meta>`` elements and JSON-LD objects.

Shared by article detection (:mod:`crawler.detection`, which re-exports these names)
and the extraction and dates steps (:mod:`pipelines.article`, :mod:`pipelines.dates`);
a module of its own so that detection can use the dates step's date finder without
an import cycle.
"""

from __future__ import annotations

import json
from typing import Any


def jsonld_objects(tree: Any) -> list[dict[str, Any]]:
    """All JSON-LD objects of a page, ``@graph`` flattened; bad JSON is skipped."""
    out: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "")
        except (ValueError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if not isinstance(obj, dict):
                continue
            out.append(obj)
            graph = obj.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return out


MetaIndex = dict[tuple[str, str], str]


def meta_index(tree: Any) -> MetaIndex:
    """``(attribute, value) -> content`` of a page's ``<meta property|name|itemprop=... content=...>``.

    The first non-blank content for each key, in document order: one pass over
    the page's ``<meta>`` elements, where looking names up one XPath at a time
    scanned the whole tree three times per name.
    """
    index: MetaIndex = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            value = meta.get(attr)
            if value is not None:
                index.setdefault((attr, value), content.strip())
    return index


def meta_content(tree: Any, *names: str, index: MetaIndex | None = None) -> str | None:
    """Content of the first of ``names`` present as a meta property, name or itemprop.

    ``index`` (:func:`meta_index` of ``tree``) saves the pass over the page when
    several lookups are made.
    """
    if index is None:
        index = meta_index(tree)
    for name in names:
        for attr in ("property", "name", "itemprop"):
            found = index.get((attr, name))
            if found:
                return found
    return None
