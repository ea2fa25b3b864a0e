"""`make bench`: speed and memory benchmarks (not tests: they print figures to compare).

    python -m tests.support.bench crawl [--pages 2000] [--scale 10000] [-s NAME=VALUE ...]
    python -m tests.support.bench upload [--mb 300]
    python -m tests.support.bench state [--urls 1000000]
    python -m tests.support.bench repeat [--pages 20000]
    python -m tests.support.bench search [--articles 1000000] [--keep PATH]
    python -m tests.support.bench console [--jobs 50] [--runs 1000] [--repeat 20]
    python -m tests.support.bench linkfarm [--urls 2000000] [--baseline 20000] [--links 1000] [-s NAME=VALUE ...]

``crawl``: serves the 181 pages of the Zyte article-extraction benchmark
(../shared/datasets) as a site on 127.0.0.1 — the same pages under as many
distinct URLs as needed — and crawls it with the full pipeline (WARC,
extraction and cleaning in the worker pool, dates, JSON) into a temporary
archive; measures, in one run, the crawl's pages/s, plain trafilatura
``bare_extraction`` pages/s on the same pages in one process (warm), their ratio, peak
RSS (crawler process plus its extraction workers), and where the time goes.
With ``--scale N`` a second crawl of N pages checks that memory stays flat.  The pages' resources
(images, stylesheets, scripts, fonts: absolute URLs are rewritten to ``/_ext/host/path`` on the same
server, as a crawl without internet needs) are served with synthetic bodies of typical sizes;
``--compare-resources`` also crawls without them (``ARCHIVE_RESOURCES_ENABLED=False``) and reports
the slowdown beside the bytes they add.

``upload``: starts SeaweedFS on 127.0.0.1, writes a WARC-sized file of random
bytes, and uploads it through the crawler's own storage path (spool →
multipart, Content-MD5, size/ETag verification) in a fresh process that has
the crawler stack imported; prints elapsed time and that process's peak RSS.
``state``: generates a site state (archive/statestore.py, SQLite) of N URLs, then crawls the
demo site (a few articles) twice into archives that differ only by that state — empty, then
N URLs — and reports the crawl's wall time and peak RSS (``process/peak_rss_mb``) for each,
the time to open the state, and the cost of a lookup (random URLs, half of them present).
``repeat``: the repetition learner's state (archive/blockstate.py) per backend — memory, SQLite,
Redis (a temporary ``redis-server`` when one is installed): the cost per article of recording its
blocks (one atomic observation that also answers which are learned, as the pipeline does), against
the alternative of keeping the learned set in memory, sending only the other blocks and re-reading
the learned set every 1,000 pages, and SQLite committed every 100 writes (``ARCHIVE_STATE_COMMIT_EVERY``)
instead of each; the cost of re-reading 1,000 learned hashes; the state's size.
``search``: builds an article search index (archive/search.py) of N synthetic articles — 50 sites, Arabic
and English (a Zipf-distributed vocabulary of 30,000 words per language, a few real words among them; ~300 words
per article, ten paragraphs drawn from a pool of 20,000 per language, one Arabic paragraph in five written
with tashkeel; two rare words in about ten articles per million), through the index's own bulk
path (``add_many``: normalisation, compressed text, FTS5) — then times the first page (20 hits with snippets)
of 20 queries of varying selectivity, each run cold (first) and warm (median of 5): build time, file size,
median and max ms.
``console``: the web console's jobs page (``/``, crawler/web) for a plan of N jobs with M recorded runs
in all (each with its finished crawl manifest, a tenth with alerts) in a temporary local archive: the
time of the first render (every run log and manifest read) and the median of the next renders
through Flask's test client (the target: under 300 ms).
``linkfarm``: serves a generated link farm on 127.0.0.1 (tiny pages made on the fly, about ``--links``
links each, a tree with a given number of distinct URLs) and crawls it three times breadth-first, every
discovered URL going through the duplicate filter and the request queue, ``CLOSESPIDER_PAGECOUNT``
ending each crawl once every URL of its farm is discovered: ``large`` discovers ``--urls`` URLs from
``--urls / --links`` pages whose links are all new (2,000,000 URLs: 2,000 pages fetched; the rest are
scheduled, not fetched); ``same pages`` fetches as many pages with as many links, but discovers only
``--baseline`` URLs (most links repeat on every page); ``short`` discovers ``--baseline`` URLs from
``--baseline / --links`` pages, and ends before the crawler process has fully warmed up. Prints a
table of the crawler process's peak RSS (``process/peak_rss_mb``, the kernel's peak) with the URLs
discovered, duplicates filtered, times and the differences (issue #18: within 100 MB), and the
duplicate filter's set on its own: microseconds per fingerprint added or found again, file size.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

UPLOAD_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import scrapy, trafilatura  # the crawler's own footprint
from scrapy.settings import Settings
from archive.storage import open_storage
settings = Settings()
settings.setmodule("crawler.settings")
for pair in sys.argv[2:]:
    k, v = pair.split("=", 1)
    settings.set(k, v)
src = Path(sys.argv[1])
storage = open_storage(settings.get("ARCHIVE_URI"), settings, start_uploader=False)
start = time.perf_counter()
storage.put_file("warc/bench/bench.warc.gz", src)
left = storage.close(600)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "left": len(left),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_upload(mb: int) -> dict[str, float | int | bool]:
    from demo.seaweed import SeaweedFS

    with tempfile.TemporaryDirectory(prefix="news-bench-") as tmp:
        src = Path(tmp) / "big.warc.gz"
        with open(src, "wb") as fh:
            for _ in range(mb):
                fh.write(os.urandom(1024 * 1024))
        with SeaweedFS(Path(tmp) / "seaweed") as store:
            store.create_bucket("bench")
            settings = [*store.settings("bench", "b"), f"ARCHIVE_SPOOL_DIR={Path(tmp) / 'spool'}"]
            root = Path(__file__).resolve().parents[2]
            proc = subprocess.run([sys.executable, "-c", UPLOAD_CHILD, str(src), *settings], cwd=root,
                                  capture_output=True, text=True, timeout=1800)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-3000:])
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            head = store.client().head_object(Bucket="bench", Key="b/warc/bench/bench.warc.gz")
        return {
            "upload_mb": mb,
            "upload_seconds": round(result["seconds"], 2),
            "upload_mb_per_s": round(mb / result["seconds"], 1),
            "upload_peak_rss_mb": round(result["peak_rss_mb"], 1),
            "upload_verified": head["ContentLength"] == mb * 1024 * 1024 and result["left"] == 0,
        }


# Page resources of the benchmark pages, served locally: bodies of a typical size per type.
_RESOURCE_TYPES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
    "svg": "image/svg+xml", "ico": "image/x-icon", "avif": "image/avif", "css": "text/css",
    "js": "application/javascript", "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf",
    "otf": "font/otf", "eot": "application/vnd.ms-fontobject", "mp4": "video/mp4", "mp3": "audio/mpeg",
}
_SIZES = {"image": 40_000, "text/css": 20_000, "application/javascript": 30_000, "font": 25_000, "video": 200_000,
          "audio": 100_000, "application": 25_000}
_RESOURCE_BODIES = {
    ctype: (b"/* bench */\n" if ctype in ("text/css", "application/javascript") else b"") + os.urandom(
        _SIZES.get(ctype, _SIZES.get(ctype.split("/")[0], 20_000)))
    for ctype in set(_RESOURCE_TYPES.values())
}
# Absolute and protocol-relative ("//cdn.example.com/x.js") URLs in attributes, CSS and scripts.
_ABSOLUTE = re.compile(rb"https?://|(?<=[\"'(=\s,])//(?=[A-Za-z0-9-]+\.[A-Za-z0-9.-]+/)")


def _resource_type(path: str) -> str | None:
    name = path.split("?", 1)[0].rsplit("/", 1)[-1]
    return _RESOURCE_TYPES.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None


class _BenchHandler:
    """Builds the handler class serving the benchmark pages (bound to the page list)."""

    @staticmethod
    def make(pages: list[bytes], copies: int) -> type:
        import http.server

        per_index = 500
        total = len(pages) * copies

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                base = f"http://{self.headers.get('Host')}"
                if path.startswith("/_ext/") or (_resource_type(path) and not path.endswith(".html")):
                    # A page resource (the pages' absolute URLs point here, under /_ext/host/...):
                    # a synthetic body of a realistic size for its type.
                    ctype = _resource_type(path) or "image/jpeg"
                    self._send(_RESOURCE_BODIES[ctype], ctype)
                    return
                if path == "/robots.txt":
                    self._send(f"User-agent: *\nSitemap: {base}/sitemap.xml\n".encode(), "text/plain")
                elif path == "/sitemap.xml":
                    parts = "".join(f"<sitemap><loc>{base}/sitemap-{k}.xml</loc></sitemap>"
                                    for k in range((total + per_index - 1) // per_index))
                    self._send(f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{parts}</sitemapindex>'.encode(), "application/xml")
                elif path.startswith("/sitemap-"):
                    k = int(path[len("/sitemap-"):-4])
                    urls = "".join(f"<url><loc>{base}/c{n // len(pages)}/p{n % len(pages)}.html</loc></url>"
                                   for n in range(k * per_index, min(total, (k + 1) * per_index)))
                    self._send(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(), "application/xml")
                elif path == "/":
                    self._send(b"<html><body><h1>Benchmark site</h1></body></html>")
                elif path.startswith("/c") and path.endswith(".html"):
                    copy, name = path[2:].split("/", 1)
                    index = int(name[1:-5])
                    if int(copy) >= copies or index >= len(pages):
                        self.send_error(404)
                        return
                    # Absolute URLs (CDNs, other hosts) served here too, as a crawl with no internet needs.
                    self._send(_ABSOLUTE.sub(f"{base}/_ext/".encode(), pages[index]))
                else:
                    self.send_error(404)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def bench_crawl(pages_wanted: int, label: str, extra: list[str] | None = None) -> dict[str, Any]:
    import http.server
    import resource  # noqa: F401
    import threading

    from tests.support.evaluation import load_benchmark

    bench_pages = [html for _, _, _, html in load_benchmark()]
    copies = max(1, -(-pages_wanted // len(bench_pages)))
    handler = _BenchHandler.make(bench_pages, copies)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="news-bench-") as tmp:
        profile = Path(tmp) / "bench.toml"
        profile.write_text(f"name = \"bench\"\nbase_url = \"{url}\"\narticle_patterns = ['/c\\d+/p\\d+\\.html$']\nlink_depth = 0\n")
        archive = Path(tmp) / "archive"
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"site={profile}", "-a", f"url={url}",
               "-a", f"max_articles={pages_wanted}", "-s", f"ARCHIVE_URI={archive}", "-s", "ARCHIVE_CRAWL_ID=bench",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING", "-s", "NEWS_PROGRESS_INTERVAL=0",
               "-s", "ARCHIVE_PACKAGE_ENABLED=False"]  # fmt: skip
        for pair in extra or []:
            cmd += ["-s", pair]
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=7200)
        wall = time.perf_counter() - started
        server.shutdown()
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        manifest = json.loads((archive / "crawls" / "bench" / "manifest.json").read_text())
    stats = manifest["stats"]
    start = datetime.fromisoformat(stats["start_time"])
    finish = datetime.fromisoformat(stats["finish_time"])
    crawl_s = (finish - start).total_seconds()
    articles = manifest["counts"]["articles_written"]
    # The kernel's peak for the crawler process (memusage/max is sampled once a minute).
    main_mb = float(stats.get("process/peak_rss_mb") or stats.get("memusage/max", 0) / 1e6)
    worker_mb = float(stats.get("extract/worker_peak_rss_mb", 0))
    workers = int(stats.get("extract/workers", 0))
    main_cpu = float(stats.get("process/cpu_s", 0.0))
    worker_cpu = float(stats.get("extract/worker_cpu_s", 0.0))
    total_cpu = max(1e-9, main_cpu + worker_cpu)
    warc_s, store_s = stats.get("timing/warc_ms", 0) / 1000, stats.get("timing/store_ms", 0) / 1000
    # The workers' own timings are wall time (a worker waits for a core now and then): split their CPU by them.
    extract_t, clean_t = stats.get("timing/extract_ms", 0), stats.get("timing/clean_ms", 0)
    extract_s = worker_cpu * extract_t / max(1, extract_t + clean_t)
    clean_s = worker_cpu - extract_s
    return {
        f"{label}_pages": articles,
        # CPU per page of the crawler process and of the workers (start-up included), and how busy
        # the machine's cores were; shares of all CPU spent: the reactor's fetch, parse and bookkeeping
        # (the crawler process minus WARC and storage), WARC, JSON storage, extraction (with metadata,
        # dates and worker start-up), cleaning.
        f"{label}_main_cpu_ms_per_page": round(1000 * main_cpu / max(1, articles), 1),
        f"{label}_worker_cpu_ms_per_page": round(1000 * worker_cpu / max(1, articles), 1),
        f"{label}_cpu_busy": round(total_cpu / (crawl_s * (os.cpu_count() or 1)), 2),
        f"{label}_cpu_share": {
            "fetch_and_rest": round(max(0.0, main_cpu - warc_s - store_s) / total_cpu, 3),
            "warc": round(warc_s / total_cpu, 3),
            "storage": round(store_s / total_cpu, 3),
            "extraction": round(extract_s / total_cpu, 3),
            "cleaning": round(clean_s / total_cpu, 3),
        },
        f"{label}_crawl_s": round(crawl_s, 1),
        f"{label}_wall_s": round(wall, 1),
        f"{label}_pages_per_s": round(articles / crawl_s, 2),
        f"{label}_main_rss_mb": round(main_mb, 1),
        f"{label}_worker_rss_mb": worker_mb,
        f"{label}_peak_rss_mb": round(main_mb + workers * worker_mb, 1),
        f"{label}_share_warc": round(stats.get("timing/warc_ms", 0) / 1000 / crawl_s, 3),
        f"{label}_share_storage": round(stats.get("timing/store_ms", 0) / 1000 / crawl_s, 3),
        f"{label}_worker_s_extraction": round(stats.get("timing/extract_ms", 0) / 1000, 1),
        f"{label}_worker_s_cleaning": round(stats.get("timing/clean_ms", 0) / 1000, 1),
        f"{label}_workers": workers,
        f"{label}_response_bytes": int(stats.get("downloader/response_bytes", 0)),
        f"{label}_resources_archived": int(stats.get("resources/archived", 0)),
        f"{label}_resources_bytes": int(stats.get("resources/bytes", 0)),
    }


def baseline_pages_per_s() -> float:
    """Plain ``bare_extraction`` (defaults, with metadata) over the 181 pages in this process, warm.

    One untimed pass first: the first pass loads what trafilatura, htmldate and
    jusText load on first use and runs about 12 % slower; timing it would make
    every ratio look better than it is.
    """
    import trafilatura

    from tests.support.evaluation import load_benchmark

    pages = [(url, html) for _, url, _, html in load_benchmark()]
    for url, html in pages:
        trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    started = time.perf_counter()
    for url, html in pages:
        trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    return len(pages) / (time.perf_counter() - started)


def _state_crawl(archive: Path, server_url: str) -> dict[str, float]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"url={server_url}",
           "-a", "max_articles=5", "-s", f"ARCHIVE_URI={archive}", "-s", "ARCHIVE_CRAWL_ID=bench",
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    stats = json.loads((archive / "crawls" / "bench" / "manifest.json").read_text("utf-8"))["stats"]
    return {"seconds": round(elapsed, 2), "peak_rss_mb": stats["process/peak_rss_mb"]}


def bench_state(urls: int) -> dict[str, Any]:
    """A state of ``urls`` URLs: crawl start-up and peak RSS against an empty state, lookup cost."""
    import random

    from archive.dedup import Capture
    from archive.statestore import SQLiteStateStore
    from demo.server import DemoServer

    result: dict[str, Any] = {"state_urls": urls}
    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
        full, empty = Path(tmp) / "full", Path(tmp) / "empty"
        path = full / "state" / "demo" / "state.sqlite"
        started = time.perf_counter()
        store = SQLiteStateStore(path)
        store.set_value("legacy_import", "{}")
        digest = "sha1:" + "A" * 32
        store.put_many(
            (f"https://example.org/{i // 1000}/article-{i}.html",
             Capture(digest, "2024-01-01T00:00:00Z", f"<urn:uuid:{i:032x}>", f"articles/demo/2024/01/01/{i}.json"))
            for i in range(urls)
        )
        # every URL an article with its versions and refresh times (crawler/refresh.py): 1 % due now
        from archive.statestore import ArticleState

        def articles() -> Any:
            for i in range(urls):
                due = "2020-01-01T00:00:00Z" if i % 100 == 0 else "2099-01-01T00:00:00Z"
                key = f"articles/demo/2024/01/01/{i}.json"
                yield (f"https://example.org/{i // 1000}/article-{i}.html", ArticleState(
                    f"{i:024x}", key, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", due,
                    [{"n": 1, "fetched_at": "2024-01-02T00:00:00Z", "content_sha256": "c" * 64,
                      "version_sha256": "v" * 64, "payload_digest": digest, "warc": None, "key": key}]))

        store.close()
        store = SQLiteStateStore(path, commit_every=10_000, commit_interval=60.0)
        for url, article in articles():
            store.put_article(url, article)
        store.close()
        result["state_generate_s"] = round(time.perf_counter() - started, 1)
        result["state_file_mb"] = round(path.stat().st_size / 1e6, 1)
        # open + lookups in this process (a fresh connection, as a crawl starts)
        started = time.perf_counter()
        store = SQLiteStateStore(path)
        result["state_open_ms"] = round(1000 * (time.perf_counter() - started), 2)
        rng = random.Random(18)
        probes = [f"https://example.org/{(i := rng.randrange(2 * urls)) // 1000}/article-{i}.html" for _ in range(100_000)]
        started = time.perf_counter()
        found = sum(store.get(u) is not None for u in probes)
        result["state_lookup_us"] = round(1e6 * (time.perf_counter() - started) / len(probes), 2)
        result["state_lookup_hit_share"] = round(found / len(probes), 2)
        started = time.perf_counter()
        found = sum(store.get_article(u) is not None for u in probes[:20_000])
        result["state_article_lookup_us"] = round(1e6 * (time.perf_counter() - started) / 20_000, 2)
        started = time.perf_counter()
        due = sum(1 for _ in store.articles_due("2026-01-01T00:00:00Z", 5000))
        result["state_due_query_ms"] = round(1000 * (time.perf_counter() - started), 1)
        result["state_due_listed"] = due
        store.record(probes[0], digest, "2025-01-01T00:00:00Z", "<urn:uuid:x>")  # the WAL file is created
        started = time.perf_counter()
        for n, url in enumerate(probes[1:2001]):
            store.record(url, digest, "2025-01-01T00:00:00Z", f"<urn:uuid:y{n}>")  # each committed
        result["state_record_us"] = round(1e6 * (time.perf_counter() - started) / 2000, 1)
        store.close()
        with DemoServer() as server:
            result["empty_crawl"] = _state_crawl(empty, server.url)
            result["full_crawl"] = _state_crawl(full, server.url)
    result["startup_added_s"] = round(result["full_crawl"]["seconds"] - result["empty_crawl"]["seconds"], 2)
    result["rss_added_mb"] = round(result["full_crawl"]["peak_rss_mb"] - result["empty_crawl"]["peak_rss_mb"], 1)
    return result


def bench_repeat(pages: int, blocks_per_page: int = 25, template_per_page: int = 3) -> dict[str, Any]:
    """The repetition learner's state: cost per article of each backend (see module docstring)."""
    import hashlib
    import shutil
    import socket
    import tracemalloc

    from archive.statestore import MemoryStateStore, RedisStateStore, SQLiteStateStore, StateStore

    def h(text: str) -> str:
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    # Each article: its own paragraphs, and a few of the site's 40 template blocks.
    articles = [
        [h(f"{n}/{i}") for i in range(blocks_per_page - template_per_page)]
        + [h(f"template/{(n + j) % 40}") for j in range(template_per_page)]
        for n in range(pages)
    ]

    def run(store: StateStore, prefilter: bool) -> tuple[float, float]:
        """(wall, CPU of this process) microseconds per article."""
        learned: set[str] = set()
        started, cpu = time.perf_counter(), time.process_time()
        for n, hashes in enumerate(articles):
            page = f"page-{n}"
            if prefilter:  # the alternative: the learned set in memory, re-read every 1,000 pages
                if n % 1000 == 0:
                    learned = store.learned_blocks()
                todo = [x for x in hashes if x not in learned]
            else:
                todo = hashes
            seen = store.observe_blocks(page, todo, min_pages=3, max_candidates=50_000)
            learned.update(seen.learned, seen.known)
            store.block_page_stored(page, f"articles/site/2025/01/01/{page}.json", [x for x in hashes if x not in learned])
        store.flush()
        return (round(1e6 * (time.perf_counter() - started) / pages, 1), round(1e6 * (time.process_time() - cpu) / pages, 1))

    result: dict[str, Any] = {"repeat_pages": pages, "repeat_blocks_per_page": blocks_per_page}
    with tempfile.TemporaryDirectory(prefix="bench-repeat-") as tmp:
        tracemalloc.start()
        memory = MemoryStateStore()
        result["memory_us_per_page"], result["memory_cpu_us_per_page"] = run(memory, False)
        result["memory_state_mb"] = round(tracemalloc.get_traced_memory()[0] / 1e6, 1)
        tracemalloc.stop()
        for variant, prefilter, commit_every in (("lookup", False, 1), ("prefilter", True, 1), ("commit100", False, 100)):
            path = Path(tmp) / variant / "state.sqlite"
            store = SQLiteStateStore(path, commit_every=commit_every)
            result[f"sqlite_{variant}_us_per_page"], result[f"sqlite_{variant}_cpu_us_per_page"] = run(store, prefilter)
            store.close()
            result["sqlite_file_mb"] = round(path.stat().st_size / 1e6, 1)
        store = SQLiteStateStore(Path(tmp) / "learned.sqlite")
        store.learn_blocks(h(f"learned/{i}") for i in range(1000))
        started = time.perf_counter()
        for _ in range(100):
            store.learned_blocks()
        result["sqlite_read_1000_learned_ms"] = round(1000 * (time.perf_counter() - started) / 100, 2)
        store.close()
        binary = shutil.which("redis-server")
        if binary:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                     "no", "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                url = f"redis://127.0.0.1:{port}/0"
                for variant, prefilter in (("lookup", False), ("prefilter", True)):
                    for _ in range(100):
                        try:
                            redis_store = RedisStateStore(url, variant)
                            redis_store.client.ping()
                            break
                        except Exception:
                            time.sleep(0.1)
                    result[f"redis_{variant}_us_per_page"] = run(redis_store, prefilter)[0]
                    if variant == "lookup":
                        result["redis_used_mb"] = round(int(redis_store.client.info("memory")["used_memory"]) / 1e6, 1)
                    redis_store.close()
            finally:
                proc.kill()
                proc.wait()
    return result


SEARCH_QUERIES: list[tuple[str, dict[str, str]]] = [
    ("government", {}),                        # common English word
    ("the", {}),                               # in nearly every English article
    ("الحكومة", {}),                           # common Arabic word
    ("الرئيس", {}),                            # Arabic, typed without diacritics (indexed with some)
    ("مدرسه", {}),                             # ta marbuta typed as ha
    ("اسد", {}),                               # alef without hamza
    ("parliament election", {}),               # two mid-frequency words
    ("الرئيس الحكومة", {}),                    # two common Arabic words
    ("zqxenbor", {}),                          # rare English word
    ("بلثمقار", {}),                           # rare Arabic word
    ("government minister budget", {}),        # three words
    ("government", {"site": "site-08.example"}),   # common word, one site
    ("the", {"site": "site-42.example"}),       # very common word, a small site
    ("الرئيس", {"language": "ar"}),
    ("government", {"since": "2024-01-01", "until": "2024-03-31"}),  # a date range (recently indexed)
    ("government", {"until": "2015-03-31"}),   # a date range among the first indexed: the worst case
    ("election", {"site": "site-04.example", "since": "2023-01"}),
    ('"government" OR NEAR(', {}),             # hostile syntax as plain words
    ("notawordanywhere", {}),                  # no hit
    ("budget", {}),                            # mid-frequency
    ("cafe", {}),                              # accents folded
]


def bench_search(articles: int, keep: str | None = None) -> dict[str, Any]:
    """A search index of ``articles`` synthetic articles: build time, size, first-page times (see module docstring)."""
    import random
    import statistics
    from itertools import accumulate

    from archive.search import SearchIndex

    rng = random.Random(19)
    arabic = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    english = "abcdefghijklmnopqrstuvwxyz"

    def vocab(letters: str, real: list[str], size: int) -> list[str]:
        words = list(real)
        seen = set(words)
        while len(words) < size:
            w = "".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
            if w not in seen:
                seen.add(w)
                words.append(w)
        return words

    en_real = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "government", "minister", "said",
               "president", "election", "parliament", "budget", "city", "police", "school", "café", "week"]
    ar_real = ["في", "من", "على", "أن", "إلى", "الحكومة", "الرَّئِيسُ", "وزير", "قال", "مدرسة", "أسد", "البرلمان",
               "الانتخابات", "المدينة", "الشرطة", "الميزانية"]
    en_vocab = vocab(english, en_real, 30_000)
    ar_vocab = vocab(arabic, ar_real, 30_000)
    # Zipf weights (s = 1): the real words sit at the frequent end.
    def cum(words: list[str]) -> list[float]:
        return list(accumulate(1.0 / (i + 1) for i in range(len(words))))

    en_cum, ar_cum = cum(en_vocab), cum(ar_vocab)
    tashkeel = "\u064e\u064f\u0650\u0651\u0652"
    sites = [f"site-{n:02d}.example" for n in range(50)]
    site_cum = list(accumulate(1.0 / (i + 1) for i in range(50)))

    # Articles are made of paragraphs drawn from a pool (drawing 300 Zipf words per article would take longer
    # than indexing them); one Arabic paragraph in five carries tashkeel.
    def pool(words: list[str], cum_weights: list[float], marks: bool) -> list[str]:
        out = []
        for n in range(20_000):
            para = rng.choices(words, cum_weights=cum_weights, k=rng.randint(15, 45))
            if marks and n % 5 == 0:
                para = [w + rng.choice(tashkeel) if len(w) > 3 else w for w in para]
            out.append(" ".join(para))
        return out

    en_pool, ar_pool = pool(en_vocab, en_cum, False), pool(ar_vocab, ar_cum, True)

    def records() -> Any:
        for i in range(articles):
            site = rng.choices(sites, cum_weights=site_cum)[0]
            is_ar = int(site[5:7]) % 2 == 1
            paras = rng.choices(ar_pool if is_ar else en_pool, k=10)
            if i % 100_003 == 7:  # the rare words: in about ten articles of a million
                paras.append("بلثمقار" if is_ar else "zqxenbor")
            text = "\n\n".join(paras)
            title = paras[0][:80].rsplit(" ", 1)[0]
            day = i * 3650 // articles
            published = f"{2015 + day // 365}-{day % 365 // 31 + 1:02d}-{day % 31 + 1:02d}T12:00:00+00:00"
            yield ({"id": f"{i:016x}", "url": f"https://{site}/{i}.html", "site": site, "title": title,
                    "published": published, "language": "ar" if is_ar else "en", "text": text,
                    "fetched_at": "2025-01-01T00:00:00Z"},
                   f"articles/{site}/{published[:4]}/{published[5:7]}/{published[8:10]}/{i:016x}.json")

    result: dict[str, Any] = {"search_articles": articles}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        path = Path(keep) if keep else Path(tmp) / "search.sqlite"
        if keep and path.exists():
            path.unlink()
        index = SearchIndex(path)
        started = time.perf_counter()
        index.add_many(records(), batch=20_000)
        index.close()
        result["search_build_s"] = round(time.perf_counter() - started, 1)
        result["search_file_mb"] = round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)
        index = SearchIndex(path, readonly=True)
        sizes = dict(index.db.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()) if _has_dbstat(index) else {}
        if sizes:
            fts = sum(v for k, v in sizes.items() if k.startswith("fts"))
            result["search_fts_mb"] = round(fts / 1e6, 1)
            result["search_articles_table_mb"] = round(sizes.get("articles", 0) / 1e6, 1)
        rows: list[dict[str, Any]] = []
        for query, filters in SEARCH_QUERIES:
            t0 = time.perf_counter()
            res = index.search(query, limit=20, **filters)  # type: ignore[arg-type]
            first = 1000 * (time.perf_counter() - t0)
            warm = []
            for _ in range(5):
                t0 = time.perf_counter()
                index.search(query, limit=20, **filters)  # type: ignore[arg-type]
                warm.append(1000 * (time.perf_counter() - t0))
            rows.append({"query": query, "filters": filters, "total": res.total, "capped": res.total_capped,
                         "first_ms": round(first, 1), "warm_ms": round(statistics.median(warm), 1)})
        t0 = time.perf_counter()
        index.browse(site="site-08.example", limit=50)
        result["search_browse_site_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        t0 = time.perf_counter()
        index.facets()
        result["search_facets_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        index.close()
    result["search_queries"] = rows
    result["search_first_median_ms"] = round(statistics.median(r["first_ms"] for r in rows), 1)
    result["search_first_max_ms"] = max(r["first_ms"] for r in rows)
    result["search_warm_median_ms"] = round(statistics.median(r["warm_ms"] for r in rows), 1)
    result["search_warm_max_ms"] = max(r["warm_ms"] for r in rows)
    return result


def _has_dbstat(index: Any) -> bool:
    try:
        index.db.execute("SELECT 1 FROM dbstat LIMIT 1").fetchall()
        return True
    except Exception:
        return False


def bench_console(jobs: int, runs: int, repeat: int) -> dict[str, Any]:
    """The jobs page of ``jobs`` jobs with ``runs`` runs in all: first render and median of ``repeat`` renders."""
    import statistics
    from datetime import UTC, timedelta

    from scrapy.settings import Settings

    from archive.local import LocalStorage
    from crawler.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        root = Path(tmp)
        archive = root / "archive"
        storage = LocalStorage(archive)
        plan_lines = []
        per_job = max(1, runs // jobs)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        stats = {f"downloader/response_status_count/{code}": 10 for code in (200, 301, 404)}
        stats.update({f"news/requests/kind{i}": i for i in range(80)})
        for j in range(jobs):
            name = f"job{j:03d}"
            plan_lines.append(f'[[job]]\nname = "{name}"\nsite = "demo"\nevery = "6h"\n')
            log = []
            for r in range(per_job):
                began = start + timedelta(hours=6 * r, minutes=j)
                crawl_id = f"{name}-{began:%Y%m%dT%H%M%SZ}-1"
                log.append({"start": began.isoformat(), "end": (began + timedelta(minutes=5)).isoformat(),
                            "outcome": "finished", "crawl_id": crawl_id})
                manifest = {"crawl_id": crawl_id, "site": "demo", "status": "finished", "finish_reason": "finished",
                            "started_at": began.isoformat(), "finished_at": (began + timedelta(minutes=5)).isoformat(),
                            "counts": {"responses": 200 + r, "articles_written": 20 + (r * 7 + j) % 30},
                            "warc_files": [{"file": f"{crawl_id}.warc.gz", "bytes": 1_000_000}],
                            "rejected_pages": {"total": 0, "listed": []}, "stats": stats}
                storage.put_bytes(f"crawls/{crawl_id}/manifest.json", json.dumps(manifest).encode())
                if r % 10 == 9:
                    storage.put_bytes(f"alerts/{crawl_id}.json", json.dumps([
                        {"crawl_id": crawl_id, "site": "demo", "cause": "few-articles", "message": "fewer than half",
                         "at": began.isoformat()}]).encode())
            storage.put_bytes(f"schedule/{name}.json", json.dumps({"job": name, "runs": log}).encode())
        plan = root / "crawls.toml"
        plan.write_text("\n".join(plan_lines), "utf-8")
        settings = Settings()
        settings.setmodule("crawler.settings")
        settings.set("ARCHIVE_URI", str(archive))
        client = create_app(settings, plan, storage).test_client()
        began_first = time.perf_counter()
        first = client.get("/")
        first_ms = (time.perf_counter() - began_first) * 1000
        assert first.status_code == 200 and first.data.count(b'<tr id="job-') == jobs
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        return {"console_jobs": jobs, "console_runs": per_job * jobs, "console_first_ms": round(first_ms, 1),
                "console_median_ms": round(statistics.median(times), 1), "console_max_ms": round(max(times), 1),
                "console_page_kb": round(len(first.data) / 1000, 1)}
class _LinkFarm:
    """Builds the handler class serving the link farm (see :func:`bench_linkfarm`)."""

    @staticmethod
    def make(links: int) -> type:
        import http.server
        import threading

        allocated: dict[str, int] = {}  # farm -> the highest page number handed out as a link so far
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                # Farm /nKcC/: every page links to R = max(9, links - K) pages /nKcC/p/1 .. /p/R that every page
                # repeats, and to the next K pages not handed out yet (the start page to max(K, R) of them), in
                # the order pages are served, until C pages exist: whatever order the crawl fetches pages in,
                # it discovers exactly C distinct URLs (besides the start page).
                m = re.fullmatch(r"(/n(\d+)c(\d+))/(?:p/\d+)?", self.path.split("?", 1)[0])
                if m is None or not 0 < int(m.group(2)) <= links:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                farm, new, cap = m.group(1), int(m.group(2)), int(m.group(3))
                repeated = max(9, links - new)
                with lock:
                    first = allocated.get(farm, 0) + 1
                    last = min(cap, first - 1 + (new if farm in allocated else max(new, repeated)))
                    allocated[farm] = max(last, first - 1)
                body = (f"<!doctype html><html><head><title>{self.path}</title></head><body><nav>"
                        f"<a href=\"{farm}/\">home</a> "
                        + "".join(f'<a href="{farm}/p/{i}">{i}</a> ' for i in range(1, repeated + 1))
                        + "</nav><ul>"
                        + "".join(f'<li><a href="{farm}/p/{i}">{i}</a></li>' for i in range(first, last + 1))
                        + "</ul></body></html>").encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                pass

        return Handler


def _linkfarm_crawl(start_url: str, pages: int, links: int, extra: list[str]) -> dict[str, Any]:
    """One crawl of the link farm from ``start_url``, stopped after ``pages`` responses."""
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="bench-linkfarm-") as tmp:
        archive = Path(tmp) / "archive"
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={start_url}", "-a", "depth=20",
               "-s", f"ARCHIVE_URI={archive}", "-s", "ARCHIVE_CRAWL_ID=bench", "-s", f"CLOSESPIDER_PAGECOUNT={pages}",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING", "-s", "NEWS_PROGRESS_INTERVAL=0",
               "-s", "ARCHIVE_PACKAGE_ENABLED=False", "-s", "EXTRACT_WORKERS=1", "-s", f"NEWS_QUEUE_DIR={tmp}/queue",
               "-s", f"NEWS_MAX_LINKS_PER_PAGE={links + 100}"]  # fmt: skip
        for pair in extra:
            cmd += ["-s", pair]
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=7200)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        stats = json.loads((archive / "crawls" / "bench" / "manifest.json").read_text("utf-8"))["stats"]
        left = list((Path(tmp) / "queue").glob("*"))  # the private queue, removed at close
    return {
        "pages": int(stats.get("response_received_count", 0)),
        "links": int(stats.get("news/requests/link", 0)),  # link requests the spider made, repeated ones included
        "scheduled": int(stats.get("scheduler/enqueued", 0)),  # distinct requests: the URLs discovered
        "filtered": int(stats.get("dupefilter/filtered", 0)),
        "seconds": round(wall, 1),
        "cpu_s": float(stats.get("process/cpu_s", 0.0)),
        "peak_rss_mb": float(stats["process/peak_rss_mb"]),
        "private_files_left": len(left),
    }


def bench_seenset(urls: int) -> dict[str, Any]:
    """The duplicate filter's set on its own, in this process: the cost of adding ``urls`` new fingerprints and
    of finding repeats, its file's size, and the Python memory it holds (tracemalloc)."""
    import hashlib
    import tracemalloc

    from crawler import settings as project

    try:
        from crawler.seenset import SeenSet, key_of
    except ImportError:  # a checkout from before the set (to measure the old code's crawls)
        return {}
    if not hasattr(project, "NEWS_SEEN_CACHE_MB"):
        return {}

    def digests(step: int = 1) -> Any:
        return (hashlib.sha1(b"%d" % i).digest() for i in range(0, urls, step))

    started = time.perf_counter()
    for digest in digests():
        key_of(digest)
    making_s = time.perf_counter() - started  # the fingerprints and keys themselves, not the set's work
    with tempfile.TemporaryDirectory(prefix="bench-seen-") as tmp:
        seen = SeenSet(tmp, cache_mb=project.NEWS_SEEN_CACHE_MB)
        started = time.perf_counter()
        added = sum(seen.add(key_of(digest)) for digest in digests())
        add_s = time.perf_counter() - started - making_s
        tracemalloc.start()  # (not while timing: it slows every allocation down)
        before = tracemalloc.get_traced_memory()[0]
        added += sum(seen.add(key_of(hashlib.sha1(b"more %d" % i).digest())) for i in range(100_000))
        python_mb = (tracemalloc.get_traced_memory()[0] - before) / 1e6  # held after 100,000 more keys
        tracemalloc.stop()
        step = max(1, urls // 100_000)
        started = time.perf_counter()
        repeats = sum(not seen.add(key_of(digest)) for digest in digests(step))
        repeat_s = time.perf_counter() - started - making_s / step
        file_mb = seen.file_bytes() / 1e6
        seen.close()
    return {"seen_keys": added, "seen_add_us": round(1e6 * add_s / urls, 2),  # added: urls + 100,000
            "seen_repeat_us": round(1e6 * repeat_s / max(1, repeats), 2), "seen_repeats": repeats,
            "seen_file_mb": round(file_mb, 1), "seen_python_mb": round(python_mb, 2),
            "seen_cache_mb": project.NEWS_SEEN_CACHE_MB}


def bench_linkfarm(urls: int, baseline: int, links: int, extra: list[str]) -> dict[str, Any]:
    """Peak RSS of a crawl discovering ``urls`` URLs against crawls discovering ``baseline`` URLs.

    Three crawls of a link farm served on 127.0.0.1, breadth-first, every page with about ``links`` links:

    * ``large``: every link of a page is new; ``urls / links`` pages fetched discover ``urls`` URLs;
    * ``same_pages``: as many pages fetched, with as many links each, but only ``baseline / pages`` of them
      new (the others repeat links every page has): the same work, ``baseline`` URLs discovered;
    * ``short``: every link new, stopped after ``baseline / links`` pages: ``baseline`` URLs discovered
      by a short crawl (which also ends before the crawler process has warmed up).
    """
    import http.server
    import threading

    # Pages fetched: the start page and the pages that hand out new links, and a few more for robots.txt, the
    # sitemaps guessed and the responses in flight when CLOSESPIDER_PAGECOUNT stops the crawl (the pages served
    # once the farm is complete have no new link: the URLs discovered are exactly `urls`, or `baseline`).
    pages = -(-urls // links) + 10
    short_pages = -(-baseline // links) + 10
    per_page = max(1, baseline // (pages - 10))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LinkFarm.make(links))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    seen = bench_seenset(urls)
    try:
        short = _linkfarm_crawl(f"{origin}/n{links}c{baseline}/", short_pages, links, extra)
        same = _linkfarm_crawl(f"{origin}/n{per_page}c{baseline}/", pages, links, extra)
        large = _linkfarm_crawl(f"{origin}/n{links}c{urls}/", pages, links, extra)
    finally:
        server.shutdown()
    return {**seen, "linkfarm_links_per_page": links, "linkfarm_settings": extra, "short": short, "same_pages": same,
            "large": large, "rss_added_mb_vs_short": round(large["peak_rss_mb"] - short["peak_rss_mb"], 1),
            "rss_added_mb_vs_same_pages": round(large["peak_rss_mb"] - same["peak_rss_mb"], 1)}


def _print_linkfarm(result: dict[str, Any]) -> None:
    short, same, large = result["short"], result["same_pages"], result["large"]
    rows = [("pages fetched", "pages", "{:,}"), ("link requests made", "links", "{:,}"),
            ("URLs discovered (scheduled)", "scheduled", "{:,}"), ("duplicates filtered", "filtered", "{:,}"),
            ("wall time (s)", "seconds", "{:,.1f}"), ("crawler CPU (s)", "cpu_s", "{:,.1f}"),
            ("peak RSS, crawler (MB)", "peak_rss_mb", "{:,.1f}")]
    print(f"Link farm on 127.0.0.1, about {result['linkfarm_links_per_page']} links per page, crawled breadth-first"
          + (f"; settings {' '.join(result['linkfarm_settings'])}" if result["linkfarm_settings"] else ""))
    print(f"{'':30}{'short':>12}{'same pages':>12}{'large':>12}{'large-short':>13}{'large-same':>12}")
    for label, key, fmt in rows:
        cells = [fmt.format(r[key]) for r in (short, same, large)]
        diffs = [("+" if d >= 0 else "") + fmt.format(d) for d in (large[key] - short[key], large[key] - same[key])]
        print(f"{label:30}{cells[0]:>12}{cells[1]:>12}{cells[2]:>12}{diffs[0]:>13}{diffs[1]:>12}")
    if "seen_keys" in result:
        print(f"Duplicate filter's set alone ({result['seen_keys']:,} fingerprints, {result['seen_cache_mb']} MB cache): "
              f"add {result['seen_add_us']} us, repeat found {result['seen_repeat_us']} us, file "
              f"{result['seen_file_mb']} MB, Python memory held by 100,000 more {result['seen_python_mb']} MB")
    worst = max(result["rss_added_mb_vs_short"], result["rss_added_mb_vs_same_pages"])
    print(f"Peak RSS of the large crawl within 100 MB of both baseline crawls (issue #18): "
          f"{'yes' if worst <= 100 else 'NO'} ({result['rss_added_mb_vs_short']:+.1f} MB vs short, "
          f"{result['rss_added_mb_vs_same_pages']:+.1f} MB vs same pages)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    cr = sub.add_parser("crawl", help="full-pipeline crawl of the benchmark pages: pages/s, RSS, time shares")
    cr.add_argument("--pages", type=int, default=2000)
    cr.add_argument("--scale", type=int, default=0, help="also crawl this many pages to compare memory")
    cr.add_argument("--compare-resources", action="store_true",
                    help="also crawl without page resources (ARCHIVE_RESOURCES_ENABLED=False) and compare")
    cr.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a crawler setting for the benchmark crawls, e.g. -s EXTRACT_FAST=True")
    up = sub.add_parser("upload", help="300 MB WARC upload to a local S3 store: time and peak RSS")
    up.add_argument("--mb", type=int, default=300)
    st = sub.add_parser("state", help="site state of N URLs: crawl start-up, peak RSS vs empty state, lookup cost")
    st.add_argument("--urls", type=int, default=1_000_000)
    rp = sub.add_parser("repeat", help="repetition learner's state: cost per article, memory, SQLite, Redis")
    rp.add_argument("--pages", type=int, default=20_000)
    se = sub.add_parser("search", help="article search index of N synthetic articles: build, size, first-page ms")
    se.add_argument("--articles", type=int, default=1_000_000)
    se.add_argument("--keep", default=None, help="build the index at this path and keep it")
    co = sub.add_parser("console", help="web console's jobs page: render time for many jobs and runs")
    co.add_argument("--jobs", type=int, default=50)
    co.add_argument("--runs", type=int, default=1000, help="runs recorded in all (spread over the jobs)")
    co.add_argument("--repeat", type=int, default=20)
    lf = sub.add_parser("linkfarm", help="local link farm: peak RSS discovering N URLs vs a baseline crawl")
    lf.add_argument("--urls", type=int, default=2_000_000, help="distinct URLs the large crawl discovers")
    lf.add_argument("--baseline", type=int, default=20_000, help="distinct URLs the baseline crawl discovers")
    lf.add_argument("--links", type=int, default=1000, help="new links per page")
    lf.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a crawler setting for both crawls, e.g. -s NEWS_SEEN_ON_DISK=False")
    args = parser.parse_args(argv)
    started = time.time()
    result: dict[str, Any] = {}
    if args.what == "crawl":
        base = baseline_pages_per_s()
        result.update(bench_crawl(args.pages, "crawl", args.set))
        result["baseline_pages_per_s"] = round(base, 2)
        result["pages_per_s"] = result["crawl_pages_per_s"]
        result["ratio"] = round(result["pages_per_s"] / base, 2)
        result["peak_rss_mb"] = result["crawl_peak_rss_mb"]
        print(f"Full-pipeline crawl of {result['crawl_pages']} benchmark pages: {result['pages_per_s']} pages/s "
              f"({result['crawl_workers']} extraction workers); plain trafilatura bare_extraction, one process: "
              f"{result['baseline_pages_per_s']} pages/s; ratio {result['ratio']}")
        print(f"Peak RSS {result['peak_rss_mb']} MB (crawler {result['crawl_main_rss_mb']} MB + "
              f"{result['crawl_workers']} workers x {result['crawl_worker_rss_mb']} MB)")
        share = result["crawl_cpu_share"]
        print(f"CPU per page: crawler process {result['crawl_main_cpu_ms_per_page']} ms, extraction workers "
              f"{result['crawl_worker_cpu_ms_per_page']} ms; cores busy {100 * result['crawl_cpu_busy']:.0f} %; "
              f"share of all CPU: fetch, parse and the rest {100 * share['fetch_and_rest']:.1f} %, WARC "
              f"{100 * share['warc']:.1f} %, storage {100 * share['storage']:.1f} %, extraction "
              f"{100 * share['extraction']:.1f} %, cleaning {100 * share['cleaning']:.1f} %")
        print(f"CPU spent per second of crawl (archive I/O thread): WARC writing {100 * result['crawl_share_warc']:.1f} %, "
              f"JSON storage {100 * result['crawl_share_storage']:.1f} %; worker time: extraction "
              f"{result['crawl_worker_s_extraction']} s, cleaning {result['crawl_worker_s_cleaning']} s "
              "(fetch and the rest: the remainder)")
        print(f"Page resources: {result['crawl_resources_archived']} archived, "
              f"{result['crawl_resources_bytes'] / 1e6:.1f} MB; {result['crawl_response_bytes'] / 1e6:.1f} MB received in all")
        if args.compare_resources:
            result.update(bench_crawl(args.pages, "nores", [*args.set, "ARCHIVE_RESOURCES_ENABLED=False"]))
            result["resources_slowdown"] = round(result["nores_pages_per_s"] / max(1e-9, result["crawl_pages_per_s"]), 2)
            result["resources_bytes_ratio"] = round(result["crawl_response_bytes"] / max(1, result["nores_response_bytes"]), 2)
            print(f"Without page resources: {result['nores_pages_per_s']} pages/s, peak RSS {result['nores_peak_rss_mb']} MB; "
                  f"with them {result['crawl_pages_per_s']} pages/s, peak RSS {result['crawl_peak_rss_mb']} MB: "
                  f"{result['resources_slowdown']}x slower for {result['resources_bytes_ratio']}x the bytes")
        if args.scale:
            result.update(bench_crawl(args.scale, "scale", args.set))
            result["rss_growth"] = round(result["scale_peak_rss_mb"] / result["crawl_peak_rss_mb"] - 1, 3)
            print(f"{result['scale_pages']}-page crawl: peak RSS {result['scale_peak_rss_mb']} MB "
                  f"({100 * result['rss_growth']:+.1f} % vs the {result['crawl_pages']}-page crawl), "
                  f"{result['scale_pages_per_s']} pages/s")
    if args.what == "upload":
        result = dict(bench_upload(args.mb))
        print(f"Uploaded a {result['upload_mb']} MB WARC to SeaweedFS in {result['upload_seconds']} s "
              f"({result['upload_mb_per_s']} MB/s); peak RSS of the uploading crawler process "
              f"{result['upload_peak_rss_mb']} MB; verified: {result['upload_verified']}")
    if args.what == "state":
        result = bench_state(args.urls)
        print(f"State of {result['state_urls']} URLs ({result['state_file_mb']} MB SQLite, generated in "
              f"{result['state_generate_s']} s): opened in {result['state_open_ms']} ms, lookup "
              f"{result['state_lookup_us']} us, record (committed) {result['state_record_us']} us; article "
              f"state lookup {result['state_article_lookup_us']} us; the {result['state_due_listed']} most overdue "
              f"articles listed in {result['state_due_query_ms']} ms")
        print(f"Crawl of the demo site: empty state {result['empty_crawl']['seconds']} s, peak RSS "
              f"{result['empty_crawl']['peak_rss_mb']} MB; with the state {result['full_crawl']['seconds']} s, "
              f"{result['full_crawl']['peak_rss_mb']} MB: start-up {result['startup_added_s']:+} s, "
              f"RSS {result['rss_added_mb']:+} MB")
    if args.what == "repeat":
        result = bench_repeat(args.pages)
        print(f"Repetition state, {result['repeat_pages']} articles of {result['repeat_blocks_per_page']} blocks, per "
              f"article (observe + stored), wall/CPU: memory {result['memory_us_per_page']}/"
              f"{result['memory_cpu_us_per_page']} us ({result['memory_state_mb']} MB); SQLite "
              f"{result['sqlite_lookup_us_per_page']}/{result['sqlite_lookup_cpu_us_per_page']} us (learned set in memory, "
              f"re-read every 1,000 pages: {result['sqlite_prefilter_us_per_page']}/"
              f"{result['sqlite_prefilter_cpu_us_per_page']} us; committed every 100: "
              f"{result['sqlite_commit100_us_per_page']}/{result['sqlite_commit100_cpu_us_per_page']} us; "
              f"{result['sqlite_file_mb']} MB file; re-reading 1,000 learned hashes {result['sqlite_read_1000_learned_ms']} ms)")
        if "redis_lookup_us_per_page" in result:
            print(f"Redis (wall) {result['redis_lookup_us_per_page']} us (learned set in memory: "
                  f"{result['redis_prefilter_us_per_page']} us), {result['redis_used_mb']} MB used")
    if args.what == "search":
        result = bench_search(args.articles, args.keep)
        print(f"Search index of {result['search_articles']:,} synthetic articles: built in {result['search_build_s']} s, "
              f"{result['search_file_mb']} MB (FTS5 {result.get('search_fts_mb', '?')} MB, rows and compressed text "
              f"{result.get('search_articles_table_mb', '?')} MB)")
        print(f"{'query':<34}{'filters':<44}{'total':>8}{'first ms':>10}{'warm ms':>9}")
        for row in result["search_queries"]:
            total = f"{row['total']}{'+' if row['capped'] else ''}"
            filters = " ".join(f"{k}={v}" for k, v in row["filters"].items())
            print(f"{row['query']:<34}{filters:<44}{total:>8}{row['first_ms']:>10}{row['warm_ms']:>9}")
        print(f"First page (20 hits): median {result['search_first_median_ms']} ms, max {result['search_first_max_ms']} ms "
              f"(warm: median {result['search_warm_median_ms']} ms, max {result['search_warm_max_ms']} ms); browse of a "
              f"site {result['search_browse_site_ms']} ms, facets {result['search_facets_ms']} ms")
    if args.what == "console":
        result = bench_console(args.jobs, args.runs, args.repeat)
        print(f"Console jobs page, {result['console_jobs']} jobs with {result['console_runs']} runs: first render "
              f"{result['console_first_ms']} ms (every run log and manifest read), then median "
              f"{result['console_median_ms']} ms (max {result['console_max_ms']} ms) over {args.repeat} renders; "
              f"{result['console_page_kb']} kB of HTML")
    if args.what == "linkfarm":
        result = bench_linkfarm(args.urls, args.baseline, args.links, args.set)
        _print_linkfarm(result)
    result["bench_seconds"] = round(time.time() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
