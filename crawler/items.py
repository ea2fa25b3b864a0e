"""Typed items.

:class:`PageItem` is what the spider yields for a page it believes is an
article: the raw response and what the crawl knows about it.  The extraction
pipeline turns it into an :class:`ArticleItem`, the documented JSON record
(docs/schema.md, ``crawler/schemas/article.schema.json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA_VERSION = 3


@dataclass
class PageItem:
    """A fetched page that the spider classified as an article candidate."""

    url: str
    body: bytes = field(repr=False)
    encoding: str
    status: int
    headers: dict[str, str]
    site: str
    profile: str | None
    fetched_at: str
    warc: dict[str, Any] | None
    language_hint: str | None = None
    timezone: str | None = None
    detection: str = ""  # why the spider thinks this is an article
    drop_selectors: list[str] = field(default_factory=list)
    drop_text_patterns: list[str] = field(default_factory=list)
    date_selector: str | None = None
    discovered_date: str | None = None  # date from sitemap/feed, if any
    capture_status: str | None = None  # new / changed / unchanged against the last crawl
    request_url: str | None = None  # the URL first requested (before redirects), for the resume journal
    date_required: bool = False  # accepted on headline and text alone: an article only if the dates step dates it
    payload_digest: str | None = None  # the WARC payload digest of the body (pipelines.versions: same bytes?)
    # Page resources by URL: {"archived": true, "warc": {...}, "status": 200} or {"archived": false, "reason": ...}
    # (crawler/middlewares/resources.py); None when resources were not fetched.
    resources: dict[str, dict[str, Any]] | None = None


@dataclass
class ImageRef:
    url: str
    caption: str | None = None
    # Schema version 2: what the crawl kept (crawler/middlewares/resources.py); None when resources were not fetched.
    archived: bool | None = None
    warc: dict[str, Any] | None = None  # file, record_id, offset, length (and revisit: true)
    reason: str | None = None  # why not archived


@dataclass
class ArticleItem:
    """One article record: the JSON output contract, schema_version 3 (docs/schema.md)."""

    id: str
    url: str
    canonical_url: str
    site: str
    language: str | None
    title: str | None
    authors: list[str]
    published: str | None
    published_source: str | None
    published_tz_assumed: bool | None
    modified: str | None
    modified_source: str | None
    text: str
    description: str | None
    tags: list[str]
    categories: list[str]
    images: list[ImageRef]
    fetched_at: str
    http_status: int
    warc: dict[str, Any] | None
    content_sha256: str
    extractor: dict[str, Any]
    removed: list[dict[str, str]] = field(default_factory=list)
    # Schema version 3: every version of the article kept, oldest first (pipelines.versions).
    versions: list[dict[str, Any]] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    # Internal, not exported: the kept text blocks (``text`` is them joined), the
    # raw date evidence for the dates pipeline, and the profile's time zone.
    blocks: list[str] = field(default_factory=list, repr=False, metadata={"export": False})
    # The blocks' repetition hashes (pipelines.cleaning.block_hash), computed where they were cleaned.
    block_hashes: list[str] = field(default_factory=list, repr=False, metadata={"export": False})
    date_candidates: list[tuple[str, str, str]] = field(default_factory=list, repr=False, metadata={"export": False})
    timezone: str | None = field(default=None, repr=False, metadata={"export": False})
    capture_status: str | None = field(default=None, repr=False, metadata={"export": False})
    request_url: str | None = field(default=None, repr=False, metadata={"export": False})
    dated: bool = field(default=False, repr=False, metadata={"export": False})
    # Set when the declared charset did not fit the bytes: "declared -> used".
    charset_fix: str | None = field(default=None, repr=False, metadata={"export": False})
    # The page's payload digest, the versions as the site state keeps them, and the key the
    # record is stored under (set by pipelines.versions; else the export computes it).
    payload_digest: str | None = field(default=None, repr=False, metadata={"export": False})
    versions_state: list[dict[str, Any]] = field(default_factory=list, repr=False, metadata={"export": False})
    json_key: str | None = field(default=None, repr=False, metadata={"export": False})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for f in fields(self):
            if f.metadata.get("export") is False:
                data.pop(f.name, None)
        return data
