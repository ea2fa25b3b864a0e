"""Alerts (issue 19): real crawls against local sites that refuse or answer bot checks, a local webhook
receiver and a local SMTP server; the history causes from fabricated earlier manifests."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.local import LocalStorage
from crawler.extensions.alerts import (
    Thresholds,
    evaluate,
    post_json,
    safe_url,
    site_history,
    webhook_body,
)
from tests import challenge_pages as pages
from tests.conftest import run_crawl

pytestmark = pytest.mark.timeout(300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """An HTTP server on 127.0.0.1 (free port) on a thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class Receiver(_Server):
    """A webhook receiver recording every POST body."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.auth: list[str | None] = []

        class Handler(_Quiet):
            def do_POST(handler) -> None:  # noqa: N805
                length = int(handler.headers.get("Content-Length") or 0)
                body = json.loads(handler.rfile.read(length))
                handler.server.owner.posts.append((handler.path, body))  # type: ignore[attr-defined]
                handler.server.owner.auth.append(handler.headers.get("Authorization"))  # type: ignore[attr-defined]
                handler.send_response(200)
                handler.send_header("Content-Length", "2")
                handler.end_headers()
                handler.wfile.write(b"ok")

        super().__init__(Handler)


TOPICS = ["schools", "hospitals", "the market", "the old harbour", "the stadium", "the university"]


def article(n: int) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {i} of article {n}: the regional council approved the budget for the new tram line on Monday "
        f"after a long debate in which residents of the northern districts asked for more stops near {topic}, "
        f"and {i + n * 7} speakers took the floor before the vote.</p>\n"
        for i, topic in enumerate(TOPICS)
    )
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tram budget approved, part {n}</title>'
            '<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2024-05-0{n}T10:00:00+00:00"></head><body><article>'
            f'<h1>Tram budget approved, part {n}</h1><time datetime="2024-05-0{n}">May {n}, 2024</time>'
            + paragraphs + "</article></body></html>").encode()


HOME = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Example News</title></head><body><h1>Example News</h1>'
        b'<ul><li><a href="/news/2024/05/01/a1.html">One</a></li><li><a href="/news/2024/05/02/a2.html">Two</a></li>'
        b'<li><a href="/news/2024/05/03/a3.html">Three</a></li></ul></body></html>')
# What each article URL answers on the bot-checked site: status, headers, body.
CHALLENGED = {
    "/news/2024/05/01/a1.html": (403, {"Server": "cloudflare", "cf-mitigated": "challenge"}, pages.CLOUDFLARE),
    "/news/2024/05/02/a2.html": (403, {}, pages.PERIMETERX),
    "/news/2024/05/03/a3.html": (200, {}, pages.BROWSER_CHECK),
}


class Site(_Server):
    """A news site: ``forbidden`` (403 to everything), ``challenged`` (articles are bot checks) or ``healthy``."""

    def __init__(self, mode: str) -> None:
        class Handler(_Quiet):
            def do_GET(handler) -> None:  # noqa: N805
                path = handler.path.split("?", 1)[0]
                headers: dict[str, str] = {}
                if mode == "forbidden":
                    status, body = 403, pages.NGINX_403
                elif path == "/robots.txt":
                    status, body = 200, b"User-agent: *\nAllow: /\n"
                    headers["Content-Type"] = "text/plain"
                elif path == "/":
                    status, body = 200, HOME
                elif mode == "challenged" and path in CHALLENGED:
                    status, headers, body = CHALLENGED[path]
                    headers = dict(headers)
                elif mode == "healthy" and path in CHALLENGED:
                    status, body = 200, article(int(path[-6]))
                else:
                    status, body = 404, b"<html><body><h1>Not found</h1></body></html>"
                handler.send_response(status)
                headers.setdefault("Content-Type", "text/html; charset=utf-8")
                for name, value in headers.items():
                    handler.send_header(name, value)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

        super().__init__(Handler)


class SMTPServer:
    """A tiny SMTP server on a thread (enough of RFC 5321 for smtplib): records each message's DATA."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.logins: list[list[bytes]] = []
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 localhost ESMTP test\r\n")
                envelope: dict[str, Any] = {"rcpt": []}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode("ascii", "replace").strip().upper()
                    if verb.startswith("EHLO"):
                        self.wfile.write(b"250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                    elif verb.startswith("AUTH PLAIN"):
                        owner.logins.append(base64.b64decode(line.split()[2]).split(b"\0")[1:])
                        self.wfile.write(b"235 2.7.0 Authentication successful\r\n")
                    elif verb.startswith("HELO") or verb.startswith("RSET") or verb.startswith("NOOP"):
                        self.wfile.write(b"250 OK\r\n")
                    elif verb.startswith("MAIL FROM"):
                        envelope["from"] = line.decode().split(":", 1)[1].strip()
                        self.wfile.write(b"250 OK\r\n")
                    elif verb.startswith("RCPT TO"):
                        envelope["rcpt"].append(line.decode().split(":", 1)[1].strip())
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        owner.messages.append({**envelope, "data": data.decode("utf-8", "replace")})
                        envelope = {"rcpt": []}
                        self.wfile.write(b"250 OK queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 Bye\r\n")
                        return
                    else:
                        self.wfile.write(b"502 Command not implemented\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r  # type: ignore[misc]


def alerts_file(archive: Path, crawl_id: str) -> list[dict[str, Any]]:
    return json.loads((archive / "alerts" / f"{crawl_id}.json").read_text("utf-8"))


# --- real crawls -------------------------------------------------------------------------------------------------


def test_site_answering_403_to_everything_sends_one_webhook(tmp_path, receiver):
    """Done-when: one POST with the crawl id and the cause http-errors (the crawl itself ends "finished":
    crawl-failed is for abnormal ends and crawls that got no response at all)."""
    with Site("forbidden") as site, SMTPServer() as smtp:
        result = run_crawl(tmp_path, [f"url={site.url}"], crawl_id="forbidden-1", settings=[
            f"ALERTS_WEBHOOK_URL={receiver.url}hook",
            "ALERTS_SMTP_HOST=127.0.0.1", f"ALERTS_SMTP_PORT={smtp.port}",
            "ALERTS_EMAIL_FROM=crawler@archive.test", "ALERTS_EMAIL_TO=archivist@archive.test",
            "ALERTS_SMTP_USER=crawler", "ALERTS_SMTP_PASSWORD=sm7p-pa55",
        ])
    assert result.returncode == 0, result.log[-3000:]
    assert len(receiver.posts) == 1, receiver.posts
    path, body = receiver.posts[0]
    assert path == "/hook"
    assert body["crawl_id"] == "forbidden-1" and body["site"] == result.manifest["site"]
    assert [a["cause"] for a in body["alerts"]] == ["http-errors"]
    assert "forbidden-1" in body["text"] and "http-errors" in body["text"] and "403" in body["text"]
    alert = body["alerts"][0]
    assert set(alert) == {"crawl_id", "site", "cause", "message", "at"}
    assert "of" in alert["message"] and "100%" in alert["message"]
    # Stored in the archive and in the manifest, for the console.
    assert alerts_file(tmp_path, "forbidden-1") == body["alerts"]
    assert result.manifest["alerts"] == body["alerts"]
    assert result.stats["alerts/raised"] == 1
    assert "'alerts/webhook/sent': 1" in result.log and "'alerts/email/sent': 1" in result.log
    # One e-mail, with the cause and the crawl id.
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["rcpt"] == ["<archivist@archive.test>"]
    assert "forbidden-1" in mail["data"] and "http-errors" in mail["data"]
    assert smtp.logins == [[b"crawler", b"sm7p-pa55"]]
    assert "sm7p-pa55" not in result.log and "sm7p-pa55" not in json.dumps(result.manifest)
    # An nginx 403 page is no bot check.
    assert result.stats.get("news/pages/challenge", 0) == 0


def test_site_whose_articles_are_bot_checks_sends_one_webhook(tmp_path, receiver):
    with Site("challenged") as site:
        result = run_crawl(tmp_path, [f"url={site.url}"], crawl_id="challenged-1",
                           settings=[f"ALERTS_WEBHOOK_URL={receiver.url}hook"])
    assert result.returncode == 0, result.log[-3000:]
    assert len(receiver.posts) == 1, receiver.posts
    _, body = receiver.posts[0]
    assert body["crawl_id"] == "challenged-1"
    assert [a["cause"] for a in body["alerts"]] == ["challenge-pages"]
    assert "3 bot-check" in body["alerts"][0]["message"]
    stats = result.stats
    assert stats["news/pages/challenge"] == 3
    assert stats["news/pages/challenge/cloudflare"] == 1
    assert stats["news/pages/challenge/perimeterx"] == 1
    assert stats["news/pages/challenge/browser-check"] == 1
    # Never articles ...
    assert result.articles() == []
    assert stats.get("news/pages/article", 0) == 0
    # ... listed in the manifest ...
    listed = result.manifest["challenge_pages"]
    assert listed["total"] == 3
    assert {(c["url"].rsplit("/", 1)[1], c["kind"], c["status"]) for c in listed["listed"]} == {
        ("a1.html", "cloudflare", 403), ("a2.html", "perimeterx", 403), ("a3.html", "browser-check", 200)}
    # ... logged once for the host ...
    assert result.log.count("Bot-check page (") == 1
    # ... and still in the WARC, as the server sent them.
    archived: dict[str, int] = {}
    for warc in result.warc_paths():
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    archived[uri.rsplit("/", 1)[1]] = int(record.http_headers.get_statuscode())
    assert archived["a1.html"] == 403 and archived["a2.html"] == 403 and archived["a3.html"] == 200
    assert alerts_file(tmp_path, "challenged-1") == body["alerts"]


def test_healthy_site_raises_no_alert(tmp_path, receiver):
    with Site("healthy") as site:
        result = run_crawl(tmp_path, [f"url={site.url}"], crawl_id="healthy-1",
                           settings=[f"ALERTS_WEBHOOK_URL={receiver.url}hook"])
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.articles()) == 3
    assert receiver.posts == []
    assert result.manifest["alerts"] == []
    assert not (tmp_path / "alerts").exists()
    assert result.manifest["challenge_pages"] == {"total": 0, "listed": []}


def test_receiver_down_crawl_still_finishes(tmp_path):
    port = free_port()  # nothing listens there
    with Site("forbidden") as site:
        result = run_crawl(tmp_path, [f"url={site.url}"], crawl_id="down-1", settings=[
            f"ALERTS_WEBHOOK_URL=http://alice:s3cret@127.0.0.1:{port}/hook?token=abc", "ALERTS_RETRIES=1",
        ])
    assert result.returncode == 0, result.log[-3000:]
    assert result.manifest["status"] == "finished"
    assert "'alerts/webhook/failed': 1" in result.log
    assert f"webhook http://127.0.0.1:{port}/hook failed after 2 attempt(s)" in result.log
    assert "s3cret" not in result.log and "token=abc" not in result.log
    assert "s3cret" not in json.dumps(result.manifest)
    assert [a["cause"] for a in alerts_file(tmp_path, "down-1")] == ["http-errors"]


# --- history causes, from fabricated earlier manifests -------------------------------------------------------------


def write_manifest(storage: LocalStorage, crawl_id: str, site: str, new: int, day: int,
                   reason: str = "finished") -> None:
    manifest = {"crawl_id": crawl_id, "site": site, "status": "finished" if reason == "finished" else "stopped",
                "finish_reason": reason, "started_at": f"2024-05-{day:02d}T06:00:00+00:00",
                "counts": {"articles_new": new}}
    storage.put_bytes(f"crawls/{crawl_id}/manifest.json", json.dumps(manifest).encode())


@pytest.fixture()
def storage(tmp_path) -> LocalStorage:
    storage = LocalStorage(tmp_path)
    # Six earlier runs of the site (the oldest falls out of the last five), others that do not count.
    for day, new in enumerate([100, 12, 9, 15, 10, 11], start=1):
        write_manifest(storage, f"site-run-{day}", "example.org", new, day)
    write_manifest(storage, "killed-run", "example.org", 0, 7, reason="shutdown")
    write_manifest(storage, "other-site", "other.org", 500, 8)
    storage.put_bytes("crawls/site-run-1/indexes/x.cdxj", b"")
    return storage


def test_site_history_takes_the_last_runs_of_the_site(storage):
    assert site_history(storage, "example.org", "now", 5) == [12, 9, 15, 10, 11]
    assert site_history(storage, "example.org", "site-run-6", 5) == [100, 12, 9, 15, 10]
    assert site_history(storage, "nobody.org", "now", 5) == []


def causes(alerts: list[dict[str, Any]]) -> list[str]:
    return [a["cause"] for a in alerts]


OK_STATS = {"downloader/response_count": 40, "downloader/response_status_count/200": 40}


@pytest.mark.parametrize(("new", "expected"), [(0, ["no-new-articles"]), (4, ["few-articles"]), (6, []), (30, [])])
def test_no_new_and_few_articles_from_the_history(storage, new, expected):
    history = site_history(storage, "example.org", "now", 5)  # median 11
    alerts = evaluate("now", "example.org", "finished", {**OK_STATS, "export/articles/new": new}, history=history)
    assert causes(alerts) == expected
    if expected == ["few-articles"]:
        assert "found 4 new articles" in alerts[0]["message"] and "median of 11" in alerts[0]["message"]


def test_history_too_short_or_empty_raises_nothing():
    assert evaluate("c", "s", "finished", OK_STATS, history=[20]) == []  # one run: no "usually" yet
    assert evaluate("c", "s", "finished", OK_STATS, history=[0, 0, 0]) == []  # the site never has new ones


def test_other_causes():
    at = evaluate("c", "s", "shutdown", OK_STATS)
    assert causes(at) == ["crawl-failed"] and "'shutdown'" in at[0]["message"]
    assert causes(evaluate("c", "s", "finished", {"downloader/exception_count": 3})) == ["crawl-failed"]
    assert evaluate("c", "s", "closespider_timeout", OK_STATS) == []
    logged = evaluate("c", "s", "finished", {**OK_STATS, "log_count/ERROR": 2, "spider_exceptions/count": 2})
    assert causes(logged) == ["crawl-failed"] and "logged 2 error(s) (2 spider exception(s)" in logged[0]["message"]
    errors = {"downloader/response_count": 10, "downloader/response_status_count/200": 4,
              "downloader/response_status_count/503": 4, "downloader/response_status_count/429": 2}
    assert causes(evaluate("c", "s", "finished", errors)) == ["http-errors"]
    assert evaluate("c", "s", "finished", errors, thresholds=Thresholds(http_error_share=0.7)) == []
    few = {"downloader/response_count": 3, "downloader/response_status_count/503": 2,
           "downloader/response_status_count/200": 1}
    assert evaluate("c", "s", "finished", few) == []  # under ALERTS_MIN_RESPONSES, not all errors
    notfound = {"downloader/response_count": 10, "downloader/response_status_count/404": 10}
    assert evaluate("c", "s", "finished", notfound) == []  # 404s are ordinary answers
    unsent = evaluate("c", "s", "finished", OK_STATS, unsent=["warc/c/a.warc.gz"])
    assert causes(unsent) == ["uploads-unsent"] and "warc/c/a.warc.gz" in unsent[0]["message"]
    challenged = evaluate("c", "s", "finished", {**OK_STATS, "news/pages/challenge": 2,
                                                 "news/pages/challenge/datadome": 2}, challenge_urls=["http://x/1"])
    assert causes(challenged) == ["challenge-pages"] and "datadome: 2" in challenged[0]["message"]
    assert evaluate("c", "s", "finished", {**OK_STATS, "news/pages/challenge": 2},
                    thresholds=Thresholds(challenge_min_pages=3)) == []


def test_webhook_body_and_safe_url(receiver):
    alerts = evaluate("c1", "example.org", "shutdown", OK_STATS)
    body = webhook_body("c1", "example.org", alerts)
    assert body["text"].startswith("News archive: 1 alert(s) for crawl c1 of example.org")
    post_json(receiver.url + "x", body, timeout=5, retries=0)
    assert receiver.posts == [("/x", json.loads(json.dumps(body)))]
    post_json(receiver.url.replace("http://", "http://bot:pa%40ss@") + "y", body, timeout=5, retries=0)
    assert receiver.posts[1][0] == "/y"
    assert receiver.auth == [None, "Basic " + base64.b64encode(b"bot:pa@ss").decode()]
    assert safe_url("https://u:p@hooks.slack.com/services/T0001/B0002/AbCdEf1234567890XyZ?x=1") == \
        "https://hooks.slack.com/services/T0001/B0002/***"
    with pytest.raises(OSError):
        post_json(f"http://127.0.0.1:{free_port()}/", body, timeout=2, retries=1, sleep=lambda s: None)


def test_events_filter_what_is_sent_not_what_is_stored(tmp_path, receiver):
    with Site("forbidden") as site:
        result = run_crawl(tmp_path, [f"url={site.url}"], crawl_id="filtered-1", settings=[
            f"ALERTS_WEBHOOK_URL={receiver.url}hook", "ALERTS_EVENTS=crawl-failed,uploads-unsent",
        ])
    assert result.returncode == 0, result.log[-3000:]
    assert receiver.posts == []
    assert [a["cause"] for a in alerts_file(tmp_path, "filtered-1")] == ["http-errors"]
    assert "ALERT http-errors: " in result.log
