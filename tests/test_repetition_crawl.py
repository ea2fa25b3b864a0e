"""A new site's appeal that no rule knows is learned from repetition and removed everywhere."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from tests.conftest import run_crawl

APPEAL = [
    "Zorblax Radio lives on your kindness, every coin keeps the lights on in our little studio.",
    "Visit the Zorblax corner today and leave a coin for the crew.",
]


def article(n: int) -> bytes:
    body = "".join(
        f"<p>Story {n}, paragraph {i}: the river town of Velm held its {n}th market day with farmers from "
        f"{i + 2} villages selling grain, wool and honey under a grey autumn sky.</p>"
        for i in range(4)
    )
    appeal = "".join(f"<p>{line}</p>" for line in APPEAL)
    ld = json.dumps({"@type": "NewsArticle", "headline": f"Market day {n}", "datePublished": f"2024-05-{n:02d}"})
    return (
        f"<html lang='en'><head><title>Market day {n}</title><script type='application/ld+json'>{ld}</script></head>"
        f"<body><h1>Market day {n}</h1><div class='c-9'>{body}<div class='q1'>{appeal}</div></div></body></html>"
    ).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    pages = 6

    def do_GET(self):  # noqa: N802
        if self.path == "/":
            links = "".join(f"<a href='/story/{n}'>s{n}</a>" for n in range(1, self.pages + 1))
            body = f"<html><body>{links}</body></html>".encode()
        elif self.path.startswith("/story/"):
            body = article(int(self.path.rsplit("/", 1)[1]))
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_unknown_appeal_learned_and_recleaned(site, tmp_path):
    result = run_crawl(tmp_path, [f"url={site}"], ["CONCURRENT_REQUESTS=1"], crawl_id="rep1")
    assert result.returncode == 0, result.log[-3000:]
    records = [r for _, r in result.articles()]
    assert len(records) == 6
    for rec in records:
        for line in APPEAL:
            assert line not in rec["text"], rec["url"]
        assert "paragraph 3" in rec["text"]
        assert {r["kind"] for r in rec["removed"]} == {"repeated"}
    assert result.stats["clean/repeat/learned"] == 2
    assert result.stats["clean/repeat/recleaned"] >= 2  # pages written before the appeal was learned
    # Only the pages the appeal was seen on until it was learned are read back, not all six.
    assert result.stats["clean/repeat/recleaned"] <= result.stats["clean/repeat/reread"] <= 3
    state = list((tmp_path / "state").rglob("repeated-blocks.json"))
    assert len(state) == 1

    # A later crawl starts with what this one learned.
    Handler.pages = 7
    try:
        again = run_crawl(tmp_path, [f"url={site}"], crawl_id="rep2")
    finally:
        Handler.pages = 6
    assert again.returncode == 0, again.log[-3000:]
    assert again.stats.get("clean/repeat/recleaned", 0) == 0
    texts = [r["text"] for _, r in again.articles() if r["url"].endswith("/story/7")]
    assert texts and APPEAL[0] not in texts[0]


def test_worker_block_hashes_are_the_repetition_hashes() -> None:
    """The extraction worker hashes the blocks it cleaned; the repetition pipeline uses them as its own."""
    from crawler.items import PageItem
    from pipelines.article import extract_article
    from pipelines.repetition import RepetitionLearner, block_hash
    from tests.support.evaluation import load_benchmark

    for _, url, _, html in load_benchmark()[:20]:
        page = PageItem(url=url or "https://example.org/a", body=html, encoding="utf-8", status=200,
                        headers={"Content-Type": "text/html; charset=utf-8"}, site="bench", profile=None,
                        fetched_at="2026-01-01T00:00:00+00:00", warc=None)
        try:
            article = extract_article(page)
        except Exception:
            continue
        assert article.block_hashes == [block_hash(b) for b in article.blocks]
        learner = RepetitionLearner()
        assert learner.hashes(article.blocks, article.block_hashes) == learner.hashes(article.blocks)
    # Hashes that do not line up with the blocks are not trusted.
    assert RepetitionLearner().hashes(["a block of text"], ["x", "y"]) == {"a block of text": block_hash("a block of text")}
