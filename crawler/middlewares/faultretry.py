"""FaultRetryMiddleware: the retries Scrapy's RetryMiddleware does not do right for archiving.

* **Retry-After.** A 429 or 503 answer with ``Retry-After`` (seconds or an
  HTTP date) holds the host's download slot: Scrapy's downloader sends
  nothing more to that host (this URL's retry included) until the time the
  server asked for has passed, plus the slot's usual delay, while other hosts
  go on being fetched.  The retry request is returned at once; nothing sleeps
  in the middleware.  Waits longer than ``NEWS_RETRY_AFTER_MAX`` seconds are
  not made: the response is given up on (``dont_retry``) and
  FetchFailureMiddleware logs it with the reason.
* **Truncated bodies.** A body the server cut short (the connection closed
  before ``Content-Length`` bytes; kept because ``DOWNLOAD_FAIL_ON_DATALOSS``
  is False so that the WARC holds what was received) is fetched again while
  retries are left; the last attempt reaches the spider flagged ``dataloss``
  (the spider logs it then, so the retries themselves are logged at INFO).

How the slot is held: Scrapy's downloader (``scrapy.core.downloader``)
starts a slot's next request once ``slot.lastseen + slot.download_delay()``
has passed.  The middleware finds the slot through the downloader's public
``get_slot_key(request)`` and ``slots`` and moves ``lastseen`` to the end of
the wait.  The downloader skips that check for a slot whose delay is 0
(``DOWNLOAD_DELAY=0`` without AutoThrottle), so such a slot is given a 1 ms
delay (``HOLD_MIN_DELAY``).  A slot Scrapy creates afresh (it drops slots
idle for a minute) gets the hold when a request reaches it (signal
``request_reached_downloader``).

Every attempt is archived by WarcCaptureMiddleware.  Retries share Scrapy's
``RETRY_TIMES`` budget (``get_retry_request``), so ``retry/*`` stats count
them too.  Installed at 560, just before RetryMiddleware (550) sees responses.

Settings read: ``RETRY_ENABLED``, ``RETRY_TIMES``, ``NEWS_RETRY_AFTER_MAX``.
Stats: ``fetch/retry_after``, ``fetch/retry_after/too_long``,
``fetch/truncated/retried``.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

if TYPE_CHECKING:
    from scrapy.core.downloader import Downloader, Slot
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

HOLD_MIN_DELAY = 0.001
"""Delay given to a held slot that has none: Scrapy's downloader ignores ``lastseen`` when the delay is 0."""


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
        self.holds: dict[str, float] = {}  # slot key -> time.monotonic() until which it waits
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FaultRetryMiddleware:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is False")
        return cls(crawler)

    def _retries_left(self, request: Request) -> bool:
        limit = request.meta.get("max_retry_times", self.max_retries)
        return not request.meta.get("dont_retry") and request.meta.get("retry_times", 0) < limit

    @property
    def _downloader(self) -> Downloader:
        return self.crawler.engine.downloader

    def hold_slot(self, request: Request, seconds: float) -> str:
        """Make the download slot of ``request`` send nothing for ``seconds``; its key."""
        downloader = self._downloader
        key = downloader.get_slot_key(request)
        until = time.monotonic() + seconds
        self.holds[key] = max(until, self.holds.get(key, 0.0))
        slot = downloader.slots.get(key)
        if slot is not None:
            self._apply_hold(slot, self.holds[key])
        return key

    @staticmethod
    def _apply_hold(slot: Slot, until: float) -> None:
        if slot.delay <= 0:
            slot.delay = HOLD_MIN_DELAY
        slot.lastseen = max(slot.lastseen, until)

    def request_reached_downloader(self, request: Request) -> None:
        """A request entered its slot's queue: a slot made anew still waits out its host's hold."""
        if not self.holds:
            return
        now = time.monotonic()
        for key in [k for k, until in self.holds.items() if until <= now]:
            del self.holds[key]
        downloader = self._downloader
        key = downloader.get_slot_key(request)
        until = self.holds.get(key)
        slot = downloader.slots.get(key)
        if until is not None and slot is not None:
            self._apply_hold(slot, until)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        spider = self.crawler.spider
        assert spider is not None
        if "dataloss" in response.flags and self._retries_left(request):
            self.stats.inc_value("fetch/truncated/retried")
            logger.info(
                "Body of %s cut short by the server (%s); archived as received, fetching again",
                request.url, received_size(response),
            )
            return get_retry_request(request, spider=spider, reason="truncated body") or response
        if response.status not in (429, 503):
            return response
        raw = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(raw.decode("latin-1") if raw else None)
        if wait is None:
            return response
        if wait > self.max_wait:
            if self._retries_left(request):
                self.stats.inc_value("fetch/retry_after/too_long")
                request.meta["dont_retry"] = True
                # FetchFailureMiddleware logs the give-up with this reason (one line per failed fetch).
                request.meta["fetch_failure_reason"] = (
                    f"Retry-After asks for {wait:.0f} s, more than NEWS_RETRY_AFTER_MAX={self.max_wait:.0f} s"
                )
            return response
        # The server speaks for the host: hold its slot even when this URL has no retries left.
        key = self.hold_slot(request, wait) if wait > 0 else None
        if not self._retries_left(request):
            return response
        self.stats.inc_value("fetch/retry_after")
        logger.info(
            "HTTP %d for %s with Retry-After %.1f s: retried after it%s",
            response.status, request.url, wait, f" (download slot {key} waits)" if key is not None else "",
        )
        retry = get_retry_request(request, spider=spider, reason=f"{response.status} Retry-After")
        return retry or response
