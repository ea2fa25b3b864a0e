"""FetchFailureMiddleware: every fetch that finally fails is counted by its cause and logged once.

Installed at 50, after Scrapy's RetryMiddleware (550) on the way back, so it
sees only what retries could not fix.  Each failure gets one WARNING line
naming the URL, the cause, the attempts made and the setting that bounds it,
and a stat ``fetch/failed/<cause>``; the crawl goes on.  A fetch that a
component makes for itself (robots.txt: Scrapy's ``NO_CALLBACK`` requests) is
logged at INFO, since that component logs what the failure means
(ArchiveRobotsTxtMiddleware: the site is disallowed).  What was received is
in the WARC already (WarcCaptureMiddleware writes every attempt: a response
record, or a metadata record saying why there was none).

Causes: ``timeout`` (no complete answer within ``DOWNLOAD_TIMEOUT``, nothing
received), ``slow_body`` (headers arrived but the body did not finish within
``DOWNLOAD_TIMEOUT`` — a drip), ``too_large`` (body over ``DOWNLOAD_MAXSIZE``),
``truncated`` (connection closed early when ``DOWNLOAD_FAIL_ON_DATALOSS`` is
on), ``connection`` (refused, reset, DNS), ``scheme`` (unsupported URL
scheme), ``other``; and for responses given up on after retries,
``http_429`` and ``http_5xx``.

**One line, no traceback.**  A download exception that no middleware
handles reaches Scrapy's scraper, which logs ``Error downloading <GET ...>``
at ERROR with the exception's traceback (``scrapy.core.scraper``; for
robots.txt, ``RobotsTxtMiddleware`` does the same), and an operator reads
that as a crash.  The exception objects this middleware has reported are
marked, and :class:`ReportedFailureFilter`, added to those two Scrapy
loggers for the crawl, drops the records whose ``exc_info`` carries a marked
exception.  Nothing else is filtered: an exception raised by a bug (in a
callback, a pipeline, a middleware) is never marked and keeps its
traceback.  Why not a ``LOG_FORMATTER``: in Scrapy 2.19 the scraper passes
the failure's ``exc_info`` to ``logger.log`` itself, whatever
``LogFormatter.download_error`` returns, and does not accept ``None`` from it
(``logformatter_adapter(None)`` raises); and the robots.txt error does not go
through the log formatter at all.  Scrapy's "Gave up retrying" line is
lowered to DEBUG by ``RETRY_GIVE_UP_LOG_LEVEL`` in the project settings, so
the line logged here is the only WARNING of a failed fetch.

Settings read: ``DOWNLOAD_TIMEOUT``, ``DOWNLOAD_MAXSIZE``.
Stats: ``fetch/failed/timeout``, ``fetch/failed/slow_body``,
``fetch/failed/too_large``, ``fetch/failed/truncated``,
``fetch/failed/connection``, ``fetch/failed/scheme``, ``fetch/failed/other``,
``fetch/failed/http_429``, ``fetch/failed/http_5xx``.
Reads ``request.meta["fetch_failure_reason"]``: why a middleware gave a
response up (FaultRetryMiddleware: a Retry-After beyond ``NEWS_RETRY_AFTER_MAX``).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING

from scrapy import signals
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
from scrapy.http.request import NO_CALLBACK

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

REPORTED = "_news_fetch_failure"
"""Attribute set on an exception once FetchFailureMiddleware has logged it (its value: the cause)."""

SCRAPY_FAILURE_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt")
"""Scrapy loggers that log a failed download again, with its traceback, after the middlewares."""


def is_reported(exc: BaseException | None) -> bool:
    """Whether FetchFailureMiddleware has already logged this download exception."""
    return exc is not None and getattr(exc, REPORTED, None) is not None


def status_text(status: int) -> str:
    """``"503 Service Unavailable"``; the bare number for a status with no standard phrase."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class ReportedFailureFilter(logging.Filter):
    """Drops log records about a download exception that FetchFailureMiddleware has already logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and is_reported(record.exc_info[1]))


class FetchFailureMiddleware:
    """Downloader middleware counting and logging final fetch failures (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.log_filter = ReportedFailureFilter()
        for name in SCRAPY_FAILURE_LOGGERS:
            logging.getLogger(name).addFilter(self.log_filter)
        crawler.signals.connect(self.remove_log_filter, signal=signals.engine_stopped)

    def remove_log_filter(self) -> None:
        for name in SCRAPY_FAILURE_LOGGERS:
            logging.getLogger(name).removeFilter(self.log_filter)

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
        logger.log(
            self._level(request),
            "Could not fetch %s: %s (%s); the WARC has a metadata record per attempt",
            request.url, why, self._attempts(request),
        )
        try:
            setattr(exception, REPORTED, cause)  # Scrapy's own "Error downloading" record is dropped
        except (AttributeError, TypeError):  # an exception type without __dict__: Scrapy logs it too
            pass
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 429 or 500 <= response.status < 600:
            # Retries are over (RetryMiddleware logs giving up at RETRY_GIVE_UP_LOG_LEVEL, DEBUG here).
            self.stats.inc_value("fetch/failed/http_429" if response.status == 429 else "fetch/failed/http_5xx")
            why = request.meta.get("fetch_failure_reason")
            logger.log(
                self._level(request),
                "Could not fetch %s: HTTP %s%s (%s); every answer is in the WARC",
                request.url, status_text(response.status), f", {why}" if why else "",
                self._attempts(request),
            )
        return response

    @staticmethod
    def _level(request: Request) -> int:
        """WARNING; INFO for a component's own fetch (robots.txt), whose outcome that component logs."""
        return logging.INFO if request.callback is NO_CALLBACK else logging.WARNING

    @staticmethod
    def _attempts(request: Request) -> str:
        attempts = request.meta.get("retry_times", 0) + 1
        return f"{attempts} attempt{'' if attempts == 1 else 's'}"
