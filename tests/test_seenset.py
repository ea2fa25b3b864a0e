"""Flat memory for long crawls (issue #18): the duplicate filter's fingerprints and a resumed crawl's stored
articles live in a private SQLite file (crawler/seenset.py), unlinked at once and freed at the end; the
spider's sitemap set is bounded. Logic tests, no crawl: the figures of a real crawl come from
`python -m tests.support.bench linkfarm` (docs/state.md)."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import sqlite3
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler import seenset
from crawler import settings as project
from crawler.dupefilter import JournalDupeFilter
from crawler.extensions.resume import Journal, ResumeExtension, get_journal
from crawler.seenset import SeenSet, key_of, url_key
from crawler.spiders import news

PROJECT = {k: v for k, v in vars(project).items() if k.isupper()}


def _fingerprints(n: int, salt: str = "") -> list[bytes]:
    return [hashlib.sha1(f"{salt}{i}".encode()).digest() for i in range(n)]


def _sqlite_memory_used() -> int | None:
    """SQLite's own allocations (its page cache is not Python memory: tracemalloc does not see it)."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    try:
        fn = ctypes.CDLL(name).sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int64
    return int(fn())


def _open_deleted(directory: Path) -> list[str]:
    """This process's open files that were in ``directory`` and are unlinked (Linux: /proc/self/fd)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("no /proc/self/fd")
    out = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(directory) + "/") and target.endswith(" (deleted)"):
            out.append(target)
    return out


def test_new_keys_pass_and_repeats_are_caught_beyond_the_cache(tmp_path: Path) -> None:
    # A 64 KiB page cache and 60,000 keys (more than 10 commits): most pages live in the file, not the cache.
    seen = SeenSet(tmp_path, cache_mb=0.0625)
    assert list(tmp_path.iterdir()) == []  # unlinked as soon as it is open: a killed crawl leaves nothing
    assert len(_open_deleted(tmp_path)) == 1
    keys = [key_of(fp) for fp in _fingerprints(60_000)]
    assert all(seen.add(k) for k in keys)
    assert len(seen) == 60_000 and seen.on_disk
    assert not any(seen.add(k) for k in keys[::7])  # every repeat is caught, early keys included
    assert all(k in seen for k in keys[:1000])
    others = [key_of(fp) for fp in _fingerprints(5000, salt="other")]
    assert not any(k in seen for k in others)
    assert all(seen.add(k) for k in others) and len(seen) == 65_000
    assert seen.path is not None and seen.path.parent == tmp_path and seen.file_bytes() > 65_000 * 8
    seen.close()
    assert _open_deleted(tmp_path) == []  # closed: its space is freed
    assert keys[0] not in seen and len(seen) == 0 and seen.file_bytes() == 0


def test_keys_are_signed_64_bit_and_extreme_values_work(tmp_path: Path) -> None:
    seen = SeenSet(tmp_path)
    assert key_of(b"\xff" * 20) == -1 and key_of(b"\x7f" + b"\xff" * 19) == 2**63 - 1 and key_of(b"\x80" + 19 * b"\0") == -(2**63)
    for k in (-(2**63), -1, 0, 1, 2**63 - 1):
        assert seen.add(k) and not seen.add(k)
    assert url_key("https://example.org/a") != url_key("https://example.org/b")
    assert url_key("https://example.org/é") == url_key("https://example.org/é")
    seen.close()


def test_memory_stays_flat_where_a_set_grows() -> None:
    n = 200_000
    fps = _fingerprints(n)
    seen = SeenSet(cache_mb=2.0)
    sqlite_before = _sqlite_memory_used()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for fp in fps:
            seen.add(key_of(fp))
        on_disk = tracemalloc.get_traced_memory()[0] - base
        sqlite_after = _sqlite_memory_used()
        in_memory = SeenSet(on_disk=False)
        base = tracemalloc.get_traced_memory()[0]
        for fp in fps:
            in_memory.add(key_of(fp))
        memory_set = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(seen) == len(in_memory) == n
    assert memory_set > 8_000_000  # the measure sees a set of 200,000 keys (about 70 bytes each)...
    assert on_disk < 500_000  # ...and the on-disk set keeps none of them in Python memory
    if sqlite_before is not None and sqlite_after is not None:
        assert sqlite_after - sqlite_before < 4_000_000  # SQLite's page cache: its 2 MB and some overhead
    seen.close()
    in_memory.close()


def test_disk_error_keeps_later_keys_in_memory_and_loses_none(tmp_path: Path, caplog: Any) -> None:
    errors: list[BaseException] = []
    seen = SeenSet(tmp_path, on_error=errors.append)
    before = [key_of(fp) for fp in _fingerprints(100)]
    assert all(seen.add(k) for k in before)
    real = seen._cursor
    assert real is not None

    class Full:
        def execute(self, sql: str, params: Any = ()) -> Any:
            if sql.startswith("INSERT"):
                raise sqlite3.OperationalError("database or disk is full")
            return real.execute(sql, params)

    seen._cursor = Full()  # type: ignore[assignment]
    after = [key_of(fp) for fp in _fingerprints(100, salt="after")]
    with caplog.at_level(logging.ERROR, logger="crawler.seenset"):
        assert all(seen.add(k) for k in after)
    assert len(errors) == 1 and not seen.on_disk
    assert sum("Cannot write the set of seen" in r.getMessage() for r in caplog.records) == 1
    assert not any(seen.add(k) for k in before + after)  # the file's keys and the memory's both found
    assert len(seen) == 200
    seen.close()
    assert list(tmp_path.iterdir()) == [] and _open_deleted(tmp_path) == []


def _dupefilter(tmp_path: Path, **settings: Any) -> tuple[Any, JournalDupeFilter]:
    crawler = get_crawler(settings_dict={**PROJECT, "EXTENSIONS": {}, "ADDONS": {},
                                         "NEWS_QUEUE_DIR": str(tmp_path / "private"), **settings})
    return crawler, JournalDupeFilter.from_crawler(crawler)


def test_dupefilter_filters_on_disk_and_removes_its_file(tmp_path: Path) -> None:
    crawler, df = _dupefilter(tmp_path)
    assert df.seen.on_disk and df.seen.path is not None and df.seen.path.parent == tmp_path / "private"
    assert len(_open_deleted(tmp_path / "private")) == 1
    assert not df.request_seen(Request("https://example.org/a?x=1&y=2"))
    assert df.request_seen(Request("https://example.org/a?y=2&x=1"))  # the same fingerprint (canonical URL)
    assert not df.request_seen(Request("https://example.org/a?x=1&y=2", method="POST"))
    urls = [f"https://example.org/p/{i}" for i in range(20_000)]
    assert not any(df.request_seen(Request(u)) for u in urls)
    assert all(df.request_seen(Request(u)) for u in urls[::97])
    assert not df._fingerprints  # Scrapy's in-memory set stays empty
    assert df.seen.file_bytes() > 20_000 * 8
    df.close("finished")
    assert list((tmp_path / "private").iterdir()) == [] and _open_deleted(tmp_path / "private") == []


def test_dupefilter_in_memory_when_switched_off(tmp_path: Path) -> None:
    _, df = _dupefilter(tmp_path, NEWS_SEEN_ON_DISK=False)
    assert not df.seen.on_disk and not (tmp_path / "private").exists()
    assert not df.request_seen(Request("https://example.org/a")) and df.request_seen(Request("https://example.org/a"))
    df.close("finished")


def test_dupefilter_persists_nothing_in_jobdir(tmp_path: Path) -> None:
    """After a kill, queued requests must not stay "seen" (crawler/dupefilter.py): no requests.seen in JOBDIR."""
    jobdir = tmp_path / "job"
    _, df = _dupefilter(tmp_path, JOBDIR=str(jobdir))
    assert df.seen.path is not None and df.seen.path.parent == tmp_path / "private"
    assert not df.request_seen(Request("https://example.org/a"))
    df.close("shutdown")
    assert not (jobdir / "requests.seen").exists() and _open_deleted(tmp_path / "private") == []


def test_resumed_crawl_counts_stored_articles_as_seen(tmp_path: Path) -> None:
    jobdir = tmp_path / "job"
    jobdir.mkdir()
    stored = [f"https://example.org/2024/story-{i}.html" for i in range(300)]
    lines = [f"A\t{u}" for u in stored]
    lines += ['I\t{"url": "https://example.org/in-flight", "callback": "parse_page", "meta": {}}',
              'I\t{"url": "https://example.org/done", "callback": "parse_page", "meta": {}}',
              "D\thttps://example.org/done", 'I\t{"url": "https://example.org/cut", "callb']  # cut by the kill
    (jobdir / "archive-journal.log").write_text("\n".join(lines), "utf-8")
    crawler, df = _dupefilter(tmp_path, JOBDIR=str(jobdir), EXTENSIONS={ResumeExtension: 50})
    journal = get_journal(crawler)
    assert journal is not None and journal.killed and list(journal.resumed) == ["https://example.org/in-flight"]
    assert journal.articles.on_disk and len(journal.articles) == 300
    assert journal.has_article(stored[5]) and not journal.has_article("https://example.org/in-flight")
    assert list(journal.stored_articles()) == stored
    assert all(df.request_seen(Request(u)) for u in stored)  # stored: neither fetched nor written again
    assert not df.request_seen(Request("https://example.org/in-flight"))  # everything else is fetched again
    journal.article("https://example.org/new-one")
    assert journal.has_article("https://example.org/new-one")
    assert len(_open_deleted(tmp_path / "private")) == 2  # the fingerprints and the stored articles' hashes
    journal.close()
    df.close("finished")
    assert list((tmp_path / "private").iterdir()) == [] and _open_deleted(tmp_path / "private") == []
    assert Journal(jobdir).killed is False  # closed cleanly: "C" last
    assert (jobdir / "archive-journal.log").read_text().splitlines()[-2] == "A\thttps://example.org/new-one"


def test_spider_remembers_a_bounded_number_of_sitemaps(monkeypatch: Any) -> None:
    monkeypatch.setattr(news, "_SITEMAPS_REMEMBERED", 50)
    crawler = get_crawler(news.NewsSpider, {**PROJECT, "EXTENSIONS": {}, "ADDONS": {}})
    spider = crawler._create_spider(url="https://example.org/")
    urls = [f"https://example.org/sitemap-{i}.xml" for i in range(200)]
    assert len(list(spider._sitemap_requests(urls))) == 200
    assert len(spider._sitemaps_requested) == 50
    assert list(spider._sitemap_requests(urls[-10:])) == []  # recent ones are skipped by the spider itself
    assert len(list(spider._sitemap_requests(urls[:1]))) == 1  # a forgotten one: the duplicate filter's job
    assert len(spider._sitemaps_requested) == 50


def test_commit_interval_is_crossed(tmp_path: Path) -> None:
    seen = SeenSet(tmp_path)
    n = seenset._COMMIT_EVERY * 2 + 3
    assert all(seen.add(i) for i in range(n)) and not any(seen.add(i) for i in range(0, n, 11))
    seen.close()


@pytest.mark.parametrize("on_disk", [True, False])
def test_contains_ignores_non_int(tmp_path: Path, on_disk: bool) -> None:
    seen = SeenSet(tmp_path, on_disk=on_disk)
    seen.add(5)
    assert 5 in seen and "5" not in seen and 6 not in seen
    seen.close()
