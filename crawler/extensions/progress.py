"""ProgressExtension: a progress line every NEWS_PROGRESS_INTERVAL seconds.

    Progress: 1200 pages (310/min), 402 articles, 77 revisits, 412.5 MB WARC, queue 3120, errors 4, store backlog 0

Settings read: ``NEWS_PROGRESS_INTERVAL`` (seconds; 0 disables).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.extensions.archive import ArchiveExtension

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ProgressExtension:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("NEWS_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self.task = task.LoopingCall(self.log_progress)
        self.task.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def snapshot(self) -> dict[str, float]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        minutes = max(1e-9, (time.monotonic() - self.started) / 60)
        pages = stats.get("downloader/response_count", 0)
        scheduler = self.crawler.engine.scheduler if self.crawler.engine is not None else None  # public since Scrapy 2.13
        try:
            queue = len(scheduler) if scheduler is not None else 0  # type: ignore[arg-type]  # Scheduler has __len__
        except TypeError:
            queue = 0
        archive = self.crawler.get_extension(ArchiveExtension)
        pending = getattr(archive.storage, "pending_keys", None) if archive is not None else None
        errors = stats.get("log_count/ERROR", 0) + stats.get("downloader/exception_count", 0)
        return {
            "pages": pages,
            "pages_per_min": pages / minutes,
            "articles": stats.get("export/articles", 0),
            "revisits": stats.get("archive/warc/revisits", 0),
            "warc_mb": (stats.get("archive/warc/bytes", 0) + (archive.recorder.open_bytes() if archive else 0)) / 1e6,
            "queue": queue,
            "errors": errors,
            "backlog": len(pending()) if callable(pending) else 0,
        }

    def log_progress(self) -> None:
        s = self.snapshot()
        logger.info(
            "Progress: %d pages (%.0f/min), %d articles, %d revisits, %.1f MB WARC, queue %d, errors %d, store backlog %d",
            s["pages"], s["pages_per_min"], s["articles"], s["revisits"], s["warc_mb"], s["queue"], s["errors"], s["backlog"],
        )  # fmt: skip
