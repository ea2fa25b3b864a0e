"""crawler.discovery: sitemaps, news sitemaps, feeds, robots.txt and page links read from bytes, no crawl."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone

from lxml import html as lxml_html

from crawler.discovery import (
    looks_like_html,
    page_feeds,
    page_links,
    parse_any_date,
    parse_feed,
    parse_sitemap,
    read_xml,
    robots_sitemaps,
    xml_kind,
)

SITE = "https://www.example-news.org"

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="//www.example-news.org/main-sitemap.xsl"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap>
    <loc>https://www.example-news.org/post-sitemap1.xml</loc>
    <lastmod>2024-01-31T22:15:09+00:00</lastmod>
  </sitemap>
  <sitemap>
    <loc>/post-sitemap2.xml</loc>
    <lastmod>2023-06-02T08:00:00+03:00</lastmod>
  </sitemap>
  <sitemap>
    <loc>https://www.example-news.org/page-sitemap.xml</loc>
  </sitemap>
  <!-- a comment between entries -->
  <sitemap><lastmod>2024-01-01</lastmod></sitemap>
</sitemapindex>
"""

NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://www.example-news.org/archives/742318</loc>
    <lastmod>2024-01-30T10:00:00+02:00</lastmod>
    <news:news>
      <news:publication>
        <news:name>عنب بلدي</news:name>
        <news:language>ar</news:language>
      </news:publication>
      <news:publication_date>2024-01-29T18:30:00+02:00</news:publication_date>
      <news:title>سوريا: خبر عاجل</news:title>
    </news:news>
    <image:image><image:loc>https://www.example-news.org/img/1.jpg</image:loc></image:image>
  </url>
  <url>
    <loc>  /archives/742319  </loc>
    <lastmod>2024-01-28</lastmod>
  </url>
  <url>
    <loc>https://www.example-news.org/archives/742320</loc>
  </url>
</urlset>
""".encode()

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example News</title>
  <link>https://www.example-news.org/</link>
  <atom:link href="https://www.example-news.org/feed/" rel="self" type="application/rss+xml"/>
  <item>
    <title>First</title>
    <link>https://www.example-news.org/archives/1</link>
    <guid isPermaLink="false">https://www.example-news.org/?p=1</guid>
    <pubDate>Tue, 30 Jan 2024 09:15:00 +0000</pubDate>
  </item>
  <item>
    <title>Relative link</title>
    <link>/archives/2</link>
    <dc:date>2024-01-29T08:00:00+02:00</dc:date>
  </item>
  <item>
    <title>Only a permalink guid</title>
    <guid>https://www.example-news.org/archives/3</guid>
    <pubDate>Mon, 29 Jan 2024 07:00:00 GMT</pubDate>
  </item>
  <item>
    <title>A guid that is not a permalink, no link</title>
    <guid isPermaLink="false">tag:example-news.org,2024:4</guid>
  </item>
  <item>
    <title>Unparsable date</title>
    <link>https://www.example-news.org/archives/5</link>
    <pubDate>yesterday-ish</pubDate>
  </item>
</channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Example News (English)</title>
  <link href="https://english.example-news.org/" rel="alternate"/>
  <updated>2024-01-31T12:00:00Z</updated>
  <entry>
    <title>Atom one</title>
    <link rel="replies" href="https://english.example-news.org/archives/10#comments"/>
    <link rel="alternate" type="text/html" href="https://english.example-news.org/archives/10"/>
    <id>urn:uuid:1</id>
    <published>2024-01-30T11:00:00Z</published>
    <updated>2024-01-31T11:00:00Z</updated>
  </entry>
  <entry>
    <title>Atom two: only updated, relative href</title>
    <link href="archives/11"/>
    <id>urn:uuid:2</id>
    <updated>2024-01-29T11:00:00Z</updated>
  </entry>
</feed>
"""

RDF = b"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.example-news.org/rss">
    <title>Example News RDF</title>
    <link>https://www.example-news.org/</link>
  </channel>
  <item rdf:about="https://www.example-news.org/archives/20">
    <title>RDF item</title>
    <link>https://www.example-news.org/archives/20</link>
    <dc:date>2024-01-30T06:00:00+00:00</dc:date>
  </item>
</rdf:RDF>
"""


def _stats(issues) -> list[str]:
    return [i.stat for i in issues]


# --- sitemaps -------------------------------------------------------------------------------------


def test_sitemap_index():
    result = parse_sitemap(SITEMAP_INDEX, SITE + "/sitemap_index.xml")
    assert result.kind == "sitemapindex" and not result.issues and not result.unusable
    assert [e.loc for e in result.entries] == [
        SITE + "/post-sitemap1.xml",
        SITE + "/post-sitemap2.xml",  # relative loc made absolute
        SITE + "/page-sitemap.xml",
    ]  # the entry without <loc> is left out
    assert result.entries[0].lastmod == datetime(2024, 1, 31, 22, 15, 9, tzinfo=UTC)
    assert result.entries[1].lastmod == datetime(2023, 6, 2, 8, tzinfo=timezone(timedelta(hours=3)))
    assert result.entries[2].lastmod is None and result.entries[2].published is None


def test_news_sitemap_urlset():
    result = parse_sitemap(NEWS_SITEMAP, SITE + "/news-sitemap.xml")
    assert result.kind == "urlset" and not result.issues
    first, second, third = result.entries
    assert first.loc == SITE + "/archives/742318"  # not the image:loc
    assert first.published == datetime(2024, 1, 29, 18, 30, tzinfo=timezone(timedelta(hours=2)))
    assert first.lastmod == datetime(2024, 1, 30, 10, tzinfo=timezone(timedelta(hours=2)))
    assert second.loc == SITE + "/archives/742319" and second.published is None
    assert second.lastmod == datetime(2024, 1, 28, tzinfo=UTC)  # a date alone: midnight UTC
    assert third.lastmod is None and third.published is None


def test_gzipped_sitemap():
    result = parse_sitemap(gzip.compress(NEWS_SITEMAP), SITE + "/news-sitemap.xml.gz", max_size=1_000_000)
    assert result.kind == "urlset" and len(result.entries) == 3 and not result.issues


def test_gzip_bomb_over_the_limit_is_not_inflated():
    url = SITE + "/sitemap-bomb.xml.gz"
    bomb = gzip.compress(b"<urlset>" + b" " * 50_000_000 + b"</urlset>")
    assert len(bomb) < 100_000
    result = parse_sitemap(bomb, url, max_size=1_000_000)
    assert result.unusable and result.kind is None and not result.entries
    [issue] = result.issues
    assert issue.stat == "news/sitemaps/too_large"
    assert url in issue.message and "inflates past DOWNLOAD_MAXSIZE" in issue.message
    # the same file under a larger limit is read
    assert parse_sitemap(bomb, url, max_size=60_000_000).kind == "urlset"


def test_broken_gzip_is_invalid():
    result = parse_sitemap(b"\x1f\x8b\x08" + b"\x00" * 40, SITE + "/broken.xml.gz", max_size=1_000_000)
    assert result.unusable and _stats(result.issues) == ["news/sitemaps/invalid"]
    assert "cannot gunzip" in result.issues[0].message


def test_entities_are_never_expanded():
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://www.example-news.org/archives/&lol9;</loc></url>
  <url><loc>https://www.example-news.org/archives/ok</loc></url>
</urlset>
"""
    result = parse_sitemap(laughs, SITE + "/bomb.xml")
    assert "news/sitemaps/entities_ignored" in _stats(result.issues)
    assert "declares entities" in result.issues[0].message
    assert result.kind == "urlset"
    locs = [e.loc for e in result.entries]
    assert SITE + "/archives/ok" in locs
    assert all(len(loc) < 200 and "lollol" not in loc for loc in locs)


def test_malformed_xml_is_recovered():
    broken = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://www.example-news.org/archives/1</loc></url>
  <url><loc>https://www.example-news.org/archives/2?a=1&b=2</loc>
  <url><loc>https://www.example-news.org/archives/3</loc></url>
"""
    result = parse_sitemap(broken, SITE + "/broken.xml")
    assert _stats(result.issues) == ["news/sitemaps/malformed"]
    assert "is not well-formed (line" in result.issues[0].message
    assert result.kind == "urlset"
    assert SITE + "/archives/1" in [e.loc for e in result.entries]


def test_not_a_sitemap():
    page = b"<!DOCTYPE html><html><head><title>Not found</title></head><body><p>404</p></body></html>"
    result = parse_sitemap(page, SITE + "/sitemap.xml")
    assert result.kind is None and not result.unusable and not result.entries
    assert parse_sitemap(b"", SITE + "/sitemap.xml").kind is None
    assert parse_sitemap(b"User-agent: *", SITE + "/sitemap.xml").kind is None
    assert parse_sitemap(RSS, SITE + "/sitemap.xml").kind is None  # a feed is not a sitemap


# --- feeds ----------------------------------------------------------------------------------------


def test_rss2():
    result = parse_feed(RSS, SITE + "/feed/")
    assert result.kind == "rss" and result.items == 5 and not result.issues
    links = [e.link for e in result.entries]
    assert links == [
        SITE + "/archives/1",  # <link> wins over a non-permalink guid
        SITE + "/archives/2",  # relative <link> made absolute
        SITE + "/archives/3",  # <guid> is a permalink by default
        SITE + "/archives/5",
    ]  # item 4 has only a guid with isPermaLink="false"
    dates = [e.published for e in result.entries]
    assert dates[0] == datetime(2024, 1, 30, 9, 15, tzinfo=UTC)
    assert dates[1] == datetime(2024, 1, 29, 8, tzinfo=timezone(timedelta(hours=2)))  # dc:date
    assert dates[2] == datetime(2024, 1, 29, 7, tzinfo=UTC)
    assert dates[3] is None


def test_atom():
    url = "https://english.example-news.org/feed/atom/"
    result = parse_feed(ATOM, url)
    assert result.kind == "feed"
    first, second = result.entries
    assert first.link == "https://english.example-news.org/archives/10"  # rel=alternate, not rel=replies
    assert first.published == datetime(2024, 1, 30, 11, tzinfo=UTC)  # published before updated
    assert second.link == "https://english.example-news.org/feed/atom/archives/11"
    assert second.published == datetime(2024, 1, 29, 11, tzinfo=UTC)  # updated when nothing else


def test_rdf():
    result = parse_feed(RDF, SITE + "/rss")
    assert result.kind == "rdf"
    assert result.entries == [(SITE + "/archives/20", datetime(2024, 1, 30, 6, tzinfo=UTC))]


def test_feed_over_the_cap():
    items = "".join(f"<item><link>/archives/{n}</link></item>" for n in range(120))
    body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()
    result = parse_feed(body, SITE + "/feed/", max_items=50)
    assert len(result.entries) == 50 and result.entries[-1].link == SITE + "/archives/49"
    assert result.items == 120
    [issue] = result.issues
    assert issue.stat == "news/feeds/capped"
    assert issue.message == f"Feed {SITE}/feed/ has 120 items; only the first 50 are followed (NEWS_MAX_FEED_ITEMS)"
    assert len(parse_feed(body, SITE + "/feed/").entries) == 120  # 0: no cap


def test_gzipped_feed_and_not_a_feed():
    assert parse_feed(gzip.compress(RSS), SITE + "/feed.gz", max_size=1_000_000).kind == "rss"
    assert parse_feed(NEWS_SITEMAP, SITE + "/feed/").kind is None
    result = parse_feed(b"<html><body>moved</body></html>", SITE + "/feed/")
    assert result.kind is None and not result.unusable


def test_read_xml_gives_the_root():
    root, issues, unusable = read_xml(SITEMAP_INDEX, SITE + "/x.xml")
    assert root is not None and root.tag.endswith("sitemapindex") and not issues and not unusable
    assert read_xml(b"  \n", SITE + "/x.xml") == (None, [], False)


# --- robots.txt, pages ----------------------------------------------------------------------------


def test_robots_sitemaps():
    robots = (
        b"User-agent: *\nDisallow: /wp-admin/\n\n"
        b"Sitemap: https://www.example-news.org/sitemap_index.xml\n"
        b"sitemap:/news-sitemap.xml\r\n"
        b"  SITEMAP:   https://cdn.example-news.org/s.xml  \n"
        b"# Sitemap: commented out\n"
    )
    assert robots_sitemaps(robots, SITE + "/robots.txt") == [
        SITE + "/sitemap_index.xml",
        SITE + "/news-sitemap.xml",
        "https://cdn.example-news.org/s.xml",
    ]
    assert robots_sitemaps(b"User-agent: *\nDisallow:\n", SITE + "/robots.txt") == []


PAGE = """<!DOCTYPE html><html><head>
<link rel="alternate" type="application/rss+xml" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="https://www.example-news.org/feed/atom/">
<link rel="alternate" hreflang="en" href="https://english.example-news.org/">
<link rel="stylesheet" href="/style.css">
</head><body>
<a href="/archives/1">one</a>
<a href="archives/2#comments">two</a>
<a href="https://www.example-news.org/archives/1#top">one again</a>
<a href="#top">top</a><a href="javascript:void(0)">js</a><a href="mailto:x@example.org">mail</a>
<a href="tel:+963">tel</a><a href="data:text/html,hi">data</a><a href="ftp://example.org/f">ftp</a>
<a href="  https://other.example/x  ">other</a>
<a href="../../archives/3">dots</a>
<map><area href="/archives/4"></map>
<a>no href</a><a href="">empty</a>
<a href="/عربي/مقال">arabic</a>
</body></html>"""


def test_page_links_and_feeds():
    tree = lxml_html.fromstring(PAGE)
    links, hrefs = page_links(tree, SITE + "/category/news/")
    assert links == [
        SITE + "/archives/1",
        SITE + "/category/news/archives/2",  # relative to the page
        "https://other.example/x",
        SITE + "/archives/3",  # ../ resolved against the page
        SITE + "/archives/4",  # <area href>
        SITE + "/عربي/مقال",
    ]
    assert hrefs == 14
    capped, total = page_links(tree, SITE + "/", limit=2)
    assert capped == [SITE + "/archives/1", SITE + "/archives/2"] and total == 14
    assert page_feeds(tree, SITE + "/category/news/") == [SITE + "/feed/", SITE + "/feed/atom/"]


def test_page_links_honour_base_href():
    tree = lxml_html.fromstring('<html><head><base href="https://cdn.example-news.org/ar/"></head>'
                                '<body><a href="archives/9">x</a></body></html>')
    assert page_links(tree, SITE + "/")[0] == ["https://cdn.example-news.org/ar/archives/9"]


def test_how_a_body_is_read():
    assert xml_kind("application/rss+xml; charset=UTF-8", RSS) == "feed"
    assert xml_kind("text/xml", ATOM) == "feed"
    assert xml_kind("application/octet-stream", RDF) == "feed"  # <?xml ... <rdf
    assert xml_kind("application/xml", NEWS_SITEMAP) == "sitemap"
    assert xml_kind("", SITEMAP_INDEX) == "sitemap"
    assert xml_kind("text/html; charset=utf-8", PAGE.encode()) is None
    assert looks_like_html(PAGE.encode()) and looks_like_html(b"<!doctype html>\n<HTML lang=ar>")
    assert not looks_like_html(NEWS_SITEMAP)


def test_dates():
    assert parse_any_date("2024-01-31") == datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_any_date("2024-01-31T10:00:00Z") == datetime(2024, 1, 31, 10, tzinfo=UTC)
    assert parse_any_date(" Wed, 31 Jan 2024 10:00:00 +0300 ") == datetime(
        2024, 1, 31, 10, tzinfo=timezone(timedelta(hours=3))
    )
    assert parse_any_date("Wed, 31 Jan 2024 10:00:00 GMT") == datetime(2024, 1, 31, 10, tzinfo=UTC)
    assert parse_any_date("not a date") is None and parse_any_date("") is None and parse_any_date(None) is None
