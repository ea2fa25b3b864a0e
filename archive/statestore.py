"""Per-site state store: what the archive remembers about a site between crawls, looked up on disk.

One small interface (:class:`StateStore`), two backends:

* :class:`SQLiteStateStore` (the default): one SQLite file per site in WAL mode.  Lookups
  are primary-key reads on disk (nothing is loaded into memory at start); each capture is
  written as it is recorded and committed every ``commit_every`` puts (default 1: a commit
  in WAL mode with ``synchronous=NORMAL`` is one ``write()`` to the WAL, no fsync, and
  survives a killed process); several processes of one machine share the file (readers
  never block, writers wait up to ``busy_timeout`` seconds).
* :class:`RedisStateStore` (``REDIS_URL``): a Redis hash per site, one atomic ``HSET`` per
  capture, shared by every process of a distributed crawl.

Both hold *captures by URL* (:class:`archive.dedup.Capture`: payload digest, WARC date,
record id, article key, ETag, Last-Modified) and a small key-value area (``get_value``/
``set_value``) for other per-site state (the last crawl, the legacy import marker).

The repetition learner's blocks (candidates with their pages, learned blocks, pages to re-clean)
are part of every store too: the methods of :class:`archive.blockstate.LearnedBlockState`, each
backend mixing in its implementation from :mod:`archive.blockstate` (SQLite tables ``blocks_*``
in the same file, Redis keys ``{prefix}:{site}:blocks:*``).

The dedup users (:class:`crawler.sitestate.SiteState` and through it the WARC capture and
known-article middlewares) use the same methods as :class:`archive.dedup.DedupIndex`:
``lookup``, ``status``, ``record``, ``set_article`` and the read-only mapping ``captures``.

Why SQLite and not LMDB: SQLite is in the standard library (no binary wheel to pin),
WAL mode gives concurrent readers and serialised writers across processes with a busy
timeout, and a primary-key lookup in a 1,000,000-URL file costs a few microseconds from
Python (``python -m tests.support.bench state``).  LMDB would be faster per lookup, but needs a
fixed map size and a third-party binding, and both costs are far under the network's.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archive.blockstate import LearnedBlockState, MemoryBlockState, RedisBlockState, SQLiteBlockState
from archive.dedup import Capture
from archive.keys import safe_key, site_key

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"


def state_dir_key(site: str) -> str:
    return safe_key(f"state/{site_key(site)}")


def sqlite_key(site: str) -> str:
    """The SQLite state (or its uploaded snapshot) of a site in the archive."""
    return safe_key(f"state/{site_key(site)}/state.sqlite")


@dataclass
class ArticleState:
    """What the state knows of one article URL: its latest JSON, its versions, when it was last checked.

    ``versions`` lists every version of the article kept in the archive, oldest first; each is
    ``{"n", "fetched_at", "content_sha256", "version_sha256", "payload_digest", "warc", "key"}``
    (:mod:`pipelines.versions`); the last one is the latest record, at ``key``.
    ``checked`` is the last time the URL was fetched (whatever the answer: a new version, the same
    bytes, a 304); ``due`` when the refresh policy fetches it next (:mod:`crawler.refresh`).
    """

    id: str
    key: str
    published: str | None
    checked: str
    due: str | None = None
    versions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> ArticleState:
        return cls(**json.loads(raw))


class CaptureView(Mapping[str, Capture]):
    """The store's captures as a read-only mapping (``captures.get(url)``), read on disk."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def __getitem__(self, url: str) -> Capture:
        capture = self._store.get(url)
        if capture is None:
            raise KeyError(url)
        return capture

    def get(self, url: str, default: Any = None) -> Any:  # type: ignore[override]
        capture = self._store.get(url)
        return default if capture is None else capture

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self._store.get(url) is not None

    def __iter__(self) -> Iterator[str]:
        return (url for url, _ in self._store.items())

    def __len__(self) -> int:
        return len(self._store)


class StateStore(LearnedBlockState, ABC):
    """Captures by URL and a small key-value area of one site (see module docstring)."""

    description = ""

    # -- backend -----------------------------------------------------------------
    @abstractmethod
    def get(self, url: str) -> Capture | None:
        """The last full capture of ``url``, if any."""

    @abstractmethod
    def put(self, url: str, capture: Capture) -> None:
        """Record ``capture`` as the last full capture of ``url``."""

    @abstractmethod
    def put_many(self, captures: Iterable[tuple[str, Capture]], *, overwrite: bool = True) -> int:
        """Bulk insert (imports); with ``overwrite=False`` a URL already present is kept."""

    @abstractmethod
    def items(self) -> Iterator[tuple[str, Capture]]:
        """Every (url, capture), in no particular order."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def get_value(self, name: str) -> str | None:
        """A value of the key-value area."""

    @abstractmethod
    def set_value(self, name: str, value: str) -> None: ...

    def set_value_if_absent(self, name: str, value: str) -> bool:
        """Set ``name`` unless it exists; True if this call set it."""
        if self.get_value(name) is not None:
            return False
        self.set_value(name, value)
        return True

    # -- articles: versions and refresh (ArticleState) ---------------------------------
    @abstractmethod
    def get_article(self, url: str) -> ArticleState | None:
        """What the state knows of the article at ``url``, if any."""

    @abstractmethod
    def put_article(self, url: str, article: ArticleState) -> None: ...

    @abstractmethod
    def article_url(self, article_id: str) -> str | None:
        """The URL of the article with this id, if the state knows it."""

    @abstractmethod
    def articles_due(self, now: str, limit: int | None = None) -> Iterator[str]:
        """URLs of known articles whose refresh is due at ``now`` (ISO 8601 UTC), most overdue first;
        every known article with ``now`` = ``"9999"``."""

    def touch_article(self, url: str, checked: str, due: str | None) -> None:
        """The article at ``url`` was fetched again at ``checked``; next refresh at ``due``."""
        article = self.get_article(url)
        if article is not None:
            article.checked, article.due = checked, due
            self.put_article(url, article)

    def flush(self) -> None:  # noqa: B027 - a backend whose puts are durable at once has nothing to do
        """Make every put durable now."""

    def close(self) -> None:
        self.flush()

    # -- the dedup index's API (archive.dedup.DedupIndex) -------------------------
    @property
    def captures(self) -> CaptureView:
        return CaptureView(self)

    def lookup(self, url: str, digest: str) -> Capture | None:
        """The earlier capture of ``url`` with this payload digest, if any."""
        capture = self.get(url)
        return capture if capture is not None and capture.digest == digest else None

    def status(self, url: str, digest: str) -> str:
        """'new', 'changed' or 'unchanged' compared with the last capture of ``url``."""
        capture = self.get(url)
        if capture is None:
            return "new"
        return "unchanged" if capture.digest == digest else "changed"

    def record(
        self, url: str, digest: str, date: str, record_id: str, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A full response of ``url`` was written (its article key kept if the payload is the same)."""
        old = self.get(url)
        keep_article = old.article_key if old is not None and old.digest == digest else None
        self.put(url, Capture(digest, date, record_id, keep_article, etag, last_modified))

    def set_article(self, url: str, key: str) -> None:
        capture = self.get(url)
        if capture is not None and capture.article_key != key:
            capture.article_key = key
            self.put(url, capture)


# -- SQLite --------------------------------------------------------------------------
class SQLiteStateStore(SQLiteBlockState, StateStore):
    """One site's state in one SQLite file, WAL mode (see module docstring)."""

    def __init__(
        self, path: str | os.PathLike[str], *, commit_every: int = 1, commit_interval: float = 1.0,
        busy_timeout: float = 30.0, readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self.description = f"sqlite:{self.path}"
        self.commit_every = max(1, commit_every)
        self.commit_interval = commit_interval
        self.readonly = readonly
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        uri = f"file:{self.path}?mode=ro" if readonly else f"file:{self.path}"
        # isolation_level=None: transactions are opened and committed here, explicitly.
        self._db = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()  # the WARC middleware records on the archive I/O thread
        self._pending = 0
        self._opened_at = 0.0
        if not readonly:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS captures (
                    url TEXT PRIMARY KEY, digest TEXT NOT NULL, date TEXT NOT NULL, record_id TEXT NOT NULL,
                    article_key TEXT, etag TEXT, last_modified TEXT) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS articles (
                    url TEXT PRIMARY KEY, id TEXT NOT NULL, key TEXT NOT NULL, published TEXT,
                    checked TEXT NOT NULL, due TEXT, versions TEXT NOT NULL) WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS articles_by_id ON articles (id);
                CREATE INDEX IF NOT EXISTS articles_by_due ON articles (due);
                """
            )
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    def _begin(self) -> None:
        if self._pending == 0:
            self._db.execute("BEGIN IMMEDIATE")
            self._opened_at = time.monotonic()

    def _wrote(self, count: int = 1) -> None:
        self._pending += count
        if self._pending >= self.commit_every or time.monotonic() - self._opened_at >= self.commit_interval:
            self._commit()

    def _commit(self) -> None:
        if self._pending:
            self._db.execute("COMMIT")
            self._pending = 0

    def get(self, url: str) -> Capture | None:
        with self._lock:
            row = self._db.execute(
                "SELECT digest, date, record_id, article_key, etag, last_modified FROM captures WHERE url = ?", (url,)
            ).fetchone()
        return Capture(*row) if row is not None else None

    def put(self, url: str, capture: Capture) -> None:
        with self._lock:
            self._begin()
            self._db.execute(
                "INSERT OR REPLACE INTO captures VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, capture.digest, capture.date, capture.record_id, capture.article_key, capture.etag,
                 capture.last_modified),
            )
            self._wrote()

    def put_many(self, captures: Iterable[tuple[str, Capture]], *, overwrite: bool = True, chunk: int = 10_000) -> int:
        verb = "INSERT OR REPLACE" if overwrite else "INSERT OR IGNORE"
        total = 0
        batch: list[tuple[Any, ...]] = []

        def write() -> None:
            with self._lock:
                self._commit()
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(f"{verb} INTO captures VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
                self._db.execute("COMMIT")

        for url, c in captures:
            batch.append((url, c.digest, c.date, c.record_id, c.article_key, c.etag, c.last_modified))
            if len(batch) >= chunk:
                write()
                total += len(batch)
                batch = []
        if batch:
            write()
            total += len(batch)
        return total

    def items(self) -> Iterator[tuple[str, Capture]]:
        # Committed captures, streamed through a second connection so a long iteration never
        # holds the lock the crawl's puts take.
        self.flush()
        reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        try:
            for row in reader.execute(
                "SELECT url, digest, date, record_id, article_key, etag, last_modified FROM captures"
            ):
                yield row[0], Capture(*row[1:])
        finally:
            reader.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM captures").fetchone()[0])

    def get_value(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row is not None else None

    def set_value(self, name: str, value: str) -> None:
        with self._lock:
            self._begin()
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
            self._wrote()

    def set_value_if_absent(self, name: str, value: str) -> bool:
        with self._lock:
            self._begin()
            cursor = self._db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (name, value))
            self._wrote()
            return cursor.rowcount == 1

    # -- articles --------------------------------------------------------------------
    _ARTICLE_COLUMNS = "id, key, published, checked, due, versions"

    def _article_rows(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:  # a read-only state written before articles were kept
                if "no such table" in str(exc):
                    return []
                raise

    def get_article(self, url: str) -> ArticleState | None:
        rows = self._article_rows(f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE url = ?", (url,))
        if not rows:
            return None
        article_id, key, published, checked, due, versions = rows[0]
        return ArticleState(article_id, key, published, checked, due, json.loads(versions))

    def put_article(self, url: str, article: ArticleState) -> None:
        with self._lock:
            self._begin()
            self._db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, article.id, article.key, article.published, article.checked, article.due,
                 json.dumps(article.versions, ensure_ascii=False, separators=(",", ":"))),
            )
            self._wrote()

    def touch_article(self, url: str, checked: str, due: str | None) -> None:
        with self._lock:
            self._begin()
            self._db.execute("UPDATE articles SET checked = ?, due = ? WHERE url = ?", (checked, due, url))
            self._wrote()

    def article_url(self, article_id: str) -> str | None:
        rows = self._article_rows("SELECT url FROM articles WHERE id = ? LIMIT 1", (article_id,))
        return str(rows[0][0]) if rows else None

    def articles_due(self, now: str, limit: int | None = None) -> Iterator[str]:
        self.flush()
        reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        try:
            sql = "SELECT url FROM articles WHERE due IS NOT NULL AND due <= ? ORDER BY due"
            try:
                cursor = reader.execute(sql + " LIMIT ?", (now, -1 if limit is None else limit))
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return
                raise
            for (url,) in cursor:
                yield url
        finally:
            reader.close()

    def flush(self) -> None:
        with self._lock:
            self._commit()

    def merge_from(self, other: Path) -> int:
        """Merge another state file into this one: per URL the later capture wins (WARC dates are
        ISO 8601 UTC, so they compare as strings); values only where this one has none."""
        with self._lock:
            self._commit()
            self._db.execute("ATTACH DATABASE ? AS other", (f"file:{other}?mode=ro",))
            try:
                self._db.execute("BEGIN IMMEDIATE")
                cursor = self._db.execute(
                    "INSERT OR REPLACE INTO main.captures SELECT o.* FROM other.captures o "
                    "LEFT JOIN main.captures m ON m.url = o.url WHERE m.url IS NULL OR o.date > m.date"
                )
                self._db.execute("INSERT OR IGNORE INTO main.meta SELECT * FROM other.meta")
                if self._db.execute(
                    "SELECT 1 FROM other.sqlite_master WHERE type = 'table' AND name = 'articles'"
                ).fetchone():
                    # Per article the state of the later check wins (its versions include the earlier ones).
                    self._db.execute(
                        "INSERT OR REPLACE INTO main.articles SELECT o.* FROM other.articles o "
                        "LEFT JOIN main.articles m ON m.url = o.url WHERE m.url IS NULL OR o.checked > m.checked"
                    )
                self._merge_blocks_attached()  # the repetition learner's blocks (archive/blockstate.py)
                self._db.execute("COMMIT")
                return max(0, cursor.rowcount)
            finally:
                self._db.execute("DETACH DATABASE other")

    def snapshot(self, dest: Path) -> None:
        """A consistent copy of the database in one file (no WAL beside it), for upload."""
        with self._lock:
            self._commit()
            target = sqlite3.connect(str(dest))
            try:
                self._db.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()

    def close(self) -> None:
        with self._lock:
            try:
                self._commit()
                if not self.readonly:
                    self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                self._db.close()


# -- Redis ---------------------------------------------------------------------------
def _encode(capture: Capture) -> str:
    return json.dumps([capture.digest, capture.date, capture.record_id, capture.article_key, capture.etag,
                       capture.last_modified], separators=(",", ":"))


def _decode(raw: bytes | str) -> Capture:
    return Capture(*json.loads(raw))


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


class RedisStateStore(RedisBlockState, StateStore):
    """One site's state in Redis: hashes ``{prefix}:{site}:captures`` and ``{prefix}:{site}:meta``."""

    def __init__(self, url: str, site: str, prefix: str = "news-archive:state", client: Any = None) -> None:
        import redis

        self.client = client if client is not None else redis.Redis.from_url(url)
        base = f"{prefix}:{site_key(site)}"
        self.key = f"{base}:captures"
        self.meta_key = f"{base}:meta"
        self.articles_key = f"{base}:articles"  # url -> ArticleState JSON
        self.article_ids_key = f"{base}:article-ids"  # article id -> url
        self.due_key = f"{base}:refresh-due"  # sorted set: url scored by its due time (epoch seconds)
        self.description = f"redis hash {self.key}"

    def get(self, url: str) -> Capture | None:
        raw = self.client.hget(self.key, url)
        return _decode(raw) if raw is not None else None

    def put(self, url: str, capture: Capture) -> None:
        self.client.hset(self.key, url, _encode(capture))

    def put_many(self, captures: Iterable[tuple[str, Capture]], *, overwrite: bool = True, chunk: int = 10_000) -> int:
        total = 0
        pipe = self.client.pipeline(transaction=False)
        for url, capture in captures:
            if overwrite:
                pipe.hset(self.key, url, _encode(capture))
            else:
                pipe.hsetnx(self.key, url, _encode(capture))
            total += 1
            if total % chunk == 0:
                pipe.execute()
        pipe.execute()
        return total

    def items(self) -> Iterator[tuple[str, Capture]]:
        for url, raw in self.client.hscan_iter(self.key, count=1000):
            yield (url.decode("utf-8") if isinstance(url, bytes) else url), _decode(raw)

    def __len__(self) -> int:
        return int(self.client.hlen(self.key))

    def get_value(self, name: str) -> str | None:
        raw = self.client.hget(self.meta_key, name)
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw

    def set_value(self, name: str, value: str) -> None:
        self.client.hset(self.meta_key, name, value)

    def set_value_if_absent(self, name: str, value: str) -> bool:
        return bool(self.client.hsetnx(self.meta_key, name, value))

    # -- articles --------------------------------------------------------------------
    def get_article(self, url: str) -> ArticleState | None:
        raw = self.client.hget(self.articles_key, url)
        return ArticleState.from_json(raw) if raw is not None else None

    def put_article(self, url: str, article: ArticleState) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.articles_key, url, article.to_json())
        pipe.hset(self.article_ids_key, article.id, url)
        if article.due:
            pipe.zadd(self.due_key, {url: _epoch(article.due)})
        else:
            pipe.zrem(self.due_key, url)
        pipe.execute()

    def article_url(self, article_id: str) -> str | None:
        raw = self.client.hget(self.article_ids_key, article_id)
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw

    def articles_due(self, now: str, limit: int | None = None) -> Iterator[str]:
        top = "+inf" if now >= "9999" else _epoch(now)
        start, page = 0, 1000
        while limit is None or start < limit:
            count = page if limit is None else min(page, limit - start)
            urls: list[Any] = list(self.client.zrangebyscore(self.due_key, "-inf", top, start=start, num=count))
            if not urls:
                return
            for u in urls:
                yield u.decode("utf-8") if isinstance(u, bytes) else str(u)
            start += len(urls)

    def close(self) -> None:
        self.client.close()


# -- one crawl per site at a time ------------------------------------------------------
class SiteLockedError(RuntimeError):
    """Another crawl of the same site holds the site's state."""


class SiteLock:
    """An exclusive lock on a site's local state for the life of a crawl (``fcntl.flock``).

    Released by the kernel when the process ends, even killed with SIGKILL: a stale lock
    cannot outlive its crawl on this machine, so no timeout is needed.  The file holds who
    has it (crawl id, host, pid), for the refusal message.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, owner: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise SiteLockedError(
                f"another crawl of this site is running and holds its state ({self.path}: {holder}); "
                "wait for it to finish, or run the crawls as one distributed crawl (REDIS_URL and the same "
                "ARCHIVE_CRAWL_ID)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(owner) + "\n").encode("utf-8"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None


def lease_key(site: str) -> str:
    return safe_key(f"state/{site_key(site)}/lease.json")


class SiteLease:
    """A lease on a site's state in a remote (``s3://``) archive: ``state/{site}/lease.json``.

    Read and written on the remote store itself (not through the spool).  A crawl takes it at
    start, renews it every ``ttl / 3`` seconds from a background thread and gives it back at close
    (``expires_at`` 0).  A lease not renewed for ``ttl`` seconds is stale (its crawl died) and is
    taken over, and so is one held by the same crawl id (the crawl resumed after a kill).  Two crawls starting within the same second could both pass the first read: after
    writing, the lease is read back after ``settle`` seconds and the later writer backs off.
    """

    def __init__(self, remote: Any, site: str, owner: dict[str, Any], ttl: float, settle: float = 1.0) -> None:
        self.remote = remote
        self.key = lease_key(site)
        self.owner = dict(owner)
        self.token = f"{owner.get('host')}-{owner.get('pid')}-{time.time_ns()}"
        self.ttl = ttl
        self.settle = settle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> dict[str, Any] | None:
        raw = self.remote.get_bytes(self.key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _write(self, expires_at: float) -> None:
        body = dict(self.owner, token=self.token, renewed_at=time.time(), expires_at=expires_at)
        self.remote.put_bytes(self.key, (json.dumps(body) + "\n").encode("utf-8"), "application/json")

    def _refuse(self, holder: dict[str, Any]) -> SiteLockedError:
        shown = {k: holder.get(k) for k in ("crawl_id", "host", "pid")}
        left = max(0, int(float(holder.get("expires_at", 0)) - time.time()))
        return SiteLockedError(
            f"another crawl of this site is running and holds its state (lease {self.key}: {json.dumps(shown)}, "
            f"renewed while it runs; stale in {left} s if that crawl died); wait for it to finish, or run the "
            "crawls as one distributed crawl (REDIS_URL and the same ARCHIVE_CRAWL_ID)"
        )

    def acquire(self) -> None:
        holder = self._read()
        live = holder is not None and float(holder.get("expires_at", 0)) > time.time()
        # The same crawl id is this crawl resumed after a kill (JOBDIR): its own lease is taken back.
        if live and holder is not None and holder.get("crawl_id") != self.owner.get("crawl_id"):
            raise self._refuse(holder)
        self._write(time.time() + self.ttl)
        if self.settle:
            time.sleep(self.settle)
            holder = self._read()
            if holder is not None and holder.get("token") != self.token:
                raise self._refuse(holder)
        self._thread = threading.Thread(target=self._renew, name="state-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self._write(time.time() + self.ttl)
            except Exception as exc:  # the store is down: retried at the next period
                logger.warning("Could not renew the lease %s: %s", self.key, exc)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
            self._write(0.0)


# -- in memory -----------------------------------------------------------------------
class MemoryStateStore(MemoryBlockState, StateStore):
    """A state that lives as long as the process (tests; the fallback when the real one cannot be opened)."""

    description = "memory"

    def __init__(self) -> None:
        self._captures: dict[str, Capture] = {}
        self._values: dict[str, str] = {}
        self._articles: dict[str, str] = {}  # url -> ArticleState JSON (a copy, as the other backends)

    def get(self, url: str) -> Capture | None:
        capture = self._captures.get(url)
        return Capture(**vars(capture)) if capture is not None else None

    def put(self, url: str, capture: Capture) -> None:
        self._captures[url] = capture

    def put_many(self, captures: Iterable[tuple[str, Capture]], *, overwrite: bool = True) -> int:
        total = 0
        for url, capture in captures:
            if overwrite or url not in self._captures:
                self._captures[url] = capture
            total += 1
        return total

    def items(self) -> Iterator[tuple[str, Capture]]:
        return iter(list(self._captures.items()))

    def __len__(self) -> int:
        return len(self._captures)

    def get_value(self, name: str) -> str | None:
        return self._values.get(name)

    def set_value(self, name: str, value: str) -> None:
        self._values[name] = value

    def get_article(self, url: str) -> ArticleState | None:
        raw = self._articles.get(url)
        return ArticleState.from_json(raw) if raw is not None else None

    def put_article(self, url: str, article: ArticleState) -> None:
        self._articles[url] = article.to_json()

    def article_url(self, article_id: str) -> str | None:
        return next((url for url, raw in self._articles.items() if ArticleState.from_json(raw).id == article_id), None)

    def articles_due(self, now: str, limit: int | None = None) -> Iterator[str]:
        due = sorted((a.due, url) for url, a in ((u, ArticleState.from_json(r)) for u, r in self._articles.items())
                     if a.due is not None and a.due <= now)
        return iter([url for _, url in due][:limit])
