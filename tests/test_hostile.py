"""Hostile and broken input (issue 9): one crawl over every fault the test server can serve.

The fault-injection server (:mod:`tests.hostile_site`) serves bombs, broken
bodies, bad charsets, binaries, link farms, redirect loops, hanging and
dripping connections, bad sitemaps and feeds, and broken robots.txt on
127.0.0.1.  One ``scrapy crawl news`` runs over all of it; for each case the
tests check that the crawl finished, that the case is counted in its stats
key, that a log line names the URL and the cause, and what the WARC recorded
(the bytes received, or a metadata record saying why there were none).

A second crawl checks the extraction side: a page that hangs the extractor
is abandoned after EXTRACT_TIMEOUT, the pages in flight with it are
extracted again, and an exception in an item pipeline loses that item only
and leaves the WARCs valid.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import PROJECT_ROOT, CrawlResult, run_crawl
from tests.hostile_site import BROKEN_ROBOTS, LONG_QUERY, OTHER, HostileSite, case


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite() as s:
        yield s


def _profile(path: Path, site: HostileSite, start_urls: list[str], link_depth: int = 1) -> Path:
    urls = ", ".join(json.dumps(u) for u in start_urls)
    path.write_text(
        f'name = "hostile"\nbase_url = "{site.url}"\nlanguage = "en"\ntimezone = "UTC"\n'
        f"start_urls = [{urls}]\n"
        "article_patterns = ['/case/', '/ok/', '/landing\\\\.html$', '/ok\\\\.html$']\n"
        f"link_depth = {link_depth}\n",
        encoding="utf-8",
    )
    return path


class Warc:
    """The records of a crawl's WARCs, by type and (percent-decoded) target URI."""

    def __init__(self, paths: list[Path]) -> None:
        self.records: list[dict] = []
        for path in paths:
            with open(path, "rb") as fh:
                for rec in ArchiveIterator(fh):
                    self.records.append(
                        {
                            "type": rec.rec_type,
                            "uri": unquote(rec.rec_headers.get_header("WARC-Target-URI") or ""),
                            "headers": dict(rec.rec_headers.headers),
                            "status": rec.http_headers.get_statuscode() if rec.http_headers else None,
                            "http": rec.http_headers,
                            "payload": rec.raw_stream.read(),  # as received: no Content-Encoding decoding
                        }
                    )

    def find(self, url: str, rec_type: str) -> list[dict]:
        url = unquote(url)
        return [r for r in self.records if r["type"] == rec_type and r["uri"] == url]


@pytest.fixture(scope="module")
def crawl(site: HostileSite, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    tmp = tmp_path_factory.mktemp("hostile")
    profile = _profile(tmp / "hostile.toml", site, ["/", site.broken_robots_url, site.other_url, site.refused_url])
    started = time.monotonic()
    result = run_crawl(
        tmp / "archive",
        [f"site={profile}", f"url={site.url}"],
        settings=["LOG_LEVEL=DEBUG", "DOWNLOAD_TIMEOUT=3", "NEWS_MAX_FEED_ITEMS=50", "CONCURRENT_REQUESTS=16",
                  "CONCURRENT_REQUESTS_PER_DOMAIN=16"],
        crawl_id="hostile",
        timeout=600,
    )
    result.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    result.started = started  # type: ignore[attr-defined]
    assert result.returncode == 0, result.log[-5000:]
    return result


@pytest.fixture(scope="module")
def warc(crawl: CrawlResult) -> Warc:
    return Warc(crawl.warc_paths())


def _log_has(log: str, *parts: str) -> bool:
    """One log line contains every part (URLs compared percent-decoded)."""
    wanted = [unquote(p) for p in parts]
    return any(all(w in unquote(line) for w in wanted) for line in log.splitlines())


def _articles(crawl: CrawlResult) -> dict[str, dict]:
    return {unquote(rec["url"]): rec for _, rec in crawl.articles()}


def test_crawl_finishes_and_verifies(crawl: CrawlResult, site: HostileSite) -> None:
    assert crawl.stats["finish_reason"] == "finished"
    assert crawl.elapsed < 240  # type: ignore[attr-defined]  # hanging/dripping connections did not stall it
    assert site.errors == []
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "archive-verify", "hostile", "-s", f"ARCHIVE_URI={crawl.archive}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0 and "0 faults" in proc.stdout, proc.stdout + proc.stderr


# (case, stats key, minimum count, words of the log line besides the URL)
CASES = [
    ("gzip_bomb", "fetch/failed/decompression_bomb", 2, ["inflates past DOWNLOAD_MAXSIZE"]),
    ("brotli_bomb", "fetch/failed/decompression_bomb", 2, ["Content-Encoding br", "inflates past DOWNLOAD_MAXSIZE"]),
    ("oversize", "fetch/failed/too_large", 1, ["larger than DOWNLOAD_MAXSIZE"]),
    ("truncated", "news/pages/truncated", 1, ["closed the connection before the body was complete"]),
    ("gzip_truncated", "news/pages/truncated", 2, ["closed the connection before the body was complete",
                                                   "bytes received", "once decompressed"]),
    ("wrong_length", "news/pages/unterminated", 1, ["stops mid-document", "Content-Length 100"]),
    ("cp1256_undeclared", "extract/charset/undeclared", 1, ["not declared", "cp1256"]),
    ("cp1256_mislabelled", "extract/charset/mislabelled", 1, ["does not fit", "declared utf-8", "cp1256"]),
    ("utf8_bom", "extract/charset/bom", 1, ["BOM", "-> utf-8"]),
    ("pdf_as_html", "news/pages/binary", 2, ["served as text/html", "a PDF document"]),
    ("png_as_html", "news/pages/binary", 2, ["served as text/html", "a PNG image"]),
    ("empty", "news/pages/empty", 1, ["empty body"]),
    ("no_text", "extract/dropped/empty", 1, ["no article text"]),
    ("deep_nesting", "news/pages/too_deep", 1, ["nested deeper than the parser's limit"]),
    ("many_links", "news/links/capped", 1, ["200000 links", "NEWS_MAX_LINKS_PER_PAGE"]),
    ("redirect_loop", "fetch/redirect/loop", 1, ["not followed", "loops"]),
    ("redirect_offsite", "fetch/redirect/offsite", 1, ["not followed", "outside the crawl's sites"]),
    ("redirect_scheme", "fetch/redirect/bad_scheme", 3, ["javascript:alert(1)", "not HTTP(S)"]),
    ("redirect_ftp", "fetch/redirect/bad_scheme", 3, ["ftp://127.0.0.1/file.html", "not HTTP(S)"]),
    ("redirect_data", "fetch/redirect/bad_scheme", 3, ["data:text/html,hi", "not HTTP(S)"]),
    ("status_429", "fetch/retry_after", 2, ["HTTP 429", "Retry-After"]),
    ("burst_5xx", "fetch/failed/http_5xx", 2, ["Could not fetch", "HTTP 503 Service Unavailable", "(3 attempts)"]),
    ("always_500", "fetch/failed/http_5xx", 2, ["Could not fetch", "HTTP 500 Internal Server Error", "(3 attempts)"]),
    ("hang", "fetch/failed/timeout", 1, ["no answer within DOWNLOAD_TIMEOUT=3s", "3 attempts"]),
    ("slow_drip", "fetch/failed/slow_body", 1, ["headers arrived but the body did not finish", "DOWNLOAD_TIMEOUT=3s"]),
    ("sitemap_malformed", "news/sitemaps/malformed", 1, ["not well-formed"]),
    ("sitemap_entity_bomb", "news/sitemaps/entities_ignored", 1, ["declares entities", "not expanded"]),
    ("sitemap_gzip_bomb", "news/sitemaps/too_large", 1, ["inflates past DOWNLOAD_MAXSIZE"]),
    ("feed_huge", "news/feeds/capped", 1, ["50000 items", "NEWS_MAX_FEED_ITEMS"]),
    ("robots_html", "robots/not_text", 1, ["HTML page", "no rules apply"]),
    ("robots_500", "robots/unavailable", 1, ["HTTP 500", "RFC 9309", "disallowed"]),
    ("tracking_duplicate", "news/urls/tracking_stripped", 1, ["Tracking parameters removed", "/ok/1.html"]),
    ("url_spaces", "news/urls/escaped", 2, ["spaces or non-ASCII", "fetched percent-encoded"]),
    ("url_unicode", "news/urls/escaped", 2, ["spaces or non-ASCII", "fetched percent-encoded"]),
    ("url_long_query", "news/urls/long", 1, ["longer than 2083 characters"]),
]


@pytest.mark.parametrize(("name", "key", "minimum", "words"), CASES, ids=[c[0] for c in CASES])
def test_case_is_counted_and_logged(crawl: CrawlResult, site: HostileSite, name: str, key: str, minimum: int,
                                    words: list[str]) -> None:
    assert crawl.stats.get(key, 0) >= minimum, (key, {k: v for k, v in crawl.stats.items() if "/" in k})
    url = site.case_url(name)
    assert _log_has(crawl.log, url, *words), f"no log line with {url} and {words}"


def test_bombs_are_archived_compressed(warc: Warc, site: HostileSite) -> None:
    for name, encoding in (("gzip_bomb", "gzip"), ("brotli_bomb", "br")):
        [rec] = warc.find(site.case_url(name), "response")
        assert rec["http"].get_header("Content-Encoding") == encoding
        assert 0 < len(rec["payload"]) < 5_000_000  # the bytes received, not the inflated body


def test_fetches_without_a_response_leave_a_metadata_record(warc: Warc, site: HostileSite) -> None:
    def failures(name: str) -> list[dict]:
        out = []
        for rec in warc.find(site.case_url(name), "metadata"):
            text = rec["payload"].decode("utf-8")
            if "fetchError:" in text:
                assert "WARC-Concurrent-To" not in rec["headers"]
                out.append(text)
        return out

    hang = failures("hang")
    assert len(hang) == 3 and all("DownloadTimeoutError" in t for t in hang)
    assert [t for t in hang if "attempt: 3" in t]
    drip = failures("slow_drip")
    assert len(drip) == 3 and all("receivedHeader: Content-Length: 10000000" in t for t in drip)
    [big] = failures("oversize")
    assert "DownloadCancelledError" in big and "receivedHeader: Content-Length: 83886080" in big


def test_truncated_body_is_archived_as_received(warc: Warc, site: HostileSite, crawl: CrawlResult) -> None:
    records = warc.find(site.case_url("truncated"), "response")
    assert len(records) == 3  # first attempt and two retries, each archived
    for rec in records:
        assert rec["headers"].get("WARC-Truncated") == "disconnect"
        assert len(rec["payload"]) == 5000
        # the bytes as received (crawler.wire): the server's Content-Length, nothing renamed
        assert rec["http"].get_header("Content-Length") == "20000"
        assert rec["http"].get_header("X-Orig-Content-Length") is None
    assert crawl.stats["fetch/truncated/retried"] == 4  # two retries each for truncated and gzip_truncated
    assert unquote(site.case_url("truncated")) not in _articles(crawl)
    # A gzip body cut in half: the compressed bytes as received, retried like any truncated body.
    gz = warc.find(site.case_url("gzip_truncated"), "response")
    assert len(gz) == 3
    for rec in gz:
        assert rec["headers"].get("WARC-Truncated") == "disconnect"
        assert rec["http"].get_header("Content-Encoding") == "gzip"
        full = int(rec["http"].get_header("Content-Length"))
        assert len(rec["payload"]) == full // 2 and rec["payload"][:2] == b"\x1f\x8b"  # gzip, not decoded
    assert unquote(site.case_url("gzip_truncated")) not in _articles(crawl)
    # the short body Content-Length announced is archived as sent
    [short] = warc.find(site.case_url("wrong_length"), "response")
    assert len(short["payload"]) == 100


def test_what_was_received_is_in_the_warc(warc: Warc, site: HostileSite) -> None:
    [pdf] = warc.find(site.case_url("pdf_as_html"), "response")
    assert pdf["payload"].startswith(b"%PDF-")
    [png] = warc.find(site.case_url("png_as_html"), "response")
    assert png["payload"].startswith(b"\x89PNG")
    [empty] = warc.find(site.case_url("empty"), "response")
    assert empty["payload"] == b""
    assert len(warc.find(site.case_url("burst_5xx"), "response")) == 3
    assert {r["status"] for r in warc.find(site.case_url("always_500"), "response")} == {"500"}
    assert {r["status"] for r in warc.find(site.case_url("redirect_scheme"), "response")} == {"302"}
    loop_a = warc.find(site.case_url("redirect_loop"), "response")
    loop_b = warc.find(site.abs_url("/case/loop-b"), "response")
    assert len(loop_a) == 1 and len(loop_b) == 1  # each hop once, then stopped
    [offsite] = warc.find(site.case_url("redirect_offsite"), "metadata")
    assert f"outlink: {site.offsite_url}landing.html R Location" in offsite["payload"].decode()


def test_link_farm_outlinks_are_capped(warc: Warc, site: HostileSite) -> None:
    [meta] = [r for r in warc.find(site.case_url("many_links"), "metadata") if b"outlink:" in r["payload"]]
    assert meta["payload"].decode().count("outlink: ") == 5000
    assert site.count("/many/1.html") == 0  # depth-limited leaf: links recorded, not fetched


def test_redirect_loops_offsite_and_schemes_are_not_followed(site: HostileSite) -> None:
    assert site.count("/case/loop-a") == 1 and site.count("/case/loop-b") == 1
    assert not [r for r in site.requests if r[3].get("host", "").startswith("localhost")]


# Fetches that fail after retries (and bombs): (case, words of the one WARNING line besides the URL)
HANDLED_FAILURES = [
    ("hang", ["no answer within DOWNLOAD_TIMEOUT=3s", "(3 attempts)"]),
    ("slow_drip", ["headers arrived but the body did not finish", "(3 attempts)"]),
    ("oversize", ["larger than DOWNLOAD_MAXSIZE", "(1 attempt)"]),
    ("gzip_bomb", ["Content-Encoding gzip", "inflates past DOWNLOAD_MAXSIZE"]),
    ("brotli_bomb", ["Content-Encoding br", "inflates past DOWNLOAD_MAXSIZE"]),
    ("burst_5xx", ["HTTP 503 Service Unavailable", "(3 attempts)"]),
    ("always_500", ["HTTP 500 Internal Server Error", "(3 attempts)"]),
]


def _records(log: str) -> list[tuple[str, str, str]]:
    """(logger, level, text including any traceback) of each record of a Scrapy log."""
    starts = list(re.finditer(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(?P<logger>[^\]]+)\] (?P<level>[A-Z]+): ", log, re.M))
    return [
        (m["logger"], m["level"], log[m.start(): starts[i + 1].start() if i + 1 < len(starts) else len(log)])
        for i, m in enumerate(starts)
    ]


def test_handled_failures_log_one_line_without_traceback(crawl: CrawlResult, site: HostileSite) -> None:
    # Nothing in this crawl is a bug: no traceback, no Scrapy "Error downloading", no ERROR at all.
    assert "Traceback" not in crawl.log
    assert "Error downloading" not in crawl.log
    assert crawl.stats.get("log_count/ERROR", 0) == 0, [r for r in _records(crawl.log) if r[1] == "ERROR"]
    records = _records(crawl.log)
    for name, words in HANDLED_FAILURES:
        url = unquote(site.case_url(name))
        lines = [(logger, text) for logger, level, text in records
                 if level in ("WARNING", "ERROR", "CRITICAL") and url in unquote(text)]
        ours = [text for logger, text in lines if logger.startswith("crawler.")]
        assert len(ours) == 1, (name, lines)
        assert all(w in ours[0] for w in words) and ours[0].count("\n") == 1, (name, ours[0])
        # besides ours, only the one-line notice of Scrapy's download handler cancelling a body over DOWNLOAD_MAXSIZE
        others = [text for logger, text in lines if not logger.startswith("crawler.")]
        assert len(others) == (1 if name == "oversize" else 0), (name, others)
        assert all("scrapy.core.downloader.handlers" in t and "max size" in t for t in others), others
    # robots.txt on a port that refuses connections: retried, then the site is disallowed, in one WARNING
    refused = site.refused_url.rstrip("/").removeprefix("http://")
    # (the final stats dump names the host too, in robotstxt/forbidden/host/{host}: not a log line about it)
    lines = [(logger, text) for logger, level, text in records
             if level != "DEBUG" and refused in text and logger != "scrapy.statscollectors"]
    assert [logger for logger, text in lines if "WARNING" in text] == ["crawler.middlewares.robots"], lines
    assert any("DownloadConnectionRefusedError" in t and "(3 attempts)" in t for _, t in lines), lines
    assert crawl.stats["fetch/failed/connection"] >= 1


def test_retry_after_is_waited_for(warc: Warc, site: HostileSite, crawl: CrawlResult) -> None:
    records = warc.find(site.case_url("status_429"), "response")
    assert [r["status"] for r in records] == ["429", "429", "200"]
    # when the server received each attempt (Retry-After: 2), during this crawl
    start, end = crawl.started, crawl.started + crawl.elapsed  # type: ignore[attr-defined]
    times = [t for t, _, target in site.timeline if target == case("status_429").path and start <= t <= end]
    assert len(times) == 3
    assert all(b - a >= 1.95 for a, b in zip(times, times[1:], strict=False)), times
    # WARC-Date is when each attempt went out, not when it entered the download queue to wait
    dates = [datetime.fromisoformat(r["headers"]["WARC-Date"].replace("Z", "+00:00")) for r in records]
    assert all((b - a).total_seconds() >= 1.9 for a, b in zip(dates, dates[1:], strict=False)), dates
    assert unquote(site.case_url("status_429")) in _articles(crawl)


def test_charsets_are_decoded(crawl: CrawlResult, site: HostileSite) -> None:
    articles = _articles(crawl)
    for name in ("cp1256_undeclared", "cp1256_mislabelled", "utf8_bom"):
        rec = articles[unquote(site.case_url(name))]
        assert rec["language"] == "ar", (name, rec["language"])
        assert "\ufffd" not in rec["text"] and "ال" in rec["text"], name


def test_sitemaps_feeds_and_urls(crawl: CrawlResult, site: HostileSite) -> None:
    articles = _articles(crawl)
    # the malformed sitemap still gave its one URL; the entity bomb was not expanded
    assert site.abs_url("/ok/4.html") in articles
    assert crawl.stats["memusage/max"] < 1_500_000_000
    # the huge feed: only NEWS_MAX_FEED_ITEMS of its 50,000 items were followed
    feed_items = sum(1 for r in site.requests if r[0] == "main" and r[2].startswith("/feed-items/"))
    assert 0 < feed_items <= 50
    # URLs with spaces, Arabic and a 5,000-character query: fetched once each, archived, extracted
    for name in ("url_spaces", "url_unicode"):
        assert site.count(case(name).path) == 1, name
        assert unquote(site.case_url(name)) in articles, name
    assert site.count_raw("/case/long.html?" + LONG_QUERY) == 1
    assert site.abs_url("/case/long.html?" + LONG_QUERY) in articles


def test_tracking_duplicates_are_fetched_once(site: HostileSite, crawl: CrawlResult) -> None:
    assert site.count("/ok/1.html") == 1 and site.count("/ok/2.html") == 1
    assert not [r for r in site.requests if "utm_" in r[2] or "fbclid" in r[2]]
    assert site.abs_url("/ok/1.html") in _articles(crawl)


def test_robots(site: HostileSite, crawl: CrawlResult) -> None:
    # robots.txt answering 500: the origin is disallowed (RFC 9309), its article not fetched
    assert site.count("/ok.html", origin=BROKEN_ROBOTS) == 0
    assert crawl.stats.get("robotstxt/forbidden", 0) >= 1
    # robots.txt that is an HTML page: no rules, the origin is crawled
    assert site.count("/landing.html", origin=OTHER) == 1


def test_docs_list_every_key_counted_here() -> None:
    docs = (PROJECT_ROOT / "docs" / "stats.md").read_text("utf-8")
    for _, key, _, _ in CASES:
        assert f"`{key}`" in docs, key
    for key in ("fetch/truncated/retried", "extract/dropped/too_complex", "extract/dropped/timeout",
                "extract/retried", "extract/dropped/crash", "pipeline/errors", "archive/warc/failed_fetches"):
        assert f"`{key}`" in docs, key


# --- extraction: a page that hangs the extractor, and a crash in an item pipeline ----------------


@pytest.fixture(scope="module")
def faulty_pipeline_crawl(site: HostileSite, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """Six articles and a link farm (20 s of trafilatura) with EXTRACT_TIMEOUT=4; an injected crash on /ok/3;
    a page on a port that refuses connections (robots.txt not obeyed: the page itself is fetched)."""
    from crawler.settings import ITEM_PIPELINES

    tmp = tmp_path_factory.mktemp("hostile-extract")
    pages = ["/case/many-links.html"] + [f"/ok/{n}.html" for n in range(1, 7)] + [site.refused_url + "page.html"]
    profile = _profile(tmp / "hostile.toml", site, pages, link_depth=0)
    pipelines = dict(ITEM_PIPELINES, **{"tests.crash_pipeline.CrashingPipeline": 800})
    return run_crawl(
        tmp / "archive",
        [f"site={profile}", f"url={site.url}"],
        settings=["ROBOTSTXT_OBEY=False", "NEWS_GUESS_SITEMAPS=False", "DOWNLOAD_TIMEOUT=3", "EXTRACT_TIMEOUT=4", "EXTRACT_MAX_ELEMENTS=0",
                  "EXTRACT_WORKERS=2", f"ITEM_PIPELINES={json.dumps(pipelines)}", "TEST_CRASH_URLS=/ok/3.html",
                  "CONCURRENT_REQUESTS=16", "CONCURRENT_REQUESTS_PER_DOMAIN=16"],
        crawl_id="hostile-extract",
        timeout=600,
    )


def test_pathological_extraction_times_out_and_others_survive(faulty_pipeline_crawl: CrawlResult,
                                                              site: HostileSite) -> None:
    result = faulty_pipeline_crawl
    assert result.returncode == 0, result.log[-5000:]
    stats = result.stats
    assert stats["finish_reason"] == "finished"
    assert stats["extract/dropped/timeout"] == 1
    assert stats["extract/pool_restarts"] >= 1
    assert _log_has(result.log, site.case_url("many_links"), "EXTRACT_TIMEOUT=4", "abandoned")
    urls = set(_articles(result))
    # every article but the one whose pipeline crashed (pages in flight when a pool is killed: test_extraction_pool)
    ok = {site.abs_url(f"/ok/{n}.html") for n in range(1, 7)}
    assert urls & ok == ok - {site.abs_url("/ok/3.html")}
    assert unquote(site.case_url("many_links")) not in urls


def test_pipeline_crash_loses_only_its_item(faulty_pipeline_crawl: CrawlResult, site: HostileSite) -> None:
    result = faulty_pipeline_crawl
    assert result.stats["pipeline/errors"] == 1
    assert result.stats["pipeline/errors/RuntimeError"] == 1
    assert _log_has(result.log, site.abs_url("/ok/3.html"), "Item pipeline error", "injected pipeline crash")
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "archive-verify", "hostile-extract", "-s", f"ARCHIVE_URI={result.archive}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0 and "0 faults" in proc.stdout, proc.stdout + proc.stderr
    warc = Warc(result.warc_paths())
    assert len(warc.find(site.abs_url("/ok/3.html"), "response")) == 1  # the page itself is archived


def test_a_bug_keeps_its_traceback_a_failed_fetch_has_none(faulty_pipeline_crawl: CrawlResult,
                                                           site: HostileSite) -> None:
    log = faulty_pipeline_crawl.log
    records = _records(log)
    # the pipeline's exception is a bug: Scrapy logs it with its traceback
    with_traceback = [(logger, text) for logger, _, text in records if "Traceback (most recent call last)" in text]
    assert with_traceback, "the pipeline crash lost its traceback"
    assert all("RuntimeError: injected pipeline crash" in text for _, text in with_traceback), with_traceback
    # the refused page is a handled failure: one WARNING line, no "Error downloading", no traceback
    url = site.refused_url + "page.html"
    assert "Error downloading" not in log
    lines = [(logger, level, text) for logger, level, text in records if url in text and level != "DEBUG"]
    assert [(logger, level) for logger, level, _ in lines] == [("crawler.middlewares.failures", "WARNING")], lines
    assert "DownloadConnectionRefusedError" in lines[0][2] and "(3 attempts)" in lines[0][2]
    assert faulty_pipeline_crawl.stats["fetch/failed/connection"] >= 1
    failed = [r for r in Warc(faulty_pipeline_crawl.warc_paths()).find(url, "metadata") if b"fetchError:" in r["payload"]]
    assert len(failed) == 3  # one per attempt
