"""The local-directory backend: ``ARCHIVE_URI=./archive``, ``/data/archive`` or ``file:///data/archive``."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote, urlsplit

from archive.keys import safe_key
from archive.storage import Storage, StorageError, uri_scheme, write_atomic

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


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

    @classmethod
    def from_settings(cls, uri: str, settings: BaseSettings) -> Self:
        """A plain path is used as is; a URI (``file:///data/archive``) gives its path."""
        return cls(uri if uri_scheme(uri) == "" else unquote(urlsplit(uri).path))

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
