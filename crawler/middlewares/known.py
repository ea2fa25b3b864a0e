"""KnownArticleMiddleware: re-crawls fetch known articles again only when they may have changed.

A spider middleware reading the site state (:class:`crawler.sitestate.SiteState` of
:class:`crawler.extensions.archive.ArchiveExtension`):

* A request for a URL found in a sitemap, a feed or a page link (``meta["discovery"]`` is
  ``sitemap``, ``feed`` or ``link``) whose last capture has its article JSON in the archive
  is sent when a sitemap/feed date (``meta["discovered_date"]``) is after that capture, or
  when the **refresh policy** (:mod:`crawler.refresh`, ``-a refresh=due|all|none``,
  ``ARCHIVE_REFRESH_*``) says the article is due: recent articles at every crawl, older
  ones at growing intervals, every one with ``refresh=all``.  Otherwise it is dropped,
  counted under ``news/skipped/known_unchanged`` and taken back out of the spider's
  ``news/requests/*`` count (it is never sent).
* Such a re-fetch is a conditional request when the capture has an ETag or Last-Modified
  (``If-None-Match``/``If-Modified-Since``, ``304`` let through to this middleware); with
  ``revalidate = true`` in the site profile every known article is asked for that way.
* Due articles the crawl does not discover, and with ``refresh=all`` every known article,
  are added after the spider's start requests, from the site state (discovery ``refresh``).
* A ``304 Not Modified`` answer reaches no callback: it is counted as
  ``news/pages/unchanged`` (the WARC middleware writes it as a revisit record).
* A page that is a revisit (identical payload) of a capture whose article JSON is in the
  archive yields no article item: it is counted as ``news/pages/unchanged`` instead of
  ``news/pages/article`` and its JSON is kept.  Its links are still followed.  This holds
  with ``NEWS_INCREMENTAL`` off too (revisits exist whenever ``ARCHIVE_DEDUP_ENABLED`` is on).
* Every answer to a re-fetch of a known article records in the state when it was checked
  and when it is due next.

Disabled (NotConfigured) when the ArchiveExtension is not enabled: the crawl is then not
incremental.  Requests are skipped only with ``NEWS_INCREMENTAL`` and ``ARCHIVE_DEDUP_ENABLED`` on.

Settings read: ``NEWS_INCREMENTAL`` (and ``ARCHIVE_DEDUP_ENABLED`` through the archive's site
state), ``ARCHIVE_REFRESH``, ``ARCHIVE_REFRESH_RECENT_DAYS``, ``ARCHIVE_REFRESH_FACTOR``,
``ARCHIVE_REFRESH_MAX_INTERVAL_DAYS``, ``ARCHIVE_REFRESH_MAX_PER_CRAWL``; the spider's
``refresh_policy`` (``-a refresh``) and ``profile.revalidate``.
Stats: ``news/skipped/known_unchanged``, ``news/pages/unchanged``, ``news/refresh/due``,
``news/refresh/all``, ``news/refresh/deferred`` (and ``news/requests/*``,
``news/pages/article`` corrected as said above).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.dedup import Capture
from archive.statestore import ArticleState
from crawler.discovery import parse_any_date
from crawler.extensions.archive import ArchiveExtension
from crawler.items import PageItem
from crawler.refresh import RefreshPolicy, iso

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_SKIPPABLE = ("sitemap", "feed", "link")  # discoveries of article URLs (not seeds, indexes or robots.txt)


class KnownArticleMiddleware:
    """Spider middleware: skip or revalidate known articles, keep their JSON (see module docstring)."""

    def __init__(self, crawler: Crawler, archive: ArchiveExtension, incremental: bool) -> None:
        self.crawler = crawler
        self.archive = archive
        self.incremental = incremental
        self.stats = crawler.stats
        # Known articles re-fetched as due in this crawl: at most ARCHIVE_REFRESH_MAX_PER_CRAWL URLs.
        self.claimed: set[str] = set()
        self.default_policy = RefreshPolicy.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KnownArticleMiddleware:
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("ArchiveExtension is not enabled in EXTENSIONS: no known articles")
        incremental = crawler.settings.getbool("NEWS_INCREMENTAL") and archive.state.dedup_enabled
        return cls(crawler, archive, incremental)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for out in start:
            if isinstance(out, Request):
                out = self.check_request(out)
            if out is not None:
                yield out
        for request in self.refresh_requests():
            checked = self.check_request(request)
            if checked is not None:
                yield checked

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if response.meta.get("known_article"):
            self.checked(response)
        if response.status == 304:
            # The answer to a conditional request: the known article has not changed.
            self.stats.inc_value("news/pages/unchanged")
            return
        async for out in result:
            if isinstance(out, Request):
                out = self.check_request(out)
            elif isinstance(out, PageItem) and self.unchanged_article(response):
                if not out.date_required:  # else not counted yet (the extraction pipeline counts it)
                    self.stats.inc_value("news/pages/article", -1)  # counted by the spider as it classified the page
                self.stats.inc_value("news/pages/unchanged")
                logger.debug("Unchanged since the last crawl (revisit), JSON kept: %s", response.url)
                out = None
            if out is not None:
                yield out

    def check_request(self, request: Request) -> Request | None:
        """The request, made conditional, or None when a known article is not due for a re-fetch."""
        discovery = request.meta.get("discovery")
        if not self.incremental or discovery not in _SKIPPABLE + ("refresh",):
            return request
        store = self.archive.state.dedup
        known = store.captures.get(request.url)
        if known is None or not known.article_key:
            return request
        request.meta["known_article"] = True
        if getattr(getattr(self.crawler.spider, "profile", None), "revalidate", False):
            # Ask the server: a 304 becomes a revisit record (profile server-not-modified).
            return self._conditional(request, known)
        hint = parse_any_date(request.meta.get("discovered_date"))
        captured = parse_any_date(known.date)
        if hint is not None and captured is not None and hint > captured:
            return self._conditional(request, known)  # the sitemap or feed says it changed
        policy = self.policy
        if policy.mode == "all":
            request.meta["refresh"] = "all"  # counted when the answer comes (news/refresh/all)
            return self._conditional(request, known)
        if request.url in self.claimed:
            return self._conditional(request, known)  # already counted; the duplicate filter drops this one
        article = store.get_article(request.url)
        # An article archived before its versions were kept: its age counted from its capture.
        due = article.due if article is not None else policy.next_due(known.date, known.date)
        if discovery == "refresh" or policy.is_due(due):
            if policy.max_per_crawl and len(self.claimed) >= policy.max_per_crawl:
                self.stats.inc_value("news/refresh/deferred")
            else:
                self.claimed.add(request.url)
                self.stats.inc_value("news/refresh/due")
                return self._conditional(request, known)
        # Known article, no sign of change, not due: not fetched again.
        self.stats.inc_value("news/skipped/known_unchanged")
        self.stats.inc_value(f"news/requests/{discovery}", -1)
        return None

    @staticmethod
    def _conditional(request: Request, known: Capture) -> Request:
        """Ask with the capture's validators, when the server gave any: unchanged costs a 304."""
        if known.etag:
            request.headers["If-None-Match"] = known.etag
        if known.last_modified:
            request.headers["If-Modified-Since"] = known.last_modified
        if known.etag or known.last_modified:
            request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", []), 304]
        return request

    def checked(self, response: Response) -> None:
        """A known article was fetched again (whatever the answer): when is it due next."""
        url = response.url
        if response.meta.get("refresh") == "all":
            self.stats.inc_value("news/refresh/all")
        try:
            store = self.archive.state.dedup
            article = store.get_article(url)
            now = iso(datetime.now(UTC))
            if article is None:
                known = store.captures.get(url)
                if known is None or not known.article_key:
                    return
                # Archived before versions were kept: start its article state (age from the capture).
                key = known.article_key
                article = ArticleState(id=key.rsplit("/", 1)[-1].removesuffix(".json"), key=key,
                                       published=known.date, checked=now)
                article.due = self.policy.next_due(article.published, now)
                store.put_article(url, article)
                return
            store.touch_article(url, now, self.policy.next_due(article.published, now))
        except Exception as exc:
            self.stats.inc_value("archive/dedup/errors")
            logger.error("Could not record the re-fetch of %s in the state of site %s: %s", url,
                         self.archive.state.site, exc)

    @property
    def policy(self) -> RefreshPolicy:
        policy = getattr(self.crawler.spider, "refresh_policy", None)
        return policy if isinstance(policy, RefreshPolicy) else self.default_policy

    def refresh_requests(self) -> Iterator[Request]:
        """Known articles the policy re-fetches in this crawl, from the site state (the spider
        discovers many of them again; the duplicate filter drops the second request)."""
        policy = self.policy
        make = getattr(self.crawler.spider, "refresh_request", None)
        if not self.incremental or policy.mode == "none" or make is None:
            return
        store = self.archive.state.dedup
        if policy.mode == "all":
            urls: Iterator[str] = (url for url, capture in store.items() if capture.article_key)
        else:
            urls = store.articles_due(iso(datetime.now(UTC)), policy.max_per_crawl or None)
        for url in urls:
            request = make(url)
            if request is not None:
                yield request

    def unchanged_article(self, response: Response) -> bool:
        """A revisit of a page whose article JSON is already in the archive: nothing to rewrite."""
        key = response.meta.get("warc_revisit_article")
        return bool(response.meta.get("warc_revisit") and key and self.archive.storage.exists(key))
