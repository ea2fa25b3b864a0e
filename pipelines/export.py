"""JsonExportPipeline: one JSON file per article in the archive store.

Key: ``articles/{site}/{yyyy}/{mm}/{dd}/{id}.json`` — the publication date
(as the page gives it, in its own offset), else the fetch date.  Writes are
atomic (the storage backend writes a temporary object and renames it).  The
record is validated against the JSON Schema before it is written; a record
that does not validate is a bug, logged and counted, never written half.

Once stored, the article is announced with the :data:`crawler.signals.article_stored`
signal (the archive extension records it for the WACZ page list and the site
state; the repetition pipeline for re-cleaning).  Writes go through the archive
I/O thread and store of :class:`crawler.extensions.archive.ArchiveExtension`.

Settings read: ``ARCHIVE_JSON_ENABLED``.
Reads the spider argument ``max_articles``: after that many records the
spider is closed (reason ``max_articles``) and later items are dropped.
Stats: ``export/articles``, ``export/bytes``, ``export/dropped/invalid``,
``export/dropped/max_articles``, ``export/errors``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from archive.keys import article_key
from archive.storage import Storage, StorageError
from crawler import signals as archive_signals
from crawler.extensions.archive import ArchiveExtension
from crawler.extensions.resume import get_journal
from crawler.items import ArticleItem
from crawler.schema import SchemaError, validate_article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def record_day(record: dict[str, Any]) -> datetime:
    for field in ("published", "fetched_at"):
        value = record.get(field)
        if value:
            try:
                return datetime.fromisoformat(value[:10])
            except ValueError:
                continue
    raise ValueError("record has neither a valid published nor fetched_at date")


def dumps_record(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _timed_put(storage: Storage, key: str, data: bytes) -> int:
    """Store one JSON record (on the archive I/O thread); return the CPU milliseconds spent."""
    started = time.thread_time()
    storage.put_bytes(key, data, "application/json; charset=utf-8")
    return int(1000 * (time.thread_time() - started))


class JsonExportPipeline:
    def __init__(self, crawler: Crawler, archive: ArchiveExtension, max_articles: int | None) -> None:
        self.crawler = crawler
        self.archive = archive
        self.stats = crawler.stats
        self.max_articles = max_articles
        self.written = 0
        self.in_flight = 0  # records being written on the I/O thread (they count against max_articles)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonExportPipeline:
        if not crawler.settings.getbool("ARCHIVE_JSON_ENABLED"):
            raise NotConfigured("ARCHIVE_JSON_ENABLED is False")
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("ArchiveExtension is not enabled in EXTENSIONS: no store to write article JSON into")
        return cls(crawler, archive, getattr(crawler.spider, "max_articles", None))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if self.max_articles is not None and self.written + self.in_flight >= self.max_articles:
            self.stats.inc_value("export/dropped/max_articles")
            raise DropItem(f"{item.url}: max_articles={self.max_articles} reached", log_level="INFO")
        journal = get_journal(self.crawler)
        if journal is not None and journal.has_article(item.request_url or item.url):
            self.stats.inc_value("export/dropped/duplicate")
            raise DropItem(f"{item.url}: already stored by this (resumed) crawl", log_level="INFO")
        record = item.to_dict()
        try:
            validate_article(record)
        except SchemaError as exc:
            self.stats.inc_value("export/dropped/invalid")
            logger.error("Article %s does not match the JSON schema, not written: %s", item.url, exc)
            raise DropItem(f"{item.url}: invalid record: {exc}") from exc
        # Where pipelines.versions put the article (an edited one stays where it was first stored).
        key = item.json_key or article_key(item.site, record_day(record), item.id)
        data = dumps_record(record)
        self.in_flight += 1
        try:
            store_ms = await self.archive.io.run(_timed_put, self.archive.storage, key, data)
        except StorageError as exc:
            self.stats.inc_value("export/errors")
            logger.error("Could not store article %s as %s: %s", item.url, key, exc)
            raise DropItem(f"{item.url}: storage error: {exc}") from exc
        finally:
            self.in_flight -= 1
        self.stats.inc_value("timing/store_ms", store_ms)
        self.written += 1
        self.crawler.signals.send_catch_log(archive_signals.article_stored, item=item, key=key)
        self.stats.inc_value("export/articles")
        if item.capture_status in ("new", "changed"):
            self.stats.inc_value(f"export/articles/{item.capture_status}")
        self.stats.inc_value("export/bytes", len(data))
        logger.debug("Stored article %s as %s", item.url, key)
        if self.max_articles is not None and self.written >= self.max_articles:
            logger.info("max_articles=%d reached; closing the spider", self.max_articles)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="max_articles"))
        return item
