"""-a since / -a until / -a max_articles on the demo site."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import run_crawl

ARTICLES = json.loads((Path(__file__).parents[1] / "demo" / "articles.json").read_text("utf-8"))


def _path(a: dict) -> str:
    return f"/archives/{a['id']}" if a["lang"] == "ar" else f"/en/archives/{a['id']}"


def _day(value: str) -> date:
    return datetime.fromisoformat(value).date()


def test_since_until_window_skips_before_fetching(tmp_path):
    from demo.server import DemoServer

    since, until = date(2021, 1, 1), date(2023, 12, 31)
    with DemoServer() as server:
        result = run_crawl(
            tmp_path, ["site=demo", f"url={server.url}", f"since={since}", f"until={until}", "depth=0"], crawl_id="win"
        )
        fetched = {path for method, path, _ in server.requests}
    assert result.returncode == 0, result.log[-3000:]
    got = {urlsplit(r["url"]).path for _, r in result.articles()}
    inside = {_path(a) for a in ARTICLES if since <= _day(a["published"]) <= until}
    # Every article is dated (pages without metadata from their byline), so the window is exact.
    assert inside and got == inside
    assert all(r["published"] for _, r in result.articles())
    assert result.stats.get("news/window/dropped", 0) >= 1  # fetched via sitemap lastmod, dropped by its byline date
    # An article last modified before `since` is proven old by its sitemap lastmod: never fetched.
    old = {_path(a) for a in ARTICLES if _day(a.get("modified") or a["published"]) < since}
    assert old and not (old & fetched)
    assert result.stats["news/skipped/out_of_window"] >= len(old)
    for _, rec in result.articles():
        assert rec["published"] is None or since <= _day(rec["published"]) <= until


def test_max_articles(demo_server, tmp_path):
    result = run_crawl(tmp_path, ["site=demo", f"url={demo_server.url}", "max_articles=3"], crawl_id="max")
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.articles()) == 3
    assert result.manifest["finish_reason"] == "max_articles"
    assert result.manifest["counts"]["articles_written"] == 3
