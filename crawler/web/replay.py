"""The replay origin: a minimal WSGI app serving ReplayWeb.page and the crawls' WACZ packages.

Archived pages are untrusted: ReplayWeb.page runs their scripts in frames of the origin that serves
it.  So ``scrapy archive-web`` serves replay on a second listener — the same address, another port
(``--replay-port`` / ``ARCHIVE_WEB_REPLAY_PORT``, default the console's port + 1), hence another
origin — and the console's replay page only embeds a frame of it.  A script of an archived page
runs on the replay origin: the browser's same-origin policy keeps it from reading the console's
pages (and the CSRF tokens in their forms), as this app sends no CORS headers and the console none either.

This app reads no cookie (it has no session and no secret key), has no write route (GET and HEAD
only), and serves only: ReplayWeb.page's ``ui.js`` and ``sw.js`` (from ``ARCHIVE_WEB_REPLAYWEB_DIR``),
its app page, the page holding the ``<replay-web-page>`` element, and the crawl's WACZ (with range
requests).  Its pages may be framed by the console's origin only (``frame-ancestors``).

Settings read: ``ARCHIVE_WEB_REPLAYWEB_DIR``, ``ARCHIVE_WEB_CACHE_DIR`` (and ``ARCHIVE_URI`` with the
store's own settings when no ``storage`` or ``view`` is given).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, render_template, request, send_file
from scrapy.settings import BaseSettings, Settings

from archive.storage import Storage, open_storage
from crawler.web.store import ArchiveView, valid_id

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REPLAYWEB_DIR = PROJECT_ROOT / "tests" / "support" / "replayweb" / "node_modules" / "replaywebpage"

# ReplayWeb.page: its UI and service worker (same origin) build frames, styles and workers at run time.
REPLAY_CSP = ("default-src 'self' blob: data:; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
              "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
              "form-action 'none'")

REPLAY_APP_PAGE = """<!doctype html>
<html class="no-overflow">
<head>
<meta charset="utf-8">
<title>ReplayWeb.page</title>
<script src="./ui.js"></script>
</head>
<body><replay-app-main></replay-app-main></body>
</html>
"""

CONSOLE_PORT = "ARCHIVE_CONSOLE_PORT"  # app.config key: the console's port, whose origin may frame the replay page

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wacz", ".wacz")


def host_origin(port: int) -> str:
    """``scheme://host:port`` for the host the browser used to reach this request's server, on ``port``."""
    hostname = urlsplit(f"//{request.host}").hostname or "127.0.0.1"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    return f"{request.scheme}://{hostname}:{port}"


def replay_port_setting(settings: BaseSettings) -> int | None:
    """``ARCHIVE_WEB_REPLAY_PORT`` as a port number; None when unset (``None``, empty): the console's port + 1."""
    value = settings.get("ARCHIVE_WEB_REPLAY_PORT")
    if value is None or str(value).strip() in ("", "None", "none"):
        return None
    return int(value)


def replayweb_dir(settings: BaseSettings) -> Path:
    configured = settings.get("ARCHIVE_WEB_REPLAYWEB_DIR")
    return Path(configured) if configured else DEFAULT_REPLAYWEB_DIR


def create_replay_app(settings: BaseSettings | None = None, storage: Storage | None = None, *,
                      view: ArchiveView | None = None, console_port: int | None = None) -> Flask:
    """The replay origin's app over ``view`` (default: an :class:`ArchiveView` of ``storage``, itself
    ``ARCHIVE_URI`` by default).  ``console_port``: the console's port, whose origin (on the host the
    browser used) may frame the replay page; also ``app.config["ARCHIVE_CONSOLE_PORT"]``."""
    settings = settings if settings is not None else Settings()
    if view is None:
        if storage is None:
            storage = open_storage(settings.get("ARCHIVE_URI"), settings, start_uploader=False)
        view = ArchiveView(storage, settings.get("ARCHIVE_WEB_CACHE_DIR") or None)
    archive = view
    app = Flask(__name__, static_folder=None, template_folder="templates")
    app.config.update(SECRET_KEY=None, TEMPLATES_AUTO_RELOAD=False)  # no session: no cookie is ever read
    app.config[CONSOLE_PORT] = console_port
    app.config["REPLAYWEB_DIR"] = replayweb_dir(settings)
    app.jinja_env.autoescape = True

    def _dir() -> Path:
        return Path(app.config["REPLAYWEB_DIR"])

    @app.after_request
    def _headers(response: Response) -> Response:
        port = app.config.get(CONSOLE_PORT)
        ancestors = f"'self' {host_origin(int(port))}" if port else "'self'"
        response.headers.setdefault("Content-Security-Policy", f"{REPLAY_CSP}; frame-ancestors {ancestors}")
        response.headers["X-Content-Type-Options"] = "nosniff"
        if not port:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def _error(exc: Any) -> tuple[Response, int]:
        code = getattr(exc, "code", 500) or 500
        text = f"{code} {getattr(exc, 'name', '')}: {getattr(exc, 'description', '')}\n"
        return Response(text, mimetype="text/plain"), code

    def _crawl_id(crawl_id: str) -> str:
        if not valid_id(crawl_id):
            abort(404)
        return crawl_id

    def _replayweb_file(name: str) -> Path:
        path = _dir() / name
        if not path.is_file():
            abort(404, f"ReplayWeb.page is not installed ({path} is missing): run `make replayweb` or set "
                       "ARCHIVE_WEB_REPLAYWEB_DIR to the replaywebpage npm package's directory.")
        return path

    @app.get("/replay/<crawl_id>/")
    def replay(crawl_id: str) -> Any:
        """The page holding ReplayWeb.page's ``<replay-web-page>`` element (the console's replay page frames it)."""
        crawl_id = _crawl_id(crawl_id)
        url = request.args.get("url", "")
        if url and urlsplit(url).scheme.lower() not in ("http", "https"):
            abort(400, "Only http and https pages can be replayed.")
        _replayweb_file("ui.js")
        _replayweb_file("sw.js")
        if archive.wacz_path(crawl_id) is None:
            abort(404, f"Crawl {crawl_id} has no WACZ package: run scrapy archive-pack {crawl_id}.")
        return render_template("replay_frame.html", crawl_id=crawl_id, url=url, ts=request.args.get("ts", ""))

    @app.get("/replay/<crawl_id>/replay/")
    @app.get("/replay/<crawl_id>/replay/index.html")
    def replay_app(crawl_id: str) -> Any:
        """ReplayWeb.page's app page, for its replay frame when the service worker does not answer it yet
        (it registers itself, then the frame reloads under it): the package's index.html, without the
        icons and manifest it would ask the server for."""
        _crawl_id(crawl_id)
        _replayweb_file("ui.js")
        return Response(REPLAY_APP_PAGE, mimetype="text/html")

    @app.get("/replay/<crawl_id>/ui.js")
    @app.get("/replay/<crawl_id>/replay/ui.js")
    def replay_ui(crawl_id: str) -> Any:
        _crawl_id(crawl_id)
        return send_file(_replayweb_file("ui.js"), mimetype="text/javascript", conditional=True, max_age=0)

    @app.get("/replay/<crawl_id>/replay/sw.js")
    def replay_sw(crawl_id: str) -> Any:
        _crawl_id(crawl_id)
        return send_file(_replayweb_file("sw.js"), mimetype="text/javascript", conditional=True, max_age=0)

    @app.route("/replay/<crawl_id>/crawl.wacz", methods=["GET", "HEAD"])
    def replay_wacz(crawl_id: str) -> Any:
        crawl_id = _crawl_id(crawl_id)
        path = archive.wacz_path(crawl_id)
        if path is None:
            abort(404, f"Crawl {crawl_id} has no WACZ package: run scrapy archive-pack {crawl_id}.")
        return send_file(path, mimetype="application/wacz", conditional=True, max_age=0)

    return app
