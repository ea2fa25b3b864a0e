"""The download middlewares work through Scrapy's own mechanisms, checked against real local servers.

* Retry-After holds the host's download slot (Scrapy's downloader waits),
  the retry is returned at once, and other hosts are fetched meanwhile:
  proved with the times at which the server received each request.
* A decompression bomb is recognised by the exception Scrapy raises, not by
  its message text; and Scrapy 2.19 raises ``IgnoreRequest`` there for that
  reason only (pinned here, so an upgrade that changes it fails).
* A fetch that fails after retries is logged in one WARNING line, with no
  ``Error downloading`` and no traceback; a bug in spider code still logs
  its traceback.

The crawls run ``tests/mechanisms_spider.py`` in a subprocess with only the
project's download middlewares, so they test them and nothing else.
"""

from __future__ import annotations

import gzip
import inspect
import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.middlewares.compression import BoundedHttpCompressionMiddleware
from tests.conftest import PROJECT_ROOT
from tests.hostile_site import HostileSite

MINE = ("crawler.middlewares.faultretry.", "crawler.middlewares.compression.", "crawler.middlewares.failures.")
MIDDLEWARES: dict[str, int | None] = {
    name: prio
    for name, prio in project_settings.DOWNLOADER_MIDDLEWARES.items()
    if name.startswith(MINE) or name == "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"
}
BASE_SETTINGS: dict[str, Any] = {
    "DOWNLOADER_MIDDLEWARES": MIDDLEWARES,
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "DEBUG",
    "RETRY_TIMES": project_settings.RETRY_TIMES,
    "RETRY_GIVE_UP_LOG_LEVEL": project_settings.RETRY_GIVE_UP_LOG_LEVEL,
    "NEWS_RETRY_AFTER_MAX": project_settings.NEWS_RETRY_AFTER_MAX,
    "DOWNLOAD_MAXSIZE": project_settings.DOWNLOAD_MAXSIZE,
    "DOWNLOAD_WARNSIZE": project_settings.DOWNLOAD_WARNSIZE,
    "DOWNLOAD_FAIL_ON_DATALOSS": project_settings.DOWNLOAD_FAIL_ON_DATALOSS,
}


def run_mechanisms(tmp: Path, start: list[str], follow: dict[str, list[str]] | None = None,
                   crash: list[str] | None = None, **settings: Any) -> tuple[str, dict[str, Any]]:
    """Crawl with the project's download middlewares only; (log, stats)."""
    config = {
        "settings": {**BASE_SETTINGS, **settings},
        "start": start,
        "follow": follow or {},
        "crash": crash or [],
        "stats": str(tmp / "stats.json"),
    }
    path = tmp / "config.json"
    path.write_text(json.dumps(config), "utf-8")
    proc = subprocess.run([sys.executable, "-m", "tests.mechanisms_spider", str(path)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    return log, json.loads((tmp / "stats.json").read_text("utf-8"))


def as_localhost(url: str) -> str:
    """The same server under another host name: another download slot."""
    return url.replace("//127.0.0.1:", "//localhost:", 1)


# --- Retry-After holds the download slot -------------------------------------------------------


@pytest.mark.parametrize("delay", [0, 0.25], ids=["no-download-delay", "download-delay"])
def test_retry_after_holds_the_slot_not_the_crawler(tmp_path: Path, delay: float) -> None:
    with HostileSite() as site:
        busy = site.url + "timing/busy.html"  # 503, Retry-After: 2, then 200
        slow = as_localhost(site.url) + "timing/slow.html"  # answers after 0.5 s
        other = as_localhost(site.url) + "timing/ok-other.html"  # asked for once slow has answered
        same = site.url + "timing/ok-same.html"  # the same host as busy, asked for at the same time
        log, stats = run_mechanisms(tmp_path, [busy, slow], follow={slow: [other, same]}, DOWNLOAD_DELAY=delay)
        times: dict[str, list[float]] = {}
        for when, _, target in site.timeline:
            times.setdefault(target, []).append(when)
    first, retry = times["/timing/busy.html"]
    [t_other] = times["/timing/ok-other.html"]
    [t_same] = times["/timing/ok-same.html"]
    assert retry - first >= 1.95, "the retry went out before Retry-After: 2 had passed"
    assert first < t_other < retry, "another host was not fetched while the busy host waited"
    assert t_same - first >= 1.95, "a request to the busy host went out while its slot was held"
    assert t_other < t_same
    assert stats["fetch/retry_after"] == 1
    assert stats["downloader/response_status_count/200"] == 4  # busy (retried), slow, other, same
    assert "Retry-After 2.0 s: retried after it (download slot 127.0.0.1 waits)" in log


# --- decompression bombs: Scrapy's exception, not its message -----------------------------------


def _compression_mw(caplog: pytest.LogCaptureFixture, maxsize: int = 10_000, warnsize: int = 5_000
                    ) -> BoundedHttpCompressionMiddleware:
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": maxsize, "DOWNLOAD_WARNSIZE": warnsize})
    caplog.set_level(logging.DEBUG)
    return BoundedHttpCompressionMiddleware.from_crawler(crawler)


def _gzipped(url: str, body: bytes, encoding: str = "gzip") -> tuple[Request, Response]:
    request = Request(url)
    response = HtmlResponse(url, body=body, headers={"Content-Encoding": encoding}, request=request)
    return request, response


def test_scrapy_raises_ignore_request_only_past_the_size_limit() -> None:
    # BoundedHttpCompressionMiddleware reads any IgnoreRequest from HttpCompressionMiddleware as a bomb.
    source = inspect.getsource(HttpCompressionMiddleware)
    assert source.count("raise IgnoreRequest") == 1, "Scrapy raises IgnoreRequest for another reason now"
    assert re.search(r"except _DecompressionMaxSizeExceeded as e:.*?raise IgnoreRequest\(msg\) from e", source, re.S)


def test_bomb_is_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    mw = _compression_mw(caplog)
    request, response = _gzipped("http://example.org/bomb.html", gzip.compress(bytes(100_000)))
    with pytest.raises(IgnoreRequest):
        mw.process_response(request, response)
    assert mw.stats is not None and mw.stats.get_value("fetch/failed/decompression_bomb") == 1
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in lines] == ["crawler.middlewares.compression"]  # Scrapy's own line dropped
    message = lines[0].getMessage()
    assert "http://example.org/bomb.html" in message and "Content-Encoding gzip" in message
    assert "inflates past DOWNLOAD_MAXSIZE=10000" in message and "the compressed body is in the WARC" in message


def test_other_compression_outcomes_are_not_bombs(caplog: pytest.LogCaptureFixture) -> None:
    mw = _compression_mw(caplog)
    # a corrupt gzip body: Scrapy's exception is not IgnoreRequest, and it is not counted
    request, response = _gzipped("http://example.org/corrupt.html", b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(Exception) as excinfo:
        mw.process_response(request, response)
    assert not isinstance(excinfo.value, IgnoreRequest)
    # an unknown encoding is passed through; a body between DOWNLOAD_WARNSIZE and DOWNLOAD_MAXSIZE is decoded
    request, response = _gzipped("http://example.org/odd.html", b"abc", encoding="x-odd")
    assert mw.process_response(request, response).body == b"abc"
    request, response = _gzipped("http://example.org/big.html", gzip.compress(b"<p>" + b"a" * 8_000 + b"</p>"))
    assert len(mw.process_response(request, response).body) == 8_007
    assert mw.stats is not None and mw.stats.get_value("fetch/failed/decompression_bomb") is None
    # Scrapy's own warnings for these (unknown encoding, warn size) are let through, not held back
    scrapy_lines = [r.getMessage() for r in caplog.records if r.name.startswith("scrapy.downloadermiddlewares")]
    assert any("x-odd" in m for m in scrapy_lines) and any("big.html" in m for m in scrapy_lines)
    assert request.meta["received_bytes"] == len(response.body)


# --- a failed fetch: one WARNING line; a bug: its traceback ---------------------------------------

RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(?P<logger>[^\]]+)\] (?P<level>[A-Z]+): ", re.M)


def log_records(log: str) -> list[tuple[str, str, str]]:
    """(logger, level, text with any traceback) of each record of a Scrapy log."""
    starts = list(RECORD.finditer(log))
    return [
        (m["logger"], m["level"], log[m.start(): starts[i + 1].start() if i + 1 < len(starts) else len(log)])
        for i, m in enumerate(starts)
    ]


def test_failed_fetches_log_one_line_and_bugs_a_traceback(tmp_path: Path) -> None:
    with HostileSite() as site:
        failing = {
            site.refused_url + "page.html": ("connection", "DownloadConnectionRefusedError", 3),
            site.case_url("hang"): ("timeout", "no answer within DOWNLOAD_TIMEOUT=2s", 3),
            site.case_url("slow_drip"): ("timeout", "no answer within DOWNLOAD_TIMEOUT=2s", 3),
            site.case_url("oversize"): ("too_large", "larger than DOWNLOAD_MAXSIZE", 1),
            site.case_url("always_500"): ("http_5xx", "HTTP 500 Internal Server Error", 3),
            site.url + "timing/closed.html": (
                "http_429", "HTTP 429 Too Many Requests, Retry-After asks for 3600 s, more than NEWS_RETRY_AFTER_MAX=120 s", 1
            ),
        }
        bomb = site.case_url("gzip_bomb")
        crash = site.url + "timing/ok-crash.html"
        log, stats = run_mechanisms(tmp_path, [*failing, bomb, crash], crash=[crash], DOWNLOAD_TIMEOUT=2)
    records = log_records(log)
    assert "Error downloading" not in log
    # the one traceback is the callback's bug, logged by Scrapy as a spider error
    with_traceback = [text for _, _, text in records if "Traceback (most recent call last)" in text]
    assert len(with_traceback) == 1, with_traceback
    assert f"Spider error processing <GET {crash}>" in with_traceback[0]
    assert "RuntimeError: injected callback bug" in with_traceback[0]
    assert stats["log_count/ERROR"] == 1
    for url, (cause, words, attempts) in failing.items():
        lines = [(name, level, text) for name, level, text in records
                 if url in text and level in ("WARNING", "ERROR", "CRITICAL")]
        ours = [text for name, _, text in lines if name == "crawler.middlewares.failures"]
        assert len(ours) == 1, (url, lines)
        assert words in ours[0] and f"({attempts} attempt" in ours[0], ours[0]
        assert ours[0].count("\n") == 1, ours[0]  # one line
        others = [(name, text) for name, _, text in lines if name != "crawler.middlewares.failures"]
        # Scrapy's download handler says once, in one line, that it cancels a body over DOWNLOAD_MAXSIZE.
        assert all(name == "scrapy.core.downloader.handlers.http11" and "max size" in text for name, text in others)
        assert len(others) == (1 if cause == "too_large" else 0), others
    assert stats["fetch/failed/connection"] == 1
    assert stats["fetch/failed/timeout"] + stats.get("fetch/failed/slow_body", 0) == 2
    assert stats["fetch/failed/too_large"] == 1 and stats["fetch/failed/http_5xx"] == 1
    assert stats["fetch/failed/http_429"] == 1 and stats["fetch/retry_after/too_long"] == 1
    assert "fetch/retry_after" not in stats
    [bomb_line] = [text for _, level, text in records if bomb in text and level == "WARNING"]
    assert "[crawler.middlewares.compression]" in bomb_line and "inflates past DOWNLOAD_MAXSIZE" in bomb_line
    assert stats["fetch/failed/decompression_bomb"] == 1


def test_dead_settings_are_gone() -> None:
    from scrapy.settings import default_settings

    assert not hasattr(project_settings, "REQUEST_FINGERPRINTER_IMPLEMENTATION")
    assert not hasattr(default_settings, "REQUEST_FINGERPRINTER_IMPLEMENTATION")  # Scrapy no longer reads it
