from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.detection import classify_page, classify_url
from crawler.profiles import load_profile
from crawler.urls import article_id, normalize_url, strip_tracking
from pipelines.article import UndatedPage, confirm_dated, extract_article
from pipelines.dates import apply_dates
from pipelines.offline import page_from_bytes

PARAS = "".join(f"<p>{'This is a real sentence of the article body with enough words. ' * 3}</p>" for _ in range(4))


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.enabbaladi.net/archives/372146", "article"),
        ("https://www.enabbaladi.net/", "listing"),
        ("https://www.enabbaladi.net/en/", "listing"),
        ("https://www.enabbaladi.net/archives/category/news/", "listing"),
        ("https://www.enabbaladi.net/tag/idlib/", "listing"),
        ("https://www.enabbaladi.net/author/someone/", "listing"),
        ("https://www.enabbaladi.net/page/3/", "listing"),
        ("https://www.enabbaladi.net/?s=idlib", "listing"),
        ("https://www.enabbaladi.net/wp-content/uploads/a.jpg", "asset"),
        ("https://www.enabbaladi.net/feed/", "feed"),
        ("https://www.enabbaladi.net/about-us/", "unknown"),
    ],
)
def test_classify_url(url, expected):
    assert classify_url(url, load_profile("enabbaladi")) == expected


def test_jsonld_and_og_win():
    html = '<html><head><script type="application/ld+json">{"@graph":[{"@type":"WebPage"},{"@type":"NewsArticle"}]}</script></head><body><h1>t</h1></body></html>'
    assert classify_page(html, "https://x.org/tag/a/").reason == "jsonld:newsarticle"
    og = '<html><head><meta property="og:type" content="article"></head><body></body></html>'
    assert classify_page(og, "https://x.org/a").is_article


def test_metadata_says_not_article():
    html = f'<html><head><meta property="og:type" content="website"></head><body><h1>About</h1><span class="date">March 3, 2020</span>{PARAS}</body></html>'
    verdict = classify_page(html, "https://x.org/about/")
    assert not verdict.is_article and verdict.reason == "metadata:not-article"


def test_heuristics_for_unmarked_pages():
    article = f"<html><body><nav>menu</nav><h1>Headline</h1><div class='byline'>By A — 24 من آذار 2020</div>{PARAS}</body></html>"
    assert classify_page(article, "https://old.example/story-1").reason == "heuristic:headline+paragraphs+date"
    no_date = f"<html><body><h1>About us</h1>{PARAS}</body></html>"
    assert classify_page(no_date, "https://old.example/about").reason == "heuristic:no-date"
    short = "<html><body><h1>Headline</h1><time>2020-01-01</time><p>short</p></body></html>"
    assert classify_page(short, "https://old.example/s").reason == "heuristic:too-little-text"
    listing = f"<html><body><h1>News</h1><time>2020-01-01</time>{PARAS}</body></html>"
    assert classify_page(listing, "https://old.example/category/news/").reason == "url:listing"
    # paragraphs inside footer/nav do not count
    footer = f"<html><body><h1>H</h1><time>2020-01-01</time><footer>{PARAS}</footer></body></html>"
    assert not classify_page(footer, "https://old.example/x").is_article


def test_profile_pattern():
    profile = load_profile("enabbaladi")
    assert classify_page("<html><body></body></html>", "https://www.enabbaladi.net/archives/1", profile).reason == (
        "profile:article_patterns"
    )


def test_tracking_params_and_ids():
    url = "https://example.org/a/b?id=3&utm_source=x&fbclid=y#frag"
    assert strip_tracking(url) == "https://example.org/a/b?id=3"
    assert strip_tracking("https://example.org/a?b=1&c=2") == "https://example.org/a?b=1&c=2"
    assert normalize_url("HTTPS://Example.org/a/b?utm_medium=m&id=3") == normalize_url(url)
    assert article_id(url) == article_id("https://example.org/a/b?id=3")
    assert article_id("https://example.org/a/b?id=4") != article_id(url)
    assert len(article_id(url)) == 24


# --- unmarked pages (no JSON-LD, no og:type): briefs, Arabic-Indic dates, and what must stay non-articles ---

AR_BRIEF = """<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>إغلاق معبر باب الهوى أمام المسافرين</title></head><body>
<nav><a href="/">الرئيسية</a> <a href="/archives/category/news">أخبار</a></nav>
<div class="post"><h1>إغلاق معبر باب الهوى أمام المسافرين</h1>
<span class="post-date">الثلاثاء ٢٤ من آذار ٢٠٢٠</span>
<p>دمشق - عنب بلدي</p>
<p>أعلنت إدارة معبر باب الهوى الحدودي مع تركيا إغلاقه أمام حركة المسافرين حتى إشعار آخر.</p>
<p>وقالت الإدارة في بيان إن القرار جاء ضمن إجراءات الوقاية من فيروس كورونا المستجد في الشمال السوري.</p>
<p>ويستمر عبور الشاحنات التجارية والمساعدات الإنسانية عبر المعبر بشكل طبيعي بحسب البيان.</p>
</div><footer><p>جميع الحقوق محفوظة لعنب بلدي ٢٠٢٠</p></footer></body></html>"""

EN_BRIEF = """<html lang="en"><head><title>Syria closes schools over virus fears</title></head><body>
<header><a href="/">Home</a></header>
<h1>Syria closes schools over virus fears</h1>
<p>DAMASCUS, March 24 (Reuters) - Syria closed schools and universities on Tuesday as a precaution.</p>
<p>The government also suspended public transport between provinces, state media said.</p>
<p>No cases of the disease have been officially reported in the country so far.</p>
</body></html>"""


def test_arabic_brief_with_arabic_indic_date_is_an_article():
    """Its only date is "٢٤ من آذار ٢٠٢٠" (Levantine month, Arabic-Indic digits): the dates step's finder reads it."""
    verdict = classify_page(AR_BRIEF, "https://www.example-news.org/archives/372146")
    assert verdict.is_article, verdict
    assert verdict.reason == "heuristic:headline+brief+date"


def test_arabic_indic_date_alone_is_a_date_signal():
    """A full-length unmarked article whose only date is in Arabic-Indic digits (once rejected as no-date)."""
    body = "".join(f"<p>{'نص الخبر الكامل عن الأوضاع الميدانية في المنطقة الشمالية من البلاد اليوم. ' * 2}</p>" for _ in range(4))
    html = f'<html lang="ar"><body><h1>عنوان الخبر</h1><div class="meta">نشر في ٢٤ آذار ٢٠٢٠</div>{body}</body></html>'
    assert classify_page(html, "https://www.example-news.org/archives/1").reason == "heuristic:headline+paragraphs+date"
    undated = html.replace("نشر في ٢٤ آذار ٢٠٢٠", "")
    verdict = classify_page(undated, "https://www.example-news.org/archives/1")
    assert (verdict.is_article, verdict.reason, verdict.candidate) == (False, "heuristic:no-date", True)


def test_english_brief_with_dateline_is_an_article():
    verdict = classify_page(EN_BRIEF, "https://wire.example.com/world/syria-schools-idUSKBN21B1XY")
    assert verdict.is_article, verdict
    assert verdict.reason.startswith("heuristic:headline+brief+")
    # The dateline alone (no date anywhere) still marks a news brief.
    no_date = EN_BRIEF.replace("DAMASCUS, March 24 (Reuters) -", "DAMASCUS (Reuters) -")
    assert classify_page(no_date, "https://wire.example.com/world/syria-schools").reason == "heuristic:headline+brief+dateline"


def test_future_date_is_no_date():
    """The same finder refuses dates after the fetch time, as the dates step does."""
    html = EN_BRIEF.replace("DAMASCUS, March 24 (Reuters) -", "").replace(
        "</h1>", "</h1><span class='date'>March 24, 2020</span>")
    url = "https://wire.example.com/world/syria-schools"
    assert classify_page(html, url).is_article
    verdict = classify_page(html, url, fetched_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert verdict.reason == "heuristic:no-date"


def test_unmarked_category_listing_is_not_an_article():
    """Teasers (linked headline + summary + date) at a URL that does not say "category"."""
    items = "".join(
        f'<div class="item"><h2><a href="/world/story-{i}">Story number {i} about the regional talks</a></h2>'
        f'<span class="date">March {i + 1}, 2020</span>'
        f"<p>Summary of story {i}: delegations met again to discuss the ceasefire terms and the return of refugees.</p></div>"
        for i in range(6)
    )
    html = f'<html lang="en"><body><h1>World</h1>{items}</body></html>'
    verdict = classify_page(html, "https://www.example-news.org/world/")
    assert (verdict.is_article, verdict.reason, verdict.candidate) == (False, "heuristic:listing", False)


def test_contact_and_tag_pages_are_not_articles():
    contact = ('<html lang="en"><body><h1>Contact us</h1><p>Email: desk@example-news.org</p>'
               "<p>Phone: +963 11 000 0000</p><p>Address: Baghdad Street, Damascus</p></body></html>")
    verdict = classify_page(contact, "https://www.example-news.org/contact-us/")
    assert (verdict.is_article, verdict.reason, verdict.candidate) == (False, "heuristic:too-little-text", False)
    tag = AR_BRIEF.replace("<h1>", "<h1>وسم: ")
    verdict = classify_page(tag, "https://www.example-news.org/tag/idlib/")
    assert (verdict.is_article, verdict.reason) == (False, "url:listing")
    about = f'<html lang="en"><body><h1>About us</h1>{PARAS}</body></html>'
    verdict = classify_page(about, "https://www.example-news.org/about-us/")
    assert (verdict.is_article, verdict.reason) == (False, "heuristic:no-date")


def test_deferred_date_is_decided_by_the_extraction_step(monkeypatch):
    """One analysis per page: the crawl's verdict (defer_date) never runs the date finder; the
    extraction step decides with the date the record gets, Arabic-Indic digits included."""
    body = "".join(f"<p>{'نص الخبر الكامل عن الأوضاع الميدانية في المنطقة الشمالية من البلاد اليوم. ' * 2}</p>" for _ in range(4))
    html = f'<html lang="ar"><body><h1>عنوان الخبر</h1><div class="meta">نشر في ٢٤ آذار ٢٠٢٠</div>{body}</body></html>'
    url = "https://www.example-news.org/archives/1"

    def no_finder(*args, **kwargs):
        raise AssertionError("the date finder ran in the crawler process")

    monkeypatch.setattr("crawler.detection.find_published", no_finder)
    dated = classify_page(html, url, defer_date=True)
    undated = classify_page(html.replace("نشر في ٢٤ آذار ٢٠٢٠", ""), url, defer_date=True)
    for verdict in (dated, undated):
        assert (verdict.is_article, verdict.needs_date, verdict.reason) == (True, True, "heuristic:headline+paragraphs+date")
    # A dateline needs no date: decided here, not pending.
    brief = classify_page(EN_BRIEF.replace("DAMASCUS, March 24 (Reuters) -", "DAMASCUS (Reuters) -"),
                          "https://wire.example.com/world/syria-schools", defer_date=True)
    assert (brief.is_article, brief.needs_date, brief.reason) == (True, False, "heuristic:headline+brief+dateline")

    monkeypatch.undo()
    page = page_from_bytes(html.encode(), url, fetched_at="2024-01-01T00:00:00+00:00")
    page.date_required = True
    article = extract_article(page)
    confirm_dated(article)  # resolved from the candidates, not set: DATES_ENABLED off or dates decided later
    assert article.published is None
    apply_dates(article)
    assert article.published.startswith("2020-03-24")
    confirm_dated(article)
    bare = extract_article(page_from_bytes(html.replace("نشر في ٢٤ آذار ٢٠٢٠", "").encode(), url,
                                           fetched_at="2024-01-01T00:00:00+00:00"))
    with pytest.raises(UndatedPage, match="no publication date"):
        confirm_dated(bare)
    apply_dates(bare)
    with pytest.raises(UndatedPage):
        confirm_dated(bare)
