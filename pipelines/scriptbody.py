"""Article bodies held in the page's scripts rather than its HTML.

Some pages render their text in the browser: the HTML holds a shell and the
body travels in JSON-LD (``articleBody``) or in a framework's embedded page
data — Next.js's ``__NEXT_DATA__`` JSON, its app-router stream
(``self.__next_f.push([1, "…"])``), or a state object assigned or pushed in a
script (``window.__STATE__ = {…}``, ``window["…"].push({…})``).  When the
extraction from the HTML found (almost) nothing, :func:`script_body` looks for
the body there:

* ``jsonld``: the ``articleBody`` string of the page's article JSON-LD;
* ``embedded-json``: the string value of the embedded data that holds the most
  paragraph text (an HTML fragment's ``<p>``/heading/list blocks outside
  figures and captions, or plain text split at line breaks).

Only the shape of the data is used (no framework- or site-specific keys), and
the caller takes the result only when it is much longer than what the HTML
gave (:func:`pipelines.article.extract_article`; ``extractor["source"]`` of
the record says where the text came from: ``html``, ``jsonld`` or
``embedded-json``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from lxml import html as lxml_html

SCRIPT_BODY_BELOW_CHARS = 1000  # looked for only when the HTML gave less body text than this
MIN_STRING_CHARS = 200  # shorter strings are never a body
MAX_SCRIPT_CHARS = 5_000_000  # larger scripts are not parsed
MAX_STRINGS = 20_000  # strings looked at per page
_BLOCKS = ("p", "h2", "h3", "h4", "li", "blockquote")
_SKIP_ANCESTORS = {"figure", "figcaption", "aside", "nav", "footer", "script", "style"}
_CAPTION = re.compile(r"(?:^|[\s_-])(?:caption|credit|photo-?info|img-?desc)(?:$|[\s_-])", re.IGNORECASE)
# Where a JSON value starts inside a script: after an assignment, a push( or a return.
_JSON_START = re.compile(r"(?:=|\.push\(|\breturn)\s*(?=[\[{])")
_MARKUP = re.compile(r"<(?:p|br|div|h[2-4]|li)\b", re.IGNORECASE)
# Prose: words separated by spaces, or a script written without them (CJK, Thai).
_PROSE = re.compile(r"\s|[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff]")


_CODE_CHARS = re.compile(r'[{}\[\]"\\=<>|$]|\\u00|https?:')


def _is_prose(block: str) -> bool:
    """A sentence-like block: words (or CJK/Thai script), hardly any code or JSON punctuation."""
    return len(block) >= 20 and _PROSE.search(block) is not None and len(_CODE_CHARS.findall(block)) <= len(block) / 50


def _blocks_from_html(fragment: str) -> list[str]:
    """Paragraph-like blocks of an HTML fragment, outside figures and captions."""
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    out: list[str] = []
    for el in root.iter(*_BLOCKS):
        if any(a.tag in _BLOCKS for a in el.iterancestors()):
            continue  # its text is in the enclosing block
        if any(a.tag in _SKIP_ANCESTORS or _CAPTION.search(a.get("class") or "") for a in [el, *el.iterancestors()]):
            continue
        text = " ".join(el.text_content().split())
        if text:
            out.append(text)
    if not out:  # markup without blocks: text split at <br> and block ends
        for br in root.iter("br"):
            br.tail = "\n" + (br.tail or "")
        out = _blocks_from_text(root.text_content())
    return out


def _blocks_from_text(text: str) -> list[str]:
    return [line for line in (" ".join(part.split()) for part in re.split(r"\n+", text)) if line]


_INLINE = re.compile(r"<[a-z]|&(?:[a-z]+|#\d+);", re.IGNORECASE)


def blocks_of(value: str) -> list[str]:
    """A string value as body blocks: parsed as HTML when it holds block markup, else split at line breaks.

    Blocks that look like code or JSON (see :func:`_is_prose`) are left out.
    """
    if _MARKUP.search(value):
        blocks = _blocks_from_html(value)
    elif _INLINE.search(value):  # inline markup or entities only
        blocks = _blocks_from_text(html.unescape(re.sub(r"<[^>]*>", "", value)))
    else:
        blocks = _blocks_from_text(value)
    return [b for b in blocks if len(_CODE_CHARS.findall(b)) <= len(b) / 50]


def _strings(value: Any, budget: list[int]) -> Iterator[str]:
    """Long string values of a JSON value (depth first), at most ``MAX_STRINGS`` in all."""
    stack = [value]
    while stack and budget[0] > 0:
        item = stack.pop()
        if isinstance(item, str):
            budget[0] -= 1
            if len(item) >= MIN_STRING_CHARS:
                yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _json_values(text: str) -> Iterator[Any]:
    """JSON values in a script: the whole text, or values after ``=``, ``.push(`` or ``return``."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            yield json.loads(stripped)
            return
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for match in _JSON_START.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, match.end())
        except ValueError:
            continue
        yield value


def _embedded_strings(tree: Any) -> Iterator[str]:
    budget = [MAX_STRINGS]
    for script in tree.iter("script"):
        if script.get("src") or "ld+json" in (script.get("type") or "").lower():
            continue
        text = script.text or ""
        if len(text) < MIN_STRING_CHARS or len(text) > MAX_SCRIPT_CHARS:
            continue
        for value in _json_values(text):
            for string in _strings(value, budget):
                yield string
                # A streamed chunk may itself be "<id>:<JSON>" (React server components).
                head = string[:12]
                colon = head.find(":")
                if 0 < colon < 10 and string[colon + 1 : colon + 2] in ("{", "["):
                    try:
                        inner = json.loads(string[colon + 1 :])
                    except ValueError:
                        continue
                    yield from _strings(inner, budget)


def _jsonld_body(ld: dict[str, Any]) -> list[str]:
    body = ld.get("articleBody")
    if isinstance(body, list):
        body = "\n".join(b for b in body if isinstance(b, str))
    return blocks_of(body) if isinstance(body, str) else []


def script_body(tree: Any, ld: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(source, blocks) of the longest body found in the page's scripts, or None.

    ``ld``: the page's article JSON-LD object (``{}`` if none).  The source is
    ``"jsonld"`` or ``"embedded-json"``; JSON-LD wins when it is at least as long.
    """
    best: tuple[str, list[str]] | None = None
    best_len = 0
    jsonld = _jsonld_body(ld)
    if jsonld:
        best, best_len = ("jsonld", jsonld), sum(map(len, jsonld))
    seen: set[int] = set()
    for string in _embedded_strings(tree):
        key = hash(string)
        if key in seen or len(string) <= best_len:
            continue  # a string shorter than the best body cannot hold more text
        seen.add(key)
        blocks = blocks_of(string)
        # A body is prose: several blocks, most of them sentences, not one long token (a URL, a hash, code).
        chars = sum(len(b) for b in blocks if _is_prose(b))
        if chars > best_len:
            best, best_len = ("embedded-json", blocks), chars
    return best
