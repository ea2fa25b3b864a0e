"""Distributed crawl: two crawler processes share one crawl through Redis (scrapy-redis).
Each writes its own WARC files; every article is fetched and archived once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from demo.server import DemoServer
from tests.conftest import PROJECT_ROOT, full_captures

ARTICLES = json.loads((Path(__file__).parents[1] / "demo" / "articles.json").read_text("utf-8"))


def crawl_cmd(server, archive, redis_url, crawl_id, delay=0.05):
    return [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"url={server.url}",
            "-s", f"ARCHIVE_URI={archive}", "-s", f"REDIS_URL={redis_url}", "-s", f"ARCHIVE_CRAWL_ID={crawl_id}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"DOWNLOAD_DELAY={delay}", "-s", "LOG_LEVEL=INFO"]


def test_two_processes_share_one_crawl(redis_url, tmp_path):
    archive = tmp_path / "archive"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as server:
        # A polite delay makes the crawl last long enough (about 20 s) for both processes to join it,
        # however slowly one of them starts on a loaded machine.
        procs = [subprocess.Popen(crawl_cmd(server, archive, redis_url, "dist1", delay=0.3), cwd=PROJECT_ROOT, env=env,
                                  stdout=open(tmp_path / f"w{i}.log", "w"), stderr=subprocess.STDOUT) for i in range(2)]
        codes = [p.wait(timeout=600) for p in procs]
        requested = Counter(p for m, p, _ in server.requests if m == "GET")
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], logs[0][-2000:] + logs[1][-2000:]
    # every article fetched once in total, archived once
    for a in ARTICLES:
        path = f"/archives/{a['id']}" if a["lang"] == "ar" else f"/en/archives/{a['id']}"
        assert requested[path] == 1, path
    records = [json.loads(p.read_text()) for p in archive.glob("articles/**/*.json")]
    assert sorted(r["id"] for r in records) == sorted({r["id"] for r in records}) and len(records) == len(ARTICLES)
    # each process wrote its own WARC files and manifest; both did some of the work
    manifests = [json.loads(p.read_text()) for p in (archive / "crawls" / "dist1").glob("manifest-*.json")]
    assert len(manifests) == 2 and len({m["worker"] for m in manifests}) == 2
    assert all(m["counts"]["responses"] > 0 for m in manifests)
    assert sum(m["counts"]["articles_written"] for m in manifests) == len(ARTICLES)
    warcs = list((archive / "warc" / "dist1").glob("*.warc.gz"))
    assert len({w.name.split("-")[-1].split("~")[0] for w in warcs}) == 2  # two writer pids
    for record in records:
        assert (archive / "warc" / "dist1" / record["warc"]["file"]).exists()
    # the crawl is packed once all workers are done
    pack = subprocess.run([sys.executable, "-m", "scrapy", "archive-pack", "dist1", "-s", f"ARCHIVE_URI={archive}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert pack.returncode == 0, pack.stderr
    verify = subprocess.run([sys.executable, "-m", "scrapy", "archive-verify", "dist1", "-s", f"ARCHIVE_URI={archive}"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout[-2000:]


def test_recrawl_keys_by_crawl(redis_url, tmp_path):
    """A second crawl (new crawl id) is not blocked by the first crawl's fingerprints."""
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as server:
        for crawl_id in ("r1", "r2"):
            cmd = crawl_cmd(server, tmp_path / crawl_id, redis_url, crawl_id)
            proc = subprocess.run(cmd + ["-s", "NEWS_INCREMENTAL=False"], cwd=PROJECT_ROOT, env=env,
                                  capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
            assert len(list((tmp_path / crawl_id).glob("articles/**/*.json"))) == len(ARTICLES)


def test_two_processes_share_the_site_state(redis_url, tmp_path):
    """Issue 18: after a two-process crawl the Redis state holds the union of both processes' captures,
    and a second crawl writes revisits for every one of them (no page stored in full again)."""
    from archive.statestore import RedisStateStore

    archive = tmp_path / "archive"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as server:
        procs = [subprocess.Popen(crawl_cmd(server, archive, redis_url, "st1", delay=0.2), cwd=PROJECT_ROOT, env=env,
                                  stdout=open(tmp_path / f"w{i}.log", "w"), stderr=subprocess.STDOUT) for i in range(2)]
        codes = [p.wait(timeout=600) for p in procs]
        logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
        assert codes == [0, 0], logs[0][-2000:] + logs[1][-2000:]
        first = full_captures(archive / "warc" / "st1")
        writers = {record_id: warc for warc in (archive / "warc" / "st1").glob("*.warc.gz")
                   for (_, record_id) in full_captures_of(warc)}
        assert len({w.name.split("-")[-1].split("~")[0] for w in writers.values()}) == 2  # both processes captured
        state = RedisStateStore(redis_url, "demo")
        # Per URL the state holds one of its full captures. A URL both processes fetched before either had
        # recorded it (robots.txt, at the start) was captured in full twice: the later record is kept.
        by_url: dict[str, dict[str, str]] = {}
        for (url, record_id), digest in first.items():
            by_url.setdefault(url, {})[record_id] = digest
        for url, records in by_url.items():
            capture = state.get(url)
            assert capture is not None and records.get(capture.record_id) == capture.digest, (url, capture, records)
        # A second crawl, every page fetched again (not incremental): nothing stored in full again.
        second = subprocess.run(crawl_cmd(server, archive, redis_url, "st2", delay=0) + ["-s", "NEWS_INCREMENTAL=False"],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    again = full_captures(archive / "warc" / "st2")
    stored_again = sorted({url for (url, _) in again} & {url for (url, _) in first})
    assert not stored_again, stored_again
    revisited, fetched = set(), set()
    for warc in (archive / "warc" / "st2").glob("*.warc.gz"):
        with open(warc, "rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type in ("response", "revisit"):
                    fetched.add(r.rec_headers.get_header("WARC-Target-URI"))
                    if r.rec_type == "revisit":
                        revisited.add(r.rec_headers.get_header("WARC-Target-URI"))
    first_urls = {url for (url, _) in first}
    # every page of the first crawl that the second fetched again is a revisit, every article among them
    assert first_urls & fetched == first_urls & revisited, sorted((first_urls & fetched) - revisited)
    articles = {u for u in first_urls if "/archives/" in u}
    assert len(articles) >= len(ARTICLES) and articles <= revisited


def full_captures_of(warc):
    return full_captures(warc.parent, warc.name)
