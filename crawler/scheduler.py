"""DiskQueueScheduler: requests waiting to be fetched wait on disk, even without JOBDIR.

Scrapy keeps scheduled requests in memory unless ``JOBDIR`` is set.  A news
site's sitemaps announce their URLs all at once: a 500,000-URL sitemap index
becomes half a million Request objects (about 1.1 KB each, measured) in the crawler
process, which then grows with the size of the site.  This scheduler gives
Scrapy's own disk queues (``SCHEDULER_DISK_QUEUE``) a private directory when
``JOBDIR`` is not set, and deletes it when the crawl ends; memory then holds
only the requests Scrapy cannot serialise, as with a JOBDIR.  With ``JOBDIR``
it is Scrapy's scheduler unchanged (the queue is part of the resumable job).
Pushing and popping a request through the disk queue costs about 45 µs.  If the
disk queue cannot be written (disk full, directory removed), the error is
logged once, counted (``news/queue/disk_errors``) and the remaining requests are
queued in memory: none is lost.

Settings read: ``NEWS_QUEUE_ON_DISK``, ``NEWS_QUEUE_DIR``, ``JOBDIR`` and
Scrapy's ``SCHEDULER_*`` settings (through Scrapy's scheduler).
Stats: ``news/queue/disk_errors`` (besides Scrapy's ``scheduler/*``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.scheduler import Scheduler
from scrapy.utils.job import job_dir

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class DiskQueueScheduler(Scheduler):
    _private_dir: str | None = None
    _disk_failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        if job_dir(settings) is None and settings.getbool("NEWS_QUEUE_ON_DISK"):
            parent = settings.get("NEWS_QUEUE_DIR") or None
            if parent:
                Path(parent).mkdir(parents=True, exist_ok=True)
            scheduler._private_dir = tempfile.mkdtemp(prefix="news-queue-", dir=parent)
            scheduler.dqdir = scheduler._dqdir(scheduler._private_dir)
            logger.debug("Scheduled requests wait on disk in %s", scheduler._private_dir)
        return scheduler

    def _dqpush(self, request: Any) -> bool:
        if self._disk_failed:
            return False  # after a failed write the queue file's tail is not trusted: memory only
        try:
            return bool(super()._dqpush(request))
        except OSError as exc:
            self._disk_failed = True
            if self.stats is not None:
                self.stats.inc_value("news/queue/disk_errors")
            logger.error(
                "Cannot write the request queue on disk (%s: %s); queuing %s and the following requests in "
                "memory. Free space there or set NEWS_QUEUE_DIR (or JOBDIR) to another disk.",
                self.dqdir, exc, request.url,
            )
            return False

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)
                self._private_dir = None
