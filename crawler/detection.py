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
6. Heuristics for sites that mark nothing: a headline (``h1`` or title),
   at least ``NEWS_ARTICLE_MIN_PARAGRAPHS`` paragraphs of 80+ characters
   outside navigation/footer/aside, at least ``NEWS_ARTICLE_MIN_CHARS``
   characters of paragraph text, and a date signal (``<time>``, a date meta,
   a date in the URL, or a date written near the headline).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html

from crawler import settings as defaults

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
_URL_DATE_RE = re.compile(r"/(19|20)\d{2}/(0?[1-9]|1[0-2])(/(0?[1-9]|[12]\d|3[01]))?/")

# Month names in the languages the project targets (Arabic: MSA/Egyptian,
# Levantine/Syriac and Maghrebi forms).  Used only as a date *signal*.
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    "januar|februar|märz|maerz|juni|juli|oktober|dezember|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "ocak|şubat|subat|mart|nisan|mayıs|mayis|haziran|temmuz|ağustos|agustos|eylül|eylul|ekim|kasım|kasim|aralık|aralik|"
    "يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|"
    "كانون الثاني|كانون الأول|كانون الاول|شباط|آذار|اذار|نيسان|أيار|ايار|حزيران|تموز|آب|اب|أيلول|ايلول|"
    "تشرين الأول|تشرين الاول|تشرين الثاني|"
    "جانفي|فيفري|أفريل|افريل|ماي|جوان|جويلية|جويليه|أوت|اوت|شتنبر|نونبر|دجنبر|يوليوز|غشت"
)
_DATE_TEXT_RE = re.compile(
    rf"(\d{{1,2}}\s*(من\s+|de\s+|\.\s*)?({_MONTHS})\b)|(({_MONTHS})\s+\d{{1,2}},?\s+\d{{4}})"
    r"|(\b(19|20)\d{2}[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])\b)"
    r"|(\b(0?[1-9]|[12]\d|3[01])[-/.](0?[1-9]|1[0-2])[-/.](19|20)\d{2}\b)",
    re.IGNORECASE,
)
_DATE_META = (
    "article:published_time",
    "article:modified_time",
    "og:published_time",
    "datePublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "parsely-pub-date",
    "sailthru.date",
)
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


def jsonld_types(tree: Any) -> set[str]:
    types: set[str] = set()
    for obj in jsonld_objects(tree):
        t = obj.get("@type")
        for value in t if isinstance(t, list) else [t]:
            if isinstance(value, str):
                types.add(value.rsplit("/", 1)[-1].lower())
    return types


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


def _paragraph_stats(tree: Any) -> tuple[int, int]:
    count = chars = 0
    for p in tree.iter("p"):
        if any(a.tag in _BOILERPLATE_ANCESTORS for a in p.iterancestors()):
            continue
        text = " ".join(p.text_content().split())
        if len(text) >= 80:
            count += 1
            chars += len(text)
    return count, chars


def has_date_signal(tree: Any, url: str, meta: MetaIndex | None = None) -> bool:
    if tree.xpath("//time") or _URL_DATE_RE.search(urlsplit(url).path):
        return True
    if meta_content(tree, *_DATE_META, index=meta):
        return True
    # A date written near the headline (bylines, date spans).
    for el in tree.xpath(
        '//*[contains(@class,"date") or contains(@class,"time") or contains(@class,"byline") '
        'or contains(@class,"meta") or contains(@itemprop,"date")]'
    ):
        if _DATE_TEXT_RE.search(el.text_content()[:300]):
            return True
    h1 = tree.xpath("//h1")
    if h1:
        following = h1[0].xpath("following::text()")
        snippet = " ".join(t.strip() for t in following[:40])[:600]
        if _DATE_TEXT_RE.search(snippet):
            return True
    return False


def classify_page(
    body: str | bytes,
    url: str,
    profile: Any = None,
    *,
    min_paragraphs: int = defaults.NEWS_ARTICLE_MIN_PARAGRAPHS,
    min_chars: int = defaults.NEWS_ARTICLE_MIN_CHARS,
    tree: Any = None,
) -> PageVerdict:
    """Decide whether a fetched HTML page is an article (rules in the module docstring).

    ``min_paragraphs``, ``min_chars``: the spider passes ``NEWS_ARTICLE_MIN_PARAGRAPHS`` and
    ``NEWS_ARTICLE_MIN_CHARS``; their defaults (crawler/settings.py) otherwise.
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
    if not (tree.xpath("//h1") or tree.xpath("//title")):
        return PageVerdict(False, "heuristic:no-headline")
    count, chars = _paragraph_stats(tree)
    if count < min_paragraphs or chars < min_chars:
        return PageVerdict(False, "heuristic:too-little-text")
    if not has_date_signal(tree, url, meta):
        return PageVerdict(False, "heuristic:no-date")
    return PageVerdict(True, "heuristic:headline+paragraphs+date")


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
