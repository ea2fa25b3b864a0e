"""ResumeJournalMiddleware: the spider side of the resume journal (:mod:`crawler.extensions.resume`).

A spider middleware, on only when :class:`~crawler.extensions.resume.ResumeExtension`
keeps a journal (``JOBDIR`` set):

* ``process_start``: the requests that were in progress when the previous run
  was killed (journalled ``I`` but never ``D``) come first, then the spider's
  own start requests.  They are rebuilt with their callback (by name), their
  discovery meta, ``dont_filter`` and priority 20.
* ``process_spider_output``: once a callback's output has been consumed, a
  response that produced no article item is journalled ``D`` (done) under the
  URL first requested (before redirects).  Responses that produced an article
  are journalled by the extension when the item is stored or dropped.

Settings read: ``JOBDIR`` (through the extension).
Stats: ``resume/requeued``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.extensions.resume import Journal, get_journal
from crawler.items import PageItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ResumeJournalMiddleware:
    """Spider middleware: requeue interrupted requests, journal completed responses (see module docstring)."""

    def __init__(self, crawler: Crawler, journal: Journal) -> None:
        self.crawler = crawler
        self.journal = journal

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeJournalMiddleware:
        journal = get_journal(crawler)
        if journal is None:
            raise NotConfigured  # no JOBDIR: nothing to resume (no message: nothing to warn about)
        return cls(crawler, journal)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for request in self.requeue():
            yield request
        async for out in start:
            yield out

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        article = False
        async for out in result:
            article = article or isinstance(out, PageItem)
            yield out
        if not article:
            self.journal.done(response.meta.get("redirect_urls", [response.url])[0])

    def requeue(self) -> list[Request]:
        """Requests that were in progress when the previous run was killed."""
        spider = self.crawler.spider
        out = []
        for entry in self.journal.resumed.values():
            callback = getattr(spider, entry.get("callback", ""), None)
            if callback is None:
                continue
            meta = {k: v for k, v in entry.get("meta", {}).items() if v is not None}
            out.append(Request(entry["url"], callback=callback, meta=meta, dont_filter=True, priority=20))
        if out and self.crawler.stats is not None:
            self.crawler.stats.inc_value("resume/requeued", len(out))
        return out
