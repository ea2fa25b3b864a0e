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
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError
from hijridate import Hijri
from lxml import etree
from scrapy.exceptions import NotConfigured

from crawler.detection import MetaIndex, meta_content, meta_index
from crawler.items import ArticleItem
from pipelines.options import DateOptions

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
    return " ".join(el.text_content().split())


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


def collect_candidates(
    tree: Any,
    ld: dict[str, Any],
    url: str,
    date_selector: str | None = None,
    meta: MetaIndex | None = None,
) -> list[DateCandidate]:
    """Raw date evidence from a page, in priority order (see module docstring).

    ``meta``: the page's :func:`~crawler.detection.meta_index`, if already built.
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
    for t in tree.xpath("//time[@datetime]")[:3]:
        kind = "modified" if "updated" in (t.get("class") or "") or t.get("itemprop") == "dateModified" else "published"
        out.append(DateCandidate(kind, "time:datetime", str(t.get("datetime")).strip()))
    # Visible byline / date text.
    texts: list[tuple[str, str]] = []
    if date_selector:
        try:
            xpath = GenericTranslator().css_to_xpath(date_selector, prefix="descendant-or-self::")
            for el in tree.xpath(xpath)[:3]:
                texts.append((f"byline:{date_selector}", _text(el)))
        except SelectorError:
            logger.warning("Invalid date_selector %r in the site profile", date_selector)
    for el in tree.xpath("//time")[:2]:
        texts.append(("byline:time", _text(el)))
    h1 = tree.xpath("//h1")
    for el in byline_elements(tree):
        text = _text(el)
        if 4 <= len(text) <= 200 and not el.xpath("ancestor::footer|ancestor::nav|ancestor::aside"):
            texts.append(("byline:heuristic", text))
    if h1:
        snippet = " ".join(" ".join(t.split()) for t in following_texts(h1[0], 30))[:400]
        if snippet:
            texts.append(("byline:after-headline", snippet))
    seen: set[str] = set()
    for source, text in texts:
        if text and text not in seen:
            seen.add(text)
            out.append(DateCandidate("published", source, text))
    path = urlsplit(url).path
    m = _URL_DATE.search(path) or _URL_COMPACT.search(path)
    if m:
        out.append(DateCandidate("published", "url:path", f"{m.group(1)}-{m.group(2)}-{m.group(3)}"))
    return out


# --- parsing ------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedDate:
    value: datetime  # naive unless the text gave an offset
    has_time: bool

    @property
    def has_offset(self) -> bool:
        return self.value.tzinfo is not None


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه"})


def ar_normalize(text: str) -> str:
    text = _AR_DIACRITICS.sub("", text.translate(_DIGITS)).translate(_AR_FOLD)
    return " ".join(text.split())


_AR_MONTH_NAMES: dict[str, int] = {}
for _month, _names in {
    1: ["يناير", "كانون الثاني", "جانفي", "كانون 2", "كانون ثاني", "جانفييه"],
    2: ["فبراير", "شباط", "فيفري", "فبرير"],
    3: ["مارس", "آذار", "اذار"],
    4: ["أبريل", "ابريل", "إبريل", "نيسان", "أفريل", "افريل", "ابريل"],
    5: ["مايو", "أيار", "ايار", "ماي"],
    6: ["يونيو", "يونية", "حزيران", "جوان"],
    7: ["يوليو", "يولية", "تموز", "جويلية", "جويليه", "يوليوز"],
    8: ["أغسطس", "اغسطس", "آب", "اب", "أوت", "اوت", "غشت"],
    9: ["سبتمبر", "أيلول", "ايلول", "شتنبر"],
    10: ["أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول", "تشرين 1", "تشرين أول", "اكتوبر"],
    11: ["نوفمبر", "تشرين الثاني", "تشرين 2", "تشرين ثاني", "نونبر"],
    12: ["ديسمبر", "كانون الأول", "كانون الاول", "كانون 1", "كانون أول", "دجنبر"],
}.items():
    for _name in _names:
        _AR_MONTH_NAMES[ar_normalize(_name)] = _month

_HIJRI_MONTHS: dict[str, int] = {}
for _month, _names in {
    1: ["محرم"],
    2: ["صفر"],
    3: ["ربيع الأول", "ربيع الاول", "ربيع أول"],
    4: ["ربيع الآخر", "ربيع الثاني", "ربيع ثاني"],
    5: ["جمادى الأولى", "جمادى الاولى", "جمادى الأول"],
    6: ["جمادى الآخرة", "جمادى الثانية", "جمادى الاخرة"],
    7: ["رجب"],
    8: ["شعبان"],
    9: ["رمضان"],
    10: ["شوال"],
    11: ["ذو القعدة", "ذي القعدة"],
    12: ["ذو الحجة", "ذي الحجة"],
}.items():
    for _name in _names:
        _HIJRI_MONTHS[ar_normalize(_name)] = _month

_AL = r"(?<![\u0621-\u064a])"  # not preceded by an Arabic letter
_AR = r"(?![\u0621-\u064a])"  # not followed by an Arabic letter


def _alternation(names: dict[str, int]) -> str:
    return "|".join(re.escape(n).replace(r"\ ", r"\s*") for n in sorted(names, key=len, reverse=True))


_AR_MONTH_RE = _alternation(_AR_MONTH_NAMES)
_HIJRI_RE = _alternation(_HIJRI_MONTHS)
_AR_DMY = re.compile(
    rf"(?P<d>\d{{1,2}})\s*(?:من\s+|/\s*)?{_AL}(?P<m>{_AR_MONTH_RE}){_AR}(?:\s*/\s*[\u0621-\u064a]+)?\s*[،,]?\s*(?:(?:عام|سنه)\s+)?(?P<y>\d{{4}})?"
)
_AR_MDY = re.compile(rf"{_AL}(?P<m>{_AR_MONTH_RE}){_AR}\s+(?P<d>\d{{1,2}})\s*[،,]\s*(?P<y>\d{{4}})")
_HIJRI = re.compile(rf"(?P<d>\d{{1,2}})\s*(?:من\s+)?{_AL}(?P<m>{_HIJRI_RE}){_AR}\s*[،,]?\s*(?P<y>1[34]\d\d)\s*(?:ه|هـ|ھ)?")
_NUM_YMD = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_NUM_DMY = re.compile(r"(?<!\d)(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>(?:19|20)\d{2})(?!\d)")
_TIME = re.compile(
    r"(?<!\d)(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>ص|م|صباحا|مساء|am|pm|a\.m\.|p\.m\.)?(?![\d\u0621-\u064a])",
    re.IGNORECASE,
)
_AR_RELATIVE_UNITS = {
    "ثانيه": timedelta(seconds=1), "ثواني": timedelta(seconds=1), "ثوان": timedelta(seconds=1),
    "دقيقه": timedelta(minutes=1), "دقائق": timedelta(minutes=1), "دقيقتين": timedelta(minutes=2), "دقيقتان": timedelta(minutes=2),
    "ساعه": timedelta(hours=1), "ساعات": timedelta(hours=1), "ساعتين": timedelta(hours=2), "ساعتان": timedelta(hours=2),
    "يوم": timedelta(days=1), "ايام": timedelta(days=1), "يومين": timedelta(days=2), "يومان": timedelta(days=2),
    "اسبوع": timedelta(weeks=1), "اسابيع": timedelta(weeks=1), "اسبوعين": timedelta(weeks=2), "اسبوعان": timedelta(weeks=2),
}  # fmt: skip
_AR_RELATIVE = re.compile(
    r"(?:منذ|قبل)\s+(?P<n>\d+\s+)?(?P<u>" + "|".join(sorted(_AR_RELATIVE_UNITS, key=len, reverse=True)) + r")(?![\u0621-\u064a])"
)


def _apply_time(day: date, text: str) -> ParsedDate:
    m = _TIME.search(text)
    if not m:
        return ParsedDate(datetime(day.year, day.month, day.day), has_time=False)
    hour, minute = int(m.group("h")), int(m.group("mi"))
    second = int(m.group("s") or 0)
    ampm = (m.group("ampm") or "").lower()
    if ampm in ("م", "مساء", "pm", "p.m.") and hour < 12:
        hour += 12
    elif ampm in ("ص", "صباحا", "am", "a.m.") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return ParsedDate(datetime(day.year, day.month, day.day), has_time=False)
    return ParsedDate(datetime(day.year, day.month, day.day, hour, minute, second), has_time=True)


def _infer_year(month: int, day: int, base: datetime) -> int:
    """A date written without a year is the latest one not after the fetch time."""
    year = base.year
    try:
        if date(year, month, day) > base.date() + timedelta(days=1):
            year -= 1
    except ValueError:
        pass
    return year


def parse_arabic(text: str, base: datetime) -> ParsedDate | None:
    """Parse an Arabic (or numeric) date expression found anywhere in ``text``."""
    t = ar_normalize(text)
    m = _AR_RELATIVE.search(t)
    if m:
        unit = m.group("u")
        delta = _AR_RELATIVE_UNITS[unit] * int(m.group("n") or 1)  # dual forms carry their 2
        when = base - delta
        return ParsedDate(when.replace(microsecond=0), has_time=delta < timedelta(days=1))
    if re.search(rf"{_AL}امس{_AR}", t):
        return _apply_time((base - timedelta(days=1)).date(), t)
    if re.search(rf"{_AL}اليوم{_AR}", t) and not _AR_DMY.search(t):
        return _apply_time(base.date(), t)
    m = _HIJRI.search(t)
    if m:
        hmonth = _HIJRI_MONTHS[re.sub(r"\s+", " ", m.group("m"))]
        try:
            g = Hijri(int(m.group("y")), hmonth, int(m.group("d"))).to_gregorian()
        except (ValueError, OverflowError):
            return None
        return _apply_time(date(g.year, g.month, g.day), t[m.end() :])
    for regex in (_AR_DMY, _AR_MDY):
        m = regex.search(t)
        if m:
            month = _AR_MONTH_NAMES.get(re.sub(r"\s+", " ", m.group("m")))
            if month is None:
                continue
            day = int(m.group("d"))
            year = int(m.group("y")) if m.group("y") else _infer_year(month, day, base)
            try:
                return _apply_time(date(year, month, day), t[m.end() :] or t)
            except ValueError:
                return None
    for regex in (_NUM_YMD, _NUM_DMY):
        m = regex.search(t)
        if m:
            try:
                return _apply_time(date(int(m.group("y")), int(m.group("m")), int(m.group("d"))), t[m.end() :])
            except ValueError:
                return None
    return None


_HAS_TIME = re.compile(r"\d{1,2}[:h.]\d{2}|\b(ago|hour|hours|minute|minutes|heure|heures|minute|stunde|stunden|minuten|hora|horas|saat|dakika)\b", re.I)
_LATIN_DATE_HINT = re.compile(r"\d")


def parse_text_date(text: str, language: str | None, base: datetime, locales: list[str] | None = None) -> ParsedDate | None:
    """Parse a date written in ``text`` (a byline, a date element) in ``language``."""
    if not text or not text.strip():
        return None
    lang = (language or "").split("-")[0].lower()
    if lang == "ar" or re.search("[\u0600-\u06ff]", text):
        parsed = parse_arabic(text, base)
        if parsed is not None:
            return parsed
        if lang == "ar":
            return None
    if not _LATIN_DATE_HINT.search(text) and "ago" not in text.lower() and "yesterday" not in text.lower():
        return None
    # Imported here, not at the top: dateparser costs 24 ms and 1.7 MB (37 modules) on top of what
    # the crawler already imports, in every `scrapy` command and in the crawl's main process, where
    # no text date is parsed (the extraction workers parse them; their warm-up loads it).
    import dateparser
    from dateparser.search import search_dates

    settings: dict[str, Any] = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
    }
    languages = [lang] if lang else None
    if locales:
        languages = sorted({loc.split("-")[0] for loc in locales} | set(languages or []))
    candidate = text.strip()
    if len(candidate) <= 60:
        dt = dateparser.parse(candidate, languages=languages, settings=settings)
        if dt is not None:
            return ParsedDate(dt, has_time=bool(_HAS_TIME.search(candidate)))
    found = search_dates(candidate[:300], languages=languages, settings=settings)
    for substring, dt in found or []:
        if re.search(r"\d", substring) or _HAS_TIME.search(substring):
            return ParsedDate(dt, has_time=bool(_HAS_TIME.search(substring)))
    return None


def parse_iso(value: str) -> ParsedDate | None:
    value = value.strip()
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
        if not m:
            return None
        try:
            dt = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
        return ParsedDate(dt, has_time=False)
    return ParsedDate(dt, has_time=len(value) > 10)


def parse_candidate(c: DateCandidate, language: str | None, base: datetime) -> ParsedDate | None:
    if c.source.startswith(("jsonld", "meta", "time:datetime", "url", "htmldate")):
        return parse_iso(c.raw) or parse_text_date(c.raw, language, base)
    return parse_text_date(c.raw, language, base)


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
    for c in candidates:
        if (c.kind == "published" and result.published) or (c.kind == "modified" and result.modified):
            continue
        parsed = parse_candidate(c, language, base)
        if parsed is None:
            continue
        if not plausible(parsed, fetched, tz, options.min_year, max_future):
            if on_implausible is not None:
                on_implausible(c, parsed)
            continue
        text, assumed = render(parsed, tz)
        if c.kind == "published":
            result.published, result.published_source, result.published_tz_assumed = text, c.source, assumed
        else:
            result.modified, result.modified_source = text, c.source
    return result


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
