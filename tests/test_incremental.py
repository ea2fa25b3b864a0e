"""Incremental re-crawls: known unchanged articles are not fetched again, new ones are;
with `revalidate = true` known articles are asked for with conditional requests and a 304 is a revisit."""

from __future__ import annotations

from urllib.parse import urlsplit

from demo.server import DemoServer
from demo.site import render
from tests.conftest import run_crawl

NEW = "/archives/999001"


def add_new_article(server: DemoServer) -> None:
    status, headers, body = render("/archives/742318", base_url=server.base_url)
    page = body.replace(b"/archives/742318", NEW.encode()).replace(b"<p>", b"<p>NEW STORY. ", 1)
    server.overrides[NEW] = (status, headers, page)
    status, headers, feed = render("/feed/", base_url=server.base_url)
    item = (f"<item><title>New story</title><link>{server.base_url}{NEW}</link>"
            "<pubDate>Sat, 28 Nov 2026 10:00:00 +0000</pubDate></item>").encode()
    server.overrides["/feed/"] = (status, headers, feed.replace(b"<item>", item + b"<item>", 1))


def article_paths(server: DemoServer) -> set[str]:
    return {p for _, p, _ in server.requests if "/archives/" in p}


def test_second_run_fetches_only_new_articles(tmp_path):
    with DemoServer() as server:
        first = run_crawl(tmp_path, ["site=demo", f"url={server.url}"], crawl_id="inc1")
        assert first.returncode == 0, first.log[-3000:]
        add_new_article(server)
        server.clear_requests()
        second = run_crawl(tmp_path, ["site=demo", f"url={server.url}"], crawl_id="inc2")
        assert second.returncode == 0, second.log[-3000:]
        fetched = article_paths(server)
    # the new article, the broken link the home page always carries, and the targets of the old-news
    # redirects (followed by Scrapy's RedirectMiddleware; they are revisits, their JSON is not rewritten)
    from demo.site import REDIRECT_LINK_IDS, article_path, get_article

    redirected = {article_path(get_article(i)) for i in REDIRECT_LINK_IDS.values()}
    assert fetched - {"/archives/999999", "/en/archives/999999"} - redirected == {NEW}
    counts = second.manifest["counts"]
    assert counts["articles_written"] == 1 and counts["articles_new"] == 1 and counts["articles_changed"] == 0
    assert counts["articles_unchanged"] >= 24
    assert second.stats["news/skipped/known_unchanged"] >= 24
    new = [r for _, r in second.articles() if urlsplit(r["url"]).path == NEW]
    assert len(new) == 1 and new[0]["text"].startswith("NEW STORY.")


def test_revalidate_with_conditional_requests(tmp_path):
    profile = tmp_path / "demo-revalidate.toml"
    from crawler.profiles import SITES_DIR

    text = (SITES_DIR / "demo.toml").read_text("utf-8").replace('name = "demo"', 'name = "demo-revalidate"')
    profile.write_text(text.replace("link_depth = 2", "link_depth = 2\nrevalidate = true"), "utf-8")
    with DemoServer() as server:
        first = run_crawl(tmp_path / "a", [f"site={profile}", f"url={server.url}"], crawl_id="rv1")
        assert first.returncode == 0, first.log[-3000:]
        server.clear_requests()
        second = run_crawl(tmp_path / "a", [f"site={profile}", f"url={server.url}"], crawl_id="rv2")
        assert second.returncode == 0, second.log[-3000:]
        conditional = [h for _, p, h in server.requests if "/archives/" in p and "If-Modified-Since" in h]
    assert len(conditional) >= 20
    assert second.stats["downloader/response_status_count/304"] >= 20
    assert second.manifest["counts"]["articles_written"] == 0
    from warcio.archiveiterator import ArchiveIterator

    profiles = set()
    not_modified: list[str] = []  # record ids of the 304 revisits
    metadata_for: list[str] = []  # WARC-Concurrent-To of every metadata record
    for warc in second.warc_paths():
        with open(warc, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "revisit" and rec.http_headers.get_statuscode() == "304":
                    profiles.add(rec.rec_headers.get_header("WARC-Profile"))
                    not_modified.append(rec.rec_headers.get_header("WARC-Record-ID"))
                elif rec.rec_type == "metadata" and rec.rec_headers.get_header("WARC-Concurrent-To"):
                    metadata_for.append(rec.rec_headers.get_header("WARC-Concurrent-To"))
    assert profiles == {"http://netpreserve.org/warc/1.1/revisit/server-not-modified"}
    # A 304 reaches the spider (handle_httpstatus_list) and gets exactly one metadata record.
    assert len(not_modified) >= 20
    assert all(metadata_for.count(record_id) == 1 for record_id in not_modified), [
        metadata_for.count(record_id) for record_id in not_modified
    ]


def test_archive_status(tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    with DemoServer() as server:
        run_crawl(tmp_path, ["site=demo", f"url={server.url}", "max_articles=3"], crawl_id="st1")
        run_crawl(tmp_path, ["site=demo", f"url={server.url}", "max_articles=2"], crawl_id="st2")
    proc = subprocess.run([sys.executable, "-m", "scrapy", "archive-status", "--json", "-s", f"ARCHIVE_URI={tmp_path}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    demo = json.loads(proc.stdout)["demo"]
    assert demo["crawls"] == 2 and demo["last_crawl"] == "st2"
    assert demo["articles_total"] == 5 and demo["articles_last"] == 2 and demo["failures"] == 0


def test_progress_line_and_site_state(tmp_path):
    import json

    from archive.statestore import SQLiteStateStore

    with DemoServer() as server:
        result = run_crawl(tmp_path, ["site=demo", f"url={server.url}"],
                           ["NEWS_PROGRESS_INTERVAL=0.5", "DOWNLOAD_DELAY=0.03", "ARCHIVE_PROGRESS_FILE_INTERVAL=0.5"],
                           crawl_id="prog")
    assert result.returncode == 0
    lines = [line for line in result.log.splitlines() if "Progress: " in line]
    assert lines, result.log[-2000:]
    assert " pages (" in lines[-1] and " articles, " in lines[-1] and "MB WARC, queue " in lines[-1]
    # the same figures for the web console, in the store (the last one written while running)
    progress = json.loads((tmp_path / "crawls" / "prog" / "progress.json").read_text("utf-8"))
    assert progress["crawl_id"] == "prog" and progress["running"] is True and progress["pages"] > 0
    assert {"pages_per_s", "queue", "articles", "errors", "failures", "at"} <= set(progress)
    state = SQLiteStateStore(tmp_path / "state" / "demo" / "state.sqlite", readonly=True)
    assert json.loads(state.get_value("last_crawl") or "{}")["crawl_id"] == "prog"
    some = next(c for u, c in state.items() if "/archives/" in u)
    assert some.article_key and some.article_key.startswith("articles/demo/")  # the article JSON of that capture
