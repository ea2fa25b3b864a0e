"""BoundedHttpCompressionMiddleware: Scrapy's HttpCompressionMiddleware, with decompression bombs counted.

Scrapy already stops inflating a gzip/deflate/brotli/zstd body once it
passes ``DOWNLOAD_MAXSIZE`` and drops the response; this subclass counts it
and logs the URL, the encoding and the sizes, and says that the compressed
body is in the WARC (WarcCaptureMiddleware archives responses as received,
before decompression).

How a bomb is recognised: in Scrapy 2.19, ``HttpCompressionMiddleware.process_response``
raises ``IgnoreRequest`` in one place only, when decoding passes the size
limit (its private ``_DecompressionMaxSizeExceeded`` is the exception's
``__cause__``, carrying ``decompressed_size`` and ``max_size``).  So an
``IgnoreRequest`` from it *is* a bomb; a corrupt body raises something else
(``OSError`` from gzip, ...), an unknown encoding is passed through.
``tests/test_scrapy_mechanisms.py`` pins both facts, so a Scrapy upgrade that
adds another ``IgnoreRequest`` fails there first (``make test-scrapy-latest``).

Scrapy logs its own WARNING for the bomb before raising; this line says
more (encoding, the WARC), so Scrapy's record, held back while the parent
method runs, is dropped when the parent raises ``IgnoreRequest`` (and let
through otherwise: its size warnings stay).  One line per bomb.

Settings read: those of HttpCompressionMiddleware (``COMPRESSION_ENABLED``,
``DOWNLOAD_MAXSIZE``, ``DOWNLOAD_WARNSIZE``).
Stats: ``fetch/failed/decompression_bomb``.
Sets ``request.meta["received_bytes"]``: the body's length as received, before decoding.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares import httpcompression
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class _HoldRecords(logging.Filter):
    """Keeps back the records of a logger while installed (they are re-emitted or dropped after)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return False


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware counting bodies that inflate past DOWNLOAD_MAXSIZE."""

    def process_response(self, request: Request, response: Response, spider: object = None) -> Request | Response:
        # What came over the wire, for messages about truncated bodies written after decoding.
        request.meta["received_bytes"] = len(response.body)
        scrapy_logger = logging.getLogger(httpcompression.__name__)
        held = _HoldRecords()
        scrapy_logger.addFilter(held)
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:  # only raised past DOWNLOAD_MAXSIZE (module docstring)
            held.records.clear()  # Scrapy's own line about it: ours below says more
            self._bomb(request, response, exc)
            raise
        finally:
            scrapy_logger.removeFilter(held)
            for record in held.records:
                scrapy_logger.handle(record)

    def _bomb(self, request: Request, response: Response, exc: IgnoreRequest) -> None:
        if self.stats is not None:
            self.stats.inc_value("fetch/failed/decompression_bomb")
        encoding = (response.headers.get(b"Content-Encoding") or b"?").decode("latin-1")
        # The sizes Scrapy's own message gave, read off its exception if it still carries them.
        limit = getattr(exc.__cause__, "max_size", None)
        inflated = getattr(exc.__cause__, "decompressed_size", None)
        logger.warning(
            "Response %s (Content-Encoding %s, %d bytes compressed) inflates past DOWNLOAD_MAXSIZE%s%s: "
            "not parsed; the compressed body is in the WARC",
            request.url, encoding, len(response.body),
            f"={limit}" if limit is not None else "",
            f" ({inflated} bytes when stopped)" if inflated is not None else "",
        )
