"""End-to-end: crawl the bundled demo site with `scrapy crawl news` and check the archive
the way archivists' tools read it (warcio check, ArchiveIterator) plus the JSON contract."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.schema import validate_article
from demo.site import render
from tests.conftest import SEED, CrawlResult

ARTICLES = json.loads((Path(__file__).parents[1] / "demo" / "articles.json").read_text("utf-8"))


def article_path(a: dict) -> str:
    return f"/archives/{a['id']}" if a["lang"] == "ar" else f"/en/archives/{a['id']}"


def read_records(result: CrawlResult) -> list:
    records = []
    for path in result.warc_paths():
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh, no_record_parse=False):
                body = rec.content_stream().read() if rec.rec_type != "response" else rec.raw_stream.read()
                records.append((path.name, rec, body))
    return records


@pytest.fixture(scope="module")
def records(demo_crawl):
    return read_records(demo_crawl)


def test_crawl_finished_and_manifest(demo_crawl):
    m = demo_crawl.manifest
    assert m["status"] == "finished" and m["finish_reason"] == "finished"
    assert m["crawl_id"] == "demo-e2e" and m["site"] == "demo"
    assert m["arguments"]["site"] == "demo"
    assert m["counts"]["articles_written"] == len(ARTICLES)
    assert m["counts"]["warc_files"] == len(demo_crawl.warc_paths()) >= 1
    assert m["counts"]["warc_bytes"] == sum(p.stat().st_size for p in demo_crawl.warc_paths())
    assert m["stats"].get("log_count/ERROR", 0) == 0, demo_crawl.log[-3000:]
    assert "ARCHIVE_URI" in m["settings"]
    # The demo site is healthy: no alert, no page taken for a bot check (docs/alerts.md).
    assert m["alerts"] == [] and m["stats"]["alerts/raised"] == 0
    assert m["challenge_pages"] == {"total": 0, "listed": []}
    assert not (demo_crawl.archive / "alerts").exists()


def test_warcio_check_passes(demo_crawl):
    warcio = Path(sys.executable).with_name("warcio")
    for path in demo_crawl.warc_paths():
        proc = subprocess.run([str(warcio), "check", "-v", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "digest pass" in proc.stdout and "fail" not in proc.stdout


def test_every_file_opens_with_warcinfo(demo_crawl):
    for path in demo_crawl.warc_paths():
        with open(path, "rb") as fh:
            first = next(iter(ArchiveIterator(fh)))
            assert first.rec_type == "warcinfo"
            info = first.content_stream().read().decode()
        assert "isPartOf: demo-e2e" in info and "robots: obey" in info and "software: news-archive-crawler" in info
        assert first.rec_headers.get_header("WARC-Filename") == path.name
        assert first.rec_headers.protocol == "WARC/1.1"


def test_every_fetched_url_has_request_and_response(demo_crawl, demo_server, records):
    by_type: dict[str, list[str]] = defaultdict(list)
    for _, rec, _ in records:
        uri = rec.rec_headers.get_header("WARC-Target-URI")
        if uri:
            # a revisit (same URL fetched again with an identical payload) stands for a response
            by_type["response" if rec.rec_type == "revisit" else rec.rec_type].append(urlsplit(uri).path + (f"?{urlsplit(uri).query}" if urlsplit(uri).query else ""))
    served = [path for method, path, _ in demo_server.requests if method == "GET"]
    assert sorted(by_type["response"]) == sorted(by_type["request"])
    # every request the server received for this crawl is in the WARC (other tests may add more later)
    for path in set(by_type["response"]):
        assert path in served
    assert len(by_type["response"]) == demo_crawl.stats["downloader/response_count"]
    paths = set(by_type["response"])
    assert "/robots.txt" in paths and "/sitemap.xml" in paths and "/feed/" in paths and "/en/feed/" in paths
    assert "/news-sitemap.xml" in paths and "/sitemap-posts.xml" in paths
    for a in ARTICLES:
        assert article_path(a) in paths


def test_request_response_linked(records):
    responses = {rec.rec_headers.get_header("WARC-Record-ID"): rec for _, rec, _ in records
                 if rec.rec_type in ("response", "revisit")}
    requests = [rec for _, rec, _ in records if rec.rec_type == "request"]
    assert len(requests) == len(responses)
    for req in requests:
        target = responses[req.rec_headers.get_header("WARC-Concurrent-To")]
        assert target.rec_headers.get_header("WARC-Target-URI") == req.rec_headers.get_header("WARC-Target-URI")
        assert req.http_headers.get_header("User-Agent").startswith("NewsArchiveCrawler/")
        assert req.http_headers.get_header("Host").startswith(("127.0.0.1:", "127.0.0.2:"))  # the site and its image host


def test_redirect_and_errors_archived(records):
    statuses = {}
    for _, rec, _ in records:
        if rec.rec_type == "response":
            statuses.setdefault(urlsplit(rec.rec_headers.get_header("WARC-Target-URI")).path, set()).add(
                rec.http_headers.get_statuscode()
            )
    assert any("301" in s for p, s in statuses.items() if p.startswith("/old-news/"))
    assert any("404" in s for s in statuses.values())


def test_gzip_pages_stored_compressed(demo_server, records):
    gz = [(rec, body) for _, rec, body in records if rec.rec_type == "response"
          and (rec.http_headers.get_header("Content-Encoding") or "") == "gzip"]
    assert len(gz) >= 3
    for rec, body in gz:
        assert body[:2] == b"\x1f\x8b"
        assert int(rec.http_headers.get_header("Content-Length")) == len(body)
        path = urlsplit(rec.rec_headers.get_header("WARC-Target-URI")).path
        status, _, expected = render(path, base_url=demo_server.url.rstrip("/"))
        assert gzip.decompress(body) == expected


def test_article_json_valid_and_complete(demo_crawl):
    records = demo_crawl.articles()
    assert len(records) == len(ARTICLES)
    urls = set()
    for path, rec in records:
        validate_article(rec)
        assert path.name == f"{rec['id']}.json"
        assert rec["site"] == "demo" and rec["extractor"]["profile"] == "demo"
        assert rec["http_status"] == 200
        assert "\n\n" in rec["text"] and "\n\n\n" not in rec["text"]
        urls.add(urlsplit(rec["url"]).path)
        raw = path.read_text("utf-8")
        assert "\\u06" not in raw  # UTF-8, not ASCII-escaped
    assert urls == {article_path(a) for a in ARTICLES}
    # non-articles never become records
    assert not any(p.startswith(("/category/", "/tag/", "/about", "/en/about")) for p in urls)


def test_warc_pointer_opens_response_record(demo_crawl):
    for _, rec in demo_crawl.articles():
        ptr = rec["warc"]
        with open(demo_crawl.archive / "warc" / demo_crawl.crawl_id / ptr["file"], "rb") as fh:
            fh.seek(ptr["offset"])
            chunk = fh.read(ptr["length"])
        record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == ptr["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == rec["url"]


def test_seed_article(demo_crawl):
    seed_lines = [line.strip() for line in SEED.read_text("utf-8").splitlines() if line.strip()]
    first = next(i for i, line in enumerate(seed_lines) if line.startswith("نشر فصيل"))
    last = next(i for i, line in enumerate(seed_lines) if line.endswith("حسب الإمكانيات المتاحة."))
    body = seed_lines[first : last + 1]
    rec = next(r for _, r in demo_crawl.articles() if r["url"].endswith("/archives/372146"))
    assert rec["title"] == seed_lines[0]
    assert rec["language"] == "ar"
    # exactly the body, from "نشر فصيل" to "حسب الإمكانيات المتاحة." with the subheading
    assert rec["text"] == "\n\n".join(body)
    assert "النشاط بعد حماة" in rec["text"].split("\n\n")
    caption = next(line for line in seed_lines if line.startswith("camera icon"))[len("camera icon"):]
    assert [i["caption"] for i in rec["images"] if i["caption"]] == [caption]
    kinds = {r["kind"] for r in rec["removed"]}
    assert {"donation", "widget"} <= kinds


FURNITURE = ["camera icon", "tag icon", "ع ع ع", "A A A", "ادعم عنب بلدي", "دولار واحد شهريًا", "اضغط هنا",
             "Support Enab Baladi", "One dollar a month makes", "Click here to contribute", "اقرأ أيضًا", "Read also",
             "Facebook", "WhatsApp", "الإعلام الموجّه", "Directed media"]


def test_demo_texts_are_exactly_the_articles(demo_crawl):
    from demo.site import article_text, get_article

    for _, rec in demo_crawl.articles():
        article = get_article(int(rec["url"].rstrip("/").rsplit("/", 1)[1]))
        assert rec["text"] == "\n\n".join(article_text(article).splitlines()), rec["url"]
        for fragment in FURNITURE:
            assert fragment not in rec["text"], (rec["url"], fragment)
        for image in rec["images"]:
            assert "icon" not in (image["caption"] or "")


def test_scrapy_extract_from_warc_matches_crawl(demo_crawl):
    """`scrapy extract WARC --url URL` runs the crawl's code path on the archived response."""
    stored = {r["url"]: r for _, r in demo_crawl.articles()}
    for url in [u for u in stored if u.endswith(("/archives/372146", "/en/archives/421657"))]:
        rec = stored[url]
        warc = demo_crawl.archive / "warc" / demo_crawl.crawl_id / rec["warc"]["file"]
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "extract", str(warc), "--url", url, "--site", "demo",
             "-s", f"ARCHIVE_URI={demo_crawl.archive}"],
            cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["text"] == rec["text"]
        assert out["title"] == rec["title"]
        assert out["warc"] == rec["warc"]
        assert out["id"] == rec["id"]


def test_every_demo_article_dated_with_source(demo_crawl):
    from datetime import datetime as dt

    by_id = {a["id"]: a for a in ARTICLES}
    for _, rec in demo_crawl.articles():
        article = by_id[int(rec["url"].rstrip("/").rsplit("/", 1)[1])]
        expected = dt.fromisoformat(article["published"])
        assert rec["published"] and rec["published"][:10] == expected.date().isoformat(), rec["url"]
        if article["metadata"] == "jsonld":
            assert rec["published_source"] == "jsonld:datePublished"
            assert dt.fromisoformat(rec["published"]) == expected
            assert rec["published_tz_assumed"] is False
        elif article["metadata"] == "opengraph":
            assert rec["published_source"] == "meta:article:published_time"
            assert dt.fromisoformat(rec["published"]) == expected
        else:  # no metadata at all: the visible byline, as the profile's date_selector finds it
            assert rec["published_source"].startswith("byline:"), rec["published_source"]
        # the file lives under the publication day
        assert rec["id"] in {p.stem for p in (demo_crawl.archive / "articles" / "demo").glob(expected.strftime("%Y/%m/%d") + "/*.json")}


def test_seed_article_dated_from_its_byline(demo_crawl):
    rec = next(r for _, r in demo_crawl.articles() if r["url"].endswith("/archives/372146"))
    assert rec["published"] == "2020-03-25"
    assert rec["published_source"] == "byline:.date"
    assert rec["authors"] == ["عنب بلدي"]


def test_crawl_queues_on_disk(demo_crawl):
    """Without JOBDIR the crawl's scheduled requests went through Scrapy's disk queues (DiskQueueScheduler)."""
    stats = demo_crawl.manifest["stats"]
    assert stats["scheduler/enqueued/disk"] >= len(ARTICLES)
    assert stats.get("scheduler/enqueued/memory", 0) == 0
    assert stats["scheduler/dequeued/disk"] == stats["scheduler/enqueued/disk"]


def _referenced(html: bytes, base: str) -> set[str]:
    """What a browser loads for a page, read straight from its HTML (independently of crawler.embeds)."""
    from urllib.parse import urljoin

    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html)
    found: set[str] = set()

    def add(value: str | None) -> None:
        if value and not value.strip().startswith("data:"):
            found.add(urljoin(base, value.strip()).split("#", 1)[0])

    for img in tree.iter("img"):
        for attr in ("src", "data-src"):
            add(img.get(attr))
        for attr in ("srcset", "data-srcset"):
            for candidate in (img.get(attr) or "").split(","):
                add(candidate.split()[0] if candidate.split() else None)
    for source in tree.iter("source"):
        for candidate in (source.get("srcset") or "").split(","):
            add(candidate.split()[0] if candidate.split() else None)
    for link in tree.iter("link"):
        if {"stylesheet", "icon", "apple-touch-icon"} & set((link.get("rel") or "").lower().split()):
            add(link.get("href"))
    for script in tree.iter("script"):
        add(script.get("src"))
    for meta in tree.iter("meta"):
        if meta.get("property") == "og:image":
            add(meta.get("content"))
    return found


def test_every_resource_of_the_articles_archived_once(demo_crawl, records):
    """All images (every srcset candidate, lazy and <picture> sources, the image host), stylesheets and what
    they import, fonts and scripts the article pages reference are in the WARC, each fetched once."""
    import re
    from urllib.parse import urljoin

    responses: dict[str, list[bytes]] = defaultdict(list)  # URL -> decoded 2xx payloads (revisits: b"")
    for _name, rec, body in records:
        if rec.rec_type in ("response", "revisit") and rec.http_headers.get_statuscode().startswith("2"):
            if rec.rec_type == "response" and rec.http_headers.get_header("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            responses[rec.rec_headers.get_header("WARC-Target-URI")].append(body)
    article_urls = {u for u in responses if re.search(r"/archives/\d+$", urlsplit(u).path)}
    assert len(article_urls) >= len(ARTICLES)
    wanted: set[str] = set()
    for url in article_urls:
        wanted |= _referenced(responses[url][0], url)
    # What the stylesheets reference (@import, fonts, background images), read from the archived CSS.
    sheets = [u for u in wanted if urlsplit(u).path.endswith(".css")]
    while sheets:
        sheet = sheets.pop()
        css = responses[sheet][0].decode("utf-8")
        for ref in re.findall(r"""url\(\s*['"]?([^'")]+)|@import\s+(?:url\()?['"]([^'"]+)""", css):
            target = urljoin(sheet, ref[0] or ref[1])
            if target not in wanted:
                wanted.add(target)
                if urlsplit(target).path.endswith(".css"):
                    sheets.append(target)
    kinds = {urlsplit(u).path.rsplit(".", 1)[-1] for u in wanted}
    assert {"jpg", "webp", "png", "css", "woff2", "js"} <= kinds, kinds
    assert len({urlsplit(u).netloc for u in wanted}) == 2  # the site and its image host (a second origin)
    missing = sorted(u for u in wanted if u not in responses)
    assert not missing, missing
    twice = sorted(u for u in wanted if len(responses[u]) != 1)
    assert not twice, twice
    stats = demo_crawl.stats
    assert stats["resources/archived"] >= len(wanted)
    assert not any(k.startswith("resources/failed/") for k in stats), {k: v for k, v in stats.items() if "resources/" in k}
