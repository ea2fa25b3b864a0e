"""Is this URL or page an article?  (docs/articles.md explains the rules.)

URL classification (:func:`classify_url`) decides what to request and with
which priority; page classification (:func:`classify_page`) decides, after
the page is fetched, whether it becomes an article record.  Every page is
archived in WARC either way.

Page rules, first match wins:

1. JSON-LD ``@type`` is an article type (NewsArticle, Article, BlogPosting,
   ReportageNewsArticle, …) → article.
2. ``og:type`` is ``article`` → article.
3. The site profile's ``article_patterns`` match the URL → article.
4. Metadata says it is something else (JSON-LD CollectionPage, WebSite,
   AboutPage, …; og:type website/profile) → not an article.
5. The URL is a listing (home, /category/, /tag/, /author/, /page/N, search)
   → not an article.
6. Heuristics for sites that mark nothing: a headline (``h1`` or title) and
   body text — at least ``NEWS_ARTICLE_MIN_PARAGRAPHS`` paragraphs of 80+
   characters outside navigation/footer/aside with ``NEWS_ARTICLE_MIN_CHARS``
   characters in all, or, for a short news brief, an ``h1`` and two or more
   paragraphs of 40+ characters (few links) with ``NEWS_ARTICLE_BRIEF_MIN_CHARS``
   — that is not a listing (most long paragraphs sit beside a linked teaser
   headline), and a date: the one the dates step would find
   (:func:`pipelines.dates.find_published`: metadata, ``<time>``, bylines near the
   headline in any language and digits — Arabic-Indic included —, the URL), or a
   news dateline opening the body ("DAMASCUS, March 24 (Reuters) -", "دمشق - عنب بلدي").

A page rejected by rule 6 is a *candidate* (``PageVerdict.candidate``) when it had
a date, a dateline or some body text (a paragraph of 80+ characters, or a
brief's): the spider lists those in the crawl manifest (docs/articles.md).

One analysis per page: the crawl calls :func:`classify_page` with ``defer_date=True``.
A page that passes rule 6 on its headline and text but has no dateline is then
accepted *pending its date* (``PageVerdict.needs_date``): the extraction workers,
which parse the page and run the date finder anyway, confirm it with the date the
record gets, or reject it as ``heuristic:no-date``
(:func:`pipelines.article.confirm_dated`).  The crawler process never runs the
date finder, and a page the dates step dates is never rejected for having no date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html

from crawler import settings as defaults
from crawler.htmlmeta import MetaIndex, jsonld_objects, meta_content, meta_index
from pipelines.dates import find_published

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "scholarlyarticle",
}
NON_ARTICLE_TYPES = {
    "collectionpage",
    "website",
    "aboutpage",
    "contactpage",
    "profilepage",
    "searchresultspage",
    "itempage",
    "faqpage",
}

_LISTING_RE = re.compile(
    r"/(category|categories|tag|tags|topic|topics|section|sections|author|authors|page|search|archive|label)"
    r"(/|$)|[?&](s|q|page|paged)=",
    re.IGNORECASE,
)
_ASSET_RE = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|css|js|mjs|woff2?|ttf|eot|mp[34]|webm|avi|mov|zip|gz|pdf|docx?|xlsx?)$",
    re.IGNORECASE,
)
# A news dateline opening the body: "DAMASCUS, March 24 (Reuters) -", "BEIRUT (AP) —", "دمشق - عنب بلدي".
_DATELINE_LATIN = re.compile(r"^[A-Z][A-Z'’.\- ]{2,40}(?:,\s*[^-–—:()]{1,40}?)?(?:\s*\([^)]{1,40}\))?\s*[-–—:]\s")
_DATELINE_ARABIC = re.compile(r"^[\u0621-\u064a]{2,}(?:\s+[\u0621-\u064a]{2,}){0,2}\s*[-–—:]\s*\S")
_BOILERPLATE_ANCESTORS = {"nav", "footer", "aside", "header", "form"}


def classify_url(url: str, article_patterns: Any = None) -> str:
    """Return 'article', 'listing', 'asset' or 'unknown' for ``url``.

    ``article_patterns`` is an object with ``is_article_url(url)`` (a
    :class:`~crawler.profiles.SiteProfile`) or None.
    """
    parts = urlsplit(url)
    if _ASSET_RE.search(parts.path):
        return "asset"
    if article_patterns is not None and article_patterns.is_article_url(url):
        return "article"
    path = parts.path or "/"
    if path in ("/", "") or re.fullmatch(r"/[a-z]{2}(-[a-zA-Z]{2})?/?", path) or _LISTING_RE.search(
        path + ("?" + parts.query if parts.query else "")
    ):
        return "listing"
    if path.rstrip("/").endswith(("/feed", "/rss", ".xml", "/atom")):
        return "feed"
    return "unknown"


@dataclass
class PageVerdict:
    is_article: bool
    reason: str
    #: Rejected by the heuristics although it had a date, a dateline or body text: worth an archivist's look.
    candidate: bool = False
    #: Accepted on headline and text; an article only if the dates step dates it (``defer_date``).
    needs_date: bool = False


def jsonld_types(tree: Any) -> set[str]:
    types: set[str] = set()
    for obj in jsonld_objects(tree):
        t = obj.get("@type")
        for value in t if isinstance(t, list) else [t]:
            if isinstance(value, str):
                types.add(value.rsplit("/", 1)[-1].lower())
    return types


_TEASER_HEADINGS = ".//h2[.//a] | .//h3[.//a] | .//h4[.//a] | .//a[.//h2 or .//h3 or .//h4]"


@dataclass
class _Body:
    long: int = 0  # paragraphs of 80+ characters
    chars: int = 0  # their characters
    brief: int = 0  # paragraphs of 40+ characters, mostly not links
    brief_chars: int = 0
    teasers: int = 0  # long paragraphs beside a linked headline (a listing's items)
    dateline: bool = False


def _body(tree: Any) -> _Body:
    body = _Body()
    first = True
    for p in tree.iter("p"):
        if any(a.tag in _BOILERPLATE_ANCESTORS for a in p.iterancestors()):
            continue
        text = " ".join(p.text_content().split())
        if not text:
            continue
        if first:
            body.dateline = bool(_DATELINE_LATIN.match(text) or _DATELINE_ARABIC.match(text))
            first = False
        if len(text) >= 80:
            body.long += 1
            body.chars += len(text)
            parent = p.getparent()
            if parent is not None and parent.tag != "body" and parent.xpath(_TEASER_HEADINGS):
                body.teasers += 1
        if len(text) >= 40 and sum(len(a.text_content()) for a in p.iter("a")) < 0.3 * len(text):
            body.brief += 1
            body.brief_chars += len(text)
    return body


def has_date_signal(tree: Any, url: str, meta: MetaIndex | None = None, fetched_at: datetime | None = None) -> bool:
    """Whether the dates step would date this page (one date finder: :func:`pipelines.dates.find_published`)."""
    ld = next((o for o in jsonld_objects(tree) if isinstance(o.get("datePublished"), str)), {})
    lang = (tree.xpath("/html/@lang") or [None])[0]
    found = find_published(tree, url, language=lang, fetched_at=fetched_at or datetime.now(UTC), ld=ld, meta=meta)
    return found.published is not None


def classify_page(
    body: str | bytes,
    url: str,
    profile: Any = None,
    *,
    min_paragraphs: int = defaults.NEWS_ARTICLE_MIN_PARAGRAPHS,
    min_chars: int = defaults.NEWS_ARTICLE_MIN_CHARS,
    brief_min_chars: int = defaults.NEWS_ARTICLE_BRIEF_MIN_CHARS,
    tree: Any = None,
    fetched_at: datetime | None = None,
    defer_date: bool = False,
) -> PageVerdict:
    """Decide whether a fetched HTML page is an article (rules in the module docstring).

    ``min_paragraphs``, ``min_chars``, ``brief_min_chars``: the spider passes
    ``NEWS_ARTICLE_MIN_PARAGRAPHS``, ``NEWS_ARTICLE_MIN_CHARS`` and ``NEWS_ARTICLE_BRIEF_MIN_CHARS``;
    their defaults (crawler/settings.py) otherwise.  ``fetched_at``: now when None (dates in
    the future are not dates).  ``defer_date``: leave rule 6's date to the extraction step
    (a verdict with ``needs_date``) instead of running the date finder here.
    """
    if tree is None:
        try:
            tree = lxml_html.fromstring(body)
        except (ValueError, lxml_html.etree.ParserError):
            return PageVerdict(False, "unparsable")
    types = jsonld_types(tree)
    hit = sorted(types & ARTICLE_TYPES)
    if hit:
        return PageVerdict(True, f"jsonld:{hit[0]}")
    meta = meta_index(tree)
    og_type = (meta_content(tree, "og:type", index=meta) or "").lower()
    if og_type == "article":
        return PageVerdict(True, "og:type=article")
    url_class = classify_url(url, profile)
    if url_class == "article":
        return PageVerdict(True, "profile:article_patterns")
    if types & NON_ARTICLE_TYPES or og_type in ("website", "profile", "book", "video.other"):
        return PageVerdict(False, "metadata:not-article")
    if url_class in ("listing", "asset", "feed"):
        return PageVerdict(False, f"url:{url_class}")
    h1 = bool(tree.xpath("//h1"))
    if not (h1 or tree.xpath("//title")):
        return PageVerdict(False, "heuristic:no-headline")
    page = _body(tree)
    full = page.long >= min_paragraphs and page.chars >= min_chars
    brief = h1 and page.brief >= 2 and page.brief_chars >= brief_min_chars
    if page.long >= 2 and page.teasers * 2 >= page.long:
        return PageVerdict(False, "heuristic:listing")
    if not (full or brief):
        return PageVerdict(False, "heuristic:too-little-text", candidate=page.long > 0 or page.dateline)
    kind = "paragraphs" if full else "brief"
    if defer_date:  # no date finder here: a dateline suffices, else the extraction step's date decides
        if page.dateline:
            return PageVerdict(True, f"heuristic:headline+{kind}+dateline")
        return PageVerdict(True, f"heuristic:headline+{kind}+date", needs_date=True)
    dated = has_date_signal(tree, url, meta, fetched_at)
    if not (dated or page.dateline):
        return PageVerdict(False, "heuristic:no-date", candidate=True)
    return PageVerdict(True, f"heuristic:headline+{kind}+{'date' if dated else 'dateline'}")


_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM media"),
    (b"wOFF", "a WOFF font"),
    (b"wOF2", "a WOFF2 font"),
    (b"\x7fELF", "an ELF executable"),
)


def sniff_binary(body: bytes) -> str | None:
    """What binary content ``body`` starts with (e.g. "a PDF document"), or None if it may be text.

    Magic numbers first (RIFF containers and ISO media by their brand), then NUL
    bytes in the first KiB, which no HTML in an ASCII-compatible charset has
    (UTF-16 text, recognised by its BOM, is not binary).
    """
    head = body[:1024].lstrip(b" \t\r\n")
    for magic, what in _BINARY_SIGNATURES:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "a WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "ISO media (MP4/HEIC/AVIF)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    return None
