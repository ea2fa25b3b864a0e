"""ArchiveExtension: opens and closes the crawl's archive session, writes the manifest.

On ``spider_opened`` it writes ``crawls/{crawl_id}/manifest.json`` with
status ``running``; on ``spider_closed`` it closes the open WARC file (which
hands it to the store) and rewrites the manifest with the end time, finish
reason, counts, WARC files and final stats.  Settings and arguments are
recorded with secrets redacted: any setting whose name contains KEY, SECRET,
TOKEN, PASSWORD or CREDENTIAL, and user:password parts of URIs.

Settings read: ``ARCHIVE_URI`` and the other ``ARCHIVE_*`` settings (through
the session); records every ``ARCHIVE_*``, ``NEWS_*``, ``EXTRACT_*``
setting and any setting given on the command line or by the spider.
Stats: ``process/cpu_s`` and ``process/peak_rss_mb`` (CPU seconds and peak RSS of the
crawler process, set at the end).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals

from archive.keys import manifest_key
from crawler.session import ArchiveSession, software_string

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_SECRET_NAME_RE = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_RECORDED_PREFIXES = ("ARCHIVE_", "NEWS_", "EXTRACT_", "DATES_", "CLEAN_")
REDACTED = "***"


def redact_value(name: str, value: Any) -> Any:
    if _SECRET_NAME_RE.search(name):
        return REDACTED if value else value
    if isinstance(value, str) and "@" in value and "://" in value:
        parts = urlsplit(value)
        if parts.password or parts.username:
            host = parts.hostname or ""
            netloc = f"{REDACTED}@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def recorded_settings(crawler: Crawler) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in crawler.settings.items():
        priority = crawler.settings.getpriority(name) or 0
        if name.startswith(_RECORDED_PREFIXES) or priority >= 30:  # 30 = spider, 40 = cmdline
            if name.startswith("AWS_") or _SECRET_NAME_RE.search(name):
                out[name] = REDACTED if value else value
            else:
                out[name] = redact_value(name, _jsonable(value))
    return dict(sorted(out.items()))


class ArchiveExtension:
    """See module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        ext = cls(crawler)
        # Open the archive now (the storage keeps its own copy of the credentials), then
        # blank the secrets in the settings: Scrapy logs overridden settings right after
        # building the extensions, and nothing else in the crawl needs them.
        ArchiveSession.from_crawler(crawler)
        for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if crawler.settings.get(name):
                crawler.settings.set(name, REDACTED, priority=crawler.settings.getpriority(name) or "cmdline")
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def session(self) -> ArchiveSession:
        return ArchiveSession.from_crawler(self.crawler)

    def manifest(self, status: str, reason: str | None = None) -> dict[str, Any]:
        session = self.session
        spider = self.crawler.spider
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        finished = datetime.now(UTC) if status != "running" else None
        return {
            "manifest_version": 1,
            "crawl_id": session.crawl_id,
            "site": session.site,
            "status": status,
            "finish_reason": reason,
            "started_at": session.started_at.isoformat(),
            "finished_at": finished.isoformat() if finished else None,
            "software": software_string(),
            "spider": getattr(spider, "name", None),
            "arguments": {k: redact_value(k, v) for k, v in getattr(spider, "crawl_args", {}).items()},
            "profile": getattr(getattr(spider, "profile", None), "source", None),
            "storage": session.storage.describe(),
            "worker": session.worker,
            "settings": recorded_settings(self.crawler),
            "counts": {
                "requests": stats.get("downloader/request_count", 0),
                "responses": stats.get("downloader/response_count", 0),
                "pages_article": stats.get("news/pages/article", 0),
                "pages_other": stats.get("news/pages/other", 0),
                "articles_written": session.articles_written,
                "warc_records": stats.get("archive/warc/records", 0),
                "warc_responses": stats.get("archive/warc/responses", 0),
                "warc_revisits": stats.get("archive/warc/revisits", 0),
                "pages_unchanged": stats.get("news/pages/unchanged", 0),
                "articles_new": stats.get("export/articles/new", 0),
                "articles_changed": stats.get("export/articles/changed", 0),
                "articles_unchanged": stats.get("news/pages/unchanged", 0) + stats.get("news/skipped/known_unchanged", 0),
                "warc_files": len(session.warc_files),
                "warc_bytes": sum(f["bytes"] for f in session.warc_files),
            },
            "warc_files": session.warc_files,
            "stats": _jsonable(dict(sorted(stats.items()))),
        }

    def _write(self, manifest: dict[str, Any]) -> None:
        data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        key = manifest_key(self.session.crawl_id, self.session.worker)
        self.session.storage.put_bytes(key, data, "application/json; charset=utf-8")

    def spider_opened(self) -> None:
        self._write(self.manifest("running"))

    def spider_closed(self, reason: str) -> None:
        session = self.session
        session.close()
        if self.crawler.stats is not None:
            import resource

            # CPU of the crawler process (reactor, archive I/O thread, uploads); the
            # extraction workers' is extract/worker_cpu_s.  Both feed `make bench`.
            usage = resource.getrusage(resource.RUSAGE_SELF)
            self.crawler.stats.set_value("process/cpu_s", round(usage.ru_utime + usage.ru_stime, 2))
            # The true peak (memusage/max is sampled once a minute).
            self.crawler.stats.set_value("process/peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
        # Send everything still pending to the store before the final manifest, which lists what could not be sent.
        unsent = session.finish_uploads()
        manifest = self.manifest("finished" if reason == "finished" else "stopped", reason)
        manifest["unsent"] = unsent
        self._write(manifest)
        left = session.storage.close(min(30.0, session.close_timeout))
        if unsent or left:
            stats = self.crawler.stats
            if stats is not None:
                stats.set_value("archive/upload/unsent", len(set(unsent) | set(left)))
            logger.error(
                "NOT UPLOADED: %d object(s) of crawl %s are still in the local spool %s because the store %s "
                "could not be reached; nothing is lost: run `scrapy archive-sync` to send them. First: %s",
                len(set(unsent) | set(left)),
                session.crawl_id,
                getattr(session.storage, "pending", "?"),
                session.storage.describe(),
                ", ".join(sorted(set(unsent) | set(left))[:5]),
            )
        counts = manifest["counts"]
        logger.info(
            "Crawl %s %s: %d responses, %d articles, %d WARC file(s) (%d bytes) in %s",
            session.crawl_id,
            reason,
            counts["responses"],
            counts["articles_written"],
            counts["warc_files"],
            counts["warc_bytes"],
            session.storage.describe(),
        )
