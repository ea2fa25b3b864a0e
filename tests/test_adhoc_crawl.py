"""`scrapy crawl news -a url=URL` on sites without a profile."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import run_crawl

ARTICLES = json.loads((Path(__file__).parents[1] / "demo" / "articles.json").read_text("utf-8"))


def test_demo_site_without_profile(demo_server, tmp_path):
    """No profile: sitemaps come from robots.txt, articles are recognised by metadata or heuristics."""
    result = run_crawl(tmp_path, [f"url={demo_server.url}"], crawl_id="adhoc")
    assert result.returncode == 0, result.log[-3000:]
    records = {urlsplit(r["url"]).path: r for _, r in result.articles()}
    expected = {f"/archives/{a['id']}" if a["lang"] == "ar" else f"/en/archives/{a['id']}" for a in ARTICLES}
    assert set(records) == expected
    reasons = {r["extractor"]["detection"] for r in records.values()}
    assert any(r.startswith("heuristic:") for r in reasons), reasons
    assert any(r.startswith("jsonld:") for r in reasons), reasons
    assert all(r["extractor"]["profile"] is None for r in records.values())
    assert result.stats["news/pages/other"] >= 5  # home, categories, tags, about… archived only
    assert result.stats["news/sitemaps/parsed"] >= 3


@pytest.fixture()
def static_site(tmp_path):
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    paras = "".join(
        f"<p>Paragraph {i} of a plain static story, written with enough words to count as real article text.</p>"
        for i in range(5)
    )
    for n in (1, 2):
        (root / "news" / f"story-{n}.html").write_text(
            f"<html lang='en'><head><title>Story {n}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<h1>Story {n}</h1><p class='byline'>By Reporter, March {n}, 2021</p>{paras}"
            f"<a href='/news/story-{3 - n}.html'>other</a></body></html>",
            encoding="utf-8",
        )
    (root / "index.html").write_text(
        "<html><body><h1>Plain news</h1><a href='/news/story-1.html'>one</a> <a href='/contact.html'>c</a></body></html>",
        encoding="utf-8",
    )
    (root / "contact.html").write_text("<html><body><h1>Contact</h1><p>Write to us.</p></body></html>", "utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_plain_static_site(static_site, tmp_path):
    """No robots.txt (404), no sitemap, no feed, no metadata: links and heuristics only."""
    result = run_crawl(tmp_path / "a", [f"url={static_site}"], crawl_id="static")
    assert result.returncode == 0, result.log[-3000:]
    paths = sorted(urlsplit(r["url"]).path for _, r in result.articles())
    assert paths == ["/news/story-1.html", "/news/story-2.html"]
    for _, rec in result.articles():
        assert rec["published"] is None or rec["published"].startswith("2021-03")
        assert rec["language"] == "en"
    assert result.manifest["counts"]["warc_files"] == 1
    assert result.stats["robotstxt/response_status_count/404"] == 1


def test_extraction_timeout_is_contained(static_site, tmp_path):
    """A page whose extraction exceeds EXTRACT_TIMEOUT is abandoned and counted; the crawl goes on."""
    result = run_crawl(tmp_path / "t", [f"url={static_site}"], ["EXTRACT_TIMEOUT=0.0001", "EXTRACT_WORKERS=1"],
                       crawl_id="timeout")
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["extract/dropped/timeout"] == 2
    assert result.stats["extract/pool_restarts"] >= 1
    assert "took more than EXTRACT_TIMEOUT" in result.log and "/news/story-" in result.log
    assert result.articles() == []
    assert result.manifest["status"] == "finished" and result.warc_paths()


def test_in_process_extraction(static_site, tmp_path):
    result = run_crawl(tmp_path / "i", [f"url={static_site}"], ["EXTRACT_WORKERS=0"], crawl_id="inproc")
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.articles()) == 2
