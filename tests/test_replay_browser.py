"""A crawl replayed as a person would see it: pywb and ReplayWeb.page in headless Chromium.

The demo site is crawled once for the module, then STOPPED, so that whatever the replayed page shows
comes from the archive. Then:

* pywb (``wb-manager`` collection of the crawl's WARCs, ``wayback`` on a free port) replays the seed
  article (the Enab Baladi Arabic article marked ``seed`` in demo/articles.json) in Chromium: its
  headline and body text are visible, every request went to the replay server (none to the stopped demo
  origins or anywhere else), every ``<img>`` decoded (``naturalWidth > 0``), the theme stylesheet applied
  and every web font the page declares loaded from the archive; a screenshot is written;
* ``scrapy archive-pack`` packs the crawl's WACZ, ``wacz validate`` accepts it, and ReplayWeb.page
  (served locally with range requests) replays the same article from it in the same browser, again
  asking nothing of any other origin.

Needs ``make test``'s prerequisites: Debian chromium (``make system-deps``), ReplayWeb.page
(``make replayweb``) and pywb (``make tools``).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo import templates as demo_templates
from demo.server import DemoServer
from demo.site import Article, load_articles
from tests.conftest import PROJECT_ROOT, CrawlResult, run_crawl
from tests.support.browser import ChromiumSession, RecordedRequest, foreign_requests
from tests.support.replay import PywbServer, ReplayWebServer, archived_frame, capture_timestamp

CRAWL_ID = "replay"
LOAD_TIMEOUT_MS = 60_000
REPLAYWEB_TIMEOUT_S = 120  # the service worker installs, then reads the WACZ by ranges


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class ReplayCrawl:
    result: CrawlResult
    base: str  # the demo site's URL while it ran, without the trailing slash
    demo_origins: list[str]  # host:port of the demo site and of its image CDN, both stopped
    seed: Article
    seed_url: str
    timestamp: str
    screenshots: Path

    @property
    def warc_dir(self) -> Path:
        return self.result.archive / "warc" / self.result.crawl_id

    @property
    def wacz(self) -> Path:
        return self.warc_dir / f"{self.result.crawl_id}.wacz"


@pytest.fixture(scope="module")
def replay_crawl(tmp_path_factory: pytest.TempPathFactory) -> ReplayCrawl:
    """One crawl of the demo site, which is stopped once the crawl is done."""
    seed = next(article for article in load_articles() if article.seed)
    archive = tmp_path_factory.mktemp("replay-archive")
    with DemoServer() as demo:
        base = demo.url.rstrip("/")
        origins = [base] + ([demo.cdn_url] if getattr(demo, "cdn_url", None) else [])  # its image CDN too
        result = run_crawl(archive, ["site=demo", f"url={demo.url}"], crawl_id=CRAWL_ID)
    assert result.returncode == 0, result.log[-5000:]
    for origin in origins:
        with pytest.raises(OSError):  # the demo site is down: a replay can only show what was archived
            socket.create_connection((urlsplit(origin).hostname, urlsplit(origin).port), timeout=2).close()
    seed_url = base + seed.path
    return ReplayCrawl(result, base, [urlsplit(o).netloc for o in origins], seed, seed_url,
                       capture_timestamp(result.warc_paths(), seed_url), tmp_path_factory.mktemp("replay-screenshots"))


@pytest.fixture(scope="module")
def browser() -> Iterator[ChromiumSession]:
    with ChromiumSession(timeout_ms=LOAD_TIMEOUT_MS) as session:
        yield session


# -- pywb --------------------------------------------------------------------------------------------


@dataclass
class OpenedReplay:
    page: Any  # playwright Page
    frame: Any  # playwright Frame of the archived page
    requests: list[RecordedRequest]
    allowed: str  # host:port of the replay server
    screenshot: Path


def _settle(frame: Any) -> None:
    """Bring every image into view (lazy loading), then wait for images and fonts to finish."""
    images = frame.locator("img")
    for i in range(images.count()):
        try:
            images.nth(i).scroll_into_view_if_needed(timeout=5_000)
        except Exception:  # a hidden image cannot be scrolled to; it is still checked
            pass
    frame.evaluate("() => window.scrollTo(0, 0)")
    frame.wait_for_function("() => Array.from(document.images).every((img) => img.complete)",
                            timeout=LOAD_TIMEOUT_MS)
    frame.evaluate("() => document.fonts.ready.then(() => true)")


@pytest.fixture(scope="module")
def pywb_replay(replay_crawl: ReplayCrawl, browser: ChromiumSession) -> Iterator[OpenedReplay]:
    """The seed article opened in pywb's framed replay, settled, with the requests it made."""
    with PywbServer(replay_crawl.result.warc_paths(), collection="news") as pywb:
        mark = browser.mark()
        page = browser.open(pywb.replay_url(replay_crawl.seed_url, replay_crawl.timestamp))
        deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
        while (frame := archived_frame(page, replay_crawl.seed_url)) is None and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert frame is not None, [f.url for f in page.frames]
        frame.wait_for_load_state("load")
        _settle(frame)
        page.wait_for_load_state("networkidle")
        shot = browser.screenshot(page, replay_crawl.screenshots / "pywb-seed-article.png")
        print(f"pywb replay screenshot: {shot}")
        yield OpenedReplay(page, frame, browser.requests_since(mark), pywb.origin, shot)
        page.close()


def test_pywb_shows_the_seed_article_text(replay_crawl: ReplayCrawl, pywb_replay: OpenedReplay) -> None:
    frame, seed = pywb_replay.frame, replay_crawl.seed
    headline = frame.locator("h1.entry-title")
    assert headline.is_visible()
    assert _norm(headline.inner_text()) == _norm(seed.title)
    body = frame.locator(".entry-content")
    assert body.is_visible()
    text = _norm(body.inner_text())
    for paragraph in seed.paragraphs:
        assert _norm(paragraph) in text
    first = frame.locator(".entry-content p").first
    assert first.is_visible() and _norm(first.inner_text()) == _norm(seed.paragraphs[0])
    assert pywb_replay.screenshot.stat().st_size > 10_000


def test_pywb_replay_asks_nothing_of_other_origins(replay_crawl: ReplayCrawl, pywb_replay: OpenedReplay) -> None:
    requests = pywb_replay.requests
    assert requests, "no request recorded"
    foreign = foreign_requests(requests, pywb_replay.allowed)
    assert foreign == [], "\n".join(f"{r.resource_type} {r.url}" for r in foreign)
    assert not [r.url for r in requests if urlsplit(r.url).netloc in replay_crawl.demo_origins]
    # the page's own resources came through the replay server
    assert any(r.resource_type == "document" and "mp_/" in r.url for r in requests)


def test_pywb_replay_images_decoded(pywb_replay: OpenedReplay) -> None:
    images = pywb_replay.frame.evaluate(
        "() => Array.from(document.images).map((img) => ({src: img.currentSrc || img.src,"
        " width: img.naturalWidth, complete: img.complete}))"
    )
    assert images, "the replayed article has no <img>"
    broken = [img["src"] for img in images if not img["width"]]
    assert broken == [], f"{len(broken)} of {len(images)} images did not load from the archive: {broken}"


def test_pywb_replay_theme_stylesheet_applied(pywb_replay: OpenedReplay) -> None:
    # rules of the theme's /wp-content/themes/enab/style.css (demo/templates.py), not of the page's inline <style>
    assert 'body{font-family:"Noto Naskh Arabic"' in demo_templates.STYLESHEET
    style = pywb_replay.frame.evaluate(
        """() => ({
            sheets: Array.from(document.styleSheets).map((s) => s.href || ''),
            bodyFont: getComputedStyle(document.body).fontFamily,
            contentDisplay: getComputedStyle(document.querySelector('.site-content')).display,
            navDisplay: getComputedStyle(document.querySelector('.main-navigation ul')).display,
        })"""
    )
    assert any("/wp-content/themes/enab/style.css" in href for href in style["sheets"]), style["sheets"]
    assert "Noto Naskh Arabic" in style["bodyFont"], style
    assert style["contentDisplay"] == "flex" and style["navDisplay"] == "flex", style


def test_pywb_replay_web_fonts_loaded(pywb_replay: OpenedReplay) -> None:
    """Every @font-face the page declares loads (from the archive: no other origin is asked)."""
    fonts = pywb_replay.frame.evaluate(
        """async () => {
            const out = [];
            for (const face of document.fonts) {
                try { await face.load(); } catch (e) { /* status says error */ }
                out.push({family: face.family, status: face.status});
            }
            return out;
        }"""
    )
    if "@font-face" in demo_templates.STYLESHEET:  # the theme declares a web font: it is there to load
        assert fonts, "the theme's @font-face is missing from the replayed page"
    failed = [font for font in fonts if font["status"] != "loaded"]
    assert failed == [], fonts


# -- WACZ and ReplayWeb.page -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packed_wacz(replay_crawl: ReplayCrawl) -> Path:
    """The crawl's WACZ, packed again from its WARCs by ``scrapy archive-pack``."""
    replay_crawl.wacz.unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "archive-pack", CRAWL_ID, "-s", f"ARCHIVE_URI={replay_crawl.result.archive}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert replay_crawl.wacz.is_file()
    return replay_crawl.wacz


def test_wacz_validate_accepts_the_package(packed_wacz: Path) -> None:
    wacz = Path(sys.executable).with_name("wacz")  # py-wacz, a test extra
    proc = subprocess.run([str(wacz), "validate", "-f", str(packed_wacz)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is valid" in proc.stdout


def test_replaywebpage_replays_the_seed_article(replay_crawl: ReplayCrawl, packed_wacz: Path,
                                                browser: ChromiumSession) -> None:
    seed = replay_crawl.seed
    with ReplayWebServer(packed_wacz, replay_crawl.seed_url, timestamp=replay_crawl.timestamp) as server:
        mark = browser.mark()
        page = browser.open(server.page_url)
        try:
            # <replay-web-page> holds an iframe in its shadow DOM; ReplayWeb.page's app in it holds the
            # archived page's iframe in its own shadow DOM: Playwright's page.frames lists them all.
            deadline = time.monotonic() + REPLAYWEB_TIMEOUT_S
            headline = frame = None
            while time.monotonic() < deadline:
                frame = archived_frame(page, replay_crawl.seed_url)
                if frame is not None:
                    locator = frame.locator("h1.entry-title")
                    try:
                        if locator.count() and locator.first.is_visible():
                            headline = _norm(locator.first.inner_text())
                            break
                    except Exception:  # the frame navigated while being read
                        pass
                page.wait_for_timeout(500)
            if headline is not None:
                _settle(frame)
                page.wait_for_timeout(1_000)  # ReplayWeb.page keeps its own requests going: no network idle
            shot = browser.screenshot(page, replay_crawl.screenshots / "replaywebpage-seed-article.png")
            print(f"ReplayWeb.page screenshot: {shot}")
            assert headline == _norm(seed.title), (
                f"no headline in ReplayWeb.page after {REPLAYWEB_TIMEOUT_S} s; frames {[f.url for f in page.frames]};"
                f" console {browser.console[-20:]}"
            )
            requests = browser.requests_since(mark)
            foreign = browser.foreign_requests(server.origin, mark)
            assert foreign == [], "\n".join(f"{r.resource_type} {r.url}" for r in foreign)
            assert any(r.url.endswith("/crawl.wacz") for r in requests)
            assert any(r.service_worker for r in requests), "the service worker's requests were not recorded"
            # ReplayWeb.page read the package by ranges
            ranges = [rng for method, path, rng in server.requests if path == "/crawl.wacz" and method == "GET"]
            assert ranges and all(ranges), ranges
        finally:
            page.close()
