"""The per-crawl archive session shared by the archive components.

One :class:`ArchiveSession` hangs off the crawler (``crawler.archive_session``)
and is created by whichever component asks first through
:meth:`ArchiveSession.from_crawler`.  It holds the crawl id, the storage
backend and the WARC writer, and keeps the list of finished WARC files for
the manifest.  The :class:`~crawler.extensions.archive.ArchiveExtension`
closes it when the spider closes.

It also keeps the site's payload-digest index for deduplication
(:mod:`archive.dedup`) and the list of article pages, and when closed writes
the crawl's CDXJ index and WACZ package (:mod:`archive.packaging`).

Settings read: ``ARCHIVE_URI``, ``ARCHIVE_CRAWL_ID``, ``ARCHIVE_WARC_PREFIX``,
``ARCHIVE_WARC_MAX_SIZE``, ``ARCHIVE_WARC_TEMP_DIR``, ``ARCHIVE_OPERATOR``,
``ARCHIVE_DEDUP_ENABLED``, ``ARCHIVE_PACKAGE_ENABLED``, ``ARCHIVE_IO_THREAD``,
``NEWS_CONTACT_URL``, ``ROBOTSTXT_OBEY``.

Archive I/O thread (``ARCHIVE_IO_THREAD``, on by default): WARC records and
JSON files are compressed, digested, written and fsynced on one background
thread (:meth:`ArchiveSession.run_io`), in the order they were submitted, so
the reactor keeps fetching meanwhile; the caller awaits the result, so an
item never moves on before its bytes are written.
Stats: ``archive/warc/files``, ``archive/warc/bytes``, ``archive/pack/errors``,
``archive/dedup/errors``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import secrets
import socket
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import scrapy
import trafilatura
import warcio

from archive.dedup import DedupIndex
from archive.keys import cdxj_key, safe_key, slug, wacz_key, warc_index_key, warc_key
from archive.packaging import PageLog, build_wacz, cdxj_for, iso_ts, merge_cdxj_files, write_sorted_cdxj
from archive.storage import Storage, StorageError, open_storage
from archive.warcwriter import RotatingWarcWriter, close_out
from crawler.extensions.resume import read_crawl_id, write_crawl_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

T = TypeVar("T")

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
        jobdir = settings.get("JOBDIR")
        self.resumed = bool(read_crawl_id(jobdir))
        self.crawl_id = read_crawl_id(jobdir) or settings.get("ARCHIVE_CRAWL_ID") or new_crawl_id(site, self.started_at)
        safe_key(self.crawl_id)
        write_crawl_id(jobdir, self.crawl_id)
        self.storage: Storage = open_storage(settings.get("ARCHIVE_URI"), settings, on_event=self._upload_event)
        self.close_timeout = settings.getfloat("ARCHIVE_SPOOL_CLOSE_TIMEOUT")
        self.unsent: list[str] = []
        self.contact = settings.get("NEWS_CONTACT_URL", "")
        self.operator = settings.get("ARCHIVE_OPERATOR", "")
        self.warc_prefix = settings.get("ARCHIVE_WARC_PREFIX", "news")
        self.warc_max_size = settings.getint("ARCHIVE_WARC_MAX_SIZE")
        temp_dir = settings.get("ARCHIVE_WARC_TEMP_DIR")
        self.warc_dir = Path(temp_dir) / self.crawl_id if temp_dir else self.storage.staging_dir(self.crawl_id)
        self.warc_files: list[dict[str, Any]] = []
        self.articles_written = 0
        self.pages = PageLog()  # article pages for the WACZ, in a temporary file
        self.dedup_enabled = settings.getbool("ARCHIVE_DEDUP_ENABLED")
        self.package_enabled = settings.getbool("ARCHIVE_PACKAGE_ENABLED")
        # Distributed (REDIS_URL): several processes share the crawl id; each writes its own
        # WARCs and manifest, and the crawl is packed once all are done (scrapy archive-pack).
        self.worker = f"{slug(socket.gethostname(), 'host')}-{os.getpid()}" if settings.get("REDIS_URL") else None
        if self.worker:
            self.package_enabled = False
        self._dedup: DedupIndex | None = None
        if self.resumed:
            self._resume_warcs()
        self._warc: RotatingWarcWriter | None = None
        self._io: ThreadPoolExecutor | None = None
        self._io_done: deque[tuple[Callable[[BaseException | None], None], BaseException | None]] = deque()
        self.io_thread = settings.getbool("ARCHIVE_IO_THREAD")
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

    # -- I/O thread -----------------------------------------------------------
    def _io_executor(self) -> ThreadPoolExecutor | None:
        """The archive I/O thread; None where writes run inline: ``ARCHIVE_IO_THREAD`` off,
        a reactor other than asyncio's, or a closing session."""
        if not self.io_thread or self.closed:
            return None
        if self._io is None:
            from scrapy.utils.reactor import is_asyncio_reactor_installed

            if not is_asyncio_reactor_installed():
                self.io_thread = False
                return None
            self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-io")
        return self._io

    async def run_io(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the archive I/O thread (in submission order), awaited."""
        io = self._io_executor()
        if io is None:
            return fn(*args)
        return await asyncio.wrap_future(io.submit(fn, *args))

    def post_io(self, fn: Callable[..., Any], *args: Any, done: Callable[[BaseException | None], None]) -> None:
        """``fn(*args)`` on the archive I/O thread without waiting for it.

        ``done(error)`` runs on the reactor thread afterwards (or at the latest
        when the session closes), with the exception ``fn`` raised or None.
        """

        def call() -> BaseException | None:
            try:
                fn(*args)
            except Exception as exc:
                return exc
            return None

        io = self._io_executor()
        if io is None:
            done(call())
            return
        loop = asyncio.get_running_loop()

        def job() -> None:
            self._io_done.append((done, call()))
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._drain_io_done)

        io.submit(job)

    def _drain_io_done(self) -> None:
        while self._io_done:
            done, error = self._io_done.popleft()
            done(error)

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
                gzip_level=self.crawler.settings.getint("ARCHIVE_WARC_GZIP_LEVEL"),
            )
            self._warc.serial = getattr(self, "_serial_start", 0)
        return self._warc

    def _resume_warcs(self) -> None:
        """After a kill: list the crawl's finished WARCs, close out the one that was open."""
        for key in self.storage.keys(f"warc/{self.crawl_id}/"):
            if key.endswith(".warc.gz"):
                local = self.storage.local_path(key)
                size = local.stat().st_size if local is not None and local.exists() else 0
                self.warc_files.append({"file": key.rsplit("/", 1)[1], "key": key, "bytes": size})
        for open_file in sorted(self.warc_dir.glob("*.warc.gz.open")):
            kept, cut = close_out(open_file)
            final = open_file.with_name(open_file.name.removesuffix(".open"))
            os.replace(open_file, final)
            logger.warning(
                "Closed out %s left open by the interrupted run: %d complete records kept, %d bytes of partial tail cut",
                final.name, kept, cut,
            )
            self._stat("resume/warc_closed_out")
            self._warc_finished(final, final.name)
        self._serial_start = len(self.warc_files)

    @property
    def dedup(self) -> DedupIndex:
        if self._dedup is None:
            try:
                self._dedup = DedupIndex.load(self.storage, self.site)
            except (StorageError, ValueError, OSError) as exc:
                self._stat("archive/dedup/errors")
                logger.error("Could not load the dedup index of site %s (%s); every page is stored in full", self.site, exc)
                self._dedup = DedupIndex()
        return self._dedup

    def _upload_event(self, name: str, count: int) -> None:
        self._stat(f"archive/upload/{name}", count)

    def finish_uploads(self) -> list[str]:
        """Send what is still pending (spooling stores), retrying up to ARCHIVE_SPOOL_CLOSE_TIMEOUT."""
        self.unsent = self.storage.close(self.close_timeout)
        return self.unsent

    def _stat(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def add_page(self, url: str, fetched_at: str, title: str | None, article_id: str) -> None:
        self.pages.append({"id": article_id, "url": url, "ts": iso_ts(fetched_at), "title": title})

    def _warc_finished(self, path: Path, filename: str) -> None:
        size = path.stat().st_size
        key = warc_key(self.crawl_id, filename)
        if self.package_enabled:
            # Index each file as it is finished: a crash later loses no index.
            try:
                self.storage.put_bytes(warc_index_key(self.crawl_id, filename), cdxj_for([path]).encode("utf-8"))
            except Exception as exc:  # cdxj-indexer or storage: never lose the WARC for it
                self._stat("archive/pack/errors")
                logger.error("Could not index %s (%s); run scrapy archive-pack %s", filename, exc, self.crawl_id)
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
        if self._io is not None:
            self._io.shutdown(wait=True)  # everything submitted is written before the files close
            self._drain_io_done()
        if self._warc is not None:
            self._warc.close()
        if self._dedup is not None and self._dedup.dirty:
            self._dedup.last_crawl = {"crawl_id": self.crawl_id, "finished_at": datetime.now(UTC).isoformat()}
            try:
                self._dedup.save(self.storage, self.site)
            except StorageError as exc:
                self._stat("archive/dedup/errors")
                logger.error("Could not save the dedup index of site %s: %s", self.site, exc)
        if self.worker:
            logger.info("Distributed crawl %s: when every worker is done, run scrapy archive-pack %s", self.crawl_id, self.crawl_id)
        if self.package_enabled and self.warc_files:
            try:
                pack_crawl(self.storage, self.crawl_id, [f["file"] for f in self.warc_files], self.pages, self.site)
            except Exception as exc:
                self._stat("archive/pack/errors")
                logger.error("Could not build the CDXJ/WACZ of crawl %s (%s); run scrapy archive-pack %s", self.crawl_id, exc, self.crawl_id)
        self.pages.close()


def pack_crawl(
    storage: Storage,
    crawl_id: str,
    warc_files: list[str],
    pages: Iterable[dict[str, Any]],
    site: str,
    reindex: bool = False,
) -> dict[str, str]:
    """Write the crawl's merged CDXJ and its WACZ from its WARC files; return their keys.

    Per-file indexes written during the crawl are reused unless ``reindex``.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="news-pack-") as tmp:
        paths: list[Path] = []
        parts: list[Path] = []  # each WARC's index, sorted, on disk: merged without holding the crawl's index
        for name in sorted(warc_files):
            key = warc_key(crawl_id, name)
            local = storage.local_path(key)
            if local is None or not local.exists():
                local = Path(tmp) / name
                if not storage.fetch_to(key, local):
                    raise StorageError(f"WARC {key} is missing from {storage.describe()}")
            paths.append(local)
            part = None if reindex else storage.get_bytes(warc_index_key(crawl_id, name))
            if part is None:
                text = cdxj_for([local])
                storage.put_bytes(warc_index_key(crawl_id, name), text.encode("utf-8"))
            else:
                text = part.decode("utf-8")
            parts.append(Path(tmp) / f"part-{len(parts):05d}.cdxj")
            write_sorted_cdxj(text, parts[-1])
            del text, part
        merged = Path(tmp) / "index.cdxj"
        merge_cdxj_files(parts, merged)
        out = Path(tmp) / f"{crawl_id}.wacz"
        build_wacz(out, paths, merged, pages, title=f"{site} — crawl {crawl_id}", software=software_string(),
                   main_page_url=next((page["url"] for page in pages), None))
        storage.put_file(cdxj_key(crawl_id), merged)
        storage.put_file(wacz_key(crawl_id), out)
    return {"cdxj": cdxj_key(crawl_id), "wacz": wacz_key(crawl_id)}
