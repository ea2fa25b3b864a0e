"""CaptureMetadataMiddleware: the WARC metadata record of every response a spider callback sees.

A spider middleware placed outermost (priority 10, before Scrapy's
HttpErrorMiddleware), so it sees every response that leaves the downloader,
whatever the callback or another middleware makes of it.  Once the
callback's output has been consumed, it writes the capture's ``metadata``
record (referrer, discovery path, depth, and the outlinks the callback listed
in ``response.meta["outlinks"]``: a page's links and feeds, a sitemap's or
feed's entries, robots.txt's sitemaps) through the crawl's
:class:`crawler.recorder.WarcRecorder`.

Exactly one metadata record per capture: :class:`crawler.middlewares.warc.WarcCaptureMiddleware`
writes it for responses that never reach a callback and marks the capture
(``meta["warc_metadata_for"]`` = the response record's id); this middleware
skips captures so marked.  A revisit (identical payload) lists no outlinks:
they are those of the capture it refers to.

Settings read: ``ARCHIVE_WARC_ENABLED``, ``ARCHIVE_WARC_METADATA``.
Stats: ``archive/warc/metadata``, ``archive/warc/records``, ``archive/warc/errors``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.extensions.archive import ArchiveExtension
from crawler.middlewares.warc import capture_fields

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CaptureMetadataMiddleware:
    """Spider middleware writing the metadata record of responses that reach the spider (see module docstring)."""

    def __init__(self, crawler: Crawler, archive: ArchiveExtension) -> None:
        self.crawler = crawler
        self.archive = archive
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMetadataMiddleware:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_WARC_ENABLED") or not settings.getbool("ARCHIVE_WARC_METADATA"):
            raise NotConfigured("ARCHIVE_WARC_ENABLED or ARCHIVE_WARC_METADATA is False")
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("ArchiveExtension is not enabled in EXTENSIONS")
        return cls(crawler, archive)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from result
        finally:
            self.write(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for item in result:
                yield item
        finally:
            self.write(response)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self.write(response)  # the capture keeps its record; the exception goes on to Scrapy's handling
        return None

    def write(self, response: Response) -> None:
        """Write the capture's metadata record unless it has one (or was not archived)."""
        request = response.request
        pointer = response.meta.get("warc") if request is not None else None
        if request is None or not pointer or self.archive.closed:
            return
        record_id = pointer["record_id"]
        if response.meta.get("warc_metadata_for") == record_id:
            return
        response.meta["warc_metadata_for"] = record_id
        revisit = response.meta.get("warc_revisit")
        outlinks = [] if revisit else list(response.meta.get("outlinks") or ())
        embeds = [] if revisit else list(response.meta.get("embeds") or ())
        post_counted_metadata(self.archive, self.stats, response.url, record_id,
                              capture_fields(request, response, outlinks, embeds))


def post_counted_metadata(archive: ArchiveExtension, stats: Any, url: str, record_id: str,
                          fields: list[tuple[str, str]]) -> None:
    """Queue a capture's metadata record without waiting; count it (or the error, logged with the URL) once written."""

    def done(error: BaseException | None) -> None:
        if error is not None:
            stats.inc_value("archive/warc/errors")
            logger.error("Could not write the WARC metadata record of %s: %s", url, error)
            return
        stats.inc_value("archive/warc/metadata")
        stats.inc_value("archive/warc/records")

    archive.recorder.post_metadata(url, record_id, fields, done)
