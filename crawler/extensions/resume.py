"""ResumeExtension: resume a SIGKILLed crawl from its JOBDIR with no article lost.

Scrapy's JOBDIR keeps the request queue and the seen-requests filter, but a
request that was being downloaded or processed when the process was killed is
in neither the queue nor done: Scrapy would never fetch it again.  This
extension keeps an append-only journal (``JOBDIR/archive-journal.log``):

* ``I`` + the request (URL, callback, discovery meta) when it reaches the downloader;
* ``D`` + the URL when its work is complete: the article JSON is stored (or the
  item dropped), or the callback produced no article;
* ``A`` + the URL when its article JSON is stored.

Scrapy's own queue files are not crash-safe either (buffered writes lost with
the process), so on restart with the same JOBDIR the crawl discovers again
from its start pages, feeds and sitemaps, with :class:`crawler.dupefilter.JournalDupeFilter`
counting the ``A`` articles as seen: stored articles are not fetched or written
again, all others are.  Requests journalled ``I`` but never ``D`` are also
scheduled again directly, before anything else, by
:class:`crawler.middlewares.resume.ResumeJournalMiddleware`, which also
journals ``D`` for responses whose callback produced no article.  The crawl
id is the same (``JOBDIR/archive-crawl-id``) and the WARC that was open at the
kill is closed out by the archive extension (its partial tail truncated and
logged).  The export pipeline refuses to write an article the journal already has.

Other components reach the journal through :func:`get_journal` (the
extension's ``journal``, found with ``crawler.get_extension``).

The journal file is read line by line, and the stored articles are kept as 64-bit URL hashes in a
private SQLite file (:class:`crawler.seenset.SeenSet`), so a resumed crawl of a million articles does not
hold a million URLs in memory (docs/state.md, "Flat memory").

Settings read: ``JOBDIR`` (the extension is off without it), ``NEWS_SEEN_ON_DISK``, ``NEWS_SEEN_CACHE_MB``,
``NEWS_QUEUE_DIR`` (for the stored articles' hashes).
Stats: ``news/seen/disk_errors`` (``resume/requeued`` is counted by the spider middleware).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler.seenset import SeenSet, url_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

JOURNAL = "archive-journal.log"
_META_KEYS = ("discovery", "link_depth", "discovered_date")


class Journal:
    """The append-only journal of one JOBDIR.

    Read line by line at start (never whole into memory): ``pending`` holds the requests journalled ``I`` and
    not ``D``, that is those in progress at the stop (and those whose fetch failed: they are tried again).
    The stored articles are a :class:`~crawler.seenset.SeenSet` of their URLs' 64-bit hashes (``seen``; in
    memory when not given), looked up with :meth:`has_article`; their URLs are read back from the journal
    file by :meth:`stored_articles`.
    """

    def __init__(self, jobdir: Path, seen: SeenSet | None = None) -> None:
        self.path = jobdir / JOURNAL
        jobdir.mkdir(parents=True, exist_ok=True)
        self.pending: dict[str, dict[str, Any]] = {}
        self.articles = seen if seen is not None else SeenSet(on_disk=False)
        last, cut = None, False
        for raw in self._lines(keep_ends=True):
            line = last = raw.rstrip("\n")
            cut = not raw.endswith("\n")
            kind, _, rest = line.partition("\t")
            try:
                if kind == "I":
                    entry = json.loads(rest)
                    self.pending[entry["url"]] = entry
                elif kind == "D":
                    self.pending.pop(rest, None)
                elif kind == "A":
                    self.articles.add(url_key(rest))
            except (ValueError, KeyError):
                continue  # a line cut by the kill
        self.resumed = dict(self.pending)
        # A run that ended cleanly wrote "C" last; otherwise it was killed.
        self.killed = last is not None and last != "C"
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the crawl
        if cut:
            self._fh.write("\n")  # after a line cut by the kill: this run's first line starts on a line of its own

    def _lines(self, keep_ends: bool = False) -> Iterator[str]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="replace", newline="\n") as fh:
            for line in fh:
                yield line if keep_ends else line.rstrip("\n")

    def stored_articles(self) -> Iterator[str]:
        """The URLs journalled ``A`` (stored articles), read from the file."""
        for line in self._lines():
            if line.startswith("A\t"):
                yield line[2:]

    def has_article(self, url: str) -> bool:
        """True when the article of ``url`` is stored (journalled ``A`` by this run or an earlier one)."""
        return url_key(url) in self.articles

    def started(self, request: Request) -> None:
        callback = getattr(request.callback, "__name__", None)
        if not isinstance(callback, str) or not callback.startswith("parse"):
            return
        entry = {"url": request.url, "callback": callback, "meta": {k: request.meta.get(k) for k in _META_KEYS}}
        self._write("I\t" + json.dumps(entry, ensure_ascii=False))

    def done(self, url: str) -> None:
        self._write("D\t" + url)

    def article(self, url: str) -> None:
        self.articles.add(url_key(url))
        self._write("A\t" + url)

    def _write(self, line: str) -> None:
        self._fh.write(line + "\n")
        self._fh.flush()  # in the OS page cache: survives a SIGKILL of this process

    def close(self) -> None:
        self._write("C")
        self._fh.close()
        self.articles.close()


class ResumeExtension:
    """Keeps the journal (see module docstring); reach it with :func:`get_journal`."""

    def __init__(self, crawler: Crawler, journal: Journal) -> None:
        self.crawler = crawler
        self.journal = journal

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeExtension:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        settings, stats = crawler.settings, crawler.stats

        def disk_error(exc: BaseException) -> None:
            if stats is not None:
                stats.inc_value("news/seen/disk_errors")

        seen = SeenSet(settings.get("NEWS_QUEUE_DIR") or None, on_disk=settings.getbool("NEWS_SEEN_ON_DISK"),
                       cache_mb=settings.getfloat("NEWS_SEEN_CACHE_MB"), name="articles", on_error=disk_error)
        journal = Journal(Path(jobdir), seen)
        queue = Path(jobdir) / "requests.queue"
        if journal.killed and queue.exists():
            # Scrapy's disk queue is written with buffered I/O: after a kill it can
            # miss requests or be inconsistent.  Discovery starts again instead.
            shutil.rmtree(queue)
            logger.warning("Previous run in %s was killed: its request queue is discarded; rediscovering", jobdir)
        ext = cls(crawler, journal)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_done, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        if journal.resumed:
            logger.info("Resuming from %s: %d request(s) were in progress at the stop", jobdir, len(journal.resumed))
        return ext

    def request_reached_downloader(self, request: Request) -> None:
        self.journal.started(request)

    def item_done(self, item: Any) -> None:
        url = getattr(item, "request_url", None) or getattr(item, "url", None)
        if url:
            self.journal.done(url)

    def item_scraped(self, item: Any) -> None:
        url = getattr(item, "request_url", None) or getattr(item, "url", None)
        if url and type(item).__name__ == "ArticleItem":
            self.journal.article(url)
        self.item_done(item)

    def spider_closed(self) -> None:
        self.journal.close()


def get_journal(crawler: Crawler) -> Journal | None:
    """The crawl's resume journal: None without JOBDIR, or before the extensions are built."""
    try:
        ext = crawler.get_extension(ResumeExtension)
    except RuntimeError:  # the extension manager is not built yet
        return None
    return ext.journal if ext is not None else None


def read_crawl_id(jobdir: str | os.PathLike[str] | None) -> str | None:
    if not jobdir:
        return None
    path = Path(jobdir) / "archive-crawl-id"
    return path.read_text().strip() if path.exists() else None


def write_crawl_id(jobdir: str | os.PathLike[str] | None, crawl_id: str) -> None:
    if jobdir:
        Path(jobdir).mkdir(parents=True, exist_ok=True)
        (Path(jobdir) / "archive-crawl-id").write_text(crawl_id + "\n")
