"""Issue 18: the repetition learner's state in the per-site state store (archive/blockstate.py) —
the three backends, several processes (SQLite file, Redis) counting one block together, the
legacy repeated-blocks.json import, an older state file, the snapshot merge and the read-only
use by ``scrapy extract``."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import pytest

from archive.local import LocalStorage
from archive.statestore import MemoryStateStore, RedisStateStore, SQLiteStateStore, StateStore
from crawler.sitestate import SiteState
from pipelines.repetition import IMPORT_MARK, RepetitionLearner, import_legacy_state, load_learned, state_key


def _exercise(store: StateStore) -> None:
    seen = store.observe_blocks("p1", ["t", "u1"], min_pages=3, max_candidates=10)
    assert seen.pages == {"t": 1, "u1": 1} and seen.learned == [] and seen.known == []
    store.block_page_stored("p1", "articles/s/p1.json", ["t", "u1"])  # stored before the block is learned
    assert store.observe_blocks("p1", ["t"], min_pages=3, max_candidates=10).pages == {"t": 1}  # same page again
    assert store.observe_blocks("p2", ["t", "u2"], min_pages=3, max_candidates=10).pages == {"t": 2, "u2": 1}
    seen = store.observe_blocks("p3", ["t", "u3"], min_pages=3, max_candidates=10)
    assert seen.learned == ["t"] and seen.pages["t"] == 3 and seen.template == {"t"}
    # p3 is cleaned now; p1 and p2 were (or will be) stored with the block: stale, with their keys
    assert store.stale_pages() == {"p1": "articles/s/p1.json", "p2": None}
    store.block_page_stored("p2", "articles/s/p2.json", ["u2"])  # stored after the block was learned
    assert store.stale_pages() == {"p1": "articles/s/p1.json", "p2": "articles/s/p2.json"}
    seen = store.observe_blocks("p4", ["t", "u4"], min_pages=3, max_candidates=10)
    assert seen.known == ["t"] and seen.learned == [] and seen.pages == {"u4": 1}
    assert store.learned_blocks() == {"t"}
    store.forget_stale(["p1"])
    assert store.stale_pages() == {"p2": "articles/s/p2.json"}
    # bounded: the least recently seen candidates are evicted, learned blocks never
    store.observe_blocks("p1", ["u1"], min_pages=3, max_candidates=10)  # u1 seen again: now the most recent
    for i in range(5, 13):
        store.observe_blocks(f"p{i}", [f"u{i}"], min_pages=3, max_candidates=10)
    order = [h for h, _ in store.candidate_blocks()]
    assert order == ["u4", "u1", *(f"u{i}" for i in range(5, 13))], order  # u2, u3 evicted
    assert store.block_counts() == {"learned": 1, "candidates": 10, "stale": 1}
    assert store.learn_blocks(["u1", "t", "z"]) == 2  # t was learned already
    assert store.learned_blocks() == {"t", "u1", "z"} and "u1" not in dict(store.candidate_blocks())
    assert store.block_counts()["candidates"] == 9
    store.compact_blocks()
    assert store.stale_pages() == {"p2": "articles/s/p2.json"}  # a stale page keeps its key


def test_memory_blocks():
    _exercise(MemoryStateStore())


def test_sqlite_blocks_persist(tmp_path):
    path = tmp_path / "state.sqlite"
    store = SQLiteStateStore(path)
    _exercise(store)
    store.close()
    again = SQLiteStateStore(path)
    assert again.learned_blocks() == {"t", "u1", "z"} and again.block_counts()["candidates"] == 9
    assert again.stale_pages() == {"p2": "articles/s/p2.json"}
    # each observation is committed at once: another connection sees it
    again.observe_blocks("p9", ["new"], min_pages=3, max_candidates=10)
    assert sqlite3.connect(path).execute("SELECT pages FROM blocks_candidates WHERE hash = 'new'").fetchone() == ('["p9"]',)
    again.close()


def test_redis_blocks(redis_url):
    store = RedisStateStore(redis_url, "مثال.com")
    _exercise(store)
    keys = {k.decode() for k in store.client.keys("*")}
    assert "news-archive:state:xn--mgbh0fb.com:blocks:learned" in keys
    assert all(k.startswith("news-archive:state:xn--mgbh0fb.com:") for k in keys)
    assert RedisStateStore(redis_url, "other").learned_blocks() == set()  # one site's blocks


def test_state_file_from_before_the_blocks_opens(tmp_path):
    """A state.sqlite written before the blocks tables existed: read-only it has no learned blocks,
    opened for writing the tables are added and its captures kept."""
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE captures (url TEXT PRIMARY KEY, digest TEXT NOT NULL, date TEXT NOT NULL, record_id TEXT NOT NULL,
            article_key TEXT, etag TEXT, last_modified TEXT) WITHOUT ROWID;
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO captures VALUES ('https://s/1', 'sha1:A', 'd', '<r>', NULL, NULL, NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        """
    )
    db.close()
    readonly = SQLiteStateStore(path, readonly=True)
    assert readonly.learned_blocks() == set() and readonly.stale_pages() == {} and list(readonly.candidate_blocks()) == []
    readonly.close()
    store = SQLiteStateStore(path)
    assert store.get("https://s/1") is not None
    assert store.observe_blocks("p", ["b"], min_pages=2, max_candidates=5).pages == {"b": 1}
    store.close()


def _observe_all(kind: str, where: str, worker: str, hashes: list[str], min_pages: int, start, out,
                 site: str = "site") -> None:
    store: StateStore = SQLiteStateStore(where) if kind == "sqlite" else RedisStateStore(where, site)
    learned = []
    start.wait(60)  # both processes connected: they run at the same time
    for h in hashes:
        learned += store.observe_blocks(f"{worker}-{h}", [h], min_pages=min_pages, max_candidates=100_000).learned
    store.close()
    out.put((worker, learned))


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_two_processes_reach_the_threshold_together(kind, tmp_path, request):
    """Two processes see the same 1,000 blocks, each on its own pages, at the same time (one from the first
    block, the other from the last): with a threshold of two pages every block is learned, exactly once, by
    one process or the other — none counted twice, none missed."""
    hashes = [f"block-{i}" for i in range(1000)]
    ctx = multiprocessing.get_context("spawn")
    overlapped = False
    # Every attempt checks exactly-once learning; the processes must also overlap (each learns some
    # blocks) in one of them — a loaded machine may run one process's 1,000 steps before the other starts.
    for attempt in range(3):
        where = (str(tmp_path / f"state-{attempt}.sqlite") if kind == "sqlite"
                 else request.getfixturevalue("redis_url"))
        site = f"site-{attempt}"
        if kind == "sqlite":
            SQLiteStateStore(where).close()
        start, out = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_observe_all, args=(kind, where, w, order, 2, start, out, site))
                 for w, order in (("a", hashes), ("b", hashes[::-1]))]
        for proc in procs:
            proc.start()
        learned = dict(out.get(timeout=120) for _ in procs)
        for proc in procs:
            proc.join(60)
        assert [proc.exitcode for proc in procs] == [0, 0]
        assert sorted(learned["a"] + learned["b"]) == sorted(hashes)  # every block once, by one of them
        store: StateStore = SQLiteStateStore(where) if kind == "sqlite" else RedisStateStore(where, site)
        assert store.learned_blocks() == set(hashes) and store.block_counts()["candidates"] == 0
        # one of each block's two pages is stale (the one seen first), whichever process saw it
        assert len(store.stale_pages()) == 1000
        store.close()
        if learned["a"] and learned["b"]:
            overlapped = True
            break
    assert overlapped, "the two processes never overlapped in 3 attempts"


def test_two_learners_one_redis_threshold(redis_url):
    """The pipeline's learners of two processes (two connections): two pages in one, the third in the
    other — the second process learns the block, and the first one's next page is cleaned of it."""
    appeal = "Support our newsroom with a small monthly gift today"
    one = RepetitionLearner(3, 100, 500, RedisStateStore(redis_url, "s"))
    two = RepetitionLearner(3, 100, 500, RedisStateStore(redis_url, "s"))
    assert one.observe("a1", [appeal, "first story text here"]) == []
    assert one.observe("a2", [appeal, "second story text here"]) == []
    assert two.observe("b1", [appeal, "third story text here"]) != []  # learned by the second process
    assert one.observe("a3", [appeal, "fourth story text here"]) == []  # known: learned elsewhere
    assert one.split([appeal, "fourth story text here"]) == (["fourth story text here"], [appeal])


def _legacy(tmp_path, blocks: dict[str, int]) -> LocalStorage:
    storage = LocalStorage(tmp_path)
    data = {"version": 1, "min_pages": 3, "blocks": blocks}
    storage.put_bytes(state_key("s"), json.dumps(data).encode(), "application/json")
    return storage


def test_legacy_json_imported_once_and_left_in_place(tmp_path):
    storage = _legacy(tmp_path, {"old1": 1, "old2": 2, "learned1": 3, "learned2": 7})
    state = SiteState(storage, "s", True)
    state.open("c1")
    learner = RepetitionLearner(3, 100, 500, state.dedup)
    assert import_legacy_state(storage, "s", learner, state.dedup) == 4
    assert state.dedup.learned_blocks() == {"learned1", "learned2"} and learner.is_template("learned2")
    assert dict(state.dedup.candidate_blocks()) == {"old1": 1, "old2": 2}
    assert json.loads(state.dedup.get_value(IMPORT_MARK) or "{}")["blocks"] == 4
    # the counts carry on: old2 was seen on two pages, one more makes it template
    assert learner.observe("p", [], {"x": "old2"}) == ["old2"]
    state.close("c1")
    assert (tmp_path / state_key("s")).exists()  # left in place
    # a changed file is not imported again
    _legacy(tmp_path, {"other": 5})
    state = SiteState(storage, "s", True)
    state.open("c2")
    assert import_legacy_state(storage, "s", RepetitionLearner(3, 100, 500, state.dedup), state.dedup) is None
    assert "other" not in state.dedup.learned_blocks()
    state.close("c2")


def test_legacy_import_with_no_file_is_marked(tmp_path):
    storage = LocalStorage(tmp_path)
    store = SQLiteStateStore(tmp_path / "state.sqlite")
    assert import_legacy_state(storage, "s", RepetitionLearner(store=store), store) == 0
    assert store.get_value(IMPORT_MARK) is not None
    store.close()


def test_snapshot_merge_unites_the_blocks(tmp_path):
    mine = SQLiteStateStore(tmp_path / "mine.sqlite")
    mine.observe_blocks("m1", ["shared", "mine"], min_pages=3, max_candidates=10)
    theirs = SQLiteStateStore(tmp_path / "theirs.sqlite")
    theirs.learn_blocks(["learned-there"])
    theirs.observe_blocks("t1", ["shared", "theirs"], min_pages=3, max_candidates=10)
    theirs.close()
    mine.merge_from(tmp_path / "theirs.sqlite")
    assert mine.learned_blocks() == {"learned-there"}
    assert dict(mine.candidate_blocks()) == {"shared": 1, "mine": 1, "theirs": 1}  # this file's shared kept
    assert mine.block_counts()["candidates"] == 3
    mine.close()


def test_extract_reads_the_learned_blocks(tmp_path):
    """``scrapy extract`` (pipelines/offline.py) takes the learned blocks from the archive's state, read only."""
    from scrapy.settings import Settings

    storage = LocalStorage(tmp_path)
    state = SiteState(storage, "s", True)
    state.open("c1")
    state.dedup.learn_blocks(["h1", "h2"])
    state.close("c1")
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.set("ARCHIVE_URI", str(tmp_path))
    learner = RepetitionLearner.from_settings(settings)
    assert learner is not None
    assert load_learned(settings, "s", learner) == 2 and learner.learned == {"h1", "h2"}
    # before any crawl imported it, the legacy file's learned blocks count too
    _legacy(tmp_path, {"legacy-learned": 4, "legacy-candidate": 1})
    other = RepetitionLearner.from_settings(settings)
    assert other is not None
    load_learned(settings, "other-site", other)
    assert other.learned == set()
    _legacy(tmp_path / "fresh", {"legacy-learned": 4, "legacy-candidate": 1})
    settings.set("ARCHIVE_URI", str(tmp_path / "fresh"))
    fresh = RepetitionLearner.from_settings(settings)
    assert fresh is not None
    load_learned(settings, "s", fresh)
    assert fresh.learned == {"legacy-learned"}


def test_first_redis_crawl_imports_the_local_blocks(tmp_path, redis_url):
    """Switching a site to Redis: the blocks the local state.sqlite learned are imported with the legacy file."""
    local = SQLiteStateStore(tmp_path / "state.sqlite")
    local.learn_blocks(["learned-locally"])
    local.observe_blocks("p1", ["seen-once"], min_pages=3, max_candidates=10)
    local.close()
    storage = _legacy(tmp_path, {"from-json": 3})
    store = RedisStateStore(redis_url, "s")
    learner = RepetitionLearner(3, 100, 500, store)
    assert import_legacy_state(storage, "s", learner, store, tmp_path / "state.sqlite") == 3
    assert store.learned_blocks() == {"learned-locally", "from-json"}
    assert dict(store.candidate_blocks()) == {"seen-once": 1}
    assert import_legacy_state(storage, "s", learner, store, tmp_path / "state.sqlite") is None
