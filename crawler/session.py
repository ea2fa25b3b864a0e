"""The per-crawl archive session shared by the archive components.

One :class:`ArchiveSession` hangs off the crawler (``crawler.archive_session``)
and is created by whichever component asks first through
:meth:`ArchiveSession.from_crawler`.  It holds the crawl id, the storage
backend and the WARC writer, and keeps the list of finished WARC files for
the manifest.  The :class:`~crawler.extensions.archive.ArchiveExtension`
closes it when the spider closes.

Settings read: ``ARCHIVE_URI``, ``ARCHIVE_CRAWL_ID``, ``ARCHIVE_WARC_PREFIX``,
``ARCHIVE_WARC_MAX_SIZE``, ``ARCHIVE_WARC_TEMP_DIR``, ``ARCHIVE_OPERATOR``,
``NEWS_CONTACT_URL``, ``ROBOTSTXT_OBEY``.
"""

from __future__ import annotations

import logging
import platform
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
import trafilatura
import warcio

from archive.keys import safe_key, slug, warc_key
from archive.storage import Storage, open_storage
from archive.warcwriter import RotatingWarcWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

SOFTWARE_NAME = "news-archive-crawler"
SOFTWARE_VERSION = "0.1.0"


def software_string() -> str:
    return (
        f"{SOFTWARE_NAME}/{SOFTWARE_VERSION} Scrapy/{scrapy.__version__} warcio/{warcio_version()} "
        f"trafilatura/{trafilatura.__version__} Python/{platform.python_version()}"
    )


def warcio_version() -> str:
    from importlib.metadata import version

    try:
        return version("warcio")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return getattr(warcio, "__version__", "unknown")


def new_crawl_id(site: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{slug(site, 'crawl')}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class ArchiveSession:
    """Crawl id, storage and WARC writer of one crawl."""

    def __init__(self, crawler: Crawler, site: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.site = site
        self.started_at = datetime.now(UTC)
        self.crawl_id = settings.get("ARCHIVE_CRAWL_ID") or new_crawl_id(site, self.started_at)
        safe_key(self.crawl_id)
        self.storage: Storage = open_storage(settings.get("ARCHIVE_URI"))
        self.contact = settings.get("NEWS_CONTACT_URL", "")
        self.operator = settings.get("ARCHIVE_OPERATOR", "")
        self.warc_prefix = settings.get("ARCHIVE_WARC_PREFIX", "news")
        self.warc_max_size = settings.getint("ARCHIVE_WARC_MAX_SIZE")
        temp_dir = settings.get("ARCHIVE_WARC_TEMP_DIR")
        self.warc_dir = Path(temp_dir) / self.crawl_id if temp_dir else self.storage.staging_dir(self.crawl_id)
        self.warc_files: list[dict[str, Any]] = []
        self.articles_written = 0
        self._warc: RotatingWarcWriter | None = None
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveSession:
        session = getattr(crawler, "archive_session", None)
        if session is None:
            spider = getattr(crawler, "spider", None)
            site = str(getattr(spider, "site_name", None) or getattr(spider, "name", None) or "crawl")
            session = cls(crawler, site)
            crawler.archive_session = session  # type: ignore[attr-defined]
            logger.info(
                "Archive session %s: storing into %s", session.crawl_id, session.storage.describe()
            )
        return session

    # -- WARC ---------------------------------------------------------------
    def warcinfo(self) -> dict[str, str]:
        settings = self.crawler.settings
        return {
            "software": software_string(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": self.crawl_id,
            "description": f"News archive crawl of {self.site}",
            "hostname": socket.gethostname(),
            "operator": self.operator,
            "http-header-user-agent": settings.get("USER_AGENT", ""),
            "http-header-from": self.contact,
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }

    @property
    def warc(self) -> RotatingWarcWriter:
        if self._warc is None:
            self._warc = RotatingWarcWriter(
                self.warc_dir,
                prefix=self.warc_prefix,
                max_size=self.warc_max_size,
                warcinfo=self.warcinfo(),
                on_close=self._warc_finished,
            )
        return self._warc

    def _warc_finished(self, path: Path, filename: str) -> None:
        size = path.stat().st_size
        key = warc_key(self.crawl_id, filename)
        self.storage.put_file(key, path)
        self.warc_files.append({"file": filename, "key": key, "bytes": size})
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("archive/warc/files")
            stats.inc_value("archive/warc/bytes", size)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._warc is not None:
            self._warc.close()
