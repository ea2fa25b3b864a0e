"""The extraction pool survives a worker killed mid-extraction (like the OOM killer would): no page is lost."""

from __future__ import annotations

import asyncio
import os
import signal

from scrapy.utils.test import get_crawler

import crawler.settings as project_settings
from crawler.items import ArticleItem, PageItem
from pipelines.extraction import ExtractionPipeline
from tests.support.evaluation import load_benchmark


def _pages(n: int) -> list[PageItem]:
    out = []
    for _, url, _, html in load_benchmark()[:n]:
        out.append(PageItem(url=url or "https://example.org/a", body=html, encoding="utf-8", status=200,
                            headers={"Content-Type": "text/html; charset=utf-8"}, site="bench", profile=None,
                            fetched_at="2026-01-01T00:00:00+00:00", warc=None))
    return out


def test_worker_killed_mid_extraction_loses_no_page() -> None:
    settings = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    # No extensions: the archive extension would open (and lock) a site state for a crawl never run.
    settings.update(EXTRACT_WORKERS=2, EXTRACT_TIMEOUT=120, EXTENSIONS={})
    crawler = get_crawler(settings_dict=settings)
    pipeline = ExtractionPipeline.from_crawler(crawler)
    pages = _pages(6)

    async def run() -> list[object]:
        tasks = [asyncio.ensure_future(pipeline.process_item(page)) for page in pages]
        while pipeline.pool._executor is None or not getattr(pipeline.pool._executor, "_processes", None):
            await asyncio.sleep(0.02)
        killed = []
        for proc in list(pipeline.pool._executor._processes.values()):
            os.kill(proc.pid, signal.SIGKILL)  # what the OOM killer or a crash in C code does
            killed.append(proc.pid)
        assert killed
        return await asyncio.gather(*tasks, return_exceptions=True)

    try:
        results = asyncio.run(run())
    finally:
        pipeline.close_spider()
    assert [type(r).__name__ for r in results] == ["ArticleItem"] * len(pages)
    assert [r.url for r in results if isinstance(r, ArticleItem)] == [p.url for p in pages]
    stats = crawler.stats.get_stats()
    assert stats.get("extract/retried", 0) >= 1
    assert stats.get("extract/pool_restarts", 0) >= 1
    assert "extract/dropped/crash" not in stats and "extract/dropped/error" not in stats


def test_fast_mode_first_and_comparison_only_below_threshold(monkeypatch) -> None:
    """trafilatura's readability/jusText comparison runs only when fast mode finds little text
    (EXTRACT_COMPARE_BELOW_CHARS); EXTRACT_FAST=True never runs it."""
    import dataclasses

    import trafilatura

    from pipelines.article import extract_article
    from pipelines.options import ExtractOptions

    def options(**overrides):
        # No extensions: the archive extension would open (and lock) a site state for a crawl never run.
        settings = get_crawler(settings_dict={k: v for k, v in vars(project_settings).items() if k.isupper()}
                               | {"EXTENSIONS": {}} | overrides).settings
        return ExtractOptions.from_settings(settings)

    seen: list[bool] = []
    real = trafilatura.bare_extraction

    def spy(*args, **kwargs):
        seen.append(kwargs.get("fast"))
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)
    page = _pages(2)[1]  # a long article
    default = options()
    assert default.compare_below_chars == project_settings.EXTRACT_COMPARE_BELOW_CHARS == 500 and not default.fast
    article = extract_article(page, default)
    assert seen == [True] and len(article.text) > 500  # a full article: fast mode only

    seen.clear()  # fast mode's text is "short" against a huge threshold: compared as well
    compared = extract_article(page, dataclasses.replace(default, compare_below_chars=10**9))
    assert seen == [True, False] and len(compared.text) > 200

    seen.clear()  # a page where fast mode finds less than 500 characters: compared
    extract_article(_pages(1)[0], default)
    assert seen == [True, False]

    seen.clear()  # 0: always compare (trafilatura's default mode)
    extract_article(page, options(EXTRACT_COMPARE_BELOW_CHARS=0))
    assert seen == [False]

    seen.clear()  # EXTRACT_FAST: never compare, whatever the threshold
    fast = options(EXTRACT_FAST=True)
    assert fast.fast and fast.max_elements == project_settings.EXTRACT_MAX_ELEMENTS
    extract_article(page, dataclasses.replace(fast, compare_below_chars=10**9))
    assert seen == [True]
