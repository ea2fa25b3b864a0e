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

import hashlib
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


def idna_host(host: str) -> str:
    """The IDNA (punycode, ASCII) form of a host name: ``مثال.com`` -> ``xn--mgbh0fb.com``.

    UTS #46 mapping (the ``idna`` package, as browsers do) when installed, else the
    standard library's IDNA 2003 codec; lowercased, trailing dot dropped.  Raises
    ``ValueError`` when the name is no valid host name.
    """
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        import idna

        return str(idna.encode(host, uts46=True).decode("ascii"))
    except ImportError:  # pragma: no cover - idna is a dependency of requests
        pass
    except idna.IDNAError as exc:
        raise ValueError(f"not a valid internationalised host name: {host!r} ({exc})") from exc
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a valid internationalised host name: {host!r} ({exc})") from exc


def site_key(site: str) -> str:
    """The one key segment of a site in the archive (articles, state): never shared by two sites.

    An ASCII site name (a profile name, ``example.org``, ``127.0.0.1-8080``) is its slug, as
    before; a name with non-ASCII letters (an internationalised host) is first put in its
    IDNA form (``xn--mgbh0fb.com``), or — when it is no host name — slugged with a short hash
    of the full name appended, so names that differ only in their non-ASCII letters never
    meet under one key.
    """
    if site.isascii():
        return slug(site)
    try:
        return slug(idna_host(site))
    except ValueError:
        digest = hashlib.sha256(site.encode("utf-8")).hexdigest()[:12]
        return f"{slug(site, 'site')[:80]}-{digest}"


def warc_key(crawl_id: str, filename: str) -> str:
    return safe_key(f"warc/{crawl_id}/{filename}")


def article_key(site: str, day: datetime, article_id: str) -> str:
    return safe_key(f"articles/{site_key(site)}/{day:%Y/%m/%d}/{article_id}.json")


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
