"""Learned blocks: the repetition learner's state, part of the per-site state store (issue 18).

:class:`archive.statestore.StateStore` mixes in :class:`LearnedBlockState` (the interface) and
each backend its implementation from here (:class:`SQLiteBlockState`, :class:`RedisBlockState`,
:class:`MemoryBlockState`), so the learner's state lives where the site's captures live: the
same ``state.sqlite`` file, the same Redis prefix, shared by every process of a distributed crawl.

What is kept, per site (block = a paragraph's hash, :func:`pipelines.cleaning.block_hash`;
page = an article id):

* **candidates**: block hash -> the distinct pages it was seen on so far (fewer than
  ``min_pages``), each with the key of the page's article JSON once it is stored; at most
  ``max_candidates`` blocks, the least recently seen evicted;
* **learned**: the hashes seen on ``min_pages`` distinct pages (site template), never evicted
  (a site has tens to hundreds of them);
* **stale**: the pages (article id -> JSON key) that held a block before it was learned, to be
  re-cleaned at the end of a crawl (:meth:`LearnedBlockState.forget_stale` once done).

:meth:`LearnedBlockState.observe_blocks` is one atomic step (one SQLite transaction, one Redis
Lua script): two processes seeing the same block on different pages count both pages, and
exactly one call learns the block.  It also answers which of the page's blocks are learned
already (by any process), so a block learned elsewhere is applied from the next page on; no
in-memory copy of the learned set is needed during a crawl.

Nothing grows with the crawl: candidates hold at most ``max_candidates * (min_pages - 1)``
pages, stale pages at most ``min_pages - 1`` per learned block until re-cleaned.

Settings: none read here (the repetition pipeline passes ``CLEAN_REPEAT_MIN_PAGES`` and
``CLEAN_REPEAT_MAX_BLOCKS``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class BlockObservation:
    """What :meth:`LearnedBlockState.observe_blocks` found for one page."""

    #: candidate hash -> distinct pages it has been seen on, this one included
    pages: dict[str, int] = field(default_factory=dict)
    #: hashes that reached ``min_pages`` with this page: learned by this very call (by no other)
    learned: list[str] = field(default_factory=list)
    #: hashes learned before this call (by this process or another)
    known: list[str] = field(default_factory=list)

    @property
    def template(self) -> set[str]:
        """The page's blocks that are template now."""
        return set(self.learned) | set(self.known)


class LearnedBlockState(ABC):
    """The learned-block part of a site's state store (see module docstring)."""

    @abstractmethod
    def observe_blocks(self, page: str, hashes: Iterable[str], *, min_pages: int, max_candidates: int) -> BlockObservation:
        """Record that ``page`` holds the blocks ``hashes`` (atomically, see module docstring).

        A block reaching ``min_pages`` distinct pages is learned: its earlier pages (not ``page``,
        which the caller cleans now) become stale.  Then the least recently seen candidates
        beyond ``max_candidates`` are evicted.
        """

    @abstractmethod
    def block_page_stored(self, page: str, key: str, hashes: Iterable[str]) -> None:
        """The article JSON of ``page`` (holding the candidate blocks ``hashes``) was stored under ``key``."""

    @abstractmethod
    def learn_blocks(self, hashes: Iterable[str]) -> int:
        """Mark blocks learned (imports); return how many were not learned yet."""

    @abstractmethod
    def learned_blocks(self) -> set[str]:
        """Every learned block hash."""

    @abstractmethod
    def candidate_blocks(self) -> Iterator[tuple[str, int]]:
        """(hash, distinct pages) of every candidate, least recently seen first."""

    @abstractmethod
    def stale_pages(self) -> dict[str, str | None]:
        """Pages to re-clean: article id -> JSON key (None while the article is not stored)."""

    @abstractmethod
    def forget_stale(self, pages: Iterable[str]) -> None:
        """These stale pages were re-cleaned (or need not be)."""

    @abstractmethod
    def block_counts(self) -> dict[str, int]:
        """``{"learned": …, "candidates": …, "stale": …}``."""

    def compact_blocks(self) -> int:
        """Drop what no candidate or stale page needs any more (end of a crawl); return how many entries."""
        return 0


# -- SQLite ---------------------------------------------------------------------------
BLOCK_SCHEMA = (
    # candidate blocks: `seen` a per-site clock (least recently seen evicted first), `pages` the
    # distinct pages (fewer than min_pages) as a JSON array: one row per block, so recording a page
    # changes one B-tree leaf per block, which is what a commit costs.
    "CREATE TABLE IF NOT EXISTS blocks_candidates (hash TEXT PRIMARY KEY, seen INTEGER NOT NULL, "
    "pages TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS blocks_candidates_seen ON blocks_candidates (seen)",
    # the article key of each stored page (one row per article; the pages no candidate or stale
    # entry holds any more are dropped by compact_blocks at the end of a crawl)
    "CREATE TABLE IF NOT EXISTS blocks_keys (page TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS blocks_learned (hash TEXT PRIMARY KEY, learned_at TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS blocks_stale (page TEXT PRIMARY KEY) WITHOUT ROWID",
    # the number of candidates, kept with them (a count(*) per page would read the whole index)
    "CREATE TABLE IF NOT EXISTS blocks_count (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT OR IGNORE INTO blocks_count SELECT 'candidates', count(*) FROM blocks_candidates",
)


class SQLiteBlockState(LearnedBlockState):
    """Learned blocks in the site's SQLite state file: tables ``blocks_*``, created on first use
    (a state file from before them opens as it is; a read-only one without them reads as empty).

    An observation is a few set-wise statements (``json_each``) in the store's transaction,
    committed like a capture (``commit_every``)."""

    _db: sqlite3.Connection
    _lock: threading.RLock
    readonly: bool
    _blocks_ready: bool = False

    if TYPE_CHECKING:
        def _begin(self) -> None: ...
        def _wrote(self, count: int = 1) -> None: ...
        def _commit(self) -> None: ...

    def _blocks_schema(self) -> bool:
        """Create the tables if absent; False when a read-only file has none."""
        if self._blocks_ready:
            return True
        if self.readonly:
            found = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'blocks_learned'").fetchone()
            self._blocks_ready = found is not None
            return self._blocks_ready
        for statement in BLOCK_SCHEMA:  # not executescript: it would commit a pending transaction
            self._db.execute(statement)
        self._blocks_ready = True
        return True

    def observe_blocks(self, page: str, hashes: Iterable[str], *, min_pages: int, max_candidates: int) -> BlockObservation:
        seen = BlockObservation()
        todo = list(dict.fromkeys(hashes))
        if not todo:
            return seen
        arg = json.dumps(todo)
        with self._lock:
            self._blocks_schema()
            self._begin()
            db = self._db
            known = {h for (h,) in db.execute(
                "SELECT hash FROM blocks_learned WHERE hash IN (SELECT value FROM json_each(?))", (arg,))}
            held = dict(db.execute(
                "SELECT hash, pages FROM blocks_candidates WHERE hash IN (SELECT value FROM json_each(?))", (arg,)))
            clock = db.execute("SELECT coalesce(max(seen), 0) + 1 FROM blocks_candidates").fetchone()[0]
            rows: list[tuple[str, int, str]] = []
            added = 0
            for h in todo:
                if h in known:
                    seen.known.append(h)
                    continue
                raw = held.get(h)
                pages: list[str] = json.loads(raw) if raw is not None else []
                if page not in pages:
                    pages.append(page)
                seen.pages[h] = len(pages)
                if len(pages) >= min_pages:
                    seen.learned.append(h)
                    self._learn(h, [p for p in pages if p != page])
                    added -= raw is not None
                else:
                    rows.append((h, clock, json.dumps(pages)))
                    added += raw is None
            db.executemany("INSERT OR REPLACE INTO blocks_candidates VALUES (?, ?, ?)", rows)
            if added:
                self._count_candidates(added, max_candidates)
            self._wrote()
        return seen

    def _learn(self, h: str, stale: list[str]) -> None:
        db = self._db
        db.execute("INSERT OR IGNORE INTO blocks_learned VALUES (?, ?)", (h, _now()))
        db.executemany("INSERT OR IGNORE INTO blocks_stale VALUES (?)", [(p,) for p in stale])
        db.execute("DELETE FROM blocks_candidates WHERE hash = ?", (h,))

    def _count_candidates(self, added: int, max_candidates: int) -> None:
        """Add ``added`` to the candidate count; evict the least recently seen beyond ``max_candidates``."""
        db = self._db
        count = int(db.execute("SELECT value FROM blocks_count WHERE name = 'candidates'").fetchone()[0]) + added
        excess = count - max_candidates
        if excess > 0:
            count -= db.execute(
                "DELETE FROM blocks_candidates WHERE hash IN (SELECT hash FROM blocks_candidates ORDER BY seen LIMIT ?)",
                (excess,),
            ).rowcount
        db.execute("UPDATE blocks_count SET value = ? WHERE name = 'candidates'", (max(0, count),))

    def block_page_stored(self, page: str, key: str, hashes: Iterable[str]) -> None:
        with self._lock:
            self._blocks_schema()
            self._begin()
            self._db.execute("INSERT OR REPLACE INTO blocks_keys VALUES (?, ?)", (page, key))
            self._wrote()

    def learn_blocks(self, hashes: Iterable[str]) -> int:
        todo = list(dict.fromkeys(hashes))
        with self._lock:
            self._blocks_schema()
            self._begin()
            db = self._db
            new = 0
            for start in range(0, len(todo), 1000):
                arg = json.dumps(todo[start : start + 1000])
                dropped = db.execute(
                    "DELETE FROM blocks_candidates WHERE hash IN (SELECT value FROM json_each(?))", (arg,)).rowcount
                new += db.execute(
                    "INSERT OR IGNORE INTO blocks_learned SELECT value, ? FROM json_each(?)", (_now(), arg)).rowcount
                if dropped:
                    self._count_candidates(-dropped, 1 << 62)
            self._wrote()
        return new

    def learned_blocks(self) -> set[str]:
        with self._lock:
            if not self._blocks_schema():
                return set()
            return {h for (h,) in self._db.execute("SELECT hash FROM blocks_learned")}

    def candidate_blocks(self) -> Iterator[tuple[str, int]]:
        with self._lock:
            if not self._blocks_schema():
                return iter(())
            rows = self._db.execute(
                "SELECT hash, json_array_length(pages) FROM blocks_candidates ORDER BY seen, hash").fetchall()
        return ((h, int(n)) for h, n in rows)

    def stale_pages(self) -> dict[str, str | None]:
        with self._lock:
            if not self._blocks_schema():
                return {}
            return dict(self._db.execute(
                "SELECT s.page, k.key FROM blocks_stale s LEFT JOIN blocks_keys k ON k.page = s.page").fetchall())

    def forget_stale(self, pages: Iterable[str]) -> None:
        rows = [(p,) for p in pages]
        if not rows:
            return
        with self._lock:
            self._blocks_schema()
            self._begin()
            self._db.executemany("DELETE FROM blocks_stale WHERE page = ?", rows)
            self._wrote()

    def compact_blocks(self) -> int:
        """Drop the article keys of the pages no candidate and no stale entry holds any more."""
        with self._lock:
            if not self._blocks_schema():
                return 0
            self._begin()
            dropped = self._db.execute(
                "DELETE FROM blocks_keys WHERE page NOT IN (SELECT page FROM blocks_stale) AND page NOT IN "
                "(SELECT j.value FROM blocks_candidates c, json_each(c.pages) j)"
            ).rowcount
            self._wrote()
        return int(dropped)

    def block_counts(self) -> dict[str, int]:
        with self._lock:
            if not self._blocks_schema():
                return {"learned": 0, "candidates": 0, "stale": 0}
            db = self._db
            return {
                "learned": int(db.execute("SELECT count(*) FROM blocks_learned").fetchone()[0]),
                "candidates": int(db.execute("SELECT count(*) FROM blocks_candidates").fetchone()[0]),
                "stale": int(db.execute("SELECT count(*) FROM blocks_stale").fetchone()[0]),
            }

    def _merge_blocks_attached(self) -> None:
        """Merge the learned blocks of the attached database ``other`` (inside the caller's transaction):
        learned blocks, stale pages and article keys are united, candidates taken where this file has
        none of the block; the count is recomputed (any excess is evicted at the next observation)."""
        db = self._db
        if db.execute("SELECT 1 FROM other.sqlite_master WHERE name = 'blocks_learned'").fetchone() is None:
            return
        self._blocks_schema()
        db.execute("INSERT OR IGNORE INTO main.blocks_learned SELECT * FROM other.blocks_learned")
        db.execute("INSERT OR IGNORE INTO main.blocks_stale SELECT * FROM other.blocks_stale")
        db.execute("INSERT OR IGNORE INTO main.blocks_keys SELECT * FROM other.blocks_keys")
        db.execute(
            "INSERT OR IGNORE INTO main.blocks_candidates SELECT * FROM other.blocks_candidates o "
            "WHERE o.hash NOT IN (SELECT hash FROM main.blocks_learned)"
        )
        db.execute("DELETE FROM main.blocks_candidates WHERE hash IN (SELECT hash FROM main.blocks_learned)")
        db.execute(
            "UPDATE main.blocks_count SET value = (SELECT count(*) FROM main.blocks_candidates) WHERE name = 'candidates'"
        )


# -- Redis ----------------------------------------------------------------------------
# KEYS: candidates (hash: block -> JSON [[page, key], ...]), lru (zset: block -> clock), learned
# (hash: block -> date), stale (hash: page -> key or ""), clock (counter).
# ARGV: page, min_pages, max_candidates, now, block hashes...
# Returns [hash, pages, ...]: pages -1 for a block learned before, >= min_pages for one learned now.
_OBSERVE_LUA = """
local page, min_pages, max_candidates, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local clock = redis.call('INCR', KEYS[5])
local out = {}
for i = 5, #ARGV do
  local h = ARGV[i]
  if redis.call('HEXISTS', KEYS[3], h) == 1 then
    out[#out + 1] = h
    out[#out + 1] = -1
  else
    local raw = redis.call('HGET', KEYS[1], h)
    local pages = {}
    if raw then pages = cjson.decode(raw) end
    local found = false
    for _, p in ipairs(pages) do
      if p[1] == page then found = true break end
    end
    if not found then pages[#pages + 1] = {page, ''} end
    local count = #pages
    if count >= min_pages then
      redis.call('HSET', KEYS[3], h, now)
      for _, p in ipairs(pages) do
        if p[1] ~= page and (p[2] ~= '' or redis.call('HEXISTS', KEYS[4], p[1]) == 0) then
          redis.call('HSET', KEYS[4], p[1], p[2])
        end
      end
      redis.call('HDEL', KEYS[1], h)
      redis.call('ZREM', KEYS[2], h)
    else
      redis.call('HSET', KEYS[1], h, cjson.encode(pages))
      redis.call('ZADD', KEYS[2], clock, h)
    end
    out[#out + 1] = h
    out[#out + 1] = count
  end
end
local excess = redis.call('ZCARD', KEYS[2]) - max_candidates
if excess > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #old, 2 do redis.call('HDEL', KEYS[1], old[i]) end
end
return out
"""

# KEYS: candidates, stale.  ARGV: page, key, block hashes...
_STORED_LUA = """
local page, key = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local pages = cjson.decode(raw)
    local changed = false
    for _, p in ipairs(pages) do
      if p[1] == page and p[2] ~= key then p[2] = key changed = true end
    end
    if changed then redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(pages)) end
  end
end
if redis.call('HEXISTS', KEYS[2], page) == 1 then redis.call('HSET', KEYS[2], page, key) end
return 0
"""

# KEYS: candidates, lru, learned.  ARGV: now, block hashes...  Returns how many were not learned yet.
_LEARN_LUA = """
local new = 0
for i = 2, #ARGV do
  if redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[1]) == 1 then new = new + 1 end
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return new
"""


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RedisBlockState(LearnedBlockState):
    """Learned blocks in Redis, beside the site's captures: ``{prefix}:{site}:blocks:candidates`` (hash),
    ``…:blocks:lru`` (sorted set), ``…:blocks:learned`` (hash), ``…:blocks:stale`` (hash),
    ``…:blocks:clock``; every change one Lua script (atomic)."""

    client: Any
    key: str  # the captures hash, "{prefix}:{site}:captures"
    _block_scripts: dict[str, Any] | None = None

    def _blocks_key(self, name: str) -> str:
        return f"{self.key.rsplit(':', 1)[0]}:blocks:{name}"

    def _script(self, name: str) -> Any:
        if self._block_scripts is None:
            self._block_scripts = {
                "observe": self.client.register_script(_OBSERVE_LUA),
                "stored": self.client.register_script(_STORED_LUA),
                "learn": self.client.register_script(_LEARN_LUA),
            }
        return self._block_scripts[name]

    def observe_blocks(self, page: str, hashes: Iterable[str], *, min_pages: int, max_candidates: int) -> BlockObservation:
        seen = BlockObservation()
        todo = list(dict.fromkeys(hashes))
        if not todo:
            return seen
        keys = [self._blocks_key(n) for n in ("candidates", "lru", "learned", "stale", "clock")]
        out = self._script("observe")(keys=keys, args=[page, min_pages, max_candidates, _now(), *todo])
        for i in range(0, len(out), 2):
            h, count = _text(out[i]), int(out[i + 1])
            if count < 0:
                seen.known.append(h)
                continue
            seen.pages[h] = count
            if count >= min_pages:
                seen.learned.append(h)
        return seen

    def block_page_stored(self, page: str, key: str, hashes: Iterable[str]) -> None:
        keys = [self._blocks_key("candidates"), self._blocks_key("stale")]
        self._script("stored")(keys=keys, args=[page, key, *dict.fromkeys(hashes)])

    def learn_blocks(self, hashes: Iterable[str]) -> int:
        todo = list(dict.fromkeys(hashes))
        new = 0
        keys = [self._blocks_key(n) for n in ("candidates", "lru", "learned")]
        for start in range(0, len(todo), 1000):
            new += int(self._script("learn")(keys=keys, args=[_now(), *todo[start : start + 1000]]))
        return new

    def learned_blocks(self) -> set[str]:
        return {_text(h) for h in self.client.hkeys(self._blocks_key("learned"))}

    def candidate_blocks(self) -> Iterator[tuple[str, int]]:
        order = [_text(h) for h in self.client.zrange(self._blocks_key("lru"), 0, -1)]
        for start in range(0, len(order), 1000):
            chunk = order[start : start + 1000]
            for h, raw in zip(chunk, self.client.hmget(self._blocks_key("candidates"), chunk), strict=True):
                if raw is not None:
                    yield h, len(json.loads(raw))

    def stale_pages(self) -> dict[str, str | None]:
        raw = self.client.hgetall(self._blocks_key("stale"))
        return {_text(p): (_text(k) or None) for p, k in raw.items()}

    def forget_stale(self, pages: Iterable[str]) -> None:
        todo = list(pages)
        if todo:
            self.client.hdel(self._blocks_key("stale"), *todo)

    def block_counts(self) -> dict[str, int]:
        return {
            "learned": int(self.client.hlen(self._blocks_key("learned"))),
            "candidates": int(self.client.zcard(self._blocks_key("lru"))),
            "stale": int(self.client.hlen(self._blocks_key("stale"))),
        }


# -- in memory ------------------------------------------------------------------------
class MemoryBlockState(LearnedBlockState):
    """Learned blocks in memory, for as long as the process lives (tests; the fallback without a state store)."""

    _block_candidates: OrderedDict[str, dict[str, str | None]]
    _block_learned: dict[str, str]
    _block_stale: dict[str, str | None]

    def _blocks(self) -> OrderedDict[str, dict[str, str | None]]:
        if not hasattr(self, "_block_candidates"):
            self._block_candidates = OrderedDict()
            self._block_learned = {}
            self._block_stale = {}
        return self._block_candidates

    def observe_blocks(self, page: str, hashes: Iterable[str], *, min_pages: int, max_candidates: int) -> BlockObservation:
        seen = BlockObservation()
        candidates = self._blocks()
        for h in dict.fromkeys(hashes):
            if h in self._block_learned:
                seen.known.append(h)
                continue
            pages = candidates.setdefault(h, {})
            candidates.move_to_end(h)
            pages.setdefault(page, None)
            seen.pages[h] = len(pages)
            if len(pages) >= min_pages:
                self._block_learned[h] = _now()
                for p, key in candidates.pop(h).items():
                    if p != page and (key is not None or p not in self._block_stale):
                        self._block_stale[p] = key
                seen.learned.append(h)
        while len(candidates) > max_candidates:
            candidates.popitem(last=False)
        return seen

    def block_page_stored(self, page: str, key: str, hashes: Iterable[str]) -> None:
        candidates = self._blocks()
        for h in hashes:
            pages = candidates.get(h)
            if pages is not None and page in pages:
                pages[page] = key
        if page in self._block_stale:
            self._block_stale[page] = key

    def learn_blocks(self, hashes: Iterable[str]) -> int:
        candidates = self._blocks()
        new = 0
        for h in hashes:
            candidates.pop(h, None)
            if h not in self._block_learned:
                self._block_learned[h] = _now()
                new += 1
        return new

    def learned_blocks(self) -> set[str]:
        self._blocks()
        return set(self._block_learned)

    def candidate_blocks(self) -> Iterator[tuple[str, int]]:
        return iter([(h, len(pages)) for h, pages in self._blocks().items()])

    def stale_pages(self) -> dict[str, str | None]:
        self._blocks()
        return dict(self._block_stale)

    def forget_stale(self, pages: Iterable[str]) -> None:
        self._blocks()
        for p in pages:
            self._block_stale.pop(p, None)

    def block_counts(self) -> dict[str, int]:
        candidates = self._blocks()
        return {"learned": len(self._block_learned), "candidates": len(candidates), "stale": len(self._block_stale)}
