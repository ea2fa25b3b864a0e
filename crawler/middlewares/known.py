"""KnownArticleMiddleware: incremental re-crawls do not fetch or rewrite articles the archive has.

A spider middleware reading the site's capture index (the dedup state of
:class:`crawler.extensions.archive.ArchiveExtension`, loaded on first use):

* A request the spider makes for a URL found in a sitemap, a feed or a page
  link (``meta["discovery"]`` is ``sitemap``, ``feed`` or ``link``), whose
  last capture has its article JSON in the archive, is dropped when nothing
  says the article changed since that capture: no sitemap/feed date
  (``meta["discovered_date"]``), or one not after the capture date.  It is
  counted under ``news/skipped/known_unchanged`` and taken back out of the
  spider's ``news/requests/*`` count (it is never sent).
  With ``revalidate = true`` in the site profile it is sent as a conditional
  request instead (``If-None-Match``/``If-Modified-Since`` from the capture,
  ``304`` let through to the callback).
* A ``304 Not Modified`` answer to such a request reaches no callback: it is
  counted as ``news/pages/unchanged`` (the WARC middleware writes it as a
  revisit record).
* A page that is a revisit (identical payload) of a capture whose article
  JSON is in the archive yields no article item: it is counted as
  ``news/pages/unchanged`` instead of ``news/pages/article`` and its JSON is
  kept.  Its links are still followed.  This holds with ``NEWS_INCREMENTAL``
  off too (revisits exist whenever ``ARCHIVE_DEDUP_ENABLED`` is on).

Disabled (NotConfigured) when the ArchiveExtension is not enabled: the crawl is
then not incremental.  Requests are skipped only with ``NEWS_INCREMENTAL``
and ``ARCHIVE_DEDUP_ENABLED`` on.

Settings read: ``NEWS_INCREMENTAL`` (and ``ARCHIVE_DEDUP_ENABLED`` through the
archive's site state); the spider's ``profile.revalidate``.
Stats: ``news/skipped/known_unchanged``, ``news/pages/unchanged`` (and
``news/requests/*``, ``news/pages/article`` corrected as said above).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.discovery import parse_any_date
from crawler.extensions.archive import ArchiveExtension
from crawler.items import PageItem

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

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
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
        """The request, made conditional, or None when a known unchanged article is skipped."""
        discovery = request.meta.get("discovery")
        if not self.incremental or discovery not in _SKIPPABLE:
            return request
        known = self.archive.state.dedup.captures.get(request.url)
        if known is None or not known.article_key:
            return request
        if getattr(getattr(self.crawler.spider, "profile", None), "revalidate", False):
            # Ask the server: a 304 becomes a revisit record (profile server-not-modified).
            if known.etag:
                request.headers["If-None-Match"] = known.etag
            if known.last_modified:
                request.headers["If-Modified-Since"] = known.last_modified
            request.meta["handle_httpstatus_list"] = [304]
            return request
        hint = parse_any_date(request.meta.get("discovered_date"))
        captured = parse_any_date(known.date)
        if hint is None or captured is None or hint <= captured:
            # Known article, no sign of change since its capture: not fetched again.
            self.stats.inc_value("news/skipped/known_unchanged")
            self.stats.inc_value(f"news/requests/{discovery}", -1)
            return None
        return request

    def unchanged_article(self, response: Response) -> bool:
        """A revisit of a page whose article JSON is already in the archive: nothing to rewrite."""
        key = response.meta.get("warc_revisit_article")
        return bool(response.meta.get("warc_revisit") and key and self.archive.storage.exists(key))
