"""Issue 18: edits are caught and no version is lost.

A small site (no sitemap, no feed, no ETag, no Last-Modified) serves articles whose text and
title change between crawls.  The refresh policy decides which known articles are fetched
again; the versions pipeline keeps the earlier record; ``scrapy archive-history`` shows
exactly what changed.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, run_crawl

PARAS = [
    "The municipal council met on Tuesday to discuss the reconstruction of the old market, which was "
    "damaged in the floods of last winter and has stayed closed since then.",
    "According to the council, the first phase of the works will cost 120,000 dollars and will be paid "
    "by a grant from the regional development fund.",
    "Shop owners told reporters that they had waited for months for a decision and that many of them "
    "had moved their businesses to the neighbouring villages in the meantime.",
    "The works are expected to start in the spring and to last about six months, the head of the "
    "council said at the end of the meeting.",
]
CORRECTED = PARAS[1].replace("120,000 dollars", "210,000 dollars").replace(
    "regional development fund", "national reconstruction fund")


class Site:
    """Pages served from a dict that the test changes between crawls; every request logged."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.requests.append((self.path, dict(self.headers)))
                body = site.pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                body = body if body is not None else b"<html><body>not found</body></html>"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def article(self, path: str, title: str, published: datetime, paras: list[str]) -> None:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                "datePublished": published.isoformat(), "author": {"@type": "Person", "name": "Rana Haddad"}}
        body = "".join(f"<p>{p}</p>" for p in paras)
        self.pages[path] = (
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta property='og:type' content='article'><meta property='og:title' content='{title}'>"
            f"<script type='application/ld+json'>{json.dumps(data)}</script></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>"
            f"<p class='byline'>By Rana Haddad</p>{body}</article></body></html>"
        ).encode()

    def home(self, paths: list[str]) -> None:
        links = "".join(f"<li><a href='{p}'>story</a></li>" for p in paths)
        self.pages["/"] = f"<html><body><h1>Local news</h1><ul>{links}</ul></body></html>".encode()

    def fetched(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def site():
    s = Site()
    yield s
    s.close()


def history(archive: Path, target: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "archive-history", target, *extra, "-s", f"ARCHIVE_URI={archive}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )


def latest_records(archive: Path) -> dict[str, tuple[Path, dict]]:
    out = {}
    for path in (archive / "articles").rglob("*.json"):
        if "versions" not in path.parts:
            record = json.loads(path.read_text("utf-8"))
            out[record["url"].split("/", 3)[3]] = (path, record)
    return out


def test_refresh_all_keeps_every_version_and_history_shows_the_change(site, tmp_path):
    old = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    site.article("/news/market", "Council delays market works", old, PARAS)
    site.home(["/news/market"])
    archive = tmp_path / "archive"

    first = run_crawl(archive, [f"url={site.url}"], crawl_id="v1")
    assert first.returncode == 0, first.log[-3000:]
    (key1, record1), = latest_records(archive).values()
    assert record1["versions"] == [{"n": 1, "fetched_at": record1["fetched_at"], "content_sha256":
                                    record1["content_sha256"], "warc": record1["warc"],
                                    "key": str(key1.relative_to(archive))}]

    # The publisher corrects a figure and the headline: no lastmod, no ETag, nothing says so.
    site.article("/news/market", "Council approves market works", old, [PARAS[0], CORRECTED, *PARAS[2:]])
    site.requests.clear()
    default = run_crawl(archive, [f"url={site.url}"], crawl_id="v2")
    assert default.returncode == 0, default.log[-3000:]
    assert site.fetched("/news/market") == 0  # a 22-month-old article is not due yet
    assert default.stats.get("news/skipped/known_unchanged") == 1

    every = run_crawl(archive, [f"url={site.url}", "refresh=all"], crawl_id="v3")
    assert every.returncode == 0, every.log[-3000:]
    assert site.fetched("/news/market") == 1
    assert every.stats["export/versions/new"] == 1
    (key3, latest), = latest_records(archive).values()
    assert key3 == key1  # the latest stays where the article was first stored
    assert latest["title"] == "Council approves market works" and "210,000 dollars" in latest["text"]
    assert [v["n"] for v in latest["versions"]] == [1, 2]
    kept = archive / latest["versions"][0]["key"]
    assert latest["versions"][0]["key"].endswith("/versions/" + latest["id"] + "/1.json")
    assert json.loads(kept.read_text("utf-8")) == record1  # the earlier record, byte for byte as it was
    assert latest["versions"][1]["key"] == str(key1.relative_to(archive))
    assert latest["versions"][0]["warc"] == record1["warc"] and latest["versions"][1]["warc"] == latest["warc"]
    # the search index holds the latest version only, under the article's key (docs/search.md)
    from archive.search import SearchIndex
    index = SearchIndex(archive / "index" / "search.sqlite", readonly=True)
    try:
        assert len(index) == 1 and index.search("approves").total == 1 and index.search("delays").total == 0
        assert index.get(latest["id"]).key == str(key1.relative_to(archive))
    finally:
        index.close()

    shown = history(archive, site.url + "news/market")
    assert shown.returncode == 0, shown.stderr[-2000:]
    out = shown.stdout
    assert "2 versions" in out and "Changes in v2" in out
    assert 'title: "Council delays market works" -> "Council approves market works"' in out
    diff_lines = [line.strip() for line in out.splitlines() if "[-" in line or "{+" in line]
    assert len(diff_lines) == 1, out  # one hunk: the corrected sentence
    assert "[-120,000-] {+210,000+}" in diff_lines[0]
    assert "[-regional development-] {+national reconstruction+}" in diff_lines[0]
    assert "authors:" not in out and "published:" not in out  # unchanged fields are not reported
    assert "Scrapy" not in shown.stdout and "Overridden settings" not in shown.stderr  # its result, no banner

    by_id = history(archive, latest["id"], "--json")
    assert by_id.returncode == 0, by_id.stderr[-2000:]
    data = json.loads(by_id.stdout)
    assert data["id"] == latest["id"] and len(data["versions"]) == 2
    assert data["versions"][1]["changed"] == [
        {"field": "title", "old": '"Council delays market works"', "new": '"Council approves market works"'}]

    # Fetched again with nothing changed: a revisit, no third version, the JSON untouched.
    before = key1.read_bytes()
    again = run_crawl(archive, [f"url={site.url}", "refresh=all"], crawl_id="v4")
    assert again.returncode == 0, again.log[-3000:]
    assert site.fetched("/news/market") == 2
    assert again.stats.get("export/versions/new") is None
    assert key1.read_bytes() == before

    missing = history(archive, site.url + "news/nothing-here")
    assert missing.returncode == 1 and "not in" in missing.stdout


def test_default_policy_catches_an_edit_of_yesterdays_article(site, tmp_path):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    old = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    site.article("/news/fresh", "Bridge reopens", yesterday, PARAS)
    site.article("/news/old", "Old story", old, PARAS[::-1])
    site.home(["/news/fresh", "/news/old"])
    archive = tmp_path / "archive"
    first = run_crawl(archive, [f"url={site.url}"], crawl_id="d1")
    assert first.returncode == 0, first.log[-3000:]
    assert len(latest_records(archive)) == 2

    site.article("/news/fresh", "Bridge reopens after repairs", yesterday, [PARAS[0], CORRECTED, *PARAS[2:]])
    site.requests.clear()
    second = run_crawl(archive, [f"url={site.url}"], crawl_id="d2")
    assert second.returncode == 0, second.log[-3000:]
    assert site.fetched("/news/fresh") == 1 and site.fetched("/news/old") == 0
    assert second.stats["news/refresh/due"] == 1
    records = latest_records(archive)
    fresh = records["news/fresh"][1]
    assert fresh["title"] == "Bridge reopens after repairs" and len(fresh["versions"]) == 2
    assert len(records["news/old"][1]["versions"]) == 1


def test_known_article_missing_from_the_links_is_refreshed_from_the_state(site, tmp_path):
    """refresh=all re-fetches every known article of the site, also those the crawl no longer finds."""
    old = datetime(2025, 6, 1, tzinfo=UTC)
    site.article("/news/gone-from-home", "A story", old, PARAS)
    site.home(["/news/gone-from-home"])
    archive = tmp_path / "archive"
    assert run_crawl(archive, [f"url={site.url}"], crawl_id="s1").returncode == 0
    site.home([])  # the home page no longer links it
    site.article("/news/gone-from-home", "A story, corrected", old, PARAS)
    site.requests.clear()
    result = run_crawl(archive, [f"url={site.url}", "refresh=all"], crawl_id="s2")
    assert result.returncode == 0, result.log[-3000:]
    assert site.fetched("/news/gone-from-home") == 1
    assert result.stats["news/requests/refresh"] == 1
    (_, record), = latest_records(archive).values()
    assert record["title"] == "A story, corrected" and len(record["versions"]) == 2


def test_bad_refresh_argument_names_the_fix(site, tmp_path):
    site.home([])
    result = run_crawl(tmp_path / "a", [f"url={site.url}", "refresh=sometimes"], crawl_id="bad")
    assert result.returncode != 0
    assert "refresh='sometimes': use one of due, all, none" in result.log
