"""SiteState: what the archive remembers about a site between crawls.

Owned by :class:`~crawler.extensions.archive.ArchiveExtension`.  Holds the site's
state store (:mod:`archive.statestore`): per URL its last full capture (payload digest,
date, record id, article key, ETag/Last-Modified), looked up on disk and written as each
capture is recorded, so a killed crawl loses nothing it archived.  The WARC capture
middleware reads it to write revisit records (and records each full capture), the
known-article middleware to skip unchanged articles; the extension records the article
key of each stored article.

Where the state lives (docs/state.md):

* ``REDIS_URL`` set: a Redis hash per site, shared by every process of a distributed crawl;
* a local directory archive: ``state/{site}/state.sqlite`` inside the archive;
* a remote (``s3://``) archive: a working copy under ``ARCHIVE_SPOOL_DIR``; the archive's
  ``state/{site}/state.sqlite`` snapshot is downloaded at start (merged into the working copy
  when there is one: the later capture of each URL wins), and the working copy uploaded as a
  snapshot every ``ARCHIVE_STATE_SNAPSHOT_INTERVAL`` seconds and at close.

Without Redis, the site is locked for the crawl (``state/{site}/crawl.lock`` beside the
local database; with a remote archive also a lease, ``state/{site}/lease.json`` in the store,
renewed while the crawl runs and stale after ``ARCHIVE_STATE_LEASE_TTL`` seconds): a second
crawl of the same site at the same time stops with a clear error.
An existing ``state/{site}/dedup.json.gz`` (the earlier format) is imported the first time
and left in place; the store's ``legacy_import`` value records that it was.

Settings (read by the extension): ``ARCHIVE_DEDUP_ENABLED``, ``REDIS_URL``,
``ARCHIVE_STATE_COMMIT_EVERY``, ``ARCHIVE_STATE_BUSY_TIMEOUT``,
``ARCHIVE_STATE_SNAPSHOT_INTERVAL``, ``ARCHIVE_STATE_LEASE_TTL``, ``ARCHIVE_STATE_REDIS_PREFIX``,
``ARCHIVE_SPOOL_DIR``.
Stats: ``archive/dedup/errors``, ``archive/state/imported``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.dedup import DedupIndex, dedup_key
from archive.keys import site_key
from archive.statestore import (
    ArticleState,
    MemoryStateStore,
    RedisStateStore,
    SiteLease,
    SiteLock,
    SiteLockedError,
    SQLiteStateStore,
    StateStore,
    sqlite_key,
)
from archive.storage import RemoteStorage, Storage, StorageError
from crawler.refresh import RefreshPolicy, iso

if TYPE_CHECKING:
    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)

IMPORT_WAIT = 300.0  # seconds a distributed process waits for another one's import of the earlier state


class SiteState:
    """The per-site state of one crawl (see module docstring)."""

    def __init__(
        self, storage: Storage, site: str, dedup_enabled: bool, stats: Any = None, settings: Any = None,
    ) -> None:
        self.storage = storage
        self.site = site
        self.dedup_enabled = dedup_enabled
        self.stats = stats
        get = settings.get if settings is not None else (lambda name, default=None: default)
        self.redis_url: str = get("REDIS_URL") or ""
        self.redis_prefix: str = get("ARCHIVE_STATE_REDIS_PREFIX") or "news-archive:state"
        self.commit_every = int(get("ARCHIVE_STATE_COMMIT_EVERY") or 1)
        self.busy_timeout = float(get("ARCHIVE_STATE_BUSY_TIMEOUT") or 30.0)
        self.snapshot_interval = float(get("ARCHIVE_STATE_SNAPSHOT_INTERVAL") or 0.0)
        self.spool_dir = Path(get("ARCHIVE_SPOOL_DIR") or "./archive-spool").expanduser()
        # When a stored article is due again (crawler.refresh); the mode is the crawl's business.
        self.refresh = (RefreshPolicy.from_settings(settings) if hasattr(settings, "getfloat")
                        else RefreshPolicy())
        self._store: StateStore | None = None
        self._lock: SiteLock | None = None
        self._lease: SiteLease | None = None
        self.lease_ttl = float(get("ARCHIVE_STATE_LEASE_TTL") or 0.0)
        self._last_snapshot = time.monotonic()
        # A store across the network (behind the local spool): the local database is a working copy.
        self.remote = isinstance(storage, RemoteStorage) or getattr(storage, "remote", None) is not None

    def _error(self) -> None:
        if self.stats is not None:
            self.stats.inc_value("archive/dedup/errors")

    # -- where -----------------------------------------------------------------------
    def local_dir(self) -> Path:
        """The directory of the site's local database (and its lock)."""
        local = None if self.remote else self.storage.local_path(sqlite_key(self.site))
        if local is not None:
            return local.parent
        root = getattr(self.storage, "root", None)  # the spool of a remote store
        base = Path(root) if root is not None else self.spool_dir
        return base / "state" / site_key(self.site)

    # -- life cycle ---------------------------------------------------------------
    def acquire(self, crawl_id: str) -> None:
        """Lock the site's local state for this crawl (not with Redis: every process shares it).

        Raises :class:`archive.statestore.SiteLockedError` when another crawl holds it.
        """
        if not self.dedup_enabled or self.redis_url or self._lock is not None:
            return
        owner = {"crawl_id": crawl_id, "host": socket.gethostname(), "pid": os.getpid(),
                 "since": datetime.now(UTC).isoformat()}
        lock = SiteLock(self.local_dir() / "crawl.lock")
        lock.acquire(owner)
        self._lock = lock
        remote = getattr(self.storage, "remote", None) or (self.storage if isinstance(self.storage, RemoteStorage) else None)
        if remote is not None and self.lease_ttl > 0:
            lease = SiteLease(remote, self.site, owner, self.lease_ttl)
            try:
                lease.acquire()
            except SiteLockedError:
                self.release()
                raise
            except (StorageError, OSError) as exc:
                logger.warning("Could not take the lease of site %s in %s (%s): crawling without it; another "
                               "machine's crawl of the site would not be refused", self.site, self.storage.describe(), exc)
                return
            self._lease = lease

    def release(self) -> None:
        """Give the site back (lease, then local lock)."""
        if self._lease is not None:
            try:
                self._lease.release()
            except Exception as exc:
                logger.warning("Could not give back the lease of site %s: %s (it goes stale by itself)", self.site, exc)
            self._lease = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def open(self, crawl_id: str) -> None:
        """At the start of a crawl: lock the site (without Redis), open its state, import the legacy index."""
        if self.dedup_enabled:
            self.acquire(crawl_id)
            _ = self.dedup

    @property
    def dedup(self) -> StateStore:
        """The site's state store, opened on first use."""
        if self._store is None:
            try:
                self._store = self._open()
            except Exception as exc:  # sqlite3.Error, OSError, redis errors
                self._error()
                logger.error("Could not open the state of site %s (%s); every page is stored in full", self.site, exc)
                self._store = MemoryStateStore()
        return self._store

    def open_readonly(self) -> StateStore | None:
        """The site's state for reading only (commands such as ``archive-history``): no lock, no
        import; a remote archive's snapshot is downloaded to a temporary file.  None if there is none."""
        if self.redis_url:
            return RedisStateStore(self.redis_url, self.site, self.redis_prefix)
        local = None if self.remote else self.storage.local_path(sqlite_key(self.site))
        if local is None:
            tmp = Path(tempfile.mkdtemp(prefix="news-state-")) / "state.sqlite"
            try:
                if not self.storage.fetch_to(sqlite_key(self.site), tmp):
                    return None
            except StorageError:
                return None
            local = tmp
        if not local.exists():
            return None
        return SQLiteStateStore(local, readonly=True)

    def _open(self) -> StateStore:
        store: StateStore
        if self.redis_url:
            store = RedisStateStore(self.redis_url, self.site, self.redis_prefix)
        else:
            path = self.local_dir() / "state.sqlite"
            snapshot = self._download(path) if self.remote else None
            store = SQLiteStateStore(path, commit_every=self.commit_every, busy_timeout=self.busy_timeout)
            if snapshot is not None:
                # The working copy was already here (this machine crawled the site before): the archive's
                # snapshot may hold later captures (another machine's crawl) — the later one of each URL wins.
                try:
                    merged = store.merge_from(snapshot)
                    logger.info("Merged the state snapshot of site %s into %s (%d captures newer)", self.site, path, merged)
                finally:
                    snapshot.unlink(missing_ok=True)
        # No count here: counting a large SQLite state reads the whole file (HLEN would be cheap).
        logger.info("State of site %s: %s", self.site, store.description)
        self._import_legacy(store)
        return store

    def _download(self, path: Path) -> Path | None:
        """The archive's snapshot of the state, to disk (never whole into memory): it becomes the working
        copy ``path`` when there is none, else it is returned to be merged into it (the caller deletes it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".download")
        try:
            if self.storage.fetch_to(sqlite_key(self.site), tmp):
                logger.info("Downloaded the state snapshot of site %s to %s", self.site, path.parent)
                if not path.exists():
                    os.replace(tmp, path)
                    return None
                return tmp
        except (StorageError, OSError) as exc:
            self._error()
            logger.error("Could not download the state of site %s (%s); starting from the local copy, the legacy "
                         "index or empty", self.site, exc)
        tmp.unlink(missing_ok=True)
        return None

    def _import_legacy(self, store: StateStore) -> None:
        """``state/{site}/dedup.json.gz`` into the store, once (the file is left in place)."""
        if store.get_value("legacy_import") is not None:
            return
        if not store.set_value_if_absent("legacy_import_claim", str(time.time())):
            # Another process of a distributed crawl is importing: wait for it (a claim older
            # than IMPORT_WAIT is a process that died importing: take it over).
            claimed = float(store.get_value("legacy_import_claim") or 0)
            while store.get_value("legacy_import") is None and time.time() < claimed + IMPORT_WAIT:
                time.sleep(0.2)
            if store.get_value("legacy_import") is not None:
                return
            store.set_value("legacy_import_claim", str(time.time()))
        count = 0
        try:
            local = self.local_dir() / "state.sqlite"
            if isinstance(store, RedisStateStore) and local.exists():
                # Earlier crawls without Redis: their state continues in Redis.
                earlier = SQLiteStateStore(local, readonly=True)
                try:
                    count += store.put_many(earlier.items(), overwrite=False)
                finally:
                    earlier.close()
                logger.info("Imported %d captures of site %s from %s", count, self.site, local)
            if self.storage.exists(dedup_key(self.site)):
                legacy = DedupIndex.load(self.storage, self.site)
                count += store.put_many(legacy.captures.items(), overwrite=False)
                if legacy.last_crawl:
                    store.set_value_if_absent("last_crawl", json.dumps(legacy.last_crawl))
                logger.info("Imported %d captures of site %s from %s (left in place)", count, self.site,
                            dedup_key(self.site))
        except (StorageError, ValueError, OSError) as exc:
            self._error()
            logger.error("Could not import the dedup index of site %s (%s); its pages are stored in full", self.site, exc)
        store.set_value("legacy_import", json.dumps({"at": datetime.now(UTC).isoformat(), "captures": count}))
        store.flush()
        if self.stats is not None and count:
            self.stats.set_value("archive/state/imported", count)

    # -- events ------------------------------------------------------------------------
    def record(self, url: str, digest: str, date: str, record_id: str, etag: str | None, last_modified: str | None) -> None:
        """A full response was written (called on the archive I/O thread, right after the WARC record)."""
        try:
            self.dedup.record(url, digest, date, record_id, etag=etag, last_modified=last_modified)
        except Exception as exc:  # the capture is archived; only its dedup entry is lost
            self._error()
            logger.error("Could not record the capture of %s in the state of site %s: %s", url, self.site, exc)
            return
        if self.remote and self.snapshot_interval and time.monotonic() - self._last_snapshot >= self.snapshot_interval:
            self._last_snapshot = time.monotonic()
            self._upload()

    def article_stored(self, item: ArticleItem, key: str) -> None:
        """The article JSON of ``item`` was stored under ``key``: its capture points at it, and its
        article state (versions, when the refresh policy fetches it next) is updated."""
        if not self.dedup_enabled:
            return
        try:
            self.dedup.set_article(item.url, key)
            born = item.published or (item.versions_state[0]["fetched_at"] if item.versions_state else None)
            checked = iso(datetime.fromisoformat(item.fetched_at.replace("Z", "+00:00")))
            self.dedup.put_article(item.url, ArticleState(
                id=item.id, key=key, published=born or item.fetched_at, checked=checked,
                due=self.refresh.next_due(born or item.fetched_at, checked), versions=item.versions_state,
            ))
        except Exception as exc:
            self._error()
            logger.error("Could not record the article of %s in the state of site %s: %s", item.url, self.site, exc)

    def _upload(self) -> None:
        """A snapshot of the local database to the remote archive (``state/{site}/state.sqlite``)."""
        store = self._store
        if not isinstance(store, SQLiteStateStore):
            return
        snap = store.path.with_name(f"snapshot-{os.getpid()}.sqlite")
        try:
            snap.unlink(missing_ok=True)
            store.snapshot(snap)
            self.storage.put_file(sqlite_key(self.site), snap)  # the spool takes the file over
        except (StorageError, OSError, Exception) as exc:
            self._error()
            logger.error("Could not upload the state snapshot of site %s: %s", self.site, exc)
        finally:
            snap.unlink(missing_ok=True)

    def close(self, crawl_id: str) -> None:
        """Record the crawl in the state, upload the snapshot (remote archive), release the lock."""
        try:
            if self._store is not None:
                try:
                    self._store.set_value(
                        "last_crawl", json.dumps({"crawl_id": crawl_id, "finished_at": datetime.now(UTC).isoformat()})
                    )
                    self._store.flush()
                    if self.remote:
                        self._upload()
                    self._store.close()
                except Exception as exc:
                    self._error()
                    logger.error("Could not close the state of site %s: %s", self.site, exc)
                self._store = None
        finally:
            self.release()
