"""WarcRecorder: the crawl's WARC files, and the only writer of their records.

Owned by :class:`~crawler.extensions.archive.ArchiveExtension`.  It opens
rotating WARC/1.1 files (:class:`archive.warcwriter.RotatingWarcWriter`) under
the crawl id, with a warcinfo record naming the software, operator, robots
policy and User-Agent; writes request/response/revisit and metadata records on
the archive I/O thread (:class:`archive.iothread.ArchiveIO`); and hands every
finished file to the packager's indexer, then to the store.  After a kill
(same ``JOBDIR``), it lists the crawl's finished WARCs and closes out the one
left open (its partial tail cut and logged).

Components write records through it: the WARC capture middleware (exchanges,
failed fetches, metadata of responses that never reach the spider) and the
capture metadata spider middleware (metadata with a page's outlinks).

Settings (read by the extension): ``ARCHIVE_WARC_PREFIX``, ``ARCHIVE_WARC_MAX_SIZE``,
``ARCHIVE_WARC_GZIP_LEVEL``, ``ARCHIVE_WARC_TEMP_DIR``, ``ARCHIVE_OPERATOR``,
``NEWS_CONTACT_URL``, ``USER_AGENT``, ``ROBOTSTXT_OBEY``.
Stats: ``archive/warc/files``, ``archive/warc/bytes``, ``resume/warc_closed_out``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archive.iothread import ArchiveIO, Done
from archive.keys import warc_key
from archive.storage import Storage
from archive.warcwriter import HttpExchange, RecordPointer, RevisitOf, RotatingWarcWriter, close_out

logger = logging.getLogger(__name__)


class WarcRecorder:
    """Writes the crawl's WARC records and stores its finished WARC files (see module docstring)."""

    def __init__(
        self,
        storage: Storage,
        crawl_id: str,
        directory: Path,
        io: ArchiveIO,
        *,
        prefix: str,
        max_size: int,
        gzip_level: int,
        warcinfo: dict[str, str],
        on_finished: Callable[[Path, str], None] | None = None,
        stats: Any = None,
    ) -> None:
        self.storage = storage
        self.crawl_id = crawl_id
        self.directory = directory
        self.io = io
        self.prefix = prefix
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.warcinfo = warcinfo
        self.on_finished = on_finished
        self.stats = stats
        self.files: list[dict[str, Any]] = []  # finished WARC files of this crawl: file, key, bytes
        self._writer: RotatingWarcWriter | None = None
        self._serial_start = 0

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    @property
    def writer(self) -> RotatingWarcWriter:
        """The open rotating writer (the first file is opened with the first record)."""
        if self._writer is None:
            self._writer = RotatingWarcWriter(
                self.directory,
                prefix=self.prefix,
                max_size=self.max_size,
                warcinfo=self.warcinfo,
                on_close=self._finished,
                gzip_level=self.gzip_level,
            )
            self._writer.serial = self._serial_start
        return self._writer

    # -- records -----------------------------------------------------------------
    async def record_exchange(
        self, exchange: HttpExchange, revisit_of: RevisitOf | None, fields: list[tuple[str, str]] | None,
        written: Callable[[RecordPointer], None] | None = None,
    ) -> tuple[RecordPointer, int]:
        """Write an exchange (and its metadata record when ``fields``); return the response/revisit
        record's pointer and the CPU milliseconds it took.  ``written(pointer)`` runs on the I/O
        thread as soon as the records are flushed (the site state records the capture there, so a
        kill cannot fall between the two)."""
        return await self.io.run(self._write_exchange, exchange, revisit_of, fields, written)

    def _write_exchange(
        self, exchange: HttpExchange, revisit_of: RevisitOf | None, fields: list[tuple[str, str]] | None,
        written: Callable[[RecordPointer], None] | None = None,
    ) -> tuple[RecordPointer, int]:
        started = time.thread_time()
        pointer = self.writer.write_exchange(exchange, revisit_of)
        if fields is not None:
            self.writer.write_metadata(exchange.url, pointer.record_id, fields)
        if written is not None:
            written(pointer)
        return pointer, int(1000 * (time.thread_time() - started))

    async def record_metadata(self, url: str, concurrent_to: str | None, fields: list[tuple[str, str]]) -> RecordPointer:
        """Write a metadata record (awaited)."""
        return await self.io.run(self.writer.write_metadata, url, concurrent_to, fields)

    async def record_metadata_block(self, url: str, concurrent_to: str | None, content_type: str, body: bytes) -> RecordPointer:
        """Write a metadata record with a block of another content type (a PEM certificate chain)."""
        return await self.io.run(self.writer.write_metadata_block, url, concurrent_to, content_type, body)

    def post_metadata(self, url: str, concurrent_to: str | None, fields: list[tuple[str, str]], done: Done) -> None:
        """Write a metadata record without waiting; ``done(error)`` runs on the reactor thread."""
        self.io.post(self.writer.write_metadata, url, concurrent_to, fields, done=done)

    # -- files -------------------------------------------------------------------
    def open_bytes(self) -> int:
        """Bytes written so far to the WARC file still open (for progress lines)."""
        writer = self._writer
        name = writer.current_file if writer is not None else None
        if writer is None or name is None:
            return 0
        try:
            return (writer.directory / (name + ".open")).stat().st_size
        except OSError:
            return 0

    def resume(self) -> None:
        """After a kill: list the crawl's finished WARCs, close out the one that was open."""
        for key in self.storage.keys(f"warc/{self.crawl_id}/"):
            if key.endswith(".warc.gz"):
                local = self.storage.local_path(key)
                size = local.stat().st_size if local is not None and local.exists() else 0
                self.files.append({"file": key.rsplit("/", 1)[1], "key": key, "bytes": size})
        for open_file in sorted(self.directory.glob("*.warc.gz.open")):
            kept, cut = close_out(open_file)
            final = open_file.with_name(open_file.name.removesuffix(".open"))
            os.replace(open_file, final)
            logger.warning(
                "Closed out %s left open by the interrupted run: %d complete records kept, %d bytes of partial tail cut",
                final.name, kept, cut,
            )
            self._inc("resume/warc_closed_out")
            self._finished(final, final.name)
        self._serial_start = len(self.files)

    def _finished(self, path: Path, filename: str) -> None:
        size = path.stat().st_size
        key = warc_key(self.crawl_id, filename)
        if self.on_finished is not None:
            self.on_finished(path, filename)  # indexed before the store may consume the file
        self.storage.put_file(key, path)
        self.files.append({"file": filename, "key": key, "bytes": size})
        self._inc("archive/warc/files")
        self._inc("archive/warc/bytes", size)

    def close(self) -> None:
        """Finish the open WARC file (after the I/O thread has written everything submitted)."""
        if self._writer is not None:
            self._writer.close()
