"""The extraction worker processes: :func:`~pipelines.article.extract_article` off the reactor.

Extraction and cleaning are CPU-bound; Scrapy runs on one reactor thread.
:class:`ExtractionPool` sends pages to ``ExtractOptions.workers`` spawned
processes, each with its own :class:`~pipelines.cleaning.Cleaner`, warmed up
with a small article while the crawl fetches robots.txt and sitemaps.  A page
that keeps a worker busy longer than ``ExtractOptions.timeout`` is abandoned
and the pool replaced (its processes killed); the other pages it had in
flight are extracted again on the new pool, as are the pages of a worker that
died.  Given :class:`~pipelines.options.DateOptions`, the workers decide the
article's dates too (:func:`pipelines.dates.apply_dates`), and confirm or reject
the pages the spider accepted pending their date (:func:`pipelines.article.confirm_dated`).

Used by :class:`pipelines.extraction.ExtractionPipeline`, whose docstring lists
the settings and stats.  Stats counted here: ``extract/dropped/timeout``,
``extract/dropped/crash``, ``extract/retried``, ``extract/pool_restarts``,
``extract/workers``, ``extract/worker_peak_rss_mb``, ``extract/worker_cpu_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem, PageItem
from pipelines.article import NotAnArticle, confirm_dated, extract_article
from pipelines.cleaning import Cleaner
from pipelines.dates import apply_dates
from pipelines.options import DateOptions, ExtractOptions

logger = logging.getLogger(__name__)

# (article, or None with (kind, reason) it is not one, timings)
Outcome = tuple[ArticleItem | None, tuple[str, str] | None, dict[str, float]]


class _WorkerState:
    """Per worker process: one Cleaner (compiled rules), built by the pool initializer."""

    cleaner: Cleaner | None = None


# A small article the workers extract when they start, so that the modules and data
# loaded on first use (trafilatura's, htmldate's, dateparser's Arabic and English
# locales, the language model) are loaded while the crawl fetches robots.txt and
# sitemaps, not while the first pages wait.
_WARM_UP_PAGE = (
    "<html lang='ar'><head><title>خبر | موقع</title><meta property='og:type' content='article'></head><body>"
    "<article><h1>عنوان الخبر</h1><div class='date'>24 من آذار 2025</div><span class='byline'>By Jane Roe, March 3, 2025</span>"
    + "<p>هذه فقرة من نص الخبر تكفي لاستخراج المقال وتجربة التنظيف والتواريخ واللغة في العامل.</p>" * 6
    + "</article></body></html>"
).encode("utf-8")


def _init_worker(options: ExtractOptions, dates: DateOptions | None) -> None:
    _WorkerState.cleaner = Cleaner()
    page = PageItem(
        url="https://example.org/2025/03/24/warm-up", body=_WARM_UP_PAGE, encoding="utf-8", status=200,
        headers={"Content-Type": "text/html; charset=utf-8"}, site="warm-up", profile=None,
        fetched_at="2025-03-24T00:00:00+00:00", warc=None,
    )
    try:
        extract_in_worker(page, options, dates)
    except Exception as exc:  # a warm-up must never break the pool
        logger.debug("Extraction worker warm-up failed: %r", exc)


def _worker_ready() -> int:
    return os.getpid()


def extract_in_worker(page: PageItem, options: ExtractOptions, dates: DateOptions | None) -> Outcome:
    """Run in a pool process: (article, or None with (kind, reason) it is not one, timings).

    With ``dates``, the article's dates are decided here too (the dates pipeline
    then has nothing left to do); ``timings["implausible_dates"]`` counts the
    implausible values skipped.  A page accepted pending its date
    (``page.date_required``) and left without one is not an article (kind ``undated``).
    """
    timings: dict[str, float] = {}
    try:
        article = extract_article(page, options, _WorkerState.cleaner or Cleaner(), timings)
        if dates is not None:
            timings["implausible_dates"] = apply_dates(article, dates)
        if page.date_required:
            confirm_dated(article, dates)
    except NotAnArticle as exc:
        return None, (exc.kind, str(exc)), timings
    return article, None, timings


class ExtractionPool:
    """``options.workers`` spawned processes extracting pages; timeouts, dead workers and retries.

    Back-pressure comes from Scrapy itself: an item occupies its response's
    scraper slot until it is processed, and the engine stops taking new
    responses when the slot is full (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``,
    ``CONCURRENT_ITEMS``).  The pool holds at most two pages per worker.
    """

    MAX_ATTEMPTS = 3

    def __init__(self, options: ExtractOptions, dates: DateOptions | None, stats: Any) -> None:
        self.options = options
        self.dates = dates
        self.workers = max(1, options.workers)
        self.timeout = options.timeout
        self.stats = stats
        self._executor: ProcessPoolExecutor | None = None
        self._retry_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(2 * self.workers)

    def _get_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn: never fork a process that runs a reactor and upload threads
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.options, self.dates),
            )
        return self._executor

    def _kill(self, executor: ProcessPoolExecutor | None = None) -> None:
        """Kill the pool's processes and start afresh; its other pages fail with BrokenProcessPool and are retried."""
        if executor is not None and executor is not self._executor:
            return  # already replaced
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for proc in list(getattr(executor, "_processes", {}).values()):
            proc.kill()
        executor.shutdown(wait=False, cancel_futures=False)
        self.stats.inc_value("extract/pool_restarts")

    def start(self) -> None:
        """Start the workers now: they load and warm up while the crawl fetches robots.txt and sitemaps."""
        executor = self._get_executor()
        for _ in range(self.workers):
            executor.submit(_worker_ready)

    async def extract(self, item: PageItem) -> Outcome:
        """Extract in the pool; a page caught in a dying pool is retried, retries one at a time.

        A worker process can die (killed by the OOM killer, a crash in C code,
        or killed here because another page timed out): every page it had in
        flight fails with BrokenProcessPool.  Those pages are retried on a new
        pool, retries one at a time, so an innocent page is not lost with the
        culprit; a page whose retries also break the pool is dropped
        (``extract/dropped/crash``).  A page that times out is dropped
        (``extract/dropped/timeout``).  Both raise DropItem.
        """
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            # At most two pages per worker in the pool (one running, one ready): workers never wait
            # for the busy reactor, a page waits behind at most one other (whose timeout fires
            # first: then this one is retried, not timed out), and a killed pool takes few pages.
            async with self._retry_lock if attempt > 1 else contextlib.nullcontext(), self._slots:
                executor = self._get_executor()
                future = loop.run_in_executor(executor, extract_in_worker, item, self.options, self.dates)
                try:
                    return await asyncio.wait_for(future, self.timeout)
                except TimeoutError as exc:
                    self.stats.inc_value("extract/dropped/timeout")
                    logger.error(
                        "Extraction of %s took more than EXTRACT_TIMEOUT=%ss: abandoned (archived in WARC only); "
                        "restarting the worker pool", item.url, self.timeout,
                    )
                    self._kill(executor)
                    raise DropItem(f"{item.url}: extraction timed out", log_level="INFO") from exc
                except BrokenProcessPool:
                    self._kill(executor)
                    if attempt == self.MAX_ATTEMPTS:
                        self.stats.inc_value("extract/dropped/crash")
                        logger.error(
                            "An extraction worker died %d times while extracting %s: page dropped (archived in WARC only)",
                            attempt, item.url,
                        )
                        raise DropItem(f"{item.url}: extraction worker crashed", log_level="INFO") from None
                    self.stats.inc_value("extract/retried")
                    logger.warning("An extraction worker died while %s was in flight; extracting it again", item.url)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Wait for the workers to finish, then record their peak memory and CPU time."""
        if self._executor is None:
            return
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None
        # The pool's processes have been waited for: their peak RSS and CPU time are known now.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.stats.set_value("extract/worker_peak_rss_mb", round(children.ru_maxrss / 1024, 1))
        self.stats.set_value("extract/worker_cpu_s", round(children.ru_utime + children.ru_stime, 2))
        self.stats.set_value("extract/workers", self.workers)
