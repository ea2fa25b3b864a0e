"""``scrapy extract``: print the article JSON the pipeline would store for one page.

    scrapy extract saved-page.html --url https://www.enabbaladi.net/archives/372146 --site enabbaladi
    scrapy extract archive/warc/CRAWL/news-....warc.gz --url https://www.enabbaladi.net/archives/372146
    scrapy extract saved-page.html --url https://example.org/a --fetched-at 2020-03-25T10:00:00+00:00

For a saved page the bytes are decoded honouring their declared charset (BOM,
``<meta charset>``/``http-equiv``, or ``--content-type``).  For a WARC file
the response record of ``--url`` is read (its Content-Encoding undone) and its
HTTP headers are used.  The fetch time — the base of relative dates ("2 hours ago") and
of the future-date check (``DATES_MAX_FUTURE_DAYS``, which catches a swapped day and
month) — is ``--fetched-at`` if given, else the record's ``WARC-Date`` for a WARC,
else now.  Extraction, cleaning (including what the repetition
learner has stored for the site in ``ARCHIVE_URI``) and dates run through the
same functions as the crawl's pipelines (:mod:`pipelines.offline`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import QuietCommand
from crawler.profiles import ProfileError, load_profile
from pipelines.article import NotAnArticle
from pipelines.offline import page_from_bytes, process_offline


def is_warc(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith((".warc", ".warc.gz", ".warc.gz.open")):
        return True
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as gz:
            return gz.read(5) == b"WARC/"
    return head == b"WARC"


def find_response(path: Path, url: str | None) -> tuple[str, int, dict[str, str], bytes, dict[str, Any]]:
    """(url, status, headers, decoded body, WARC pointer) of the response record for ``url``.

    The pointer also carries the record's ``WARC-Date`` as ``date`` (popped by the command: the fetch time).
    """
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        for rec in records:
            if rec.rec_type != "response" or rec.http_headers is None:
                continue
            target = rec.rec_headers.get_header("WARC-Target-URI")
            ctype = rec.http_headers.get_header("Content-Type") or ""
            if url is not None and target != url:
                continue
            if url is None and "html" not in ctype.lower():
                continue
            headers = {k: v for k, v in rec.http_headers.headers}
            body = rec.content_stream().read()
            status = int(rec.http_headers.get_statuscode() or 0)
            offset = records.get_record_offset()
            records.read_to_end(rec)
            pointer = {
                "file": path.name.removesuffix(".open"),
                "record_id": rec.rec_headers.get_header("WARC-Record-ID"),
                "offset": offset,
                "length": records.get_record_length(),
                "date": rec.rec_headers.get_header("WARC-Date"),
            }
            return target, status, headers, body, pointer
    raise UsageError(f"{path}: no response record for {url or 'an HTML page'}; check --url (the WARC-Target-URI)")


def parse_fetched_at(value: str) -> str:
    """An ISO 8601 time as the fetch time (UTC when it has no offset); UsageError if it is not one."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"--fetched-at {value!r}: expected an ISO 8601 time, e.g. 2020-03-25T10:00:00+00:00") from exc
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


class Command(QuietCommand):

    def syntax(self) -> str:
        return "PATH --url URL [--site NAME] [--content-type TYPE] [--fetched-at ISO8601]"

    def short_desc(self) -> str:
        return "Print the article JSON the pipeline would store for a saved page or a WARC response record"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", help="URL of the page (required for saved pages; selects the record in a WARC)")
        parser.add_argument("--site", help="site profile name or .toml path (drop selectors, language, time zone)")
        parser.add_argument("--content-type", dest="content_type", help="Content-Type header to assume for a saved page")
        parser.add_argument(
            "--fetched-at", dest="fetched_at", metavar="ISO8601",
            help="when the page was fetched (default: the WARC record's WARC-Date, else now); dates after it are implausible",
        )  # fmt: skip

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one PATH (a saved HTML page or a WARC file)")
        path = Path(args[0])
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        try:
            profile = load_profile(opts.site) if opts.site else None
        except ProfileError as exc:
            raise UsageError(str(exc)) from exc
        fetched_at = parse_fetched_at(opts.fetched_at) if opts.fetched_at else None
        warc: dict[str, Any] | None = None
        if is_warc(path):
            url, status, headers, body, warc = find_response(path, opts.url)
            warc_date = warc.pop("date", None)
            if fetched_at is None and warc_date:
                fetched_at = parse_fetched_at(warc_date)
        else:
            if not opts.url:
                raise UsageError("--url is required for a saved page (the URL it was fetched from)")
            url, status, body = opts.url, 200, path.read_bytes()
            headers = {"Content-Type": opts.content_type} if opts.content_type else {}
        assert self.settings is not None
        page = page_from_bytes(body, url, headers=headers, status=status, profile=profile, warc=warc, fetched_at=fetched_at)
        try:
            record = process_offline(page, self.settings)
        except NotAnArticle as exc:
            print(f"{url}: no article extracted: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(json.dumps(record, ensure_ascii=False, indent=2))
