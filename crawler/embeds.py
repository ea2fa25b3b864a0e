"""Page resources ("embeds", Heritrix hop type ``E``) of an HTML page and of a CSS stylesheet.

An *embed* is a resource a reader's browser loads to render the page it is on:
images (``src``, every ``srcset`` candidate, and the lazy-load copies WordPress
plugins keep in ``data-src``, ``data-lazy-src``, ``data-original``,
``data-srcset``, ``data-lazy-srcset`` and Jetpack's ``data-orig-file``,
``data-large-file``, ``data-medium-file``), ``<picture>`` sources, video
posters and sources, audio, text tracks, stylesheets, scripts, fonts,
preloads, icons, the web-app manifest, the share images of ``og:image`` /
``twitter:image`` / ``itemprop=image`` meta elements, the ``url()``
references of inline ``<style>`` blocks and ``style=""`` attributes, and the
old ``background`` attributes.  An archive needs them to replay the page as it
looked.

Not embeds, so never returned:

* ``<a href>`` links and ``<link rel=alternate|canonical|next|prev|amphtml>``
  (and every other ``rel`` not listed below): they are other pages
  (Heritrix hop ``L``), found by the link extraction;
* ``<iframe src>`` / ``<frame src>``: an iframe holds a *page* (a YouTube
  player, an ad, a tweet) with embeds of its own, not a resource of this page;
  it is not fetched as an embed here;
* ``<link rel=prefetch|dns-prefetch|preconnect>``: hints for later
  navigations or host names, not resources of this page;
* ``<script src>`` of a type that is not JavaScript (``application/ld+json``,
  ``text/template``); module scripts, ``nomodule`` scripts and Cloudflare
  Rocket Loader's renamed ``<hash>-text/javascript`` ones are kept;
* URLs that are not ``http(s)`` after resolution (``data:`` placeholders,
  ``blob:``, ``javascript:``, ``about:``, ``mailto:``), fragment-only
  references (``#top``, an SVG ``url(#clip)``), and the page's (or
  stylesheet's) own URL.

Each :class:`Embed` carries an absolute URL (resolved against ``<base href>``
when the page has one, else against the page URL; leading/trailing
whitespace and controls stripped, tabs and newlines removed, backslashes
read as slashes before the query, as browsers do, fragment removed; not
percent-encoded: the request layer does that), a ``kind`` (``image``,
``stylesheet``, ``script``, ``font``, ``icon``, ``media``, ``other``) and a
Heritrix-style ``context``, the path of where it was found:

* ``TAG/@ATTR`` for attributes: ``img/@src``, ``img/@srcset``,
  ``img/@data-src``, ``img/@data-lazy-srcset``, ``source/@srcset``,
  ``source/@src``, ``video/@poster``, ``video/@src``, ``audio/@src``,
  ``track/@src``, ``link/@href``, ``link/@imagesrcset``, ``script/@src``,
  ``script/@data-rocket-src``, ``meta/@content``, ``input/@src``,
  ``embed/@src``, ``object/@data``, ``body/@background``,
  ``td/@background``, ``image/@href``, ``use/@href`` ...;
* ``style/url()``, ``style/@import``, ``style/image-set()`` for an inline
  ``<style>`` block, ``@style/url()`` (``@style/image-set()``) for a
  ``style=""`` attribute;
* ``css/@import``, ``css/url()``, ``css/image-set()`` for a stylesheet
  (:func:`css_embeds`);
* ``noscript/`` before any of these for what was found in a ``<noscript>``
  fallback (``noscript/img/@src``, ``noscript/style/url()``), whether the
  parser kept the fallback as elements (libxml2) or as text (an HTML5
  parser; the text is parsed as a fragment).

Both extractors return ``(embeds, total)``: the embeds deduplicated by URL
(the first occurrence, in document order, wins), cut to ``limit`` when a
limit is given, and the number of distinct embeds found before the cut, so a
caller can tell (and count) what it left out.  A limit below 0 counts as 0.
The work is linear in the size of the input whatever the limit (every
regular expression is linear-time; nothing is re-scanned), so a 2 MB
stylesheet or a page of 10,000 images costs one pass.

Pure functions over lxml trees and strings: no Scrapy, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

__all__ = ["Embed", "KINDS", "css_embeds", "page_embeds", "parse_srcset"]

KINDS = ("image", "stylesheet", "script", "font", "icon", "media", "other")


@dataclass(frozen=True)
class Embed:
    """One resource of a page or stylesheet (see the module docstring for the three fields)."""

    url: str
    kind: str
    context: str


# -- URLs -------------------------------------------------------------------------------------------

_STRIP = "".join(chr(c) for c in range(0x21))  # C0 controls and space, stripped by the URL parser
_WEB_URL = re.compile(r"https?://[^/?#\\]", re.IGNORECASE)  # an http(s) URL with a host


def _absolute(raw: str | None, base: str) -> str | None:
    """``raw`` resolved against ``base``, without its fragment; None unless it is an http(s) URL."""
    if not raw:
        return None
    value = raw.strip(_STRIP)
    if not value or value.startswith("#"):
        return None
    if "\\" in value:  # browsers read backslashes as slashes in http(s) URLs, up to the query
        cut = min((i for i in (value.find("?"), value.find("#")) if i >= 0), default=len(value))
        value = value[:cut].replace("\\", "/") + value[cut:]
    try:
        url = urljoin(base, value)  # also drops tabs and newlines anywhere, as the URL parser does
    except ValueError:  # a bad IPv6 host, a netloc that changes under NFKC
        return None
    url = url.split("#", 1)[0]  # urljoin keeps the fragment as written: it starts at the first "#"
    return url if _WEB_URL.match(url) else None  # data:, blob:, javascript:, mailto:... end here


class _Collector:
    """Dedup by URL (first wins), cut at ``limit``, count every distinct URL."""

    def __init__(self, self_url: str, limit: int | None) -> None:
        self.seen: set[str] = {self_url.split("#", 1)[0]}  # a resource is not its own embed
        self.embeds: list[Embed] = []
        self.total = 0
        self.limit = None if limit is None else max(limit, 0)

    def add(self, raw: str | None, base: str, kind: str, context: str) -> None:
        url = _absolute(raw, base)
        if url is None or url in self.seen:
            return
        self.seen.add(url)
        self.total += 1
        if self.limit is None or len(self.embeds) < self.limit:
            self.embeds.append(Embed(url, kind, context))

    def result(self) -> tuple[list[Embed], int]:
        return self.embeds, self.total


# -- srcset ---------------------------------------------------------------------------------------------

_SRCSET_SEPARATORS = re.compile(r"[ \t\n\r\f,]*+")
_SRCSET_URL = re.compile(r"[^ \t\n\r\f]++")
# A candidate's descriptors run to the first comma outside parentheses (HTML's srcset parser).
_SRCSET_DESCRIPTORS = re.compile(r"(?:[^,(]|\([^)]*+\)?)*+")


def parse_srcset(value: str) -> list[str]:
    """All candidate URLs of a ``srcset`` attribute, in order, as written (not resolved).

    The HTML standard's parsing: a URL runs to the next whitespace and may
    contain commas (``https://i0.wp.com/x.jpg?resize=300,200&ssl=1 300w``,
    Cloudinary's ``/w_300,h_200,c_fill/``); only commas *ending* a URL
    separate candidates; descriptors (``2x``, ``300w``, ``100h``) run to the
    next comma outside parentheses.  Every candidate is kept, whatever its
    descriptors, as an archive wants every size a browser might pick.
    """
    urls: list[str] = []
    pos, end = 0, len(value)
    while True:
        pos = _SRCSET_SEPARATORS.match(value, pos).end()  # type: ignore[union-attr]  # always matches
        if pos >= end:
            return urls
        m = _SRCSET_URL.match(value, pos)
        assert m is not None  # a separator run stops at a non-space, non-comma character
        url, pos = m.group(), m.end()
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            pos = _SRCSET_DESCRIPTORS.match(value, pos).end()  # type: ignore[union-attr]  # always matches
        if url:
            urls.append(url)


# -- CSS ------------------------------------------------------------------------------------------------

# Strings end at their quote or at the end of the text; one cut by a newline is a "bad string" (skipped, and
# consumed up to the newline as CSS does).
_DQ = r'"(?:[^"\\\n]|\\.)*+(?:"|\Z)'
_SQ = r"'(?:[^'\\\n]|\\.)*+(?:'|\Z)"
_BAD_STRING = r"""["'][^\n]*+"""
_UNQUOTED = r"""(?:[^\s"'()\\]|\\.)*+"""
# A quoted url() may lack its ")" at the end of the text; an unquoted one with no ")" is a bad URL, skipped.
_URL_FN = rf"url\((?<![\w-]url\()\s*+(?:(?:{_DQ}|{_SQ})\s*+\)?|{_UNQUOTED}\s*+\))"
# The lookahead names every token's first character: the regex engine then skips the rest in C.
_CSS_TOKEN = re.compile(
    rf"""
    (?=[/"'uU@iI\-(){{}}])
    (?:
      (?P<comment>/\*.*?(?:\*/|\Z))
    | (?P<string>{_DQ}|{_SQ})
    | (?P<badstring>{_BAD_STRING})
    | (?P<url>{_URL_FN})
    | (?P<import>@import\s*+(?:{_DQ}|{_SQ}|{_URL_FN}))
    | (?P<skip>@(?:namespace|-moz-document|document)\b[^;{{}}]*+)
    | (?P<fontface>@font-face\b)
    | (?P<imageset>(?:-webkit-|-moz-|-o-)?image-set\()
    | (?P<paren>\()
    | (?P<close>\))
    | (?P<brace>\{{)
    | (?P<unbrace>\}})
    )
    """,
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
# The value of a string token or a url() function (also as the target of an @import).
_URL_VALUE = re.compile(
    r"""(?:@import\s*+)?(?:url\(\s*+)?(?:"(?P<dq>(?:[^"\\\n]|\\.)*+)|'(?P<sq>(?:[^'\\\n]|\\.)*+)|(?P<uq>(?:[^\s"'()\\]|\\.)*+))""",
    re.IGNORECASE | re.DOTALL,
)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\n)|(.)|\Z)", re.DOTALL)

_QUERY_OR_FRAGMENT = re.compile(r"[?#]")
_FONT_EXTENSIONS = frozenset({"woff", "woff2", "ttf", "otf", "eot"})


def _unescape_char(m: re.Match[str]) -> str:
    if m.group(1):
        code = int(m.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    if m.group(2):  # an escaped newline continues a string
        return ""
    return m.group(3) or ""  # any other escaped character is itself; a trailing backslash goes


def _css_value(token: str) -> str:
    """The URL written in a string, ``url()`` or ``@import`` token, escapes resolved."""
    m = _URL_VALUE.match(token)
    if m is None:
        return ""
    value = m.group("dq") if m.group("dq") is not None else m.group("sq")
    if value is None:
        value = m.group("uq") or ""
    return _CSS_ESCAPE.sub(_unescape_char, value) if "\\" in value else value


def _extension(url: str) -> str:
    """The lower-cased extension of a URL's last path segment ("" for none)."""
    name = _QUERY_OR_FRAGMENT.split(url, 1)[0].rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _guess_css_kind(raw: str, in_font_face: bool) -> str:
    if in_font_face:
        return "font"
    ext = _extension(raw.strip(_STRIP))
    if ext in _FONT_EXTENSIONS:
        return "font"
    if ext == "css":
        return "stylesheet"
    return "image"  # image extensions and anything else: url() references are mostly backgrounds


def _scan_css(css: str) -> Iterator[tuple[str, str, str]]:
    """``(raw URL, kind, context suffix)`` of a stylesheet's references, in source order.

    One linear pass of one regular expression over the text: comments and
    strings are consumed whole (a ``url()`` inside them is not a reference);
    ``@import`` targets, ``url()`` functions and the strings directly inside
    ``image-set()`` are references.  ``@font-face`` blocks are tracked by brace
    depth, ``image-set()`` by parenthesis depth (reset at every brace, so an
    unbalanced parenthesis cannot make later strings look like URLs).
    ``@namespace`` (and ``@document``) URLs are names, not resources.
    """
    brace_depth = 0
    font_face_depth = 0  # the brace depth of the @font-face block we are in, 0 outside
    font_face_pending = False
    parens: list[bool] = []  # one entry per open parenthesis: is it an image-set()?
    for m in _CSS_TOKEN.finditer(css):
        group = m.lastgroup
        if group == "url" or (group == "string" and parens and parens[-1]):
            raw = _css_value(m.group())
            yield raw, _guess_css_kind(raw, font_face_depth > 0), "url()" if group == "url" else "image-set()"
        elif group == "import":
            yield _css_value(m.group()), "stylesheet", "@import"
        elif group == "imageset":
            parens.append(True)
        elif group == "paren":
            parens.append(False)
        elif group == "close":
            if parens:
                parens.pop()
        elif group == "fontface":
            font_face_pending = True
        elif group == "brace":
            parens.clear()
            brace_depth += 1
            if font_face_pending:
                font_face_depth, font_face_pending = brace_depth, False
        elif group == "unbrace":
            parens.clear()
            if brace_depth == font_face_depth:
                font_face_depth = 0
            brace_depth = max(brace_depth - 1, 0)


def _add_css(collector: _Collector, css: str, base: str, prefix: str) -> None:
    for raw, kind, suffix in _scan_css(css):
        collector.add(raw, base, kind, prefix + suffix)


def css_embeds(css: str, base_url: str, *, limit: int | None = None) -> tuple[list[Embed], int]:
    """The ``@import`` targets and ``url()`` references of a stylesheet, resolved against ``base_url``.

    ``@import "x.css";`` / ``@import url(x.css) screen;`` give kind
    ``stylesheet``, context ``css/@import``.  ``url("...")``, ``url('...')``
    and ``url(unquoted)`` give context ``css/url()``; the strings of
    ``image-set("a.png" 1x, "b.png" 2x)`` (and ``-webkit-image-set``) give
    ``css/image-set()``.  Their kind: ``font`` inside ``@font-face``, else by
    the file extension (``.woff``, ``.woff2``, ``.ttf``, ``.otf``, ``.eot`` →
    ``font``; ``.css`` → ``stylesheet``; images and anything else →
    ``image``).  Comments are ignored, CSS escapes resolved; ``data:`` URIs
    and fragment-only references (``url(#clip)``) are skipped.  An import
    loop (a.css imports b.css, b.css imports a.css) is the fetch side's
    concern: each stylesheet simply lists the other.

    Returns ``(embeds[:limit], total)``, deduplicated by URL, first wins.
    """
    collector = _Collector(base_url, limit)
    _add_css(collector, css, base_url, "css/")
    return collector.result()


# -- HTML -----------------------------------------------------------------------------------------------

_Add = Callable[[str | None, str, str], None]  # (raw URL, kind, context)

# <img> attributes: (attribute, is a srcset).  src and srcset, then the lazy-load plugins' copies
# (lazysizes, a3 Lazy Load, WP Rocket, Smush, jQuery Lazy Load's data-original), then Jetpack's
# carousel sizes.  A data: placeholder in src is skipped with every other non-http(s) URL.
_IMG_ATTRIBUTES: tuple[tuple[str, bool], ...] = (
    ("src", False),
    ("srcset", True),
    ("data-src", False),
    ("data-lazy-src", False),
    ("data-original", False),
    ("data-srcset", True),
    ("data-lazy-srcset", True),
    ("data-orig-file", False),
    ("data-large-file", False),
    ("data-medium-file", False),
)
_PRELOAD_KINDS = {
    "style": "stylesheet",
    "script": "script",
    "worker": "script",
    "font": "font",
    "image": "image",
    "audio": "media",
    "video": "media",
}
_META_KINDS = {
    "og:image": "image",
    "og:image:url": "image",
    "og:image:secure_url": "image",
    "og:video": "media",
    "og:video:url": "media",
    "og:video:secure_url": "media",
    "og:audio": "media",
    "og:audio:url": "media",
    "og:audio:secure_url": "media",
    "twitter:image": "image",
    "twitter:image:src": "image",
    "twitter:player:stream": "media",
    "msapplication-tileimage": "icon",
}
_ITEMPROP_KINDS = {"image": "image", "thumbnailurl": "image"}
# JavaScript MIME type essences (HTML standard), "module", and no type at all.
_JS_TYPES = frozenset(
    {"", "module", "application/ecmascript", "application/javascript", "application/x-ecmascript",
     "application/x-javascript", "text/ecmascript", "text/javascript", "text/javascript1.0",
     "text/javascript1.1", "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
     "text/javascript1.5", "text/jscript", "text/livescript", "text/x-ecmascript", "text/x-javascript"}
)
_NOSCRIPT_DEPTH = 3  # noscript text inside noscript text... parsed this deep, no deeper


def _srcset(add: _Add, value: str | None, kind: str, context: str) -> None:
    if value:
        for url in parse_srcset(value):
            add(url, kind, context)


def _img(el: Any, p: str, add: _Add) -> None:
    for attr, is_srcset in _IMG_ATTRIBUTES:
        value = el.get(attr)
        if is_srcset:
            _srcset(add, value, "image", f"{p}img/@{attr}")
        else:
            add(value, "image", f"{p}img/@{attr}")


def _source(el: Any, p: str, add: _Add) -> None:
    _srcset(add, el.get("srcset"), "image", f"{p}source/@srcset")
    _srcset(add, el.get("data-srcset"), "image", f"{p}source/@data-srcset")
    # In <picture> an image, in <video>/<audio> media.  The nearest such ancestor, not the parent: libxml2
    # (2.14) does not know <source> is void and nests each following sibling inside the one before.
    kind = "media"
    for ancestor in el.iterancestors("picture", "video", "audio"):
        kind = "image" if ancestor.tag == "picture" else "media"
        break
    add(el.get("src"), kind, f"{p}source/@src")
    add(el.get("data-src"), kind, f"{p}source/@data-src")


def _video(el: Any, p: str, add: _Add) -> None:
    add(el.get("poster"), "image", f"{p}video/@poster")
    add(el.get("src"), "media", f"{p}video/@src")


def _audio(el: Any, p: str, add: _Add) -> None:
    add(el.get("src"), "media", f"{p}audio/@src")


def _track(el: Any, p: str, add: _Add) -> None:
    add(el.get("src"), "other", f"{p}track/@src")


def _link(el: Any, p: str, add: _Add) -> None:
    rel = (el.get("rel") or "").lower().split()
    kind: str | None = None
    if "stylesheet" in rel:  # "alternate stylesheet" too: browsers fetch it, users can switch to it
        kind = "stylesheet"
    elif "preload" in rel:
        as_ = (el.get("as") or "").strip().lower()
        kind = None if as_ == "document" else _PRELOAD_KINDS.get(as_, "other")
        if as_ == "image":
            _srcset(add, el.get("imagesrcset"), "image", f"{p}link/@imagesrcset")
    elif "modulepreload" in rel:
        kind = "script"
    elif any("icon" in token for token in rel) or "apple-touch-startup-image" in rel:
        kind = "icon"  # icon, shortcut icon, apple-touch-icon(-precomposed), mask-icon, fluid-icon
    elif "manifest" in rel:
        kind = "other"
    # Anything else (alternate, canonical, next, prev, amphtml, prefetch, preconnect, pingback...) is no embed.
    if kind is not None:
        add(el.get("href"), kind, f"{p}link/@href")


def _script(el: Any, p: str, add: _Add) -> None:
    type_ = (el.get("type") or "").split(";", 1)[0].strip().lower()
    # Cloudflare Rocket Loader renames the type ("<hash>-text/javascript") and loads the script itself.
    if type_ in _JS_TYPES or type_.endswith("-text/javascript"):
        add(el.get("src"), "script", f"{p}script/@src")
    add(el.get("data-rocket-src"), "script", f"{p}script/@data-rocket-src")  # WP Rocket's delayed scripts


def _meta(el: Any, p: str, add: _Add) -> None:
    kind = None
    for attr in ("property", "name"):
        kind = _META_KINDS.get((el.get(attr) or "").strip().lower())
        if kind:
            break
    else:
        for token in (el.get("itemprop") or "").lower().split():
            kind = _ITEMPROP_KINDS.get(token)
            if kind:
                break
    if kind:
        add(el.get("content"), kind, f"{p}meta/@content")


def _input(el: Any, p: str, add: _Add) -> None:
    if (el.get("type") or "").strip().lower() == "image":
        add(el.get("src"), "image", f"{p}input/@src")


def _embed(el: Any, p: str, add: _Add) -> None:
    add(el.get("src"), "other", f"{p}embed/@src")


def _object(el: Any, p: str, add: _Add) -> None:
    add(el.get("data"), "other", f"{p}object/@data")


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[1] if tag.startswith("{") else tag


def _background(el: Any, p: str, add: _Add) -> None:
    add(el.get("background"), "image", f"{p}{_local_name(el.tag)}/@background")


def _svg_href(el: Any, p: str, add: _Add) -> None:
    """SVG ``<image>`` and ``<use>`` (an external sprite sheet); fragment-only ``#id`` references are skipped."""
    for attr in ("href", "xlink:href"):
        add(el.get(attr), "image", f"{p}{_local_name(el.tag)}/@{attr}")


_HANDLERS: dict[str, Callable[[Any, str, _Add], None]] = {
    "img": _img,
    "source": _source,
    "video": _video,
    "audio": _audio,
    "track": _track,
    "link": _link,
    "script": _script,
    "meta": _meta,
    "input": _input,
    "embed": _embed,
    "object": _object,
    "body": _background,
    "table": _background,
    "td": _background,
    "th": _background,
    "image": _svg_href,
    "use": _svg_href,
}


def _document_base(root: Any, page_url: str) -> str:
    """The first ``<base href>`` of the document, resolved against the page URL; the page URL without one."""
    for base in root.iter("base"):
        href = base.get("href")
        if href is not None:
            return _absolute(href, page_url) or page_url
    return page_url


def _noscript_fragment(text: str) -> list[Any]:
    """The elements of a ``<noscript>`` fallback an HTML5 parser kept as text."""
    try:
        container = lxml.html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    return list(container)


def _walk(root: Any, add: _Add) -> None:
    """Every element under ``root`` (itself included), in document order, iteratively (no recursion limit)."""
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        el, prefix = stack.pop()
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        tag = _local_name(tag)
        handler = _HANDLERS.get(tag)
        if handler is not None:
            handler(el, prefix, add)
        elif tag == "style" and el.text:
            for raw, kind, suffix in _scan_css(el.text):
                add(raw, kind, f"{prefix}style/{suffix}")
        style = el.get("style")
        if style and "(" in style:
            for raw, kind, suffix in _scan_css(style):
                add(raw, kind, f"{prefix}@style/{suffix}")
        children: Iterable[Any] = el
        child_prefix = prefix
        if tag == "noscript":
            child_prefix = f"{prefix}noscript/"
            text = el.text
            if text and "<" in text and child_prefix.count("noscript/") <= _NOSCRIPT_DEPTH:
                children = [*_noscript_fragment(text), *el]
        stack.extend((child, child_prefix) for child in reversed(list(children)))


def page_embeds(tree: Any, base_url: str, *, limit: int | None = None) -> tuple[list[Embed], int]:
    """The embeds of an lxml.html tree (an element or an element tree), in document order.

    ``base_url`` is the page's URL: relative URLs resolve against the page's
    ``<base href>`` when it has one, else against it, and the page itself is
    never its own embed.  ``<iframe>`` and ``<frame>`` sources are pages, not
    embeds, and are left out, as are ``<a href>`` links and ``<link>`` relations
    other than stylesheet, preload, modulepreload, icons and manifest.
    ``<noscript>`` fallbacks count (context ``noscript/...``), whether the
    parser kept them as elements or as text.

    Returns ``(embeds[:limit], total)``: deduplicated by URL (first occurrence
    wins) and the number of distinct embeds found before the limit.
    """
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    collector = _Collector(base_url, limit)
    if root is None:
        return collector.result()
    base = _document_base(root, base_url)

    def add(raw: str | None, kind: str, context: str) -> None:
        collector.add(raw, base, kind, context)

    _walk(root, add)
    return collector.result()
