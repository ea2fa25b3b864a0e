"""SearchIndexExtension: the archive's article search index (:mod:`archive.search`), updated as articles are stored.

On the :data:`crawler.signals.article_stored` signal the article's record is added to the index
(an edited article's row is replaced) on the archive I/O thread
(:class:`archive.iothread.ArchiveIO`, after the article's own write), so the reactor never waits
for it.  An indexing error is logged with the article's URL and counted; the crawl goes on and the
article stays in the store (``scrapy archive-index --rebuild`` indexes it later).

The index lives in the archive directory (``index/search.sqlite``); for a remote (s3://) archive it
is a local working copy under ``ARCHIVE_SPOOL_DIR`` that ``scrapy archive-index --rebuild`` rebuilds
from the store (docs/search.md).

Settings read: ``ARCHIVE_SEARCH_ENABLED``, ``ARCHIVE_SEARCH_INDEX``, ``ARCHIVE_SPOOL_DIR``.
Disabled (NotConfigured) when ``ARCHIVE_SEARCH_ENABLED`` is False or there is no archive extension.
Stats: ``search/indexed``, ``search/errors``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object

from archive.search import SearchIndex
from crawler import signals as archive_signals
from crawler.extensions.archive import ArchiveExtension

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


def _archive_enabled(crawler: Crawler) -> bool:
    """Whether EXTENSIONS enables the archive extension (it cannot be looked up before all extensions exist)."""
    for name, order in crawler.settings.getwithbase("EXTENSIONS").items():
        if order is not None and load_object(name) is ArchiveExtension:
            return True
    return False


class SearchIndexExtension:
    """Adds every stored article to the search index (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.archive: ArchiveExtension | None = None
        self.index: SearchIndex | None = None
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SearchIndexExtension:
        if not crawler.settings.getbool("ARCHIVE_SEARCH_ENABLED"):
            raise NotConfigured("ARCHIVE_SEARCH_ENABLED is False")
        if not _archive_enabled(crawler):
            raise NotConfigured("no archive extension")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.article_stored, signal=archive_signals.article_stored)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.archive = self.crawler.get_extension(ArchiveExtension)
        if self.archive is None:
            logger.warning("No archive extension: the search index is not updated")
            return
        try:
            self.index = SearchIndex.for_archive(self.archive.storage, self.crawler.settings)
        except Exception as exc:
            self._count("search/errors")
            logger.error("Could not open the search index: %s: %s; the crawl goes on without it "
                         "(scrapy archive-index --rebuild makes it later)", type(exc).__name__, exc)
            return
        if self.index is not None:
            logger.info("Search index: %s", self.index.path)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def article_stored(self, item: ArticleItem, key: str) -> None:
        index, archive = self.index, self.archive
        if self.closed or index is None or archive is None:
            return
        record = item.to_dict()
        url = item.url

        def done(error: BaseException | None) -> None:
            if error is None:
                self._count("search/indexed")
                return
            self._count("search/errors")
            logger.error("Could not add article %s (%s) to the search index %s: %s: %s; the crawl goes on "
                         "(scrapy archive-index --rebuild indexes it later)",
                         url, key, index.path, type(error).__name__, error)

        archive.io.post(index.add, record, key, done=done)

    def spider_closed(self, reason: str) -> None:
        index, archive = self.index, self.archive
        if self.closed or index is None or archive is None:
            return
        self.closed = True

        def done(error: BaseException | None) -> None:
            if error is not None:
                logger.error("Could not close the search index %s: %s", index.path, error)

        # After every add already posted (or at once if the I/O thread has been closed).
        archive.io.post(index.close, done=done)
