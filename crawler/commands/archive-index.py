"""``scrapy archive-index [--rebuild]``: (re)build the article search index from the store.

Walks ``articles/`` in ``ARCHIVE_URI`` (skipping ``articles/{site}/versions/``, the earlier
versions of edited articles) and adds every latest record to the search index
(:mod:`archive.search`, where :meth:`archive.search.SearchIndex.for_archive` puts it).
``--rebuild`` empties the index first (else records are upserted: a record already indexed
is replaced).  For a remote (s3://) archive the index is a local working copy: this command
is how it is made or brought up to date.  Prints one line: count, index path, seconds.

Settings read: ``ARCHIVE_URI`` (and the storage backend's), ``ARCHIVE_SEARCH_ENABLED``,
``ARCHIVE_SEARCH_INDEX``, ``ARCHIVE_SPOOL_DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from scrapy.exceptions import UsageError

from archive.search import SearchIndex
from archive.storage import Storage
from crawler.cli import QuietCommand, open_archive

logger = logging.getLogger(__name__)


def latest_records(storage: Storage, skipped: list[str]) -> Iterator[tuple[dict[str, Any], str]]:
    """(record, key) of every latest article record in the store; unreadable keys go to ``skipped``."""
    for key in storage.keys("articles/"):
        parts = key.split("/")
        if not key.endswith(".json") or (len(parts) > 2 and parts[2] == "versions"):
            continue
        raw = storage.get_bytes(key)
        try:
            record = json.loads(raw) if raw is not None else None
        except ValueError:
            record = None
        if not isinstance(record, dict) or not record.get("id"):
            logger.warning("Not an article record, not indexed: %s", key)
            skipped.append(key)
            continue
        yield record, key


class Command(QuietCommand):

    def syntax(self) -> str:
        return "[--rebuild]"

    def short_desc(self) -> str:
        return "Build the article search index from the articles in ARCHIVE_URI"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--rebuild", action="store_true", help="empty the index first")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("archive-index takes no arguments")
        assert self.settings is not None
        storage = open_archive(self.settings, start_uploader=False)  # reads only
        index = SearchIndex.for_archive(storage, self.settings)
        if index is None:
            raise UsageError("the search index is disabled (ARCHIVE_SEARCH_ENABLED = False)")
        started = time.perf_counter()
        skipped: list[str] = []
        try:
            if opts.rebuild:
                index.clear()
            count = index.add_many(latest_records(storage, skipped))
            total = len(index)
        finally:
            index.close()
        extra = f", {len(skipped)} unreadable skipped" if skipped else ""
        print(f"Indexed {count} articles ({total} in the index{extra}) into {index.path} "
              f"in {time.perf_counter() - started:.1f} s")
