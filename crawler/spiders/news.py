"""The generic ``news`` spider, driven by site profiles: it discovers articles.

Usage::

    scrapy crawl news -a site=enabbaladi
    scrapy crawl news -a url=https://example.org/ -a since=2024-01-01
    scrapy crawl news -a site=demo -a url=http://127.0.0.1:8000/ -a max_articles=10

Arguments: ``site`` (a profile name or .toml path), ``url`` (crawl a site
without a profile, or rebase a profile onto another origin), ``since`` and
``until`` (YYYY-MM-DD, inclusive window on publication dates),
``max_articles`` (stop after N article records), ``depth`` (link depth).

Discovery: robots.txt sitemaps (announced through Scrapy's robots_parsed
signal, so robots.txt is fetched once), sitemap indexes, news sitemaps,
RSS/Atom feeds (from the profile and ``<link rel="alternate">``) and
same-site links to a bounded depth.  Sitemap ``lastmod`` and feed dates skip
out-of-window articles before they are fetched.  Sitemaps, feeds and links
are read by :mod:`crawler.discovery` (hostile input: docs/robustness.md);
every callback lists the URLs it found in ``response.meta["outlinks"]``.

Around the spider: unreadable bodies never reach a callback
(:mod:`crawler.middlewares.triage`, which passes a page's parsed tree in
``response.meta["html_tree"]``; ``body_triage`` says how each callback reads),
known articles are skipped on re-crawls (:mod:`crawler.middlewares.known`),
interrupted crawls resume (:mod:`crawler.middlewares.resume`), Redis and the
User-Agent are set up by :mod:`crawler.addon`.

Every page callback also lists the page's resources (:func:`crawler.embeds.page_embeds`) in
``response.meta["embeds"]`` ((url, kind, context) each, at most ``ARCHIVE_RESOURCES_MAX_PER_PAGE``;
``embeds_total`` counts them all), for the page's WARC metadata record and
:mod:`crawler.middlewares.resources`, which fetches them.

Settings read: ``NEWS_LINK_DEPTH``, ``NEWS_FOLLOW_ARTICLE_LINKS``, ``NEWS_GUESS_SITEMAPS``, ``NEWS_ARTICLE_MIN_*``,
``NEWS_ARTICLE_BRIEF_MIN_CHARS``, ``ROBOTSTXT_OBEY``, ``DOWNLOAD_MAXSIZE``, ``NEWS_MAX_LINKS_PER_PAGE``, ``NEWS_MAX_FEED_ITEMS``,
``ARCHIVE_RESOURCES_MAX_PER_PAGE``.

Stats: ``news/pages/article``, ``news/pages/other``, ``news/pages/rejected/{reason}`` (signal ``page_rejected`` for
candidates; a page accepted pending its date is counted by the extraction pipeline, which may reject it ``no-date``), ``news/links/capped``, ``news/feeds/capped``, ``news/sitemaps/entities_ignored``, ``news/sitemaps/malformed``,
``news/sitemaps/too_large``, ``news/urls/tracking_stripped``, ``news/urls/escaped``, ``news/urls/long``,
``news/skipped/out_of_window``, ``news/skipped/excluded``, ``news/sitemaps/parsed``, ``news/sitemaps/invalid``,
``news/feeds/parsed``, ``news/feeds/invalid``, ``news/requests/{seed,sitemap,feed,link,robots}``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings

from archive.warcwriter import payload_digest as body_digest
from crawler import signals as news_signals
from crawler.detection import classify_page, classify_url
from crawler.discovery import (
    Issue,
    looks_like_html,
    page_feeds,
    page_links,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
    xml_kind,
)
from crawler.embeds import page_embeds
from crawler.items import PageItem
from crawler.profiles import ProfileError, SiteProfile, load_profile, profile_for_url
from crawler.refresh import RefreshPolicy
from crawler.urls import strip_tracking

logger = logging.getLogger(__name__)

# Sitemap URLs the spider remembers having requested (the duplicate filter catches the older ones).
_SITEMAPS_REMEMBERED = 10_000


def parse_day(value: str | None, argname: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"-a {argname}={value!r}: expected a date as YYYY-MM-DD, e.g. 2024-01-31") from exc


def outlinks(response: Response) -> list[str]:
    """The URLs this response points to, for its WARC metadata record (callbacks append to it)."""
    found: list[str] = response.meta.setdefault("outlinks", [])
    return found


class NewsSpider(Spider):
    """Generic news spider (see module docstring)."""

    name = "news"
    # How BodyTriageMiddleware reads each callback's responses: as a page, or as XML
    # that may turn out to be an HTML page (crawler/middlewares/triage.py).
    body_triage = {"parse_page": "page", "parse_sitemap": "xml", "parse_feed": "xml"}

    def __init__(
        self,
        site: str | None = None,
        url: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_articles: str | int | None = None,
        depth: str | int | None = None,
        refresh: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not site and not url:
            raise ValueError("give -a site=NAME (a profile in crawler/sites/) or -a url=https://example.org/")
        try:
            if site:
                profile = load_profile(site)
                if url:
                    profile = profile.rebase(url)
            else:
                assert url is not None
                profile = profile_for_url(url)
        except ProfileError as exc:
            raise ValueError(str(exc)) from exc
        self.profile: SiteProfile = profile
        self.site_name = profile.name
        self.adhoc = not site
        self.since = parse_day(since, "since")
        self.until = parse_day(until, "until")
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"-a since={since} is after -a until={until}")
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self.depth_arg = int(depth) if depth not in (None, "") else None
        self.allowed_domains = list(profile.allowed_domains)
        self.refresh_arg = refresh
        args_given = {"site": site, "url": url, "since": since, "until": until, "max_articles": max_articles,
                      "depth": depth, "refresh": refresh}
        self.crawl_args = {k: v for k, v in args_given.items() if v not in (None, "")}
        # Sitemaps already requested, the most recent _SITEMAPS_REMEMBERED (an LRU: a sitemap index may list
        # millions of sitemaps; one announced again after it was forgotten is dropped by the duplicate filter).
        self._sitemaps_requested: OrderedDict[str, None] = OrderedDict()
        self._robots_seen: set[str] = set()  # hosts (netlocs) whose robots.txt was read: one per host, like Scrapy's

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings)
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        return spider

    def _configure(self, s: BaseSettings) -> None:
        profile_depth = self.profile.link_depth
        default_depth = profile_depth if profile_depth is not None else s.getint("NEWS_LINK_DEPTH")
        self.link_depth = self.depth_arg if self.depth_arg is not None else default_depth
        self.refresh_policy = RefreshPolicy.from_settings(s, self.refresh_arg)  # ValueError names the fix
        self.follow_article_links = s.getbool("NEWS_FOLLOW_ARTICLE_LINKS")
        self.guess_sitemaps = s.getbool("NEWS_GUESS_SITEMAPS")
        self.min_paragraphs = s.getint("NEWS_ARTICLE_MIN_PARAGRAPHS")
        self.min_chars = s.getint("NEWS_ARTICLE_MIN_CHARS")
        self.brief_min_chars = s.getint("NEWS_ARTICLE_BRIEF_MIN_CHARS")
        self.max_sitemap_size = s.getint("DOWNLOAD_MAXSIZE")
        self.obey_robots = s.getbool("ROBOTSTXT_OBEY")
        self.max_links = s.getint("NEWS_MAX_LINKS_PER_PAGE")
        self.max_embeds = s.getint("ARCHIVE_RESOURCES_MAX_PER_PAGE")
        self.max_feed_items = s.getint("NEWS_MAX_FEED_ITEMS")

    # -- requests -------------------------------------------------------------
    def _req(self, url: str, callback: Any, discovery: str, *, depth: int, **meta: Any) -> Request | None:
        stats = self.crawler.stats
        stripped = strip_tracking(url)
        if stripped != url.split("#", 1)[0]:
            # utm_*, fbclid, ...: the same page as without them; the duplicate filter sees one URL.
            stats.inc_value("news/urls/tracking_stripped")
            logger.debug("Tracking parameters removed: %s -> %s", url, stripped)
        url = stripped
        if " " in url or not url.isascii():
            # Scrapy percent-encodes it (UTF-8) once; counted so odd URLs can be found in the stats.
            stats.inc_value("news/urls/escaped")
            logger.debug("URL with spaces or non-ASCII characters, fetched percent-encoded: %s", url)
        if len(url) > 2083:
            stats.inc_value("news/urls/long")
            logger.debug("URL longer than 2083 characters (%d; fetched up to URLLENGTH_LIMIT): %s", len(url), url)
        if self.profile.is_excluded(url):
            stats.inc_value("news/skipped/excluded")
            return None
        kind = classify_url(url, self.profile)
        priority = 10 if discovery in ("sitemap-index", "robots") else 5 if kind == "article" else 0
        stats.inc_value(f"news/requests/{discovery.split('-')[0]}")
        return Request(url, callback=callback, priority=priority, meta={"discovery": discovery, "link_depth": depth, **meta})

    def refresh_request(self, url: str) -> Request | None:
        """A request re-fetching a known article the crawl may not discover (the refresh policy,
        :mod:`crawler.refresh`; made by :class:`crawler.middlewares.known.KnownArticleMiddleware`)."""
        if not self._allowed(url):
            return None
        return self._req(url, self.parse_page, "refresh", depth=self.link_depth)

    async def start(self) -> AsyncIterator[Any]:
        for req in self._start_requests():
            if req is not None:
                yield req

    def _start_requests(self) -> Iterator[Request | None]:
        yield from (self._req(url, self.parse_page, "seed", depth=0) for url in self.profile.start_urls)
        yield from (self._req(url, self.parse_feed, "feed", depth=self.link_depth) for url in self.profile.feeds)
        yield from self._sitemap_requests(self.profile.sitemaps)
        if not self.obey_robots:
            # Without RobotsTxtMiddleware nobody fetches robots.txt: do it for its sitemaps.
            origins = dict.fromkeys(f"{p.scheme}://{p.netloc}" for p in map(urlsplit, self.profile.start_urls))
            yield from (self._req(origin + "/robots.txt", self.parse_robots, "robots", depth=0) for origin in origins)

    def _sitemap_requests(self, urls: Iterable[str], discovery: str = "sitemap-index") -> Iterator[Request]:
        for url in urls:
            if url in self._sitemaps_requested:
                self._sitemaps_requested.move_to_end(url)
                continue
            self._sitemaps_requested[url] = None
            if len(self._sitemaps_requested) > _SITEMAPS_REMEMBERED:
                self._sitemaps_requested.popitem(last=False)
            req = self._req(url, self.parse_sitemap, discovery, depth=self.link_depth)
            if req is not None:
                yield req

    def _allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def _report(self, issues: list[Issue]) -> None:
        for issue in issues:
            self.crawler.stats.inc_value(issue.stat)
            logger.warning("%s", issue.message)

    # -- robots.txt -------------------------------------------------------------
    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        """Scrapy's robots_parsed signal: schedule the sitemaps robots.txt lists."""
        netloc = urlsplit(request.url).netloc
        if netloc in self._robots_seen:
            return
        self._robots_seen.add(netloc)
        sitemaps: list[str] = []
        rp = getattr(robotparser, "rp", None)
        if rp is not None and hasattr(rp, "sitemaps"):
            sitemaps = list(rp.sitemaps)
        for req in self._robots_sitemaps(sitemaps, f"{urlsplit(request.url).scheme}://{netloc}"):
            self.crawler.engine.crawl(req)

    def _robots_sitemaps(self, sitemaps: list[str], origin: str) -> Iterator[Request]:
        allowed = [u for u in sitemaps if self._allowed(u)]
        if allowed:
            yield from self._sitemap_requests(allowed)
        elif self.adhoc and self.guess_sitemaps and not self.profile.sitemaps:
            yield from self._sitemap_requests(
                [origin + "/sitemap.xml", origin + "/sitemap_index.xml", origin + "/news-sitemap.xml"],
                discovery="sitemap-guess",
            )

    def parse_robots(self, response: Response) -> Iterator[Request]:
        sitemaps = robots_sitemaps(response.body, response.url)
        outlinks(response).extend(sitemaps)
        yield from self._robots_sitemaps(sitemaps, f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}")

    # -- window -----------------------------------------------------------------
    def _outside_window(self, published: datetime | None, lastmod: datetime | None) -> bool:
        """True when the dates known before fetching prove the article is outside the window."""
        if self.since:
            # modified >= published: an old lastmod proves an old article.
            latest = lastmod or published
            if latest and latest.date() < self.since:
                return True
        if self.until and published and published.date() > self.until:
            return True
        return False

    # -- sitemaps and feeds -------------------------------------------------------
    def _not_xml(self, response: Response, stat: str, message: str) -> Iterator[Any]:
        """A sitemap or feed URL that did not answer one: an HTML page is read as a page."""
        if isinstance(response, TextResponse) and looks_like_html(response.body):
            yield from self._page(response)
            return
        self.crawler.stats.inc_value(stat)
        logger.warning(message, response.url)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        sitemap = parse_sitemap(response.body, response.url, self.max_sitemap_size)
        self._report(sitemap.issues)
        if sitemap.kind is None:
            if not sitemap.unusable:
                yield from self._not_xml(
                    response, "news/sitemaps/invalid", "Sitemap %s: not a sitemap (no <urlset> or <sitemapindex>); skipped"
                )
            return
        self.crawler.stats.inc_value("news/sitemaps/parsed")
        found = outlinks(response)
        for entry in sitemap.entries:
            found.append(entry.loc)
            if sitemap.kind == "sitemapindex":
                if self.since and entry.lastmod and entry.lastmod.date() < self.since:
                    self.crawler.stats.inc_value("news/skipped/out_of_window")
                    continue
                yield from self._sitemap_requests([entry.loc], discovery="sitemap-index")
                continue
            if self._outside_window(entry.published, entry.lastmod):
                self.crawler.stats.inc_value("news/skipped/out_of_window")
                continue
            if not self._allowed(entry.loc):
                continue
            dated = entry.published or entry.lastmod
            discovered = dated.isoformat() if dated else None
            req = self._req(entry.loc, self.parse_page, "sitemap", depth=self.link_depth, discovered_date=discovered)
            if req is not None:
                yield req

    def parse_feed(self, response: Response) -> Iterator[Any]:
        feed = parse_feed(response.body, response.url, self.max_feed_items, self.max_sitemap_size)
        self._report(feed.issues)
        if feed.kind is None:
            if not feed.unusable:
                yield from self._not_xml(response, "news/feeds/invalid", "Feed %s: not RSS or Atom; skipped")
            return
        self.crawler.stats.inc_value("news/feeds/parsed")
        found = outlinks(response)
        for entry in feed.entries:
            found.append(entry.link)
            if self._outside_window(entry.published, None):
                self.crawler.stats.inc_value("news/skipped/out_of_window")
                continue
            if not self._allowed(entry.link):
                continue
            discovered = entry.published.isoformat() if entry.published else None
            req = self._req(entry.link, self.parse_page, "feed", depth=self.link_depth, discovered_date=discovered)
            if req is not None:
                yield req

    # -- pages --------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        kind = xml_kind(ctype, response.body)
        if kind == "feed":
            yield from self.parse_feed(response)
        elif kind == "sitemap":
            yield from self.parse_sitemap(response)
        else:
            yield from self._page(response)

    def _html_tree(self, response: Response) -> Any:
        """The page's tree: parsed by BodyTriageMiddleware, or here when it did not see the page as one."""
        tree = response.meta.pop("html_tree", None)
        if tree is None and isinstance(response, TextResponse):
            try:
                tree = lxml_html.fromstring(response.body)
            except (ValueError, etree.ParserError):
                return None
        return tree

    def _page(self, response: Response) -> Iterator[Any]:
        tree = self._html_tree(response)
        if tree is None or not isinstance(response, TextResponse):
            return
        stats = self.crawler.stats
        depth = response.meta.get("link_depth", 0)
        # defer_date: the extraction workers confirm an unmarked page's date (one date finder, off the reactor).
        verdict = classify_page(response.body, response.url, self.profile, min_paragraphs=self.min_paragraphs,
                                min_chars=self.min_chars, brief_min_chars=self.brief_min_chars, tree=tree,
                                defer_date=True)
        if verdict.is_article:
            if not verdict.needs_date:  # else counted by ExtractionPipeline once the date is known
                stats.inc_value("news/pages/article")
            yield self._page_item(response, verdict.reason, verdict.needs_date)
        else:
            stats.inc_value("news/pages/other")
            logger.debug("Not an article (%s): %s", verdict.reason, response.url)
            if verdict.reason.startswith("heuristic:"):  # the heuristics' rejections, counted; candidates listed
                stats.inc_value(f"news/pages/rejected/{verdict.reason.removeprefix('heuristic:')}")
                if verdict.candidate:
                    self.crawler.signals.send_catch_log(news_signals.page_rejected, url=response.url, reason=verdict.reason)
        found = outlinks(response)
        # Feeds announced by the page.
        for feed in page_feeds(tree, response.url):
            found.append(feed)
            if self._allowed(feed) and "comments" not in feed:
                req = self._req(feed, self.parse_feed, "feed", depth=self.link_depth)
                if req is not None:
                    yield req
        # Links from the tree already parsed for classification (a LinkExtractor would parse again).
        links, hrefs = page_links(tree, response.url, self.max_links)
        if self.max_links and len(links) >= self.max_links and hrefs > len(links):
            stats.inc_value("news/links/capped")
            logger.warning(
                "Page %s has %d links; only the first %d are recorded and followed (NEWS_MAX_LINKS_PER_PAGE)",
                response.url, hrefs, len(links),
            )
        found.extend(links)
        # The page's resources (images, stylesheets, scripts, ...): listed in its WARC metadata record,
        # fetched by PageResourcesMiddleware.
        embeds, total = page_embeds(tree, response.url, limit=self.max_embeds or None)
        response.meta["embeds"] = [(e.url, e.kind, e.context) for e in embeds]
        response.meta["embeds_total"] = total
        if depth >= self.link_depth or (verdict.is_article and not self.follow_article_links):
            return
        for link in links:
            if not self._allowed(link) or classify_url(link, self.profile) == "asset":
                continue
            req = self._req(link, self.parse_page, "link", depth=depth + 1)
            if req is not None:
                yield req

    def _page_item(self, response: TextResponse, reason: str, date_required: bool = False) -> PageItem:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        return PageItem(
            url=response.url,
            body=response.body,
            encoding=response.encoding,
            status=response.status,
            headers=headers,
            site=self.site_name,
            profile=None if self.adhoc else self.profile.name,
            fetched_at=(response.meta.get("warc_fetched_at") or datetime.now(UTC)).isoformat(),
            warc=response.meta.get("warc"),
            language_hint=self.profile.language,
            timezone=self.profile.timezone,
            detection=reason,
            drop_selectors=list(self.profile.extraction.drop_selectors),
            drop_text_patterns=list(self.profile.extraction.drop_text_patterns),
            date_selector=self.profile.extraction.date_selector,
            discovered_date=response.meta.get("discovered_date"),
            capture_status=response.meta.get("capture_status"),
            request_url=response.meta.get("redirect_urls", [response.url])[0],
            date_required=date_required,
            payload_digest=response.meta.get("warc_payload_digest") or body_digest(response.body),
        )
