"""NewsArchiveAddon: the settings that depend on other settings, applied before the crawl starts.

A Scrapy add-on (enabled in ``ADDONS``), as scrapy-zyte-api wires itself.  Scrapy
calls ``update_settings`` once the project, spider and command-line settings are
all known (:meth:`scrapy.crawler.Crawler.crawl`, before any component is built):

* ``REDIS_URL`` set: a distributed crawl.  The frontier and duplicate filter
  move to Redis (scrapy-redis scheduler, duplicate filter and priority queue,
  persisted), keyed by ``ARCHIVE_CRAWL_ID`` so a re-crawl starts fresh and
  every process of one crawl shares one queue.  Without ``ARCHIVE_CRAWL_ID``
  the crawl stops with an error: each process would get its own crawl id.
* ``USER_AGENT``: ``{contact}`` is replaced with ``NEWS_CONTACT_URL``.

Priorities: the Redis settings are set at ``"spider"`` priority (30), as the
spider's ``update_settings`` used to: above ``crawler/settings.py`` (project,
20), which names the disk-queue scheduler and the journal duplicate filter and
would win over the add-on priority (15), and below the command line (40), so
``-s SCHEDULER=...`` still wins.  ``USER_AGENT`` keeps the priority it had.

Settings read: ``REDIS_URL``, ``ARCHIVE_CRAWL_ID``, ``USER_AGENT``, ``NEWS_CONTACT_URL``.
Settings set: ``SCHEDULER``, ``DUPEFILTER_CLASS``, ``SCHEDULER_DUPEFILTER_CLASS``,
``SCHEDULER_PERSIST``, ``SCHEDULER_QUEUE_CLASS``, ``SCHEDULER_QUEUE_KEY``,
``SCHEDULER_DUPEFILTER_KEY``, ``DUPEFILTER_KEY`` (with ``REDIS_URL``), ``USER_AGENT``.
Stats: none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings


def redis_settings(crawl_id: str) -> dict[str, object]:
    """scrapy-redis settings of one distributed crawl."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"news-archive:{crawl_id}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"news-archive:{crawl_id}:dupefilter",
        "DUPEFILTER_KEY": f"news-archive:{crawl_id}:dupefilter",
    }


class NewsArchiveAddon:
    """Scrapy add-on: Redis and User-Agent settings (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NewsArchiveAddon:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        if settings.get("REDIS_URL"):
            crawl_id = settings.get("ARCHIVE_CRAWL_ID")
            if not crawl_id:
                raise ValueError(
                    "REDIS_URL is set: give every crawler process of this crawl the same -s ARCHIVE_CRAWL_ID=..."
                )
            for name, value in redis_settings(crawl_id).items():
                settings.set(name, value, priority="spider")
        agent = settings.get("USER_AGENT", "")
        if "{contact}" in agent:
            settings.set(
                "USER_AGENT",
                agent.replace("{contact}", settings.get("NEWS_CONTACT_URL", "")),
                priority=settings.getpriority("USER_AGENT") or "project",
            )
