"""ArchiveExtension: owns the crawl's archive — its id, store, WARC recorder, site state and packager.

Every other component reaches the archive through this extension
(``crawler.get_extension(ArchiveExtension)``), never by creating it:

* ``crawl_id``, ``site``, ``storage`` (:mod:`archive.storage`, chosen by ``ARCHIVE_URI``),
  ``io`` (:class:`archive.iothread.ArchiveIO`, the ordered archive I/O thread);
* ``recorder`` (:class:`crawler.recorder.WarcRecorder`): the only writer of WARC records;
* ``state`` (:class:`crawler.sitestate.SiteState`): the site's capture index (dedup) and, in the
  same store, the repetition learner's blocks (:mod:`archive.blockstate`);
* ``packager`` (:class:`crawler.packager.Packager`): per-WARC CDXJ, page list, WACZ.

On ``spider_opened`` it writes ``crawls/{crawl_id}/manifest.json`` with status
``running``; on the :data:`crawler.signals.article_stored` signal it records the
page for the WACZ and the article key in the site state; on ``spider_closed``
it waits for the I/O thread, closes the open WARC file (which hands it to the
store), saves the site state, packs the crawl, sends what is still pending to
a remote store and rewrites the manifest with the end time, finish reason,
counts, WARC files, the candidate pages the spider rejected (:data:`crawler.signals.page_rejected`,
``rejected_pages``), the bot-check pages met (:data:`crawler.signals.challenge_page`, ``challenge_pages``)
and final stats (secrets redacted, :mod:`crawler.manifest`); just before writing it, it sends
:data:`crawler.signals.manifest_closing` so others (the alerts extension) can add to it.

Settings read: ``ARCHIVE_URI``, ``ARCHIVE_CRAWL_ID``, ``JOBDIR``, ``REDIS_URL``,
``ARCHIVE_IO_THREAD``, ``ARCHIVE_WARC_PREFIX``, ``ARCHIVE_WARC_MAX_SIZE``,
``ARCHIVE_WARC_GZIP_LEVEL``, ``ARCHIVE_WARC_TEMP_DIR``, ``ARCHIVE_OPERATOR``,
``ARCHIVE_DEDUP_ENABLED``, ``ARCHIVE_PACKAGE_ENABLED``,
``ARCHIVE_SPOOL_CLOSE_TIMEOUT``, ``ARCHIVE_MANIFEST_MAX_REJECTED``, ``ARCHIVE_MALLOC_ARENAS``, ``NEWS_CONTACT_URL``, ``USER_AGENT``,
``ROBOTSTXT_OBEY`` (and the storage backend's own settings).
Stats: ``process/cpu_s`` and ``process/peak_rss_mb`` (CPU seconds and peak RSS of the
crawler process, set at the end), ``archive/upload/*``; and those of the parts it owns.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from archive.iothread import ArchiveIO
from archive.keys import manifest_key, safe_key, site_key, slug
from archive.statestore import SiteLockedError
from archive.storage import Storage, open_storage
from crawler import signals as archive_signals
from crawler.extensions.resume import read_crawl_id, write_crawl_id
from crawler.manifest import REDACTED, jsonable, recorded_settings, redact_value
from crawler.memory import limit_malloc_arenas
from crawler.packager import Packager, software_string
from crawler.recorder import WarcRecorder
from crawler.sitestate import SiteState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


def new_crawl_id(site: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{slug(site_key(site), 'crawl')}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class ArchiveExtension:
    """See module docstring."""

    def __init__(self, crawler: Crawler, site: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.site = site
        self.started_at = datetime.now(UTC)
        jobdir = settings.get("JOBDIR")
        previous = read_crawl_id(jobdir)
        self.resumed = bool(previous)
        self.crawl_id: str = previous or settings.get("ARCHIVE_CRAWL_ID") or new_crawl_id(site, self.started_at)
        safe_key(self.crawl_id)
        write_crawl_id(jobdir, self.crawl_id)
        self.storage: Storage = open_storage(settings.get("ARCHIVE_URI"), settings, on_event=self._upload_event)
        self.close_timeout = settings.getfloat("ARCHIVE_SPOOL_CLOSE_TIMEOUT")
        self.unsent: list[str] = []
        # Distributed (REDIS_URL): several processes share the crawl id; each writes its own
        # WARCs and manifest, and the crawl is packed once all are done (scrapy archive-pack).
        self.worker = f"{slug(socket.gethostname(), 'host')}-{os.getpid()}" if settings.get("REDIS_URL") else None
        self.articles_written = 0
        # Candidate pages the spider's heuristics rejected (signal page_rejected): the first N, and how many.
        self.max_rejected = settings.getint("ARCHIVE_MANIFEST_MAX_REJECTED")
        self.rejected: list[dict[str, str]] = []
        self.rejected_total = 0
        # Bot-check pages (signal challenge_page): the first N (same cap), and how many.
        self.challenges: list[dict[str, Any]] = []
        self.challenges_total = 0
        self.closed = False
        stats = crawler.stats
        self.io = ArchiveIO(settings.getbool("ARCHIVE_IO_THREAD"))
        self.state = SiteState(self.storage, site, settings.getbool("ARCHIVE_DEDUP_ENABLED"), stats, settings)
        # One crawl of a site at a time (not with REDIS_URL): the second one stops here, with a clear message.
        self.state.open(self.crawl_id)
        self.packager = Packager(
            self.storage, self.crawl_id, site, settings.getbool("ARCHIVE_PACKAGE_ENABLED") and not self.worker, stats
        )
        temp_dir = settings.get("ARCHIVE_WARC_TEMP_DIR")
        self.recorder = WarcRecorder(
            self.storage,
            self.crawl_id,
            Path(temp_dir) / self.crawl_id if temp_dir else self.storage.staging_dir(self.crawl_id),
            self.io,
            prefix=settings.get("ARCHIVE_WARC_PREFIX"),
            max_size=settings.getint("ARCHIVE_WARC_MAX_SIZE"),
            gzip_level=settings.getint("ARCHIVE_WARC_GZIP_LEVEL"),
            warcinfo=self._warcinfo(),
            on_finished=self.packager.index_warc,
            stats=stats,
        )
        if self.resumed:
            self.recorder.resume()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        # Before the archive I/O thread starts: its WARC buffers would otherwise spread over arenas (crawler/memory.py).
        limit_malloc_arenas(crawler.settings.getint("ARCHIVE_MALLOC_ARENAS"))
        spider = crawler.spider
        site = str(getattr(spider, "site_name", None) or getattr(spider, "name", None) or "crawl")
        try:
            ext = cls(crawler, site)
        except SiteLockedError as exc:
            logger.error("Crawl of site %s refused: %s", site, exc)
            raise
        logger.info("Archive of crawl %s: storing into %s", ext.crawl_id, ext.storage.describe())
        # The storage keeps its own copy of the credentials: blank them in the settings, which
        # Scrapy logs right after building the extensions and nothing else in the crawl needs.
        for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if crawler.settings.get(name):
                crawler.settings.set(name, REDACTED, priority=crawler.settings.getpriority(name) or "cmdline")
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.article_stored, signal=archive_signals.article_stored)
        crawler.signals.connect(ext.page_rejected, signal=archive_signals.page_rejected)
        crawler.signals.connect(ext.challenge_page, signal=archive_signals.challenge_page)
        return ext

    def _warcinfo(self) -> dict[str, str]:
        settings = self.crawler.settings
        return {
            "software": software_string(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": self.crawl_id,
            "description": f"News archive crawl of {self.site}",
            "hostname": socket.gethostname(),
            "operator": settings.get("ARCHIVE_OPERATOR"),
            "http-header-user-agent": settings.get("USER_AGENT"),
            "http-header-from": settings.get("NEWS_CONTACT_URL"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }

    def _upload_event(self, name: str, count: int) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"archive/upload/{name}", count)

    # -- signals ---------------------------------------------------------------
    def article_stored(self, item: ArticleItem, key: str) -> None:
        self.articles_written += 1
        self.packager.add_page(item.url, item.fetched_at, item.title, item.id)
        if item.warc is not None:
            self.state.article_stored(item, key)

    def page_rejected(self, url: str, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < self.max_rejected:
            self.rejected.append({"url": url, "reason": reason})

    def challenge_page(self, url: str, kind: str, status: int) -> None:
        self.challenges_total += 1
        if len(self.challenges) < self.max_rejected:
            self.challenges.append({"url": url, "kind": kind, "status": status})

    def spider_opened(self) -> None:
        self._write(self.manifest("running"))

    def spider_closed(self, reason: str) -> None:
        self.close()
        if self.crawler.stats is not None:
            # CPU of the crawler process (reactor, archive I/O thread, uploads); the
            # extraction workers' is extract/worker_cpu_s.  Both feed `make bench`.
            usage = resource.getrusage(resource.RUSAGE_SELF)
            self.crawler.stats.set_value("process/cpu_s", round(usage.ru_utime + usage.ru_stime, 2))
            # The true peak (memusage/max is sampled once a minute).
            self.crawler.stats.set_value("process/peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
        # Send everything still pending to the store before the final manifest, which lists what could not be sent.
        self.unsent = self.storage.close(self.close_timeout)
        manifest = self.manifest("finished" if reason == "finished" else "stopped", reason)
        manifest["unsent"] = self.unsent
        self.crawler.signals.send_catch_log(archive_signals.manifest_closing, manifest=manifest, reason=reason)
        self._write(manifest)
        left = self.storage.close(min(30.0, self.close_timeout))
        missing = sorted(set(self.unsent) | set(left))
        if missing:
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("archive/upload/unsent", len(missing))
            logger.error(
                "NOT UPLOADED: %d object(s) of crawl %s are still in the local spool %s because the store %s "
                "could not be reached; nothing is lost: run `scrapy archive-sync` to send them. First: %s",
                len(missing), self.crawl_id, getattr(self.storage, "pending", "?"), self.storage.describe(),
                ", ".join(missing[:5]),
            )
        counts = manifest["counts"]
        logger.info(
            "Crawl %s %s: %d responses, %d articles, %d WARC file(s) (%d bytes) in %s",
            self.crawl_id, reason, counts["responses"], counts["articles_written"], counts["warc_files"],
            counts["warc_bytes"], self.storage.describe(),
        )

    def close(self) -> None:
        """Write out everything: pending records, the open WARC, the site state, the package."""
        if self.closed:
            return
        self.closed = True
        self.io.close()  # everything submitted is written before the files close
        self.recorder.close()
        self.state.close(self.crawl_id)
        if self.worker:
            logger.info("Distributed crawl %s: when every worker is done, run scrapy archive-pack %s", self.crawl_id, self.crawl_id)
        self.packager.close([f["file"] for f in self.recorder.files])

    # -- manifest --------------------------------------------------------------
    def manifest(self, status: str, reason: str | None = None) -> dict[str, Any]:
        spider = self.crawler.spider
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        finished = datetime.now(UTC) if status != "running" else None
        files = self.recorder.files
        return {
            "manifest_version": 1,
            "crawl_id": self.crawl_id,
            "site": self.site,
            "status": status,
            "finish_reason": reason,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat() if finished else None,
            "software": software_string(),
            "spider": getattr(spider, "name", None),
            "arguments": {k: redact_value(k, v) for k, v in getattr(spider, "crawl_args", {}).items()},
            "profile": getattr(getattr(spider, "profile", None), "source", None),
            "storage": self.storage.describe(),
            "worker": self.worker,
            "settings": recorded_settings(self.crawler),
            "counts": {
                "requests": stats.get("downloader/request_count", 0),
                "responses": stats.get("downloader/response_count", 0),
                "pages_article": stats.get("news/pages/article", 0),
                "pages_other": stats.get("news/pages/other", 0),
                "articles_written": self.articles_written,
                "warc_records": stats.get("archive/warc/records", 0),
                "warc_responses": stats.get("archive/warc/responses", 0),
                "warc_revisits": stats.get("archive/warc/revisits", 0),
                "pages_unchanged": stats.get("news/pages/unchanged", 0),
                "articles_new": stats.get("export/articles/new", 0),
                "articles_changed": stats.get("export/articles/changed", 0),
                "articles_unchanged": stats.get("news/pages/unchanged", 0) + stats.get("news/skipped/known_unchanged", 0),
                "warc_files": len(files),
                "warc_bytes": sum(f["bytes"] for f in files),
            },
            "warc_files": files,
            "rejected_pages": {"total": self.rejected_total, "listed": list(self.rejected)},
            "challenge_pages": {"total": self.challenges_total, "listed": list(self.challenges)},
            "stats": jsonable(dict(sorted(stats.items()))),
        }

    def _write(self, manifest: dict[str, Any]) -> None:
        data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        self.storage.put_bytes(manifest_key(self.crawl_id, self.worker), data, "application/json; charset=utf-8")
