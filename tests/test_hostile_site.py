"""Checks of the fault-injection server itself (urllib and raw sockets, no Scrapy)."""

from __future__ import annotations

import os
import socket
import struct
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from email.message import Message
from urllib.parse import urlsplit

import pytest

from tests.hostile_site import CASES, GZIP_BOMB_SIZE, HostileSite, case

for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def fetch(url: str, timeout: float = 10) -> tuple[int, Message, bytes]:
    """(status, headers, body) without following redirects or decoding content."""
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def raw_get(url: str, timeout: float = 5) -> socket.socket:
    """Connect and send a bare GET for ``url``; the caller reads the answer."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite() as s:
        yield s
        assert s.errors == []


def test_cases_table() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert case("gzip_bomb").kind == "page"
    assert {c.kind for c in CASES} == {"page", "sitemap", "feed", "redirect", "robots", "url"}
    assert all(n.isidentifier() and n == n.lower() for n in names)


def test_robots_and_sitemaps(site: HostileSite) -> None:
    status, headers, body = fetch(site.url + "robots.txt")
    assert status == 200 and headers.get_content_type() == "text/plain"
    assert body.decode() == f"User-agent: *\nAllow: /\nSitemap: {site.url}sitemap.xml\n"

    status, _, body = fetch(site.url + "sitemap.xml")
    locs = [e.text for e in ET.fromstring(body).iter(SM + "loc")]
    assert locs == [
        site.url + p
        for p in (
            "sitemaps/good.xml",
            "sitemaps/malformed.xml",
            "sitemaps/entity-bomb.xml",
            "sitemaps/bomb.xml.gz",
        )
    ]

    status, _, body = fetch(site.url + "sitemaps/good.xml")
    good = {e.text for e in ET.fromstring(body).iter(SM + "loc")}
    assert site.url + "ok/1.html" in good and site.url + "ok/2.html?fbclid=abc123" in good
    assert site.case_url("url_spaces") == site.url + "case/with%20space/article%20one.html"
    assert {site.case_url(c.name) for c in CASES if c.kind in ("page", "redirect", "url")} <= good

    assert site.count("/robots.txt") == 1
    status, headers, _ = fetch(site.other_url + "robots.txt")
    assert status == 200 and headers.get_content_type() == "text/html"
    assert fetch(site.broken_robots_url + "robots.txt")[0] == 500


def test_url_cases(site: HostileSite) -> None:
    for name in ("url_spaces", "url_unicode", "url_long_query"):
        assert fetch(site.case_url(name))[0] == 200, name
    assert site.count(case("url_spaces").path) == 1
    assert site.count("/case/%D9%85%D9%82%D8%A7%D9%84/%D8%AE%D8%A8%D8%B1.html") == 1
    assert fetch(site.url + "case/long.html?q=xxx&a=1")[0] == 404
    assert site.count_raw("/case/long.html?q=xxx&a=1") == 1


def test_truncated_closes_early(site: HostileSite) -> None:
    with raw_get(site.case_url("truncated")) as sock:
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 20000" in head
    assert len(body) == 5000


def test_gzip_bomb(site: HostileSite) -> None:
    status, headers, body = fetch(site.case_url("gzip_bomb"))
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert len(body) < 5 * 1024 * 1024
    first = zlib.decompressobj(31).decompress(body[:65536], 1 << 20)
    assert len(first) > 0 and first.count(0) == len(first)
    assert struct.unpack("<I", body[-4:])[0] == GZIP_BOMB_SIZE  # gzip ISIZE trailer


def test_status_429_then_ok(site: HostileSite) -> None:
    url = site.case_url("status_429")
    first, second, third = fetch(url), fetch(url), fetch(url)
    assert [first[0], second[0], third[0]] == [429, 429, 200]
    assert first[1]["Retry-After"] == "2"
    assert b"<p>" in third[2]


def test_redirect_loop(site: HostileSite) -> None:
    status, headers, _ = fetch(site.case_url("redirect_loop"))
    assert status == 302 and headers["Location"] == "/case/loop-b"
    status, headers, _ = fetch(site.url + "case/loop-b")
    assert status == 302 and headers["Location"] == "/case/loop-a"
    status, headers, _ = fetch(site.case_url("redirect_offsite"))
    assert status == 301 and headers["Location"] == site.offsite_url + "landing.html"


def test_cp1256_bytes(site: HostileSite) -> None:
    status, headers, body = fetch(site.case_url("cp1256_undeclared"))
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()
    assert "مجلس المدينة" in body.decode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    _, headers, mislabelled = fetch(site.case_url("cp1256_mislabelled"))
    assert headers["Content-Type"] == "text/html; charset=utf-8" and mislabelled == body


def test_hang_and_prompt_shutdown() -> None:
    with HostileSite() as site:
        hang = raw_get(site.case_url("hang"), timeout=1)
        drip = raw_get(site.case_url("slow_drip"), timeout=3)
        with pytest.raises(TimeoutError):
            hang.recv(1)
        assert drip.recv(65536).startswith(b"HTTP/1.1 200")
        assert site.count(case("hang").path) == 1
        started = time.monotonic()
    assert time.monotonic() - started < 3  # __exit__ did not wait for the hanging handlers
    with hang, drip:
        hang.settimeout(2)
        assert hang.recv(1) == b""  # the server closed the hanging connection
    assert site.errors == []


def test_refused_origin_and_timeline(site: HostileSite) -> None:
    parts = urlsplit(site.refused_url)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    before = time.monotonic()
    assert fetch(site.url + "timing/ok-x.html")[0] == 200
    [(when, label)] = [(t, lbl) for t, lbl, target in site.timeline if target == "/timing/ok-x.html"]
    assert label == "main" and before <= when <= time.monotonic()


def test_timing_pages(site: HostileSite) -> None:
    first, second = fetch(site.url + "timing/busy.html"), fetch(site.url + "timing/busy.html")
    assert (first[0], first[1]["Retry-After"], second[0]) == (503, "2", 200)
    started = time.monotonic()
    assert fetch(site.url + "timing/slow.html")[0] == 200
    assert time.monotonic() - started >= 0.5
    status, headers, _ = fetch(site.url + "timing/closed.html")
    assert (status, headers["Retry-After"]) == (429, "3600")
    assert fetch(site.url + "timing/nothing.html")[0] == 404
