"""The components around the news spider, each on its own: body triage, known articles, the resume
journal's spider side, the add-on (Redis, User-Agent) and the distributed idle wait.  No crawl, no network."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from archive.dedup import Capture
from archive.statestore import ArticleState, MemoryStateStore
from crawler import settings as project
from crawler.addon import NewsArchiveAddon
from crawler.extensions.distributed import DistributedIdleExtension
from crawler.extensions.resume import Journal, ResumeExtension, get_journal
from crawler.items import PageItem
from crawler.middlewares.known import KnownArticleMiddleware
from crawler.middlewares.resume import ResumeJournalMiddleware
from crawler.middlewares.triage import BodyTriageMiddleware
from crawler.spiders.news import NewsSpider

SITE = "https://news.example.org"
ARTICLE = (
    b"<!DOCTYPE html><html><head><title>A story</title>"
    b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A story"}</script>'
    b'<link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
    b'<body><h1>A story</h1><p>Text.</p><a href="/archives/2">next</a><a href="/about/">about</a></body></html>'
)
SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://news.example.org/archives/7</loc></url></urlset>"
)


PROJECT = {name: getattr(project, name) for name in dir(project) if name.isupper()}


def crawler_for(settings: dict[str, Any] | None = None, **spider_args: Any) -> Crawler:
    """A crawler with the project's settings but no extension or add-on, and its news spider."""
    crawler = get_crawler(NewsSpider, {**PROJECT, "EXTENSIONS": {}, "ADDONS": {}, **(settings or {})})
    crawler.spider = crawler._create_spider(**(spider_args or {"url": SITE + "/"}))
    return crawler


def run(agen: AsyncIterator[Any]) -> list[Any]:
    async def collect() -> list[Any]:
        return [out async for out in agen]

    return asyncio.run(collect())


class Callback:
    """A callback's output, recording whether it was ever started."""

    def __init__(self, *outputs: Any) -> None:
        self.outputs = outputs
        self.started = False

    async def __call__(self) -> AsyncIterator[Any]:
        self.started = True
        for out in self.outputs:
            yield out


def response(callback: Any, body: bytes = ARTICLE, url: str = SITE + "/archives/1", cls: type = HtmlResponse,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
    request = Request(url, callback=callback, meta={"discovery": "link", "link_depth": 0})
    if headers is None:
        headers = {"Content-Type": "text/html; charset=utf-8"}
    if cls is Response:
        return Response(url, body=body, headers=headers, request=request, **kwargs)
    return cls(url, body=body, headers=headers, request=request, encoding="utf-8", **kwargs)


# --- BodyTriageMiddleware --------------------------------------------------------------------------


@pytest.fixture()
def triage() -> tuple[BodyTriageMiddleware, Crawler]:
    crawler = crawler_for()
    return BodyTriageMiddleware.from_crawler(crawler), crawler


DROPPED = [
    ("empty", dict(body=b"  \n"), "news/pages/empty", "HTTP 200 with an empty body"),
    ("truncated", dict(flags=["dataloss"], headers={"Content-Length": "9000", "Content-Type": "text/html"}),
     "news/pages/truncated", "closed the connection before the body was complete"),
    ("image", dict(body=b"\x89PNG\r\n\x1a\n....", cls=Response, headers={"Content-Type": "image/png"}),
     "news/pages/not_html", None),
    ("pdf_as_html", dict(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "news/pages/binary",
     "served as text/html; charset=utf-8 but the body is a PDF document"),
    ("plain_text", dict(body=b"just some words", cls=TextResponse, headers={"Content-Type": "text/plain"}),
     "news/pages/not_html", None),
    ("too_deep", dict(body=b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000 + b"</body></html>"),
     "news/pages/too_deep", "nested deeper than the parser's limit"),
]


@pytest.mark.parametrize(("name", "kwargs", "stat", "words"), DROPPED, ids=[d[0] for d in DROPPED])
def test_triage_drops_unusable_pages_without_running_the_callback(triage, caplog, name, kwargs, stat, words):
    mw, crawler = triage
    callback = Callback(PageItem)
    resp = response(crawler.spider.parse_page, **kwargs)
    with caplog.at_level(logging.WARNING, logger="crawler.middlewares.triage"):
        assert run(mw.process_spider_output(resp, callback())) == []
    assert not callback.started
    assert crawler.stats.get_value(stat) == 1
    if words:
        assert any(resp.url in r.getMessage() and words in r.getMessage() for r in caplog.records), caplog.text
    else:
        assert not caplog.records


def test_triage_passes_a_page_and_its_parsed_tree(triage):
    mw, crawler = triage
    callback = Callback("item", "request")
    resp = response(crawler.spider.parse_page)
    assert run(mw.process_spider_output(resp, callback())) == ["item", "request"]
    assert callback.started and resp.meta["html_tree"].findtext(".//h1") == "A story"
    assert not crawler.stats.get_stats()


def test_triage_flags_unterminated_html_and_uses_it(triage, caplog):
    mw, crawler = triage
    resp = response(crawler.spider.parse_page, body=b"<html><body><p>cut in the midd",
                    headers={"Content-Type": "text/html", "Content-Length": "30"})
    with caplog.at_level(logging.WARNING):
        assert run(mw.process_spider_output(resp, Callback("item")())) == ["item"]
    assert crawler.stats.get_value("news/pages/unterminated") == 1
    assert "stops mid-document" in caplog.text and "Content-Length 30" in caplog.text


def test_triage_leaves_xml_to_the_callback(triage):
    mw, crawler = triage
    spider = crawler.spider
    # a feed or sitemap at a page URL: the spider reads it as one
    resp = response(spider.parse_page, body=SITEMAP, cls=XmlResponse, headers={"Content-Type": "application/xml"})
    assert run(mw.process_spider_output(resp, Callback("x")())) == ["x"] and "html_tree" not in resp.meta
    # a sitemap (even an empty or binary one) is the sitemap callback's to read
    for body in (SITEMAP, b"", b"\x1f\x8b\x08\x00garbage"):
        resp = response(spider.parse_sitemap, body=body, cls=XmlResponse, headers={"Content-Type": "text/xml"})
        assert run(mw.process_spider_output(resp, Callback("x")())) == ["x"]
    # robots.txt is not triaged at all
    resp = response(spider.parse_robots, body=b"", cls=TextResponse, headers={"Content-Type": "text/plain"})
    assert run(mw.process_spider_output(resp, Callback("x")())) == ["x"]
    assert not crawler.stats.get_stats()


def test_triage_reads_an_html_answer_to_a_sitemap_url_as_a_page(triage):
    mw, crawler = triage
    spider = crawler.spider
    resp = response(spider.parse_sitemap, url=SITE + "/sitemap.xml")
    assert run(mw.process_spider_output(resp, Callback("x")())) == ["x"] and "html_tree" in resp.meta
    deep = b"<html><body>" + b"<div>" * 100_000 + b"</body></html>"
    resp = response(spider.parse_feed, body=deep, url=SITE + "/feed/")
    assert run(mw.process_spider_output(resp, Callback("x")())) == []
    assert crawler.stats.get_value("news/pages/too_deep") == 1


def test_spider_and_triage_together(triage):
    """The spider's page callback behind the middleware: an article item, its feed and links, its outlinks."""
    mw, crawler = triage
    spider = crawler.spider

    async def callback_output(resp: Response) -> AsyncIterator[Any]:
        for out in spider.parse_page(resp):
            yield out

    resp = response(spider.parse_page)
    out = run(mw.process_spider_output(resp, callback_output(resp)))
    assert [type(o).__name__ for o in out] == ["PageItem", "Request", "Request", "Request"]
    assert [o.url for o in out[1:]] == [SITE + "/feed/", SITE + "/archives/2", SITE + "/about/"]
    assert resp.meta["outlinks"] == [SITE + "/feed/", SITE + "/archives/2", SITE + "/about/"]
    assert "html_tree" not in resp.meta  # taken by the spider
    # an HTML page at a sitemap URL is read as a page (and its URL is still counted as no sitemap)
    resp = response(spider.parse_sitemap, url=SITE + "/sitemap.xml")

    async def sitemap_output() -> AsyncIterator[Any]:
        for o in spider.parse_sitemap(resp):
            yield o

    out = run(mw.process_spider_output(resp, sitemap_output()))
    assert isinstance(out[0], PageItem) and out[0].url == SITE + "/sitemap.xml"
    assert crawler.stats.get_value("news/sitemaps/invalid") is None


def test_spider_reads_sitemaps_and_lists_outlinks():
    crawler = crawler_for()
    spider = crawler.spider
    resp = response(spider.parse_sitemap, body=SITEMAP, url=SITE + "/sitemap.xml", cls=XmlResponse)
    [req] = list(spider.parse_sitemap(resp))
    assert req.url == SITE + "/archives/7" and req.meta["discovery"] == "sitemap"
    assert resp.meta["outlinks"] == [SITE + "/archives/7"]
    robots = response(spider.parse_robots, body=b"Sitemap: /news.xml\n", url=SITE + "/robots.txt", cls=TextResponse)
    [req] = list(spider.parse_robots(robots))
    assert req.url == SITE + "/news.xml" and robots.meta["outlinks"] == [SITE + "/news.xml"]
    assert crawler.stats.get_value("news/sitemaps/parsed") == 1


def test_triage_needs_a_spider_that_declares_its_callbacks():
    crawler = get_crawler(settings_dict={"EXTENSIONS": {}, "ADDONS": {}})
    crawler.spider = crawler._create_spider()
    with pytest.raises(NotConfigured):
        BodyTriageMiddleware.from_crawler(crawler)


# --- KnownArticleMiddleware ------------------------------------------------------------------------


class FakeArchive:
    """What the middleware uses of ArchiveExtension: its site state and storage."""

    def __init__(self, captures: dict[str, Capture], stored: set[str], articles: dict[str, ArticleState]) -> None:
        store = MemoryStateStore()
        store.put_many(captures.items())
        for url, article in articles.items():
            store.put_article(url, article)
        self.state = SimpleNamespace(dedup_enabled=True, dedup=store, site="x")
        self.storage = SimpleNamespace(exists=lambda key: key in stored)


CAPTURES = {
    SITE + "/archives/1": Capture("d1", "2024-01-10T10:00:00+00:00", "<urn:1>", "articles/x/1.json",
                                  etag='"abc"', last_modified="Wed, 10 Jan 2024 10:00:00 GMT"),
    SITE + "/archives/2": Capture("d2", "2024-01-10T10:00:00+00:00", "<urn:2>", None),  # not an article
}
# archives/1 was checked recently and is not due before 2099 (crawler.refresh)
ARTICLES = {SITE + "/archives/1": ArticleState("1", "articles/x/1.json", "2024-01-10T10:00:00Z",
                                               "2024-01-10T10:00:00Z", "2099-01-01T00:00:00Z")}


def known(revalidate: bool = False, incremental: bool = True) -> tuple[KnownArticleMiddleware, Crawler]:
    crawler = crawler_for()
    if revalidate:
        crawler.spider.profile.revalidate = True
    archive = FakeArchive(CAPTURES, {"articles/x/1.json"}, ARTICLES)
    return KnownArticleMiddleware(crawler, archive, incremental), crawler  # type: ignore[arg-type]


def request(url: str, discovery: str, **meta: Any) -> Request:
    return Request(url, meta={"discovery": discovery, **meta})


def test_known_unchanged_articles_are_not_requested_again():
    mw, crawler = known()
    crawler.stats.set_value("news/requests/link", 5)
    assert mw.check_request(request(SITE + "/archives/1", "link")) is None
    assert crawler.stats.get_value("news/skipped/known_unchanged") == 1
    assert crawler.stats.get_value("news/requests/link") == 4  # never sent
    # an older or equal sitemap date: no sign of change
    assert mw.check_request(request(SITE + "/archives/1", "sitemap", discovered_date="2024-01-09")) is None
    # a later sitemap/feed date: fetched again
    later = request(SITE + "/archives/1", "feed", discovered_date="2024-02-01T00:00:00+00:00")
    assert mw.check_request(later) is later
    # seeds, sitemap indexes, unknown URLs and captures without article JSON are not touched
    for req in (request(SITE + "/archives/1", "seed"), request(SITE + "/archives/1", "sitemap-index"),
                request(SITE + "/archives/3", "link"), request(SITE + "/archives/2", "link")):
        assert mw.check_request(req) is req
    assert crawler.stats.get_value("news/skipped/known_unchanged") == 2


def test_refresh_policy_decides_which_known_articles_are_fetched_again():
    mw, crawler = known()
    # Archived before article states existed (no ArticleState): its age counts from its capture, long
    # past the longest interval, so it is due; a conditional request with the capture's validators.
    legacy = SITE + "/archives/7"
    mw.archive.state.dedup.put(legacy, Capture("d7", "2024-01-10T10:00:00+00:00", "<urn:7>", "articles/x/7.json",
                                               etag='"e7"'))
    req = mw.check_request(request(legacy, "sitemap"))
    assert req is not None and req.headers["If-None-Match"] == b'"e7"' and 304 in req.meta["handle_httpstatus_list"]
    assert crawler.stats.get_value("news/refresh/due") == 1
    # found again by another link: the same claim (counted once; the duplicate filter drops it)
    assert mw.check_request(request(legacy, "link")) is not None
    assert crawler.stats.get_value("news/refresh/due") == 1
    # the budget: ARCHIVE_REFRESH_MAX_PER_CRAWL due re-fetches per crawl, then deferred to the next crawl
    from crawler.refresh import RefreshPolicy

    crawler.spider.refresh_policy = RefreshPolicy(max_per_crawl=1)
    other = SITE + "/archives/8"
    mw.archive.state.dedup.put(other, Capture("d8", "2024-01-10T10:00:00+00:00", "<urn:8>", "articles/x/8.json"))
    assert mw.check_request(request(other, "link")) is None
    assert crawler.stats.get_value("news/refresh/deferred") == 1
    # refresh=all: every known article, the not-due one too; none: only on a newer sitemap/feed date
    crawler.spider.refresh_policy = RefreshPolicy(mode="all")
    assert mw.check_request(request(SITE + "/archives/1", "link")).meta["refresh"] == "all"  # type: ignore[union-attr]
    crawler.spider.refresh_policy = RefreshPolicy(mode="none")
    assert mw.check_request(request(other, "link")) is None


def test_known_articles_revalidated_when_the_profile_asks():
    mw, crawler = known(revalidate=True)
    req = mw.check_request(request(SITE + "/archives/1", "link"))
    assert req is not None and req.meta["handle_httpstatus_list"] == [304]
    assert req.headers["If-None-Match"] == b'"abc"'
    assert req.headers["If-Modified-Since"] == b"Wed, 10 Jan 2024 10:00:00 GMT"


def test_not_incremental_requests_everything():
    mw, _ = known(incremental=False)
    req = request(SITE + "/archives/1", "link")
    assert mw.check_request(req) is req


def test_not_modified_and_revisited_articles_are_not_rewritten(caplog):
    mw, crawler = known()
    stats = crawler.stats
    # 304: the callback never runs
    callback = Callback(PageItem)
    resp = response(crawler.spider.parse_page, body=b"", status=304)
    assert run(mw.process_spider_output(resp, callback())) == [] and not callback.started
    assert stats.get_value("news/pages/unchanged") == 1
    # a revisit whose article JSON is stored: no item, links still followed, counted as unchanged
    stats.set_value("news/pages/article", 1)
    item = SimpleNamespace()
    resp = response(crawler.spider.parse_page)
    resp.meta.update(warc_revisit=True, warc_revisit_article="articles/x/1.json")
    page = PageItem(url=resp.url, body=b"", encoding="utf-8", status=200, headers={}, site="x", profile=None,
                    fetched_at="", warc=None)
    follow = request(SITE + "/archives/9", "link")
    with caplog.at_level(logging.DEBUG, logger="crawler.middlewares.known"):
        assert run(mw.process_spider_output(resp, Callback(page, follow, item)())) == [follow, item]
    assert stats.get_value("news/pages/unchanged") == 2 and stats.get_value("news/pages/article") == 0
    assert "Unchanged since the last crawl (revisit), JSON kept" in caplog.text
    # a revisit whose JSON is gone: the item is made again
    resp = response(crawler.spider.parse_page)
    resp.meta.update(warc_revisit=True, warc_revisit_article="articles/x/gone.json")
    assert run(mw.process_spider_output(resp, Callback(page)())) == [page]


def test_known_filters_start_requests_and_needs_the_archive():
    mw, _ = known()
    seed, skipped = request(SITE + "/", "seed"), request(SITE + "/archives/1", "feed")

    async def start() -> AsyncIterator[Any]:
        yield seed
        yield skipped

    assert run(mw.process_start(start())) == [seed]
    with pytest.raises(NotConfigured):
        KnownArticleMiddleware.from_crawler(crawler_for())  # no ArchiveExtension in EXTENSIONS


# --- ResumeJournalMiddleware, get_journal ---------------------------------------------------------


def test_resume_requeues_first_and_journals_done(tmp_path: Path):
    jobdir = tmp_path / "job"
    first = Journal(jobdir)
    first.started(Request(SITE + "/archives/5", callback=NewsSpider.parse_page,
                          meta={"discovery": "feed", "link_depth": 2, "discovered_date": None}))
    first.started(Request(SITE + "/done", callback=NewsSpider.parse_page))
    first.done(SITE + "/done")
    first._fh.close()  # killed: no "C"

    crawler = crawler_for({"JOBDIR": str(jobdir), "EXTENSIONS": {ResumeExtension: 50}})
    journal = get_journal(crawler)
    assert journal is not None and list(journal.resumed) == [SITE + "/archives/5"]
    mw = ResumeJournalMiddleware.from_crawler(crawler)

    async def start() -> AsyncIterator[Any]:
        yield "the spider's own"

    requeued, own = run(mw.process_start(start()))
    assert own == "the spider's own"
    assert requeued.url == SITE + "/archives/5" and requeued.dont_filter and requeued.priority == 20
    assert requeued.callback == crawler.spider.parse_page and requeued.meta == {"discovery": "feed", "link_depth": 2}
    assert crawler.stats.get_value("resume/requeued") == 1

    page = PageItem(url=SITE + "/a", body=b"", encoding="utf-8", status=200, headers={}, site="x", profile=None,
                    fetched_at="", warc=None)
    redirected = response(crawler.spider.parse_page, url=SITE + "/final")
    redirected.meta["redirect_urls"] = [SITE + "/first"]
    assert run(mw.process_spider_output(redirected, Callback("req")())) == ["req"]
    with_article = response(crawler.spider.parse_page, url=SITE + "/article")
    assert run(mw.process_spider_output(with_article, Callback(page)())) == [page]
    journal.close()
    lines = (jobdir / "archive-journal.log").read_text().splitlines()
    assert "D\t" + SITE + "/first" in lines  # done under the URL first requested
    assert "D\t" + SITE + "/article" not in lines  # journalled when its article is stored


def test_no_jobdir_no_journal():
    crawler = crawler_for({"EXTENSIONS": {ResumeExtension: 50}})
    assert get_journal(crawler) is None
    with pytest.raises(NotConfigured):
        ResumeJournalMiddleware.from_crawler(crawler)
    assert not hasattr(crawler, "resume_journal")


# --- NewsArchiveAddon, DistributedIdleExtension ---------------------------------------------------


def project_settings(**cmdline: Any) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_addon_moves_the_frontier_to_redis():
    settings = project_settings(REDIS_URL="redis://127.0.0.1:6379/0", ARCHIVE_CRAWL_ID="c42")
    NewsArchiveAddon(get_crawler()).update_settings(settings)
    assert settings["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"  # over crawler/settings.py's
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["SCHEDULER_QUEUE_KEY"] == "news-archive:c42:requests"
    assert settings["DUPEFILTER_KEY"] == settings["SCHEDULER_DUPEFILTER_KEY"] == "news-archive:c42:dupefilter"
    assert settings.getbool("SCHEDULER_PERSIST")


def test_addon_command_line_still_wins():
    settings = project_settings(REDIS_URL="redis://x", ARCHIVE_CRAWL_ID="c", SCHEDULER="my.Scheduler")
    NewsArchiveAddon(get_crawler()).update_settings(settings)
    assert settings["SCHEDULER"] == "my.Scheduler"


def test_addon_without_redis_changes_nothing_but_the_user_agent():
    settings = project_settings(NEWS_CONTACT_URL="mailto:archive@example.org")
    NewsArchiveAddon(get_crawler()).update_settings(settings)
    assert settings["SCHEDULER"] == "crawler.scheduler.DiskQueueScheduler"
    assert settings["USER_AGENT"] == "NewsArchiveCrawler/0.1 (+mailto:archive@example.org; archival crawler)"
    own = project_settings(USER_AGENT="MyBot {contact}")
    NewsArchiveAddon(get_crawler()).update_settings(own)
    assert own["USER_AGENT"] == "MyBot https://github.com/news-archive-crawler/news-archive-crawler"
    assert own.getpriority("USER_AGENT") == 40


def test_addon_refuses_redis_without_a_crawl_id():
    with pytest.raises(ValueError, match="same -s ARCHIVE_CRAWL_ID"):
        NewsArchiveAddon(get_crawler()).update_settings(project_settings(REDIS_URL="redis://x"))


def test_addon_runs_when_the_crawler_applies_its_settings():
    """As `scrapy crawl -s ...` does: project settings, then the command line, then ADDONS at crawl start."""
    settings = project_settings(REDIS_URL="redis://x", ARCHIVE_CRAWL_ID="c7", EXTENSIONS={})
    crawler = Crawler(NewsSpider, settings)
    crawler.addons.load_settings(crawler.settings)
    assert crawler.settings["SCHEDULER_QUEUE_KEY"] == "news-archive:c7:requests"
    assert "{contact}" not in crawler.settings["USER_AGENT"]


def test_distributed_idle_wait(monkeypatch):
    with pytest.raises(NotConfigured):
        DistributedIdleExtension.from_crawler(get_crawler())
    ext = DistributedIdleExtension.from_crawler(get_crawler(settings_dict={"REDIS_URL": "redis://x",
                                                                           "NEWS_DISTRIBUTED_IDLE_CLOSE": 10}))
    now = [100.0]
    monkeypatch.setattr("crawler.extensions.distributed.time.monotonic", lambda: now[0])
    with pytest.raises(DontCloseSpider):
        ext.spider_idle()
    now[0] = 105.0
    ext.response_received()  # work arrived: the wait starts again
    now[0] = 112.0
    with pytest.raises(DontCloseSpider):
        ext.spider_idle()
    now[0] = 122.5
    ext.spider_idle()  # idle for 10.5 s: may close
