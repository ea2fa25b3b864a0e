"""The extraction pass: one fetched article page (PageItem) into an ArticleItem.

:func:`extract_article` is a pure function, run by the extraction pipeline
(in its worker processes, :mod:`pipelines.extraction_pool`, or in the reactor
process) and by ``scrapy extract`` (:mod:`pipelines.offline`):

1. decode the bytes (:mod:`pipelines.charset`) and parse them into the tree
   trafilatura would build (:func:`parse_html`);
2. read the metadata from the untouched page: JSON-LD, meta tags, canonical
   URL, images, date evidence (:func:`pipelines.dates.collect_candidates`) and
   trafilatura's page metadata (:mod:`pipelines.pagemeta`);
3. prune page furniture from the DOM, let trafilatura find the main text, and
   clean its blocks (:mod:`pipelines.cleaning`);
4. authors, language (:mod:`pipelines.language`), tags, categories and title.

Dates are left as candidates (``date_candidates``) for
:func:`pipelines.dates.apply_dates`.  Options: :class:`~pipelines.options.ExtractOptions`.
"""

from __future__ import annotations

import functools
import hashlib
import time
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import is_dubious_html, repair_faulty_html

from crawler.htmlmeta import MetaIndex, jsonld_objects, meta_content, meta_index
from crawler.items import ArticleItem, ImageRef, PageItem
from crawler.urls import article_id
from pipelines.authors import choose_authors, signoff_name, split_authors  # noqa: F401  (split_authors: re-exported)
from pipelines.charset import decode_html_checked
from pipelines.cleaning import CleanContext, Cleaner, DomLookup, block_hash, normalize, strip_icon_prefix
from pipelines.dates import DateCandidate, collect_candidates, resolve_dates
from pipelines.headline import choose_title, site_keys
from pipelines.holes import has_holes, keep_empty_tails, repair_holes
from pipelines.language import choose_language
from pipelines.options import DateOptions, ExtractOptions
from pipelines.pagemeta import extract_author, page_metadata
from pipelines.scriptbody import SCRIPT_BODY_BELOW_CHARS, script_body

ARTICLE_JSONLD_KEYS = ("headline", "datePublished", "articleBody", "author")


class NotAnArticle(Exception):
    """Extraction found no usable article text."""

    kind = "empty"


class PageTooComplex(NotAnArticle):
    """The page's DOM is too large to extract from safely (EXTRACT_MAX_ELEMENTS)."""

    kind = "too_complex"


class UndatedPage(NotAnArticle):
    """A page accepted on headline and text alone (``PageItem.date_required``) that the dates step cannot date."""

    kind = "undated"
    reason = "heuristic:no-date"


def confirm_dated(article: ArticleItem, options: DateOptions | None = None) -> None:
    """Raise UndatedPage unless ``article`` has a publication date, as the dates step decides it.

    Detection's date check for pages that mark nothing (crawler/detection.py, ``defer_date``):
    the date the record gets (``apply_dates`` already ran) or would get (resolved here from
    the same candidates, without setting it: ``DATES_ENABLED`` off, or dates decided later).
    """
    if article.dated:
        found = article.published
    else:
        found = resolve_dates([DateCandidate(*c) for c in article.date_candidates], fetched_at=article.fetched_at,
                              language=article.language, timezone=article.timezone, options=options).published
    if found is None:
        raise UndatedPage("no publication date found (no metadata, <time>, byline, dateline or URL date)")


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
        # The photo's own URL: src, or where a lazy-load placeholder (a data: URI) stands, the lazy attribute.
        srcs = [str(v).strip() for v in fig.xpath(
            "(.//img)[1]/@src | (.//img)[1]/@data-src | (.//img)[1]/@data-lazy-src | (.//img)[1]/@data-original")]
        real = [v for v in srcs if v and not v.startswith("data:")]
        if not real:
            continue
        url = urljoin(base_url, real[0]).split("#", 1)[0]
        cap = fig.xpath(".//figcaption")
        caption = strip_icon_prefix(" ".join(cap[0].text_content().split())) if cap else None
        if url not in seen:
            seen.add(url)
            images.append(ImageRef(url=url, caption=caption or None))
    if og:
        url = urljoin(base_url, og.strip()).split("#", 1)[0]
        if url not in seen:
            images.insert(0, ImageRef(url=url, caption=None))
    return images


def attach_captures(images: list[ImageRef], resources: dict[str, dict[str, Any]] | None) -> None:
    """Say for each image whether the crawl archived it: its WARC record, or why not.

    ``resources``: the page's resources by URL (``PageItem.resources``,
    crawler/middlewares/resources.py); None leaves ``archived`` unknown (null).
    """
    if resources is None:
        return
    for image in images:
        found = resources.get(image.url)
        if found is None:
            image.archived, image.reason = False, "not among the page's resources fetched (ARCHIVE_RESOURCES_KINDS or ARCHIVE_RESOURCES_MAX_PER_PAGE)"
        elif found.get("archived"):
            image.archived = True
            image.warc = {**found["warc"], **({"revisit": True} if found.get("revisit") else {})}
        else:
            image.archived, image.reason = False, str(found.get("reason") or "unknown")


def extract_article(
    page: PageItem,
    options: ExtractOptions | None = None,
    cleaner: Cleaner | None = None,
    timings: dict[str, float] | None = None,
) -> ArticleItem:
    """Extract and clean the article in ``page``; raise NotAnArticle if no text is left.

    ``options``: the project's defaults (crawler/settings.py) when None.
    ``timings``, if given, accumulates seconds spent in ``extraction`` (parsing,
    metadata, trafilatura) and in ``cleaning`` (DOM pruning and block rules).
    """
    clock = time.perf_counter
    t0 = clock()
    options = options or ExtractOptions.from_settings()
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
    attach_captures(images, page.resources)
    ctx = CleanContext(
        site_names=_site_names(tree, ld, meta),
        captions=[normalize(i.caption) for i in images if i.caption],
        drop_text_patterns=list(page.drop_text_patterns),
    )
    candidates = collect_candidates(tree, ld, page.url, page.date_selector, meta=meta)
    sites = site_keys(tree, ld, meta, page.url)
    headline = choose_title(tree, ld, meta, page.url, sites=sites)  # pipelines/headline.py
    # The article object's author, else the first JSON-LD object naming one (a BlogPosting beside the WebPage).
    ld_author = ld.get("author") or next((o["author"] for o in jsonld_objects(tree) if o.get("author")), None)
    ctx.title = normalize(headline or "")  # a body line repeating the headline is furniture

    # Layer 1: prune furniture from the DOM, then let trafilatura find the main text.
    t1 = clock()
    removed = cleaner.prune_dom(tree, page.drop_selectors)
    keep_empty_tails(tree)  # precision mode would take the words after an empty element with it
    ctx.dom = DomLookup(tree)
    t2 = clock()
    paragraphs = [" ".join(p.text_content().split()) for p in tree.iter("p")]
    paragraph_chars = sum(map(len, paragraphs))

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
        # Also when it found a fraction of a long page's paragraph text (EXTRACT_COMPARE_BELOW_SHARE).
        # (Default mode only: in precision mode the comparison keeps the fast result on such pages.)
        share = 0.0 if favor_precision else options.compare_below_share
        below = max(options.compare_below_chars, share * paragraph_chars)
        if not options.fast and sum(map(len, lines)) < below:
            lines = run(favor_precision, False)
        return lines

    author_scan: list[str | None] = []  # the byline scan of this (pruned) tree, if page_metadata made it
    doc = page_metadata(tree, canonical_url, author_scan)
    lines = cascade(options.favor_precision)
    lines2: list[str] | None = None
    if options.favor_precision and sum(map(len, lines)) < 0.3 * paragraph_chars:
        # Precision mode sometimes drops the whole body: take the default run if it finds much more.
        lines2 = cascade(False)
        if sum(map(len, lines2)) > 2 * sum(map(len, lines)):
            lines = lines2
    if options.favor_precision and lines is not lines2 and has_holes(lines, paragraphs):
        # Precision mode cut words out of a paragraph: mend such lines from the default mode's run.
        lines = repair_holes(lines, lines2 if lines2 is not None else run(False, True))
    body_source = "html"
    if sum(map(len, lines)) < SCRIPT_BODY_BELOW_CHARS:
        # The HTML held (almost) no body text: the page may carry it in a script (pipelines/scriptbody.py).
        found = script_body(tree, ld)
        if found is not None and sum(map(len, found[1])) >= max(options.min_text_chars, 2 * sum(map(len, lines))):
            body_source, lines = found
    # Layer 2: block rules.
    t3 = clock()
    blocks, cut = cleaner.clean_blocks(lines, ctx)
    blocks = cleaner.restore_headings(tree, blocks, ctx)
    blocks = cleaner.restore_sections(tree, blocks, ctx)
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

    byline = getattr(doc, "author", None)
    authors = choose_authors(ld_author, byline if isinstance(byline, str) else None,
                             lambda: author_scan[0] if author_scan else extract_author(tree), sites,
                             lambda: signoff_name(tree))
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
    title = headline or getattr(doc, "title", None)

    return ArticleItem(
        charset_fix=charset_fix,
        id=article_id(canonical_url),
        url=page.url,
        canonical_url=canonical_url,
        site=page.site,
        language=language,
        title=" ".join(title.split()) if title else None,
        authors=authors,
        published=None,  # decided from date_candidates by pipelines.dates.apply_dates
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
        payload_digest=page.payload_digest,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        extractor={
            "name": "trafilatura",
            "version": trafilatura.__version__,
            "profile": page.profile,
            "detection": page.detection,
            "source": body_source,  # where the body text came from: html, jsonld or embedded-json
        },
        removed=[r.as_dict() for r in removed],
        blocks=blocks,
        block_hashes=[block_hash(b, ctx.normalized.get(b)) for b in blocks],
        date_candidates=[(c.kind, c.source, c.raw) for c in candidates],
        timezone=page.timezone,
        capture_status=page.capture_status,
        request_url=page.request_url,
    )
