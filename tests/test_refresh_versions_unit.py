"""Issue 18, the pieces of edit tracking: article state in every store backend, the refresh
policy's intervals, the version decision and the word diff of archive-history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy.settings import Settings

from archive.history import field_changes, word_diff
from archive.statestore import ArticleState, MemoryStateStore, RedisStateStore, SQLiteStateStore, StateStore
from crawler.refresh import RefreshPolicy, iso
from pipelines.versions import public_versions, version_sha256


def _articles(store: StateStore) -> None:
    assert store.get_article("https://a/1") is None and store.article_url("id1") is None
    a1 = ArticleState("id1", "articles/a/2025/01/01/id1.json", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z",
                      "2025-01-05T00:00:00Z", [{"n": 1, "key": "articles/a/2025/01/01/id1.json"}])
    a2 = ArticleState("id2", "articles/a/2025/01/01/id2.json", None, "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z")
    a3 = ArticleState("id3", "articles/a/2025/01/01/id3.json", None, "2025-01-02T00:00:00Z", None)
    store.put_article("https://a/1", a1)
    store.put_article("https://a/2", a2)
    store.put_article("https://a/3", a3)
    assert store.get_article("https://a/1") == a1 and store.article_url("id2") == "https://a/2"
    # most overdue first; never-due (None) never listed; the limit holds
    assert list(store.articles_due("2025-01-10T00:00:00Z")) == ["https://a/2", "https://a/1"]
    assert list(store.articles_due("2025-01-04T00:00:00Z")) == ["https://a/2"]
    assert list(store.articles_due("2025-01-10T00:00:00Z", limit=1)) == ["https://a/2"]
    store.touch_article("https://a/2", "2025-01-09T00:00:00Z", "2025-02-01T00:00:00Z")
    got = store.get_article("https://a/2")
    assert got is not None and got.checked == "2025-01-09T00:00:00Z" and got.due == "2025-02-01T00:00:00Z"
    assert list(store.articles_due("2025-01-10T00:00:00Z")) == ["https://a/1"]
    store.touch_article("https://a/unknown", "2025-01-09T00:00:00Z", None)  # nothing to touch: no error
    assert store.get_article("https://a/unknown") is None


def test_article_state_sqlite(tmp_path):
    store = SQLiteStateStore(tmp_path / "s.sqlite")
    _articles(store)
    store.close()
    reopened = SQLiteStateStore(tmp_path / "s.sqlite", readonly=True)
    assert reopened.article_url("id1") == "https://a/1"
    reopened.close()


def test_article_state_memory():
    _articles(MemoryStateStore())


def test_article_state_redis(redis_url):
    _articles(RedisStateStore(redis_url, "site"))


def test_state_written_before_articles_opens_read_only(tmp_path):
    """A state file from before the articles table (an older snapshot) reads as 'no articles known'."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE captures (url TEXT PRIMARY KEY, digest TEXT NOT NULL, date TEXT NOT NULL, "
               "record_id TEXT NOT NULL, article_key TEXT, etag TEXT, last_modified TEXT) WITHOUT ROWID")
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    db.commit()
    db.close()
    store = SQLiteStateStore(path, readonly=True)
    assert store.get_article("https://a/1") is None and list(store.articles_due("9999")) == []
    store.close()


def test_merge_keeps_the_later_check(tmp_path):
    mine, theirs = SQLiteStateStore(tmp_path / "mine.sqlite"), SQLiteStateStore(tmp_path / "theirs.sqlite")
    mine.put_article("u", ArticleState("i", "k", None, "2025-01-01T00:00:00Z", None, [{"n": 1}]))
    theirs.put_article("u", ArticleState("i", "k", None, "2025-02-01T00:00:00Z", None, [{"n": 1}, {"n": 2}]))
    theirs.put_article("v", ArticleState("j", "k2", None, "2025-02-01T00:00:00Z", None))
    theirs.close()
    mine.merge_from(tmp_path / "theirs.sqlite")
    assert [v["n"] for v in mine.get_article("u").versions] == [1, 2]  # type: ignore[union-attr]
    assert mine.article_url("j") == "v"
    mine.close()


def test_policy_intervals_grow_with_age():
    policy = RefreshPolicy()
    now = datetime(2026, 11, 29, tzinfo=UTC)

    def interval(days_old: float) -> timedelta:
        return policy.interval(iso(now - timedelta(days=days_old)), now)

    assert interval(1) == timedelta(0)  # recent: every crawl
    assert interval(10) == timedelta(days=2.5)
    assert interval(365) == timedelta(days=91.25)
    assert interval(2000) == timedelta(days=180)  # capped
    assert policy.next_due(iso(now - timedelta(days=1)), iso(now)) == iso(now)
    assert policy.is_due(iso(now - timedelta(seconds=1)), now) and not policy.is_due(iso(now + timedelta(days=1)), now)
    assert not policy.is_due(None, now)
    assert RefreshPolicy(mode="all").is_due(None) and not RefreshPolicy(mode="none").is_due(iso(now))
    unbounded = RefreshPolicy(max_interval_days=0)
    assert unbounded.interval(iso(now - timedelta(days=2000)), now) == timedelta(days=500)


def test_policy_from_settings_and_spider_argument():
    settings = Settings({"ARCHIVE_REFRESH": "none", "ARCHIVE_REFRESH_FACTOR": 0.5})
    assert RefreshPolicy.from_settings(settings).mode == "none"
    assert RefreshPolicy.from_settings(settings, "ALL").mode == "all"
    assert RefreshPolicy.from_settings(settings).factor == 0.5
    with pytest.raises(ValueError, match="use one of due, all, none"):
        RefreshPolicy.from_settings(settings, "weekly")


def test_version_hash_ignores_capture_bookkeeping():
    record = {"title": "T", "text": "a b", "authors": ["X"], "published": "2025-01-01", "fetched_at": "1",
              "warc": {"file": "a"}, "content_sha256": "x", "removed": []}
    other_capture = dict(record, fetched_at="2", warc={"file": "b"}, removed=[{"kind": "share"}])
    assert version_sha256(record) == version_sha256(other_capture)
    assert version_sha256(record) != version_sha256(dict(record, title="T2"))
    assert version_sha256(record) != version_sha256(dict(record, authors=["X", "Y"]))
    full = [{"n": 1, "fetched_at": "f", "content_sha256": "c", "version_sha256": "v", "payload_digest": "p",
             "warc": None, "key": "k"}]
    assert public_versions(full) == [{"n": 1, "fetched_at": "f", "content_sha256": "c", "warc": None, "key": "k"}]


def test_word_diff_and_field_changes():
    old = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    new = "one two three FOUR five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    lines = word_diff(old, new, context=2)
    assert lines == ["… two three [-four-] {+FOUR+} five six …", "… fourteen fifteen {+sixteen+}"]
    assert word_diff("same text", "same  text") == []  # whitespace alone is no change
    arabic = word_diff("قال المجلس إن الكلفة 120 ألف دولار", "قال المجلس إن الكلفة 210 آلاف دولار")
    assert arabic == ["قال المجلس إن الكلفة [-120 ألف-] {+210 آلاف+} دولار"]
    assert field_changes({"title": "a", "authors": ["x"], "text": "t"}, {"title": "b", "authors": ["x"], "text": "u"}) \
        == [("title", '"a"', '"b"')]


def _pipeline(tmp_path):
    """ArticleVersionsPipeline over a real local store and an in-memory site state."""
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from archive.local import LocalStorage
    from pipelines.versions import ArticleVersionsPipeline

    async def run(fn, *args):
        return fn(*args)

    storage = LocalStorage(tmp_path)
    state = SimpleNamespace(dedup_enabled=True, dedup=MemoryStateStore(), site="s")
    archive = SimpleNamespace(storage=storage, state=state, io=SimpleNamespace(run=run))
    crawler = get_crawler(settings_dict={"EXTENSIONS": {}, "ADDONS": {}})
    return ArticleVersionsPipeline(crawler, archive), storage, state.dedup, crawler.stats  # type: ignore[arg-type]


def _item(text: str, payload: str, fetched: str):
    import hashlib

    from crawler.items import ArticleItem

    return ArticleItem(
        id="a" * 24, url="https://s/1", canonical_url="https://s/1", site="s", language="en", title="T",
        authors=[], published="2025-01-01T00:00:00+00:00", published_source="jsonld", published_tz_assumed=False,
        modified=None, modified_source=None, text=text, description=None, tags=[], categories=[], images=[],
        fetched_at=fetched, http_status=200, warc=None, content_sha256=hashlib.sha256(text.encode()).hexdigest(),
        extractor={}, payload_digest=payload)


def test_versions_pipeline_decisions(tmp_path):
    """New text: a new version (the earlier record copied first); same bytes: a re-extraction; new bytes with
    the same article: no version; the bytes of an earlier version: never written over the latest."""
    import asyncio
    import json as _json

    from scrapy.exceptions import DropItem

    from pipelines.export import dumps_record

    pipe, storage, store, stats = _pipeline(tmp_path)

    def stored(item) -> None:  # what the export and the site state do after the pipeline
        storage.put_bytes(item.json_key, dumps_record(item.to_dict()))
        store.put_article(item.url, ArticleState(item.id, item.json_key, item.published, item.fetched_at, None,
                                                 item.versions_state))

    first = asyncio.run(pipe.process_item(_item("one", "sha1:A", "2026-01-01T00:00:00+00:00")))
    assert [v["n"] for v in first.versions] == [1] and first.json_key.startswith("articles/s/2025/01/01/")
    stored(first)
    edited = asyncio.run(pipe.process_item(_item("one, corrected", "sha1:B", "2026-01-02T00:00:00+00:00")))
    assert [v["n"] for v in edited.versions] == [1, 2] and edited.json_key == first.json_key
    kept = edited.versions[0]["key"]
    assert kept == "articles/s/versions/" + "a" * 24 + "/1.json"
    assert _json.loads(storage.get_bytes(kept))["text"] == "one"  # the earlier record, copied before the overwrite
    stored(edited)
    rerun = asyncio.run(pipe.process_item(_item("one, corrected!", "sha1:B", "2026-01-03T00:00:00+00:00")))
    assert len(rerun.versions) == 2 and stats.get_value("export/versions/reextracted") == 1
    stored(rerun)
    sidebar = asyncio.run(pipe.process_item(_item("one, corrected!", "sha1:C", "2026-01-04T00:00:00+00:00")))
    assert len(sidebar.versions) == 2 and stats.get_value("export/versions/same_text") == 1
    with pytest.raises(DropItem, match="the bytes of version 1"):
        asyncio.run(pipe.process_item(_item("one", "sha1:A", "2026-01-05T00:00:00+00:00")))
    assert stats.get_value("export/versions/new") == 1
