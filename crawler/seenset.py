"""SeenSet: a set of 64-bit keys in a private SQLite file, so that "seen" sets stay flat in memory.

A crawl discovering millions of URLs would otherwise keep a fingerprint per URL in a Python set: Scrapy's
duplicate filter holds 20-byte ``bytes`` objects, about 90 bytes each with the set's slots (measured: a crawl
discovering 2,000,000 URLs peaked 179 MB above the same crawl discovering 20,000; docs/state.md). A SeenSet
keeps each key as the ``INTEGER PRIMARY KEY`` (the rowid) of a table in a SQLite file of its own, made in
``directory`` (the system's temporary directory by default) and unlinked as soon as it is open: nothing is
left behind, even by a crawl killed with SIGKILL, and its space is freed when :meth:`SeenSet.close` (or the
end of the process) closes it. Memory is SQLite's page cache, ``cache_mb``, whatever the number of keys; the
file takes about 16 bytes per key (2,000,000 keys: 32 MB), read through the operating system's page cache,
which the kernel gives back under pressure.

The file is scratch space: no rollback journal, no fsync, an exclusive lock, and keys are added inside one
open transaction committed every few thousand keys (a commit writes the changed pages, no fsync). Adding and
looking up is one statement, ``INSERT OR IGNORE``, whose row count says whether the key was new: 4.7 µs per
new key and 3.0 µs per repeat with a 4 MB cache and 2,100,000 keys (measured, docs/state.md), against
milliseconds per fetch.

Keys are signed 64-bit integers: :func:`key_of` takes the first 8 bytes of a digest (a request fingerprint is
a SHA-1). Two different digests share their first 8 bytes with probability about n²/2⁶⁵ among n keys (one in
ten million for 2,000,000 keys); the later one is then taken as seen.

If the file cannot be written (disk full, directory removed), the error is logged once, ``on_error`` is
called (its owner counts it) and keys added from then on are kept in memory; keys already on disk are still
looked up there while it can be read. Nothing is lost: a key that can no longer be found is only taken as
new again. With ``on_disk=False`` the set is in memory from the start (a Python set of ints, about 70
bytes per key).

One thread at a time: the reactor's, for every user in the crawler.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

_COMMIT_EVERY = 5000  # keys added between commits (the pages they changed stay in SQLite's cache meanwhile)
_INSERT = "INSERT OR IGNORE INTO seen (key) VALUES (?)"
_SELECT = "SELECT 1 FROM seen WHERE key = ?"


def key_of(digest: bytes) -> int:
    """The set key of a digest (at least 8 bytes, e.g. a request fingerprint): its first 8 bytes, signed."""
    return int.from_bytes(digest[:8], "big", signed=True)


def url_key(url: str) -> int:
    """The set key of a URL as written (no canonicalisation): a 64-bit BLAKE2b of its UTF-8 bytes."""
    return key_of(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest())


class SeenSet:
    """A set of 64-bit integer keys on disk (see module docstring)."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        on_disk: bool = True,
        cache_mb: float = 4.0,
        name: str = "seen",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.name = name
        self.on_error = on_error
        self.count = 0
        self.directory = str(directory or tempfile.gettempdir())
        self.path: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None
        self._memory: set[int] | None = None if on_disk else set()
        self._uncommitted = 0
        if not on_disk:
            return
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix=f"news-{name}-", suffix=".sqlite", dir=self.directory)
            os.close(fd)
        except OSError as exc:
            self._fail(exc)
            return
        self.path = Path(path)
        db = None
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "temp_store=MEMORY",
                           f"cache_size={-max(64, int(cache_mb * 1024))}"):  # negative: KiB
                db.execute("PRAGMA " + pragma)
            db.execute("CREATE TABLE seen (key INTEGER PRIMARY KEY)")
            db.execute("BEGIN")
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            self._fail(exc)
            return
        finally:
            # The connection keeps the file open: unlinked now, nothing is left behind even if the process is
            # killed, and the space is freed when the connection closes (SQLite checks whether its file was
            # moved only to write a rollback journal, and there is none).
            with contextlib.suppress(OSError):
                os.unlink(path)
        self._db, self._cursor = db, db.cursor()
        logger.debug("Set %s of seen keys on disk in %s (unlinked)", name, path)

    @property
    def on_disk(self) -> bool:
        """True while keys are added to the file (False in memory, or after a disk error)."""
        return self._memory is None

    def __len__(self) -> int:
        return self.count

    def add(self, key: int) -> bool:
        """Add ``key``; True when it was not in the set yet."""
        if self._memory is None:
            assert self._cursor is not None and self._db is not None
            try:
                self._cursor.execute(_INSERT, (key,))
                if self._cursor.rowcount != 1:
                    return False
                self._uncommitted += 1
                if self._uncommitted >= _COMMIT_EVERY:
                    self._uncommitted = 0
                    self._db.execute("COMMIT")
                    self._db.execute("BEGIN")
            except sqlite3.Error as exc:
                self._fail(exc)
                return self.add(key)
            self.count += 1
            return True
        if key in self._memory or self._on_disk(key):
            return False
        self._memory.add(key)
        self.count += 1
        return True

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int):
            return False
        if self._memory is not None:
            return key in self._memory or self._on_disk(key)
        return self._on_disk(key)

    def _on_disk(self, key: int) -> bool:
        if self._cursor is None:
            return False
        try:
            return self._cursor.execute(_SELECT, (key,)).fetchone() is not None
        except sqlite3.Error:
            return False  # an unreadable file: the key is taken as new (fetched again, never lost)

    def _fail(self, exc: BaseException) -> None:
        self._memory = set()
        logger.error(
            "Cannot write the set of seen %s on disk in %s (%s: %s); keeping the following ones in memory. "
            "Free space there or set NEWS_QUEUE_DIR to another disk.",
            self.name, self.directory, type(exc).__name__, exc,
        )
        if self.on_error is not None:
            self.on_error(exc)

    def file_bytes(self) -> int:
        """Size of the file (0 in memory): SQLite's pages."""
        if self._db is None:
            return 0
        try:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            return int(pages) * int(self._db.execute("PRAGMA page_size").fetchone()[0])
        except sqlite3.Error:
            return 0

    def close(self) -> None:
        """Close the file, which frees its space (the set is empty afterwards)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = self._cursor = None
        self._memory = set()  # closed: an empty set in memory
        self.count = 0
