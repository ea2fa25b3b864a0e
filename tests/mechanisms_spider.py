"""A small crawl with the project's download middlewares only, run in its own process by tests.

``python -m tests.mechanisms_spider CONFIG.json`` where the JSON object has:

* ``settings``: Scrapy settings (on top of Scrapy's defaults, not the project's);
* ``start``: URLs requested first;
* ``follow``: ``{url: [url, ...]}``: the response of ``url`` yields requests for the list;
* ``crash``: URLs whose callback raises ``RuntimeError`` (a bug in spider code);
* ``stats``: where the crawl's stats are written as JSON at the end.

It tests the middlewares' behaviour (Retry-After holding a download slot, how
failed fetches are logged) without the ``news`` spider, the archive or the pipelines.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class MechanismsSpider(scrapy.Spider):
    name = "mechanisms"

    def __init__(self, start: list[str], follow: dict[str, list[str]], crash: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_list = start
        self.follow = follow
        self.crash = set(crash)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_list:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response: Response) -> Any:
        if response.url in self.crash:
            raise RuntimeError(f"injected callback bug for {response.url}")
        for url in self.follow.get(response.url, []):
            yield scrapy.Request(url, dont_filter=True)


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text("utf-8"))
    process = CrawlerProcess(config.get("settings", {}))
    crawler = process.create_crawler(MechanismsSpider)
    process.crawl(crawler, start=config.get("start", []), follow=config.get("follow", {}),
                  crash=config.get("crash", []))
    process.start()
    assert crawler.stats is not None
    Path(config["stats"]).write_text(json.dumps(crawler.stats.get_stats(), default=str), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
