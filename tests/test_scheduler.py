"""DiskQueueScheduler: scheduled requests wait on disk, even without JOBDIR; the private queue is removed at the end."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.scheduler import DiskQueueScheduler


class _Spider(Spider):
    name = "queue-test"

    def parse_page(self, response):  # pragma: no cover - never called
        return None


def _scheduler(**overrides):
    # Scrapy's default DownloaderAwarePriorityQueue needs a running engine; the disk queues
    # under it are the same (a real crawl's use of them: test_crawl_queues_on_disk below).
    settings = {k: v for k, v in vars(project_settings).items() if k.isupper()} | {
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        "EXTENSIONS": {}} | overrides  # no archive: nothing written into ./archive, no site lock held across tests
    crawler = get_crawler(_Spider, settings_dict=settings)
    crawler.spider = crawler._create_spider()
    scheduler = DiskQueueScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return crawler, scheduler


def _requests(spider: Spider, n: int) -> list[Request]:
    return [Request(f"http://127.0.0.1:9/c{i}.html", callback=spider.parse_page, meta={"discovery": "sitemap"},
                    priority=-(i % 3)) for i in range(n)]


def test_requests_wait_on_disk_without_jobdir(tmp_path) -> None:
    crawler, scheduler = _scheduler(NEWS_QUEUE_DIR=str(tmp_path / "queues"))
    queue_dirs = list((tmp_path / "queues").glob("news-queue-*"))
    assert len(queue_dirs) == 1 and scheduler.dqs is not None
    assert list((tmp_path / "queues").glob("news-requests-*")) == []  # the duplicate filter's file: unlinked at once
    for request in _requests(crawler.spider, 500):
        assert scheduler.enqueue_request(request)
    stats = crawler.stats.get_stats()
    assert stats["scheduler/enqueued/disk"] == 500 and "scheduler/enqueued/memory" not in stats
    assert len(scheduler.mqs) == 0 and len(scheduler) == 500
    assert any(p.is_file() and p.stat().st_size > 0 for p in queue_dirs[0].rglob("*"))
    urls = set()
    while (request := scheduler.next_request()) is not None:
        urls.add(request.url)
        assert request.callback == crawler.spider.parse_page and request.meta["discovery"] == "sitemap"
    assert len(urls) == 500
    scheduler.close("finished")
    assert not queue_dirs[0].exists()  # the private queue is gone with the crawl
    assert list((tmp_path / "queues").iterdir()) == []


def test_jobdir_queue_is_scrapys_and_kept(tmp_path) -> None:
    crawler, scheduler = _scheduler(JOBDIR=str(tmp_path / "job"), NEWS_QUEUE_DIR=str(tmp_path / "queues"))
    assert Path(scheduler.dqdir).parent == tmp_path / "job" and not list((tmp_path / "queues").glob("news-queue-*"))
    for request in _requests(crawler.spider, 10):
        scheduler.enqueue_request(request)
    scheduler.close("shutdown")
    assert (tmp_path / "job" / "requests.queue" / "active.json").exists()  # resumable, as Scrapy keeps it


def test_memory_queue_when_switched_off(tmp_path) -> None:
    crawler, scheduler = _scheduler(NEWS_QUEUE_ON_DISK=False, NEWS_QUEUE_DIR=str(tmp_path / "queues"))
    assert scheduler.dqs is None and not list((tmp_path / "queues").glob("news-queue-*"))
    for request in _requests(crawler.spider, 5):
        scheduler.enqueue_request(request)
    assert crawler.stats.get_value("scheduler/enqueued/memory") == 5
    scheduler.close("finished")


def test_disk_full_falls_back_to_memory_and_loses_nothing(tmp_path, caplog) -> None:
    import errno

    crawler, scheduler = _scheduler(NEWS_QUEUE_DIR=str(tmp_path / "queues"))
    requests = _requests(crawler.spider, 20)
    for request in requests[:5]:
        scheduler.enqueue_request(request)

    def full(request):
        raise OSError(errno.ENOSPC, "No space left on device")

    scheduler.dqs.push = full
    with caplog.at_level("ERROR"):
        for request in requests[5:]:
            assert scheduler.enqueue_request(request)
    stats = crawler.stats.get_stats()
    assert stats["news/queue/disk_errors"] == 1 and stats["scheduler/enqueued/memory"] == 15
    assert sum("Cannot write the request queue on disk" in r.getMessage() for r in caplog.records) == 1
    urls = set()
    while (request := scheduler.next_request()) is not None:
        urls.add(request.url)
    assert urls == {r.url for r in requests}
    scheduler.close("finished")

