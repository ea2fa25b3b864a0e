"""BoundedHttpCompressionMiddleware: Scrapy's HttpCompressionMiddleware, with decompression bombs counted.

Scrapy already stops inflating a gzip/deflate/brotli/zstd body once it
passes ``DOWNLOAD_MAXSIZE`` and drops the response; this subclass counts it
and logs the URL, the encoding and the sizes, and says that the compressed
body is in the WARC (WarcCaptureMiddleware archives responses as received,
before decompression).

Settings read: those of HttpCompressionMiddleware (``COMPRESSION_ENABLED``,
``DOWNLOAD_MAXSIZE``, ``DOWNLOAD_WARNSIZE``).
Stats: ``fetch/failed/decompression_bomb``.
Sets ``request.meta["received_bytes"]``: the body's length as received, before decoding.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware counting bodies that inflate past DOWNLOAD_MAXSIZE."""

    def process_response(self, request: Request, response: Response, spider: object = None) -> Request | Response:
        # What came over the wire, for messages about truncated bodies written after decoding.
        request.meta["received_bytes"] = len(response.body)
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if "decompress" in str(exc):
                if self.stats is not None:
                    self.stats.inc_value("fetch/failed/decompression_bomb")
                encoding = (response.headers.get(b"Content-Encoding") or b"?").decode("latin-1")
                logger.warning(
                    "Response %s (Content-Encoding %s, %d bytes compressed) inflates past DOWNLOAD_MAXSIZE: "
                    "not parsed; the compressed body is in the WARC", request.url, encoding, len(response.body),
                )
            raise
