"""The generic ``news`` spider, driven by site profiles.

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
out-of-window articles before they are fetched.

Settings read: ``NEWS_LINK_DEPTH``, ``NEWS_FOLLOW_ARTICLE_LINKS``,
``NEWS_GUESS_SITEMAPS``, ``NEWS_ARTICLE_MIN_PARAGRAPHS``,
``NEWS_ARTICLE_MIN_CHARS``, ``NEWS_CONTACT_URL``, ``USER_AGENT``,
``ROBOTSTXT_OBEY``, ``DOWNLOAD_MAXSIZE``, ``NEWS_MAX_LINKS_PER_PAGE``,
``NEWS_MAX_FEED_ITEMS``.

Hostile input (docs/robustness.md): an empty body, a binary served as HTML,
a body cut short by the server, a page with more links than
``NEWS_MAX_LINKS_PER_PAGE``, a feed with more items than
``NEWS_MAX_FEED_ITEMS``, a sitemap that declares XML entities, is not
well-formed or inflates past ``DOWNLOAD_MAXSIZE``: each is logged with its
URL and cause, counted, and the crawl goes on (the WARC has the bytes).

Stats: ``news/pages/article``, ``news/pages/other``, ``news/pages/not_html``,
``news/pages/empty``, ``news/pages/binary``, ``news/pages/truncated``,
``news/pages/unparsable``, ``news/pages/too_deep``, ``news/pages/unterminated``, ``news/links/capped``, ``news/feeds/capped``,
``news/sitemaps/entities_ignored``, ``news/sitemaps/malformed``,
``news/sitemaps/too_large``, ``news/urls/tracking_stripped``, ``news/urls/escaped``, ``news/urls/long``,
``news/skipped/out_of_window``, ``news/skipped/excluded``,
``news/sitemaps/parsed``, ``news/sitemaps/invalid``, ``news/feeds/parsed``,
``news/feeds/invalid``, ``news/requests/{seed,sitemap,feed,link}``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.detection import classify_page, classify_url, sniff_binary
from crawler.items import PageItem
from crawler.middlewares.faultretry import received_size
from crawler.profiles import ProfileError, SiteProfile, load_profile, profile_for_url
from crawler.urls import strip_tracking

logger = logging.getLogger(__name__)

_UNUSABLE = object()  # a sitemap/feed body that could not be used at all (already logged and counted)
_XML_PARSER_KW = {"recover": True, "remove_comments": True, "resolve_entities": False, "no_network": True}


def parse_day(value: str | None, argname: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"-a {argname}={value!r}: expected a date as YYYY-MM-DD, e.g. 2024-01-31") from exc


def parse_any_date(value: str | None) -> datetime | None:
    """Parse sitemap (W3C/ISO) and feed (RFC 822) dates; None when unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# Plain strings, not lxml's "smart" strings that keep a reference to their element.
_HREFS = etree.XPath("//a/@href | //area/@href", smart_strings=False)


def page_links(tree: Any, base_url: str, limit: int = 0) -> tuple[list[str], int]:
    """Absolute http(s) links of ``<a href>``/``<area href>`` in document order, fragments dropped, unique.

    Returns the links (at most ``limit`` when it is not 0) and the number of
    ``href`` attributes on the page.
    """
    base = tree.xpath("//base/@href")
    base_url = urljoin(base_url, str(base[0]).strip()) if base else base_url
    seen: dict[str, None] = {}
    joined: dict[str, str] = {}
    hrefs = _HREFS(tree)
    for href in hrefs:
        if limit and len(seen) >= limit:
            break
        href = str(href).strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = joined.get(href)
        if url is None:
            # Absolute links (most of a news page's) need no urljoin, only a dot-segment check.
            if href.startswith(("http://", "https://")) and "/." not in href:
                url = href.split("#", 1)[0]
            else:
                url = urljoin(base_url, href).split("#", 1)[0]
            joined[href] = url
        if url.startswith(("http://", "https://")):
            seen.setdefault(url, None)
    return list(seen), len(hrefs)


def _local(tag: Any) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


class NewsSpider(Spider):
    """Generic news spider (see module docstring)."""

    name = "news"

    # Filled from settings in from_crawler (instance attributes, declared for type checkers).
    link_depth: int
    follow_article_links: bool
    incremental: bool
    distributed_idle: float
    _idle_since: float | None
    guess_sitemaps: bool
    min_paragraphs: int
    min_chars: int
    max_sitemap_size: int
    obey_robots: bool
    max_links: int
    max_feed_items: int

    def __init__(
        self,
        site: str | None = None,
        url: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_articles: str | int | None = None,
        depth: str | int | None = None,
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
        self.crawl_args = {
            k: v
            for k, v in {
                "site": site,
                "url": url,
                "since": since,
                "until": until,
                "max_articles": max_articles,
                "depth": depth,
            }.items()
            if v not in (None, "")
        }
        self._sitemaps_requested: set[str] = set()
        self._robots_seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.link_depth = (
            spider.depth_arg
            if spider.depth_arg is not None
            else spider.profile.link_depth
            if spider.profile.link_depth is not None
            else s.getint("NEWS_LINK_DEPTH")
        )
        spider.follow_article_links = s.getbool("NEWS_FOLLOW_ARTICLE_LINKS")
        spider.incremental = s.getbool("NEWS_INCREMENTAL")
        spider.guess_sitemaps = s.getbool("NEWS_GUESS_SITEMAPS")
        spider.min_paragraphs = s.getint("NEWS_ARTICLE_MIN_PARAGRAPHS")
        spider.min_chars = s.getint("NEWS_ARTICLE_MIN_CHARS")
        spider.max_sitemap_size = s.getint("DOWNLOAD_MAXSIZE")
        spider.obey_robots = s.getbool("ROBOTSTXT_OBEY")
        spider.max_links = s.getint("NEWS_MAX_LINKS_PER_PAGE")
        spider.max_feed_items = s.getint("NEWS_MAX_FEED_ITEMS")
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        if s.get("REDIS_URL"):
            # Distributed: a process whose share of the queue is momentarily empty stays
            # for NEWS_DISTRIBUTED_IDLE_CLOSE seconds, taking requests other processes push.
            spider.distributed_idle = s.getfloat("NEWS_DISTRIBUTED_IDLE_CLOSE")
            spider._idle_since = None
            crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
            crawler.signals.connect(spider._on_response, signal=signals.response_received)
        return spider

    def _on_response(self) -> None:
        self._idle_since = None

    def _on_idle(self) -> None:
        import time

        from scrapy.exceptions import DontCloseSpider

        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.distributed_idle:
            raise DontCloseSpider

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        redis_url = settings.get("REDIS_URL")
        if redis_url:
            # Distributed crawl: frontier and duplicate filter in Redis (scrapy-redis), keyed by
            # crawl so re-crawls start fresh; every process of one crawl gets the same crawl id.
            crawl_id = settings.get("ARCHIVE_CRAWL_ID")
            if not crawl_id:
                raise ValueError(
                    "REDIS_URL is set: give every crawler process of this crawl the same -s ARCHIVE_CRAWL_ID=..."
                )
            for name, value in {
                "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                "SCHEDULER_DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
                "SCHEDULER_QUEUE_KEY": f"news-archive:{crawl_id}:requests",
                "SCHEDULER_DUPEFILTER_KEY": f"news-archive:{crawl_id}:dupefilter",
                "DUPEFILTER_KEY": f"news-archive:{crawl_id}:dupefilter",
            }.items():
                settings.set(name, value, priority="spider")
        agent = settings.get("USER_AGENT", "")
        if "{contact}" in agent:
            settings.set(
                "USER_AGENT",
                agent.replace("{contact}", settings.get("NEWS_CONTACT_URL", "")),
                priority=settings.getpriority("USER_AGENT"),
            )

    # -- requests -------------------------------------------------------------
    def _known(self, url: str) -> Any:
        """The last capture of ``url`` whose article JSON is in the archive (incremental crawls)."""
        if not self.incremental:
            return None
        from crawler.session import ArchiveSession

        session = ArchiveSession.from_crawler(self.crawler)
        if not session.dedup_enabled:
            return None
        capture = session.dedup.captures.get(url)
        return capture if capture is not None and capture.article_key else None

    def _req(self, url: str, callback: Any, discovery: str, *, depth: int, **meta: Any) -> Request | None:
        stripped = strip_tracking(url)
        if stripped != url.split("#", 1)[0]:
            # utm_*, fbclid, ...: the same page as without them; the duplicate filter sees one URL.
            self.crawler.stats.inc_value("news/urls/tracking_stripped")
            logger.debug("Tracking parameters removed: %s -> %s", url, stripped)
        url = stripped
        if " " in url or not url.isascii():
            # Scrapy percent-encodes it (UTF-8) once; counted so odd URLs can be found in the stats.
            self.crawler.stats.inc_value("news/urls/escaped")
            logger.debug("URL with spaces or non-ASCII characters, fetched percent-encoded: %s", url)
        if len(url) > 2083:
            self.crawler.stats.inc_value("news/urls/long")
            logger.debug("URL longer than 2083 characters (%d; fetched up to URLLENGTH_LIMIT): %s", len(url), url)
        if self.profile.is_excluded(url):
            self.crawler.stats.inc_value("news/skipped/excluded")
            return None
        headers: dict[str, str] = {}
        if discovery in ("sitemap", "feed", "link") and (known := self._known(url)) is not None:
            hint = parse_any_date(meta.get("discovered_date"))
            captured = parse_any_date(known.date)
            if self.profile.revalidate:
                # Ask the server: a 304 becomes a revisit record (profile server-not-modified).
                if known.etag:
                    headers["If-None-Match"] = known.etag
                if known.last_modified:
                    headers["If-Modified-Since"] = known.last_modified
                meta["handle_httpstatus_list"] = [304]
            elif hint is None or captured is None or hint <= captured:
                # Known article, no sign of change since its capture: not fetched again.
                self.crawler.stats.inc_value("news/skipped/known_unchanged")
                return None
        kind = classify_url(url, self.profile)
        priority = 10 if discovery in ("sitemap-index", "robots") else 5 if kind == "article" else 0
        self.crawler.stats.inc_value(f"news/requests/{discovery.split('-')[0]}")
        return Request(
            url,
            callback=callback,
            priority=priority,
            headers=headers or None,
            meta={"discovery": discovery, "link_depth": depth, **meta},
        )

    async def start(self) -> AsyncIterator[Any]:
        from crawler.extensions.resume import ResumeExtension

        for requeued in ResumeExtension.requeue(self.crawler, self):
            yield requeued
        for url in self.profile.start_urls:
            req = self._req(url, self.parse_page, "seed", depth=0)
            if req is not None:
                yield req
        for url in self.profile.feeds:
            req = self._req(url, self.parse_feed, "feed", depth=self.link_depth)
            if req is not None:
                yield req
        for url in self.profile.sitemaps:
            for req in self._sitemap_requests([url]):
                yield req
        if not self.obey_robots:
            # Without RobotsTxtMiddleware nobody fetches robots.txt: do it for its sitemaps.
            for url in self._origins():
                req = self._req(url + "/robots.txt", self.parse_robots, "robots", depth=0)
                if req is not None:
                    yield req

    def _origins(self) -> list[str]:
        seen: list[str] = []
        for url in self.profile.start_urls:
            p = urlsplit(url)
            origin = f"{p.scheme}://{p.netloc}"
            if origin not in seen:
                seen.append(origin)
        return seen

    def _sitemap_requests(self, urls: Iterable[str], discovery: str = "sitemap-index") -> Iterator[Request]:
        for url in urls:
            if url in self._sitemaps_requested:
                continue
            self._sitemaps_requested.add(url)
            req = self._req(url, self.parse_sitemap, discovery, depth=self.link_depth)
            if req is not None:
                yield req

    # -- archive ----------------------------------------------------------------
    def _archive_metadata(self, response: Response, outlinks: list[str]) -> None:
        """Write the WARC metadata record of this capture, with the outlinks found in it."""
        pointer = response.meta.get("warc")
        if not pointer or response.request is None or not self.crawler.settings.getbool("ARCHIVE_WARC_METADATA"):
            return
        from crawler.middlewares.warc import capture_fields
        from crawler.session import ArchiveSession

        session = ArchiveSession.from_crawler(self.crawler)
        if session.closed:
            return
        if response.meta.get("warc_revisit"):
            outlinks = []  # identical payload: the outlinks are those of the capture it refers to
        url = response.url
        stats = self.crawler.stats

        def done(error: BaseException | None) -> None:
            if error is not None:
                stats.inc_value("archive/warc/errors")
                logger.error("Could not write the WARC metadata record of %s: %s", url, error)
                return
            stats.inc_value("archive/warc/metadata")
            stats.inc_value("archive/warc/records")

        fields = capture_fields(response.request, response, outlinks)
        session.post_io(session.warc.write_metadata, url, pointer["record_id"], fields, done=done)

    def _unchanged_article(self, response: Response) -> bool:
        """A revisit of a page whose article JSON is already in the archive: nothing to rewrite."""
        key = response.meta.get("warc_revisit_article")
        if not response.meta.get("warc_revisit") or not key:
            return False
        from crawler.session import ArchiveSession

        return ArchiveSession.from_crawler(self.crawler).storage.exists(key)

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
        self._schedule(self._robots_sitemaps(sitemaps, f"{urlsplit(request.url).scheme}://{netloc}"))

    def _schedule(self, requests: Iterable[Request]) -> None:
        engine = self.crawler.engine
        for req in requests:
            engine.crawl(req)

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
        origin = f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}"
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        sitemaps = list(sitemap_urls_from_robots(text, base_url=response.url))
        self._archive_metadata(response, sitemaps)
        yield from self._robots_sitemaps(sitemaps, origin)

    def _allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

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

    # -- sitemaps ---------------------------------------------------------------
    def _xml_body(self, response: Response) -> bytes | None:
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.max_sitemap_size)
            except Exception as exc:  # gunzip raises IOError/_DecompressionMaxSizeExceeded
                too_large = "max" in str(exc).lower()
                self.crawler.stats.inc_value("news/sitemaps/too_large" if too_large else "news/sitemaps/invalid")
                logger.warning(
                    "Sitemap/feed %s: cannot gunzip (%s)%s; skipped (the compressed bytes are in the WARC)",
                    response.url, exc, " - it inflates past DOWNLOAD_MAXSIZE" if too_large else "",
                )
                return None
        return body

    def _xml_root(self, response: Response) -> Any:
        """The parsed XML of a sitemap or feed (gunzipped; entities never expanded), or None.

        A document that is not well-formed is parsed in recovery mode (what can be
        read is used) and counted; declared entities are never expanded.
        """
        body = self._xml_body(response)
        if body is None:
            return _UNUSABLE
        if not body or body.lstrip()[:1] != b"<":
            return None
        head = body[:4096]
        if b"<!ENTITY" in head or b"<!entity" in head:
            self.crawler.stats.inc_value("news/sitemaps/entities_ignored")
            logger.warning("XML %s declares entities (a possible entity-expansion bomb); they are not expanded", response.url)
        parser = etree.XMLParser(**_XML_PARSER_KW)
        try:
            root = etree.fromstring(body, parser=parser)
        except etree.XMLSyntaxError:
            return None
        if root is not None and parser.error_log and any(e.level >= 2 for e in parser.error_log):
            first = next(e for e in parser.error_log if e.level >= 2)
            self.crawler.stats.inc_value("news/sitemaps/malformed")
            logger.warning("XML %s is not well-formed (line %s: %s); using what could be read", response.url, first.line, first.message)
        return root

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        outlinks: list[str] = []
        yield from self._parse_sitemap(response, outlinks)
        self._archive_metadata(response, outlinks)
        self._journal_done(response)

    def _parse_sitemap(self, response: Response, outlinks: list[str]) -> Iterator[Any]:
        root = self._xml_root(response)
        if root is _UNUSABLE:
            return
        if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
            if isinstance(response, TextResponse) and b"<html" in response.body[:2048].lower():
                yield from self._parse_page(response, outlinks)
                return
            self.crawler.stats.inc_value("news/sitemaps/invalid")
            logger.warning("Sitemap %s: not a sitemap (no <urlset> or <sitemapindex>); skipped", response.url)
            return
        self.crawler.stats.inc_value("news/sitemaps/parsed")
        kind = _local(root.tag)
        for entry in root:
            if _local(entry.tag) not in ("url", "sitemap"):
                continue
            fields: dict[str, str] = {}
            for child in entry.iter():
                name = _local(child.tag)
                if child.text and child.text.strip() and name not in fields:
                    fields[name] = child.text.strip()
            loc = fields.get("loc")
            if not loc:
                continue
            loc = urljoin(response.url, loc)
            outlinks.append(loc)
            lastmod = parse_any_date(fields.get("lastmod"))
            if kind == "sitemapindex":
                if self.since and lastmod and lastmod.date() < self.since:
                    self.crawler.stats.inc_value("news/skipped/out_of_window")
                    continue
                yield from self._sitemap_requests([loc], discovery="sitemap-index")
                continue
            published = parse_any_date(fields.get("publication_date"))
            if self._outside_window(published, lastmod):
                self.crawler.stats.inc_value("news/skipped/out_of_window")
                continue
            if not self._allowed(loc):
                continue
            known = published or lastmod
            req = self._req(
                loc,
                self.parse_page,
                "sitemap",
                depth=self.link_depth,
                discovered_date=known.isoformat() if known else None,
            )
            if req is not None:
                yield req

    # -- feeds --------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[Any]:
        outlinks: list[str] = []
        yield from self._parse_feed(response, outlinks)
        self._archive_metadata(response, outlinks)
        self._journal_done(response)

    def _parse_feed(self, response: Response, outlinks: list[str]) -> Iterator[Any]:
        root = self._xml_root(response)
        if root is _UNUSABLE:
            return
        if root is None or _local(root.tag).lower() not in ("rss", "feed", "rdf"):
            if isinstance(response, TextResponse) and b"<html" in response.body[:2048].lower():
                yield from self._parse_page(response, outlinks)
                return
            self.crawler.stats.inc_value("news/feeds/invalid")
            logger.warning("Feed %s: not RSS or Atom; skipped", response.url)
            return
        self.crawler.stats.inc_value("news/feeds/parsed")
        items = 0
        for entry in root.iter():
            name = _local(entry.tag)
            if name not in ("item", "entry"):
                continue
            items += 1
            if self.max_feed_items and items > self.max_feed_items:
                total = sum(1 for e in root.iter() if _local(e.tag) in ("item", "entry"))
                self.crawler.stats.inc_value("news/feeds/capped")
                logger.warning(
                    "Feed %s has %d items; only the first %d are followed (NEWS_MAX_FEED_ITEMS)",
                    response.url, total, self.max_feed_items,
                )
                break
            link = None
            date_text = None
            for child in entry:
                cname = _local(child.tag)
                if cname == "link":
                    href = child.get("href")
                    rel = child.get("rel", "alternate")
                    if href and rel == "alternate":
                        link = href
                    elif child.text and child.text.strip():
                        link = child.text.strip()
                elif cname == "guid" and not link and child.get("isPermaLink", "true") == "true":
                    link = (child.text or "").strip() or None
                elif cname in ("pubDate", "published", "date", "issued") and child.text:
                    date_text = child.text
                elif cname == "updated" and child.text and not date_text:
                    date_text = child.text
            if not link:
                continue
            link = urljoin(response.url, link)
            outlinks.append(link)
            published = parse_any_date(date_text)
            if self._outside_window(published, None):
                self.crawler.stats.inc_value("news/skipped/out_of_window")
                continue
            if not self._allowed(link):
                continue
            req = self._req(
                link,
                self.parse_page,
                "feed",
                depth=self.link_depth,
                discovered_date=published.isoformat() if published else None,
            )
            if req is not None:
                yield req

    # -- pages --------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        outlinks: list[str] = []
        article = False
        for item in self._parse_page(response, outlinks):
            article = article or isinstance(item, PageItem)
            yield item
        self._archive_metadata(response, outlinks)
        if not article:
            self._journal_done(response)

    def _journal_done(self, response: Response) -> None:
        """Resume journal: this response's work is complete (articles are marked when stored)."""
        from crawler.extensions.resume import get_journal

        journal = get_journal(self.crawler)
        if journal is not None:
            journal.done(response.meta.get("redirect_urls", [response.url])[0])

    def _parse_page(self, response: Response, outlinks: list[str]) -> Iterator[Any]:
        stats = self.crawler.stats
        if response.status == 304:
            stats.inc_value("news/pages/unchanged")
            return
        if not response.body.strip():
            stats.inc_value("news/pages/empty")
            logger.warning("Page %s: HTTP %d with an empty body; nothing to parse", response.url, response.status)
            return
        if "dataloss" in response.flags:
            stats.inc_value("news/pages/truncated")
            logger.warning(
                "Page %s: the server closed the connection before the body was complete (%s, "
                "Content-Length %s); archived as received (WARC-Truncated), not parsed",
                response.url, received_size(response), (response.headers.get(b"Content-Length") or b"?").decode("latin-1"),
            )
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("news/pages/not_html")
            return
        binary = sniff_binary(response.body)
        if binary is not None:
            stats.inc_value("news/pages/binary")
            logger.warning(
                "Page %s: served as %s but the body is %s; archived in WARC only",
                response.url, (response.headers.get(b"Content-Type") or b"no Content-Type").decode("latin-1"), binary,
            )
            return
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        head = response.body[:512].lstrip().lower()
        if "xml" in ctype or head.startswith(b"<?xml") or head.startswith(b"<rss"):
            if b"<rss" in head or b"<feed" in head or b"<rdf" in head:
                yield from self._parse_feed(response, outlinks)
            else:
                yield from self._parse_sitemap(response, outlinks)
            return
        if "html" not in ctype and b"<html" not in head and b"<!doctype html" not in head:
            stats.inc_value("news/pages/not_html")
            return
        try:
            parser = lxml_html.HTMLParser()
            tree = lxml_html.fromstring(response.body, parser=parser)
        except (ValueError, etree.ParserError) as exc:
            stats.inc_value("news/pages/unparsable")
            logger.warning("Page %s: cannot parse HTML (%s); archived in WARC only", response.url, exc)
            return
        if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
            stats.inc_value("news/pages/too_deep")
            logger.warning(
                "Page %s: HTML nested deeper than the parser's limit (%s); archived in WARC only",
                response.url, next(e.message for e in parser.error_log if e.type_name == "ERR_RESOURCE_LIMIT"),
            )
            return
        tail = response.body[-256:].rstrip()
        if tail and not tail.endswith(b">"):
            # Complete HTML ends with a tag; this one stops mid-text (a wrong Content-Length, a cut upstream).
            stats.inc_value("news/pages/unterminated")
            logger.warning(
                "Page %s: the HTML stops mid-document (%d bytes, Content-Length %s): a wrong Content-Length or a "
                "cut upstream; using what arrived", response.url, len(response.body),
                (response.headers.get(b"Content-Length") or b"none").decode("latin-1"),
            )
        depth = response.meta.get("link_depth", 0)
        verdict = classify_page(
            response.body,
            response.url,
            self.profile,
            min_paragraphs=self.min_paragraphs,
            min_chars=self.min_chars,
            tree=tree,
        )
        if verdict.is_article and self._unchanged_article(response):
            stats.inc_value("news/pages/unchanged")
            logger.debug("Unchanged since the last crawl (revisit), JSON kept: %s", response.url)
        elif verdict.is_article:
            stats.inc_value("news/pages/article")
            yield self._page_item(response, verdict.reason)
        else:
            stats.inc_value("news/pages/other")
            logger.debug("Not an article (%s): %s", verdict.reason, response.url)

        # Feeds announced by the page.
        for href in tree.xpath(
            '//link[@rel="alternate"][contains(@type,"rss") or contains(@type,"atom")]/@href'
        ):
            feed = urljoin(response.url, str(href))
            outlinks.append(feed)
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
        outlinks.extend(links)
        if depth >= self.link_depth or (verdict.is_article and not self.follow_article_links):
            return
        for link in links:
            if not self._allowed(link) or classify_url(link, self.profile) == "asset":
                continue
            req = self._req(link, self.parse_page, "link", depth=depth + 1)
            if req is not None:
                yield req

    def _page_item(self, response: TextResponse, reason: str) -> PageItem:
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
        }
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
        )
