"""Checks of a crawl's archive: WARC digests and structure, JSON pointers, CDXJ coverage.

Used by ``scrapy archive-verify``.  Every fault is a line of the report; the
check never stops at the first one.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from archive.warcwriter import dechunked_payload_digest, is_chunked

_WARC_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    faults: int = 0
    warcs: int = 0
    records: int = 0
    responses: int = 0
    revisits: int = 0
    articles: int = 0
    images_archived: int = 0  # image pointers of article records that open their records
    images_missing: dict[str, int] = field(default_factory=dict)  # not archived, by reason
    pages_missing_images: int = 0  # article records with at least one image not archived

    def ok(self, message: str) -> None:
        self.lines.append(f"ok     {message}")

    def fault(self, message: str) -> None:
        self.faults += 1
        self.lines.append(f"FAULT  {message}")


def check_warc(path: Path, report: Report) -> list[tuple[str, int, str]]:
    """Digest and structure checks of one WARC; returns (type, offset, uri) of response/revisit records."""
    captures: list[tuple[str, int, str]] = []
    responses: dict[str, str] = {}
    concurrent: list[tuple[str, str, str]] = []  # (record type, its id, id it points to)
    name = path.name
    try:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh, check_digests=True)
            first = True
            for record in it:
                report.records += 1
                rtype = record.rec_type
                rid = record.rec_headers.get_header("WARC-Record-ID")
                # Raw bytes (digests are over them): decoding a Content-Encoding is not
                # needed, and a decompression bomb's body must not be inflated here.
                block = record.raw_stream.read() if rtype == "metadata" else b""
                # A chunked body recorded as received: the payload digest is over the de-chunked
                # payload (WARC spec); warcio 1.8 checks it over the chunked bytes (warcio #74/#75).
                chunked_digest = (dechunked_payload_digest(record.raw_stream)[0]
                                  if rtype == "response" and is_chunked(record.http_headers) else None)
                it.read_to_end(record)
                offset = it.get_record_offset()  # (reads the record to its end when called before)
                checker = record.digest_checker
                problems = list(checker.problems) if checker is not None and checker.passed is False else []
                if chunked_digest is not None:
                    if chunked_digest == record.rec_headers.get_header("WARC-Payload-Digest"):
                        problems = [p for p in problems if not p.startswith("payload digest failed")]
                    else:
                        problems.append(f"payload digest of the de-chunked payload is {chunked_digest}")
                if problems:
                    report.fault(f"{name}@{offset}: {rtype} record digest mismatch ({'; '.join(problems)})")
                if first and rtype != "warcinfo":
                    report.fault(f"{name}: first record is {rtype}, not warcinfo")
                first = False
                date = record.rec_headers.get_header("WARC-Date") or ""
                if not _WARC_DATE.match(date):
                    report.fault(f"{name}@{offset}: bad WARC-Date {date!r}")
                if record.rec_headers.protocol != "WARC/1.1":
                    report.fault(f"{name}@{offset}: not WARC/1.1 ({record.rec_headers.protocol})")
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if rtype in ("response", "revisit"):
                    responses[rid] = uri
                    captures.append((rtype, offset, uri))
                    if rtype == "revisit":
                        report.revisits += 1
                        for h in ("WARC-Refers-To-Target-URI", "WARC-Refers-To-Date", "WARC-Payload-Digest", "WARC-Profile"):
                            if not record.rec_headers.get_header(h):
                                report.fault(f"{name}@{offset}: revisit without {h}")
                    else:
                        report.responses += 1
                if rtype in ("request", "metadata"):
                    target = record.rec_headers.get_header("WARC-Concurrent-To")
                    if not target and not (rtype == "metadata" and b"fetchError:" in block):
                        # (a failed fetch's metadata record has no response to point to)
                        report.fault(f"{name}@{offset}: {rtype} record without WARC-Concurrent-To")
                    elif target:
                        concurrent.append((rtype, rid, target))
    except Exception as exc:  # a truncated or corrupt file: report, go on with the others
        report.fault(f"{name}: unreadable ({exc.__class__.__name__}: {exc})")
        return captures
    requests_for = {t for rtype, _, t in concurrent if rtype == "request"}
    for rid, uri in responses.items():
        if rid not in requests_for:
            report.fault(f"{name}: capture of {uri} has no request record")
    for rtype, rid, target in concurrent:
        if rtype == "request" and target not in responses:
            report.fault(f"{name}: request {rid} points to no response in this file")
    report.warcs += 1
    report.ok(f"{name}: {len(captures)} captures, digests and structure checked")
    return captures


def open_pointer(ptr: dict, warc_dir: Path) -> Any:
    """The WARC record a JSON pointer (file, offset, length) opens."""
    with open(warc_dir / ptr["file"], "rb") as fh:
        fh.seek(ptr["offset"])
        chunk = fh.read(ptr["length"])
    return next(iter(ArchiveIterator(io.BytesIO(chunk))))


def _opens_capture(label: str, ptr: dict, url: str | None, warc_dir: Path, report: Report) -> bool:
    """Whether ``ptr`` opens the response or revisit record it names (of ``url`` unless None); faults say why not."""
    try:
        rec = open_pointer(ptr, warc_dir)
    except Exception as exc:
        report.fault(f"{label} {ptr['file']}@{ptr['offset']} unreadable ({exc})")
        return False
    if rec.rec_headers.get_header("WARC-Record-ID") != ptr["record_id"]:
        report.fault(f"{label} opens {rec.rec_headers.get_header('WARC-Record-ID')}, not {ptr['record_id']}")
    elif url is not None and rec.rec_headers.get_header("WARC-Target-URI") != url:
        report.fault(f"{label} opens a record for another URL")
    elif rec.rec_type not in ("response", "revisit"):
        report.fault(f"{label} opens a {rec.rec_type} record")
    else:
        return True
    return False


def check_pointer(record: dict, warc_dir: Path, report: Report) -> None:
    ptr = record.get("warc")
    if ptr and _opens_capture(f"article {record.get('id')}: warc pointer", ptr, record.get("url"), warc_dir, report):
        report.articles += 1


def check_image_pointer(article_id: str, image: dict, warc_dir: Path, report: Report) -> None:
    """An article image's ``warc`` pointer opens a response or revisit record (of the image, or of its redirect target)."""
    if _opens_capture(f"article {article_id}: image pointer", image["warc"], None, warc_dir, report):
        report.images_archived += 1


def note_missing_images(record: dict, report: Report) -> None:
    """Count the article's images the crawl did not archive, by reason (``archived: false``)."""
    missing = [i for i in record.get("images") or () if isinstance(i, dict) and i.get("archived") is False]
    if missing:
        report.pages_missing_images += 1
    for image in missing:
        reason = str(image.get("reason") or "unknown")
        reason = reason.split(" (", 1)[0]  # "too-large (over N bytes, …)" -> "too-large"
        report.images_missing[reason] = report.images_missing.get(reason, 0) + 1


def check_cdxj(cdxj: str | None, captures: dict[str, list[tuple[str, int, str]]], report: Report) -> None:
    if cdxj is None:
        report.fault("no CDXJ index (run scrapy archive-pack)")
        return
    indexed: set[tuple[str, int]] = set()
    for line in cdxj.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[2].startswith("{"):
            data = json.loads(parts[2])
            indexed.add((data.get("filename", ""), int(data.get("offset", -1))))
    missing = [(f, o, u) for f, caps in captures.items() for _, o, u in caps if (f, o) not in indexed]
    for f, o, u in missing[:20]:
        report.fault(f"CDXJ does not cover {u} ({f}@{o})")
    if len(missing) > 20:
        report.fault(f"... and {len(missing) - 20} more captures missing from the CDXJ")
    if not missing:
        report.ok(f"CDXJ covers all {sum(len(c) for c in captures.values())} captures")
