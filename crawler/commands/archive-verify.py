"""``scrapy archive-verify CRAWL_ID_OR_PATH``: check a crawl's archive and report.

    scrapy archive-verify demo-20261129T010053Z-5998        # a crawl in ARCHIVE_URI (a directory or s3://)
    scrapy archive-verify archive/warc/demo-20261129T010053Z-5998   # a directory of WARCs

Checks every WARC (digests, WARC/1.1 structure: warcinfo first, dates, every
capture with its request, revisits with their WARC-Refers-To headers), that
every article JSON's ``warc`` pointer opens the right response record (and
each archived image's pointer a response or revisit record), and that the
crawl's CDXJ index covers every response and revisit record.  Reports the
pages whose images were not archived, with the count per reason (robots,
too-large, status 404, …; docs/resources.md): a report, not a fault.  A crawl
in a remote store is read through ``ARCHIVE_URI`` and the same settings as a
crawl (``AWS_*``, ``ARCHIVE_S3_*``, ``ARCHIVE_SPOOL_DIR``): WARCs are downloaded
one at a time into a temporary directory.  Prints a report; exits non-zero on
any fault.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError

from archive.keys import UnsafeKeyError, cdxj_key, warc_key
from archive.storage import Storage, StorageError
from archive.verify import (
    Report,
    check_cdxj,
    check_image_pointer,
    check_pointer,
    check_warc,
    note_missing_images,
)
from crawler.cli import QuietCommand, open_archive

# (WARC file name, temporary directory) -> a local path of that file
WarcOpener = Callable[[str, Path], Path]


def verify_crawl(
    report: Report,
    warc_names: list[str],
    open_warc: WarcOpener,
    articles: Iterable[tuple[str, bytes]] | None,
    cdxj: str | None,
) -> None:
    """Check the WARCs, the pointers of the ``articles`` ((name, JSON bytes)) into them, and the CDXJ."""
    names = set(warc_names)
    pointing: dict[str, list[dict[str, Any]]] = defaultdict(list)
    images: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for label, raw in articles or ():
        try:
            record = json.loads(raw)
        except ValueError as exc:
            report.fault(f"{label}: not JSON ({exc})")
            continue
        file = (record.get("warc") or {}).get("file")
        if file in names:
            pointing[file].append(record)
        note_missing_images(record, report)
        for image in record.get("images") or ():
            if isinstance(image, dict) and image.get("archived") and (image.get("warc") or {}).get("file") in names:
                images[image["warc"]["file"]].append((str(record.get("id")), image))
    captures = {}
    with tempfile.TemporaryDirectory(prefix="news-verify-") as tmp:
        for name in warc_names:
            path = open_warc(name, Path(tmp))
            captures[name] = check_warc(path, report)
            for record in pointing.pop(name, []):
                check_pointer(record, path.parent, report)
            for article_id, image in images.pop(name, []):
                check_image_pointer(article_id, image, path.parent, report)
            if path.parent == Path(tmp):
                path.unlink()  # a downloaded copy: one WARC on disk at a time
    if articles is not None:
        report.ok(f"{report.articles} article JSON pointers open their response records")
        if report.images_archived:
            report.ok(f"{report.images_archived} archived image pointers open their records")
        if report.images_missing:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(report.images_missing.items(), key=lambda kv: -kv[1]))
            pages = report.pages_missing_images
            report.lines.append(f"note   {pages} page{'' if pages == 1 else 's'} with images not archived: {reasons}")
    check_cdxj(cdxj, captures, report)


def store_warc_opener(storage: Storage, crawl_id: str) -> WarcOpener:
    def open_warc(name: str, tmp: Path) -> Path:
        key = warc_key(crawl_id, name)
        local = storage.local_path(key)
        if local is not None and local.is_file():
            return local
        dest = tmp / name
        if not storage.fetch_to(key, dest):
            raise StorageError(f"{key} disappeared from {storage.describe()}")
        return dest

    return open_warc


def store_articles(storage: Storage) -> Iterator[tuple[str, bytes]]:
    for key in storage.keys("articles/"):
        if key.endswith(".json"):
            raw = storage.get_bytes(key)
            if raw is not None:
                yield key, raw


def dir_articles(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*.json")):
        yield str(path), path.read_bytes()


class Command(QuietCommand):

    def syntax(self) -> str:
        return "CRAWL_ID_OR_PATH"

    def short_desc(self) -> str:
        return "Verify a crawl's WARCs, article JSON pointers and CDXJ index"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one crawl id (in ARCHIVE_URI) or a directory of WARC files")
        target = args[0]
        path = Path(target)
        report = Report()
        if path.is_dir():
            crawl_id = path.name
            warcs = sorted(path.glob("*.warc.gz")) + sorted(path.glob("*.warc"))
            if not warcs:
                report.fault(f"no WARC files in {path}")
            cdxj_path = path / "index.cdxj"
            cdxj = cdxj_path.read_text("utf-8") if cdxj_path.exists() else None
            root = path.parent.parent if path.parent.name == "warc" else None
            articles = dir_articles(root / "articles") if root is not None and (root / "articles").is_dir() else None
            verify_crawl(report, [p.name for p in warcs], lambda name, tmp: path / name, articles, cdxj)
        else:
            crawl_id = target
            try:
                cdxj_key(crawl_id)
            except UnsafeKeyError as exc:
                raise UsageError(f"{crawl_id!r} is neither a directory nor a crawl id: {exc}") from exc
            storage = open_archive(self.settings, start_uploader=False)
            try:
                names = [k.rsplit("/", 1)[1] for k in storage.keys(f"warc/{crawl_id}/") if k.endswith((".warc.gz", ".warc"))]
                if not names:
                    raise UsageError(f"no crawl {crawl_id!r} in {storage.describe()} (no WARC files under warc/{crawl_id}/)")
                raw = storage.get_bytes(cdxj_key(crawl_id))
                cdxj = raw.decode("utf-8") if raw is not None else None
                verify_crawl(report, names, store_warc_opener(storage, crawl_id), store_articles(storage), cdxj)
            except StorageError as exc:
                report.fault(f"cannot read {storage.describe()}: {exc}")
        for line in report.lines:
            print(line)
        print(
            f"crawl {crawl_id}: {report.warcs} WARC files, {report.records} records, {report.responses} responses, "
            f"{report.revisits} revisits, {report.articles} articles checked, {report.faults} faults"
        )
        if report.faults:
            self.exitcode = 1
            sys.stdout.flush()
