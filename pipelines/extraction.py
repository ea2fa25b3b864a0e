"""ExtractionPipeline: a fetched article page (PageItem) into an ArticleItem.

trafilatura extracts the main text; metadata comes from JSON-LD, meta tags
and trafilatura's own metadata.  :func:`extract_article` is the pure
function behind the pipeline, shared with ``scrapy extract``.

Settings read: ``EXTRACT_MIN_TEXT_CHARS``, ``EXTRACT_FAVOR_PRECISION``,
``EXTRACT_FAVOR_RECALL``.
Stats: ``extract/articles``, ``extract/dropped/empty``,
``extract/dropped/error``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import trafilatura
from cssselect import GenericTranslator, SelectorError
from lxml import html as lxml_html
from scrapy.exceptions import DropItem

from crawler.detection import jsonld_objects, meta_content
from crawler.items import ArticleItem, ImageRef, PageItem
from crawler.urls import article_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

ARTICLE_JSONLD_KEYS = ("headline", "datePublished", "articleBody", "author")


@dataclass(frozen=True)
class ExtractOptions:
    min_text_chars: int = 200
    favor_precision: bool = False
    favor_recall: bool = False


class NotAnArticle(Exception):
    """Extraction found no usable article text."""


def decode_body(body: bytes, encoding: str | None) -> str:
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _xpaths(selectors: list[str]) -> list[str]:
    out = []
    for sel in selectors:
        try:
            out.append(GenericTranslator().css_to_xpath(sel, prefix="//"))
        except SelectorError:
            logger.warning("Ignoring invalid CSS selector %r", sel)
    return out


def _article_jsonld(tree: Any) -> dict[str, Any]:
    for obj in jsonld_objects(tree):
        if any(k in obj for k in ARTICLE_JSONLD_KEYS):
            return obj
    return {}


def _names(value: Any) -> list[str]:
    """Names from a JSON-LD author/keywords value (str, dict or list)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = " ".join(v.split())
        if v and v.casefold() not in {k.casefold() for k in seen}:
            seen[v] = None
    return list(seen)


def iso_datetime(value: str | None) -> str | None:
    """Normalise an ISO-ish date string; keeps the offset; None if unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(value) <= 10:
        return dt.date().isoformat()
    return dt.isoformat()


def _images(tree: Any, base_url: str) -> list[ImageRef]:
    images: list[ImageRef] = []
    seen: set[str] = set()
    og = meta_content(tree, "og:image")
    for fig in tree.xpath("//figure[.//img]"):
        if fig.xpath("ancestor::header|ancestor::footer|ancestor::nav|ancestor::aside"):
            continue
        src = fig.xpath(".//img/@src")[0]
        url = urljoin(base_url, str(src))
        cap = fig.xpath(".//figcaption")
        caption = " ".join(cap[0].text_content().split()) if cap else None
        if url not in seen:
            seen.add(url)
            images.append(ImageRef(url=url, caption=caption or None))
    if og:
        url = urljoin(base_url, og)
        if url not in seen:
            images.insert(0, ImageRef(url=url, caption=None))
    return images


def paragraphs_text(text: str) -> str:
    """trafilatura's line-per-block text → paragraphs separated by one blank line."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line)


def extract_article(page: PageItem, options: ExtractOptions | None = None) -> ArticleItem:
    """Run trafilatura and metadata extraction on ``page``; raise NotAnArticle if no text."""
    options = options or ExtractOptions()
    html = decode_body(page.body, page.encoding)
    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise NotAnArticle(f"unparsable HTML: {exc}") from exc
    doc = trafilatura.bare_extraction(
        html,
        url=page.url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_precision=options.favor_precision,
        favor_recall=options.favor_recall,
        prune_xpath=_xpaths(page.drop_selectors) or None,
        # Markup-only date search: htmldate's free-text search takes copyright
        # lines ("© 2025") for publication dates; an unknown date stays null.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = paragraphs_text(getattr(doc, "text", None) or "") if doc is not None else ""
    if len(text) < options.min_text_chars:
        raise NotAnArticle(f"extracted text too short ({len(text)} < {options.min_text_chars} characters)")

    ld = _article_jsonld(tree)
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    canonical_url = urljoin(page.url, str(canonical[0]).strip()) if canonical else None
    canonical_url = canonical_url or meta_content(tree, "og:url") or page.url

    published = (
        iso_datetime(ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None)
        or iso_datetime(meta_content(tree, "article:published_time", "datePublished", "og:published_time"))
        or iso_datetime((tree.xpath("//time/@datetime") or [None])[0])
        or iso_datetime(getattr(doc, "date", None))
    )
    modified = iso_datetime(ld.get("dateModified") if isinstance(ld.get("dateModified"), str) else None) or iso_datetime(
        meta_content(tree, "article:modified_time", "dateModified", "og:updated_time")
    )

    authors = _names(ld.get("author"))
    byline = getattr(doc, "author", None)
    if not authors and isinstance(byline, str):
        authors = byline.split(";")
    keywords = ld.get("keywords")
    tags = _unique(
        (keywords.split(",") if isinstance(keywords, str) else _names(keywords)) + list(getattr(doc, "tags", None) or [])
    )
    section = ld.get("articleSection")
    categories = _unique(_names(section) + list(getattr(doc, "categories", None) or []))

    language = (
        (tree.xpath("/html/@lang") or [None])[0]
        or page.headers.get("Content-Language")
        or (ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None)
        or getattr(doc, "language", None)
        or page.language_hint
    )
    title = (ld.get("headline") if isinstance(ld.get("headline"), str) else None) or getattr(doc, "title", None)

    return ArticleItem(
        id=article_id(canonical_url),
        url=page.url,
        canonical_url=canonical_url,
        site=page.site,
        language=str(language).strip() if language else None,
        title=" ".join(title.split()) if title else None,
        authors=_unique(authors),
        published=published,
        modified=modified,
        text=text,
        description=getattr(doc, "description", None) or None,
        tags=tags,
        categories=categories,
        images=_images(tree, page.url),
        fetched_at=page.fetched_at,
        http_status=page.status,
        warc=page.warc,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        extractor={
            "name": "trafilatura",
            "version": trafilatura.__version__,
            "profile": page.profile,
            "detection": page.detection,
        },
    )


class ExtractionPipeline:
    """Item pipeline turning PageItem into ArticleItem (see module docstring)."""

    def __init__(self, crawler: Crawler, options: ExtractOptions) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.options = options

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        s = crawler.settings
        return cls(
            crawler,
            ExtractOptions(
                min_text_chars=s.getint("EXTRACT_MIN_TEXT_CHARS"),
                favor_precision=s.getbool("EXTRACT_FAVOR_PRECISION"),
                favor_recall=s.getbool("EXTRACT_FAVOR_RECALL"),
            ),
        )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        try:
            article = extract_article(item, self.options)
        except NotAnArticle as exc:
            self.stats.inc_value("extract/dropped/empty")
            raise DropItem(f"{item.url}: no article text: {exc}", log_level="INFO") from exc
        except Exception as exc:
            self.stats.inc_value("extract/dropped/error")
            logger.exception("Extraction failed for %s", item.url)
            raise DropItem(f"{item.url}: extraction error: {exc!r}") from exc
        self.stats.inc_value("extract/articles")
        return article
