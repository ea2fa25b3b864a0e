"""FaultRetryMiddleware: the retries Scrapy's RetryMiddleware does not do right for archiving.

* **Retry-After.** A 429 or 503 answer with ``Retry-After`` (seconds or an
  HTTP date) is retried after the time the server asked for, not at once.
  Waits longer than ``NEWS_RETRY_AFTER_MAX`` seconds are not made: the
  response is given up on (``dont_retry``) and logged.
* **Truncated bodies.** A body the server cut short (the connection closed
  before ``Content-Length`` bytes; kept because ``DOWNLOAD_FAIL_ON_DATALOSS``
  is False so that the WARC holds what was received) is fetched again while
  retries are left; the last attempt reaches the spider flagged ``dataloss``.

Every attempt is archived by WarcCaptureMiddleware.  Retries share Scrapy's
``RETRY_TIMES`` budget (``get_retry_request``), so ``retry/*`` stats count
them too.  Installed at 560, just before RetryMiddleware (550) sees responses.

Settings read: ``RETRY_ENABLED``, ``RETRY_TIMES``, ``NEWS_RETRY_AFTER_MAX``.
Stats: ``fetch/retry_after``, ``fetch/retry_after/too_long``,
``fetch/truncated/retried``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def received_size(response: Response) -> str:
    """``"N bytes received"``, and the decoded size when the body was compressed (gzip, br ...)."""
    received = response.meta.get("received_bytes", len(response.body)) if response.request is not None else len(response.body)
    if received != len(response.body):
        return f"{received} bytes received, {len(response.body)} once decompressed"
    return f"{received} bytes received"


class FaultRetryMiddleware:
    """Downloader middleware: Retry-After and truncated-body retries (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_wait = crawler.settings.getfloat("NEWS_RETRY_AFTER_MAX")
        self.max_retries = crawler.settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FaultRetryMiddleware:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is False")
        return cls(crawler)

    def _retries_left(self, request: Request) -> bool:
        limit = request.meta.get("max_retry_times", self.max_retries)
        return not request.meta.get("dont_retry") and request.meta.get("retry_times", 0) < limit

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        spider = self.crawler.spider
        assert spider is not None
        if "dataloss" in response.flags and self._retries_left(request):
            self.stats.inc_value("fetch/truncated/retried")
            logger.warning(
                "Body of %s cut short by the server (%s); archived as received, fetching again",
                request.url, received_size(response),
            )
            return get_retry_request(request, spider=spider, reason="truncated body") or response
        if response.status not in (429, 503):
            return response
        raw = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(raw.decode("latin-1") if raw else None)
        if wait is None or not self._retries_left(request):
            return response
        if wait > self.max_wait:
            self.stats.inc_value("fetch/retry_after/too_long")
            request.meta["dont_retry"] = True
            logger.warning(
                "HTTP %d for %s asks to retry after %.0f s, more than NEWS_RETRY_AFTER_MAX=%.0f s: given up",
                response.status, request.url, wait, self.max_wait,
            )
            return response
        self.stats.inc_value("fetch/retry_after")
        logger.info("HTTP %d for %s: waiting %.1f s as Retry-After asks, then retrying", response.status, request.url, wait)
        await asyncio.sleep(wait)
        retry = get_retry_request(request, spider=spider, reason=f"{response.status} Retry-After")
        return retry or response
