"""ItemErrorExtension: an exception in an item pipeline costs that item only, and is counted.

Scrapy already contains an exception raised by a pipeline's ``process_item``:
the item is abandoned and the crawl goes on with the others.  This extension
counts it (``pipeline/errors`` and ``pipeline/errors/<ExceptionName>``) and
logs one line naming the page and the pipeline's error, with the way back:
the page is in the WARC, so ``scrapy extract`` can redo it.  WARC records are
written before any pipeline runs, so a pipeline error cannot corrupt them.

Settings read: none.
Stats: ``pipeline/errors``, ``pipeline/errors/<ExceptionName>``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


class ItemErrorExtension:
    """Counts and explains item pipeline errors (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ItemErrorExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        exc = failure.value
        self.stats.inc_value("pipeline/errors")
        self.stats.inc_value(f"pipeline/errors/{type(exc).__name__}")
        url = getattr(item, "url", None) or getattr(response, "url", "?")
        logger.error(
            "Item pipeline error on %s: %s: %s; this item is lost, the crawl goes on (the page is in the WARC: "
            "scrapy extract can redo it)", url, type(exc).__name__, exc,
        )
