"""FetchFailureMiddleware: every fetch that finally fails is counted by its cause and logged once.

Installed at 50, after Scrapy's RetryMiddleware (550) on the way back, so it
sees only what retries could not fix.  Each failure gets one WARNING line
naming the URL, the cause, the attempts made and the setting that bounds it,
and a stat ``fetch/failed/<cause>``; the crawl goes on.  What was received is
in the WARC already (WarcCaptureMiddleware writes every attempt: a response
record, or a metadata record saying why there was none).

Causes: ``timeout`` (no complete answer within ``DOWNLOAD_TIMEOUT``, nothing
received), ``slow_body`` (headers arrived but the body did not finish within
``DOWNLOAD_TIMEOUT`` — a drip), ``too_large`` (body over ``DOWNLOAD_MAXSIZE``),
``truncated`` (connection closed early when ``DOWNLOAD_FAIL_ON_DATALOSS`` is
on), ``connection`` (refused, reset, DNS), ``scheme`` (unsupported URL
scheme), ``other``; and for responses given up on after retries,
``http_429`` and ``http_5xx``.

Settings read: ``DOWNLOAD_TIMEOUT``, ``DOWNLOAD_MAXSIZE``.
Stats: ``fetch/failed/timeout``, ``fetch/failed/slow_body``,
``fetch/failed/too_large``, ``fetch/failed/truncated``,
``fetch/failed/connection``, ``fetch/failed/scheme``, ``fetch/failed/other``,
``fetch/failed/http_429``, ``fetch/failed/http_5xx``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.http import Request, Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class FetchFailureMiddleware:
    """Downloader middleware counting and logging final fetch failures (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchFailureMiddleware:
        return cls(crawler)

    def classify(self, request: Request, exc: Exception) -> tuple[str, str]:
        """(cause, explanation) of a download exception."""
        timeout = request.meta.get("download_timeout", self.timeout)
        if isinstance(exc, DownloadTimeoutError) or type(exc).__name__ in ("TimeoutError", "TCPTimedOutError"):
            if request.meta.get("fetch_headers") is not None:
                got = request.meta.get("fetch_bytes", 0)
                return "slow_body", f"headers arrived but the body did not finish within DOWNLOAD_TIMEOUT={timeout:g}s ({got} bytes received)"
            return "timeout", f"no answer within DOWNLOAD_TIMEOUT={timeout:g}s"
        if isinstance(exc, DownloadCancelledError):
            maxsize = request.meta.get("download_maxsize", self.maxsize)
            return "too_large", f"body larger than DOWNLOAD_MAXSIZE={maxsize} bytes ({exc})"
        if isinstance(exc, ResponseDataLossError):
            return "truncated", "the server closed the connection before the body was complete"
        if isinstance(exc, (DownloadConnectionRefusedError, CannotResolveHostError, DownloadFailedError, ConnectionError)):
            return "connection", f"{type(exc).__name__}: {exc}"
        if isinstance(exc, UnsupportedURLSchemeError):
            return "scheme", str(exc)
        return "other", f"{type(exc).__name__}: {exc}"

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return None  # a decision (robots.txt, offsite, refused redirect), logged where it was taken
        cause, why = self.classify(request, exception)
        self.stats.inc_value(f"fetch/failed/{cause}")
        attempts = request.meta.get("retry_times", 0) + 1
        logger.warning(
            "Could not fetch %s: %s (%d attempt%s); the WARC has a metadata record per attempt",
            request.url, why, attempts, "" if attempts == 1 else "s",
        )
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 429 or 500 <= response.status < 600:
            # RetryMiddleware has given up (it logged it); count it by kind.
            self.stats.inc_value("fetch/failed/http_429" if response.status == 429 else "fetch/failed/http_5xx")
        return response
