"""HTTP server for the demo news site (:mod:`demo.site`).

:class:`DemoServer` serves :func:`demo.site.render` from a
:class:`http.server.ThreadingHTTPServer` on ``127.0.0.1`` and a free port::

    with DemoServer() as srv:
        urllib.request.urlopen(srv.url + "robots.txt")
        srv.requests  # [(method, path, headers), ...]
        srv.cdn_url   # "http://127.0.0.2:PORT": the image CDN, another host

Alongside the site it runs the site's image CDN (:func:`demo.site.render_cdn`)
on a second server: on ``127.0.0.2`` with the site's port, which is the origin
:func:`demo.assets.cdn_base_url` derives from the site's, so the pages are
exactly ``render(path, base_url=srv.base_url)``.  Where ``127.0.0.2`` cannot
be bound (no such loopback address, or the site listens on all addresses),
the CDN gets a free port on the site's address and the pages are rendered
with that ``cdn_url``.

Transport behaviour on top of ``render``:

* HTTP/1.1 with ``Content-Length`` on every response (keep-alive works);
  ``GET`` and ``HEAD`` are supported;
* gzip: when the request's ``Accept-Encoding`` allows gzip, 200 responses
  for the paths chosen by :func:`gzip_selected` (home pages, feeds, the posts
  sitemap, every article whose id is even, and the theme's stylesheets and
  scripts) are sent with
  ``Content-Encoding: gzip``; those paths always carry
  ``Vary: Accept-Encoding``.  Nothing is compressed unless asked for;
* ``If-Modified-Since`` against ``Last-Modified`` yields ``304``;
* no per-request logging.

Command line (used by ``make demo``)::

    python -m demo.server [--host 127.0.0.1] [--port 0]

prints the base URL (``http://127.0.0.1:PORT/``) as its first stdout line (the
CDN's on the second) and serves until interrupted or sent SIGTERM.
"""

from __future__ import annotations

import argparse
import errno
import gzip
import re
import signal
import sys
import threading
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from . import assets, site

__all__ = ["DemoServer", "RequestRecord", "accepts_gzip", "gzip_selected", "main"]

RequestRecord = tuple[str, str, dict[str, str]]
"""``(method, path, headers)`` of one received request."""

_GZIP_PATHS = frozenset({"/", "/en/", "/feed/", "/en/feed/", "/sitemap-posts.xml"})
_ARTICLE_PATH_RE = re.compile(r"(?:/en)?/archives/(\d+)")
_COMPRESSIBLE_TYPES = (
    "text/html",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "text/css",
    "application/javascript",
)


def gzip_selected(path: str) -> bool:
    """Whether the server gzips this path when the client accepts gzip.

    True for ``/``, ``/en/``, ``/feed/``, ``/en/feed/``,
    ``/sitemap-posts.xml``, ``/archives/{id}`` / ``/en/archives/{id}``
    with an even ``id``, and the ``.css`` and ``.js`` files of the theme
    (query strings are ignored).
    """
    route = urlsplit(path).path or "/"
    if route in _GZIP_PATHS:
        return True
    if route.startswith(assets.THEME_PATH) and route.endswith((".css", ".js")):
        return True
    match = _ARTICLE_PATH_RE.fullmatch(route)
    return bool(match and int(match.group(1)) % 2 == 0)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Parse an ``Accept-Encoding`` value: is gzip acceptable (q > 0)?"""
    if not accept_encoding:
        return False
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its :class:`DemoServer` and stays quiet."""

    daemon_threads = True
    demo: DemoServer
    is_cdn = False  # True on the image CDN's server

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # client went away; not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Request handler: delegates to :func:`demo.site.render`."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _HTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default per-request logging to stderr."""

    def _request_path(self) -> str:
        # http.server decodes the request line as latin-1; undo that so raw
        # UTF-8 (unencoded Arabic) paths still route.
        try:
            return self.path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return self.path

    def _respond(self, *, send_body: bool) -> None:
        demo = self.server.demo
        path = self._request_path()
        demo._record((self.command, path, dict(self.headers.items())), cdn=self.server.is_cdn)
        if self.server.is_cdn:
            status, headers, body = site.render_cdn(path)
        elif override := demo.overrides.get(path.split("?", 1)[0]):
            status, headers, body = override
        else:
            status, headers, body = site.render(path, base_url=demo.base_url, cdn_url=demo._explicit_cdn_url)
        headers = list(headers)

        if status == 200 and self._not_modified(headers):
            status, body = 304, b""
            headers = [(k, v) for k, v in headers if k.lower() in ("last-modified", "cache-control")]

        if status == 200 and not self.server.is_cdn and gzip_selected(path):
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            if content_type.startswith(_COMPRESSIBLE_TYPES):
                headers.append(("Vary", "Accept-Encoding"))
                if accepts_gzip(self.headers.get("Accept-Encoding")):
                    body = gzip.compress(body, compresslevel=6, mtime=0)
                    headers.append(("Content-Encoding", "gzip"))

        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _not_modified(self, headers: list[tuple[str, str]]) -> bool:
        since = self.headers.get("If-Modified-Since")
        last = next((v for k, v in headers if k.lower() == "last-modified"), None)
        if not since or not last:
            return False
        try:
            return parsedate_to_datetime(last) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False


class DemoServer:
    """The demo site and its image CDN on two threaded HTTP/1.1 servers.

    ``DemoServer(host="127.0.0.1", port=0)`` binds nothing until
    :meth:`start` (or ``with``) is called; port 0 picks a free port.

    Attributes available once started: :attr:`url` (``"http://host:port/"``),
    :attr:`base_url` (same without the trailing slash), :attr:`host`,
    :attr:`port`, :attr:`cdn_url` (the CDN's origin, no trailing slash,
    normally ``http://127.0.0.2:PORT``), and :attr:`requests`, a snapshot list
    of ``(method, path, headers)`` for every request received so far by either
    server (the ``Host`` header tells them apart; :attr:`cdn_requests` has the
    CDN's alone).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._cdn_httpd: _HTTPServer | None = None
        self._cdn_thread: threading.Thread | None = None
        self._explicit_cdn_url: str | None = None  # set when the CDN is not where cdn_base_url says
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._cdn_requests: list[RequestRecord] = []
        # path -> (status, headers, body) served instead of the rendered page
        # (tests use it to change a page between two crawls).
        self.overrides: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> DemoServer:
        """Bind both servers and start serving in background threads; returns ``self``."""
        if self._httpd is not None:
            return self
        httpd, cdn, explicit = self._bind()
        self.port = int(httpd.server_address[1])
        self._explicit_cdn_url = explicit
        self._httpd, self._cdn_httpd = httpd, cdn
        self._thread = self._serve(httpd, f"demo-site:{self.port}")
        self._cdn_thread = self._serve(cdn, f"demo-cdn:{cdn.server_address[1]}")
        return self

    def _bind(self) -> tuple[_HTTPServer, _HTTPServer, str | None]:
        """The site's server and the CDN's, and the CDN URL if not the derived one.

        Tries ``127.0.0.2`` on the site's port; with port 0 a clash there
        picks another port (a few times).  Else the CDN goes on a free port
        of the site's address.
        """
        wildcard = self.host in ("", "0.0.0.0", "::")
        attempts = 10
        for attempt in range(attempts):
            httpd = self._make_server((self.host, self.port), cdn=False)
            port = int(httpd.server_address[1])
            if wildcard or not self._loopback_site():
                break
            try:
                return httpd, self._make_server((assets.CDN_HOST, port), cdn=True), None
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or self.port != 0 or attempt == attempts - 1:
                    break  # no 127.0.0.2 here, or a fixed port: fall back
                httpd.server_close()  # that port is taken on 127.0.0.2: try another
        cdn = self._make_server((self.host, 0), cdn=True)
        cdn_host = self._display_host()
        return httpd, cdn, f"http://{cdn_host}:{cdn.server_address[1]}"

    def _make_server(self, address: tuple[str, int], *, cdn: bool) -> _HTTPServer:
        httpd = _HTTPServer(address, _Handler)
        httpd.demo = self
        httpd.is_cdn = cdn
        return httpd

    def _loopback_site(self) -> bool:
        return self.host in ("127.0.0.1", "localhost")

    @staticmethod
    def _serve(httpd: _HTTPServer, name: str) -> threading.Thread:
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving and close both sockets (idempotent)."""
        servers = [(self._httpd, self._thread), (self._cdn_httpd, self._cdn_thread)]
        self._httpd = self._thread = self._cdn_httpd = self._cdn_thread = None
        for httpd, _thread in servers:
            if httpd is not None:
                httpd.shutdown()
                httpd.server_close()
        for _httpd, thread in servers:
            if thread is not None:
                thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- properties --------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def _display_host(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        return host

    @property
    def base_url(self) -> str:
        """``http://host:port`` (no trailing slash), as passed to ``render``."""
        if self.port == 0:
            raise RuntimeError("DemoServer is not started")
        return f"http://{self._display_host()}:{self.port}"

    @property
    def cdn_url(self) -> str:
        """The image CDN's origin, no trailing slash (normally ``http://127.0.0.2:PORT``)."""
        if self._cdn_httpd is None:
            raise RuntimeError("DemoServer is not started")
        return self._explicit_cdn_url or assets.cdn_base_url(self.base_url)

    @property
    def url(self) -> str:
        """``http://host:port/`` — the home page of the Arabic edition."""
        return self.base_url + "/"

    @property
    def requests(self) -> list[RequestRecord]:
        """Snapshot of the requests received so far by the site and the CDN (thread-safe copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def cdn_requests(self) -> list[RequestRecord]:
        """Snapshot of the requests received so far by the CDN alone."""
        with self._lock:
            return list(self._cdn_requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()
            self._cdn_requests.clear()

    def _record(self, record: RequestRecord, *, cdn: bool = False) -> None:
        with self._lock:
            self._requests.append(record)
            if cdn:
                self._cdn_requests.append(record)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: serve the demo site until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.server", description="Serve the demo news site."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: 0 = any free port)")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    server = DemoServer(args.host, args.port).start()
    try:
        print(server.url, flush=True)
        print(f"image CDN: {server.cdn_url}/", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
