"""A new site's appeal that no rule knows is learned from repetition and removed everywhere."""

from __future__ import annotations

import http.server
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from archive.statestore import SQLiteStateStore
from tests.conftest import FAST, PROJECT_ROOT, CrawlResult, run_crawl

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
    hold_after: int | None = None  # stories after this one wait for `released`
    released = threading.Event()

    def do_GET(self):  # noqa: N802
        if self.path == "/":
            links = "".join(f"<a href='/story/{n}'>s{n}</a>" for n in range(1, self.pages + 1))
            body = f"<html><body>{links}</body></html>".encode()
        elif self.path.startswith("/story/"):
            n = int(self.path.rsplit("/", 1)[1])
            if self.hold_after is not None and n > self.hold_after:
                self.released.wait(120)
            body = article(n)
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
    # The learned blocks are in the site's state store (no separate JSON file any more), pages re-cleaned.
    assert not list((tmp_path / "state").rglob("repeated-blocks.json"))
    (path,) = (tmp_path / "state").rglob("state.sqlite")
    store = SQLiteStateStore(path, readonly=True)
    assert store.block_counts()["learned"] == 2 and store.stale_pages() == {}
    store.close()

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


def _appeal_free(records: list[dict]) -> bool:
    return all(line not in rec["text"] for rec in records for line in APPEAL)


def test_sigkill_keeps_what_was_learned_and_the_next_crawl_recleans(site, tmp_path):
    """Issue 18: the learner's observations are in the state as each article is processed, not saved at the
    end: a crawl killed with SIGKILL after four articles keeps the learned appeal, the candidate blocks of
    every article and the two articles still to re-clean (with their keys); the next crawl re-cleans them."""
    archive = tmp_path / "archive"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={site}", "-s", f"ARCHIVE_URI={archive}",
           "-s", "ARCHIVE_CRAWL_ID=killed", *FAST]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    Handler.pages, Handler.hold_after = 8, 4
    Handler.released.clear()
    try:
        with open(tmp_path / "run1.log", "w") as log:
            proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            deadline, ready = time.time() + 120, False
            while time.time() < deadline and not ready and proc.poll() is None:
                time.sleep(0.2)
                paths = list(archive.glob("state/*/state.sqlite"))
                if len(list(archive.glob("articles/**/*.json"))) == 4 and paths:
                    store = SQLiteStateStore(paths[0], readonly=True)
                    try:
                        stale = store.stale_pages()
                        ready = store.block_counts()["learned"] == 2 and len(stale) == 2 and all(stale.values())
                    except sqlite3.Error:
                        pass
                    finally:
                        store.close()
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        assert ready, (tmp_path / "run1.log").read_text()[-3000:]
        (path,) = archive.glob("state/*/state.sqlite")
        store = SQLiteStateStore(path, readonly=True)
        stale = store.stale_pages()
        held = {page for (page,) in sqlite3.connect(path).execute(
            "SELECT j.value FROM blocks_candidates, json_each(pages) j")}
        records = {rec["id"]: (key, rec) for key, rec in ((str(p.relative_to(archive)), r) for p, r in
                                                          CrawlResult(archive, "killed", -9, "").articles())}
        store.close()
        assert len(records) == 4 and set(stale) <= set(records)
        assert all(ident in held for ident in records)  # each article's own paragraphs are candidates
        assert {stale[i] for i in stale} == {records[i][0] for i in stale}  # with the key of their JSON
        assert not _appeal_free([records[i][1] for i in stale])  # killed before the re-clean
        Handler.released.set()
        again = run_crawl(archive, [f"url={site}"], crawl_id="after")
    finally:
        Handler.pages, Handler.hold_after = 6, None
        Handler.released.set()
    assert again.returncode == 0, again.log[-3000:]
    records = [r for _, r in again.articles()]
    assert len(records) == 8 and _appeal_free(records)
    store = SQLiteStateStore(path, readonly=True)
    assert store.stale_pages() == {}
    store.close()


def test_without_state_store_the_json_file_as_before(site, tmp_path):
    """ARCHIVE_DEDUP_ENABLED=False (no state store): the learner keeps its state in memory and in
    state/{site}/repeated-blocks.json, which the next crawl loads."""
    result = run_crawl(tmp_path, [f"url={site}"], ["ARCHIVE_DEDUP_ENABLED=False"], crawl_id="nostate1")
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["clean/repeat/learned"] == 2 and _appeal_free([r for _, r in result.articles()])
    (state,) = (tmp_path / "state").rglob("repeated-blocks.json")
    assert sum(n >= 3 for n in json.loads(state.read_text())["blocks"].values()) == 2
    assert not list((tmp_path / "state").rglob("state.sqlite"))
    Handler.pages = 7
    try:
        again = run_crawl(tmp_path, [f"url={site}"], ["ARCHIVE_DEDUP_ENABLED=False"], crawl_id="nostate2")
    finally:
        Handler.pages = 6
    assert again.returncode == 0, again.log[-3000:]
    assert "clean/repeat/learned" not in again.stats  # known from the file
    assert _appeal_free([r for _, r in again.articles()])


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
