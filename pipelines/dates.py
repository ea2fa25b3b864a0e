"""Publication and modification dates, with provenance, in Arabic and every other language.

Two halves:

* :func:`collect_candidates` (run by extraction, on the page's DOM) gathers raw
  date evidence in priority order: JSON-LD ``datePublished``/``dateModified``;
  ``article:published_time`` and similar meta (og, itemprop, parsely, DC,
  sailthru); ``<time datetime>``; the visible byline/date element (the profile's
  ``date_selector``, else date/byline/meta elements near the headline, else the
  text right after ``<h1>``); the URL path (``/2020/03/25/``); htmldate's
  markup-only guess last (appended by the extraction pass).
* :func:`apply_dates` (run in the extraction workers, else by
  :class:`DatesPipeline`) and :func:`resolve_dates` parse them in that order; the
  first *plausible* value wins (not after fetch time + ``DATES_MAX_FUTURE_DAYS``,
  not before ``DATES_MIN_YEAR``) and its source is recorded in
  ``published_source``.

Text dates go through :func:`parse_text_date`: Arabic with the project's own
parser (MSA/Egyptian, Levantine/Syriac — كانون الثاني … كانون الأول, "تشرين 1" —,
Maghrebi — جانفي … ديسمبر, جوان, جويلية, أوت —, Moroccan — يوليوز, غشت, شتنبر …;
"من" and "،" between the parts, weekday prefixes, Arabic-Indic and Persian
digits, ص/م times, relative dates such as "منذ ساعتين" or "أمس", and Hijri dates
marked هـ converted with the Umm al-Qura calendar), other languages through
dateparser (relative dates against the fetch time).

Time zones: an offset given by the page is kept; otherwise a time is placed in
the profile's time zone, else ``DATES_DEFAULT_TIMEZONE`` (UTC), and
``published_tz_assumed`` is true.  A date without a time stays a date
(``2020-03-25``).  No date at all gives null — never the fetch date.

Settings read (through :class:`~pipelines.options.DateOptions`): ``DATES_ENABLED``,
``DATES_DEFAULT_TIMEZONE``, ``DATES_MAX_FUTURE_DAYS``, ``DATES_MIN_YEAR``.
Stats: ``dates/published/{source}``, ``dates/published/missing``,
``dates/implausible``.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from scrapy.exceptions import NotConfigured

from crawler.htmlmeta import MetaIndex, meta_content, meta_index
from crawler.items import ArticleItem
from pipelines.datetext import (
    ParsedDate,
    ar_normalize,
    parse_arabic,
    parse_iso,
    parse_machine,
    parse_numeric,
    parse_text_date,
)
from pipelines.options import DateOptions

__all__ = [  # the text parsing lives in pipelines.datetext; its names stay importable from here
    "ParsedDate", "ar_normalize", "parse_arabic", "parse_iso", "parse_machine", "parse_numeric", "parse_text_date",
]  # fmt: skip

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# --- candidates ----------------------------------------------------------------

PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "publishdate",
    "pubdate",
    "publish-date",
    "dc.date.issued",
    "DC.date.issued",
    "dc.date",
    "DC.date",
    "dcterms.created",
    "DCTERMS.created",
    "date",
)
MODIFIED_META = ("article:modified_time", "og:updated_time", "dateModified", "datemodified", "dcterms.modified", "DCTERMS.modified")


@dataclass(frozen=True)
class DateCandidate:
    kind: str  # "published" or "modified"
    source: str
    raw: str


def _text(el: Any) -> str:
    """The element's text, its text nodes apart ("Reporter</span><time>11:58" is not "Reporter11:58")."""
    return " ".join(" ".join(el.itertext()).split())


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$|[-_])")
_URL_COMPACT = re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])/")
_BYLINE_CLASS_WORDS = ("date", "time", "byline", "posted", "published", "meta")


_SKIP_TEXT_OF = ("script", "style")


def _subtree_texts(el: Any) -> Iterator[str]:
    """Text nodes of ``el`` and its descendants in document order, then its tail (none in script/style)."""
    if isinstance(el.tag, str) and el.tag not in _SKIP_TEXT_OF:
        if el.text is not None:
            yield el.text
        for child in el:
            yield from _subtree_texts(child)
    if el.tail is not None:
        yield el.tail


def following_texts(el: Any, limit: int) -> list[str]:
    """The first ``limit`` text nodes after ``el`` in document order, outside script and style.

    XPath's ``following::text()[not(ancestor::script) and not(ancestor::style)]``,
    which finds every text node to the end of the page before the first few are
    taken; this walk stops after ``limit``.
    """
    return list(itertools.islice(_following(el), limit))


def _following(el: Any) -> Iterator[str]:
    node = el
    while node is not None:
        if node.tail is not None:
            yield node.tail
        for sibling in node.itersiblings():
            yield from _subtree_texts(sibling)
        node = node.getparent()


def byline_elements(tree: Any, limit: int = 12) -> list[Any]:
    """The first ``limit`` elements, in document order, whose class names a date, time, byline or
    meta box, or whose id or itemprop says date (one walk over the tree: a third of the time of the
    equivalent XPath, which tests every condition on every element and finds all matches)."""
    out: list[Any] = []
    for el in tree.iter(etree.Element):
        cls = el.get("class")
        if (cls is not None and any(w in cls for w in _BYLINE_CLASS_WORDS)) or "date" in (el.get("id") or "") or "date" in (
            el.get("itemprop") or ""
        ):
            out.append(el)
            if len(out) >= limit:
                break
    return out


_OFF_ARTICLE = {"nav", "footer", "aside"}
_TEASER = {"a", "li"}


def main_headline(tree: Any) -> Any:
    """The page's headline: the first ``<h1>`` outside navigation, footer and asides (else the first)."""
    h1s = tree.xpath("//h1")
    for h1 in h1s:
        if not any(a.tag in _OFF_ARTICLE for a in h1.iterancestors()):
            return h1
    return h1s[0] if h1s else None


def article_region(h1: Any) -> Any:
    """The element holding the article around its headline: the nearest ``<article>``/``<main>``
    (or ``role=main``) ancestor of ``h1``, else its grandparent (the header block)."""
    if h1 is None:
        return None
    for a in h1.iterancestors():
        if a.tag in ("article", "main") or a.get("role") == "main":
            return a
    parent = h1.getparent()
    if parent is None or parent.tag == "body":
        return parent
    grand = parent.getparent()
    return parent if grand is None or grand.tag in ("body", "html") else grand


def region_rank(el: Any, region: Any) -> int:
    """0: inside the article region; 1: elsewhere; 2: in a teaser (a link or list item outside
    the region) or in navigation, footer or an aside — a related item's date, not the article's."""
    ancestors = list(el.iterancestors())
    if region is not None and (el is region or region in ancestors):
        between = [] if el is region else ancestors[: ancestors.index(region)]
        return 0 if not any(a.tag in _OFF_ARTICLE for a in between) else 2
    if el.tag in _TEASER or any(a.tag in _OFF_ARTICLE or a.tag in _TEASER for a in ancestors):
        return 2
    return 1


def collect_candidates(
    tree: Any,
    ld: dict[str, Any],
    url: str,
    date_selector: str | None = None,
    meta: MetaIndex | None = None,
) -> list[DateCandidate]:
    """Raw date evidence from a page, in priority order (see module docstring).

    ``meta``: the page's :func:`~crawler.htmlmeta.meta_index`, if already built.
    htmldate's guess comes from trafilatura's page metadata, read after the
    main text: the extraction pass appends it (:func:`pipelines.article.extract_article`).
    """
    out: list[DateCandidate] = []
    if meta is None:
        meta = meta_index(tree)
    for kind, key in (("published", "datePublished"), ("modified", "dateModified")):
        value = ld.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            out.append(DateCandidate(kind, f"jsonld:{key}", value.strip()))
    for kind, names in (("published", PUBLISHED_META), ("modified", MODIFIED_META)):
        for name in names:
            value = meta_content(tree, name, index=meta)
            if value:
                out.append(DateCandidate(kind, f"meta:{name}", value))
                break
    h1 = main_headline(tree)
    region = article_region(h1)
    # Ranked by region (stable): the article's own dates before those elsewhere on the page.
    ranked: list[tuple[int, DateCandidate]] = []
    for t in tree.xpath("//time[@datetime]")[:12]:
        kind = "modified" if "updated" in (t.get("class") or "") or t.get("itemprop") == "dateModified" else "published"
        ranked.append((region_rank(t, region), DateCandidate(kind, "time:datetime", str(t.get("datetime")).strip())))
    # Visible byline / date text, after the machine-readable values of the same rank.
    texts: list[tuple[int, str, str]] = []
    if date_selector:
        try:
            xpath = GenericTranslator().css_to_xpath(date_selector, prefix="descendant-or-self::")
            for el in tree.xpath(xpath)[:3]:
                texts.append((0, f"byline:{date_selector}", _text(el)))
        except SelectorError:
            logger.warning("Invalid date_selector %r in the site profile", date_selector)
    for el in tree.xpath("//time")[:6]:
        texts.append((region_rank(el, region), "byline:time", _text(el)))
    for el in byline_elements(tree, limit=24):
        text = _text(el)
        rank = region_rank(el, region)
        if 4 <= len(text) <= 200 and rank < 2:
            texts.append((rank, "byline:heuristic", text))
    if h1 is not None:
        snippet = " ".join(" ".join(t.split()) for t in following_texts(h1, 30))[:400]
        if snippet:
            texts.append((1, "byline:after-headline", snippet))  # after the byline elements: it holds body text too
    seen: set[str] = set()
    for rank, source, text in texts:
        if text and text not in seen:
            seen.add(text)
            ranked.append((rank, DateCandidate("published", source, text)))
    ranked.sort(key=lambda pair: pair[0])
    out.extend(c for _, c in ranked)
    path = urlsplit(url).path
    m = _URL_DATE.search(path) or _URL_COMPACT.search(path)
    if m:
        out.append(DateCandidate("published", "url:path", f"{m.group(1)}-{m.group(2)}-{m.group(3)}"))
    return out


# --- parsing ------------------------------------------------------------------


MACHINE_SOURCES = ("jsonld", "meta", "time:datetime", "url", "htmldate")


def parse_candidate(c: DateCandidate, language: str | None, base: datetime) -> ParsedDate | None:
    """Machine-readable values by :func:`~pipelines.datetext.parse_machine`, text in the page's ``language``."""
    if c.source.startswith(MACHINE_SOURCES):
        return parse_machine(c.raw, base)
    return parse_text_date(c.raw, language, base)


def _evidence_days(candidates: list[DateCandidate], base: datetime) -> set[Any]:
    """Days named by the page's machine-readable values (ISO only: cheap), to settle ambiguous text dates.

    Not htmldate's guess: it may be its own reading of the same ambiguous text."""
    days = set()
    for c in candidates:
        if c.source.startswith(MACHINE_SOURCES) and c.source != "htmldate":
            parsed = parse_iso(c.raw)
            if parsed is not None:
                days.add(parsed.value.date())
    return days


def _settle(parsed: ParsedDate, evidence: set[Any], fits: Any) -> ParsedDate:
    """The reading of an ambiguous numeric date to keep: the one the page's other evidence names,
    else the plausible one (a swapped day and month often lands in the future), else the first."""
    if parsed.alternative is None:
        return parsed
    other = ParsedDate(parsed.alternative, parsed.has_time)
    first = ParsedDate(parsed.value, parsed.has_time)
    if other.value.date() in evidence and first.value.date() not in evidence:
        return other
    if not fits(first) and fits(other):
        return other
    return first


# --- resolution ---------------------------------------------------------------


@dataclass
class DateResult:
    published: str | None = None
    published_source: str | None = None
    published_tz_assumed: bool | None = None
    modified: str | None = None
    modified_source: str | None = None


def zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def render(parsed: ParsedDate, tz: tzinfo) -> tuple[str, bool | None]:
    """ISO 8601 text and whether the offset was assumed (None for a date without time)."""
    if not parsed.has_time:
        return parsed.value.date().isoformat(), None
    if parsed.has_offset:
        return parsed.value.isoformat(), False
    return parsed.value.replace(tzinfo=tz).isoformat(), True


def plausible(parsed: ParsedDate, fetched: datetime, tz: tzinfo, min_year: int, max_future: timedelta) -> bool:
    value = parsed.value if parsed.has_offset else parsed.value.replace(tzinfo=tz)
    if value.year < min_year:
        return False
    if not parsed.has_time:
        return value.date() <= (fetched + max_future).date()
    return value <= fetched + max_future


def resolve_dates(
    candidates: list[DateCandidate],
    *,
    fetched_at: str,
    language: str | None,
    timezone: str | None,
    options: DateOptions | None = None,
    on_implausible: Any = None,
) -> DateResult:
    """Published and modified dates from ``candidates``, the first plausible of each kind.

    ``timezone``: the site profile's zone, else ``options.default_timezone``,
    else (empty or unknown names) UTC.  ``options``: the project's defaults
    (crawler/settings.py) when None.  ``on_implausible(candidate, parsed)`` is
    called for each value skipped as implausible.
    """
    options = options or DateOptions.from_settings()
    fetched = datetime.fromisoformat(fetched_at)
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    tz = zone(timezone) or zone(options.default_timezone) or UTC
    max_future = timedelta(days=options.max_future_days)
    base = fetched.astimezone(tz).replace(tzinfo=None)
    result = DateResult()
    evidence: set[Any] | None = None

    def fits(parsed: ParsedDate) -> bool:
        return plausible(parsed, fetched, tz, options.min_year, max_future)

    for c in candidates:
        if (c.kind == "published" and result.published) or (c.kind == "modified" and result.modified):
            continue
        parsed = parse_candidate(c, language, base)
        if parsed is None:
            continue
        if parsed.alternative is not None:
            if evidence is None:
                evidence = _evidence_days(candidates, base)
            parsed = _settle(parsed, evidence, fits)
        if not fits(parsed):
            if on_implausible is not None:
                on_implausible(c, parsed)
            continue
        text, assumed = render(parsed, tz)
        if c.kind == "published":
            result.published, result.published_source, result.published_tz_assumed = text, c.source, assumed
        else:
            result.modified, result.modified_source = text, c.source
    return result


def find_published(
    tree: Any,
    url: str,
    *,
    language: str | None,
    fetched_at: datetime,
    ld: dict[str, Any] | None = None,
    meta: MetaIndex | None = None,
    options: DateOptions | None = None,
) -> DateResult:
    """The page's publication date as the dates step would find it (article detection uses this:
    one date finder).  Stops at the first plausible published value; no htmldate guess."""
    candidates = [c for c in collect_candidates(tree, ld or {}, url, meta=meta) if c.kind == "published"]
    return resolve_dates(candidates, fetched_at=fetched_at.isoformat(), language=language, timezone=None, options=options)


class DatesPipeline:
    """Item pipeline setting published/modified with provenance (see module docstring).

    Disabled (NotConfigured) when ``DATES_ENABLED`` is off.  Articles whose
    dates the extraction workers already decided pass through.
    """

    def __init__(self, crawler: Crawler, options: DateOptions) -> None:
        self.stats = crawler.stats
        self.options = options

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatesPipeline:
        options = DateOptions.from_settings(crawler.settings)
        if not options.enabled:
            raise NotConfigured
        return cls(crawler, options)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and not item.dated:  # else decided in the extraction worker
            apply_dates(item, self.options, self.stats)
        return item


def apply_dates(item: ArticleItem, options: DateOptions | None = None, stats: Any = None) -> int:
    """Set the item's dates from its candidates; return how many implausible values were skipped.

    ``options``: the project's defaults (crawler/settings.py) when None.
    """
    skipped = 0

    def implausible(c: DateCandidate, parsed: ParsedDate) -> None:
        nonlocal skipped
        skipped += 1
        logger.info("%s: implausible %s date %s from %s (%r); trying the next source", item.url, c.kind, parsed.value, c.source, c.raw[:80])
        if stats is not None:
            stats.inc_value("dates/implausible")

    result = resolve_dates(
        [DateCandidate(*c) for c in item.date_candidates],
        fetched_at=item.fetched_at,
        language=item.language,
        timezone=item.timezone,
        options=options,
        on_implausible=implausible,
    )
    item.published = result.published
    item.published_source = result.published_source
    item.published_tz_assumed = result.published_tz_assumed
    item.modified = result.modified
    item.modified_source = result.modified_source
    item.dated = True
    item.date_candidates = []
    if stats is not None:
        source = (result.published_source or "missing").split(":")[0]
        stats.inc_value(f"dates/published/{source}")
    return skipped
