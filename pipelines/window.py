"""DateWindowPipeline: drop articles published outside ``-a since``/``-a until``.

The spider already skips articles whose sitemap or feed date proves them out
of the window before fetching; this pipeline applies the window to the
publication date found on the page.  An article without a publication date
is kept (it cannot be shown to be outside) and counted.

Reads the spider arguments ``since`` and ``until`` (no settings).
Stats: ``news/window/dropped``, ``news/window/undated_kept``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import ArticleItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class DateWindowPipeline:
    def __init__(self, crawler: Crawler, since: date | None, until: date | None) -> None:
        self.stats = crawler.stats
        self.since = since
        self.until = until

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DateWindowPipeline:
        spider = crawler.spider
        since = getattr(spider, "since", None)
        until = getattr(spider, "until", None)
        if since is None and until is None:
            raise NotConfigured  # no window: nothing to do (silently disabled)
        return cls(crawler, since, until)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if not item.published:
            self.stats.inc_value("news/window/undated_kept")
            return item
        day = date.fromisoformat(item.published[:10])
        if (self.since and day < self.since) or (self.until and day > self.until):
            self.stats.inc_value("news/window/dropped")
            raise DropItem(
                f"{item.url}: published {item.published} is outside the window "
                f"{self.since or '…'}..{self.until or '…'}",
                log_level="INFO",
            )
        return item
