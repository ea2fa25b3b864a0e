"""``scrapy archive-sync``: upload what is still in the local spool to the store.

    scrapy archive-sync -s ARCHIVE_URI=s3://bucket/prefix -s AWS_ENDPOINT_URL=...

A crawl whose store was unreachable until its end leaves its outputs in
``ARCHIVE_SPOOL_DIR`` (and says so in its log, stats and manifest).  This
command sends them — verified like every upload — and removes each local copy
only once it is safely stored.  It can be interrupted and run again: uploads
are idempotent (same key, same bytes).  Exits 1 if anything is left.
"""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from archive.spool import SpoolingStorage
from crawler.cli import QuietCommand, open_archive


class Command(QuietCommand):

    def syntax(self) -> str:
        return "[--timeout SECONDS]"

    def short_desc(self) -> str:
        return "Upload the local spool (outputs a store outage left behind) to ARCHIVE_URI"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--timeout", type=float, default=60.0, help="keep retrying for this many seconds (default 60)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("archive-sync takes no arguments; set ARCHIVE_URI and ARCHIVE_SPOOL_DIR")
        storage = open_archive(self.settings, start_uploader=False)  # close() uploads
        if not isinstance(storage, SpoolingStorage):
            print(f"{storage.describe()} is a local archive: nothing to sync")
            return
        before = len(storage.pending_keys())
        left = storage.close(opts.timeout)
        print(f"{storage.describe()}: {before - len(left)} object(s) uploaded, {len(left)} left in the spool")
        for key in left[:20]:
            print(f"  not sent: {key}")
        if left:
            self.exitcode = 1
