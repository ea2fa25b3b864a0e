"""ChallengePageMiddleware: bot-check and challenge pages are counted, listed and never become articles.

A spider middleware placed before Scrapy's HttpErrorMiddleware (priority 30 < 50), so it sees
every response that leaves the downloader, the 403, 429 and 503 answers bot protections
give included.  Each response is checked with :func:`crawler.challenge.detect_challenge`; a
challenge page (a Cloudflare "Just a moment...", a DataDome or PerimeterX captcha, an Akamai
or Sucuri block page, ...):

* stays in the WARC (the downloader's WARC middleware recorded it: it is what the server sent);
* never reaches the spider's callback, so it is never turned into an article and its links
  are not followed (its output is dropped without being iterated, as BodyTriageMiddleware does);
* is counted ``news/pages/challenge`` and ``news/pages/challenge/{kind}``;
* is logged at WARNING once per host (the URL and the kind; later ones are only counted);
* is announced with the :data:`crawler.signals.challenge_page` signal, so the archive
  extension lists it in the crawl manifest (``challenge_pages``) and the alerts extension
  raises the ``challenge-pages`` alert (docs/alerts.md).

Settings read: none (it is enabled in ``SPIDER_MIDDLEWARES``).
Stats: ``news/pages/challenge``, ``news/pages/challenge/{kind}``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler import signals as news_signals
from crawler.challenge import detect_challenge

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ChallengePageMiddleware:
    """Spider middleware keeping bot-check pages from the spider (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.hosts_logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengePageMiddleware:
        return cls(crawler)

    def process_spider_input(self, response: Response) -> None:
        kind = detect_challenge(response.status, response.headers, response.body)
        if kind is None:
            return
        response.meta["challenge"] = kind
        self.stats.inc_value("news/pages/challenge")
        self.stats.inc_value(f"news/pages/challenge/{kind}")
        host = urlsplit(response.url).netloc
        if host not in self.hosts_logged:
            self.hosts_logged.add(host)
            logger.warning(
                "Bot-check page (%s challenge, HTTP %d) at %s: archived in WARC, not an article; "
                "further ones from %s are only counted (news/pages/challenge)",
                kind, response.status, response.url, host,
            )
        self.crawler.signals.send_catch_log(
            news_signals.challenge_page, url=response.url, kind=kind, status=response.status
        )

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        # ``result`` is the callback's output, not started yet: not iterating it skips the callback.
        if response.meta.get("challenge"):
            return
        async for out in result:
            yield out
