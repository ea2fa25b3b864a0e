"""The web console in a real browser (Debian's chromium, headless, driven by Playwright), as an archivist uses it.

The archivist starts ``scrapy archive-web`` over an empty archive, logs in with the one-time link it
prints, adds a job for the demo site (site profile ``demo``, the demo server's URL), clicks "Run now",
watches the job's run finish on the jobs page, opens the crawl report, searches an Arabic word typed
without its diacritics and finds the seed article, opens it, sees the donation appeal ("ادعم عنب
بلدي") listed as removed, and opens the archived page in replay (ReplayWeb.page and the crawl's WACZ
served by the console's replay origin — the same address, another port — in a frame of the console's
page), where the article's headline shows in the replay frame; a script on the replay origin cannot
read the console's pages (no CORS: another origin).

A screenshot of each step is written to ``test-artifacts/console/`` (gitignored; the path is printed); with
``CONSOLE_DOCS_SCREENSHOTS=1`` the article and crawl-report ones are also copied to ``docs/console-article.png``
and ``docs/console-crawl-report.png`` (how the README's and docs/console.md's screenshots were made).
No request of the browser goes anywhere but 127.0.0.1, and none to the demo site itself.

Needs ``make test``'s prerequisites: Debian chromium (``make system-deps``) and ReplayWeb.page
(``make replayweb``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo.server import DemoServer
from demo.site import load_articles
from tests.conftest import PROJECT_ROOT
from tests.support.browser import ChromiumSession
from tests.support.replay import REPLAYWEB_PACKAGE, archived_frame
from tests.test_console import Served

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "console"
CRAWL_TIMEOUT_S = 240
REPLAY_TIMEOUT_S = 120
# "تسجيلًا" in the seed article's first paragraph, typed without its tanween; the search index
# (archive.search) normalises diacritics, hamza and ta marbuta on both sides.
QUERY_WITHOUT_DIACRITICS = "تسجيلا"
QUERY_AS_WRITTEN = "تسجيلًا"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not (REPLAYWEB_PACKAGE / "ui.js").is_file(), reason="ReplayWeb.page missing: make replayweb")
def test_archivist_plans_runs_reads_and_replays(tmp_path: Path) -> None:
    seed = next(article for article in load_articles() if article.seed)
    archive = tmp_path / "archive"
    plan = tmp_path / "crawls.toml"  # no plan yet: the archivist's first job creates it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    print(f"console screenshots: {ARTIFACTS}")
    index_available = importlib.util.find_spec("archive.search") is not None
    with DemoServer() as demo:
        demo_origins = {urlsplit(demo.url).netloc, urlsplit(demo.cdn_url).netloc}
        served = Served("--plan", str(plan), "-s", f"ARCHIVE_URI={archive}", "-s", "AUTOTHROTTLE_ENABLED=False",
                        "-s", "DOWNLOAD_DELAY=0", "-s", "ARCHIVE_PROGRESS_FILE_INTERVAL=1")
        try:
            with ChromiumSession(viewport=(1360, 1000), timeout_ms=60_000) as browser:
                page = browser.new_page()

                def shot(name: str, full_page: bool = True) -> None:
                    browser.screenshot(page, ARTIFACTS / f"{name}.png", full_page=full_page)

                # 1. log in with the one-time link: the jobs page, with no plan yet
                page.goto(served.login_url)
                assert urlsplit(page.url).path == "/"
                assert page.locator("button", has_text="Log out").count() == 1
                shot("01-logged-in")

                # 2. add a job for the demo site
                form = page.locator("form.addjob")
                form.locator("input[name=name]").fill("demo")
                form.locator("input[name=site]").fill("demo")
                form.locator("input[name=url]").fill(demo.url)
                form.locator("input[name=every]").fill("6h")
                form.locator("button", has_text="Add job").click()
                page.wait_for_load_state("load")
                assert "Job demo added" in page.inner_text(".flash.ok")
                row = page.locator("#job-demo")
                assert "never run" in row.inner_text()
                assert 'name = "demo"' in plan.read_text("utf-8")
                shot("02-job-added")

                # 3. run it now, and watch it run and finish (the page reloads itself while a crawl runs)
                row.locator("button", has_text="Run now").click()
                page.wait_for_load_state("load")
                assert "Job demo started" in page.inner_text(".flash.ok")
                deadline = time.monotonic() + CRAWL_TIMEOUT_S
                seen_running = seen_progress = False
                status = ""
                while time.monotonic() < deadline:
                    status = page.locator("#job-demo [data-testid=status]").inner_text().strip()
                    if status == "running":
                        if not seen_running or (not seen_progress and page.locator("#job-demo [data-testid=progress]").count()):
                            seen_progress = page.locator("#job-demo [data-testid=progress]").count() > 0
                            shot("03-running")  # live progress (pages/s, queue, articles, failures) once written
                        seen_running = True
                    elif status in ("ok", "needs attention", "failed"):
                        break
                    page.wait_for_timeout(1_000)
                    page.reload()
                assert seen_running
                assert status in ("ok", "needs attention"), page.inner_text("#job-demo")
                shot("04-finished")

                # 4. the crawl report
                page.locator("#job-demo td a").first.click()
                page.wait_for_load_state("load")
                assert page.locator("[data-testid=crawl-status]").inner_text().strip() == "finished"
                report = page.inner_text("main")
                assert "25 article records written" in report
                assert urlsplit(demo.url).netloc in report  # the per-host table
                assert page.locator("a", has_text=".wacz").count() == 1
                page.locator("button", has_text="Run archive-verify").click()  # verification on demand
                page.wait_for_load_state("load")
                deadline = time.monotonic() + 120
                while not page.locator("[data-testid=verify-summary]").count() and time.monotonic() < deadline:
                    page.wait_for_timeout(1_000)
                    page.reload()
                assert "0 faults" in page.inner_text("[data-testid=verify-summary]")
                shot("05-crawl-report")

                # 5. search an Arabic word typed without diacritics
                query = QUERY_WITHOUT_DIACRITICS if index_available else QUERY_AS_WRITTEN
                page.locator("header .quicksearch input[name=q]").fill(query)
                page.locator("header .quicksearch input[name=q]").press("Enter")
                page.wait_for_load_state("load")
                assert urlsplit(page.url).path == "/search"
                result = page.locator("ol.articles a.title", has_text=_norm(seed.title))
                assert result.count() == 1, page.inner_text("main")[:3000]
                if index_available:  # the search index answered (no fallback notice), the match highlighted
                    assert page.locator(".flash.warn").count() == 0, page.inner_text(".flash.warn")
                    assert QUERY_AS_WRITTEN in page.locator("ol.articles mark").all_inner_texts()
                shot("06-search")

                # 6. the article: clean text, dates with their source, the donation appeal listed as removed
                result.click()
                page.wait_for_load_state("load")
                assert _norm(page.inner_text("[data-testid=article-title]")) == _norm(seed.title)
                assert _norm(seed.paragraphs[0]) in _norm(page.inner_text("section.text"))
                removed = page.inner_text("[data-testid=removed]")
                assert "ادعم عنب بلدي" in removed and "donation" in removed
                assert "ادعم عنب بلدي" not in page.inner_text("section.text")
                images = page.evaluate("() => Array.from(document.querySelectorAll('.images img'))"
                                       ".map((img) => img.complete && img.naturalWidth > 0)")
                assert images and all(images)  # photos out of the WARC
                shot("07-article")

                # 7. the archived page in replay: the headline in the replay frame
                page.locator("[data-testid=replay-link]").click()
                page.wait_for_load_state("load")
                seed_url = demo.url.rstrip("/") + seed.path
                deadline = time.monotonic() + REPLAY_TIMEOUT_S
                headline = None
                while time.monotonic() < deadline:
                    frame = archived_frame(page, seed_url)
                    if frame is not None:
                        locator = frame.locator("h1.entry-title")
                        try:
                            if locator.count() and locator.first.is_visible():
                                headline = _norm(locator.first.inner_text())
                                break
                        except Exception:  # the frame navigated while being read
                            pass
                    page.wait_for_timeout(500)
                page.wait_for_timeout(1_000)
                shot("08-replay", full_page=False)
                assert headline == _norm(seed.title), ([f.url for f in page.frames], browser.console[-20:])
                # the replay runs on the replay origin, framed by the console's page
                replay_origin = served.replay_url.rstrip("/")
                assert replay_origin != served.url.rstrip("/")
                assert urlsplit(page.url).netloc == urlsplit(served.url).netloc
                src = page.locator("[data-testid=replay-frame]").get_attribute("src") or ""
                assert src.startswith(f"{replay_origin}/replay/"), src
                assert archived_frame(page, seed_url).url.startswith(f"{replay_origin}/"), archived_frame(page, seed_url).url
                # a script there cannot read the console's pages (nor the CSRF tokens in their forms)
                read_console = ("(url) => fetch(url, {credentials: 'include'}).then((r) => r.text())"
                                ".then((text) => 'read: ' + text, (error) => 'blocked: ' + error)")
                holder = next(f for f in page.frames if f.url.startswith(f"{replay_origin}/replay/")
                              and urlsplit(f.url).path.count("/") == 3)
                got = holder.evaluate(read_console, served.url)
                assert got.startswith("blocked: "), got[:500]
                print(f"fetch of the console from the replay origin's page: {got[:120]}")
                frame = archived_frame(page, seed_url)  # the archived page itself (its fetch is ReplayWeb.page's)
                got = frame.evaluate(read_console, served.url)
                assert "csrf_token" not in got and "Log out" not in got, got[:500]
                print(f"fetch of the console from the archived page: {got[:120]}")

                # nothing left 127.0.0.1, and the demo site itself was never asked by the browser
                hosts = {urlsplit(r.url).hostname for r in browser.requests if r.url.startswith("http")}
                assert hosts == {"127.0.0.1"}, hosts
                asked_demo = [r.url for r in browser.requests if urlsplit(r.url).netloc in demo_origins]
                assert asked_demo == []
        finally:
            served.stop()
    print(f"console screenshots: {sorted(p.name for p in ARTIFACTS.glob('*.png'))} in {ARTIFACTS}")
    if os.environ.get("CONSOLE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(ARTIFACTS / "07-article.png", PROJECT_ROOT / "docs" / "console-article.png")
        shutil.copyfile(ARTIFACTS / "05-crawl-report.png", PROJECT_ROOT / "docs" / "console-crawl-report.png")
