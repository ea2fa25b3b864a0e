"""``scrapy archive-pack CRAWL_ID``: rebuild a crawl's CDXJ index and WACZ package from its WARCs.

Use it after a crash (the crawl ended before packaging), after copying WARCs in
by hand, to pack a distributed crawl, or to refresh a package.  Every WARC is
re-indexed with cdxj-indexer; pages.jsonl lists the article records whose
``warc`` pointer names one of the crawl's WARC files.  ``ARCHIVE_URI`` and the
store's settings are the crawl's (``AWS_*``, ``ARCHIVE_S3_*``, ``ARCHIVE_SPOOL_*``):
for a remote store the WARCs are downloaded, and the index and package go
through the spool and are uploaded before the command ends (for up to
``ARCHIVE_SPOOL_CLOSE_TIMEOUT``; exit 1 and ``scrapy archive-sync`` if not).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from scrapy.exceptions import UsageError

from archive.keys import UnsafeKeyError, warc_key
from archive.packaging import iso_ts
from archive.storage import Storage, StorageError
from crawler.cli import QuietCommand, open_archive
from crawler.packager import pack_crawl


def crawl_pages(storage: Storage, warc_names: set[str]) -> tuple[list[dict[str, Any]], str | None]:
    """The WACZ pages of the article records pointing into ``warc_names``, and their site."""
    pages = []
    site = None
    for key in storage.keys("articles/"):
        raw = storage.get_bytes(key)
        if raw is None or not key.endswith(".json"):
            continue
        record = json.loads(raw)
        if (record.get("warc") or {}).get("file") in warc_names:
            site = record.get("site") or site
            pages.append({"id": record["id"], "url": record["url"], "ts": iso_ts(record["fetched_at"]), "title": record.get("title")})
    return pages, site


class Command(QuietCommand):

    def syntax(self) -> str:
        return "CRAWL_ID"

    def short_desc(self) -> str:
        return "Rebuild a crawl's CDXJ index and WACZ package from its WARC files"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one crawl id")
        assert self.settings is not None
        crawl_id = args[0]
        try:
            warc_key(crawl_id, "x.warc.gz")
        except UnsafeKeyError as exc:
            raise UsageError(f"{crawl_id!r} is not a crawl id: {exc}") from exc
        # The uploader runs in close(): nothing is sent before the package is built.
        storage = open_archive(self.settings, start_uploader=False)
        warcs = [k.rsplit("/", 1)[1] for k in storage.keys(f"warc/{crawl_id}/") if k.endswith((".warc.gz", ".warc"))]
        if not warcs:
            raise UsageError(f"no WARC files under warc/{crawl_id}/ in {storage.describe()}")
        try:
            pages, site = crawl_pages(storage, set(warcs))
            keys = pack_crawl(storage, crawl_id, warcs, pages, site or crawl_id, reindex=True)
        except StorageError as exc:
            print(f"crawl {crawl_id}: cannot pack from {storage.describe()}: {exc}")
            self.exitcode = 1
            return
        left = storage.close(self.settings.getfloat("ARCHIVE_SPOOL_CLOSE_TIMEOUT"))
        print(f"crawl {crawl_id}: {len(warcs)} WARC files, {len(pages)} pages -> {keys['cdxj']}, {keys['wacz']}"
              f" in {storage.describe()}")
        if left:
            print(f"NOT UPLOADED: {len(left)} object(s) still in the spool; run scrapy archive-sync")
            for key in left[:20]:
                print(f"  not sent: {key}")
            self.exitcode = 1
