"""DistributedIdleExtension: in a distributed crawl, an idle process waits for work before closing.

With ``REDIS_URL`` several processes share one Redis queue (see
:mod:`crawler.addon`).  A process whose share of the queue is momentarily
empty would close at once although the others are still discovering URLs;
this extension keeps it open (``DontCloseSpider`` on ``spider_idle``) until
it has been idle, with no response received, for
``NEWS_DISTRIBUTED_IDLE_CLOSE`` seconds.

Disabled (NotConfigured) without ``REDIS_URL``.
Settings read: ``REDIS_URL``, ``NEWS_DISTRIBUTED_IDLE_CLOSE``.
Stats: none.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class DistributedIdleExtension:
    """Extension: delay closing an idle process of a distributed crawl (see module docstring)."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedIdleExtension:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured  # not a distributed crawl (no message: nothing to warn about)
        ext = cls(crawler.settings.getfloat("NEWS_DISTRIBUTED_IDLE_CLOSE"))
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def response_received(self) -> None:
        self.idle_since = None

    def spider_idle(self) -> None:
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.wait:
            raise DontCloseSpider
