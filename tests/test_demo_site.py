"""Tests of the bundled demo news site itself (``demo``).

Covers the content file, the pure ``site.render`` router (articles, listing and
static pages, feeds, sitemaps, robots.txt, images, redirects, 404s) and the
``DemoServer`` over a real socket (gzip negotiation, HEAD, request log, CLI).
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from demo import site
from demo.server import DemoServer, accepts_gzip, gzip_selected

BASE = "http://127.0.0.1:8123"
REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_FILE = Path("/work/shared/seeds/000_67afc023dd4f8fc2.txt")
SEED_ID = 372146

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "dc": "http://purl.org/dc/elements/1.1/",
}

AR_DAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
AR_MONTHS = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

ARTICLES = site.load_articles()
AR_APPEAL = [
    "الإعلام الموجّه يشوه الحقيقة في بلادنا ويطيل أمد الحرب..",
    "سوريا بحاجة للصحافة الحرة.. ونحن بحاجتك لنبقى مستقلين",
    "ادعم عنب بلدي",
    "دولار واحد شهريًا يصنع الفرق",
    "اضغط هنا للمساهمة",
]
EN_APPEAL = [
    "Directed media distorts the truth in our country and prolongs the war..",
    "Syria needs free press.. and we need you to stay independent",
    "Support Enab Baladi",
    "One dollar a month makes the difference",
    "Click here to contribute",
]


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def header_all(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name.lower()]


def parse_html(body: bytes) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(body)


def text(el: lxml_html.HtmlElement) -> str:
    return el.text_content().strip()


def expected_byline(article: site.Article) -> str:
    d = article.published
    if article.lang == "ar":
        return f"{AR_DAYS[d.weekday()]} {d.day} من {AR_MONTHS[d.month - 1]} {d.year}"
    return f"{EN_MONTHS[d.month - 1]} {d.day}, {d.year}"


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------


def test_article_counts() -> None:
    assert len(ARTICLES) >= 22
    assert sum(a.lang == "ar" for a in ARTICLES) >= 12
    assert sum(a.lang == "en" for a in ARTICLES) >= 10


def test_article_fields_are_consistent() -> None:
    ids = [a.id for a in ARTICLES]
    assert len(set(ids)) == len(ids)
    assert all(100000 <= i <= 999999 for i in ids)
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)
    assert len({a.published for a in ARTICLES}) == len(ARTICLES)
    for a in ARTICLES:
        assert a.published.tzinfo is not None
        assert 2019 <= a.published.year <= 2025, a.id
        if a.modified:
            assert a.modified >= a.published
        assert a.byline_date == expected_byline(a), a.id
        assert a.title and a.summary and a.author and a.category.slug and a.category.name
        assert a.tags
        assert a.metadata in ("jsonld", "opengraph", "none")
        if a.image:
            assert a.image.file.endswith(".jpg") and a.image.caption
        for index in a.subheadings:
            assert 0 < index < len(a.paragraphs)
        if a.seed:
            continue
        assert 4 <= len(a.paragraphs) <= 10, a.id
        for p in a.paragraphs:
            assert 40 <= len(p.split()) <= 120, (a.id, p[:40])


def test_metadata_variety() -> None:
    modes = {m: [a for a in ARTICLES if a.metadata == m] for m in ("jsonld", "opengraph", "none")}
    assert len(modes["jsonld"]) >= len(ARTICLES) // 3
    assert modes["opengraph"]
    bare = modes["none"]
    assert sum(a.lang == "ar" for a in bare) >= 2
    assert sum(a.lang == "en" for a in bare) >= 2
    assert SEED_ID in {a.id for a in bare}


def test_fundraising_articles_use_appeal_words_as_content() -> None:
    en = [a for a in ARTICLES if a.lang == "en" and "one dollar a month" in " ".join(a.paragraphs).lower()]
    assert en, "expected an English article about a one-dollar-a-month campaign"
    body = " ".join(en[0].paragraphs).lower()
    assert "donate" in body and "support" in body
    ar = [
        a
        for a in ARTICLES
        if a.lang == "ar" and "تبرع" in " ".join(a.paragraphs) and "ادعم" in " ".join(a.paragraphs)
    ]
    assert ar, "expected an Arabic charity-campaign article"


def test_seed_article_fixed_facts() -> None:
    a = site.get_article(SEED_ID)
    assert a is not None and a.seed
    assert a.slug == "jaish-al-izza-prisoners"
    assert a.lang == "ar" and a.author == "عنب بلدي" and a.category.slug == "politics"
    assert a.published == datetime.fromisoformat("2020-03-25T14:30:00+02:00")
    assert a.byline_date == "الأربعاء 25 من آذار 2020"
    assert a.title == "قيادي يوضح لعنب بلدي مبادرة “جيش العزة” لتبادل الأسرى"
    assert a.image is not None
    assert (
        a.image.caption
        == "سيارات الهلال الأحمر في أثناء عملية التبادل بين معتقلين وأسرى بريف حلب الشرقي - 12 من شباط 2019 (سانا)"
    )
    assert a.paragraphs[0].startswith("نشر فصيل “جيش العزة”")
    assert a.paragraphs[-1].endswith("حسب الإمكانيات المتاحة.")
    assert len(a.paragraphs) == 12
    assert a.subheadings == {9: "النشاط بعد حماة"}
    assert "النشاط بعد حماة" not in a.paragraphs


@pytest.mark.skipif(not SEED_FILE.exists(), reason="seed file not available")
def test_seed_article_matches_seed_file() -> None:
    lines = [line for line in SEED_FILE.read_text(encoding="utf-8").split("\n") if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("نشر فصيل"))
    end = next(i for i, line in enumerate(lines) if line.endswith("حسب الإمكانيات المتاحة."))
    body = lines[start : end + 1]
    a = site.get_article(SEED_ID)
    assert a is not None
    assert a.title == lines[0]
    assert site.article_text(a).split("\n") == body
    assert list(a.paragraphs) == [line for line in body if line != "النشاط بعد حماة"]
    assert a.image is not None and "camera icon" + a.image.caption in lines


# ---------------------------------------------------------------------------
# Article pages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: f"{a.lang}-{a.id}")
def test_article_page(article: site.Article) -> None:
    status, headers, body = site.render(article.path, base_url=BASE)
    assert status == 200
    assert header(headers, "Content-Type") == "text/html; charset=utf-8"
    assert parsedate_to_datetime(header(headers, "Last-Modified") or "") == article.last_modified
    doc = parse_html(body)
    root = doc.getroottree().getroot()
    assert root.get("lang") == article.lang
    assert root.get("dir") == ("rtl" if article.lang == "ar" else "ltr")
    assert [text(h) for h in doc.cssselect("h1.entry-title")] == [article.title]
    assert doc.cssselect('link[rel="canonical"]')[0].get("href") == site.article_url(article, BASE)
    assert text(doc.cssselect(".entry-meta span.date")[0]) == article.byline_date
    assert [text(a) for a in doc.cssselect(".entry-meta a.author")] == article.authors
    assert doc.cssselect('link[rel="alternate"][type="application/rss+xml"]')[0].get("href") == (
        BASE + ("/feed/" if article.lang == "ar" else "/en/feed/")
    )

    letter = "ع" if article.lang == "ar" else "A"
    widget = doc.cssselect("div.font-size")[0]
    assert text(widget.cssselect("i.tag-icon")[0]) == "tag icon"
    assert [text(a) for a in widget.cssselect("a")] == [letter] * 3

    if article.image:
        figure = doc.cssselect("figure")[0]
        assert figure.cssselect("img")[0].get("src") == f"/wp-content/uploads/{article.image.file}"
        assert text(figure.cssselect("figcaption")[0]) == "camera icon" + article.image.caption
    else:
        assert not doc.cssselect("figure")

    content = doc.cssselect("div.entry-content")[0]
    paragraphs = [text(p) for p in content.xpath("./p") if "read-also-inline" not in (p.get("class") or "")]
    assert paragraphs == list(article.paragraphs)
    assert [text(h) for h in content.xpath("./h2")] == list(article.subheadings.values())
    inline = content.cssselect("p.read-also-inline")
    assert bool(inline) == (article.id in site.INLINE_READ_ALSO_IDS)

    appeal_lines = AR_APPEAL if article.lang == "ar" else EN_APPEAL
    appeals = doc.cssselect("div.enab-appeal")
    assert len(appeals) == 1
    assert [text(p) for p in appeals[0].xpath("./p")] == appeal_lines
    assert text(appeals[0].cssselect("button")[0]) == "×"
    assert appeals[0].cssselect("a")[0].get("href")
    assert (appeals[0].getparent() is content) == site.appeal_inside(article)

    assert ("شارك" if article.lang == "ar" else "Share") in text(doc.cssselect(".share-bar")[0])
    related = doc.cssselect("aside.read-also li a")
    assert len(related) == 3
    assert text(doc.cssselect("aside.read-also h3")[0]) == (
        "اقرأ أيضًا" if article.lang == "ar" else "Read also"
    )
    assert len(doc.cssselect(".post-tags a[rel=tag]")) == len(article.tags)
    assert doc.cssselect("#comments")


def _metadata(body: bytes) -> dict[str, object]:
    doc = parse_html(body)
    return {
        "jsonld": doc.xpath('//script[@type="application/ld+json"]/text()'),
        "og_type": doc.xpath('//meta[@property="og:type"]/@content'),
        "published": doc.xpath('//meta[@property="article:published_time"]/@content'),
        "time": doc.xpath("//time"),
    }


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: f"{a.lang}-{a.id}")
def test_article_metadata_mode(article: site.Article) -> None:
    import json

    meta = _metadata(site.render(article.path, base_url=BASE)[2])
    if article.metadata == "none":
        assert meta == {"jsonld": [], "og_type": [], "published": [], "time": []}
        return
    assert meta["og_type"] == ["article"]
    assert meta["published"] == [article.published.isoformat()]
    if article.metadata == "opengraph":
        assert meta["jsonld"] == [] and meta["time"] == []
        return
    (raw,) = meta["jsonld"]  # type: ignore[misc]
    data = json.loads(raw)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.title
    assert data["datePublished"] == article.published.isoformat()
    assert data["dateModified"] == article.last_modified.isoformat()
    assert data["articleSection"] == article.category.name
    assert data["keywords"] == [t.name for t in article.tags]
    assert data["inLanguage"] == article.lang
    assert data["mainEntityOfPage"]["@id"] == site.article_url(article, BASE)
    assert ("image" in data) == (article.image is not None)
    assert data["author"]


def test_tracking_query_variant_has_clean_canonical() -> None:
    article = site.get_article(site.TRACKED_ARTICLE_ID)
    assert article is not None
    tracked = f"{article.path}?{site.TRACKING_QUERY}"
    status, _, body = site.render(tracked, base_url=BASE)
    assert status == 200
    assert body == site.render(article.path, base_url=BASE)[2]
    assert parse_html(body).cssselect('link[rel="canonical"]')[0].get("href") == BASE + article.path
    home = parse_html(site.render("/", base_url=BASE)[2])
    assert BASE + tracked in home.xpath("//a/@href")
    feed = ET.fromstring(site.render("/feed/", base_url=BASE)[2])
    assert BASE + tracked in [el.text for el in feed.iter("link")]


# ---------------------------------------------------------------------------
# Home, listing and static pages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang,path", [("ar", "/"), ("en", "/en/")])
def test_home_page(lang: str, path: str) -> None:
    status, headers, body = site.render(path, base_url=BASE)
    assert status == 200
    assert len(header_all(headers, "Set-Cookie")) == 2
    assert header(headers, "Link")
    doc = parse_html(body)
    assert doc.getroottree().getroot().get("lang") == lang
    feed = "/feed/" if lang == "ar" else "/en/feed/"
    assert doc.cssselect('link[rel="alternate"][type="application/rss+xml"]')[0].get("href") == BASE + feed
    assert doc.xpath('//meta[@property="og:type"]/@content') == ["website"]
    hrefs = doc.xpath("//a/@href")
    assert f"/old-news/{site.REDIRECT_LINK_IDS[lang]}" in hrefs
    assert any(h.endswith(site.BROKEN_LINK_PATH) for h in hrefs)
    latest = [a for a in site.articles_for(lang)][: site.PAGE_SIZE]
    titles = [text(a) for a in doc.cssselect(".latest-news h2.post-title a")]
    assert titles == [a.title for a in latest]
    assert doc.cssselect(".widget-most-read li a")
    assert "©" in text(doc.cssselect("footer .copyright")[0])


NON_ARTICLE_PATHS = [
    "/about/",
    "/en/about/",
    "/contact/",
    "/en/contact/",
    "/support/",
    "/en/support/",
    "/category/politics/",
    "/en/category/economy/",
    "/tag/idlib/",
    "/en/tag/idlib/",
    "/tag/%D8%AC%D9%8A%D8%B4-%D8%A7%D9%84%D8%B9%D8%B2%D8%A9/",
    "/author/enab-baladi/",
    "/en/author/lina-saleh/",
    "/page/2/",
    "/en/page/2/",
]


@pytest.mark.parametrize("path", NON_ARTICLE_PATHS)
def test_non_article_pages(path: str) -> None:
    status, headers, body = site.render(path, base_url=BASE)
    assert status == 200, path
    doc = parse_html(body)
    assert doc.xpath('//meta[@property="og:type"]/@content') == ["website"]
    assert not doc.xpath('//meta[@property="article:published_time"]')
    assert "NewsArticle" not in body.decode()
    assert not doc.cssselect("h1.entry-title") or path.strip("/").split("/")[-1] in (
        "about",
        "contact",
        "support",
    )
    assert len(text(doc.cssselect("main")[0])) > 100


@pytest.mark.parametrize("path", ["/about/", "/en/about/"])
def test_about_page_is_prose_without_byline(path: str) -> None:
    doc = parse_html(site.render(path, base_url=BASE)[2])
    paragraphs = doc.cssselect("main .entry-content p")
    assert len(paragraphs) >= 3
    assert all(len(text(p).split()) >= 20 for p in paragraphs)
    assert not doc.cssselect("main .date, main .post-date, main .byline, time")


def test_category_pages_list_their_articles() -> None:
    for lang in ("ar", "en"):
        prefix = "" if lang == "ar" else "/en"
        for slug in {a.category.slug for a in site.articles_for(lang)}:
            doc = parse_html(site.render(f"{prefix}/category/{slug}/", base_url=BASE)[2])
            listed = set(doc.cssselect(".posts-list")[0].xpath(".//h2/a/@href"))
            expected = {BASE + a.path for a in site.articles_for(lang) if a.category.slug == slug}
            assert listed == expected


# ---------------------------------------------------------------------------
# robots.txt, sitemaps, feeds
# ---------------------------------------------------------------------------


def test_robots_txt() -> None:
    status, headers, body = site.render("/robots.txt", base_url=BASE)
    assert status == 200
    assert header(headers, "Content-Type") == "text/plain; charset=utf-8"
    lines = body.decode().splitlines()
    for line in (
        "User-agent: *",
        "Disallow: /wp-admin/",
        "Allow: /wp-admin/admin-ajax.php",
        f"Sitemap: {BASE}/sitemap.xml",
    ):
        assert line in lines


def _xml(path: str) -> ET.Element:
    status, headers, body = site.render(path, base_url=BASE)
    assert status == 200, path
    assert "xml" in (header(headers, "Content-Type") or "")
    return ET.fromstring(body)


def test_sitemap_index() -> None:
    root = _xml("/sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    locs = [el.text for el in root.findall("sm:sitemap/sm:loc", NS)]
    assert locs == [f"{BASE}/sitemap-posts.xml", f"{BASE}/sitemap-pages.xml", f"{BASE}/news-sitemap.xml"]
    for loc in locs:
        assert loc is not None
        _xml(urlsplit(loc).path)


def test_posts_sitemap_lists_every_article() -> None:
    root = _xml("/sitemap-posts.xml")
    entries = {
        url.findtext("sm:loc", namespaces=NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }
    assert entries == {site.article_url(a, BASE): a.last_modified.isoformat() for a in ARTICLES}


def test_pages_sitemap() -> None:
    root = _xml("/sitemap-pages.xml")
    locs = {el.text for el in root.findall("sm:url/sm:loc", NS)}
    assert {
        f"{BASE}/",
        f"{BASE}/en/",
        f"{BASE}/about/",
        f"{BASE}/en/about/",
        f"{BASE}/category/politics/",
    } <= locs
    for loc in locs:
        assert loc is not None and site.render(loc, base_url=BASE)[0] == 200


def test_news_sitemap() -> None:
    root = _xml("/news-sitemap.xml")
    urls = root.findall("sm:url", NS)
    newest = ARTICLES[:5]
    assert [u.findtext("sm:loc", namespaces=NS) for u in urls] == [site.article_url(a, BASE) for a in newest]
    for url, article in zip(urls, newest, strict=True):
        news = url.find("news:news", NS)
        assert news is not None
        assert news.findtext("news:publication/news:name", namespaces=NS) in ("عنب بلدي", "Enab Baladi")
        assert news.findtext("news:publication/news:language", namespaces=NS) == article.lang
        assert news.findtext("news:publication_date", namespaces=NS) == article.published.isoformat()
        assert news.findtext("news:title", namespaces=NS) == article.title


@pytest.mark.parametrize("lang,path", [("ar", "/feed/"), ("en", "/en/feed/")])
def test_rss_feed(lang: str, path: str) -> None:
    status, headers, body = site.render(path, base_url=BASE)
    assert status == 200
    assert (header(headers, "Content-Type") or "").startswith("application/rss+xml")
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None and channel.findtext("language") == lang
    items = channel.findall("item")
    expected = site.articles_for(lang)[:10]
    assert len(items) == 10
    for item, article in zip(items, expected, strict=True):
        assert item.findtext("title") == article.title
        link = item.findtext("link") or ""
        assert link.split("?")[0] == site.article_url(article, BASE)
        assert parsedate_to_datetime(item.findtext("pubDate") or "") == article.published
        assert item.findtext("dc:creator", namespaces=NS) == article.author
        assert article.category.name in [c.text for c in item.findall("category")]
        assert item.findtext("description") == article.summary


# ---------------------------------------------------------------------------
# Redirects, 404s, images, link integrity
# ---------------------------------------------------------------------------


def test_old_news_redirects() -> None:
    for article in (
        site.get_article(site.REDIRECT_LINK_IDS["ar"]),
        site.get_article(site.REDIRECT_LINK_IDS["en"]),
    ):
        assert article is not None
        status, headers, _ = site.render(f"/old-news/{article.id}", base_url=BASE)
        assert status == 301
        assert header(headers, "Location") == site.article_url(article, BASE)


@pytest.mark.parametrize(
    "path", ["/archives/372146/", "/category/politics", "/about", "/feed", "/en", "/?p=372146"]
)
def test_canonicalising_redirects(path: str) -> None:
    status, headers, _ = site.render(path, base_url=BASE)
    assert status == 301
    location = header(headers, "Location") or ""
    assert location.startswith(BASE)
    assert site.render(location, base_url=BASE)[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        site.BROKEN_LINK_PATH,
        "/no/such/page",
        "/en/no-such-page",
        "/en/archives/372146",
        "/category/nope/",
        "/wp-content/uploads/missing.jpg",
    ],
)
def test_not_found(path: str) -> None:
    status, headers, body = site.render(path, base_url=BASE)
    assert status == 404
    assert header(headers, "Content-Type") == "text/html; charset=utf-8"
    assert "الصفحة غير موجودة" in body.decode()


def test_images_are_jpeg() -> None:
    files = {a.image.file for a in ARTICLES if a.image}
    assert files
    for name in files:
        status, headers, body = site.render(f"/wp-content/uploads/{name}")
        assert status == 200
        assert header(headers, "Content-Type") == "image/jpeg"
        assert body[:3] == b"\xff\xd8\xff" and body.endswith(b"\xff\xd9")
        assert 100 < len(body) < 2000


def test_wp_admin() -> None:
    assert site.render("/wp-admin/")[0] == 200
    assert site.render("/wp-admin/admin-ajax.php")[0] == 400


def test_internal_links_resolve_and_reach_every_article() -> None:
    """Follow every same-site link from both home pages, as a crawler would."""
    seen: set[str] = set()
    queue = ["/", "/en/"]
    statuses: dict[str, int] = {}
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        status, headers, body = site.render(path, base_url=BASE)
        statuses[path] = status
        if status in (301, 302):
            target = urlsplit(header(headers, "Location") or "")
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if status != 200 or not (header(headers, "Content-Type") or "").startswith("text/html"):
            continue
        for href in parse_html(body).xpath("//a/@href"):
            url = urlsplit(urljoin(BASE + path, href))
            if f"{url.scheme}://{url.netloc}" != BASE or url.path.startswith("/wp-admin/"):
                continue
            queue.append(url.path + (f"?{url.query}" if url.query else ""))
    broken = {p for p, s in statuses.items() if s >= 400}
    assert broken == {site.BROKEN_LINK_PATH, "/en" + site.BROKEN_LINK_PATH}
    assert any(s == 301 for s in statuses.values())
    for article in ARTICLES:
        assert statuses.get(article.path) == 200, article.path
    assert any(unquote(p).startswith("/tag/") for p in statuses)


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def opener() -> urllib.request.OpenerDirector:
    # No proxies, whatever the environment says; do not follow redirects.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def fetch(
    opener: urllib.request.OpenerDirector,
    url: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[int, object, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_gzip_policy() -> None:
    assert gzip_selected("/") and gzip_selected("/en/") and gzip_selected("/feed/")
    assert gzip_selected("/archives/372146") and gzip_selected("/archives/372146?utm_source=x")
    assert not gzip_selected("/archives/528417") and not gzip_selected("/about/")
    assert accepts_gzip("gzip, deflate") and accepts_gzip("br;q=1.0, gzip;q=0.5")
    assert not accepts_gzip(None) and not accepts_gzip("identity") and not accepts_gzip("gzip;q=0")
    even = [a for a in ARTICLES if a.id % 2 == 0]
    odd = [a for a in ARTICLES if a.id % 2 == 1]
    assert {a.lang for a in even} == {"ar", "en"} and {a.lang for a in odd} == {"ar", "en"}


def test_server_url(server: DemoServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url)
    assert server.url == server.base_url + "/"


@pytest.mark.parametrize("path", ["archives/372146", "en/archives/411378", "", "feed/"])
def test_server_gzip_when_asked(server: DemoServer, opener: urllib.request.OpenerDirector, path: str) -> None:
    assert gzip_selected("/" + path)
    expected = site.render("/" + path, base_url=server.base_url)[2]
    status, headers, body = fetch(opener, server.url + path, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"  # type: ignore[index]
    assert "Accept-Encoding" in headers["Vary"]  # type: ignore[index]
    assert int(headers["Content-Length"]) == len(body)  # type: ignore[index]
    assert gzip.decompress(body) == expected
    assert len(body) < len(expected)

    status, headers, body = fetch(opener, server.url + path)
    assert status == 200
    assert headers.get("Content-Encoding") is None  # type: ignore[attr-defined]
    assert body == expected
    assert int(headers["Content-Length"]) == len(expected)  # type: ignore[index]


def test_server_no_gzip_for_unselected_paths(
    server: DemoServer, opener: urllib.request.OpenerDirector
) -> None:
    path = "/archives/528417"
    assert not gzip_selected(path)
    status, headers, body = fetch(opener, server.base_url + path, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") is None  # type: ignore[attr-defined]
    assert body == site.render(path, base_url=server.base_url)[2]


def test_server_status_codes_headers_and_head(
    server: DemoServer, opener: urllib.request.OpenerDirector
) -> None:
    status, headers, _ = fetch(opener, server.base_url + "/old-news/345216")
    assert status == 301
    assert headers["Location"] == server.base_url + "/archives/345216"  # type: ignore[index]
    status, _, body = fetch(opener, server.base_url + site.BROKEN_LINK_PATH)
    assert status == 404 and "الصفحة غير موجودة" in body.decode()

    status, headers, _ = fetch(opener, server.url)
    assert len(headers.get_all("Set-Cookie")) == 2  # type: ignore[attr-defined]

    status, headers, body = fetch(opener, server.base_url + "/robots.txt")
    assert f"Sitemap: {server.base_url}/sitemap.xml" in body.decode()

    status, headers, body = fetch(
        opener, server.base_url + "/archives/372146", {"Accept-Encoding": "gzip"}, method="HEAD"
    )
    assert status == 200 and body == b""
    assert headers["Content-Encoding"] == "gzip"  # type: ignore[index]
    assert int(headers["Content-Length"]) > 0  # type: ignore[index]

    last_modified = headers["Last-Modified"]  # type: ignore[index]
    status, _, body = fetch(
        opener, server.base_url + "/archives/372146", {"If-Modified-Since": last_modified}
    )
    assert status == 304 and body == b""


def test_server_records_requests(server: DemoServer, opener: urllib.request.OpenerDirector) -> None:
    fetch(opener, server.base_url + "/about/?probe=1", {"X-Probe": "yes"})
    method, path, headers = server.requests[-1]
    assert (method, path) == ("GET", "/about/?probe=1")
    assert headers.get("X-Probe") == "yes"


def test_server_start_stop() -> None:
    srv = DemoServer().start()
    try:
        assert srv.running
        status, _, _ = fetch(
            urllib.request.build_opener(urllib.request.ProxyHandler({})), srv.url + "robots.txt"
        )
        assert status == 200
    finally:
        srv.stop()
    assert not srv.running


def test_cli_prints_url_and_stops_on_sigterm() -> None:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo.server", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url), url
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        status, _, body = fetch(opener, url + "en/feed/")
        assert status == 200 and b"<rss" in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
