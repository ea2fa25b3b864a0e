"""`scrapy extract` dates a page against its fetch time: `--fetched-at`, else a WARC record's WARC-Date.

The page's only date is a numeric byline, "03/04/2020": month first (en-US) March 4, day first (en-GB)
April 3.  When the preferred reading is after the fetch time, the other one is taken — which only works
when the fetch time is the capture's, not the time the command runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PROJECT_ROOT = Path(__file__).resolve().parents[1]
URL = "https://news.example.org/world/ceasefire-talks"
PARAS = "".join(
    f"<p>Paragraph {i}: negotiators met again on Tuesday in the capital to discuss the terms of a ceasefire, officials said.</p>"
    for i in range(4)
)
# Day and month ambiguous, month first for en-US: March 4, 2020 (the other reading: April 3, 2020).
PAGE = (
    "<html lang='en-US'><head><meta charset='utf-8'><title>Ceasefire talks resume</title></head><body>"
    f"<article><h1>Ceasefire talks resume</h1><p class='byline'>By Staff Reporter, 03/04/2020</p>{PARAS}</article>"
    "</body></html>"
).encode()


def extract(path: Path, tmp_path: Path, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "scrapy", "extract", str(path), "--url", URL, "-s", f"ARCHIVE_URI={tmp_path / 'archive'}",
           *extra]
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_fetched_at_option_sets_the_fetch_time(tmp_path):
    saved = tmp_path / "page.html"
    saved.write_bytes(PAGE)
    record = extract(saved, tmp_path, "--fetched-at", "2020-04-10T08:00:00+00:00")
    assert record["fetched_at"] == "2020-04-10T08:00:00+00:00"
    assert record["published"] == "2020-03-04"  # en-US: month first
    # Fetched on 20 March, the month-first reading is still fine; fetched on 3 March it is in the future,
    # and the day-first reading (3 April is later still) cannot win either: ambiguity settled by plausibility.
    early = extract(saved, tmp_path, "--fetched-at", "2020-03-20T08:00:00Z")
    assert early["fetched_at"].startswith("2020-03-20T08:00:00")
    assert early["published"] == "2020-03-04"


def test_fetched_at_must_be_iso8601(tmp_path):
    saved = tmp_path / "page.html"
    saved.write_bytes(PAGE)
    cmd = [sys.executable, "-m", "scrapy", "extract", str(saved), "--url", URL, "--fetched-at", "yesterday"]
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "--fetched-at" in proc.stderr


def _warc(path: Path, body: bytes, warc_date: str) -> None:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(URL, "response", payload=BytesIO(body), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": warc_date})
        writer.write_record(record)


@pytest.mark.parametrize("swap", [False, True])
def test_warc_date_is_the_fetch_time(tmp_path, swap):
    """A WARC record is dated by its WARC-Date: a day/month-swapped byline that would land after it is refused."""
    # en-GB: day first.  "14/03/2020" is unambiguous; "03/04/2020" is 3 April (day first) or 4 March.
    byline = "03/04/2020" if swap else "14/03/2020"
    page = PAGE.replace(b"en-US", b"en-GB").replace(b"03/04/2020", byline.encode())
    warc = tmp_path / "crawl.warc.gz"
    _warc(warc, page, "2020-03-20T10:00:00Z")
    record = extract(warc, tmp_path)
    assert record["fetched_at"].startswith("2020-03-20T10:00:00")
    # Day first, 3 April 2020 is after the capture (20 March): the other reading, 4 March, is taken.
    assert record["published"] == ("2020-03-04" if swap else "2020-03-14")
    # --fetched-at wins over WARC-Date.
    later = extract(warc, tmp_path, "--fetched-at", "2020-06-01T00:00:00+00:00")
    assert later["fetched_at"] == "2020-06-01T00:00:00+00:00"
    assert later["published"] == ("2020-04-03" if swap else "2020-03-14")
