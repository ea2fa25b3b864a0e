"""Storage backends: where WARCs, article JSON and manifests end up.

A backend is chosen by ``ARCHIVE_URI``.  Every backend uses the same key
layout (see :mod:`archive.keys`), so a local archive and an S3 archive look
the same.  This module holds the interface and the local-directory backend;
keys are validated by :func:`archive.keys.safe_key` before they touch a file
system or a bucket.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from archive.keys import safe_key


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


class Storage(ABC):
    """Interface of an archive store.  Keys are ``/``-separated relative paths."""

    uri: str

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


class LocalStorage(Storage):
    """A local directory with the archive key layout.

    Writes go to a temporary file in the destination directory, are fsynced
    and then renamed into place, so a reader (or a crash) never sees a
    half-written JSON or WARC.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*safe_key(key).split("/"))

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def staging_dir(self, crawl_id: str) -> Path:
        # Open WARCs live beside their final place (suffix .open), so finishing
        # one is a rename on the same file system.
        path = self._path(f"warc/{crawl_id}")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        dest = self._path(key)
        try:
            write_atomic(dest, data)
        except OSError as exc:
            raise StorageError(f"cannot write {dest}: {exc}") from exc

    def put_file(self, key: str, path: Path) -> None:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        path = Path(path)
        try:
            if path.resolve() == dest:
                return
            try:
                os.replace(path, dest)
            except OSError:
                # Another file system: copy to a temporary name, then rename.
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
                os.close(fd)
                shutil.copyfile(path, tmp)
                os.replace(tmp, dest)
                path.unlink()
        except OSError as exc:
            raise StorageError(f"cannot store {path} as {dest}: {exc}") from exc

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Walk only the directory the prefix names (e.g. "warc/CRAWL/" or "articles/site/").
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self.root.joinpath(*folder.split("/")) if folder else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                yield key


def open_storage(uri: str, settings: Any = None, on_event: Any = None, start_uploader: bool = True) -> Storage:
    """Build the backend named by ``ARCHIVE_URI``.

    A plain path or ``file://`` URI gives :class:`LocalStorage`; ``s3://bucket/prefix``
    gives an S3 store behind a local spool (:class:`archive.spool.SpoolingStorage`).
    """
    if not uri:
        raise StorageError("ARCHIVE_URI is empty: set it to a directory (./archive), a file:// URI or s3://bucket/prefix")
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        from archive.s3 import S3Storage, s3_config_from_settings
        from archive.spool import SpoolingStorage

        remote = S3Storage(s3_config_from_settings(uri, settings))

        def get(name: str, default: Any) -> Any:
            value = settings.get(name) if settings is not None else None
            return default if value in (None, "") else value

        return SpoolingStorage(
            remote,
            get("ARCHIVE_SPOOL_DIR", "./archive-spool"),
            keep_local=str(get("ARCHIVE_S3_KEEP_LOCAL", False)).lower() in ("1", "true", "yes"),
            max_delay=float(get("ARCHIVE_SPOOL_RETRY_MAX_DELAY", 60)),
            on_event=on_event,
            start=start_uploader,
        )
    if parsed.scheme in ("", "file") or (len(parsed.scheme) == 1 and uri[1:3] in (":\\", ":/")):
        path = unquote(parsed.path) if parsed.scheme == "file" else uri
        return LocalStorage(path)
    raise StorageError(
        f"ARCHIVE_URI={uri!r}: unsupported scheme {parsed.scheme!r}; use a local path, a file:// URI or s3://bucket/prefix"
    )
