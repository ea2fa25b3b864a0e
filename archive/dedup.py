"""Payload-digest index for deduplication across crawls of a site.

For each URL the index keeps the latest full capture: payload digest, WARC
date, record id and — once written — the key of the article JSON made from it.
When a new 2xx response of a URL has the same payload digest, the WARC gets a
``revisit`` record pointing at that capture instead of the bytes again, and
the article JSON is not rewritten.

The earlier format of the site state: ``state/{site}/dedup.json.gz`` (one JSON
object, gzipped, loaded whole and saved whole).  Crawls now keep the state in
:mod:`archive.statestore` (SQLite or Redis, looked up on disk, written per
capture); this module remains for :class:`Capture` and for the one-time import
of an existing ``dedup.json.gz`` (:mod:`crawler.sitestate`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

from archive.keys import safe_key, site_key
from archive.storage import Storage

VERSION = 1


def dedup_key(site: str) -> str:
    return safe_key(f"state/{site_key(site)}/dedup.json.gz")


@dataclass
class Capture:
    digest: str
    date: str
    record_id: str
    article_key: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class DedupIndex:
    def __init__(self) -> None:
        self.captures: dict[str, Capture] = {}
        self.dirty = False
        self.last_crawl: dict[str, str] = {}  # crawl id and time of the last crawl that saved the index

    def lookup(self, url: str, digest: str) -> Capture | None:
        """The earlier capture of ``url`` with this payload digest, if any."""
        capture = self.captures.get(url)
        return capture if capture is not None and capture.digest == digest else None

    def status(self, url: str, digest: str) -> str:
        """'new', 'changed' or 'unchanged' compared with the last capture of ``url``."""
        capture = self.captures.get(url)
        if capture is None:
            return "new"
        return "unchanged" if capture.digest == digest else "changed"

    def record(
        self, url: str, digest: str, date: str, record_id: str, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A full response of ``url`` was written."""
        old = self.captures.get(url)
        keep_article = old.article_key if old is not None and old.digest == digest else None
        self.captures[url] = Capture(digest, date, record_id, keep_article, etag, last_modified)
        self.dirty = True

    def set_article(self, url: str, key: str) -> None:
        capture = self.captures.get(url)
        if capture is not None and capture.article_key != key:
            capture.article_key = key
            self.dirty = True

    def to_bytes(self) -> bytes:
        data = {
            "version": VERSION,
            "last_crawl": self.last_crawl,
            "captures": {
                u: [c.digest, c.date, c.record_id, c.article_key, c.etag, c.last_modified] for u, c in self.captures.items()
            },
        }
        return gzip.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), mtime=0)

    @classmethod
    def from_bytes(cls, raw: bytes) -> DedupIndex:
        index = cls()
        data: dict[str, Any] = json.loads(gzip.decompress(raw))
        if data.get("version") == VERSION:
            index.last_crawl = dict(data.get("last_crawl") or {})
            for url, values in data.get("captures", {}).items():
                index.captures[url] = Capture(*values)
        return index

    @classmethod
    def load(cls, storage: Storage, site: str) -> DedupIndex:
        raw = storage.get_bytes(dedup_key(site))
        return cls.from_bytes(raw) if raw else cls()

    def save(self, storage: Storage, site: str) -> None:
        storage.put_bytes(dedup_key(site), self.to_bytes(), "application/gzip")
        self.dirty = False
