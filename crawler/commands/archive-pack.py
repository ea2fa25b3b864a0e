"""``scrapy archive-pack CRAWL_ID``: rebuild a crawl's CDXJ index and WACZ package from its WARCs.

Use it after a crash (the crawl ended before packaging), after copying WARCs in
by hand, or to refresh a package.  Every WARC is re-indexed with cdxj-indexer;
pages.jsonl lists the article records whose ``warc`` pointer names one of the
crawl's WARC files.
"""

from __future__ import annotations

import argparse
import json

from scrapy.exceptions import UsageError

from archive.storage import open_storage
from crawler.cli import QuietCommand
from crawler.session import pack_crawl


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
        storage = open_storage(self.settings.get("ARCHIVE_URI"))
        warcs = [k.rsplit("/", 1)[1] for k in storage.keys(f"warc/{crawl_id}/") if k.endswith((".warc.gz", ".warc"))]
        if not warcs:
            raise UsageError(f"no WARC files under warc/{crawl_id}/ in {storage.describe()}")
        names = set(warcs)
        pages = []
        site = crawl_id
        for key in storage.keys("articles/"):
            raw = storage.get_bytes(key)
            if raw is None:
                continue
            record = json.loads(raw)
            if (record.get("warc") or {}).get("file") in names:
                from archive.packaging import iso_ts

                site = record.get("site") or site
                pages.append({"id": record["id"], "url": record["url"], "ts": iso_ts(record["fetched_at"]), "title": record.get("title")})
        keys = pack_crawl(storage, crawl_id, warcs, pages, site, reindex=True)
        print(f"crawl {crawl_id}: {len(warcs)} WARC files, {len(pages)} pages -> {keys['cdxj']}, {keys['wacz']}")
