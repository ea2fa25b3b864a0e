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


def test_two_internationalised_domains_one_archive(tmp_path, monkeypatch):
    """Issue 18: one key per site.  Two Arabic-script domains on the same port (127.0.0.1 and 127.0.0.2,
    resolved by a test resolver) crawled ad hoc into one archive keep their own articles and state,
    under the IDNA form of their host — before, both were stored under the key ``test-PORT``."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    paras = "".join(f"<p>Paragraph {i} of a static story, written with enough words to count as article text.</p>"
                    for i in range(5))
    (root / "news" / "story-1.html").write_text(
        f"<html lang='en'><head><title>Story</title></head><body><h1>Story</h1>"
        f"<p class='byline'>By Reporter, March 1, 2021</p>{paras}</body></html>", encoding="utf-8")
    (root / "index.html").write_text("<html><body><a href='/news/story-1.html'>one</a></body></html>", "utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    first = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = first.server_address[1]
    try:
        second = http.server.ThreadingHTTPServer(("127.0.0.2", port), handler)
    except OSError:
        first.server_close()
        pytest.skip(f"port {port} is taken on 127.0.0.2")
    servers = (first, second)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("NEWS_TEST_HOSTS", "xn--mgbh0fb.test=127.0.0.1,xn--4gbrim.test=127.0.0.2")
    archive = tmp_path / "archive"
    try:
        for n, host in enumerate(("مثال.test", "موقع.test")):
            result = run_crawl(archive, [f"url=http://{host}:{port}/"],
                               ["DNS_RESOLVER=tests.loopback_dns.LoopbackResolver", "ROBOTSTXT_OBEY=False"],
                               crawl_id=f"idn{n}")
            assert result.returncode == 0, result.log[-3000:]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    keys = {f"xn--mgbh0fb.test-{port}", f"xn--4gbrim.test-{port}"}
    assert {p.name for p in (archive / "articles").iterdir()} == keys
    assert {p.name for p in (archive / "state").iterdir()} == keys
    for key in keys:
        records = [json.loads(p.read_text("utf-8")) for p in (archive / "articles" / key).rglob("*.json")]
        assert len(records) == 1 and records[0]["site"] == key
        assert urlsplit(records[0]["url"]).hostname == key.rsplit("-", 1)[0]
        assert (archive / "state" / key / "state.sqlite").exists()
