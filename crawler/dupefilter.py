"""JournalDupeFilter: Scrapy's duplicate filter, made safe for crawls resumed after a SIGKILL.

Scrapy's RFPDupeFilter keeps every scheduled request's fingerprint in
``JOBDIR/requests.seen``; after a SIGKILL, requests that were queued or in
flight are "seen" but were never completed, so they are never fetched again
and their articles are lost.  This filter keeps fingerprints in memory only
and, on a resumed crawl, counts as seen the articles the resume journal says
are stored (``crawler.extensions.resume``).  Everything else is discovered
again from the start pages, feeds and sitemaps, so nothing is lost; stored
articles are neither fetched nor written again.

Settings read: ``DUPEFILTER_DEBUG``, ``JOBDIR`` (through the resume journal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from crawler.extensions.resume import get_journal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class JournalDupeFilter(RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JournalDupeFilter:
        dupefilter = cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)
        journal = get_journal(crawler)
        if journal is not None:
            for url in journal.articles:
                dupefilter._fingerprints.add(dupefilter._fingerprint(Request(url)))
        return dupefilter
