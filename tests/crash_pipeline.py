"""A test-only item pipeline that raises for chosen URLs (fault injection for item pipelines).

Enabled by the hostile-input tests through ``ITEM_PIPELINES``; it crashes on
every item whose URL contains one of the substrings in the setting
``TEST_CRASH_URLS`` (comma-separated) and passes the others through.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler


class CrashingPipeline:
    def __init__(self, needles: list[str]) -> None:
        self.needles = needles

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrashingPipeline:
        return cls([n for n in crawler.settings.get("TEST_CRASH_URLS", "").split(",") if n])

    def process_item(self, item: Any) -> Any:
        url = getattr(item, "url", "")
        if any(n in url for n in self.needles):
            raise RuntimeError(f"injected pipeline crash for {url}")
        return item
