"""Pages the article heuristics reject do not vanish: counted by reason, candidates listed in the manifest."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from tests.conftest import run_crawl

PARAS = "".join(
    f"<p>Paragraph {i} of a plain static story, written with enough words to count as real article text.</p>"
    for i in range(4)
)


@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "news" / "dated.html").write_text(
        f"<html lang='en'><body><h1>Dated story</h1><p class='byline'>By Reporter, March 3, 2021</p>{PARAS}</body></html>",
        encoding="utf-8",
    )
    # No date anywhere, no dateline: a near miss worth an archivist's look.
    (root / "news" / "undated.html").write_text(
        f"<html lang='en'><body><h1>Undated story</h1>{PARAS}</body></html>", encoding="utf-8"
    )
    links = "<a href='/news/dated.html'>a</a> <a href='/news/undated.html'>b</a> <a href='/contact.html'>c</a>"
    (root / "index.html").write_text(f"<html><body><h1>Plain news</h1>{links}</body></html>", encoding="utf-8")
    (root / "contact.html").write_text("<html><body><h1>Contact</h1><p>Write to us.</p></body></html>", "utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_rejected_candidates_in_manifest_and_stats(site, tmp_path):
    result = run_crawl(tmp_path / "a", [f"url={site}"], crawl_id="rejected")
    assert result.returncode == 0, result.log[-3000:]
    assert [r["url"] for _, r in result.articles()] == [site + "news/dated.html"]
    assert result.stats["news/pages/rejected/no-date"] == 1
    assert result.stats["news/pages/rejected/too-little-text"] == 1  # the contact page: counted, not listed
    rejected = result.manifest["rejected_pages"]
    assert rejected == {"total": 1, "listed": [{"url": site + "news/undated.html", "reason": "heuristic:no-date"}]}


def test_rejected_list_is_capped(site, tmp_path):
    result = run_crawl(tmp_path / "b", [f"url={site}"], ["ARCHIVE_MANIFEST_MAX_REJECTED=0"], crawl_id="capped")
    assert result.returncode == 0, result.log[-3000:]
    assert result.manifest["rejected_pages"] == {"total": 1, "listed": []}


@pytest.mark.parametrize("workers", ["0", "1"])
def test_date_decided_once_by_the_extraction_step(site, tmp_path, workers):
    """The spider accepts the unmarked pages pending their date; the extraction step (worker pool or in
    process) confirms the dated one and rejects the undated one: same records, counts and manifest."""
    result = run_crawl(tmp_path / f"w{workers}", [f"url={site}"], [f"EXTRACT_WORKERS={workers}"], crawl_id=f"w{workers}")
    assert result.returncode == 0, result.log[-3000:]
    [(_, record)] = result.articles()
    assert record["url"] == site + "news/dated.html"
    assert record["published"].startswith("2021-03-03")
    assert record["extractor"]["detection"] == "heuristic:headline+brief+date"  # four short paragraphs: a brief
    assert result.stats["news/pages/article"] == 1
    assert result.stats["news/pages/rejected/no-date"] == 1
    assert "extract/dropped/undated" not in result.stats  # a detection decision, not an extraction failure
    assert result.manifest["rejected_pages"]["listed"] == [{"url": site + "news/undated.html", "reason": "heuristic:no-date"}]
