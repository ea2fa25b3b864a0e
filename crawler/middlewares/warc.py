"""WarcCaptureMiddleware: every HTTP exchange into WARC, as the server sent it.

Installed closest to the downloader (priority 950, above Scrapy's
HttpCompressionMiddleware, RedirectMiddleware and RetryMiddleware), so it sees
each request as it is sent and each response as it was received: compressed
bodies with their Content-Encoding, 3xx responses before they are followed,
4xx/5xx responses before they are retried, robots.txt, sitemaps and feeds.

The records' HTTP blocks are the bytes that crossed the connection when the
recording download handler (:mod:`crawler.wire`) kept them — it puts them in
``request.meta["_wire"]``, popped here and released once written — with
``WARC-Protocol``, ``WARC-Cipher-Suite`` and, once per host and port, the
server's certificate chain (a ``metadata`` record, ``application/x-pem-file``).
Other exchanges (HTTP/2, other handlers) are rebuilt from the parsed Response.

The pointer to the response record (file, record id, offset, length) is put
in ``request.meta["warc"]`` for the item pipelines.

Deduplication: a 2xx response whose payload digest equals the site's last
capture of the same URL (the site state, ``archive.statestore``) is written as a
``revisit`` record (WARC-Profile identical-payload-digest, WARC-Refers-To*), and
``request.meta["warc_revisit"]`` tells the spider the page is unchanged.  A full
capture is recorded in the site state on the archive I/O thread as soon as its
records are flushed, so a crawl killed at any point has every archived capture
in its state.

A body cut short by the server (connection closed before Content-Length, kept
with ``DOWNLOAD_FAIL_ON_DATALOSS = False``) is written as received, with
``WARC-Truncated: disconnect``.  A fetch that produced no response at all
(timeout, body over ``DOWNLOAD_MAXSIZE``, connection refused, ...) is written
as a ``metadata`` record for the URL without WARC-Concurrent-To, whose fields
say why (``fetchError``), which attempt it was, and the response headers
and body bytes if some had arrived (``receivedHeader``, ``receivedBytes``),
one record per failed attempt.

Metadata records (``ARCHIVE_WARC_METADATA``): each capture gets exactly one
``metadata`` record (referrer, discovery path, depth, outlinks).  This
middleware writes it, with the exchange, for responses that will not reach a
spider callback (redirects, retried or refused statuses, robots.txt);
:class:`crawler.middlewares.capturemeta.CaptureMetadataMiddleware` writes it
for the others once the callback has listed the page's outlinks.  Which
responses reach a callback follows Scrapy's own rules: 2xx, or a status the
request or ``HTTPERROR_ALLOWED_CODES``/``HTTPERROR_ALLOW_ALL`` allows (a 304
of a conditional re-fetch included).

All records are written by the crawl's :class:`crawler.recorder.WarcRecorder`,
reached through :class:`crawler.extensions.archive.ArchiveExtension`; the site
state (payload digests of earlier captures) through the same extension.

Settings read: ``ARCHIVE_WARC_ENABLED``, ``ARCHIVE_WARC_METADATA``,
``HTTPERROR_ALLOWED_CODES``, ``HTTPERROR_ALLOW_ALL``, ``REDIRECT_ENABLED``.
Stats: ``archive/warc/records``, ``archive/warc/exchanges``,
``archive/warc/responses``, ``archive/warc/revisits``, ``archive/warc/metadata``,
``archive/warc/errors``, ``archive/warc/failed_fetches``, ``archive/warc/wire_exchanges``,
``archive/warc/certificates``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from archive.warcwriter import HttpExchange, RecordPointer, RevisitOf, payload_digest
from crawler.extensions.archive import ArchiveExtension
from crawler.wire import META_KEY as WIRE_META_KEY
from crawler.wire import SECRET_REQUEST_HEADERS, WireCapture, without_secret_headers

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http.headers import Headers

logger = logging.getLogger(__name__)


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Flatten Scrapy headers into (name, value) pairs, keeping repeated headers."""
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


class WarcCaptureMiddleware:
    """Downloader middleware writing request and response records (see module docstring)."""

    def __init__(self, crawler: Crawler, archive: ArchiveExtension) -> None:
        self.crawler = crawler
        self.archive = archive
        self.stats = crawler.stats
        settings = crawler.settings
        self.write_metadata = settings.getbool("ARCHIVE_WARC_METADATA")
        self.allowed_codes = {int(code) for code in settings.getlist("HTTPERROR_ALLOWED_CODES")}
        self.allow_all = settings.getbool("HTTPERROR_ALLOW_ALL")
        self.redirects = settings.getbool("REDIRECT_ENABLED")
        self.certificates_recorded: set[tuple[str, int]] = set()
        crawler.signals.connect(self._headers_received, signal=signals.headers_received)
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    @staticmethod
    def _headers_received(headers: Headers, body_length: int, request: Request, spider: object) -> None:
        request.meta["fetch_headers"] = headers  # flattened only if the fetch then fails
        latency = request.meta.get("download_latency")  # request sent -> headers received (Scrapy's handler)
        if latency is not None:
            # WARC-Date: when the request went out, not when it entered the download queue (where a
            # request waits out DOWNLOAD_DELAY, AutoThrottle or a Retry-After held on its slot).
            request.meta["warc_request_time"] = datetime.now(UTC) - timedelta(seconds=latency)

    @staticmethod
    def _bytes_received(data: bytes, request: Request, spider: object) -> None:
        request.meta["fetch_bytes"] = request.meta.get("fetch_bytes", 0) + len(data)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        if not crawler.settings.getbool("ARCHIVE_WARC_ENABLED"):
            raise NotConfigured("ARCHIVE_WARC_ENABLED is False")
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("ArchiveExtension is not enabled in EXTENSIONS: nothing to write WARC records into")
        return cls(crawler, archive)

    def process_request(self, request: Request) -> None:
        _close_wire(request.meta.pop(WIRE_META_KEY, None))  # left by an earlier attempt
        request.meta.setdefault("warc_request_time", datetime.now(UTC))
        request.meta.pop("fetch_headers", None)  # left by an earlier attempt (retries copy meta)
        request.meta.pop("fetch_bytes", None)
        return None

    async def process_response(self, request: Request, response: Response) -> Response:
        archive = self.archive
        wire: WireCapture | None = request.meta.pop(WIRE_META_KEY, None)
        if archive.closed or "cached" in response.flags:
            # A response from Scrapy's HTTP cache was not exchanged with the server now.
            _close_wire(wire)
            return response
        try:
            return await self._record(request, response, wire)
        finally:
            _close_wire(wire)

    async def _record(self, request: Request, response: Response, wire: WireCapture | None) -> Response:
        archive = self.archive
        exchange = HttpExchange(
            url=request.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body or b"",
            status=response.status,
            response_headers=header_pairs(response.headers),
            body=response.body,
            protocol=response.protocol or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
            date=request.meta.pop("warc_request_time", None) or datetime.now(UTC),
            truncated="disconnect" if "dataloss" in response.flags else None,
        )
        # The crawl's proxy credentials never go into a WARC (rebuilt or recorded request).
        exchange.request_headers = [(n, v) for n, v in exchange.request_headers
                                    if n.lower().encode("latin-1") not in SECRET_REQUEST_HEADERS]
        if wire is not None and wire.received_length:
            # The bytes of the connection (crawler.wire): the records carry them unchanged.
            self.stats.inc_value("archive/warc/wire_exchanges")
            exchange.raw_request = without_secret_headers(wire.sent)
            exchange.raw_response = wire.received
            exchange.warc_protocols = wire.warc_protocols()
            exchange.cipher_suite = wire.cipher_suite
        else:
            wire = None
        request.meta.pop("fetch_headers", None)
        request.meta.pop("fetch_bytes", None)
        request.meta["warc_fetched_at"] = exchange.date
        digest = exchange.payload_digest = payload_digest(exchange.body)
        request.meta["warc_payload_digest"] = digest
        revisit_of = None
        capture = None
        complete = exchange.truncated is None  # a cut-short body is never the reference capture of a URL
        state = archive.state
        dedup = state.dedup if state.dedup_enabled and 200 <= response.status < 300 and exchange.body and complete else None
        if dedup is not None:
            request.meta["capture_status"] = dedup.status(request.url, digest)
            capture = dedup.lookup(request.url, digest)
            if capture is not None:
                revisit_of = RevisitOf(request.url, capture.date, capture.record_id, digest)
        elif response.status == 304 and state.dedup_enabled:
            # A conditional re-fetch answered "not modified": a revisit of the stored capture.
            capture = state.dedup.captures.get(request.url)
            if capture is not None:
                revisit_of = RevisitOf(request.url, capture.date, capture.record_id, capture.digest, not_modified=True)
                request.meta["capture_status"] = "unchanged"
        # Written here unless a callback will (reaches_callback) or a component said it will, with outlinks
        # only it knows (``warc_metadata_deferred``: a stylesheet's references, PageResourcesMiddleware).
        deferred = request.meta.get("warc_metadata_deferred") and 200 <= response.status < 300
        fields = (capture_fields(request, response)
                  if self.write_metadata and not deferred and not self.reaches_callback(request, response) else None)
        written = None
        if dedup is not None and revisit_of is None:
            # A full capture: into the site state on the I/O thread, right after its records are flushed.
            url, etag, last_modified = request.url, _header(response, b"ETag"), _header(response, b"Last-Modified")

            def written(pointer: RecordPointer) -> None:
                state.record(url, digest, pointer.date, pointer.record_id, etag, last_modified)

        try:
            pointer, cpu_ms = await archive.recorder.record_exchange(exchange, revisit_of, fields, written)
        except OSError as exc:
            # Not fatal for the crawl, but loud: the exchange is not archived.
            self.stats.inc_value("archive/warc/errors")
            logger.error("Could not write WARC records for %s: %s", request.url, exc)
            return response
        records = 2
        request.meta["warc"] = pointer.as_dict()
        if fields is not None:
            records += 1
            self.stats.inc_value("archive/warc/metadata")
            request.meta["warc_metadata_for"] = pointer.record_id  # its one metadata record is written
        self.stats.inc_value("timing/warc_ms", cpu_ms)
        if revisit_of is not None:
            request.meta["warc_revisit"] = True
            request.meta["warc_revisit_article"] = capture.article_key if capture is not None else None
            self.stats.inc_value("archive/warc/revisits")
        else:
            self.stats.inc_value("archive/warc/responses")
        self.stats.inc_value("archive/warc/exchanges")
        self.stats.inc_value("archive/warc/records", records)
        if wire is not None and wire.cert_chain_pem:
            await self._record_certificates(request, wire, pointer.record_id)
        return response

    async def _record_certificates(self, request: Request, wire: WireCapture, concurrent_to: str) -> None:
        """The server's certificate chain (PEM) in a metadata record, once per host and port in a crawl."""
        parts = urlparse_cached(request)
        key = (parts.hostname or "", parts.port or 443)
        if key in self.certificates_recorded or not wire.cert_chain_pem:
            return
        self.certificates_recorded.add(key)
        try:
            # Its own URI (as Browsertrix names its urn:view:/urn:text: records), not the page's: a replay
            # tool that indexes metadata records must never serve the chain in place of the page.
            await self.archive.recorder.record_metadata_block(
                f"urn:x-tls-certificate-chain:{parts.scheme}://{key[0]}:{key[1]}", concurrent_to,
                "application/x-pem-file", wire.cert_chain_pem.encode("ascii"),
            )
        except OSError as exc:
            self.stats.inc_value("archive/warc/errors")
            logger.error("Could not write the certificate chain of %s: %s", request.url, exc)
            return
        self.stats.inc_value("archive/warc/certificates")
        self.stats.inc_value("archive/warc/metadata")
        self.stats.inc_value("archive/warc/records")

    async def process_exception(self, request: Request, exception: Exception) -> None:
        """A fetch attempt that produced no response: a metadata record saying why."""
        request.meta.pop("warc_request_time", None)
        if self.archive.closed or isinstance(exception, IgnoreRequest):
            return None
        fields = [
            ("fetchError", f"{type(exception).__name__}: {exception}".strip()),
            ("attempt", str(request.meta.get("retry_times", 0) + 1)),
        ]
        received = request.meta.get("fetch_headers")
        if received is not None:
            fields.append(("receivedBytes", str(request.meta.get("fetch_bytes", 0))))
            fields += [("receivedHeader", f"{name}: {value}") for name, value in header_pairs(received)]
        fields += capture_fields(request, None)
        try:
            await self.archive.recorder.record_metadata(request.url, None, fields)
        except OSError as exc:
            self.stats.inc_value("archive/warc/errors")
            logger.error("Could not write the WARC record of the failed fetch of %s: %s", request.url, exc)
            return None
        self.stats.inc_value("archive/warc/failed_fetches")
        self.stats.inc_value("archive/warc/metadata")
        self.stats.inc_value("archive/warc/records")
        return None

    def reaches_callback(self, request: Request, response: Response) -> bool:
        """Will a spider callback see this response (and CaptureMetadataMiddleware write its metadata record)?

        Scrapy's rules: internal requests (robots.txt) have no callback; a 3xx with a Location is
        followed by RedirectMiddleware unless the request allows that status; HttpErrorMiddleware
        lets 2xx through and the statuses allowed by ``handle_httpstatus_list``/``handle_httpstatus_all``
        or ``HTTPERROR_ALLOWED_CODES``/``HTTPERROR_ALLOW_ALL``.  A response then retried by
        RetryMiddleware or FaultRetryMiddleware never reaches the spider: where this says it does,
        the attempt has its exchange records but no metadata record (the retry gets its own).
        """
        if request.callback is NO_CALLBACK:
            return False
        meta = request.meta
        status = response.status
        if meta.get("handle_httpstatus_all"):
            allowed = True
        elif "handle_httpstatus_list" in meta:
            allowed = status in meta["handle_httpstatus_list"]
        else:
            allowed = self.allow_all or status in getattr(self.crawler.spider, "handle_httpstatus_list", self.allowed_codes)
        if status in (301, 302, 303, 307, 308) and response.headers.get(b"Location"):
            followed = self.redirects and not (
                meta.get("dont_redirect")
                or meta.get("handle_httpstatus_all")
                or status in meta.get("handle_httpstatus_list", ())
                or status in getattr(self.crawler.spider, "handle_httpstatus_list", ())
            )
            if followed:
                return False
        return 200 <= status < 300 or allowed


def _close_wire(wire: WireCapture | None) -> None:
    if wire is not None:
        wire.close()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def capture_fields(
    request: Request,
    response: Response | None,
    outlinks: list[str] | None = None,
    embeds: list[tuple[str, str, str]] | None = None,
) -> list[tuple[str, str]]:
    """warc-fields of a metadata record: referrer, discovery path, depth, outlinks and embeds.

    A page resource (``meta["embed"]``) has ``via`` the page (or stylesheet) that embedded it,
    ``hopsFromSeed`` its hop path as Heritrix writes it (``E``, ``EE``) and ``embedContext``
    (``img/@srcset``); a page lists its embeds as ``outlink: URL E img/@src``.
    """
    meta = request.meta
    referer = request.headers.get(b"Referer")
    embed = meta.get("embed")
    fields = [
        ("via", referer.decode("latin-1") if referer else ""),
        ("discovery", str(meta.get("discovery", ""))),
        ("hopsFromSeed", str(embed["hops"] if embed else meta.get("link_depth", ""))),
        ("depth", str(meta.get("depth", ""))),
        ("fetchTimeMs", str(int(1000 * meta["download_latency"])) if "download_latency" in meta else ""),
    ]
    if response is not None and 300 <= response.status < 400 and response.headers.get(b"Location"):
        location = response.headers.get(b"Location") or b""
        fields.append(("outlink", f"{response.urljoin(location.decode('latin-1'))} R Location"))
    if embed:
        fields.append(("embedContext", str(embed.get("context", ""))))
    for link in outlinks or []:
        fields.append(("outlink", f"{link} L a/@href"))
    for url, _kind, context in embeds or []:
        fields.append(("outlink", f"{url} E {context}"))
    return fields
