"""WarcCaptureMiddleware: every HTTP exchange into WARC, as the server sent it.

Installed closest to the downloader (priority 950, above Scrapy's
HttpCompressionMiddleware, RedirectMiddleware and RetryMiddleware), so it sees
each request as it is sent and each response as it was received: compressed
bodies with their Content-Encoding, 3xx responses before they are followed,
4xx/5xx responses before they are retried, robots.txt, sitemaps and feeds.

The pointer to the response record (file, record id, offset, length) is put
in ``request.meta["warc"]`` for the item pipelines.

Settings read: ``ARCHIVE_WARC_ENABLED`` (plus the session's ``ARCHIVE_*``).
Stats: ``archive/warc/records``, ``archive/warc/exchanges``,
``archive/warc/errors``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.warcwriter import HttpExchange
from crawler.session import ArchiveSession

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http.headers import Headers

logger = logging.getLogger(__name__)


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Flatten Scrapy headers into (name, value) pairs, keeping repeated headers."""
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


class WarcCaptureMiddleware:
    """Downloader middleware writing request and response records (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        if not crawler.settings.getbool("ARCHIVE_WARC_ENABLED"):
            raise NotConfigured("ARCHIVE_WARC_ENABLED is False")
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("warc_request_time", datetime.now(UTC))
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        session = ArchiveSession.from_crawler(self.crawler)
        if session.closed or "cached" in response.flags:
            # A response from Scrapy's HTTP cache was not exchanged with the server now.
            return response
        exchange = HttpExchange(
            url=request.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body or b"",
            status=response.status,
            response_headers=header_pairs(response.headers),
            body=response.body,
            protocol=response.protocol or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
            date=request.meta.pop("warc_request_time", None) or datetime.now(UTC),
        )
        request.meta["warc_fetched_at"] = exchange.date
        try:
            pointer = session.warc.write_exchange(exchange)
        except OSError as exc:
            # Not fatal for the crawl, but loud: the exchange is not archived.
            self.stats.inc_value("archive/warc/errors")
            logger.error("Could not write WARC records for %s: %s", request.url, exc)
            return response
        request.meta["warc"] = pointer.as_dict()
        self.stats.inc_value("archive/warc/exchanges")
        self.stats.inc_value("archive/warc/records", 2)
        return response
