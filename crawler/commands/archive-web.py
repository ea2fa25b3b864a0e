"""``scrapy archive-web``: serve the web console over the archive and the crawl plan (docs/console.md).

    scrapy archive-web                                   # http://127.0.0.1:8600/, plan crawls.toml
    scrapy archive-web --port 8700 --plan plans/news.toml -s ARCHIVE_URI=s3://archive/news
    scrapy archive-web --bind 0.0.0.0 -s ARCHIVE_WEB_USER=archivist -s ARCHIVE_WEB_PASSWORD=...

Reads the same ``ARCHIVE_URI`` (a directory or ``s3://``) and settings as the other commands, and
serves the console with waitress (a pure-Python WSGI server).  Archived pages are replayed on a second
listener, the same address on another port (``--replay-port``, ``ARCHIVE_WEB_REPLAY_PORT``, default the
console's port + 1), so that their scripts run on another origin than the console's
(:mod:`crawler.web.replay`).  It prints both URLs; on a
loopback address without ``ARCHIVE_WEB_USER``/``ARCHIVE_WEB_PASSWORD`` it also prints a one-time
login URL (its token authenticates one browser for the write actions).  Any other address needs
both settings: without them the command refuses to start and exits with status 1.

Settings read: ``ARCHIVE_WEB_PORT``, ``ARCHIVE_WEB_REPLAY_PORT``, ``ARCHIVE_WEB_USER``, ``ARCHIVE_WEB_PASSWORD`` (and those of
:func:`crawler.web.app.create_app`).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys
import threading

from scrapy.exceptions import UsageError

from crawler.cli import QuietCommand, open_archive

logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Command(QuietCommand):
    requires_crawler_process = False  # no crawl: no Scrapy banner

    def syntax(self) -> str:
        return "[--bind ADDR] [--port N] [--replay-port N] [--plan FILE]"

    def short_desc(self) -> str:
        return "Serve the web console: jobs, crawl reports, articles, search, alerts, replay"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=None, help="port (default ARCHIVE_WEB_PORT, 8600; 0: any free one)")
        parser.add_argument("--replay-port", type=int, default=None,
                            help="port of the replay origin (default ARCHIVE_WEB_REPLAY_PORT; unset: the console's port + 1; "
                                 "0: any free one)")
        parser.add_argument("--plan", default="crawls.toml", help="crawl plan file (default crawls.toml)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("scrapy archive-web takes no positional arguments")
        assert self.settings is not None
        import waitress

        from crawler.web.app import REPLAY_PORT, create_app
        from crawler.web.auth import new_token
        from crawler.web.replay import CONSOLE_PORT, create_replay_app, replay_port_setting

        settings = self.settings
        credentials = bool(settings.get("ARCHIVE_WEB_USER") and settings.get("ARCHIVE_WEB_PASSWORD"))
        loopback = is_loopback(opts.bind)
        if not loopback and not credentials:
            print(f"Error: refusing to listen on {opts.bind} without credentials: set ARCHIVE_WEB_USER and "
                  "ARCHIVE_WEB_PASSWORD (e.g. -s ARCHIVE_WEB_USER=archivist -s ARCHIVE_WEB_PASSWORD=...), "
                  "or bind 127.0.0.1", file=sys.stderr)
            self.exitcode = 1
            return
        port = opts.port if opts.port is not None else settings.getint("ARCHIVE_WEB_PORT")
        token = None if credentials else new_token()
        storage = open_archive(settings, start_uploader=False)  # reads; runs started here upload their own
        app = create_app(settings, opts.plan, storage, login_token=token)
        server = waitress.create_server(app, host=opts.bind, port=port, threads=8, ident="archive-console")
        console_port = int(server.effective_port)  # type: ignore[union-attr]
        replay_port = opts.replay_port if opts.replay_port is not None else replay_port_setting(settings)
        if replay_port is None:
            replay_port = console_port + 1
            try:  # the default: the next port if it is free, else any free port (said below)
                with socket.socket(socket.AF_INET6 if ":" in opts.bind else socket.AF_INET) as probe:
                    probe.bind((opts.bind, replay_port))
            except OSError:
                print(f"Port {replay_port} is taken: the replay origin listens on a free port instead "
                      "(--replay-port or ARCHIVE_WEB_REPLAY_PORT to choose one)")
                replay_port = 0
        # The replay origin: the same address, another port; it shares the console's view of the store.
        replay_app = create_replay_app(settings, view=app.extensions["console"].view, console_port=console_port)
        try:
            replay_server = waitress.create_server(replay_app, host=opts.bind, port=replay_port, threads=4,
                                                   ident="archive-replay")
        except OSError as exc:
            server.close()
            print(f"Error: cannot listen on {opts.bind} port {replay_port} for the replay origin: {exc}; "
                  "choose another with --replay-port (0: any free port)", file=sys.stderr)
            self.exitcode = 1
            return
        app.config[REPLAY_PORT] = int(replay_server.effective_port)  # type: ignore[union-attr]
        replay_app.config[CONSOLE_PORT] = console_port
        host = f"[{opts.bind}]" if ":" in opts.bind else opts.bind
        base = f"http://{host}:{console_port}/"
        print(f"Archive console for {storage.describe()} (plan {opts.plan}) serving at {base}", flush=True)
        print(f"Replay of archived pages (a separate origin) serving at "
              f"http://{host}:{replay_server.effective_port}/", flush=True)  # type: ignore[union-attr]
        if token:
            print(f"Log in to change jobs (one-time link): {base}login?token={token}", flush=True)
        else:
            print("Log in with ARCHIVE_WEB_USER and its password.", flush=True)
        threading.Thread(target=replay_server.run, name="archive-replay", daemon=True).start()
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            replay_server.close()
