from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import re
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warcwriter import HttpExchange, RotatingWarcWriter


def _exchange(i: int, body: bytes, headers=None) -> HttpExchange:
    from datetime import UTC, datetime

    return HttpExchange(
        date=datetime.now(UTC),
        url=f"http://example.org/p/{i}?q=a%20b&x=1",
        method="GET",
        request_headers=[("User-Agent", "test"), ("Accept-Encoding", "gzip")],
        request_body=b"",
        status=200,
        response_headers=headers or [("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
        body=body,
    )


def test_records_digests_and_pointers(tmp_path):
    finished: list[tuple[Path, str]] = []
    writer = RotatingWarcWriter(tmp_path, prefix="t", warcinfo={"software": "x"}, on_close=lambda p, n: finished.append((p, n)))
    body = gzip.compress("<p>مرحبا</p>".encode())
    pointer = writer.write_exchange(_exchange(1, body, [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked"),
                                                       ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]))
    assert writer.current_file and (tmp_path / (writer.current_file + ".open")).exists()
    writer.close()
    assert len(finished) == 1
    path, name = finished[0]
    assert path.name == name and name.startswith("t-") and name.endswith(".warc.gz")
    assert pointer.file == name

    with open(path, "rb") as fh:
        records = list(ArchiveIterator(fh))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request"]
    for r in records:  # WARC/1.1 dates: UTC with microseconds and a Z, nothing else
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", r.rec_headers.get_header("WARC-Date"))
    assert records[0].rec_headers.get_header("WARC-Filename") == name
    resp, req = records[1], records[2]
    assert req.rec_headers.get_header("WARC-Concurrent-To") == resp.rec_headers.get_header("WARC-Record-ID")
    assert f"{req.http_headers.protocol} {req.http_headers.statusline}" == "GET /p/1?q=a%20b&x=1 HTTP/1.1"
    assert req.http_headers.get_header("Host") == "example.org"
    assert [v for k, v in resp.http_headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    # de-chunked body: header renamed so readers do not de-chunk again
    assert resp.http_headers.get_header("Transfer-Encoding") is None
    assert resp.http_headers.get_header("X-Orig-Transfer-Encoding") == "chunked"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    assert resp.rec_headers.get_header("WARC-Payload-Digest") == digest
    assert resp.rec_headers.get_header("WARC-Record-ID") == pointer.record_id

    # the pointer opens exactly the response record
    with open(path, "rb") as fh:
        fh.seek(pointer.offset)
        chunk = fh.read(pointer.length)
    rec = next(ArchiveIterator(io.BytesIO(chunk)))
    assert rec.rec_type == "response" and rec.raw_stream.read() == body


def test_rotation(tmp_path):
    finished = []
    writer = RotatingWarcWriter(tmp_path, max_size=4000, on_close=lambda p, n: finished.append(n))
    pointers = [writer.write_exchange(_exchange(i, os.urandom(2048))) for i in range(6)]
    writer.close()
    assert len(finished) >= 3
    assert len(set(finished)) == len(finished)
    assert sorted(finished) == finished  # serial numbers keep order
    assert {p.file for p in pointers} <= set(finished)
    for name in finished:
        with open(tmp_path / name, "rb") as fh:
            types = [r.rec_type for r in ArchiveIterator(fh)]
        assert types[0] == "warcinfo"
    assert not list(tmp_path.glob("*.open"))


def test_http2_and_content_length_fidelity(tmp_path):
    writer = RotatingWarcWriter(tmp_path)
    ex = _exchange(1, b"0123456789", [("Content-Length", "99"), ("Content-Type", "application/octet-stream")])
    ex.protocol = "HTTP/2"
    writer.write_exchange(ex)
    writer.close()
    with open(next(tmp_path.glob("*.warc.gz")), "rb") as fh:
        for resp in ArchiveIterator(fh):
            if resp.rec_type == "response":
                body = resp.raw_stream.read()
                break
    assert resp.rec_headers.get_header("WARC-Protocol") == "h2"
    assert resp.http_headers.protocol == "HTTP/1.1"
    assert resp.http_headers.get_header("Content-Length") == "10" and body == b"0123456789"
    assert resp.http_headers.get_header("X-Orig-Content-Length") == "99"
