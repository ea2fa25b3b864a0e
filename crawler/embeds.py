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
regular expression is linear-time; every search resumes past the previous
one), so a 2 MB stylesheet or a page of 10,000 images costs one pass.

:func:`page_embeds` runs on every page the crawler fetches, so it is kept
cheap: lxml selects the elements that can hold embeds in C (most elements
never become Python objects), a stylesheet is tokenized only where a token
can start, the common shapes of URL are resolved without urljoin and each
raw URL once per page, and the references of inline ``<style>`` blocks are
kept by their text in a bounded LRU cache (a site repeats them on every
page).

Functions over lxml trees and strings: no Scrapy, no I/O; the cache is the
only state, and it changes no result.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlparse

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
    value = _url_value(raw)
    return None if value is None else _join(base, value)


def _url_value(raw: str | None) -> str | None:
    """The URL ``raw`` as a browser reads it before resolving it; None for nothing or a fragment alone."""
    if not raw:
        return None
    value = raw.strip(_STRIP)
    if not value or value.startswith("#"):
        return None
    if "\\" in value:  # browsers read backslashes as slashes in http(s) URLs, up to the query
        cut = min((i for i in (value.find("?"), value.find("#")) if i >= 0), default=len(value))
        value = value[:cut].replace("\\", "/") + value[cut:]
    return value


def _join(base: str, value: str) -> str | None:
    try:
        url = urljoin(base, value)  # also drops tabs and newlines anywhere, as the URL parser does
    except ValueError:  # a bad IPv6 host, a netloc that changes under NFKC
        return None
    url = url.split("#", 1)[0]  # urljoin keeps the fragment as written: it starts at the first "#"
    return url if _WEB_URL.match(url) else None  # data:, blob:, javascript:, mailto:... end here


# The shapes urljoin keeps as written (less the fragment): an absolute or network-path http(s) URL with a
# plain ASCII host (urlsplit checks [IPv6] and non-ASCII hosts), or an absolute path; no ";" parameters in
# the path, no empty query, no tab or newline (the URL parser removes them).
_SIMPLE_URL = re.compile(
    r"(?P<net>(?P<scheme>https?:)?//[^\x00-\x20\x7f-\U0010ffff/?#\[\]\\]++)?"
    r"(?P<path>[^?#;\t\n\r]*+)(?:\?[^#\t\n\r]++)?(?P<fragment>#[^\t\n\r]*+)?"
)
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")


class _Resolver:
    """:func:`_absolute` against one base, each raw URL once, without urljoin for the common shapes.

    ``https://host/path``, ``//host/path`` and ``/path`` (no ``.`` or ``..``
    segment) come out of urljoin as written, with the scheme or the origin of
    the base in front (see _SIMPLE_URL); anything else goes through urljoin.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.cache: dict[str, str | None] = {}
        self.scheme = self.origin = ""  # empty: no shortcut for this base
        try:
            parts = urlparse(base)  # as urljoin parses it
        except ValueError:
            return
        if parts.scheme in ("http", "https") and parts.netloc:
            self.scheme, self.origin = parts.scheme, f"{parts.scheme}://{parts.netloc}"

    def __call__(self, raw: str) -> str | None:
        if raw in self.cache:
            return self.cache[raw]
        value = _url_value(raw)
        url = self.cache[raw] = None if value is None else self._shortcut(value) or _join(self.base, value)
        return url

    def _shortcut(self, value: str) -> str | None:
        """The URL urljoin gives for ``value`` when it keeps it as written; None otherwise."""
        m = _SIMPLE_URL.fullmatch(value) if self.scheme else None
        if m is None:
            return None
        path = m.group("path")
        cut = m.start("fragment")
        written = value if cut < 0 else value[:cut]
        if m.start("net") >= 0:
            if path and path[0] != "/":  # the host ran into a non-ASCII character
                return None
            url = written if m.start("scheme") >= 0 else f"{self.scheme}:{written}"
        elif path[:1] == "/" and path[:2] != "//" and not _DOT_SEGMENT.search(path):
            url = self.origin + written
        else:
            return None
        return url if _WEB_URL.match(url) else None


class _Collector:
    """Dedup by URL (first wins), cut at ``limit``, count every distinct URL."""

    def __init__(self, self_url: str, base: str, limit: int | None) -> None:
        self.resolve = _Resolver(base)
        self.seen: set[str] = {self_url.split("#", 1)[0]}  # a resource is not its own embed
        self.embeds: list[Embed] = []
        self.total = 0
        self.limit = None if limit is None else max(limit, 0)

    def add(self, raw: str | None, kind: str, context: str) -> None:
        if not raw:
            return
        url = self.resolve(raw)
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
_SRCSET_DESCRIPTORS = re.compile(r"(?:[^,(]++|\([^)]*+\)?)*+")


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
_DQ = r'"(?:[^"\\\n]++|\\.)*+(?:"|\Z)'
_SQ = r"'(?:[^'\\\n]++|\\.)*+(?:'|\Z)"
_BAD_STRING = r"""["'][^\n]*+"""
_UNQUOTED = r"""(?:[^\s"'()\\]++|\\.)*+"""
# A quoted url() may lack its ")" at the end of the text; an unquoted one with no ")" is a bad URL, skipped.
_URL_FN = rf"url\((?<![\w-]url\()\s*+(?:(?:{_DQ}|{_SQ})\s*+\)?|{_UNQUOTED}\s*+\))"
# The reference tokenizer (every token, in source order); _scan_css finds the same references faster.
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
    r"""(?:@import\s*+)?(?:url\(\s*+)?(?:"(?P<dq>(?:[^"\\\n]++|\\.)*+)|'(?P<sq>(?:[^'\\\n]++|\\.)*+)|(?P<uq>(?:[^\s"'()\\]++|\\.)*+))""",
    re.IGNORECASE | re.DOTALL,
)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\n)|(.)|\Z)", re.DOTALL)

# The tokens of _CSS_TOKEN that hide references (comments, strings, @namespace) or are references (url(),
# @import), in the same order, entered through their first character: matched only where a candidate is
# (bytes.find on an ASCII-lowered copy), everything in between is skipped in C.
_CSS_MAIN = re.compile(
    rf"""
    [/"'uU@]
    (?:
      (?P<comment>(?<=/)\*.*?(?:\*/|\Z))
    | (?P<string>(?<=")(?:[^"\\\n]++|\\.)*+(?:"|\Z)|(?<=')(?:[^'\\\n]++|\\.)*+(?:'|\Z))
    | (?P<badstring>(?<=["'])[^\n]*+)
    | (?P<url>(?<=[uU])(?i:rl\((?<![\w-]url\()\s*+(?:(?:{_DQ}|{_SQ})\s*+\)?|{_UNQUOTED}\s*+\))))
    | (?P<import>(?<=@)(?i:import\s*+(?:{_DQ}|{_SQ}|{_URL_FN})))
    | (?P<skip>(?<=@)(?i:(?:namespace|-moz-document|document)\b)[^;{{}}]*+)
    )
    """,
    re.DOTALL | re.VERBOSE,
)
# After "@" in the lowered copy: "i" (or "?" for U+0130 and U+0131, which match i case-insensitively) for
# @import, "n", "-", "d" for @namespace, @-moz-document, @document.  Other at-rules are no tokens here.
_AT_CANDIDATE = re.compile(rb"@[i?nd-]")
_FONT_FACE = re.compile(r"@font-face\b", re.IGNORECASE)
_BRACE = re.compile(r"[{}]")
_IMAGE_SET = re.compile(r"image-set\(", re.IGNORECASE)

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


_CssRef = tuple[str, str, str]  # (raw URL, kind, context suffix)


def _scan_css_tokens(css: str) -> list[_CssRef]:
    """:func:`_scan_css` by the reference tokenizer: every token of the text, in one pass.

    Comments and strings are consumed whole (a ``url()`` inside them is not a
    reference); ``@import`` targets, ``url()`` functions and the strings
    directly inside ``image-set()`` are references.  ``@font-face`` blocks are
    tracked by brace depth, ``image-set()`` by parenthesis depth (reset at
    every brace, so an unbalanced parenthesis cannot make later strings look
    like URLs).  ``@namespace`` (and ``@document``) URLs are names, not
    resources.
    """
    refs: list[_CssRef] = []
    brace_depth = 0
    font_face_depth = 0  # the brace depth of the @font-face block we are in, 0 outside
    font_face_pending = False
    parens: list[bool] = []  # one entry per open parenthesis: is it an image-set()?
    for m in _CSS_TOKEN.finditer(css):
        group = m.lastgroup
        if group == "url" or (group == "string" and parens and parens[-1]):
            raw = _css_value(m.group())
            suffix = "url()" if group == "url" else "image-set()"
            refs.append((raw, _guess_css_kind(raw, font_face_depth > 0), suffix))
        elif group == "import":
            refs.append((_css_value(m.group()), "stylesheet", "@import"))
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
    return refs


def _scan_css(css: str) -> list[_CssRef]:
    """``(raw URL, kind, context suffix)`` of a stylesheet's references, in source order.

    The references of :func:`_scan_css_tokens`, found without visiting every
    brace and parenthesis: a text with an ``image-set(`` goes to the reference
    tokenizer; any other is tokenized only where a token can start (``/*``, a
    quote, ``url(``, an ``@`` rule that is a token), the candidates found with
    ``bytes.find`` on an ASCII-lowered copy, one byte per character (``url(``
    and ``@font-face`` have no non-ASCII case variants), up to the last
    ``url(`` or ``@``.  ``@font-face`` blocks are tracked only in the text
    between tokens (where the reference tokenizer sees braces), from one
    ``@font-face`` to the brace that closes its block.  Linear: every search
    resumes past the previous one.
    """
    low = css.encode("ascii", "replace").lower()
    if b"mage-" in low and b"et(" in low and _IMAGE_SET.search(css):
        return _scan_css_tokens(css)
    last = max(low.rfind(b"url("), low.rfind(b"@"))
    refs: list[_CssRef] = []
    if last < 0:
        return refs
    end = len(css)
    find, at_search, main_match = low.find, _AT_CANDIDATE.search, _CSS_MAIN.match
    comment, dq, sq, url = find(b"/*"), find(b'"'), find(b"'"), find(b"url(")
    at_match = at_search(low)
    at = at_match.start() if at_match else end
    comment, dq, sq, url = [end if i < 0 else i for i in (comment, dq, sq, url)]
    track_font_face = b"@font-face" in low
    in_font_face = pending = False  # in an @font-face block; an @font-face waiting for its "{"
    depth = 0  # of the braces opened inside the @font-face block
    gap = 0  # the text from gap to the next token is not yet looked at for braces and @font-face
    next_font_face = next_brace = -1  # the next ones at or after gap (end: none), -1: not searched
    while True:
        p = min(comment, dq, sq, url, at)
        if p > last:
            return refs
        m = main_match(css, p)
        if m is None:
            pos = p + 1
        else:
            if track_font_face:
                while True:
                    if next_font_face < gap:
                        found = _FONT_FACE.search(css, gap)
                        next_font_face = found.start() if found else end
                    if not (in_font_face or pending):
                        if next_font_face >= p:
                            break
                        gap = next_font_face  # braces outside @font-face blocks change nothing
                    if next_brace < gap:
                        found = _BRACE.search(css, gap)
                        next_brace = found.start() if found else end
                    if next_font_face < next_brace:
                        if next_font_face >= p:
                            break
                        pending, gap = True, next_font_face + 10
                    else:
                        if next_brace >= p:
                            break
                        if css[next_brace] == "{":
                            if pending:
                                in_font_face, pending, depth = True, False, 0
                            elif in_font_face:
                                depth += 1
                        elif in_font_face:
                            if depth:
                                depth -= 1
                            else:
                                in_font_face = False
                        gap = next_brace + 1
            pos = gap = m.end()
            group = m.lastgroup
            if group == "url":
                raw = _css_value(m.group())
                refs.append((raw, _guess_css_kind(raw, in_font_face), "url()"))
            elif group == "import":
                refs.append((_css_value(m.group()), "stylesheet", "@import"))
        if comment < pos:
            comment = find(b"/*", pos)
            if comment < 0:
                comment = end
        if dq < pos:
            dq = find(b'"', pos)
            if dq < 0:
                dq = end
        if sq < pos:
            sq = find(b"'", pos)
            if sq < 0:
                sq = end
        if url < pos:
            url = find(b"url(", pos)
            if url < 0:
                url = end
        if at < pos:
            at_match = at_search(low, pos)
            at = at_match.start() if at_match else end


class _CssCache:
    """The references of recently scanned inline stylesheets, by their text (least recently used out).

    A site repeats the same ``<style>`` blocks (theme, plugin, global styles)
    on every page.  Bounded by entries and by the characters of the texts it
    keeps; a text shorter than ``min_chars`` (cheap to scan) or longer than
    ``max_text_chars`` is scanned, not kept.
    """

    def __init__(self, max_entries: int, max_chars: int, min_chars: int, max_text_chars: int) -> None:
        self.max_entries, self.max_chars = max_entries, max_chars
        self.min_chars, self.max_text_chars = min_chars, max_text_chars
        self.chars = 0
        self._refs: OrderedDict[str, tuple[_CssRef, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._refs)

    def clear(self) -> None:
        with self._lock:
            self._refs.clear()
            self.chars = 0

    def scan(self, css: str) -> Sequence[_CssRef]:
        if not self.min_chars <= len(css) <= self.max_text_chars:
            return _scan_css(css)
        with self._lock:
            refs = self._refs.get(css)
            if refs is not None:
                self._refs.move_to_end(css)
                return refs
        refs = tuple(_scan_css(css))
        with self._lock:
            if css not in self._refs:
                self._refs[css] = refs
                self.chars += len(css)
                while len(self._refs) > self.max_entries or self.chars > self.max_chars:
                    text, _ = self._refs.popitem(last=False)
                    self.chars -= len(text)
        return refs


_STYLE_CACHE = _CssCache(max_entries=256, max_chars=8_000_000, min_chars=256, max_text_chars=2_000_000)


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
    collector = _Collector(base_url, base_url, limit)
    for raw, kind, suffix in _scan_css(css):
        collector.add(raw, kind, "css/" + suffix)
    return collector.result()


# -- HTML -----------------------------------------------------------------------------------------------

_Add = Callable[[str | None, str, str], None]  # (raw URL, kind, context)

# <img> attributes: (attribute, is a srcset, context).  src and srcset, then the lazy-load plugins' copies
# (lazysizes, a3 Lazy Load, WP Rocket, Smush, jQuery Lazy Load's data-original), then Jetpack's
# carousel sizes.  A data: placeholder in src is skipped with every other non-http(s) URL.
_IMG_ATTRIBUTES: tuple[tuple[str, bool, str], ...] = tuple(
    (attr, is_srcset, f"img/@{attr}")
    for attr, is_srcset in (
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
    get = el.get
    for attr, is_srcset, context in _IMG_ATTRIBUTES:
        value = get(attr)
        if not value:
            continue
        if is_srcset:
            for url in parse_srcset(value):
                add(url, "image", p + context)
        else:
            add(value, "image", p + context)


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


def _document_base(elements: list[Any], page_url: str) -> str:
    """The first ``<base href>`` of the document, resolved against the page URL; the page URL without one.

    ``elements``: the document's elements with _SELECTED_TAGS, in document order.
    """
    for el in elements:
        if el.tag == "base":  # no namespace, as root.iter("base") matches
            href = el.get("href")
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


# The elements _visit does something for (and <base>): their tags in any namespace (lxml matches them in C)
# and, found by XPath, any element with a style="" attribute that may hold a url() or image-set().
_SELECTED_TAGS = tuple(f"{{*}}{tag}" for tag in (*_HANDLERS, "style", "noscript", "base"))
_STYLE_ATTRIBUTES = etree.XPath("descendant-or-self::*/@style[contains(., '(')]")
_MERGE_LIMIT = 16  # more styled elements than this outside _SELECTED_TAGS: visit every element instead


def _visit(el: Any, tag: str, prefix: str, add: _Add) -> None:
    """The embeds of one element (its attributes, its ``<style>`` text), not of its children."""
    handler = _HANDLERS.get(tag)
    if handler is not None:
        handler(el, prefix, add)
    elif tag == "style":
        text = el.text
        if text:
            for raw, kind, suffix in _STYLE_CACHE.scan(text):
                add(raw, kind, f"{prefix}style/{suffix}")
    style = el.get("style")
    if style and "(" in style:
        for raw, kind, suffix in _scan_css(style):
            add(raw, kind, f"{prefix}@style/{suffix}")


def _walk(root: Any, prefix: str, add: _Add) -> None:
    """Every element under ``root`` (itself included), in document order, iteratively (no recursion limit)."""
    stack: list[tuple[Any, str]] = [(root, prefix)]
    while stack:
        el, prefix = stack.pop()
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        tag = _local_name(tag)
        _visit(el, tag, prefix, add)
        children: Iterable[Any] = el
        child_prefix = prefix
        if tag == "noscript":
            child_prefix = f"{prefix}noscript/"
            text = el.text
            if text and "<" in text and child_prefix.count("noscript/") <= _NOSCRIPT_DEPTH:
                children = [*_noscript_fragment(text), *el]
        stack.extend((child, child_prefix) for child in reversed(list(children)))


def _following(el: Any, root: Any) -> Any:
    """The first element with _SELECTED_TAGS after ``el`` in document order, under ``root``; None if none."""
    for found in el.iterdescendants(*_SELECTED_TAGS):
        return found
    node = el
    while node is not root:
        for sibling in node.itersiblings():
            for found in sibling.iter(*_SELECTED_TAGS):
                return found
        node = node.getparent()
        if node is None:
            break
    return None


def _walk_selected(root: Any, elements: list[Any], add: _Add) -> None:
    """:func:`_walk` over the elements that can hold embeds only; ``<noscript>`` subtrees are walked whole.

    The same embeds in the same order: ``elements`` are those with
    _SELECTED_TAGS, in document order; the few other elements with a
    ``style`` that may hold a ``url()`` are put before the selected element
    that follows them.
    """
    styled = _STYLE_ATTRIBUTES(root)
    if styled:
        selected = set(elements)
        others = [el for el in (value.getparent() for value in styled) if el not in selected]
        if len(others) > _MERGE_LIMIT:
            _walk(root, "", add)
            return
        if others:
            position = {el: i for i, el in enumerate(elements)}
            merged: list[Any] = []
            start = 0
            for el in others:  # in document order, so their following elements are too
                following = _following(el, root)
                stop = len(elements) if following is None else position[following]
                merged += elements[start:stop]
                merged.append(el)
                start = stop
            elements = merged + elements[start:]
    walked: set[Any] = set()  # the elements of the <noscript> subtrees walked whole
    for el in elements:
        if walked and el in walked:
            continue
        tag = _local_name(el.tag)
        if tag == "noscript":  # its prefixes, its fallback kept as text: the full walk
            _walk(el, "", add)
            walked.update(el.iterdescendants())
        else:
            _visit(el, tag, "", add)


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
    if root is None:
        return _Collector(base_url, base_url, limit).result()
    elements = list(root.iter(*_SELECTED_TAGS))
    collector = _Collector(base_url, _document_base(elements, base_url), limit)
    _walk_selected(root, elements, collector.add)
    return collector.result()
