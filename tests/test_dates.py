"""Dates: a table of text dates in Arabic (SY, LB, IQ, EG, TN/DZ, MA), en, fr, tr, de, es;
source order and provenance; plausibility; time zones; pages without a date."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import html as lxml_html

from pipelines.dates import DateCandidate, collect_candidates, parse_text_date, resolve_dates

BASE = datetime(2024, 6, 15, 12, 0)  # fetch time, local

TABLE = [
    # Arabic, Syrian (Levantine months, "من", weekdays)
    ("ar", "الثلاثاء 24 من آذار", "2024-03-24"),
    ("ar", "الأحد 12 من نيسان 2020", "2020-04-12"),
    ("ar", "الأربعاء 25 من آذار 2020", "2020-03-25"),
    ("ar", "12 من شباط 2019", "2019-02-12"),
    ("ar", "1 من كانون الثاني 2021", "2021-01-01"),
    ("ar", "31 من كانون الأول 2022", "2022-12-31"),
    ("ar", "15 تشرين الأول 2023", "2023-10-15"),
    ("ar", "3 تشرين الثاني 2021", "2021-11-03"),
    ("ar", "السبت 7 أيار 2022", "2022-05-07"),
    ("ar", "الخميس، 9 حزيران، 2022", "2022-06-09"),
    ("ar", "20 تموز 2020 - 10:30", "2020-07-20T10:30"),
    ("ar", "٢٤ آذار ٢٠٢٠", "2020-03-24"),
    ("ar", "۱۲ شباط ۲۰۱۹", "2019-02-12"),
    ("ar", "5 أيلول 2018", "2018-09-05"),
    ("ar", "آخر تحديث: 28 من آب 2023", "2023-08-28"),
    # Lebanese
    ("ar", "الجمعة 17 تشرين الأول 2019", "2019-10-17"),
    ("ar", "نُشر في 4 آب 2020 الساعة 18:07", "2020-08-04T18:07"),
    ("ar", "22 كانون 2 2021", "2021-01-22"),
    ("ar", "10 تشرين 1 2019", "2019-10-10"),
    ("ar", "8 كانون 1 2020", "2020-12-08"),
    # Iraqi (double month names, numeric)
    ("ar", "2023/06/14", "2023-06-14"),
    ("ar", "14 حزيران/يونيو 2023", "2023-06-14"),
    ("ar", "الاثنين 3 كانون الثاني/يناير 2022", "2022-01-03"),
    ("ar", "١٠-٠٣-٢٠٢٢", "2022-03-10"),
    # Egyptian / MSA
    ("ar", "الأحد 15 مارس 2020", "2020-03-15"),
    ("ar", "الخميس، 02 أبريل 2020 - 10:30 م", "2020-04-02T22:30"),
    ("ar", "السبت 5 سبتمبر 2020 09:15 ص", "2020-09-05T09:15"),
    ("ar", "1 يناير 2021", "2021-01-01"),
    ("ar", "26 أكتوبر 2022", "2022-10-26"),
    ("ar", "17 ديسمبر 2019", "2019-12-17"),
    ("ar", "نوفمبر 3، 2021", "2021-11-03"),
    ("ar", "الأربعاء 8 يوليو 2020", "2020-07-08"),
    ("ar", "12 مايو 2021", "2021-05-12"),
    ("ar", "30 يونيو 2013", "2013-06-30"),
    ("ar", "19 أغسطس 2020", "2020-08-19"),
    ("ar", "الثلاثاء 11 فبراير 2020 الساعة 12:45 م", "2020-02-11T12:45"),
    # Tunisian / Algerian (Maghrebi months)
    ("ar", "الأحد 12 جانفي 2020", "2020-01-12"),
    ("ar", "03 فيفري 2021", "2021-02-03"),
    ("ar", "15 أفريل 2019", "2019-04-15"),
    ("ar", "7 ماي 2022", "2022-05-07"),
    ("ar", "25 جوان 2020", "2020-06-25"),
    ("ar", "14 جويلية 2021", "2021-07-14"),
    ("ar", "13 أوت 2020", "2020-08-13"),
    ("ar", "1 مارس 2023", "2023-03-01"),
    # Moroccan
    ("ar", "الجمعة 23 يوليوز 2021", "2021-07-23"),
    ("ar", "5 غشت 2022", "2022-08-05"),
    ("ar", "12 شتنبر 2020", "2020-09-12"),
    ("ar", "30 نونبر 2019", "2019-11-30"),
    ("ar", "18 دجنبر 2020", "2020-12-18"),
    # Arabic relative dates (against the fetch time) and Hijri dates
    ("ar", "منذ ساعتين", "2024-06-15T10:00"),
    ("ar", "منذ 3 ساعات", "2024-06-15T09:00"),
    ("ar", "منذ 5 دقائق", "2024-06-15T11:55"),
    ("ar", "منذ يومين", "2024-06-13"),
    ("ar", "قبل 3 أيام", "2024-06-12"),
    ("ar", "أمس", "2024-06-14"),
    ("ar", "منذ أسبوع", "2024-06-08"),
    ("ar", "15 رمضان 1441 هـ", "2020-05-08"),
    ("ar", "1 محرم 1445 هـ", "2023-07-19"),
    ("ar", "10 ذو الحجة 1444هـ", "2023-06-28"),
    # English
    ("en", "March 24, 2020", "2020-03-24"),
    ("en", "Tuesday, March 24, 2020", "2020-03-24"),
    ("en", "24 March 2020", "2020-03-24"),
    ("en", "Published: Mar 24, 2020 10:30 AM", "2020-03-24T10:30"),
    ("en", "December 3, 2021 2:15 PM", "2021-12-03T14:15"),
    ("en", "2 hours ago", "2024-06-15T10:00"),
    ("en", "yesterday", "2024-06-14"),
    ("en", "By Jana al-Issa | March 5, 2023", "2023-03-05"),
    ("en", "2020-03-25", "2020-03-25"),
    ("en", "Sept. 9, 2019", "2019-09-09"),
    # French
    ("fr", "24 mars 2020", "2020-03-24"),
    ("fr", "mardi 24 mars 2020 à 10h30", "2020-03-24T10:30"),
    ("fr", "Publié le 3 février 2021", "2021-02-03"),
    ("fr", "il y a 3 heures", "2024-06-15T09:00"),
    ("fr", "1er janvier 2022", "2022-01-01"),
    ("fr", "15 août 2019", "2019-08-15"),
    # Turkish
    ("tr", "24 Mart 2020", "2020-03-24"),
    ("tr", "24 Mart 2020 Salı", "2020-03-24"),
    ("tr", "3 Şubat 2021 14:30", "2021-02-03T14:30"),
    ("tr", "2 saat önce", "2024-06-15T10:00"),
    ("tr", "15 Ağustos 2019", "2019-08-15"),
    # German
    ("de", "24. März 2020", "2020-03-24"),
    ("de", "Dienstag, 24. März 2020, 10:30 Uhr", "2020-03-24T10:30"),
    ("de", "vor 2 Stunden", "2024-06-15T10:00"),
    ("de", "3. Februar 2021", "2021-02-03"),
    ("de", "15.08.2019", "2019-08-15"),
    # Spanish
    ("es", "24 de marzo de 2020", "2020-03-24"),
    ("es", "martes, 24 de marzo de 2020", "2020-03-24"),
    ("es", "hace 3 días", "2024-06-12"),
    ("es", "3 de febrero de 2021 10:30", "2021-02-03T10:30"),
    ("es", "15/08/2019", "2019-08-15"),
]


def test_table_is_big_enough():
    assert len(TABLE) >= 80
    assert {lang for lang, _, _ in TABLE} == {"ar", "en", "fr", "tr", "de", "es"}


@pytest.mark.parametrize("lang, text, expected", TABLE, ids=[f"{lang}:{text}" for lang, text, _ in TABLE])
def test_text_dates(lang, text, expected):
    parsed = parse_text_date(text, lang, BASE)
    assert parsed is not None, text
    if "T" in expected:
        assert parsed.has_time, text
        assert parsed.value.strftime("%Y-%m-%dT%H:%M") == expected
    else:
        assert parsed.value.date().isoformat() == expected


def _resolve(candidates, tz=None, fetched="2024-06-15T12:00:00+00:00"):
    return resolve_dates([DateCandidate(*c) for c in candidates], fetched_at=fetched, language="ar", timezone=tz)


def test_meta_wins_over_visible_date_and_source_recorded():
    page = lxml_html.fromstring(
        '<html><head><meta property="article:published_time" content="2020-03-24T09:00:00+03:00"></head>'
        '<body><h1>T</h1><span class="date">الأربعاء 25 من آذار 2020</span></body></html>'
    )
    result = resolve_dates(collect_candidates(page, {}, "https://x.org/a"), fetched_at="2024-06-15T12:00:00+00:00",
                           language="ar", timezone="Asia/Damascus")
    assert result.published == "2020-03-24T09:00:00+03:00"
    assert result.published_source == "meta:article:published_time"
    assert result.published_tz_assumed is False


def test_visible_date_when_no_metadata():
    page = lxml_html.fromstring('<html><body><h1>T</h1><span class="date">الأربعاء 25 من آذار 2020</span></body></html>')
    result = resolve_dates(collect_candidates(page, {}, "https://x.org/a", ".date"), fetched_at="2024-06-15T12:00:00+00:00",
                           language="ar", timezone="Asia/Damascus")
    assert (result.published, result.published_source, result.published_tz_assumed) == ("2020-03-25", "byline:.date", None)


def test_source_order_jsonld_meta_time_url():
    page = lxml_html.fromstring(
        '<html><head><meta property="article:published_time" content="2021-01-02"></head>'
        '<body><time datetime="2021-01-03">x</time></body></html>'
    )
    ld = {"datePublished": "2021-01-01T08:00:00Z", "dateModified": "2021-01-05T10:00:00+02:00"}
    c = collect_candidates(page, ld, "https://x.org/2021/01/04/story/")
    assert [x.source for x in c if x.kind == "published"][:4] == ["jsonld:datePublished", "meta:article:published_time",
                                                                   "time:datetime", "byline:time"]
    assert c[-1].source == "url:path" and c[-1].raw == "2021-01-04"
    result = resolve_dates(c, fetched_at="2024-06-15T12:00:00+00:00", language="en", timezone=None)
    assert result.published == "2021-01-01T08:00:00+00:00" and result.published_source == "jsonld:datePublished"
    assert result.modified == "2021-01-05T10:00:00+02:00" and result.modified_source == "jsonld:dateModified"
    # without JSON-LD and meta, the URL path is the last resort
    only_url = resolve_dates(collect_candidates(lxml_html.fromstring("<html><body><p>x</p></body></html>"), {},
                                                "https://x.org/2021/01/04/story/"),
                             fetched_at="2024-06-15T12:00:00+00:00", language="en", timezone=None)
    assert (only_url.published, only_url.published_source) == ("2021-01-04", "url:path")


def test_implausible_dates_skipped():
    result = _resolve([("published", "jsonld:datePublished", "2031-01-01T00:00:00Z"),
                       ("published", "meta:date", "1970-01-01"),
                       ("published", "byline:.date", "الأربعاء 25 من آذار 2020")])
    assert (result.published, result.published_source) == ("2020-03-25", "byline:.date")
    # one day of clock skew is tolerated
    skew = _resolve([("published", "jsonld:datePublished", "2024-06-16T06:00:00+00:00")])
    assert skew.published == "2024-06-16T06:00:00+00:00"


def test_time_zones():
    damascus = _resolve([("published", "meta:article:published_time", "2020-03-25T14:30:00")], tz="Asia/Damascus")
    assert damascus.published == "2020-03-25T14:30:00+02:00" and damascus.published_tz_assumed is True
    utc = _resolve([("published", "meta:article:published_time", "2020-03-25T14:30:00")])
    assert utc.published == "2020-03-25T14:30:00+00:00" and utc.published_tz_assumed is True
    given = _resolve([("published", "meta:article:published_time", "2020-03-25T14:30:00+03:00")], tz="Asia/Damascus")
    assert given.published == "2020-03-25T14:30:00+03:00" and given.published_tz_assumed is False
    summer = _resolve([("published", "byline:.date", "20 تموز 2020 - 10:30")], tz="Asia/Damascus")
    assert summer.published == "2020-07-20T10:30:00+03:00"


def test_no_date_is_null_never_fetch_date():
    page = lxml_html.fromstring("<html><body><h1>About us</h1><p>We are a newsroom.</p></body></html>")
    result = resolve_dates(collect_candidates(page, {}, "https://x.org/about/"), fetched_at="2024-06-15T12:00:00+00:00",
                           language="en", timezone=None)
    assert result.published is None and result.published_source is None and result.published_tz_assumed is None


def test_byline_elements_are_the_xpaths_first_twelve() -> None:
    """The one-walk byline search finds what the XPath it replaced found, in the same order."""
    from pipelines.article import parse_html
    from pipelines.charset import decode_html
    from pipelines.dates import byline_elements
    from tests.support.evaluation import load_benchmark

    xpath = (
        "//*[contains(@class,'date') or contains(@class,'time') or contains(@class,'byline') or contains(@class,'posted')"
        " or contains(@class,'published') or contains(@class,'meta') or contains(@id,'date') or contains(@itemprop,'date')]"
    )
    found = 0
    for _, _, _, html in load_benchmark()[:60]:
        tree = parse_html(decode_html(html, "text/html"))
        expected = tree.xpath(xpath)[:12]
        assert byline_elements(tree) == expected
        found += len(expected)
    assert found > 100


def test_following_texts_are_the_xpaths_first_thirty() -> None:
    """The walk after the headline yields what following::text() outside script/style yields, in order."""
    from lxml import html as lxml_html

    from pipelines.article import parse_html
    from pipelines.charset import decode_html
    from pipelines.dates import following_texts
    from tests.support.evaluation import load_benchmark

    xpath = "following::text()[not(ancestor::script) and not(ancestor::style)]"
    crafted = (
        "<html><body><div><h1>Title</h1>tail<script>var x = 1;</script>after script"
        "<!-- a comment --><p>By <b>Jane</b> on <time>3 March</time></p><style>p{}</style></div>"
        "<p>next block</p></body></html>"
    )
    trees = [lxml_html.fromstring(crafted)]
    trees += [parse_html(decode_html(html, "text/html")) for _, _, _, html in load_benchmark()[:60]]
    checked = 0
    for tree in trees:
        for heading in tree.xpath("//h1|//h2")[:3]:
            for limit in (5, 30):
                assert following_texts(heading, limit) == heading.xpath(xpath)[:limit]
                checked += 1
    assert checked > 100
    assert following_texts(trees[0].xpath("//h1")[0], 10) == ["tail", "after script", "By ", "Jane", " on ", "3 March",
                                                             "next block"]


# --- mechanisms seen on real pages (small snippets in their style) ---------------------------------

def _page_dates(html: str, url: str = "https://news.example.org/a/story", language: str | None = None,
                fetched: str = "2024-06-15T12:00:00+00:00"):
    tree = lxml_html.fromstring(html)
    lang = language or (tree.xpath("/html/@lang") or [None])[0]
    return resolve_dates(collect_candidates(tree, {}, url), fetched_at=fetched, language=lang, timezone=None)


def test_machine_metadata_outranks_an_english_byline_on_a_german_page():
    """A German-declared page with an English CMS byline: the meta wins, and the byline alone is read as English."""
    byline = '<div class="byline">By Anna Schmidt | Updated May 3, 2024 4:38 PM</div>'
    html = (f'<html lang="de"><head><meta property="article:published_time" content="2024-04-30 16:38:37 +02:00"></head>'
            f"<body><h1>Schlagzeile</h1>{byline}<p>Text.</p></body></html>")
    result = _page_dates(html)
    assert (result.published, result.published_source) == ("2024-04-30T16:38:37+02:00", "meta:article:published_time")
    alone = _page_dates(f'<html lang="de"><body><h1>Schlagzeile</h1>{byline}</body></html>')
    assert alone.published == "2024-05-03T16:38:00+00:00"


@pytest.mark.parametrize("raw, expected", [
    ("2024-04-30T16:38:37+0200", "2024-04-30T16:38:37+02:00"),
    ("2024-04-30T16:38:37.1234567Z", "2024-04-30T16:38:37.123456+00:00"),
    ("'2024-04-30'", "2024-04-30"),
    ("1714488000", "2024-04-30T14:40:00+00:00"),
    ("Tue, 30 Apr 2024 16:38:37 GMT", "2024-04-30T16:38:37+00:00"),
])
def test_machine_values_in_their_web_variants(raw, expected):
    result = _resolve([("published", "meta:date", raw)])
    assert result.published == expected


def test_dotted_date_in_a_longer_byline_is_day_first():
    """dd.mm.yyyy inside a byline of 60+ characters (dateparser's search read it month first)."""
    parsed = parse_text_date("Von Max Müller, Berlin 03.04.2024, 10:00 Uhr · Lesezeit 3 Minuten", "de", BASE)
    assert parsed is not None and parsed.value.strftime("%Y-%m-%dT%H:%M") == "2024-04-03T10:00"
    parsed = parse_text_date("By Max Mueller in Berlin, published 03.04.2024 at 10:00, updated later that day", "en", BASE)
    assert parsed is not None and parsed.value.date().isoformat() == "2024-04-03"


def test_ambiguous_numeric_date_follows_the_other_evidence():
    """03/04/2024 on an en-GB page is 3 April; the URL names 4 March: the reading that agrees wins."""
    html = '<html lang="en-GB"><body><h1>Headline</h1><div class="date">Published 03/04/2024</div></body></html>'
    assert _page_dates(html).published == "2024-04-03"
    tree_url = "https://news.example.org/2024/03/04/story"
    assert _page_dates(html, url=tree_url).published == "2024-03-04"
    # en-US reads month first; a reading after the fetch time gives way to the other one.
    us = html.replace("en-GB", "en-US").replace("03/04/2024", "06/07/2024")
    assert _page_dates(us).published == "2024-06-07"
    late = html.replace("03/04/2024", "11/06/2024")  # en-GB: 11 June; the other reading, 6 November, is in the future
    assert _page_dates(late).published == "2024-06-11"
    us_late = us.replace("06/07/2024", "07/06/2024")  # en-US: 6 July — after the fetch (15 June): 7 June instead
    assert _page_dates(us_late).published == "2024-06-07"


def test_the_article_date_wins_over_a_related_items_date():
    """A teaser bar before the article (link + <time>) and a related list after it: the header's date is taken."""
    html = """<html lang="en"><body>
    <div class="trending"><a href="/b"><span class="date">June 14, 2024</span> Other story</a>
      <a href="/c"><time datetime="2024-06-13T08:00:00Z">June 13</time> Third story</a></div>
    <article><header><h1>The real headline</h1><div class="meta">By Reporter · June 2, 2024</div></header>
      <p>Body text of the article.</p>
      <ul class="related"><li><a href="/d">Older</a> <span class="date">May 1, 2024</span></li></ul></article>
    </body></html>"""
    result = _page_dates(html)
    assert result.published == "2024-06-02", result
    assert result.published_source == "byline:heuristic"


@pytest.mark.parametrize("text, expected", [
    ("الثلاثاء ٢٤ من آذار ٢٠٢٠", "2020-03-24"),
    ("نشر في ٢٤ من آذار ٢٠٢٠ - ١٠:٣٠", "2020-03-24T10:30"),
    ("دمشق - ٣ تشرين الثاني ٢٠٢١", "2021-11-03"),
    ("١٠/٠٣/٢٠٢٢", "2022-03-10"),  # numeric Arabic dates are day first
])
def test_arabic_indic_levantine_dates(text, expected):
    parsed = parse_text_date(text, "ar", BASE)
    assert parsed is not None
    got = parsed.value.strftime("%Y-%m-%dT%H:%M") if "T" in expected else parsed.value.date().isoformat()
    assert got == expected


def test_today_in_running_arabic_text_is_not_a_date():
    """"اليوم" in a story's first sentences is not the publication date (it would be the fetch date)."""
    snippet = "عنوان الخبر قال مسؤولون اليوم إن المعبر سيبقى مغلقا حتى إشعار آخر بسبب الأوضاع الأمنية في المنطقة"
    assert parse_text_date(snippet, "ar", BASE) is None
    assert parse_text_date("اليوم 10:30", "ar", BASE) is not None


def test_region_rank_of_the_region_itself():
    # A date element that is the article region itself (e.g. a <time> chosen as the region) ranks first.
    from lxml import html as lxml_html

    from pipelines.dates import region_rank

    tree = lxml_html.fromstring("<html><body><div id='r'><p>x</p><nav><time>2024-01-02</time></nav></div></body></html>")
    region = tree.xpath("//div[@id='r']")[0]
    assert region_rank(region, region) == 0
    assert region_rank(tree.xpath("//p")[0], region) == 0
    assert region_rank(tree.xpath("//time")[0], region) == 2  # inside the region but in its <nav>
