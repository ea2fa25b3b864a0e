"""What the console reads from the archive store: run logs, manifests, progress, alerts, articles, WARC records.

Everything goes through :class:`archive.storage.Storage` (a local directory or ``s3://``, as
``ARCHIVE_URI`` says), with keys built by :mod:`archive.keys` and checked by
:func:`archive.keys.safe_key`, so an id taken from a URL can never name a file outside the archive.

A finished crawl's manifest and alerts do not change: they are kept in memory once read
(:class:`ArchiveView` is one per console), so the jobs page of a plan with many runs reads only
what is new.  WARC and WACZ files of a remote store are copied once into ``ARCHIVE_WEB_CACHE_DIR``
to be served by ranges and read at record offsets.

Settings read: ``ARCHIVE_WEB_CACHE_DIR``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from archive.keys import UnsafeKeyError, cdxj_key, manifest_key, safe_key, wacz_key, warc_key
from archive.storage import Storage, StorageError

logger = logging.getLogger(__name__)

_ID_RE = re.compile(r"^[A-Za-z0-9._~@+=-]{1,200}$")
_ARTICLE_KEY_RE = re.compile(r"^articles/([^/]+)/(\d{4})/(\d\d)/(\d\d)/([^/]+)\.json$")
ALERT_CAUSES = ("crawl-failed", "http-errors", "challenge-pages", "no-new-articles", "few-articles", "uploads-unsent")


def valid_id(value: str) -> bool:
    """A crawl id, article id or job name that is one safe key segment."""
    return bool(_ID_RE.match(value)) and value not in (".", "..")


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class ArticleRow:
    """An article in a list: enough to link to it and say what it is."""

    id: str
    key: str
    site: str
    title: str | None
    url: str | None
    published: str | None
    language: str | None
    snippet: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Page:
    total: int
    rows: list[ArticleRow]
    total_capped: bool = False


class ArchiveView:
    """Read access to one archive store for the console (see module docstring)."""

    def __init__(self, storage: Storage, cache_dir: str | Path | None = None) -> None:
        self.storage = storage
        self.cache_dir = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "news-archive-console-cache"
        self._lock = threading.Lock()
        self._manifests: dict[str, dict[str, Any] | None] = {}
        self._alerts: dict[str, list[dict[str, Any]]] = {}
        self._warc_crawl: dict[str, str] = {}
        self._failed: dict[str, list[dict[str, str]]] = {}

    # -- run logs, manifests, progress, alerts ---------------------------------------------------
    def get_json(self, key: str) -> Any:
        try:
            raw = self.storage.get_bytes(safe_key(key))
        except (StorageError, UnsafeKeyError) as exc:
            logger.warning("Could not read %s: %s", key, exc)
            return None
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            logger.warning("%s is not JSON: %s", key, exc)
            return None

    def runs(self, job: str) -> list[dict[str, Any]]:
        data = self.get_json(f"schedule/{job}.json") if valid_id(job) else None
        return list(data.get("runs") or []) if isinstance(data, dict) else []

    def manifest(self, crawl_id: str) -> dict[str, Any] | None:
        """The crawl's manifest (None when there is none); a finished one is read once."""
        if not valid_id(crawl_id):
            return None
        if crawl_id in self._manifests:
            return self._manifests[crawl_id]
        data = self.get_json(manifest_key(crawl_id))
        if not isinstance(data, dict):
            data = None
        if data is not None and data.get("status") != "running":
            with self._lock:
                self._manifests[crawl_id] = data
                for f in data.get("warc_files") or ():
                    self._warc_crawl[str(f.get("file"))] = crawl_id
        return data

    def progress(self, crawl_id: str) -> dict[str, Any] | None:
        data = self.get_json(f"crawls/{crawl_id}/progress.json") if valid_id(crawl_id) else None
        return data if isinstance(data, dict) else None

    def crawl_ids(self) -> list[str]:
        """Every crawl with a manifest in the store, newest first (crawl ids start with the job or site, so
        sorted by the manifests' start times)."""
        ids = []
        for key in self.storage.keys("crawls/"):
            parts = key.split("/")
            if len(parts) == 3 and parts[2].startswith("manifest") and parts[2].endswith(".json"):
                if parts[1] not in ids:
                    ids.append(parts[1])
        return ids

    def alerts(self, crawl_id: str, manifest: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The crawl's alerts: ``alerts/{crawl_id}.json`` (a list), else the manifest's ``alerts``."""
        if not valid_id(crawl_id):
            return []
        if crawl_id in self._alerts:
            return self._alerts[crawl_id]
        data = self.get_json(f"alerts/{crawl_id}.json")
        if isinstance(data, dict):
            data = data.get("alerts")
        if not isinstance(data, list):
            data = (manifest or {}).get("alerts") if manifest else None
        alerts = [a for a in data or () if isinstance(a, dict)]
        if manifest is not None and manifest.get("status") != "running":
            self._alerts[crawl_id] = alerts
        return alerts

    def all_alerts(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for key in self.storage.keys("alerts/"):
            if not key.endswith(".json"):
                continue
            data = self.get_json(key)
            if isinstance(data, dict):
                data = data.get("alerts")
            crawl_id = key[len("alerts/"):-len(".json")]
            for alert in data if isinstance(data, list) else ():
                if isinstance(alert, dict):
                    out.append({"crawl_id": crawl_id, **alert})
        out.sort(key=lambda a: str(a.get("at") or ""), reverse=True)
        return out

    # -- the crawl report ------------------------------------------------------------------------
    def warc_files(self, crawl_id: str) -> list[str]:
        return list(self.storage.keys(f"warc/{crawl_id}/")) if valid_id(crawl_id) else []

    def hosts(self, crawl_id: str) -> list[dict[str, Any]]:
        """Per host, from the crawl's CDXJ index: captures, status codes, revisits, bytes (compressed records),
        and the status of its robots.txt (None when the crawl did not fetch it)."""
        try:
            raw = self.storage.get_bytes(cdxj_key(crawl_id))
        except (StorageError, UnsafeKeyError):
            return []
        if raw is None:
            return []
        table: dict[str, dict[str, Any]] = defaultdict(lambda: {"captures": 0, "status": Counter(), "bytes": 0,
                                                                  "revisits": 0, "robots": None})
        for line in raw.decode("utf-8", "replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) != 3 or not parts[2].startswith("{"):
                continue
            try:
                data = json.loads(parts[2])
            except ValueError:
                continue
            host = urlsplit(str(data.get("url") or "")).netloc or "?"
            if host.startswith("urn:") or not host:
                continue
            row = table[host]
            if urlsplit(str(data.get("url"))).path == "/robots.txt":
                row["robots"] = str(data.get("status") or "-")
            row["captures"] += 1
            if data.get("mime") == "warc/revisit":
                row["revisits"] += 1
            row["status"][str(data.get("status") or "-")] += 1
            try:
                row["bytes"] += int(data.get("length") or 0)
            except ValueError:
                pass
        return [{"host": host, **row, "status": sorted(row["status"].items())} for host, row in sorted(table.items())]

    def local_file(self, key: str) -> Path | None:
        """A local path holding ``key``: the store's own file, or a copy in the cache (remote stores)."""
        key = safe_key(key)
        local = self.storage.local_path(key)
        if local is not None:
            return local if local.is_file() else None
        dest = self.cache_dir / key
        if dest.is_file():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        try:
            if not self.storage.fetch_to(key, partial):
                return None
        except StorageError as exc:
            logger.warning("Could not copy %s from the store: %s", key, exc)
            return None
        partial.replace(dest)
        return dest

    def failed_fetches(self, crawl_id: str, limit: int = 200) -> list[dict[str, str]]:
        """Fetches that got no response (the WARC's ``fetchError`` metadata records), first ``limit``."""
        if crawl_id in self._failed:
            return self._failed[crawl_id]
        out: list[dict[str, str]] = []
        for key in self.warc_files(crawl_id):
            if not key.endswith((".warc.gz", ".warc")):
                continue
            path = self.local_file(key)
            if path is None:
                continue
            try:
                with open(path, "rb") as fh:
                    for record in ArchiveIterator(fh):
                        if record.rec_type != "metadata":
                            continue
                        block = record.content_stream().read(65536)
                        if b"fetchError:" not in block:
                            continue
                        fields = dict(line.split(": ", 1) for line in block.decode("utf-8", "replace").splitlines()
                                      if ": " in line)
                        out.append({"url": record.rec_headers.get_header("WARC-Target-URI") or "",
                                    "error": fields.get("fetchError", ""), "attempt": fields.get("attempt", "")})
                        if len(out) >= limit:
                            break
            except Exception as exc:  # a WARC being written, or damaged: archive-verify says more
                logger.warning("Could not read %s: %s", key, exc)
        manifest = self.manifest(crawl_id)
        if manifest is not None and manifest.get("status") != "running":
            self._failed[crawl_id] = out
        return out

    def wacz_path(self, crawl_id: str) -> Path | None:
        return self.local_file(wacz_key(crawl_id)) if valid_id(crawl_id) else None

    # -- articles ----------------------------------------------------------------------------------
    def article_keys(self) -> list[str]:
        return [k for k in self.storage.keys("articles/") if _ARTICLE_KEY_RE.match(k)]

    def find_article_key(self, article_id: str) -> str | None:
        if not valid_id(article_id):
            return None
        suffix = f"/{article_id}.json"
        return next((k for k in self.article_keys() if k.endswith(suffix)), None)

    def record(self, key: str) -> dict[str, Any] | None:
        data = self.get_json(key)
        return data if isinstance(data, dict) else None

    def scan_articles(self, *, site: str | None = None, language: str | None = None, since: str | None = None,
                      until: str | None = None, query: str | None = None, limit: int = 50,
                      offset: int = 0) -> Page:
        """Browse (newest first) by reading the article records themselves: the console's fallback when the
        search index (:mod:`archive.search`) is not available.  ``query`` matches when every word is in the
        title or text (case-folded; no Arabic normalisation here)."""
        rows: list[ArticleRow] = []
        words = [w.casefold() for w in (query or "").split()]
        for key in self.article_keys():
            m = _ARTICLE_KEY_RE.match(key)
            assert m is not None
            if site and m.group(1) != site:
                continue
            day = f"{m.group(2)}-{m.group(3)}-{m.group(4)}"  # the record's publication (else fetch) day
            if (since and day < since) or (until and day > until):
                continue
            rec = self.record(key)
            if rec is None:
                continue
            if language and (rec.get("language") or "").split("-")[0] != language:
                continue
            if words:
                hay = f"{rec.get('title') or ''}\n{rec.get('text') or ''}".casefold()
                if not all(w in hay for w in words):
                    continue
            rows.append(ArticleRow(str(rec.get("id") or m.group(5)), key, str(rec.get("site") or m.group(1)),
                                   rec.get("title"), rec.get("url"), rec.get("published"), rec.get("language")))
        rows.sort(key=lambda r: (r.published or "", r.id), reverse=True)
        return Page(len(rows), rows[offset:offset + limit])

    def crawl_of_warc(self, filename: str) -> str | None:
        """The crawl whose WARC file this is (from the manifests)."""
        if filename in self._warc_crawl:
            return self._warc_crawl[filename]
        for crawl_id in self.crawl_ids():
            manifest = self.manifest(crawl_id)
            for f in (manifest or {}).get("warc_files") or ():
                if f.get("file") == filename:
                    self._warc_crawl[filename] = crawl_id
                    return crawl_id
        for key in self.storage.keys("warc/"):  # a crawl still running has no WARC list in its manifest yet
            parts = key.split("/")
            if len(parts) == 3 and parts[2] == filename:
                self._warc_crawl[filename] = parts[1]
                return parts[1]
        return None

    def read_record(self, pointer: dict[str, Any]) -> tuple[str, dict[str, str], bytes] | None:
        """(record type, HTTP headers, payload with content-encoding undone) of the record a
        ``{file, offset, length}`` pointer names, or None."""
        try:
            filename, offset, length = str(pointer["file"]), int(pointer["offset"]), int(pointer["length"])
        except (KeyError, TypeError, ValueError):
            return None
        crawl_id = self.crawl_of_warc(filename)
        if crawl_id is None or length <= 0 or length > 256 * 1024 * 1024 or offset < 0:
            return None
        try:
            path = self.local_file(warc_key(crawl_id, filename))
        except UnsafeKeyError:
            return None
        if path is None:
            return None
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(length)
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
            headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
            payload = record.content_stream().read()
        except Exception as exc:
            logger.warning("Could not read the record at %s@%d: %s", filename, offset, exc)
            return None
        return record.rec_type, headers, payload
