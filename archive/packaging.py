"""CDXJ indexes and WACZ packages for a crawl.

* CDXJ is produced by cdxj-indexer (the indexer pywb and py-wacz use), so the
  project's index is the one archivists' tools would build: one line per
  response, revisit and request... record (``urlkey timestamp {json}``), sorted.
* A WACZ 1.1.1 package (https://specs.webrecorder.net/wacz/1.1.1/) is a ZIP
  stored without compression: ``archive/*.warc.gz``, ``indexes/index.cdx``
  (CDXJ), ``pages/pages.jsonl`` (the article pages and their titles),
  ``datapackage.json`` (every file with its sha256 and size) and
  ``datapackage-digest.json``.  ReplayWeb.page loads it; ``wacz validate``
  accepts it.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WACZ_VERSION = "1.1.1"


def cdxj_for(warc_paths: Iterable[Path]) -> str:
    """CDXJ lines (sorted) for the given WARC files, file names relative to their folder."""
    # Imported here, not at the top: cdxj_indexer costs 75-105 ms and 5 MB (175 modules) on top of
    # what the crawler already imports, in every `scrapy` command and crawl process (all import this
    # module at start-up), while only the packaging at the end of a crawl and `scrapy archive-pack` index.
    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    CDXJIndexer(output=out, inputs=[str(p) for p in warc_paths], sort=True).process_all()
    return out.getvalue()


def write_sorted_cdxj(text: str, path: Path) -> None:
    """One WARC's CDXJ lines, sorted, into ``path`` (a part for :func:`merge_cdxj_files`)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in sorted(line for line in text.splitlines() if line.strip()))


def merge_cdxj_files(parts: Iterable[Path], out: Path) -> int:
    """Merge sorted CDXJ files into ``out``: all their lines, sorted; return the number of lines.

    A k-way merge: memory holds one line per part, not the crawl's whole index
    (three lines per page: a 500,000-page crawl's index is hundreds of MB).
    """
    with contextlib.ExitStack() as stack:
        files = [stack.enter_context(open(p, encoding="utf-8")) for p in parts]
        streams = [(line.rstrip("\n") for line in fh if line.strip()) for fh in files]
        count = 0
        with open(out, "w", encoding="utf-8") as dst:
            for line in heapq.merge(*streams):
                dst.write(line + "\n")
                count += 1
    return count


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


class PageLog:
    """A crawl's article pages for the WACZ ``pages.jsonl``, kept in a temporary file, not in memory.

    One JSON line per page (about 300 bytes): a crawl of 500,000 articles would
    otherwise hold 150 MB of dicts in the crawler process until it ends.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory)
        self._count = 0

    def append(self, page: dict[str, Any]) -> None:
        self._file.write(json.dumps(page, ensure_ascii=False) + "\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._file.flush()
        self._file.seek(0)
        try:
            for line in self._file:
                yield json.loads(line)
        finally:
            self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self._file.close()


def pages_jsonl_lines(pages: Iterable[dict[str, Any]], title: str = "Articles") -> Iterator[str]:
    """The lines of a WACZ ``pages.jsonl`` (header first, one per distinct URL), each ending in a newline."""
    yield json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n"
    seen: set[str] = set()
    for page in pages:
        if page["url"] in seen:
            continue
        seen.add(page["url"])
        yield json.dumps({k: v for k, v in page.items() if v is not None}, ensure_ascii=False) + "\n"


def pages_jsonl(pages: Iterable[dict[str, Any]], title: str = "Articles") -> bytes:
    return "".join(pages_jsonl_lines(pages, title)).encode("utf-8")


def iso_ts(value: str) -> str:
    """A page timestamp as WACZ wants it: ISO 8601 in UTC with Z."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _zip_add(zf: zipfile.ZipFile, arcname: str, source: Path) -> None:
    """Store ``source`` (streamed, not read into memory) in ``zf`` with the same extra fields in its local header
    and its central directory entry.

    zipfile puts a ZIP64 extra field in the central directory when the entry's size or its offset is past
    ``zipfile.ZIP64_LIMIT``, but in the local header when asked to (``force_zip64``) or when the size is within 5 %
    of the limit, and never for the offset. ReplayWeb.page (wabac.js) reads an entry's data right after
    ``30 + len(name)`` bytes when the central directory gives it no extra field, so an entry with an extra field
    in its local header only is read from the wrong offset. Here the local header has the ZIP64 field exactly when
    the central directory will (size or offset past the limit, read at run time as zipfile does).
    """
    info = zipfile.ZipInfo.from_file(source, arcname, strict_timestamps=False)
    info.compress_type = zipfile.ZIP_STORED
    size = info.file_size
    zip64 = size > zipfile.ZIP64_LIMIT or zf.start_dir > zipfile.ZIP64_LIMIT
    info.file_size = 0  # not zipfile's "within 5 % of the limit" guess: the real size is written on close
    with open(source, "rb") as src, zf.open(info, "w", force_zip64=zip64) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    if info.file_size != size:
        raise OSError(f"{source} changed size while being packed ({size} -> {info.file_size} bytes)")


def build_wacz(
    out_path: Path,
    warc_paths: list[Path],
    cdxj: Path,
    pages: Iterable[dict[str, Any]],
    *,
    title: str,
    software: str,
    main_page_url: str | None = None,
) -> None:
    """Write a WACZ package to ``out_path`` atomically (temporary file + rename).

    Every entry is stored (no compression) from a file, so memory stays flat whatever the crawl's size;
    entries past 2 GiB (a WARC over it, or anything after it) get ZIP64 fields, in the local header and the
    central directory alike (:func:`_zip_add`).
    """
    tmp = out_path.with_name(out_path.name + ".tmp")
    resources: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wacz-", dir=out_path.parent)))
        zf = stack.enter_context(zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True))
        for path in warc_paths:
            arcname = f"archive/{path.name}"
            _zip_add(zf, arcname, path)
            digest, size = _sha256_file(path)
            resources.append({"name": path.name.lower().replace("~", "-"), "path": arcname, "hash": digest, "bytes": size})
        # The index and the page list are streamed from files into the package, not held in memory.
        _zip_add(zf, "indexes/index.cdx", cdxj)
        digest, size = _sha256_file(cdxj)
        resources.append({"name": "index.cdx", "path": "indexes/index.cdx", "hash": digest, "bytes": size})
        pages_file = scratch / "pages.jsonl"
        with open(pages_file, "wb") as fh:
            for line in pages_jsonl_lines(pages):
                fh.write(line.encode("utf-8"))
        _zip_add(zf, "pages/pages.jsonl", pages_file)
        digest, size = _sha256_file(pages_file)
        resources.append({"name": "pages.jsonl", "path": "pages/pages.jsonl", "hash": digest, "bytes": size})
        package: dict[str, Any] = {
            "profile": "data-package",
            "resources": resources,
            "title": title,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION,
            "software": software,
        }
        if main_page_url:
            package["mainPageURL"] = main_page_url
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        digest_doc = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        (scratch / "datapackage.json").write_bytes(package_bytes)
        (scratch / "datapackage-digest.json").write_bytes(json.dumps(digest_doc, indent=2).encode("utf-8"))
        _zip_add(zf, "datapackage.json", scratch / "datapackage.json")
        _zip_add(zf, "datapackage-digest.json", scratch / "datapackage-digest.json")
    os.replace(tmp, out_path)
