"""JournalDupeFilter: Scrapy's duplicate filter, flat in memory and safe for crawls resumed after a SIGKILL.

Scrapy's RFPDupeFilter keeps every scheduled request's fingerprint in a Python set (and, with ``JOBDIR``, in
``JOBDIR/requests.seen``). Two things change here:

* **Flat memory.** The fingerprints (their first 8 bytes) go into a :class:`crawler.seenset.SeenSet`, a
  private SQLite file (unlinked at once, freed at the end), instead of a set of ``bytes`` that grows by about 90
  bytes per URL the crawl discovers (2,000,000 URLs: 179 MB, measured). Memory is then the file's page cache
  (``NEWS_SEEN_CACHE_MB``) however many URLs are discovered; a lookup costs a few microseconds
  (docs/state.md, "Flat memory"). ``NEWS_SEEN_ON_DISK = False`` keeps them in memory instead (a set of
  ints). If the file cannot be written, the error is logged once, counted (``news/seen/disk_errors``) and the
  following fingerprints are kept in memory.
* **Resume after a kill.** After a SIGKILL, the requests that were queued or in flight were "seen" but never
  completed: with Scrapy's ``requests.seen`` they would never be fetched again and their articles would be
  lost. This filter never keeps fingerprints from one run to the next (its file is private to the run, with
  or without ``JOBDIR``); on a resumed crawl it counts as seen the articles the resume journal says are
  stored (:mod:`crawler.extensions.resume`, read from the journal file, not held in memory). Everything else
  is discovered again from the start pages, feeds and sitemaps, so nothing is lost; stored articles are
  neither fetched nor written again.

Settings read: ``DUPEFILTER_DEBUG``, ``NEWS_SEEN_ON_DISK``, ``NEWS_SEEN_CACHE_MB``, ``NEWS_QUEUE_DIR`` (where the
private file goes), ``JOBDIR`` (through the resume journal).
Stats: ``news/seen/disk_errors`` (besides Scrapy's ``dupefilter/filtered``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from crawler.extensions.resume import get_journal
from crawler.seenset import SeenSet, key_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class JournalDupeFilter(RFPDupeFilter):
    """Duplicate filter over a :class:`~crawler.seenset.SeenSet` of fingerprints (see module docstring)."""

    def __init__(self, path: str | None = None, debug: bool = False, *, seen: SeenSet | None = None,
                 **kwargs: Any) -> None:
        super().__init__(None, debug, **kwargs)  # never Scrapy's JOBDIR/requests.seen (see module docstring)
        self.seen = seen if seen is not None else SeenSet(on_disk=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JournalDupeFilter:
        settings, stats = crawler.settings, crawler.stats

        def disk_error(exc: BaseException) -> None:
            if stats is not None:
                stats.inc_value("news/seen/disk_errors")

        seen = SeenSet(settings.get("NEWS_QUEUE_DIR") or None, on_disk=settings.getbool("NEWS_SEEN_ON_DISK"),
                       cache_mb=settings.getfloat("NEWS_SEEN_CACHE_MB"), name="requests", on_error=disk_error)
        dupefilter = cls(None, settings.getbool("DUPEFILTER_DEBUG"), seen=seen,
                         fingerprinter=crawler.request_fingerprinter)
        journal = get_journal(crawler)
        if journal is not None:
            stored = sum(seen.add(key_of(dupefilter._fingerprint(Request(url)))) for url in journal.stored_articles())
            if stored:
                logger.info("Resumed crawl: %d stored article(s) count as seen", stored)
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        return not self.seen.add(key_of(self._fingerprint(request)))

    def close(self, reason: str) -> None:
        self.seen.close()
        super().close(reason)
