"""Storage backends: where WARCs, article JSON and manifests end up.

``ARCHIVE_URI`` names the store and its scheme picks the backend class from
``ARCHIVE_STORAGES_BASE`` + ``ARCHIVE_STORAGES`` (dotted paths, as Scrapy's
``FEED_STORAGES``): a path or ``file://`` URI gives :class:`archive.local.LocalStorage`,
``s3://bucket/prefix`` gives :class:`archive.s3.S3Storage` behind the local
spool :class:`archive.spool.SpoolingStorage`.  Every backend uses the same key
layout (:mod:`archive.keys`), and keys are validated by
:func:`archive.keys.safe_key` before they touch a file system or a bucket.

This module holds the interface, :func:`write_atomic` and :func:`open_storage`;
it imports no backend (they are loaded by name, and they import this module).
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy.utils.misc import load_object
from scrapy.utils.python import without_none_values

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# Wraps every RemoteStorage.  Named, not imported: spool.py builds on this module.
SPOOLING_STORAGE = "archive.spool.SpoolingStorage"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` all or nothing: a temporary file beside it, fsynced, then renamed.

    Raises OSError (the temporary file is removed); the file follows the umask.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; archive files follow the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StorageError(Exception):
    """A storage operation failed; the message names the key and the cause."""


class StorageConfigError(StorageError):
    """The settings ask for something the store cannot do (checked before anything is written)."""


class Storage(ABC):
    """Interface of an archive store.  Keys are ``/``-separated relative paths.

    A class named in ``ARCHIVE_STORAGES`` implements :meth:`from_settings`; a
    store across the network subclasses :class:`RemoteStorage`.
    """

    uri: str

    @classmethod
    def from_settings(cls, uri: str, settings: BaseSettings) -> Self:
        """Build the store named by ``uri`` from the crawl's settings (the backend's own settings only)."""
        raise NotImplementedError(f"{cls.__module__}.{cls.__qualname__} cannot be opened from ARCHIVE_URI")

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key`` atomically: readers see the old object or the new one."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Store the finished local file ``path`` under ``key``; ``path`` may be consumed."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes | None:
        """Return the object's bytes, or None if there is no such key."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True if ``key`` exists."""

    @abstractmethod
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Yield keys under ``prefix`` (sorted)."""

    def local_path(self, key: str) -> Path | None:
        """The file holding ``key`` when the store is a local directory, else None."""
        return None

    def fetch_to(self, key: str, dest: Path) -> bool:
        """Copy ``key`` to the local file ``dest``; False if there is no such key."""
        data = self.get_bytes(key)
        if data is None:
            return False
        Path(dest).write_bytes(data)
        return True

    def close(self, timeout: float = 0.0) -> list[str]:
        """Finish pending uploads (spooling stores); return the keys still unsent."""
        return []

    def staging_dir(self, crawl_id: str) -> Path:
        """A local directory where files being written (open WARCs) live."""
        path = Path(tempfile.gettempdir()) / "news-archive-staging" / crawl_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def describe(self) -> str:
        """The store's location without credentials, for logs and manifests."""
        return self.uri


class RemoteStorage(Storage):
    """A store across the network.  :func:`open_storage` puts it behind the local spool
    (:class:`archive.spool.SpoolingStorage`), so a store outage costs time, never data:
    the spool takes every write and uploads it with :meth:`put_file`.
    """

    @abstractmethod
    def put_file(self, key: str, path: Path, metadata: dict[str, str] | None = None) -> None:
        """Upload ``path`` as ``key`` (with object ``metadata``) and verify it; ``path`` is left in place."""

    def check(self) -> None:
        """Check the settings against the store before anything is written (the spool calls it once).

        Raise :class:`StorageConfigError` for what the store cannot do; any other
        :class:`StorageError` means it could not be asked now (uploads will tell).
        """
        return None


def uri_scheme(uri: str) -> str:
    """The scheme that picks the backend: ``""`` for a plain path (a Windows drive letter included)."""
    scheme = urlsplit(uri).scheme
    if len(scheme) == 1 and uri[1:3] in (":\\", ":/"):
        return ""
    return scheme


def storage_classes(settings: BaseSettings) -> dict[str, str]:
    """Scheme -> dotted class path: ``ARCHIVE_STORAGES_BASE`` updated by ``ARCHIVE_STORAGES`` (None removes one)."""
    return dict(without_none_values(settings.getwithbase("ARCHIVE_STORAGES")))


def open_storage(
    uri: str,
    settings: BaseSettings,
    *,
    on_event: Callable[[str, int], None] | None = None,
    start_uploader: bool = True,
) -> Storage:
    """Open the store ``uri`` (``ARCHIVE_URI``) with the crawl's ``settings``.

    The URI's scheme picks the class in ``ARCHIVE_STORAGES``; the class reads
    its own settings in ``from_settings``.  A remote class is wrapped in the
    spool (``ARCHIVE_SPOOL_*``), whose uploader thread starts now unless
    ``start_uploader`` is False (:meth:`Storage.close` then sends what is
    pending); ``on_event(name, count)`` hears of uploads (``uploaded``, ``failed``).
    """
    if not uri:
        raise StorageError("ARCHIVE_URI is empty: set it to a directory (./archive), a file:// URI or s3://bucket/prefix")
    scheme = uri_scheme(uri)
    classes = storage_classes(settings)
    if scheme not in classes:
        known = ", ".join(repr(s) for s in sorted(classes)) or "none"
        raise StorageError(
            f"ARCHIVE_URI={uri!r}: no storage backend for scheme {scheme!r} (known schemes: {known}); "
            f"to add one, map it to a Storage class in ARCHIVE_STORAGES, e.g. "
            f"-s 'ARCHIVE_STORAGES={{\"{scheme}\": \"mypackage.module.MyStorage\"}}'"
        )
    try:
        cls = load_object(classes[scheme])
    except (ImportError, AttributeError, NameError, ValueError) as exc:
        raise StorageError(f"ARCHIVE_STORAGES[{scheme!r}] = {classes[scheme]!r} cannot be loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Storage)):
        raise StorageError(f"ARCHIVE_STORAGES[{scheme!r}] = {classes[scheme]!r} is not a Storage subclass")
    store: Storage = cls.from_settings(uri, settings)
    if isinstance(store, RemoteStorage):
        spool = load_object(SPOOLING_STORAGE)
        store = spool.for_remote(store, settings, on_event=on_event, start=start_uploader)
    return store
