"""``scrapy archive-verify CRAWL_ID_OR_PATH``: check a crawl's archive and report.

    scrapy archive-verify demo-20261129T010053Z-5998        # a crawl in ARCHIVE_URI
    scrapy archive-verify archive/warc/demo-20261129T010053Z-5998   # a directory of WARCs

Checks every WARC (digests, WARC/1.1 structure: warcinfo first, dates, every
capture with its request, revisits with their WARC-Refers-To headers), that
every article JSON's ``warc`` pointer opens the right response record, and
that the crawl's CDXJ index covers every response and revisit record.  Prints
a report; exits non-zero on any fault.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from archive.keys import cdxj_key
from archive.storage import open_storage
from archive.verify import Report, check_cdxj, check_pointer, check_warc
from crawler.cli import QuietCommand


class Command(QuietCommand):

    def syntax(self) -> str:
        return "CRAWL_ID_OR_PATH"

    def short_desc(self) -> str:
        return "Verify a crawl's WARCs, article JSON pointers and CDXJ index"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one crawl id (in ARCHIVE_URI) or a directory of WARC files")
        assert self.settings is not None
        target = args[0]
        storage = open_storage(self.settings.get("ARCHIVE_URI"))
        path = Path(target)
        if path.is_dir():
            warc_dir = path
            crawl_id = path.name
            cdxj_path = path / "index.cdxj"
            cdxj = cdxj_path.read_text("utf-8") if cdxj_path.exists() else None
            root = path.parent.parent if path.parent.name == "warc" else None
        else:
            crawl_id = target
            local = storage.local_path(f"warc/{crawl_id}/index.cdxj")
            if local is None:
                raise UsageError("archive-verify reads local archives; for S3 run `scrapy archive-sync` into a local copy first")
            warc_dir = local.parent
            if not warc_dir.is_dir():
                raise UsageError(f"no crawl {crawl_id!r} in {storage.describe()} (no {warc_dir})")
            raw = storage.get_bytes(cdxj_key(crawl_id))
            cdxj = raw.decode("utf-8") if raw is not None else None
            root = Path(storage.local_path("articles") or warc_dir).parent
        report = Report()
        warcs = sorted(warc_dir.glob("*.warc.gz")) + sorted(warc_dir.glob("*.warc"))
        if not warcs:
            report.fault(f"no WARC files in {warc_dir}")
        captures = {p.name: check_warc(p, report) for p in warcs}
        names = set(captures)
        if root is not None and (root / "articles").is_dir():
            for json_path in sorted((root / "articles").rglob("*.json")):
                try:
                    record = json.loads(json_path.read_text("utf-8"))
                except ValueError as exc:
                    report.fault(f"{json_path}: not JSON ({exc})")
                    continue
                if (record.get("warc") or {}).get("file") in names:
                    check_pointer(record, warc_dir, report)
            report.ok(f"{report.articles} article JSON pointers open their response records")
        check_cdxj(cdxj, captures, report)
        for line in report.lines:
            print(line)
        print(
            f"crawl {crawl_id}: {report.warcs} WARC files, {report.records} records, {report.responses} responses, "
            f"{report.revisits} revisits, {report.articles} articles checked, {report.faults} faults"
        )
        if report.faults:
            self.exitcode = 1
            sys.stdout.flush()
