"""Headless Chromium for the replay tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

Playwright's own browser builds cannot be downloaded here (``playwright install`` fetches them), so
the Python client (``playwright``, a test extra) launches the system Chromium that ``make system-deps``
installs, headless, with the flags that keep it off the network on its own account (no background
networking, component updates, sync or QUIC), no proxy, and a fresh user-data directory::

    with ChromiumSession() as browser:
        page = browser.open("http://127.0.0.1:8080/")
        browser.screenshot(page, tmp_path / "page.png")
        browser.requests  # every request of every page, iframe and service worker, in order

Every request the browser context makes is recorded (``context.on("request")``, which sees pages,
their iframes and, on Chromium, service workers; ``page.on("request")`` too, for pages it opened),
once each, as :class:`RecordedRequest`; :meth:`ChromiumSession.origins` gives the ``host:port``
they went to, so a test can assert that a replay asked nothing of the live web.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright, Request

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
"""The browser the tests drive: Debian's package ``chromium`` (``make system-deps``)."""

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
)
"""Launch flags: headless as root, and no connection of the browser's own (the machine has no network)."""

PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                   "no_proxy", "NO_PROXY")


def clear_proxy_environment() -> None:
    """Remove the proxy variables from this process's environment (and so from its children's)."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)


def origin_of(url: str) -> str:
    """``host:port`` of an http(s)/ws(s) URL (the scheme's default port when none is given), else its scheme."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return f"{parts.scheme}:"
    port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    return f"{parts.hostname}:{port}"


LOCAL_SCHEMES = frozenset({"data:", "blob:", "about:", "chrome-extension:"})
"""URL schemes whose requests never leave the browser."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the browser made."""

    url: str
    method: str
    resource_type: str
    frame_url: str | None
    """URL of the frame that made it (``None`` for a service worker's own requests)."""
    service_worker: str | None
    """URL of the service worker that made it, if one did."""

    @property
    def origin(self) -> str:
        return origin_of(self.url)


def foreign_requests(requests: Iterable[RecordedRequest], allowed: set[str] | str) -> list[RecordedRequest]:
    """The requests to an origin (``host:port``) not in ``allowed``; ``data:``, ``blob:``, ``about:`` and
    ``chrome-extension:`` URLs never leave the browser and are not counted, any other scheme is."""
    allowed_set = {allowed} if isinstance(allowed, str) else set(allowed)
    return [r for r in requests if r.origin not in allowed_set and r.origin not in LOCAL_SCHEMES]


class ChromiumSession:
    """One headless Chromium with one browser context, recording every request it makes.

    A context manager: entering starts Playwright and the browser (a fresh user-data directory,
    removed on exit), exiting closes both.
    """

    def __init__(self, *, viewport: tuple[int, int] = (1280, 1000), timeout_ms: float = 60_000,
                 executable: str = CHROMIUM, locale: str = "en-US") -> None:
        self.viewport = viewport
        self.timeout_ms = timeout_ms
        self.executable = executable
        self.locale = locale
        self.requests: list[RecordedRequest] = []
        self.console: list[str] = []
        self._seen: dict[int, Request] = {}  # kept alive, so that no id() is reused
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None
        self._profile: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> ChromiumSession:
        from playwright.sync_api import sync_playwright

        if not Path(self.executable).exists():
            raise FileNotFoundError(f"{self.executable} is missing: run `make system-deps` (Debian package chromium)")
        clear_proxy_environment()
        env: dict[str, str | float | bool] = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self._playwright = sync_playwright().start()
        try:
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile,
                executable_path=self.executable,
                headless=True,
                args=list(CHROMIUM_ARGS),
                env=env,
                viewport={"width": self.viewport[0], "height": self.viewport[1]},
                locale=self.locale,
                service_workers="allow",
            )
        except BaseException:
            self._stop()
            raise
        self._context.set_default_timeout(self.timeout_ms)
        self._context.on("request", self._record)
        self._context.on("page", self._watch_page)
        for page in self._context.pages:
            self._watch_page(page)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._context is not None:
            try:
                self._context.close()
            finally:
                self._context = None
        if self._playwright is not None:
            try:
                self._playwright.stop()
            finally:
                self._playwright = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    @property
    def context(self) -> BrowserContext:
        if self._context is None:
            raise RuntimeError("the browser is not running (use ChromiumSession as a context manager)")
        return self._context

    # -- recording -------------------------------------------------------------------------------
    def _watch_page(self, page: Page) -> None:
        page.on("request", self._record)
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))

    def _record(self, request: Request) -> None:
        # The same request reaches both the page's and the context's listener: kept once.
        if id(request) in self._seen:
            return
        self._seen[id(request)] = request
        try:
            frame_url: str | None = request.frame.url
        except Exception:  # a service worker's request has no frame
            frame_url = None
        worker = request.service_worker
        self.requests.append(RecordedRequest(request.url, request.method, request.resource_type, frame_url,
                                             worker.url if worker is not None else None))

    def mark(self) -> int:
        """A position in :attr:`requests`: ``requests_since(mark)`` gives what came after it."""
        return len(self.requests)

    def requests_since(self, mark: int = 0) -> list[RecordedRequest]:
        return self.requests[mark:]

    def origins(self, mark: int = 0) -> set[str]:
        """The ``host:port`` (or ``scheme:`` for data:, blob: ...) of every request since ``mark``."""
        return {r.origin for r in self.requests[mark:]}

    def foreign_requests(self, allowed: set[str] | str, mark: int = 0) -> list[RecordedRequest]:
        """Requests since ``mark`` that went anywhere but the ``allowed`` origins (:func:`foreign_requests`)."""
        return foreign_requests(self.requests[mark:], allowed)

    # -- pages -----------------------------------------------------------------------------------
    def new_page(self) -> Page:
        return self.context.new_page()

    def open(self, url: str, *, page: Page | None = None,
             wait_until: Literal["commit", "domcontentloaded", "load", "networkidle"] = "load") -> Page:
        """Open ``url`` in ``page`` (a new page when none), wait for its ``load`` event, return the page."""
        target = page or self.new_page()
        target.goto(url, wait_until=wait_until)
        return target

    def screenshot(self, page: Page, path: str | os.PathLike[str], *, full_page: bool = False) -> Path:
        """Write a PNG of ``page`` to ``path`` (folders created); return the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=full_page)
        return out
