"""Dates written in text and in machine-readable values: the one date finder of the project.

Used by :mod:`pipelines.dates` (the article's dates) and by :mod:`crawler.detection`
(through :func:`pipelines.dates.find_published`: does an unmarked page carry a date?).

* :func:`parse_text_date` — a date written in words or digits, in the language of the
  text: Arabic with the project's own parser (MSA/Egyptian, Levantine/Syriac — كانون الثاني
  … كانون الأول, "تشرين 1" —, Maghrebi — جانفي … ديسمبر, جوان, جويلية, أوت —, Moroccan —
  يوليوز, غشت, شتنبر …; "من" and "،" between the parts, weekday prefixes, Arabic-Indic and
  Persian digits, ص/م times, relative dates such as "منذ ساعتين" or "أمس", and Hijri dates
  marked هـ converted with the Umm al-Qura calendar); all-numeric dates by the
  project's own rules (:func:`parse_numeric`); other languages through dateparser, with
  the page's language and English (bylines of CMS templates are often English whatever
  the page says), relative dates against the fetch time.
* :func:`parse_machine` — a metadata value (JSON-LD, ``<meta>``, ``<time datetime>``):
  ISO 8601 in its web variants, epoch seconds or milliseconds, RFC 2822; never read
  with the page's language.

Numeric dates: ``yyyy-mm-dd`` is always year-month-day; ``dd.mm.yyyy`` (dots) is always
day-first; ``a/b/yyyy`` and ``a-b-yyyy`` are day-first except in US English
(``en-US``, and bare ``en`` with slashes), month-first there.  When both readings
are valid dates (both numbers 12 or less and different) the other reading is kept
in :attr:`ParsedDate.alternative`, so the resolution can take the reading that
agrees with the page's other evidence, or the one that is not in the future.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hijridate import Hijri


@dataclass(frozen=True)
class ParsedDate:
    value: datetime  # naive unless the text gave an offset
    has_time: bool
    #: The other reading of an ambiguous all-numeric date (day and month swapped), if valid.
    alternative: datetime | None = None

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
    r"(?<!\d)(?P<h>\d{1,2})(?:[:.]|h(?=\d))(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>ص|م|صباحا|مساء|am|pm|a\.m\.|p\.m\.)?(?![\d\u0621-\u064a])",
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


_RELATIVE_MAX_CHARS = 60


def parse_arabic(text: str, base: datetime) -> ParsedDate | None:
    """Parse an Arabic (or numeric) date expression found anywhere in ``text``.

    Relative forms ("منذ ساعتين", "أمس", "اليوم") only in a short text (a date element, up to
    ``_RELATIVE_MAX_CHARS``): in running text "اليوم" is "today" of the story, not a date.
    """
    t = ar_normalize(text)
    short = len(t) <= _RELATIVE_MAX_CHARS
    m = _AR_RELATIVE.search(t) if short else None
    if m:
        unit = m.group("u")
        delta = _AR_RELATIVE_UNITS[unit] * int(m.group("n") or 1)  # dual forms carry their 2
        when = base - delta
        return ParsedDate(when.replace(microsecond=0), has_time=delta < timedelta(days=1))
    if short and re.search(rf"{_AL}امس{_AR}", t):
        return _apply_time((base - timedelta(days=1)).date(), t)
    if short and re.search(rf"{_AL}اليوم{_AR}", t) and not _AR_DMY.search(t):
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
    return parse_numeric(t, "ar")


#: Regions writing a/b/yyyy month first.
_MONTH_FIRST_REGIONS = {"us", "ph", "fm", "mh", "pw", "as", "gu", "mp", "pr", "vi", "um"}


def month_first(language: str | None, separator: str) -> bool:
    """Whether ``a<sep>b<sep>yyyy`` is month/day/year in ``language`` (a BCP 47 tag)."""
    if separator == ".":
        return False  # dotted dates are day-first everywhere they are written
    parts = (language or "").replace("_", "-").lower().split("-")
    if parts[0] != "en":
        return False
    region = next((p for p in parts[1:] if len(p) == 2), None)
    if region is not None:
        return region in _MONTH_FIRST_REGIONS
    return separator == "/"


def parse_numeric(text: str, language: str | None) -> ParsedDate | None:
    """The first all-numeric date (``yyyy-mm-dd``, ``dd.mm.yyyy``, ``mm/dd/yyyy`` …) in ``text``.

    Day or month first by the conventions of ``language`` (:func:`month_first`);
    an ambiguous date keeps its other reading in ``alternative``.
    """
    ymd, dmy = _NUM_YMD.search(text), _NUM_DMY.search(text)
    if ymd and (not dmy or ymd.start() <= dmy.start()):
        try:
            return _apply_time(date(int(ymd.group("y")), int(ymd.group("m")), int(ymd.group("d"))), text[ymd.end() :])
        except ValueError:
            return None
    if not dmy:
        return None
    a, b, year = int(dmy.group("d")), int(dmy.group("m")), int(dmy.group("y"))
    separator = text[dmy.end("d")]
    day, month = (b, a) if month_first(language, separator) else (a, b)
    if month > 12 >= day:
        day, month = month, day  # only one reading is a date
    try:
        parsed = _apply_time(date(year, month, day), text[dmy.end() :])
    except ValueError:
        return None
    if day != month and day <= 12:
        swapped = parsed.value.replace(month=day, day=month)
        return ParsedDate(parsed.value, parsed.has_time, alternative=swapped)
    return parsed


_HAS_TIME = re.compile(r"\d{1,2}[:h.]\d{2}|\b(ago|hour|hours|minute|minutes|heure|heures|minute|stunde|stunden|minuten|hora|horas|saat|dakika)\b", re.I)
_LATIN_DATE_HINT = re.compile(r"\d")
_NUM_DMY_OR_YMD = re.compile(_NUM_YMD.pattern + "|" + _NUM_DMY.pattern.replace("?P<", "?P<x"))
# A word before a numeric date that may name a month ("March 3, 2024 — updated 04.03.2024"): dateparser reads the text.
_MONTH_WORD = re.compile(r"[^\W\d_]{3,}\.?\s+\d{1,2}\b|\b\d{1,2}\.?\s+[^\W\d_]{3,}")


#: Language tags dateparser knows under another code (Norwegian "no" is Bokmål "nb" there; old ISO codes).
_LANGUAGE_ALIASES = {"no": "nb", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_ENGLISH_MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?"
    r"|dec(?:ember)?)\b\.?\s+\d{1,2}\b|\b(?:ago|yesterday|published|updated|posted)\b",
    re.IGNORECASE,
)


def _languages(language: str | None, text: str, locales: list[str] | None) -> list[list[str] | None]:
    """dateparser language lists to try one after the other: the text's language first.

    English written on a page in another language ("Published March 5, 2024" in a German
    template) is read as English; else the page's language (and the profile's locales),
    then English.  One language at a time: together, dateparser reads "24 Mart" with its
    English rules as a time zone.
    """
    langs = [(language or "").split("-")[0].lower()] + [loc.split("-")[0].lower() for loc in locales or []]
    langs = [_LANGUAGE_ALIASES.get(lang, lang) for lang in langs]
    langs = [lang for i, lang in enumerate(langs) if lang and lang not in langs[:i]]
    if not langs:
        return [None]  # unknown: dateparser detects it
    tries: list[list[str] | None] = [[lang] for lang in langs if lang != "en"]
    return [["en"], *tries] if _ENGLISH_MONTH.search(text) or "en" in langs[:1] else [*tries, ["en"]]


def _names_a_day(text: str) -> bool:
    """False for a month and year, or a year, alone ("APR 2024", "2026"): dateparser would make it the 1st."""
    numbers = re.findall(r"\d+", text)
    return not numbers or any(len(n) <= 2 for n in numbers)


def parse_text_date(text: str, language: str | None, base: datetime, locales: list[str] | None = None) -> ParsedDate | None:
    """Parse a date written in ``text`` (a byline, a date element) in ``language``.

    Arabic script is read by :func:`parse_arabic` whatever ``language`` says, all-numeric
    dates by :func:`parse_numeric` (``language`` decides day or month first), words by
    dateparser with ``language``, ``locales`` and English.
    """
    if not text or not text.strip():
        return None
    lang = (language or "").split("-")[0].lower()
    if lang == "ar" or re.search("[\u0600-\u06ff]", text):
        parsed = parse_arabic(text, base)
        if parsed is not None:
            return parsed
        if lang == "ar":
            return None
    lowered = text.lower()
    if not _LATIN_DATE_HINT.search(text) and "ago" not in lowered and "yesterday" not in lowered:
        return None
    numeric = parse_numeric(text, language)
    candidate = " ".join(text.split())
    where = _NUM_DMY_OR_YMD.search(candidate)
    if numeric is not None and (len(candidate) <= 60 or where is None or not _MONTH_WORD.search(candidate[: where.start()])):
        return numeric  # a date in digits, before any word that may be a month: read by our rules
    # Imported here, not at the top: dateparser costs 24 ms and 1.7 MB (37 modules) on top of what
    # the crawler already imports, in every `scrapy` command and in the crawl's main process, which
    # parses a text date only for an unmarked page with no machine-readable date (article detection);
    # the extraction workers' warm-up loads it.
    import dateparser
    from dateparser.search import search_dates

    settings: dict[str, Any] = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "MDY" if month_first(language, "/") else "DMY",
    }
    tries = _languages(language, candidate, locales)
    if len(candidate) <= 60 and _names_a_day(candidate):
        for languages in tries:
            try:
                dt = dateparser.parse(candidate, languages=languages, settings=settings)
            except ValueError:  # a language dateparser does not know
                continue
            if dt is not None:
                return ParsedDate(dt, has_time=bool(_HAS_TIME.search(candidate)))
    for languages in tries:
        try:
            found = search_dates(candidate[:300], languages=languages, settings=settings)
        except ValueError:
            continue
        for substring, dt in found or []:
            # In running text, a day and a year (or a time, or "2 hours ago"): "0 of a plain story" is no date.
            if (len(re.findall(r"\d+", substring)) >= 2 or _HAS_TIME.search(substring)) and _names_a_day(substring):
                return ParsedDate(dt, has_time=bool(_HAS_TIME.search(substring)))
    return numeric


_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_iso(value: str) -> ParsedDate | None:
    """An ISO 8601 value as the web writes it (``Z``, ``+0200``, a space before the offset,
    7-digit fractions, a date only); a value starting with a valid date keeps its day."""
    value = value.strip().strip("'\"")
    if not value:
        return None
    cleaned = _FRACTION.sub(r"\1", value.replace("Z", "+00:00"))
    cleaned = re.sub(r"(\d)\s+([+-]\d{2}:?\d{2})$", r"\1\2", cleaned)
    try:
        dt = datetime.fromisoformat(cleaned)
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


def parse_machine(value: str, base: datetime) -> ParsedDate | None:
    """A metadata value: ISO 8601 (:func:`parse_iso`), epoch seconds/milliseconds, RFC 2822,
    else text read as English and digits (never with the page's language: metadata is
    written by software)."""
    value = value.strip().strip("'\"")
    parsed = parse_iso(value)
    if parsed is not None:
        return parsed
    if _EPOCH.match(value):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return ParsedDate(datetime.fromtimestamp(seconds, UTC), has_time=True)
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is not None:
        return ParsedDate(dt, has_time=True)
    return parse_text_date(value, "en", base)
