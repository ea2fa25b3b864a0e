"""Packager: the crawl's CDXJ index, page list and WACZ package.

Owned by :class:`~crawler.extensions.archive.ArchiveExtension`.  Each WARC file
is indexed as it is finished (a crash later loses no index); the article pages
stored by the crawl are kept in a temporary page list (:class:`archive.packaging.PageLog`);
when the crawl closes, the per-file indexes are merged into the crawl's CDXJ
and the WACZ is built (:func:`pack_crawl`, also used by ``scrapy archive-pack``).

A distributed crawl (``REDIS_URL``) is packed once every process is done, by
``scrapy archive-pack``; its processes only index their own WARCs.

Settings (read by the extension): ``ARCHIVE_PACKAGE_ENABLED``.
Stats: ``archive/pack/errors``.
"""

from __future__ import annotations

import logging
import os
import platform
import tempfile
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import scrapy
import trafilatura

from archive.keys import cdxj_key, wacz_key, warc_index_key, warc_key
from archive.packaging import PageLog, build_wacz, cdxj_for, iso_ts, merge_cdxj_files, write_sorted_cdxj
from archive.storage import Storage, StorageError

logger = logging.getLogger(__name__)

SOFTWARE_NAME = "news-archive-crawler"
SOFTWARE_VERSION = "0.1.0"


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


def software_string() -> str:
    """This software and the libraries that shape its output, for warcinfo, manifests and WACZ."""
    return (
        f"{SOFTWARE_NAME}/{SOFTWARE_VERSION} Scrapy/{scrapy.__version__} warcio/{_version('warcio')} "
        f"trafilatura/{trafilatura.__version__} Python/{platform.python_version()}"
    )


class Packager:
    """Indexes finished WARCs, keeps the page list, packs the crawl at close."""

    def __init__(self, storage: Storage, crawl_id: str, site: str, enabled: bool, stats: Any = None) -> None:
        self.storage = storage
        self.crawl_id = crawl_id
        self.site = site
        self.enabled = enabled
        self.stats = stats
        self.pages = PageLog()  # article pages for the WACZ, in a temporary file

    def _error(self) -> None:
        if self.stats is not None:
            self.stats.inc_value("archive/pack/errors")

    def add_page(self, url: str, fetched_at: str, title: str | None, article_id: str) -> None:
        self.pages.append({"id": article_id, "url": url, "ts": iso_ts(fetched_at), "title": title})

    def index_warc(self, path: Path, filename: str) -> None:
        """Write the CDXJ index of one finished WARC file (before the file goes to the store)."""
        if not self.enabled:
            return
        try:
            self.storage.put_bytes(warc_index_key(self.crawl_id, filename), cdxj_for([path]).encode("utf-8"))
        except Exception as exc:  # cdxj-indexer or storage: never lose the WARC for it
            self._error()
            logger.error("Could not index %s (%s); run scrapy archive-pack %s", filename, exc, self.crawl_id)

    def close(self, warc_files: list[str]) -> None:
        """Build the crawl's CDXJ and WACZ from its WARC files (when enabled), then drop the page list."""
        try:
            if self.enabled and warc_files:
                try:
                    pack_crawl(self.storage, self.crawl_id, warc_files, self.pages, self.site)
                except Exception as exc:
                    self._error()
                    logger.error(
                        "Could not build the CDXJ/WACZ of crawl %s (%s); run scrapy archive-pack %s",
                        self.crawl_id, exc, self.crawl_id,
                    )
        finally:
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
    with tempfile.TemporaryDirectory(prefix="news-pack-") as tmp:
        paths: list[Path] = []
        parts: list[Path] = []  # each WARC's index, sorted, on disk: merged without holding the crawl's index
        for name in sorted(warc_files):
            key = warc_key(crawl_id, name)
            local = storage.local_path(key)
            if local is not None and getattr(storage, "remote", None) is not None:
                # A file waiting in the spool of a remote store: the uploader may send and delete it at any
                # moment, so the pack reads its own link to it (a copy across file systems).
                linked = Path(tmp) / name
                try:
                    os.link(local, linked)
                    local = linked
                except OSError:
                    local = None
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
