"""ExtractionPipeline: a fetched article page (PageItem) into an ArticleItem.

The Scrapy component around :func:`pipelines.article.extract_article` (the
extraction pass) and :class:`pipelines.extraction_pool.ExtractionPool` (the
worker processes that run it off the reactor); it counts and logs what
extraction made of each page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler import signals as news_signals
from crawler.items import ArticleItem, PageItem
from pipelines.article import NotAnArticle, UndatedPage, confirm_dated, extract_article
from pipelines.cleaning import Cleaner
from pipelines.extraction_pool import ExtractionPool
from pipelines.options import DateOptions, ExtractOptions

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    """Item pipeline turning PageItem into ArticleItem, in a pool of worker processes.

    Pages are sent to ``EXTRACT_WORKERS`` processes (default: one per core) so
    the reactor keeps fetching and writing WARCs meanwhile
    (:mod:`pipelines.extraction_pool`).  A page that keeps a worker busy longer
    than ``EXTRACT_TIMEOUT`` seconds is abandoned, counted, and the pool is
    replaced; the other pages it had in flight are extracted again on the new
    pool, as are the pages of a worker that died (``extract/retried``).  A page
    whose DOM has more than ``EXTRACT_MAX_ELEMENTS`` elements is not extracted.
    A declared charset that does not fit the bytes is corrected and counted.
    With ``DATES_ENABLED``, the workers also decide the dates (the dates
    pipeline then has nothing left to do).  ``EXTRACT_WORKERS = 0`` extracts in
    the reactor process (debugging), and leaves the dates to the dates pipeline.

    A page the spider accepted on its headline and text alone, pending its date
    (``PageItem.date_required``, crawler/detection.py), is an article only if the
    dates step dates it: counted ``news/pages/article``, or rejected as
    ``heuristic:no-date`` (``news/pages/other``, ``news/pages/rejected/no-date``, the
    ``page_rejected`` signal that lists it in the crawl manifest).

    Settings read (:mod:`pipelines.options`): ``EXTRACT_WORKERS``, ``EXTRACT_TIMEOUT``,
    ``EXTRACT_MIN_TEXT_CHARS``, ``EXTRACT_MAX_ELEMENTS``, ``EXTRACT_FAVOR_PRECISION``,
    ``EXTRACT_FAVOR_RECALL``, ``EXTRACT_FAST``, ``EXTRACT_COMPARE_BELOW_CHARS``,
    ``DATES_ENABLED``, ``DATES_DEFAULT_TIMEZONE``, ``DATES_MIN_YEAR``, ``DATES_MAX_FUTURE_DAYS``.
    Stats: ``extract/articles``, ``extract/dropped/empty``, ``extract/dropped/error``,
    ``extract/dropped/timeout``, ``extract/dropped/too_complex``, ``extract/dropped/crash``,
    ``extract/retried``, ``extract/charset/mislabelled``, ``extract/charset/undeclared``,
    ``extract/charset/bom``, ``extract/pool_restarts``, ``extract/workers``,
    ``extract/worker_peak_rss_mb``, ``extract/worker_cpu_s``, ``timing/extract_ms``,
    ``news/pages/article``, ``news/pages/other``, ``news/pages/rejected/no-date``,
    ``timing/clean_ms``, ``clean/removed/{kind}``; for dates decided in the workers
    ``dates/published/{source}`` and ``dates/implausible``.
    """

    def __init__(self, crawler: Crawler, options: ExtractOptions, dates: DateOptions | None) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.options = options
        self.date_options = DateOptions.from_settings(crawler.settings)  # for confirm_dated in this process
        self.cleaner = Cleaner()
        self.pool = ExtractionPool(options, dates, self.stats) if options.workers > 0 else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        options = ExtractOptions.from_settings(crawler.settings)
        dates = DateOptions.from_settings(crawler.settings)
        return cls(crawler, options, dates if dates.enabled and options.workers > 0 else None)

    def open_spider(self) -> None:
        """Start the workers now: they load and warm up while the crawl fetches robots.txt and sitemaps."""
        if self.pool is not None:
            self.pool.start()

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        reason: tuple[str, str] | None
        try:
            if self.pool is None:
                timings: dict[str, float] = {}
                try:
                    extracted = extract_article(item, self.options, self.cleaner, timings)
                    if item.date_required:
                        confirm_dated(extracted, self.date_options)
                    article: ArticleItem | None = extracted
                    reason = None
                except NotAnArticle as exc:
                    article, reason = None, (exc.kind, str(exc))
            else:
                article, reason, timings = await self.pool.extract(item)
        except DropItem:
            raise
        except Exception as exc:
            self.stats.inc_value("extract/dropped/error")
            logger.error("Extraction failed for %s: %r (archived in WARC only)", item.url, exc)
            raise DropItem(f"{item.url}: extraction error: {exc!r}") from exc
        self.stats.inc_value("timing/extract_ms", int(1000 * timings.get("extraction", 0.0)))
        self.stats.inc_value("timing/clean_ms", int(1000 * timings.get("cleaning", 0.0)))
        if item.date_required:
            self._count_pending(item, reason)
        if article is None:
            kind, why = reason or ("empty", "no text")
            self.stats.inc_value(f"extract/dropped/{kind}")
            if kind == "too_complex":
                logger.warning("Page %s not extracted: %s (archived in WARC only)", item.url, why)
            raise DropItem(f"{item.url}: no article text: {why}", log_level="INFO")
        if article.charset_fix:
            kind, _, detail = article.charset_fix.partition(": ")
            self.stats.inc_value(f"extract/charset/{kind}")
            if kind == "mislabelled":
                logger.warning("Page %s: the declared charset does not fit its bytes (%s)", item.url, detail)
            else:
                logger.info("Page %s: charset %s (%s)", item.url, "not declared" if kind == "undeclared" else "from the BOM", detail)
        self.stats.inc_value("extract/articles")
        if article.dated:
            self.stats.inc_value(f"dates/published/{(article.published_source or 'missing').split(':')[0]}")
            if timings.get("implausible_dates"):
                self.stats.inc_value("dates/implausible", int(timings["implausible_dates"]))
        for removal in article.removed:
            self.stats.inc_value(f"clean/removed/{removal['kind']}")
        return article

    def _count_pending(self, item: PageItem, reason: tuple[str, str] | None) -> None:
        """A page accepted pending its date: an article now, or rejected as undated (and DropItem)."""
        if reason is None or reason[0] != UndatedPage.kind:
            self.stats.inc_value("news/pages/article")  # dated (or not extractable: counted as the spider would)
            return
        self.stats.inc_value("news/pages/other")
        self.stats.inc_value("news/pages/rejected/no-date")
        logger.debug("Not an article (%s): %s", UndatedPage.reason, item.url)
        self.crawler.signals.send_catch_log(news_signals.page_rejected, url=item.url, reason=UndatedPage.reason)
        raise DropItem(f"{item.url}: not an article: {reason[1]}", log_level="DEBUG")
