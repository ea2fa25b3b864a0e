"""The archive's key layout, shared by every storage backend.

::

    warc/{crawl_id}/{file}.warc.gz
    articles/{site}/{yyyy}/{mm}/{dd}/{id}.json
    crawls/{crawl_id}/manifest.json

Keys are built only through these functions, and every key passes
:func:`safe_key`, so a site name or crawl id taken from input can never
escape the archive root (no ``..``, absolute paths or control characters).
"""

from __future__ import annotations

import re
from datetime import datetime

MAX_KEY_LENGTH = 1024
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._~@+=-]+$")


class UnsafeKeyError(ValueError):
    """A key would escape the archive root or is not portable."""


def safe_key(key: str) -> str:
    """Return ``key`` if it is a safe relative ``/``-separated key, else raise."""
    if not key or len(key.encode("utf-8")) > MAX_KEY_LENGTH:
        raise UnsafeKeyError(f"archive key is empty or longer than {MAX_KEY_LENGTH} bytes: {key[:80]!r}")
    if key.startswith("/") or "\\" in key:
        raise UnsafeKeyError(f"archive key must be relative and use '/': {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", "..") or not _SEGMENT_RE.match(segment):
            raise UnsafeKeyError(
                f"archive key {key!r} has an unsafe segment {segment!r} "
                "(allowed: letters, digits and ._~@+=-)"
            )
    return key


def slug(value: str, fallback: str = "unknown") -> str:
    """A key segment made from free text (site names, hosts)."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.")[:100]
    return out or fallback


def warc_key(crawl_id: str, filename: str) -> str:
    return safe_key(f"warc/{crawl_id}/{filename}")


def article_key(site: str, day: datetime, article_id: str) -> str:
    return safe_key(f"articles/{slug(site)}/{day:%Y/%m/%d}/{article_id}.json")


def manifest_key(crawl_id: str, worker: str | None = None) -> str:
    """The crawl's manifest; one per worker process in a distributed crawl."""
    name = f"manifest-{slug(worker)}.json" if worker else "manifest.json"
    return safe_key(f"crawls/{crawl_id}/{name}")


def warc_index_key(crawl_id: str, filename: str) -> str:
    """CDXJ of one finished WARC file (written when the file is closed)."""
    return safe_key(f"crawls/{crawl_id}/indexes/{filename}.cdxj")


def cdxj_key(crawl_id: str) -> str:
    """The crawl's merged CDXJ index, beside its WARCs."""
    return safe_key(f"warc/{crawl_id}/index.cdxj")


def wacz_key(crawl_id: str) -> str:
    """The crawl's WACZ package, beside its WARCs."""
    return safe_key(f"warc/{crawl_id}/{crawl_id}.wacz")
