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

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WACZ_VERSION = "1.1.1"


def cdxj_for(warc_paths: Iterable[Path]) -> str:
    """CDXJ lines (sorted) for the given WARC files, file names relative to their folder."""
    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    CDXJIndexer(output=out, inputs=[str(p) for p in warc_paths], sort=True).process_all()
    return out.getvalue()


def merge_cdxj(parts: Iterable[str]) -> str:
    lines = sorted(line for part in parts for line in part.splitlines() if line.strip())
    return "".join(line + "\n" for line in lines)


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
        import tempfile

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


def pages_jsonl(pages: Iterable[dict[str, Any]], title: str = "Articles") -> bytes:
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title})]
    seen: set[str] = set()
    for page in pages:
        if page["url"] in seen:
            continue
        seen.add(page["url"])
        lines.append(json.dumps({k: v for k, v in page.items() if v is not None}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def iso_ts(value: str) -> str:
    """A page timestamp as WACZ wants it: ISO 8601 in UTC with Z."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def build_wacz(
    out_path: Path,
    warc_paths: list[Path],
    cdxj: str,
    pages: Iterable[dict[str, Any]],
    *,
    title: str,
    software: str,
    main_page_url: str | None = None,
) -> None:
    """Write a WACZ package to ``out_path`` atomically (temporary file + rename)."""
    tmp = out_path.with_name(out_path.name + ".tmp")
    resources: list[dict[str, Any]] = []
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in warc_paths:
            arcname = f"archive/{path.name}"
            zf.write(path, arcname)
            digest, size = _sha256_file(path)
            resources.append({"name": path.name.lower().replace("~", "-"), "path": arcname, "hash": digest, "bytes": size})
        for arcname, data in (
            ("indexes/index.cdx", cdxj.encode("utf-8")),
            ("pages/pages.jsonl", pages_jsonl(pages)),
        ):
            zf.writestr(arcname, data)
            resources.append(
                {
                    "name": os.path.basename(arcname),
                    "path": arcname,
                    "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                }
            )
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
        zf.writestr("datapackage.json", package_bytes)
        digest_doc = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        zf.writestr("datapackage-digest.json", json.dumps(digest_doc, indent=2).encode("utf-8"))
    os.replace(tmp, out_path)
