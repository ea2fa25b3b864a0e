"""Rotating WARC/1.1 file writer built on warcio.

:class:`RotatingWarcWriter` keeps one ``.warc.gz`` file open across records
(named ``.open`` while written), gzips each record separately, flushes after
every exchange, opens each file with a ``warcinfo`` record and rotates to a
new file once ``max_size`` bytes are reached.  Finished files are handed to a
callback (the storage backend).  Digests (WARC-Block-Digest and
WARC-Payload-Digest) are computed by warcio.

An exchange recorded on the wire (``HttpExchange.raw_request``/``raw_response``,
from :mod:`crawler.wire`) is written byte for byte: the request record's block is
the bytes sent, the response record's block the bytes received (status line, header
block and body with its transfer and content codings).  Its ``WARC-Payload-Digest``
is the digest of the de-chunked payload (the WARC spec; ``HttpExchange.payload_digest``),
not of the block's still-chunked bytes.  Other exchanges are rebuilt from the parsed
response (:func:`stored_headers`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import GzippingWrapper, WARCWriter
from zlib_ng import zlib_ng

from archive.keys import slug

logger = logging.getLogger(__name__)

# Headers describing the transfer, not the payload: the body of a rebuilt exchange
# (not recorded on the wire) is already de-chunked, so the header is renamed (as Browsertrix and warcprox
# do) to keep readers from de-chunking it again.
_RENAMED_HEADERS = {"transfer-encoding": "X-Orig-Transfer-Encoding"}


def _capture_headers(ex: HttpExchange, date: str) -> dict[str, Any]:
    """WARC headers every capture record of ``ex`` carries: date, IP address, truncation."""
    headers: dict[str, Any] = {"WARC-Date": date}
    if ex.ip_address:
        headers["WARC-IP-Address"] = ex.ip_address
    if ex.truncated:
        headers["WARC-Truncated"] = ex.truncated
    return headers


@dataclass(frozen=True)
class RecordPointer:
    """Where a record lives: WARC file name, record id, byte offset and length (plus its date and digest)."""

    file: str
    record_id: str
    offset: int
    length: int
    date: str = ""
    payload_digest: str = ""
    record_type: str = "response"

    def as_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "record_id": self.record_id, "offset": self.offset, "length": self.length}


@dataclass
class HttpExchange:
    """One HTTP request/response pair as it went over the wire."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    date: datetime | None = None
    # WARC-Truncated reason when the body is incomplete: "length", "time", "disconnect", "unspecified".
    truncated: str | None = None
    # payload_digest(body) when the caller has it already (saves warcio a pass over the body).
    # With raw_response it is required: the digest of the de-chunked payload (= body).
    payload_digest: str | None = None
    # The bytes as they crossed the connection (crawler.wire), when recorded: each a seekable
    # binary file holding exactly the bytes sent / received for this exchange.
    raw_request: IO[bytes] | None = None
    raw_response: IO[bytes] | None = None
    # WARC-Protocol values (http/1.1, tls/1.3) and WARC-Cipher-Suite of a recorded exchange.
    warc_protocols: list[str] | None = None
    cipher_suite: str | None = None


@dataclass(frozen=True)
class RevisitOf:
    """The earlier capture an identical payload refers to."""

    uri: str
    date: str
    record_id: str
    digest: str
    not_modified: bool = False  # a 304 answer to a conditional request (profile server-not-modified)


def warc_date(dt: datetime | None = None) -> str:
    """WARC-Date (WARC/1.1: UTC, microseconds, 'Z'); warcio needs a naive UTC datetime."""
    dt = dt or datetime.now(UTC)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return str(datetime_to_iso_date(dt, use_micros=True))


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest of a body, as warcio writes it (sha1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def request_line(method: str, url: str, protocol: str = "HTTP/1.1") -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{method} {target} {protocol}"


def host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port and parts.port != default:
        host += f":{parts.port}"
    return host


def status_line(status: int) -> str:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"{status} {reason}"


class _LeveledGzip(GzippingWrapper):  # type: ignore[misc]
    """warcio's per-record gzip member, compressed by zlib-ng (same gzip format, about twice zlib's speed)."""

    def __init__(self, out: Any, level: int) -> None:
        self.compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS + 16)
        self.out = out


class LeveledWARCWriter(WARCWriter):  # type: ignore[misc]
    """warcio's WARCWriter with a chosen gzip level (warcio always uses 9: slow for little gain), by zlib-ng.

    Measured on the Zyte benchmark pages: level 5 compresses HTML to 20.0 % in
    1.2 ms per page with zlib-ng, 2.1 ms with zlib; warcio's zlib level 9
    takes 4.6 ms for 19.6 %.
    """

    def __init__(self, filebuf: Any, *, level: int, **kwargs: Any) -> None:
        super().__init__(filebuf, gzip=True, **kwargs)
        self.level = level

    def _write_warc_record(self, out: Any, record: Any) -> Any:
        self.gzip = False  # the wrapper is ours; warcio's code path is otherwise unchanged
        try:
            return super()._write_warc_record(_LeveledGzip(out, self.level), record)
        finally:
            self.gzip = True


class RotatingWarcWriter:
    """Writes HTTP exchanges to rotating, per-record-gzipped WARC/1.1 files.

    ``on_close(path, filename)`` is called with each finished file (the
    ``.open`` suffix already removed); it must store or move the file.
    """

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "news",
        max_size: int = 1024**3,
        warcinfo: dict[str, str] | None = None,
        on_close: Callable[[Path, str], None] | None = None,
        gzip_level: int = 5,
    ) -> None:
        self.gzip_level = gzip_level
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = slug(prefix, "news")
        self.max_size = max_size
        self.warcinfo = dict(warcinfo or {})
        self.on_close = on_close
        self.host = slug(socket.gethostname(), "host")
        self.pid = os.getpid()
        self.serial = 0
        self.files: list[str] = []  # every file this writer opened, in order
        self.records = 0
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._filename: str | None = None
        self._lock = threading.Lock()

    # -- file lifecycle -------------------------------------------------
    def _new_filename(self) -> str:
        now = datetime.now(UTC)
        stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
        return f"{self.prefix}-{stamp}-{self.serial:05d}-{self.pid}~{self.host}.warc.gz"

    def _open(self) -> None:
        self._filename = self._new_filename()
        self.serial += 1
        path = self.directory / (self._filename + ".open")
        self._fh = open(path, "wb")  # noqa: SIM115 - kept open across records
        self._writer = LeveledWARCWriter(self._fh, level=self.gzip_level, warc_version="1.1")
        info = self._writer.create_warcinfo_record(self._filename, self.warcinfo)
        self._writer.write_record(info)
        self._fh.flush()
        self.files.append(self._filename)
        logger.info("Opened WARC file %s", path)

    def close(self) -> None:
        """Finish the current file (if any) and hand it to ``on_close``."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._fh is None or self._filename is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        open_path = self.directory / (self._filename + ".open")
        final_path = self.directory / self._filename
        os.replace(open_path, final_path)
        filename = self._filename
        self._fh = self._writer = self._filename = None
        logger.info("Closed WARC file %s (%d bytes)", final_path, final_path.stat().st_size)
        if self.on_close is not None:
            self.on_close(final_path, filename)

    @property
    def current_file(self) -> str | None:
        return self._filename

    # -- records ------------------------------------------------------------
    def write_exchange(self, ex: HttpExchange, revisit_of: RevisitOf | None = None) -> RecordPointer:
        """Write the response (or revisit) and request records of one exchange.

        With ``revisit_of`` the payload is identical to that earlier capture: a
        ``revisit`` record (profile identical-payload-digest, HTTP headers only)
        replaces the response record.  Returns the pointer to the response or
        revisit record.  The file is flushed before returning and rotated if it
        has grown past ``max_size``.
        """
        with self._lock:
            if self._fh is None:
                self._open()
            assert self._writer is not None and self._fh is not None and self._filename is not None
            date = warc_date(ex.date)
            if ex.raw_response is not None and ex.raw_request is not None:
                return self._write_raw_exchange_locked(ex, date, revisit_of)

            resp_headers = StatusAndHeaders(
                status_line(ex.status),
                stored_headers(ex.response_headers, len(ex.body)),
                protocol=ex.protocol if ex.protocol.startswith("HTTP/1") else "HTTP/1.1",
            )
            warc_headers = _capture_headers(ex, date)
            if ex.payload_digest and revisit_of is None:
                warc_headers["WARC-Payload-Digest"] = ex.payload_digest
            if not ex.protocol.startswith("HTTP/1"):
                warc_headers["WARC-Protocol"] = ex.protocol.lower().replace("http/2", "h2")
            if revisit_of is not None:
                response = self._revisit_record(ex.url, revisit_of, resp_headers, warc_headers)
            else:
                response = self._writer.create_warc_record(
                    ex.url,
                    "response",
                    payload=io.BytesIO(ex.body),
                    length=len(ex.body),
                    http_headers=resp_headers,
                    warc_headers_dict=warc_headers,
                )
            response_id = response.rec_headers.get_header("WARC-Record-ID")
            req_headers = StatusAndHeaders(
                request_line(ex.method, ex.url),
                _with_host(ex.url, ex.request_headers),
                is_http_request=True,
            )
            request = self._writer.create_warc_record(
                ex.url,
                "request",
                payload=io.BytesIO(ex.request_body),
                length=len(ex.request_body),
                http_headers=req_headers,
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
            )

            return self._write_pair_locked(response, request, date)

    def _write_pair_locked(self, response: Any, request: Any, date: str) -> RecordPointer:
        assert self._writer is not None and self._fh is not None and self._filename is not None
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        offset = self._fh.tell()
        self._writer.write_record(response)
        length = self._fh.tell() - offset
        self._writer.write_record(request)
        self._fh.flush()
        self.records += 2
        pointer = RecordPointer(
            self._filename,
            response_id,
            offset,
            length,
            date=date,
            payload_digest=response.rec_headers.get_header("WARC-Payload-Digest") or "",
            record_type=response.rec_type,
        )
        if self._fh.tell() >= self.max_size:
            self._close_locked()
        return pointer

    def _revisit_record(self, url: str, revisit_of: RevisitOf, http_headers: Any, warc_headers: dict[str, Any]) -> Any:
        """A revisit record of ``revisit_of`` (identical payload, or server-not-modified for a 304)."""
        warc_headers["WARC-Refers-To"] = revisit_of.record_id
        response = self._writer.create_revisit_record(  # type: ignore[union-attr]
            url, revisit_of.digest, revisit_of.uri, revisit_of.date,
            http_headers=http_headers, warc_headers_dict=warc_headers,
        )
        if revisit_of.not_modified:
            response.rec_headers.replace_header(
                "WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
            )
        return response

    def _write_raw_exchange_locked(self, ex: HttpExchange, date: str, revisit_of: RevisitOf | None) -> RecordPointer:
        """Records whose HTTP blocks are the bytes of the connection (see module docstring)."""
        assert self._writer is not None and ex.raw_response is not None and ex.raw_request is not None
        if revisit_of is None and not ex.payload_digest:
            raise ValueError("a raw exchange needs its payload digest (of the de-chunked payload)")
        resp_head, resp_body_len = split_http_head(ex.raw_response)
        warc_headers = _capture_headers(ex, date)
        if ex.cipher_suite:
            warc_headers["WARC-Cipher-Suite"] = ex.cipher_suite
        if revisit_of is not None:
            response = self._revisit_record(ex.url, revisit_of, RawHttpHead(resp_head), warc_headers)
        else:
            warc_headers["WARC-Payload-Digest"] = ex.payload_digest or ""
            response = self._writer.create_warc_record(
                ex.url,
                "response",
                payload=ex.raw_response,
                length=resp_body_len,
                http_headers=RawHttpHead(resp_head),
                warc_headers_dict=warc_headers,
            )
        for protocol in ex.warc_protocols or ["http/1.1"]:
            response.rec_headers.add_header("WARC-Protocol", protocol)
        response_id = response.rec_headers.get_header("WARC-Record-ID")

        req_head, req_body_len = split_http_head(ex.raw_request)
        request = self._writer.create_warc_record(
            ex.url,
            "request",
            payload=ex.raw_request,
            length=req_body_len,
            http_headers=RawHttpHead(req_head, is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
        for protocol in ex.warc_protocols or ["http/1.1"]:
            request.rec_headers.add_header("WARC-Protocol", protocol)
        if ex.cipher_suite:
            request.rec_headers.add_header("WARC-Cipher-Suite", ex.cipher_suite)
        return self._write_pair_locked(response, request, date)

    def write_metadata(self, url: str, concurrent_to: str | None, fields: list[tuple[str, str]]) -> RecordPointer:
        """A ``metadata`` record (application/warc-fields) about the capture ``concurrent_to``.

        Without ``concurrent_to`` it describes a fetch of ``url`` that produced no
        response record (the fields say why).
        """
        body = "".join(f"{k}: {v}\r\n" for k, v in fields if v not in (None, "")).encode("utf-8")
        return self.write_metadata_block(url, concurrent_to, "application/warc-fields", body)

    def write_metadata_block(self, url: str, concurrent_to: str | None, content_type: str, body: bytes) -> RecordPointer:
        """A ``metadata`` record holding ``body`` (of ``content_type``) about the capture ``concurrent_to``."""
        with self._lock:
            if self._fh is None:
                self._open()
            assert self._writer is not None and self._fh is not None and self._filename is not None
            date = warc_date()
            record = self._writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(body),
                length=len(body),
                warc_content_type=content_type,
                warc_headers_dict={"WARC-Date": date, **({"WARC-Concurrent-To": concurrent_to} if concurrent_to else {})},
            )
            offset = self._fh.tell()
            self._writer.write_record(record)
            self._fh.flush()
            self.records += 1
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            pointer = RecordPointer(self._filename, record_id, offset, self._fh.tell() - offset, date, "", "metadata")
            if self._fh.tell() >= self.max_size:
                self._close_locked()
            return pointer


class RawHttpHead(StatusAndHeaders):  # type: ignore[misc]
    """An HTTP head (status or request line and header block, with its blank line) written as given.

    Parsed for readers of the object (``get_header``, ``statusline``); warcio writes
    ``headers_buff``, which :meth:`compute_headers_buffer` leaves as the bytes received.
    """

    def __init__(self, raw: bytes, is_http_request: bool = False) -> None:
        text = raw.decode("latin-1")
        lines = text.replace("\r\n", "\n").split("\n")
        first = lines[0] if lines else ""
        protocol, _, statusline = first.partition(" ")
        if is_http_request:
            protocol, statusline = "", first
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if not line:
                break
            if line[0] in " \t" and headers:
                name, value = headers[-1]
                headers[-1] = (name, value + " " + line.strip())
            elif ":" in line:
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
        super().__init__(statusline, headers, protocol=protocol, is_http_request=is_http_request)
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        """Keep the bytes as received (warcio would re-serialise the parsed headers)."""

    def __bool__(self) -> bool:
        return True


def split_http_head(stream: IO[bytes], chunk: int = 65536) -> tuple[bytes, int]:
    """Read an HTTP message's head (through its blank line) from the start of ``stream``.

    Returns the head's bytes and the length of what follows; ``stream`` is left at the
    start of the body.  Lines may end in CRLF or a bare LF (Twisted accepts both); a
    message cut before its blank line is all head.
    """
    stream.seek(0, 2)
    total = stream.tell()
    stream.seek(0)
    buf = b""
    while True:
        data = stream.read(chunk)
        buf += data
        end = _head_end(buf)
        if end is not None or not data:
            break
    if end is None:
        end = len(buf)
    stream.seek(end)
    return buf[:end], total - end


def _head_end(buf: bytes) -> int | None:
    pos = 0
    while True:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            return None
        if buf.startswith(b"\r\n", nl + 1):
            return nl + 3
        if buf.startswith(b"\n", nl + 1):
            return nl + 2
        pos = nl + 1


def dechunk(data: bytes) -> tuple[bytes, bool]:
    """The payload of a chunked body (extensions and trailer dropped) and whether it was complete."""
    out = bytearray()
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return bytes(out), False
        size_field = data[pos:nl].split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            return bytes(out), False
        pos = nl + 1
        if size == 0:
            return bytes(out), True
        out += data[pos:pos + size]
        if pos + size > len(data):
            return bytes(out), False
        pos += size
        if data.startswith(b"\r\n", pos):
            pos += 2
        elif data.startswith(b"\n", pos):
            pos += 1


def dechunked_payload_digest(stream: Any, bufsize: int = 65536) -> tuple[str, bool]:
    """WARC-Payload-Digest of a chunked body read from ``stream`` (de-chunked: sizes, extensions
    and trailer dropped, as the WARC spec defines the payload), and whether the body was complete.

    warcio 1.8 digests the still-chunked bytes instead (warcio issues #74, #75) and its
    de-chunker stops at a trailer; this one reads ``stream`` with ``readline``/``read`` only.
    """
    digester = hashlib.sha1()
    complete = False
    while True:
        line = stream.readline(8192)
        if not line:
            break
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            break
        if size == 0:
            complete = True
            break
        while size > 0:
            data = stream.read(min(size, bufsize))
            if not data:
                break
            digester.update(data)
            size -= len(data)
        if size > 0:
            break
        stream.readline(8192)  # the CRLF ending the chunk
    return "sha1:" + base64.b32encode(digester.digest()).decode("ascii"), complete


def is_chunked(http_headers: Any) -> bool:
    """Does a warcio StatusAndHeaders say the body is in chunked transfer coding?"""
    value = http_headers.get_header("Transfer-Encoding") if http_headers else None
    return isinstance(value, str) and value.split(",")[-1].strip().lower() == "chunked"


def stored_headers(headers: Iterable[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """Response headers as stored: order and repeats kept; Transfer-Encoding renamed
    (the stored body is de-chunked); a Content-Length that does not match the stored
    body is corrected, the server's value kept as X-Orig-Content-Length."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in _RENAMED_HEADERS:
            out.append((_RENAMED_HEADERS[lower], value))
        elif lower == "content-length" and value.strip() != str(body_length):
            out.append(("X-Orig-Content-Length", value))
            out.append((name, str(body_length)))
        else:
            out.append((name, value))
    return out


def _with_host(url: str, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    headers = list(headers)
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", host_header(url)))
    return headers


def close_out(path: Path) -> tuple[int, int]:
    """Make an interrupted ``.warc.gz`` readable: keep its complete records, cut the partial tail.

    A response or revisit whose request record did not make it is cut too, so
    every capture that remains is whole.  Returns (records kept, bytes cut).
    """
    size = path.stat().st_size
    ends: list[tuple[int, str]] = []  # (end offset, record type) of complete records
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        try:
            for record in it:
                offset = it.get_record_offset()
                record.content_stream().read()
                it.read_to_end(record)
                ends.append((offset + it.get_record_length(), record.rec_type))
        except Exception:  # the partial tail: stop at the last complete record
            pass
    while ends and ends[-1][1] in ("response", "revisit"):
        ends.pop()
    keep = ends[-1][0] if ends else 0
    with open(path, "r+b") as fh:
        fh.truncate(keep)
    return len(ends), size - keep
