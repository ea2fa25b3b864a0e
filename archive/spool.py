"""SpoolingStorage: every write lands on local disk first, then goes to the remote store.

A store outage must cost time, never data.  So :func:`archive.storage.open_storage`
puts every remote backend (:class:`archive.storage.RemoteStorage`, e.g. :class:`archive.s3.S3Storage`)
behind this outbox: an object is written atomically into
``ARCHIVE_SPOOL_DIR/{scheme}/{location}/pending/{key}`` (``s3/bucket/prefix/…``),
and a background uploader thread sends pending objects to the store, which
verifies them (size and MD5/ETag for S3); only then is the local copy removed
(or moved to ``…/uploaded/`` with ``ARCHIVE_S3_KEEP_LOCAL``).  When the store
fails, the uploader backs off (1 s doubling to ``ARCHIVE_SPOOL_RETRY_MAX_DELAY``)
and the crawl goes on writing to the spool.  At the end of the crawl
:meth:`SpoolingStorage.close` keeps trying for up to the timeout it is given
(``ARCHIVE_SPOOL_CLOSE_TIMEOUT``); what is still unsent is reported (log,
stats, manifest) and ``scrapy archive-sync`` uploads it later — uploads are
idempotent (same key, same bytes), so a resumed sync never duplicates.

Reads look in the spool first (the newest version of a key may not be sent
yet), then in the store.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self

from archive.keys import safe_key
from archive.storage import RemoteStorage, Storage, StorageConfigError, StorageError, write_atomic

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def object_metadata(key: str, path: Path) -> dict[str, str]:
    """S3 object metadata linking an article JSON to its WARC record."""
    if not (key.startswith("articles/") and key.endswith(".json")):
        return {}
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    warc = record.get("warc") or {}
    meta = {
        "article-id": str(record.get("id", "")),
        "warc-file": str(warc.get("file", "")),
        "warc-record-id": str(warc.get("record_id", "")),
        "warc-offset": str(warc.get("offset", "")),
        "warc-length": str(warc.get("length", "")),
    }
    return {k: v for k, v in meta.items() if v and v.isascii()}


class SpoolingStorage(Storage):
    """A remote store behind a local outbox (see module docstring)."""

    def __init__(
        self,
        remote: RemoteStorage,
        spool_dir: str | os.PathLike[str],
        *,
        keep_local: bool,
        max_delay: float,
        on_event: Callable[[str, int], None] | None = None,
        start: bool = True,
    ) -> None:
        self.remote = remote
        self.uri = remote.uri
        root = Path(spool_dir).expanduser().resolve()
        # One spool per remote location: s3://bucket/prefix -> s3/bucket/prefix.
        self.root = root / remote.uri.replace("://", "/", 1).replace(":", "_")
        self.pending = self.root / "pending"
        self.uploaded = self.root / "uploaded"
        self.open_dir = self.root / "open"
        for d in (self.pending, self.open_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.keep_local = keep_local
        self.max_delay = max_delay
        self.on_event = on_event or (lambda name, n: None)
        self.store_up = True
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._draining = False
        self._thread: threading.Thread | None = None
        try:
            remote.check()
        except StorageConfigError:
            raise  # say so before crawling
        except StorageError as exc:
            logger.warning("Could not check the settings against %s now (%s); uploads will retry", remote.describe(), exc)
        if start:
            self.start()

    @classmethod
    def for_remote(
        cls,
        remote: RemoteStorage,
        settings: BaseSettings,
        *,
        on_event: Callable[[str, int], None] | None = None,
        start: bool = True,
    ) -> Self:
        """The spool for ``remote`` as the settings describe it (``ARCHIVE_SPOOL_*``, ``ARCHIVE_S3_KEEP_LOCAL``)."""
        return cls(
            remote,
            settings.get("ARCHIVE_SPOOL_DIR"),
            keep_local=settings.getbool("ARCHIVE_S3_KEEP_LOCAL"),
            max_delay=settings.getfloat("ARCHIVE_SPOOL_RETRY_MAX_DELAY"),
            on_event=on_event,
            start=start,
        )

    # -- local spool --------------------------------------------------------
    def _path(self, base: Path, key: str) -> Path:
        return base.joinpath(*safe_key(key).split("/"))

    def describe(self) -> str:
        return f"{self.remote.describe()} (spool {self.root})"

    def staging_dir(self, crawl_id: str) -> Path:
        path = self.open_dir / safe_key(crawl_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def local_path(self, key: str) -> Path | None:
        """The local copy of ``key``: still pending, or kept after upload (ARCHIVE_S3_KEEP_LOCAL)."""
        for base in (self.pending, self.uploaded):
            path = self._path(base, key)
            if path.exists():
                return path
        return None

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        dest = self._path(self.pending, key)
        try:
            write_atomic(dest, data)
        except OSError as exc:
            raise StorageError(f"cannot spool {key} in {self.pending}: {exc}") from exc
        self._wake.set()

    def put_file(self, key: str, path: Path) -> None:
        dest = self._path(self.pending, key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, dest)
        except OSError:
            tmp = dest.with_name(".tmp-" + dest.name)
            shutil.copyfile(path, tmp)
            os.replace(tmp, dest)
            Path(path).unlink()
        self._wake.set()

    def get_bytes(self, key: str) -> bytes | None:
        local = self._path(self.pending, key)
        if local.exists():
            try:
                return local.read_bytes()
            except FileNotFoundError:  # uploaded meanwhile
                pass
        return self.remote.get_bytes(key)

    def fetch_to(self, key: str, dest: Path) -> bool:
        local = self.local_path(key)
        if local is not None:
            try:
                shutil.copyfile(local, dest)
                return True
            except FileNotFoundError:
                pass
        return bool(self.remote.fetch_to(key, dest))

    def exists(self, key: str) -> bool:
        return self._path(self.pending, key).exists() or self.remote.exists(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        keys = set(self.remote.keys(prefix))
        keys |= {k for k in self.pending_keys() if k.startswith(prefix)}
        yield from sorted(keys)

    def pending_keys(self) -> list[str]:
        out = []
        for path in self.pending.rglob("*"):
            if path.is_file() and not path.name.startswith(".tmp-"):
                out.append(path.relative_to(self.pending).as_posix())
        # Upload data before the manifest that lists it.
        return sorted(out, key=lambda k: (k.startswith("crawls/"), k))

    # -- uploading ------------------------------------------------------------
    def upload_one(self, key: str) -> bool:
        """Send one pending object; True if it is now safely in the store."""
        path = self._path(self.pending, key)
        try:
            before = path.stat()
        except FileNotFoundError:
            return True
        self.remote.put_file(key, path, object_metadata(key, path))
        try:
            after = path.stat()
        except FileNotFoundError:
            return True
        if (after.st_ino, after.st_mtime_ns, after.st_size) != (before.st_ino, before.st_mtime_ns, before.st_size):
            return False  # rewritten while uploading: send the new version next round
        if self.keep_local:
            dest = self._path(self.uploaded, key)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)
        else:
            path.unlink()
        self.on_event("uploaded", 1)
        return True

    def flush_once(self) -> int:
        """Try every pending object once; return how many remain.  Raises nothing."""
        for key in self.pending_keys():
            if self._stop.is_set() and not self._draining:
                break
            try:
                self.upload_one(key)
                if not self.store_up:
                    logger.warning("Archive store %s is reachable again; sending the spool", self.remote.describe())
                self.store_up = True
            except (StorageError, OSError) as exc:
                self.on_event("failed", 1)
                if self.store_up:
                    logger.error(
                        "Upload to %s failed (%s); keeping outputs in the spool %s and retrying", self.remote.describe(), exc, self.pending
                    )
                self.store_up = False
                break
        return len(self.pending_keys())

    def _run(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            remaining = self.flush_once()
            if remaining and not self.store_up:
                self._stop.wait(delay)
                delay = min(delay * 2, self.max_delay)
                continue
            delay = 1.0
            self._wake.wait(1.0)
            self._wake.clear()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="archive-uploader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            self._thread = None

    def drain(self, timeout: float) -> list[str]:
        """Upload everything pending, retrying with backoff for up to ``timeout`` s; return keys left."""
        self.stop()
        self._draining = True
        deadline = time.monotonic() + timeout
        delay = 1.0
        remaining = self.pending_keys()
        while remaining:
            self.flush_once()
            remaining = self.pending_keys()
            if not remaining or time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, self.max_delay)
        self._draining = False
        return remaining

    def close(self, timeout: float = 0.0) -> list[str]:
        return self.drain(timeout)
