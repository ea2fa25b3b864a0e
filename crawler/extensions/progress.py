"""ProgressExtension: a progress line every NEWS_PROGRESS_INTERVAL seconds, and a progress file.

    Progress: 1200 pages (310/min), 402 articles, 77 revisits, 412.5 MB WARC, queue 3120, errors 4, store backlog 0

Every ``ARCHIVE_PROGRESS_FILE_INTERVAL`` seconds the same figures (with pages per second and
failures by cause) are written to ``crawls/{crawl_id}/progress.json`` in the archive store, where
the web console (``scrapy archive-web``, docs/console.md) shows a running crawl's live progress
(once the crawl has ended, its manifest says so and the file is no longer read).

Settings read: ``NEWS_PROGRESS_INTERVAL`` (seconds; 0 disables the log line),
``ARCHIVE_PROGRESS_FILE_INTERVAL`` (seconds; 0 disables the file).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archive.keys import safe_key
from crawler.extensions.archive import ArchiveExtension

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ProgressExtension:
    def __init__(self, crawler: Crawler, interval: float, file_interval: float = 0.0) -> None:
        self.crawler = crawler
        self.interval = interval
        self.file_interval = file_interval
        self.task: task.LoopingCall | None = None
        self.file_task: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("NEWS_PROGRESS_INTERVAL")
        file_interval = crawler.settings.getfloat("ARCHIVE_PROGRESS_FILE_INTERVAL")
        if interval <= 0 and file_interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval, file_interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self.task = task.LoopingCall(self.log_progress)
            self.task.start(self.interval, now=False)
        if self.file_interval > 0:
            self.file_task = task.LoopingCall(self.write_progress)
            self.file_task.start(self.file_interval, now=True)

    def spider_closed(self) -> None:
        for looping in (self.task, self.file_task):
            if looping is not None and looping.running:
                looping.stop()

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

    def progress_record(self, running: bool = True) -> dict[str, object]:
        """What ``crawls/{crawl_id}/progress.json`` holds (see module docstring)."""
        s = self.snapshot()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        failures = {k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("fetch/failed/")}
        archive = self.crawler.get_extension(ArchiveExtension)
        return {
            "crawl_id": archive.crawl_id if archive is not None else None,
            "running": running,
            "at": datetime.now(UTC).isoformat(),
            "elapsed_s": round(time.monotonic() - self.started, 1),
            "pages": int(s["pages"]),
            "pages_per_s": round(s["pages_per_min"] / 60, 2),
            "articles": int(s["articles"]),
            "revisits": int(s["revisits"]),
            "warc_mb": round(s["warc_mb"], 2),
            "queue": int(s["queue"]),
            "errors": int(s["errors"]),
            "failures": failures,
            "backlog": int(s["backlog"]),
        }

    def write_progress(self, running: bool = True) -> None:
        archive = self.crawler.get_extension(ArchiveExtension)
        if archive is None or archive.closed:
            return
        try:
            record = self.progress_record(running)
            key = safe_key(f"crawls/{archive.crawl_id}/progress.json")
            archive.storage.put_bytes(key, json.dumps(record).encode(), "application/json")
        except Exception as exc:  # progress is a convenience: never stop a crawl for it
            logger.warning("Could not write the progress file: %s", exc)

    def log_progress(self) -> None:
        s = self.snapshot()
        logger.info(
            "Progress: %d pages (%.0f/min), %d articles, %d revisits, %.1f MB WARC, queue %d, errors %d, store backlog %d",
            s["pages"], s["pages_per_min"], s["articles"], s["revisits"], s["warc_mb"], s["queue"], s["errors"], s["backlog"],
        )  # fmt: skip
