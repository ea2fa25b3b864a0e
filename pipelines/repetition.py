"""RepetitionPipeline: blocks repeated verbatim across a site's pages are template.

A block (paragraph, line) that appears — after normalisation — on at least
``CLEAN_REPEAT_MIN_PAGES`` distinct articles of the same site is page
furniture that no rule knew: a new site's donation appeal, a standard
disclaimer, a newsletter line.  From then on it is removed from every article
(``removed`` kind ``repeated``); at the end of the crawl the articles written
before the block was learned are re-cleaned and rewritten (atomically).  Only
those are read back: the pages a block was seen on until it was learned are
known, so a crawl of 100,000 articles re-reads a few dozen, not all of them.

State is per site, bounded (``CLEAN_REPEAT_MAX_BLOCKS`` entries, least
recently seen evicted) and kept in the archive store at
``state/{site}/repeated-blocks.json``, so later crawls start with what earlier
ones learned.

Settings read: ``CLEAN_REPEAT_ENABLED``, ``CLEAN_REPEAT_MIN_PAGES``,
``CLEAN_REPEAT_MAX_BLOCKS``, ``CLEAN_REPEAT_MAX_CHARS``,
``CLEAN_RECLEAN_AT_CLOSE``.
Stats: ``clean/removed/repeated``, ``clean/repeat/learned``,
``clean/repeat/recleaned``, ``clean/repeat/reread``, ``clean/repeat/state_errors``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from archive.keys import safe_key, site_key
from archive.storage import Storage, StorageError
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


def state_key(site: str) -> str:
    return safe_key(f"state/{site_key(site)}/repeated-blocks.json")


class RepetitionLearner:
    """Counts, per block hash, the distinct pages it was seen on (bounded LRU)."""

    def __init__(self, min_pages: int = 3, max_blocks: int = 50_000, max_chars: int = 500) -> None:
        self.min_pages = min_pages
        self.max_blocks = max_blocks
        self.max_chars = max_chars
        # hash -> [count of distinct pages, up to min_pages recent page ids]
        self.blocks: OrderedDict[str, list[Any]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RepetitionLearner | None:
        """A learner configured by ``CLEAN_REPEAT_*`` (the one reader of them), or None when disabled."""
        if not settings.getbool("CLEAN_REPEAT_ENABLED"):
            return None
        return cls(
            settings.getint("CLEAN_REPEAT_MIN_PAGES"),
            settings.getint("CLEAN_REPEAT_MAX_BLOCKS"),
            settings.getint("CLEAN_REPEAT_MAX_CHARS"),
        )

    def candidate(self, text: str) -> bool:
        return 8 <= len(text) <= self.max_chars

    def is_template(self, h: str) -> bool:
        entry = self.blocks.get(h)
        return entry is not None and entry[0] >= self.min_pages

    def hashes(self, blocks: list[str], known: list[str] | None = None) -> dict[str, str]:
        """``block -> hash`` of the blocks that can be template (hashed once for observe and split).

        ``known``: the blocks' hashes, in order, as the extraction worker computed them.
        """
        if known is not None and len(known) == len(blocks):
            return {b: h for b, h in zip(blocks, known, strict=True) if self.candidate(b)}
        return {b: block_hash(b) for b in blocks if self.candidate(b)}

    def observe(self, page_id: str, blocks: list[str], hashes: dict[str, str] | None = None) -> list[str]:
        """Record that ``page_id`` holds ``blocks``; return hashes that just became template."""
        learned = []
        for h in set((self.hashes(blocks) if hashes is None else hashes).values()):
            entry = self.blocks.get(h)
            if entry is None:
                entry = self.blocks[h] = [0, []]
                if len(self.blocks) > self.max_blocks:
                    self.blocks.popitem(last=False)
            else:
                self.blocks.move_to_end(h)
            if page_id in entry[1]:
                continue
            entry[0] += 1
            entry[1] = (entry[1] + [page_id])[-self.min_pages :]
            if entry[0] == self.min_pages:
                learned.append(h)
        return learned

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
        return {"version": STATE_VERSION, "min_pages": self.min_pages, "blocks": {h: e[0] for h, e in self.blocks.items()}}

    def load_json(self, data: dict[str, Any]) -> None:
        if data.get("version") != STATE_VERSION:
            return
        for h, count in list(data.get("blocks", {}).items())[-self.max_blocks :]:
            self.blocks[h] = [int(count), []]


def load_learner(storage: Storage, site: str, learner: RepetitionLearner) -> bool:
    raw = storage.get_bytes(state_key(site))
    if raw is None:
        return False
    learner.load_json(json.loads(raw))
    return True


def apply_removal(item: ArticleItem, kept: list[str], removed: list[str], min_pages: int) -> None:
    """Drop ``removed`` blocks from ``item`` and record them in its audit trail."""
    item.removed.extend({"kind": "repeated", "text": b[:500], "rule": f"repeated:{min_pages}+pages"} for b in removed)
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
        self.written: dict[str, dict[str, str]] = {}  # site -> {article id: JSON key} written this crawl
        self.stale: dict[str, set[str]] = {}  # site -> ids of articles that held a block before it was learned

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RepetitionPipeline:
        prototype = RepetitionLearner.from_settings(crawler.settings)
        if prototype is None:
            raise NotConfigured("CLEAN_REPEAT_ENABLED is False")
        pipe = cls(crawler, prototype, crawler.settings.getbool("CLEAN_RECLEAN_AT_CLOSE"))
        crawler.signals.connect(pipe.article_stored, signal=archive_signals.article_stored)
        return pipe

    @property
    def storage(self) -> Storage:
        archive = self.crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise StorageError("ArchiveExtension is not enabled in EXTENSIONS: no store for the repetition state")
        return archive.storage

    def learner(self, site: str) -> RepetitionLearner:
        learner = self.learners.get(site)
        if learner is None:
            learner = RepetitionLearner(self.min_pages, self.max_blocks, self.max_chars)
            try:
                if load_learner(self.storage, site, learner):
                    logger.info("Loaded %d learned template blocks for site %s", len(learner.blocks), site)
            except (StorageError, ValueError) as exc:
                self.stats.inc_value("clean/repeat/state_errors")
                logger.warning("Could not load repetition state of site %s (%s); starting empty", site, exc)
            self.learners[site] = learner
        return learner

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or not item.blocks:
            return item
        learner = self.learner(item.site)
        hashes = learner.hashes(item.blocks, item.block_hashes or None)
        learned = learner.observe(item.id, item.blocks, hashes)
        if learned:
            self.stats.inc_value("clean/repeat/learned", len(learned))
            # The pages that made it template (this one included: it is cleaned below) were stored with it.
            stale = self.stale.setdefault(item.site, set())
            for h in learned:
                stale.update(learner.blocks[h][1])
        kept, removed = learner.split(item.blocks, hashes)
        if removed:
            apply_removal(item, kept, removed, self.min_pages)
            self.stats.inc_value("clean/removed/repeated", len(removed))
        return item

    def article_stored(self, item: ArticleItem, key: str) -> None:
        """The article_stored signal: remember the key, in case the article must be re-cleaned."""
        self.written.setdefault(item.site, {})[item.id] = key

    def close_spider(self) -> None:
        storage = self.storage
        for site, learner in self.learners.items():
            if self.reclean:
                written = self.written.get(site, {})
                stale = sorted(written[i] for i in self.stale.get(site, ()) if i in written)
                self._reclean(storage, learner, stale)
            try:
                data = json.dumps(learner.to_json(), separators=(",", ":")).encode("utf-8")
                storage.put_bytes(state_key(site), data, "application/json")
            except StorageError as exc:
                self.stats.inc_value("clean/repeat/state_errors")
                logger.error("Could not save repetition state of site %s: %s", site, exc)

    def _reclean(self, storage: Storage, learner: RepetitionLearner, keys: list[str]) -> None:
        for key in keys:
            try:
                raw = storage.get_bytes(key)
            except StorageError as exc:
                self.stats.inc_value("clean/repeat/state_errors")
                logger.error("Could not re-clean %s (store unavailable: %s); it keeps its template blocks", key, exc)
                continue
            if raw is None:
                continue
            self.stats.inc_value("clean/repeat/reread")
            record = json.loads(raw)
            blocks = record["text"].split("\n\n")
            kept, removed = learner.split(blocks)
            if not removed:
                continue
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
                continue
            self.stats.inc_value("clean/repeat/recleaned")
            self.stats.inc_value("clean/removed/repeated", len(removed))
