"""Recording HTTP/1.x download handler: the exact bytes of each exchange, next to Scrapy's parsing.

:class:`RecordingHTTP11DownloadHandler` is Scrapy's ``HTTP11DownloadHandler``
(same agent, pool, proxies, TLS context, size limits, timeouts) whose
connections are made by :class:`RecordingHTTP11ClientProtocol`, a subclass of
Scrapy's lenient ``HTTP11ClientProtocol``.  That protocol sits on the
connection's transport — the TCP transport, or for HTTPS Twisted's TLS
transport, so it sees the bytes after TLS — and keeps a copy of:

- every byte it writes (``transport.write``/``writeSequence``, through a thin
  transport proxy): request line, header block and body exactly as sent;
- every byte it receives (``dataReceived``): status line, header block (case,
  order, repeats, folded lines), and the body with its transfer coding
  (chunk sizes, extensions, trailers) and content coding as received.

HTTP/1.1 on one connection is sequential (Twisted does not pipeline): an
exchange starts when ``request()`` writes a request and its response bytes are
those received until Twisted's parser says the response ended (bytes the
parser hands back as not belonging to it are cut off), or the connection
closed.  The capture (:class:`WireCapture`) rides on Twisted's response
object and is put in ``request.meta["_wire"]`` when Scrapy builds its
:class:`~scrapy.http.Response`; :class:`crawler.middlewares.warc.WarcCaptureMiddleware`
takes it from there (and pops it).  Scrapy's middlewares and callbacks see
the usual Response.

Memory: each direction is a :class:`tempfile.SpooledTemporaryFile` held in
memory up to ``ARCHIVE_WIRE_SPOOL_BYTES`` (1 MiB) and spooled to a temporary
file beyond, so a large body is not held twice in memory.

TLS: the negotiated version (``WARC-Protocol: tls/1.3``), cipher suite (IANA
name where known, ``WARC-Cipher-Suite``) and the server's certificate chain
(PEM) are read from the pyOpenSSL connection when the response headers arrive.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _ResultT,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from zope.interface import directlyProvides, providedBy

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.interfaces import IAddress, ITransport
    from twisted.web._newclient import HTTP11ClientProtocol
    from twisted.web._newclient import Request as TxRequest
    from twisted.web.iweb import IResponse

logger = logging.getLogger(__name__)

DEFAULT_SPOOL_BYTES = 1024 * 1024
META_KEY = "_wire"


class WireCapture:
    """The bytes of one HTTP/1.x exchange as they crossed the connection (after TLS)."""

    def __init__(self, spool_bytes: int = DEFAULT_SPOOL_BYTES) -> None:
        self.spool_bytes = max(1, spool_bytes)
        self.sent: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=self.spool_bytes)  # noqa: SIM115
        self.received: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=self.spool_bytes)  # noqa: SIM115
        self.finished = False  # the parser found the end of the response
        self.frozen = False  # handed to Scrapy (or closed): nothing more is written
        self.connection_lost = False
        self.failed = False  # recording failed part-way: not usable, the exchange is rebuilt
        self.http_version = ""  # "HTTP/1.1" as the status line said
        self.tls_version: str | None = None  # "TLSv1.3" (OpenSSL)
        self.cipher_suite: str | None = None  # IANA name where known, else OpenSSL's
        self.cert_chain_pem: str | None = None
        self.peer: tuple[str, int] | None = None

    # -- recording -------------------------------------------------------
    def on_sent(self, data: bytes) -> None:
        if not self.frozen:
            self.sent.write(data)

    def on_received(self, data: bytes) -> None:
        if not self.finished and not self.frozen:
            self.received.write(data)

    def freeze(self) -> None:
        """Scrapy has its Response: bytes arriving later (after a StopDownload, say) are not part of it."""
        self.frozen = True

    def end_response(self, rest: bytes) -> None:
        """Twisted's parser says the response ended; ``rest`` (trailing bytes) is not part of it."""
        if self.finished:
            return
        if rest:
            size = self.received.tell()
            self.received.truncate(max(0, size - len(rest)))
            self.received.seek(max(0, size - len(rest)))
        self.finished = True

    # -- reading ---------------------------------------------------------
    @property
    def sent_length(self) -> int:
        return _size(self.sent)

    @property
    def received_length(self) -> int:
        return _size(self.received)

    def warc_protocols(self) -> list[str]:
        """``WARC-Protocol`` values (iipc/warc-specifications#42): ``http/1.1``, then ``tls/1.3`` for HTTPS."""
        out = [self.http_version.lower()] if self.http_version.upper().startswith("HTTP/1") else ["http/1.1"]
        if self.tls_version:
            version = self.tls_version.lower().replace("tlsv", "tls/").replace("sslv", "ssl/")
            if version == "tls/1":
                version = "tls/1.0"
            out.append(version)
        return out

    def close(self) -> None:
        self.frozen = True
        self.sent.close()
        self.received.close()


#: Request headers that carry the crawl's own credentials for a proxy: never written to a WARC.
SECRET_REQUEST_HEADERS = (b"proxy-authorization",)


def without_secret_headers(raw: IO[bytes]) -> IO[bytes]:
    """The request bytes as sent, minus any ``Proxy-Authorization`` line (the crawl's proxy credentials).

    The only change ever made to recorded bytes: everything else, the header lines' order and case
    included, is kept.  Returns ``raw`` itself when there is nothing to remove.
    """
    raw.seek(0)
    data = raw.read()
    raw.seek(0)
    end = data.find(b"\r\n\r\n")
    head, rest = (data[: end + 2], data[end + 2:]) if end >= 0 else (data, b"")
    lines = head.split(b"\r\n")
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in SECRET_REQUEST_HEADERS]
    if len(kept) == len(lines):
        return raw
    out = tempfile.SpooledTemporaryFile(max_size=max(len(data), 1) + 1)  # noqa: SIM115
    out.write(b"\r\n".join(kept) + rest)
    out.seek(0)
    return out


def _size(fh: IO[bytes]) -> int:
    pos = fh.tell()
    end = fh.seek(0, 2)
    fh.seek(pos)
    return end


class _RecordingTransport:
    """The connection's transport, with every write also given to the current capture."""

    def __init__(self, transport: Any, protocol: RecordingHTTP11ClientProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        directlyProvides(self, providedBy(transport))

    def write(self, data: bytes) -> None:
        self._protocol._record_sent(data)
        self._transport.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        data = list(data)
        for piece in data:
            self._protocol._record_sent(piece)
        self._transport.writeSequence(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class RecordingHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's lenient HTTP/1.1 client protocol, keeping the bytes of each exchange (see module docstring)."""

    spool_bytes = DEFAULT_SPOOL_BYTES

    def __init__(self, quiescentCallback: Any, spool_bytes: int = DEFAULT_SPOOL_BYTES) -> None:
        super().__init__(quiescentCallback)
        self.spool_bytes = spool_bytes
        self._wire: WireCapture | None = None

    def makeConnection(self, transport: ITransport) -> None:
        super().makeConnection(_RecordingTransport(transport, self))  # type: ignore[arg-type]

    def _record_sent(self, data: bytes) -> None:
        if self._wire is not None:
            try:
                self._wire.on_sent(data)
            except Exception:
                logger.exception("Could not keep the bytes sent; the exchange will be rebuilt")
                self._wire.failed = True
                self._wire = None

    def request(self, request: TxRequest) -> Deferred[IResponse]:
        wire = None
        if self._state == "QUIESCENT":
            wire = self._wire = WireCapture(self.spool_bytes)
        d: Deferred[IResponse] = super().request(request)
        if wire is None:
            return d
        transport = self.transport

        def attach(response: IResponse) -> IResponse:
            version = getattr(response, "version", None)
            if version:
                proto, major, minor = version
                wire.http_version = f"{proto.decode('ascii', 'replace')}/{major}.{minor}"
            _read_connection_info(wire, transport)
            response._scrapy_wire = wire  # type: ignore[attr-defined]
            return response

        d.addCallback(attach)
        return d

    def dataReceived(self, bytes: bytes) -> None:  # noqa: A002 - Twisted's parameter name
        if self._wire is not None:
            try:
                self._wire.on_received(bytes)
            except Exception:  # a full temporary disk must not break the fetch: the exchange is rebuilt
                logger.exception("Could not keep the bytes received; the exchange will be rebuilt")
                self._wire.failed = True
                self._wire = None
        super().dataReceived(bytes)

    def _finishResponse_WAITING(self, rest: bytes) -> None:
        if self._wire is not None:
            self._wire.end_response(rest)
        super()._finishResponse_WAITING(rest)

    _finishResponse_TRANSMITTING = _finishResponse_WAITING

    def connectionLost(self, reason: Any = None) -> None:
        if self._wire is not None:
            self._wire.connection_lost = True
        super().connectionLost(reason)


def _read_connection_info(wire: WireCapture, transport: Any) -> None:
    try:
        peer = transport.getPeer()
        wire.peer = (str(peer.host), int(peer.port))
    except Exception:  # noqa: BLE001 - informational only
        pass
    try:
        handle = transport.getHandle()
    except Exception:  # noqa: BLE001
        return
    if not hasattr(handle, "get_protocol_version_name"):
        return  # plain TCP: a socket
    try:
        wire.tls_version = handle.get_protocol_version_name()
        name = handle.get_cipher_name()
        wire.cipher_suite = iana_cipher_name(name) if name else None
        chain = handle.get_peer_cert_chain() or []
        wire.cert_chain_pem = "".join(_pem(cert) for cert in chain) or None
    except Exception as exc:  # noqa: BLE001 - a capture without TLS details is still a capture
        logger.debug("Could not read TLS details: %s", exc)


def _pem(cert: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    if hasattr(cert, "to_cryptography"):
        cert = cert.to_cryptography()
    return str(cert.public_bytes(Encoding.PEM).decode("ascii"))


# OpenSSL cipher names -> IANA (RFC 8446 names are the same in OpenSSL; TLS 1.2 ones differ).
_KX = {"ECDHE-RSA": "ECDHE_RSA", "ECDHE-ECDSA": "ECDHE_ECDSA", "DHE-RSA": "DHE_RSA", "": "RSA"}
_CIPHERS = {
    "AES128-GCM-SHA256": "AES_128_GCM_SHA256",
    "AES256-GCM-SHA384": "AES_256_GCM_SHA384",
    "CHACHA20-POLY1305": "CHACHA20_POLY1305_SHA256",
    "AES128-SHA": "AES_128_CBC_SHA",
    "AES256-SHA": "AES_256_CBC_SHA",
    "AES128-SHA256": "AES_128_CBC_SHA256",
    "AES256-SHA256": "AES_256_CBC_SHA256",
    "AES256-SHA384": "AES_256_CBC_SHA384",
    "DES-CBC3-SHA": "3DES_EDE_CBC_SHA",
}
_IANA = {
    (f"{kx}-{c}" if kx else c): f"TLS_{iana_kx}_WITH_{iana_c}"
    for kx, iana_kx in _KX.items()
    for c, iana_c in _CIPHERS.items()
}
_IANA["EDH-RSA-DES-CBC3-SHA"] = "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"


def iana_cipher_name(openssl_name: str) -> str:
    """The IANA (RFC) name of a cipher suite from OpenSSL's name; OpenSSL's name when not in the table."""
    if openssl_name.startswith("TLS_"):
        return openssl_name  # TLS 1.3 suites: OpenSSL uses the IANA names
    return _IANA.get(openssl_name, openssl_name)


class _RecordingClientFactory(_LenientHTTP11ClientFactory):
    spool_bytes = DEFAULT_SPOOL_BYTES

    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        return RecordingHTTP11ClientProtocol(self._quiescentCallback, self.spool_bytes)


class _RecordingAgent(_ScrapyAgent):
    """Scrapy's agent; the capture of the exchange goes into ``request.meta["_wire"]``."""

    _request: Request | None = None

    def download_request(self, request: Request) -> Deferred[Response]:
        self._request = request
        request.meta.pop(META_KEY, None)
        return super().download_request(request)

    def _cb_bodydone(self, result: _ResultT, url: str) -> Response:
        response = super()._cb_bodydone(result, url)
        wire = getattr(result["txresponse"], "_scrapy_wire", None)
        if wire is not None:
            wire.freeze()
            if wire.failed:
                wire.close()
            elif self._request is not None:
                self._request.meta[META_KEY] = wire
        return response


class RecordingHTTP11DownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose connections keep the bytes of each exchange (module docstring).

    Setting: ``ARCHIVE_WIRE_SPOOL_BYTES`` (bytes of each direction of an exchange held in memory
    before spooling to a temporary file).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if not crawler.settings.getbool("ARCHIVE_WARC_ENABLED", True):
            return  # no WARC records to write: Scrapy's handler as it is
        spool = crawler.settings.getint("ARCHIVE_WIRE_SPOOL_BYTES", DEFAULT_SPOOL_BYTES)
        factory: type[_RecordingClientFactory] = type(
            "RecordingClientFactory", (_RecordingClientFactory,), {"spool_bytes": spool}
        )
        self._pool._factory = factory

    async def download_request(self, request: Request) -> Response:
        # HTTP11DownloadHandler.download_request with the recording agent (Scrapy 2.19's code, less
        # the deprecated spider attributes).
        agent = _RecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
