"""The web console over an s3:// archive (SeaweedFS on 127.0.0.1): crawl report, article, image out of a WARC,
WACZ by ranges and downloads, with the WARC and WACZ copied once into ARCHIVE_WEB_CACHE_DIR."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scrapy.settings import Settings

import crawler.settings as project_settings
from crawler.web.app import create_app
from crawler.web.replay import create_replay_app
from demo.seaweed import SeaweedFS
from tests.conftest import run_crawl

BUCKET = "news-console"
CRAWL = "console-s3"


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    server = SeaweedFS(tmp_path_factory.mktemp("seaweed")).start()
    yield server
    server.kill()


def test_console_over_s3(seaweed, demo_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seaweed.create_bucket(BUCKET)
    result = run_crawl(tmp_path / "unused", ["site=demo", f"url={demo_server.url}", "max_articles=4"],
                       [*seaweed.settings(BUCKET, "arch"), f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool'}"], crawl_id=CRAWL)
    assert result.returncode == 0, result.log[-3000:]
    settings = Settings()
    settings.setmodule(project_settings)
    for pair in [*seaweed.settings(BUCKET, "arch"), f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool2'}",
                 f"ARCHIVE_WEB_CACHE_DIR={tmp_path / 'cache'}"]:
        name, value = pair.split("=", 1)
        settings.set(name, value, priority="cmdline")
    plan = tmp_path / "crawls.toml"
    app = create_app(settings, plan)
    client = app.test_client()
    report = client.get(f"/crawls/{CRAWL}")
    assert report.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report.get_data(as_text=True)))
    assert "4 article records written" in text and "s3://" in text
    hosts = app.extensions["console"].view.hosts(CRAWL)  # the per-host table, from the CDXJ in S3
    assert any(h["host"].startswith("127.0.0.1:") and h["captures"] > 4 and dict(h["status"]).get("200")
               for h in hosts), (hosts, text[:3000])
    articles = client.get("/articles").get_data(as_text=True)
    ids = re.findall(r'href="/articles/([0-9a-f]{24})"', articles)
    assert len(ids) == 4
    images = []
    for article_id in ids:
        page = client.get(f"/articles/{article_id}").get_data(as_text=True)
        assert "Open the archived page" in page
        images += re.findall(r'src="(/articles/[0-9a-f]+/images/\d+)"', page)
    assert images
    image = client.get(images[0])
    assert image.status_code == 200 and image.mimetype.startswith("image/") and len(image.data) > 100
    replay = create_replay_app(settings, view=app.extensions["console"].view).test_client()  # the replay origin
    wacz = replay.get(f"/replay/{CRAWL}/crawl.wacz", headers={"Range": "bytes=0-3"})
    assert wacz.status_code == 206 and wacz.data == b"PK\x03\x04"
    cached = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert f"{CRAWL}.wacz" in cached and any(name.endswith(".warc.gz") for name in cached)
    names = re.findall(rf'href="/crawls/{CRAWL}/files/([^"]+)"', report.get_data(as_text=True))
    assert any(n.endswith(".warc.gz") for n in names)
    assert client.get(f"/crawls/{CRAWL}/files/{names[0]}").status_code == 200
    assert json.loads(json.dumps(app.extensions["console"].view.hosts(CRAWL)))  # plain data
    assert seaweed.secret_key not in report.get_data(as_text=True)
