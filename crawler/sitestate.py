"""SiteState: what the archive remembers about a site between crawls.

Owned by :class:`~crawler.extensions.archive.ArchiveExtension`.  Holds the
site's capture index (:class:`archive.dedup.DedupIndex`: payload digest, date,
record id, article key, ETag/Last-Modified per URL), loaded from the store on
first use and saved when the crawl closes.  The WARC capture middleware reads
it to write revisit records, the known-article middleware to skip unchanged
articles; the extension records the article key of each stored article.

Settings (read by the extension): ``ARCHIVE_DEDUP_ENABLED``.
Stats: ``archive/dedup/errors``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from archive.dedup import DedupIndex
from archive.storage import Storage, StorageError

logger = logging.getLogger(__name__)


class SiteState:
    """The per-site state of one crawl (see module docstring)."""

    def __init__(self, storage: Storage, site: str, dedup_enabled: bool, stats: Any = None) -> None:
        self.storage = storage
        self.site = site
        self.dedup_enabled = dedup_enabled
        self.stats = stats
        self._dedup: DedupIndex | None = None

    def _error(self) -> None:
        if self.stats is not None:
            self.stats.inc_value("archive/dedup/errors")

    @property
    def dedup(self) -> DedupIndex:
        """The site's capture index, loaded on first use (empty when it cannot be read)."""
        if self._dedup is None:
            try:
                self._dedup = DedupIndex.load(self.storage, self.site)
            except (StorageError, ValueError, OSError) as exc:
                self._error()
                logger.error("Could not load the dedup index of site %s (%s); every page is stored in full", self.site, exc)
                self._dedup = DedupIndex()
        return self._dedup

    def article_stored(self, url: str, key: str) -> None:
        """An article JSON of ``url`` was stored under ``key``."""
        if self.dedup_enabled:
            self.dedup.set_article(url, key)

    def close(self, crawl_id: str) -> None:
        """Save what this crawl changed."""
        if self._dedup is None or not self._dedup.dirty:
            return
        self._dedup.last_crawl = {"crawl_id": crawl_id, "finished_at": datetime.now(UTC).isoformat()}
        try:
            self._dedup.save(self.storage, self.site)
        except StorageError as exc:
            self._error()
            logger.error("Could not save the dedup index of site %s: %s", self.site, exc)
