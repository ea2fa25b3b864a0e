"""The per-site state store (archive/statestore.py) and SiteState around it: SQLite and Redis
backends, the legacy dedup.json.gz import, the one-crawl-per-site lock, one key per site."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import pytest

from archive.dedup import Capture, DedupIndex, dedup_key
from archive.keys import article_key, idna_host, site_key
from archive.local import LocalStorage
from archive.statestore import (
    MemoryStateStore,
    RedisStateStore,
    SiteLockedError,
    SQLiteStateStore,
    StateStore,
)
from crawler.profiles import profile_for_url
from crawler.sitestate import SiteState


def _exercise(store: StateStore) -> None:
    assert store.get("https://a/1") is None and len(store) == 0
    store.record("https://a/1", "sha1:X", "2025-01-01T00:00:00Z", "<urn:uuid:1>", etag='"e1"', last_modified="Mon")
    assert store.status("https://a/1", "sha1:X") == "unchanged" and store.status("https://a/1", "sha1:Y") == "changed"
    assert store.status("https://a/2", "sha1:X") == "new"
    assert store.lookup("https://a/1", "sha1:Y") is None
    store.set_article("https://a/1", "articles/a/2025/01/01/1.json")
    got = store.captures.get("https://a/1")
    assert got == Capture("sha1:X", "2025-01-01T00:00:00Z", "<urn:uuid:1>", "articles/a/2025/01/01/1.json", '"e1"', "Mon")
    # a new full capture with the same payload keeps the article key, a changed one drops it
    store.record("https://a/1", "sha1:X", "2025-02-01T00:00:00Z", "<urn:uuid:2>")
    assert store.get("https://a/1").article_key == "articles/a/2025/01/01/1.json"  # type: ignore[union-attr]
    store.record("https://a/1", "sha1:Z", "2025-03-01T00:00:00Z", "<urn:uuid:3>")
    assert store.get("https://a/1").article_key is None  # type: ignore[union-attr]
    assert store.put_many([("https://a/1", Capture("old", "d", "r")), ("https://a/2", Capture("d2", "d", "r"))],
                          overwrite=False) == 2
    assert store.get("https://a/1").digest == "sha1:Z"  # type: ignore[union-attr]  # kept
    assert dict(store.items()).keys() == {"https://a/1", "https://a/2"} and len(store) == 2
    assert "https://a/2" in store.captures and "https://a/3" not in store.captures
    assert store.get_value("x") is None
    store.set_value("x", "1")
    assert store.get_value("x") == "1"
    assert store.set_value_if_absent("y", "a") and not store.set_value_if_absent("y", "b") and store.get_value("y") == "a"


def test_sqlite_store(tmp_path):
    path = tmp_path / "state" / "s" / "state.sqlite"
    store = SQLiteStateStore(path)
    _exercise(store)
    store.close()
    again = SQLiteStateStore(path)
    assert len(again) == 2 and again.get_value("x") == "1"
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_memory_store():
    _exercise(MemoryStateStore())


def test_redis_store(redis_url):
    store = RedisStateStore(redis_url, "مثال.com")
    assert store.key == "news-archive:state:xn--mgbh0fb.com:captures"
    _exercise(store)
    other = RedisStateStore(redis_url, "other")
    assert len(other) == 0  # one hash per site


def test_sqlite_commits_each_capture_before_close(tmp_path):
    """Nothing waits for close: another connection sees each capture as soon as it is recorded."""
    path = tmp_path / "state.sqlite"
    store = SQLiteStateStore(path)
    store.record("https://a/1", "sha1:X", "d", "<urn:uuid:1>")
    seen = sqlite3.connect(path).execute("SELECT digest FROM captures WHERE url = 'https://a/1'").fetchone()
    assert seen == ("sha1:X",)


def _writer(path: str, start: int, count: int) -> None:
    store = SQLiteStateStore(path)
    for i in range(start, start + count):
        store.record(f"https://a/{i}", f"sha1:{i}", "d", f"<urn:uuid:{i}>")
    store.close()


def test_sqlite_several_processes_one_file(tmp_path):
    path = str(tmp_path / "state.sqlite")
    SQLiteStateStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, i * 300, 300)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert len(SQLiteStateStore(path)) == 900


def test_legacy_dedup_json_imported_once_and_left_in_place(tmp_path):
    storage = LocalStorage(tmp_path)
    legacy = DedupIndex()
    legacy.record("https://s/1", "sha1:A", "2024-01-01T00:00:00Z", "<urn:uuid:a>", etag='"x"')
    legacy.set_article("https://s/1", "articles/s/2024/01/01/1.json")
    legacy.last_crawl = {"crawl_id": "old", "finished_at": "2024-01-01T00:00:00+00:00"}
    legacy.save(storage, "s")
    state = SiteState(storage, "s", True)
    state.open("c1")
    assert state.dedup.get("https://s/1") == legacy.captures["https://s/1"]
    assert json.loads(state.dedup.get_value("legacy_import") or "{}")["captures"] == 1
    state.record("https://s/2", "sha1:B", "d", "<urn:uuid:b>", None, None)
    state.close("c1")
    assert (tmp_path / dedup_key("s")).exists()  # left in place
    assert (tmp_path / "state" / "s" / "state.sqlite").exists()
    # a changed legacy file is not imported again
    legacy.record("https://s/3", "sha1:C", "d", "<urn:uuid:c>")
    legacy.save(storage, "s")
    state = SiteState(storage, "s", True)
    state.open("c2")
    assert state.dedup.get("https://s/3") is None and len(state.dedup) == 2
    assert json.loads(state.dedup.get_value("last_crawl") or "{}")["crawl_id"] == "c1"
    state.close("c2")


def test_second_crawl_of_a_site_refused(tmp_path):
    storage = LocalStorage(tmp_path)
    first = SiteState(storage, "s", True)
    first.open("c1")
    second = SiteState(storage, "s", True)
    with pytest.raises(SiteLockedError, match="another crawl of this site is running.*c1"):
        second.open("c2")
    SiteState(storage, "other-site", True).open("c3")  # another site is not locked
    first.close("c1")
    second.open("c2")  # released at close
    second.close("c2")


def test_redis_state_imports_the_local_state_once(tmp_path, redis_url):
    storage = LocalStorage(tmp_path)
    local = SiteState(storage, "s", True)
    local.open("c1")
    local.record("https://s/1", "sha1:A", "d", "<urn:uuid:a>", None, None)
    local.close("c1")

    class Settings(dict):
        pass

    shared = SiteState(storage, "s", True, settings=Settings(REDIS_URL=redis_url))
    shared.open("c2")
    assert isinstance(shared.dedup, RedisStateStore) and shared.dedup.get("https://s/1") is not None
    shared.close("c2")


def test_one_key_per_site_idna():
    assert idna_host("مثال.com") == "xn--mgbh0fb.com"
    assert site_key("مثال.com") == "xn--mgbh0fb.com" and site_key("مثال.com") != site_key("موقع.com")
    assert site_key("demo") == "demo" and site_key("127.0.0.1-8080") == "127.0.0.1-8080"
    assert profile_for_url("https://مثال.com/").name == "xn--mgbh0fb.com"
    assert profile_for_url("https://مثال.com:8443/ar/").name == "xn--mgbh0fb.com-8443"
    assert profile_for_url("https://MOQ3.example/").name == "moq3.example"
    from datetime import datetime

    day = datetime(2025, 1, 2)
    assert article_key("مثال.com", day, "a1") == "articles/xn--mgbh0fb.com/2025/01/02/a1.json"
    assert article_key("مثال.com", day, "a1") != article_key("موقع.com", day, "a1")
    # a non-host site name with non-ASCII letters: slug plus a hash of the full name, never shared
    assert site_key("عنب بلدي") != site_key("عنب بلد")


class _Remote:
    """A remote store in memory (what SiteLease uses of it)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get_bytes(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
        self.objects[key] = data


def test_remote_lease_refuses_a_second_crawl_then_goes_stale():
    from archive.statestore import SiteLease

    remote = _Remote()
    first = SiteLease(remote, "s", {"crawl_id": "c1", "host": "a", "pid": 1}, ttl=0.6, settle=0)
    first.acquire()
    with pytest.raises(SiteLockedError, match=r'lease state/s/lease.json: \{"crawl_id": "c1"'):
        SiteLease(remote, "s", {"crawl_id": "c2", "host": "b", "pid": 2}, ttl=0.6, settle=0).acquire()
    # the same crawl id (resumed after a kill) takes its lease back
    resumed = SiteLease(remote, "s", {"crawl_id": "c1", "host": "a", "pid": 3}, ttl=0.6, settle=0)
    resumed.acquire()
    resumed.release()
    first.release()
    second = SiteLease(remote, "s", {"crawl_id": "c2", "host": "b", "pid": 2}, ttl=0.6, settle=0)
    second.acquire()  # given back at close
    second._stop.set()  # the crawl dies: no renewal, no release
    import time

    time.sleep(0.7)
    third = SiteLease(remote, "s", {"crawl_id": "c3", "host": "c", "pid": 4}, ttl=0.6, settle=0)
    third.acquire()  # stale: taken over
    third.release()


def test_lease_race_later_writer_backs_off(monkeypatch):
    """Two crawls pass the first read together: the one whose lease was overwritten backs off."""
    import time

    from archive.statestore import SiteLease

    remote = _Remote()
    mine = SiteLease(remote, "s", {"crawl_id": "c1", "host": "a", "pid": 1}, ttl=60, settle=0.2)
    other = SiteLease(remote, "s", {"crawl_id": "c2", "host": "b", "pid": 2}, ttl=60, settle=0)
    monkeypatch.setattr(time, "sleep", lambda seconds: other._write(time.time() + 60))  # other writes meanwhile
    with pytest.raises(SiteLockedError):
        mine.acquire()


def test_merge_keeps_the_later_capture_of_each_url(tmp_path):
    mine = SQLiteStateStore(tmp_path / "mine.sqlite")
    mine.put("https://a/1", Capture("d1", "2025-01-02T00:00:00Z", "<mine-1>"))
    mine.put("https://a/2", Capture("d2", "2025-01-01T00:00:00Z", "<mine-2>"))
    theirs = SQLiteStateStore(tmp_path / "theirs.sqlite")
    theirs.put("https://a/1", Capture("x1", "2025-01-01T00:00:00Z", "<theirs-1>"))  # older: mine kept
    theirs.put("https://a/2", Capture("x2", "2025-01-03T00:00:00Z", "<theirs-2>"))  # newer: theirs wins
    theirs.put("https://a/3", Capture("x3", "2025-01-03T00:00:00Z", "<theirs-3>"))  # only theirs
    theirs.close()
    assert mine.merge_from(tmp_path / "theirs.sqlite") == 2
    assert [mine.get(f"https://a/{i}").record_id for i in (1, 2, 3)] == ["<mine-1>", "<theirs-2>", "<theirs-3>"]  # type: ignore[union-attr]
    mine.close()
