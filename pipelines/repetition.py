"""RepetitionPipeline: blocks repeated verbatim across a site's pages are template.

A block (paragraph, line) that appears — after normalisation — on at least
``CLEAN_REPEAT_MIN_PAGES`` distinct articles of the same site is page
furniture that no rule knew: a new site's donation appeal, a standard
disclaimer, a newsletter line.  From then on it is removed from every article
(``removed`` kind ``repeated``); at the end of the crawl the articles written
before the block was learned are re-cleaned and rewritten (atomically).  Only
those are read back: the pages a block was seen on until it was learned are
known, so a crawl of 100,000 articles re-reads a few dozen, not all of them.

State is per site and lives in the site's state store (:mod:`archive.blockstate`,
reached through the :class:`~crawler.extensions.archive.ArchiveExtension`'s site
state: the same ``state.sqlite`` or Redis keys as the captures), written as each
article is processed: the candidate blocks with the pages they were seen on
(at most ``CLEAN_REPEAT_MAX_BLOCKS``, least recently seen evicted), the learned
blocks, and the pages to re-clean with their article keys.  A crawl killed with
SIGKILL keeps what it observed, and its pages still to re-clean are re-cleaned at
the end of the next crawl; the processes of a distributed crawl (``REDIS_URL``)
count the same block on their different pages together.  Nothing of it is held
in memory but the learned blocks seen so far.

The earlier ``state/{site}/repeated-blocks.json`` is imported into the store the
first time (left in place; the store's ``repeat_import`` value records it), and
so are the blocks of the local ``state.sqlite`` by the first crawl with Redis.
Without a state store (``ARCHIVE_DEDUP_ENABLED`` False, no ArchiveExtension, the
store could not be opened, or an item of another site than the crawl's), the
learner keeps its state in memory and loads and saves that JSON file as before.

Settings read: ``CLEAN_REPEAT_ENABLED``, ``CLEAN_REPEAT_MIN_PAGES``,
``CLEAN_REPEAT_MAX_BLOCKS``, ``CLEAN_REPEAT_MAX_CHARS``,
``CLEAN_RECLEAN_AT_CLOSE``.
Stats: ``clean/removed/repeated``, ``clean/repeat/learned``,
``clean/repeat/recleaned``, ``clean/repeat/reread``, ``clean/repeat/imported``,
``clean/repeat/state_errors``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from archive.blockstate import BlockObservation
from archive.iothread import ArchiveIO
from archive.keys import safe_key, site_key
from archive.statestore import MemoryStateStore, RedisStateStore, SQLiteStateStore, StateStore, sqlite_key
from archive.storage import Storage, StorageError, open_storage
from crawler import signals as archive_signals
from crawler.extensions.archive import ArchiveExtension
from crawler.items import ArticleItem
from pipelines.cleaning import block_hash
from pipelines.export import dumps_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

STATE_VERSION = 1
IMPORT_MARK = "repeat_import"  # the store's value recording the import of repeated-blocks.json
IMPORT_WAIT = 300.0  # seconds a distributed process waits for another one's import


def state_key(site: str) -> str:
    return safe_key(f"state/{site_key(site)}/repeated-blocks.json")


class RepetitionLearner:
    """Counts, per block hash, the distinct pages it was seen on, in a state store (bounded LRU)."""

    def __init__(
        self, min_pages: int = 3, max_blocks: int = 50_000, max_chars: int = 500, store: StateStore | None = None,
    ) -> None:
        self.min_pages = min_pages
        self.max_blocks = max_blocks
        self.max_chars = max_chars
        self.store: StateStore = store if store is not None else MemoryStateStore()
        # Learned hashes known here: those of every page observed, all of them after refresh().
        self.learned: set[str] = set()

    @classmethod
    def from_settings(cls, settings: BaseSettings, store: StateStore | None = None) -> RepetitionLearner | None:
        """A learner configured by ``CLEAN_REPEAT_*`` (the one reader of them), or None when disabled."""
        if not settings.getbool("CLEAN_REPEAT_ENABLED"):
            return None
        return cls(
            settings.getint("CLEAN_REPEAT_MIN_PAGES"),
            settings.getint("CLEAN_REPEAT_MAX_BLOCKS"),
            settings.getint("CLEAN_REPEAT_MAX_CHARS"),
            store,
        )

    def candidate(self, text: str) -> bool:
        return 8 <= len(text) <= self.max_chars

    def is_template(self, h: str) -> bool:
        return h in self.learned

    def refresh(self) -> None:
        """Read every learned hash from the store (learned by any process, any crawl)."""
        self.learned = self.store.learned_blocks()

    def hashes(self, blocks: list[str], known: list[str] | None = None) -> dict[str, str]:
        """``block -> hash`` of the blocks that can be template (hashed once for observe and split).

        ``known``: the blocks' hashes, in order, as the extraction worker computed them.
        """
        if known is not None and len(known) == len(blocks):
            return {b: h for b, h in zip(blocks, known, strict=True) if self.candidate(b)}
        return {b: block_hash(b) for b in blocks if self.candidate(b)}

    def observe(self, page_id: str, blocks: list[str], hashes: dict[str, str] | None = None) -> list[str]:
        """Record that ``page_id`` holds ``blocks``; return hashes that just became template.

        The store also tells which of the page's blocks were learned before (maybe by another
        process): :meth:`split` right after removes them all.
        """
        return self.apply(self.record(page_id, (self.hashes(blocks) if hashes is None else hashes).values()))

    def record(self, page_id: str, hashes: Iterable[str]) -> BlockObservation:
        """The store's half of :meth:`observe` (any thread: it changes nothing in the learner)."""
        return self.store.observe_blocks(page_id, hashes, min_pages=self.min_pages, max_candidates=self.max_blocks)

    def apply(self, seen: BlockObservation) -> list[str]:
        """The learner's half of :meth:`observe`: remember what is learned; return what this page taught."""
        self.learned.update(seen.learned, seen.known)
        return seen.learned

    def stored(self, page_id: str, key: str, hashes: Iterable[str]) -> None:
        """The article of ``page_id`` was stored under ``key`` (kept with its candidate blocks, for re-cleaning)."""
        self.store.block_page_stored(page_id, key, hashes)

    def split(self, blocks: list[str], hashes: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
        """(kept, removed) blocks given what is known now; never removes everything."""
        if hashes is None:
            hashes = self.hashes(blocks)
        template = {b for b, h in hashes.items() if self.is_template(h)}
        kept = [b for b in blocks if b not in template]
        if not kept:
            return blocks, []
        return kept, [b for b in blocks if b in template]

    def to_json(self) -> dict[str, Any]:
        """The state as ``repeated-blocks.json`` (candidates least recently seen first, then the learned)."""
        blocks = dict(self.store.candidate_blocks())
        blocks.update((h, self.min_pages) for h in sorted(self.store.learned_blocks()))
        return {"version": STATE_VERSION, "min_pages": self.min_pages, "blocks": blocks}

    def load_json(self, data: dict[str, Any]) -> int:
        """Add a ``repeated-blocks.json`` state to the store; return the number of blocks taken."""
        if data.get("version") != STATE_VERSION:
            return 0
        return self.load_counts((str(h), int(n)) for h, n in data.get("blocks", {}).items())

    def load_counts(self, counts: Iterable[tuple[str, int]]) -> int:
        """Add blocks with their counts of distinct pages (least recently seen first) to the store;
        return how many were taken.

        A count of ``min_pages`` or more is a learned block; a block with a smaller count ``n`` is
        recorded as seen on the pages ``legacy:0`` … ``legacy:{n-1}`` (the pages themselves are not
        known), so its count carries on and loading the same counts twice changes nothing.
        """
        counts = list(counts)
        learned = [h for h, n in counts if n >= self.min_pages]
        candidates = [(h, n) for h, n in counts if 0 < n < self.min_pages][-self.max_blocks :]
        self.store.learn_blocks(learned)
        self.learned.update(learned)
        for start in range(0, len(candidates), 1000):  # in order: least recently seen first
            chunk = candidates[start : start + 1000]
            for i in range(self.min_pages - 1):
                held = [h for h, n in chunk if n > i]
                if held:
                    self.store.observe_blocks(f"legacy:{i}", held, min_pages=self.min_pages, max_candidates=self.max_blocks)
        return len(learned) + len(candidates)


def load_learner(storage: Storage, site: str, learner: RepetitionLearner) -> bool:
    """``state/{site}/repeated-blocks.json`` into ``learner``; False when there is none."""
    raw = storage.get_bytes(state_key(site))
    if raw is None:
        return False
    learner.load_json(json.loads(raw))
    return True


def import_legacy_state(
    storage: Storage, site: str, learner: RepetitionLearner, store: StateStore, earlier: Path | None = None,
) -> int | None:
    """The site's earlier repetition state into its state store, once: ``state/{site}/repeated-blocks.json``
    (left in place) and, with ``earlier`` (the local ``state.sqlite`` of crawls before Redis), that file's blocks.

    Returns the number of blocks imported, None when it was done before.  One process of a
    distributed crawl imports; the others wait for it (a claim older than ``IMPORT_WAIT`` seconds
    is a process that died importing: taken over).
    """
    if store.get_value(IMPORT_MARK) is not None:
        return None
    if not store.set_value_if_absent(IMPORT_MARK + "_claim", str(time.time())):
        claimed = float(store.get_value(IMPORT_MARK + "_claim") or 0)
        while store.get_value(IMPORT_MARK) is None and time.time() < claimed + IMPORT_WAIT:
            time.sleep(0.2)
        if store.get_value(IMPORT_MARK) is not None:
            return None
        store.set_value(IMPORT_MARK + "_claim", str(time.time()))
    count = 0
    try:
        if earlier is not None and earlier.exists():
            local = SQLiteStateStore(earlier, readonly=True)
            try:
                learned = sorted(local.learned_blocks())
                count += learner.load_counts([*local.candidate_blocks(), *((h, learner.min_pages) for h in learned)])
            finally:
                local.close()
            logger.info("Imported %d blocks of site %s from %s", count, site, earlier)
        raw = storage.get_bytes(state_key(site))
        if raw is not None:
            imported = learner.load_json(json.loads(raw))
            count += imported
            logger.info("Imported %d blocks of site %s from %s (left in place)", imported, site, state_key(site))
    except Exception:  # StorageError, ValueError, sqlite3.Error: tried again by the next crawl
        store.set_value(IMPORT_MARK + "_claim", "0")
        raise
    store.set_value(IMPORT_MARK, json.dumps({"at": datetime.now(UTC).isoformat(), "blocks": count}))
    store.flush()
    return count


def load_learned(settings: BaseSettings, site: str, learner: RepetitionLearner) -> int:
    """The learned blocks of ``site`` into ``learner.learned``, read only (``scrapy extract``).

    From the site's state (Redis with ``REDIS_URL``, else the archive's ``state/{site}/state.sqlite``,
    downloaded to a temporary file from a remote archive) and, until a crawl imported it, the
    earlier ``repeated-blocks.json``.  Returns how many.
    """
    storage = open_storage(settings.get("ARCHIVE_URI"), settings, start_uploader=False)
    imported = False
    store: StateStore | None = None
    tmp: Path | None = None
    try:
        if settings.get("REDIS_URL"):
            store = RedisStateStore(settings.get("REDIS_URL"), site, settings.get("ARCHIVE_STATE_REDIS_PREFIX") or
                                    "news-archive:state")
        else:
            path = storage.local_path(sqlite_key(site))
            if path is None or not path.exists():
                tmp = Path(tempfile.mkdtemp(prefix="news-state-")) / "state.sqlite"
                path = tmp if storage.fetch_to(sqlite_key(site), tmp) else None
            if path is not None:
                store = SQLiteStateStore(path, readonly=True)
        if store is not None:
            learner.learned |= store.learned_blocks()
            imported = store.get_value(IMPORT_MARK) is not None
    except Exception as exc:  # sqlite3.Error, redis errors, StorageError: the legacy file, or rules only
        logger.warning("Could not read the repetition state of site %s: %s", site, exc)
    finally:
        if store is not None:
            store.close()
        if tmp is not None:
            for leftover in tmp.parent.iterdir():
                leftover.unlink()
            tmp.parent.rmdir()
    if not imported:
        raw = storage.get_bytes(state_key(site))
        if raw is not None:
            data = json.loads(raw)
            if data.get("version") == STATE_VERSION:
                learner.learned |= {h for h, n in data.get("blocks", {}).items() if int(n) >= learner.min_pages}
    return len(learner.learned)


def apply_removal(item: ArticleItem, kept: list[str], removed: list[str], min_pages: int) -> None:
    """Drop ``removed`` blocks from ``item`` and record them in its audit trail."""
    item.removed.extend({"kind": "repeated", "text": b[:500], "rule": f"repeated:{min_pages}+pages"} for b in removed)
    if len(item.block_hashes) == len(item.blocks):  # keep the hashes in step with the blocks
        by_block = dict(zip(item.blocks, item.block_hashes, strict=True))
        item.block_hashes = [by_block[b] for b in kept]
    item.blocks = kept
    item.text = "\n\n".join(kept)
    item.content_sha256 = hashlib.sha256(item.text.encode("utf-8")).hexdigest()


class RepetitionPipeline:
    """Item pipeline removing site-level repeated blocks (see module docstring)."""

    def __init__(self, crawler: Crawler, prototype: RepetitionLearner, reclean: bool) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.min_pages = prototype.min_pages
        self.max_blocks = prototype.max_blocks
        self.max_chars = prototype.max_chars
        self.reclean = reclean
        self.learners: dict[str, RepetitionLearner] = {}
        self.in_memory: set[str] = set()  # sites whose learner has no state store (saved as JSON at close)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RepetitionPipeline:
        prototype = RepetitionLearner.from_settings(crawler.settings)
        if prototype is None:
            raise NotConfigured("CLEAN_REPEAT_ENABLED is False")
        pipe = cls(crawler, prototype, crawler.settings.getbool("CLEAN_RECLEAN_AT_CLOSE"))
        crawler.signals.connect(pipe.article_stored, signal=archive_signals.article_stored)
        return pipe

    @property
    def archive(self) -> ArchiveExtension | None:
        return self.crawler.get_extension(ArchiveExtension)

    @property
    def storage(self) -> Storage:
        archive = self.archive
        if archive is None:
            raise StorageError("ArchiveExtension is not enabled in EXTENSIONS: no store for the repetition state")
        return archive.storage

    def _error(self, what: str, site: str, exc: BaseException) -> None:
        self.stats.inc_value("clean/repeat/state_errors")
        logger.error("Could not %s the repetition state of site %s: %s", what, site, exc)

    def _state_store(self, site: str) -> StateStore | None:
        """The site's state store, when the archive keeps one for this site."""
        archive = self.archive
        if archive is None or not archive.state.dedup_enabled or site_key(site) != site_key(archive.site):
            return None
        store = archive.state.dedup
        return None if isinstance(store, MemoryStateStore) else store  # could not be opened: nothing persists

    def open_spider(self) -> None:
        archive = self.archive
        if archive is not None:
            self.learner(archive.site)  # the legacy import, before the first page

    def learner(self, site: str) -> RepetitionLearner:
        learner = self.learners.get(site)
        if learner is not None:
            return learner
        store = self._state_store(site)
        learner = RepetitionLearner(self.min_pages, self.max_blocks, self.max_chars, store)
        self.learners[site] = learner
        if store is None:
            self.in_memory.add(site)
            try:
                if load_learner(self.storage, site, learner):
                    logger.info("Loaded %d learned template blocks for site %s", len(learner.learned), site)
            except (StorageError, ValueError) as exc:
                self._error("load", site, exc)
            logger.info("Repetition state of site %s: in memory, saved to %s at the end", site, state_key(site))
            return learner
        try:
            archive = self.archive
            earlier = archive.state.local_dir() / "state.sqlite" if archive and isinstance(store, RedisStateStore) else None
            imported = import_legacy_state(self.storage, site, learner, store, earlier)
            if imported:
                self.stats.inc_value("clean/repeat/imported", imported)
            learner.refresh()
            counts = store.block_counts()
            logger.info("Repetition state of site %s: %d learned blocks, %d candidates, %d pages to re-clean (%s)",
                        site, counts["learned"], counts["candidates"], counts["stale"], store.description)
        except Exception as exc:  # StorageError, ValueError, sqlite3.Error, redis errors
            self._error("open", site, exc)
        return learner

    def _io(self, site: str) -> ArchiveIO | None:
        """The archive I/O thread, for the state store's writes (a disk commit, a Redis round trip) to
        leave the event loop free; None for a learner in memory."""
        archive = self.archive
        return archive.io if archive is not None and site not in self.in_memory else None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or not item.blocks:
            return item
        learner = self.learner(item.site)
        hashes = learner.hashes(item.blocks, item.block_hashes or None)
        io = self._io(item.site)
        try:
            if io is not None:
                seen = await io.run(learner.record, item.id, list(hashes.values()))
            else:
                seen = learner.record(item.id, hashes.values())
            learned = learner.apply(seen)
        except Exception as exc:  # sqlite3.Error, redis errors: cleaned with what is known
            self._error("record", item.site, exc)
            learned = []
        if learned:
            self.stats.inc_value("clean/repeat/learned", len(learned))
        kept, removed = learner.split(item.blocks, hashes)
        if removed:
            apply_removal(item, kept, removed, self.min_pages)
            self.stats.inc_value("clean/removed/repeated", len(removed))
        return item

    def article_stored(self, item: ArticleItem, key: str) -> None:
        """The article_stored signal: keep the key with the page, in case the article must be re-cleaned."""
        learner = self.learners.get(item.site)
        if learner is None or not item.blocks:
            return
        hashes = list(learner.hashes(item.blocks, item.block_hashes or None).values())
        io = self._io(item.site)

        def done(exc: BaseException | None) -> None:
            if exc is not None:
                self._error("record", item.site, exc)

        if io is not None:
            io.post(learner.stored, item.id, key, hashes, done=done)  # after the observation, in order
            return
        try:
            learner.stored(item.id, key, hashes)
        except Exception as exc:
            done(exc)

    async def close_spider(self) -> None:
        archive = self.archive
        if archive is not None:
            await archive.io.run(lambda: None)  # the keys posted to the I/O thread are recorded
        storage = self.storage
        for site, learner in self.learners.items():
            if self.reclean:
                self._reclean(storage, site, learner)
            if site in self.in_memory:
                try:
                    data = json.dumps(learner.to_json(), separators=(",", ":")).encode("utf-8")
                    storage.put_bytes(state_key(site), data, "application/json")
                except StorageError as exc:
                    self._error("save", site, exc)
                continue
            try:
                dropped = learner.store.compact_blocks()
                learner.store.flush()
                if dropped:
                    logger.info("Repetition state of site %s: %d article keys no longer needed dropped", site, dropped)
            except Exception as exc:
                self._error("save", site, exc)

    def _reclean(self, storage: Storage, site: str, learner: RepetitionLearner) -> None:
        """Re-clean the stale pages (every process's, this crawl's or a killed one's) whose article is stored."""
        try:
            stale = learner.store.stale_pages()
            learner.refresh()
        except Exception as exc:
            self._error("read", site, exc)
            return
        done: list[str] = []
        for page, key in sorted(stale.items(), key=lambda pk: pk[1] or ""):
            if key is None:
                continue  # not stored (yet): another process's page, or one that was dropped
            if self._reclean_one(storage, learner, key):
                done.append(page)
        try:
            learner.store.forget_stale(done)
        except Exception as exc:
            self._error("record", site, exc)

    def _reclean_one(self, storage: Storage, learner: RepetitionLearner, key: str) -> bool:
        """Re-clean one stored article; False when it must be tried again (the store could not be reached)."""
        try:
            raw = storage.get_bytes(key)
        except StorageError as exc:
            self.stats.inc_value("clean/repeat/state_errors")
            logger.error("Could not re-clean %s (store unavailable: %s); it keeps its template blocks", key, exc)
            return False
        if raw is None:
            return True
        self.stats.inc_value("clean/repeat/reread")
        record = json.loads(raw)
        blocks = record["text"].split("\n\n")
        kept, removed = learner.split(blocks)
        if not removed:
            return True
        record["text"] = "\n\n".join(kept)
        record["content_sha256"] = hashlib.sha256(record["text"].encode("utf-8")).hexdigest()
        record["removed"] += [
            {"kind": "repeated", "text": b[:500], "rule": f"repeated:{self.min_pages}+pages:reclean"} for b in removed
        ]
        try:
            storage.put_bytes(key, dumps_record(record), "application/json; charset=utf-8")
        except StorageError as exc:
            self.stats.inc_value("clean/repeat/state_errors")
            logger.error("Could not rewrite re-cleaned %s: %s", key, exc)
            return False
        self.stats.inc_value("clean/repeat/recleaned")
        self.stats.inc_value("clean/removed/repeated", len(removed))
        return True
