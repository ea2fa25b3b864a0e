"""ArticleVersionsPipeline: an edited article keeps every earlier version.

Runs just before :class:`pipelines.export.JsonExportPipeline`.  For an article the site
state already knows (:class:`archive.statestore.ArticleState`, by URL):

* **Same bytes** — the page's payload digest is one of a kept version's: a re-extraction
  (say after a rule change), not a new version.  The latest record is rewritten in place
  with the versions list unchanged; a re-extraction of an *earlier* version's bytes is
  dropped (``export/versions/old_bytes``), so an old capture never overwrites the latest.
* **Same article** — new bytes (a changed sidebar, a rotated advert) but the same title,
  text, authors, dates, description, tags, categories and language: no new version; the
  latest record is rewritten with the new capture's pointer (``export/versions/same_text``).
* **A new version** — any of those fields changed: the previous latest record is copied,
  unchanged, to ``articles/{site}/versions/{id}/{n}.json`` and the new record becomes the
  latest, at the key where the article was first stored (so its day directory stays put
  even if the edit changed the publication date).  Counted in ``export/versions/new``.

Every record carries ``versions``: every version kept, oldest first, each with ``n``,
``fetched_at``, ``content_sha256``, the WARC pointer and the key of its JSON (the latest
one's is the record's own key).  ``scrapy archive-history URL|ID`` prints them with a word
diff.  The export's ``article_stored`` signal then records the article in the site state
(:meth:`crawler.sitestate.SiteState.article_stored`).

Disabled (NotConfigured) without the archive extension or with ``ARCHIVE_JSON_ENABLED``
off; without a site state (``ARCHIVE_DEDUP_ENABLED`` off) every record is a first version.

Settings read: ``ARCHIVE_JSON_ENABLED``, ``ARCHIVE_DEDUP_ENABLED`` (through the site state).
Stats: ``export/versions/new``, ``export/versions/same_text``, ``export/versions/reextracted``,
``export/versions/old_bytes``, ``export/versions/errors``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from archive.keys import article_key, safe_key, site_key
from archive.statestore import ArticleState
from archive.storage import Storage, StorageError
from crawler.extensions.archive import ArchiveExtension
from crawler.items import ArticleItem
from pipelines.export import record_day

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# What makes a new version: the article as a reader sees it, not the capture's bookkeeping.
VERSION_FIELDS = ("title", "text", "authors", "published", "modified", "description", "tags", "categories", "language")


def version_sha256(record: dict[str, Any]) -> str:
    """Hash of the fields that make a version (:data:`VERSION_FIELDS`)."""
    data = json.dumps([record.get(name) for name in VERSION_FIELDS], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def versions_key(site: str, article_id: str, n: int) -> str:
    """Where version ``n`` (1 = first) of an article is kept once a later one replaced it."""
    return safe_key(f"articles/{site_key(site)}/versions/{article_id}/{n}.json")


def version_entry(n: int, item: ArticleItem, record: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "n": n,
        "fetched_at": item.fetched_at,
        "content_sha256": item.content_sha256,
        "version_sha256": version_sha256(record),
        "payload_digest": item.payload_digest,
        "warc": item.warc,
        "key": key,
    }


def public_versions(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The versions list as the JSON record carries it (docs/schema.md)."""
    return [{k: v[k] for k in ("n", "fetched_at", "content_sha256", "warc", "key")} for v in versions]


def _copy(storage: Storage, source: str, dest: str) -> None:
    data = storage.get_bytes(source)
    if data is None:
        raise StorageError(f"{source} is not in {storage.describe()}")
    storage.put_bytes(dest, data, "application/json; charset=utf-8")


class ArticleVersionsPipeline:
    """Item pipeline keeping earlier versions of edited articles (see module docstring)."""

    def __init__(self, crawler: Crawler, archive: ArchiveExtension) -> None:
        self.crawler = crawler
        self.archive = archive
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleVersionsPipeline:
        if not crawler.settings.getbool("ARCHIVE_JSON_ENABLED"):
            raise NotConfigured("ARCHIVE_JSON_ENABLED is False: no article JSON, no versions")
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("ArchiveExtension is not enabled in EXTENSIONS: no store for article versions")
        return cls(crawler, archive)

    def _known(self, item: ArticleItem) -> ArticleState | None:
        state = self.archive.state
        if not state.dedup_enabled:
            return None
        try:
            return state.dedup.get_article(item.url)
        except Exception as exc:
            self.stats.inc_value("export/versions/errors")
            logger.error("Could not read the versions of %s from the state of site %s (%s): stored as a first "
                         "version", item.url, state.site, exc)
            return None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        record = item.to_dict()
        known = self._known(item)
        if known is None or not known.versions:
            key = known.key if known is not None else article_key(item.site, record_day(record), item.id)
            item.versions_state = [version_entry(1, item, record, key)]
            item.versions = public_versions(item.versions_state)
            item.json_key = key
            return item
        versions = [dict(v) for v in known.versions]
        latest = versions[-1]
        same_bytes = [v for v in versions if item.payload_digest and v.get("payload_digest") == item.payload_digest]
        if same_bytes and same_bytes[-1] is not latest:
            self.stats.inc_value("export/versions/old_bytes")
            raise DropItem(f"{item.url}: the bytes of version {same_bytes[-1]['n']}, not the latest "
                           f"(version {latest['n']}); the latest record is kept", log_level="INFO")
        if same_bytes:
            self.stats.inc_value("export/versions/reextracted")
            latest.update(content_sha256=item.content_sha256, version_sha256=version_sha256(record))
        elif version_sha256(record) == latest.get("version_sha256"):
            self.stats.inc_value("export/versions/same_text")
        else:
            n = int(latest["n"]) + 1
            kept = versions_key(item.site, item.id, int(latest["n"]))
            try:
                await self.archive.io.run(_copy, self.archive.storage, known.key, kept)
            except StorageError as exc:
                # Never overwrite the only copy of the earlier version.
                self.stats.inc_value("export/versions/errors")
                logger.error("Could not keep version %s of %s as %s (%s): the new version is not written; "
                             "the next crawl tries again", latest["n"], item.url, kept, exc)
                raise DropItem(f"{item.url}: earlier version not kept: {exc}") from exc
            latest["key"] = kept
            versions.append(version_entry(n, item, record, known.key))
            self.stats.inc_value("export/versions/new")
            logger.info("Article %s changed since %s: version %d stored, version %d kept as %s",
                        item.url, latest["fetched_at"], n, n - 1, kept)
        item.versions_state = versions
        item.versions = public_versions(versions)
        item.json_key = known.key
        return item
