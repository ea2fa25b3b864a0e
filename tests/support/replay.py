"""Replay servers for the browser tests: a crawl as a person would see it in pywb and in ReplayWeb.page.

* :class:`PywbServer` runs pywb's ``wayback`` (from ``.venv-tools``, :mod:`tests.tools`) on a free
  127.0.0.1 port over a temporary collection that ``wb-manager init`` / ``wb-manager add`` make from the
  given WARC files. :meth:`PywbServer.replay_url` is the framed replay a person opens
  (``/COLL/TIMESTAMP/URL``: pywb's banner on top, the page in an iframe at ``/COLL/TIMESTAMPmp_/URL``).
* :class:`ReplayWebServer` serves ReplayWeb.page (``ui.js``, and ``sw.js`` under ``replay/``, from the
  npm package ``make replayweb`` installs in ``tests/support/replayweb``), an ``index.html`` embedding
  ``<replay-web-page source="/crawl.wacz" url="...">`` and the WACZ, over HTTP/1.1 with range requests
  (``Range: bytes=a-b`` gives ``206`` and ``Content-Range``; ReplayWeb.page reads a WACZ only by ranges).

``python -m tests.support.replay --screenshot docs/replay-seed-article.png`` crawls the demo site, stops
it, replays the seed article in pywb in headless Chromium and writes the screenshot (how
``docs/replay-seed-article.png`` was made).
"""

from __future__ import annotations

import argparse
import html
import mimetypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from warcio.archiveiterator import ArchiveIterator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REPLAYWEB_PACKAGE = PROJECT_ROOT / "tests" / "support" / "replayweb" / "node_modules" / "replaywebpage"
"""ReplayWeb.page's npm package (``make replayweb``)."""

PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _no_proxy_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """GET without any proxy: ``(status, body)``; an HTTP error status is returned, not raised."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def capture_timestamp(warc_paths: Iterable[Path], url: str) -> str:
    """The 14-digit timestamp of the first ``response`` record for ``url`` in the WARC files."""
    for path in warc_paths:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    return re.sub(r"\D", "", record.rec_headers.get_header("WARC-Date"))[:14]
    raise LookupError(f"no response record for {url}")


# -- pywb -------------------------------------------------------------------------------------------


class PywbServer:
    """pywb's ``wayback`` over a temporary collection made from ``warc_paths``; a context manager."""

    def __init__(self, warc_paths: Iterable[Path], collection: str = "crawl", *, startup_timeout: float = 90) -> None:
        self.warc_paths = [Path(p) for p in warc_paths]
        self.collection = collection
        self.startup_timeout = startup_timeout
        self.port = 0
        self.root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        """``host:port`` of the server, as :meth:`tests.support.browser.ChromiumSession.origins` gives it."""
        return f"127.0.0.1:{self.port}"

    def replay_url(self, url: str, timestamp: str, modifier: str = "") -> str:
        """``/COLL/TIMESTAMP/URL``: framed replay (``modifier="mp_"``: the page alone, as in pywb's iframe)."""
        return f"{self.base}/{self.collection}/{timestamp}{modifier}/{url}"

    def __enter__(self) -> PywbServer:
        from tests.tools import tools_bin

        bin_dir = tools_bin()
        self.root = Path(tempfile.mkdtemp(prefix="pywb-"))
        env = _no_proxy_env()
        try:
            for args in (["init", self.collection], ["add", self.collection, *map(str, self.warc_paths)]):
                subprocess.run([str(bin_dir / "wb-manager"), *args], cwd=self.root, env=env, check=True,
                               capture_output=True, timeout=300)
            self.port = free_port()
            self._log = open(self.root / "wayback.log", "wb")  # closed by stop()
            self._proc = subprocess.Popen(
                [str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
                cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"wayback exited with {self._proc.returncode}: {self.log()[-3000:]}")
            try:
                if http_get(f"{self.base}/{self.collection}/", timeout=5)[0] < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"wayback did not answer on {self.base} in {self.startup_timeout} s: {self.log()[-3000:]}")

    def log(self) -> str:
        if self.root is None or not (self.root / "wayback.log").exists():
            return ""
        return (self.root / "wayback.log").read_text("utf-8", errors="replace")

    def stop(self) -> None:
        """Stop wayback (SIGTERM, then SIGKILL after 10 s) and remove the collection."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(10)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# -- a static server with range requests, for ReplayWeb.page ----------------------------------------

_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wacz", ".wacz")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` (inclusive) of a single ``bytes=`` range in a resource of ``size`` bytes.

    ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` (the last n bytes); ``last`` is clipped to the end.
    ``None`` when the range cannot be satisfied; ``ValueError`` when it is not one byte range
    (several ranges, other units: the caller serves the whole resource).
    """
    match = _RANGE_RE.fullmatch(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        raise ValueError(header)
    first_s, last_s = match.groups()
    if first_s == "":
        suffix = int(last_s)
        if suffix == 0:
            return None
        return max(0, size - suffix), size - 1
    first = int(first_s)
    last = size - 1 if last_s == "" else min(int(last_s), size - 1)
    if first >= size or first > last:
        return None
    return first, last


class RangeRequestHandler(BaseHTTPRequestHandler):
    """GET/HEAD of the files under the server's ``directory``, with single byte ranges."""

    protocol_version = "HTTP/1.1"
    server: RangeHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _file(self) -> Path | None:
        path = unquote(urlsplit(self.path).path)
        if path.endswith("/"):
            path += "index.html"
        root = os.path.abspath(self.server.directory)
        target = os.path.normpath(os.path.join(root, path.lstrip("/")))  # symlinks in the folder are followed
        if os.path.commonpath([root, target]) != root or not os.path.isfile(target):
            return None
        return Path(target)

    def _serve(self, send_body: bool) -> None:
        range_header = self.headers.get("Range")
        self.server.requests.append((self.command, self.path, range_header))
        target = self._file()
        if target is None:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        size = target.stat().st_size
        first, last, status = 0, size - 1, 200
        if range_header:
            try:
                span = parse_range(range_header, size)
            except ValueError:
                span = (0, size - 1)  # not a single byte range: the whole file, 200
            else:
                if span is None:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            first, last = span
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        if status == 206:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        length = max(0, last - first + 1)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if not send_body or length == 0:
            return
        with open(target, "rb") as fh:
            fh.seek(first)
            remaining = length
            while remaining:
                chunk = fh.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


class RangeHTTPServer(ThreadingHTTPServer):
    """Serves ``directory`` on 127.0.0.1 (a free port unless given) with :class:`RangeRequestHandler`."""

    daemon_threads = True

    def __init__(self, directory: Path, port: int = 0) -> None:
        self.directory = Path(directory)
        self.requests: list[tuple[str, str, str | None]] = []
        """``(method, path, Range header)`` of every request received."""
        super().__init__(("127.0.0.1", port), RangeRequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the browser went away mid-response (it does, reading ranges)
        super().handle_error(request, client_address)


EMBED_PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<script src="./ui.js"></script>
<style>html, body {{ margin: 0; height: 100%; }} replay-web-page {{ display: block; height: 100vh; }}</style>
</head>
<body>
<replay-web-page source="/crawl.wacz" url="{url}"{ts} replaybase="./replay/"></replay-web-page>
</body>
</html>
"""


class ReplayWebServer:
    """ReplayWeb.page and one WACZ on 127.0.0.1 (a free port); a context manager.

    The served folder (temporary) holds ``index.html`` (the embed, showing ``url``), ``ui.js``,
    ``replay/sw.js`` (the service worker, under the ``replaybase`` it serves), ``replay/ui.js`` (the replay
    iframe asks for it there before falling back to ``/ui.js``) and ``crawl.wacz`` (a link to the WACZ).
    """

    def __init__(self, wacz: Path, url: str, *, timestamp: str | None = None,
                 package: Path = REPLAYWEB_PACKAGE, title: str = "Crawl replay") -> None:
        self.wacz = Path(wacz)
        self.url = url
        self.timestamp = timestamp
        self.package = package
        self.title = title
        self.root: Path | None = None
        self.server: RangeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self.server is not None, "not started"
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def origin(self) -> str:
        assert self.server is not None, "not started"
        return f"127.0.0.1:{self.server.port}"

    @property
    def page_url(self) -> str:
        return self.base + "/"

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        assert self.server is not None, "not started"
        return self.server.requests

    def __enter__(self) -> ReplayWebServer:
        for name in ("ui.js", "sw.js"):
            if not (self.package / name).is_file():
                raise FileNotFoundError(f"{self.package / name} is missing: run `make replayweb`")
        self.root = Path(tempfile.mkdtemp(prefix="replayweb-"))
        (self.root / "replay").mkdir()
        shutil.copyfile(self.package / "ui.js", self.root / "ui.js")
        shutil.copyfile(self.package / "ui.js", self.root / "replay" / "ui.js")  # the replay iframe's own copy
        shutil.copyfile(self.package / "sw.js", self.root / "replay" / "sw.js")
        os.symlink(self.wacz.resolve(), self.root / "crawl.wacz")
        ts = f' ts="{html.escape(self.timestamp)}"' if self.timestamp else ""
        (self.root / "index.html").write_text(
            EMBED_PAGE.format(title=html.escape(self.title), url=html.escape(self.url), ts=ts), "utf-8")
        self.server = RangeHTTPServer(self.root)
        self._thread = threading.Thread(target=self.server.serve_forever, name="replayweb-http", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


# -- the screenshot for the docs ----------------------------------------------------------------------


def seed_article_path() -> str:
    """Site path of the demo site's seed article (the Enab Baladi Arabic article marked ``seed``)."""
    from demo.site import load_articles

    return next(article.path for article in load_articles() if article.seed)


def archived_frame(page: Any, url: str) -> Any:
    """The (Playwright) frame of ``page`` showing the archived ``url``: replay URLs end in ``mp_/URL``.

    Both pywb's framed replay and ReplayWeb.page (whose frames sit in shadow DOMs) show the archived page
    in an iframe; ``page.frames`` lists them all. ``None`` while there is none yet.
    """
    for frame in page.frames:
        if "mp_/" in frame.url and frame.url.endswith(url):
            return frame
    return None


def screenshot_seed_article(out: Path, viewport: tuple[int, int] = (1280, 1600)) -> Path:
    """Crawl the demo site, stop it, replay the seed article in pywb in Chromium, screenshot it to ``out``."""
    from demo.server import DemoServer
    from tests.conftest import run_crawl
    from tests.support.browser import ChromiumSession

    with tempfile.TemporaryDirectory(prefix="replay-shot-") as tmp:
        with DemoServer() as demo:
            base = demo.url.rstrip("/")
            result = run_crawl(Path(tmp) / "archive", ["site=demo", f"url={demo.url}"], crawl_id="replay-shot")
        if result.returncode != 0:
            raise RuntimeError("the demo crawl failed:\n" + result.log[-5000:])
        url = base + seed_article_path()
        warcs = result.warc_paths()
        with PywbServer(warcs) as pywb, ChromiumSession(viewport=viewport) as browser:
            page = browser.open(pywb.replay_url(url, capture_timestamp(warcs, url)))
            deadline = time.monotonic() + 60
            while (frame := archived_frame(page, url)) is None and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            if frame is None:
                raise RuntimeError(f"pywb showed no frame of {url}: {[f.url for f in page.frames]}")
            frame.locator("h1.entry-title").wait_for()
            frame.wait_for_function("() => Array.from(document.images).every((img) => img.complete)")
            frame.evaluate("() => document.fonts.ready.then(() => true)")
            page.wait_for_load_state("networkidle")
            return browser.screenshot(page, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--screenshot", type=Path, required=True,
                        help="PNG to write: the demo site's seed article replayed by pywb in headless Chromium")
    args = parser.parse_args(argv)
    print(screenshot_seed_article(args.screenshot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
