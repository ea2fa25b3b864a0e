"""Page resources, end to end: a crawl of a two-origin site (pages + a CDN) fetches what a reader's browser
loads, once, archives each exchange with a metadata record naming the embedding page, says in the article
JSON which images were kept, caps hostile resources, and writes revisits on the next crawl."""

from __future__ import annotations

import gzip
import http.server
import io
import json
import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import run_crawl

GIF_PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 2000
WOFF2 = b"wOF2" + b"\x02" * 300
IMAGE_CAP = 100_000


class Origin:
    """A loopback HTTP server answering from a dict of path -> (content type, body or callable), logging requests."""

    def __init__(self, routes: dict[str, tuple[str, bytes]], special: dict[str, str] | None = None,
                 host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.special = special or {}
        self.hits: Counter[str] = Counter()
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                origin.hits[path] += 1
                kind = origin.special.get(path)
                if kind == "endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"\xff" * 65536
                    try:
                        for _ in range(10_000):  # 640 MB if nobody stops reading
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    except OSError:
                        return
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if kind == "huge":  # announces 1 GiB, sends slowly
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("Content-Length", str(1 << 30))
                    self.end_headers()
                    try:
                        for _ in range(100):
                            self.wfile.write(b"\x00" * 65536)
                    except OSError:
                        return
                    return
                if kind == "bomb":
                    body = gzip.compress(b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * 50_000_000, 9)
                    self.send_response(200)
                    self.send_header("Content-Type", "image/svg+xml")
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if path not in origin.routes:
                    body = b"not found"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                ctype, body = origin.routes[path]
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def article(title: str, body: str, head: str = "") -> bytes:
    paras = "".join(f"<p>Paragraph {i} of the story {title}, with enough words to be the article text.</p>" for i in range(5))
    return (
        f"<html lang='en'><head><title>{title}</title><meta property='og:type' content='article'>"
        f"<meta property='article:published_time' content='2025-03-24T10:00:00+00:00'>{head}"
        f"<link rel='stylesheet' href='/css/site.css'><link rel='icon' href='/favicon.ico'>"
        f"<script src='/js/app.js'></script></head>"
        f"<body><article><h1>{title}</h1>{body}{paras}</article>"
        f"<img src='/img/logo.png' alt='logo'></body></html>"
    ).encode()


@pytest.fixture()
def sites():
    # The CDN on another host (127.0.0.2): outside the crawl's site, its robots.txt still obeyed.
    cdn = Origin(host="127.0.0.2", routes={
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/img/photo-a-768.jpg": ("image/jpeg", JPEG),
        "/img/bg.png": ("image/png", PNG),
        "/private/secret.jpg": ("image/jpeg", JPEG),
    }, special=None)
    a_body = (
        f"<figure><img src='/img/photo-a.jpg' srcset='/img/photo-a-300.jpg 300w, {cdn.url}/img/photo-a-768.jpg 768w'>"
        "<figcaption>The photo</figcaption></figure>"
        f"<figure><img src='{GIF_PLACEHOLDER}' data-src='/img/lazy.png' class='lazyload'>"
        "<noscript><img src='/img/lazy.png'></noscript><figcaption>Lazy</figcaption></figure>"
        "<figure><img src='/img/missing.jpg'><figcaption>Gone</figcaption></figure>"
        f"<figure><img src='{cdn.url}/private/secret.jpg'><figcaption>Disallowed</figcaption></figure>"
        "<figure><img src='/img/endless.jpg'><figcaption>Endless</figcaption></figure>"
        "<figure><img src='/img/bomb.svg'><figcaption>Bomb</figcaption></figure>"
        "<video poster='/img/poster.jpg' controls><source src='/media/big.mp4' type='video/mp4'></video>"
    )
    many = "".join(f"<img src='/img/many/{i}.png'>" for i in range(10_000))
    site_routes = {
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
        "/": ("text/html", b"<html><body><h1>Home</h1><a href='/news/a.html'>a</a> <a href='/news/b.html'>b</a>"
                            b" <a href='/news/c.html'>c</a></body></html>"),
        "/news/b.html": ("text/html", article("Story B", "<figure><img src='/img/photo-b.jpg'><figcaption>B</figcaption></figure>")),
        "/news/c.html": ("text/html", article("Story C", many)),
        "/css/site.css": ("text/css", (
            "@import url('/css/a.css');\n/* url(/img/commented-out.png) */\n"
            "@font-face{font-family:Demo;src:url(/fonts/demo.woff2) format('woff2')}\n"
            f"header{{background:url({cdn.url}/img/bg.png)}}\n").encode()),
        "/css/a.css": ("text/css", b"@import '/css/b.css';\n"),
        "/css/b.css": ("text/css", b"@import '/css/a.css';\nh1{color:#123456}\n"),
        "/fonts/demo.woff2": ("font/woff2", WOFF2),
        "/js/app.js": ("application/javascript", b"console.log('demo');\n"),
        "/favicon.ico": ("image/x-icon", PNG),
        "/img/logo.png": ("image/png", PNG),
        "/img/photo-a.jpg": ("image/jpeg", JPEG),
        "/img/photo-a-300.jpg": ("image/jpeg", JPEG),
        "/img/photo-b.jpg": ("image/jpeg", JPEG),
        "/img/lazy.png": ("image/png", PNG),
        "/img/poster.jpg": ("image/jpeg", JPEG),
    }
    site_routes.update({f"/img/many/{i}.png": ("image/png", PNG) for i in range(50)})
    site = Origin(site_routes, special={"/img/endless.jpg": "endless", "/img/bomb.svg": "bomb", "/media/big.mp4": "huge"})
    site.routes["/news/a.html"] = ("text/html", article("Story A", a_body, "<meta property='og:image' content='/img/photo-a.jpg'>"))
    yield site, cdn
    site.close()
    cdn.close()


def settings() -> list[str]:
    sizes = {"image": IMAGE_CAP, "stylesheet": 1_000_000, "font": 1_000_000, "script": 1_000_000,
             "icon": 1_000_000, "media": 1_000_000, "other": 1_000_000}
    return [f"ARCHIVE_RESOURCES_MAX_SIZE={json.dumps(sizes)}", "ARCHIVE_RESOURCES_MAX_PER_PAGE=50",
            "DOWNLOAD_TIMEOUT=20"]


def warc_records(paths: list[Path]) -> list[tuple[str, str, dict[str, str], list[tuple[str, str]], str]]:
    """(type, target URI, headers, metadata fields, file) of every record of these WARCs."""
    out = []
    for path in paths:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                fields: list[tuple[str, str]] = []
                if rec.rec_type == "metadata":
                    for line in rec.content_stream().read().decode("utf-8").splitlines():
                        name, _, value = line.partition(": ")
                        fields.append((name, value))
                out.append((rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"),
                            dict(rec.rec_headers.headers), fields, path.name))
    return out


def test_page_resources_archived_once_with_provenance(sites, tmp_path):
    site, cdn = sites
    archive = tmp_path / "archive"
    result = run_crawl(archive, [f"url={site.url}/"], settings(), crawl_id="res1")
    assert result.returncode == 0, result.log[-4000:]
    s = site.url
    stats = result.stats

    # Every resource of the pages' own HTML, srcset candidates, the lazy image, the CDN and the stylesheet's
    # imports, font and background included, fetched exactly once although pages share them.
    wanted_site = ["/css/site.css", "/css/a.css", "/css/b.css", "/fonts/demo.woff2", "/js/app.js", "/favicon.ico",
                   "/img/logo.png", "/img/photo-a.jpg", "/img/photo-a-300.jpg", "/img/photo-b.jpg", "/img/lazy.png"]
    for path in wanted_site:
        assert site.hits[path] == 1, (path, site.hits[path])
    assert cdn.hits["/img/photo-a-768.jpg"] == 1 and cdn.hits["/img/bg.png"] == 1
    assert site.hits["/img/commented-out.png"] == 0  # a url() inside a CSS comment is no resource
    assert cdn.hits["/private/secret.jpg"] == 0, [line for line in result.log.splitlines() if "robots" in line.lower()]
    # 10,000 images on one page: the first 50 resources in document order (ARCHIVE_RESOURCES_MAX_PER_PAGE):
    # the stylesheet, icon and script of <head>, then 47 images; counted and logged.
    assert sum(n for p, n in site.hits.items() if p.startswith("/img/many/")) == 47
    assert stats["resources/capped_pages"] == 1
    assert "references 10" in result.log and "ARCHIVE_RESOURCES_MAX_PER_PAGE" in result.log
    # An endless image and a 1 GiB video: cut at ARCHIVE_RESOURCES_MAX_SIZE, counted, logged with the URL,
    # a metadata record in the WARC says why.
    assert stats["resources/failed/too_large"] == 2
    for path in ("/img/endless.jpg", "/media/big.mp4"):
        assert re.search(rf"Page resource {re.escape(s + path)} \(from {re.escape(s)}/news/a.html\) not archived: too_large", result.log)
    assert site.hits["/img/poster.jpg"] == 1
    assert stats["resources/failed/decompression_bomb"] == 1
    assert stats["resources/skipped/robots"] == 1
    assert stats["resources/failed/status"] >= 1

    records = warc_records(result.warc_paths())
    failed = {uri: dict(f) for rtype, uri, _h, f, _n in records if rtype == "metadata" and dict(f).get("fetchError")}
    assert "DOWNLOAD_MAXSIZE" in failed[s + "/media/big.mp4"]["fetchError"] or "max size" in failed[s + "/media/big.mp4"]["fetchError"]
    assert failed[s + "/img/endless.jpg"]["hopsFromSeed"] == "E"
    responses = {uri for rtype, uri, *_ in records if rtype == "response"}
    for path in wanted_site:
        assert s + path in responses, path
    assert {cdn.url + "/img/photo-a-768.jpg", cdn.url + "/img/bg.png"} <= responses

    # Each resource's metadata record names the embedding page (via) and the hop (E, EE for the stylesheet's).
    meta = {uri: dict(fields) for rtype, uri, _h, fields, _f in records if rtype == "metadata" and fields}
    photo = meta[s + "/img/photo-a-300.jpg"]
    assert photo["via"] == s + "/news/a.html" and photo["hopsFromSeed"] == "E" and photo["embedContext"] == "img/@srcset"
    font = meta[s + "/fonts/demo.woff2"]
    assert font["via"] == s + "/css/site.css" and font["hopsFromSeed"] == "EE"
    # A stylesheet's metadata record lists what it references (one record per capture, as for pages).
    sheet_records = [f for rtype, uri, _h, f, _n in records if rtype == "metadata" and uri == s + "/css/site.css"]
    assert len(sheet_records) == 1
    sheet_links = [v for k, v in sheet_records[0] if k == "outlink"]
    assert f"{s}/fonts/demo.woff2 E css/url()" in sheet_links and f"{s}/css/a.css E css/@import" in sheet_links
    assert f"{cdn.url}/img/bg.png E css/url()" in sheet_links
    # The page's own metadata record lists its embeds as Heritrix does.
    page_fields = next(f for rtype, uri, _h, f, _n in records if rtype == "metadata" and uri == s + "/news/a.html" and f)
    outlinks = [v for k, v in page_fields if k == "outlink"]
    assert f"{s}/img/photo-a-300.jpg E img/@srcset" in outlinks
    assert f"{s}/css/site.css E link/@href" in outlinks

    # The JSON says which images were kept, with pointers that open their records.
    articles = {r["url"]: r for _, r in result.articles()}
    a = articles[s + "/news/a.html"]
    assert a["schema_version"] == 3
    by_url = {i["url"]: i for i in a["images"]}
    kept = by_url[s + "/img/photo-a.jpg"]
    assert kept["archived"] is True and kept["reason"] is None
    ptr = kept["warc"]
    warc_path = next(archive.rglob(ptr["file"]))
    with open(warc_path, "rb") as fh:
        fh.seek(ptr["offset"])
        rec = next(iter(ArchiveIterator(io.BytesIO(fh.read(ptr["length"])))))
    assert rec.rec_headers.get_header("WARC-Record-ID") == ptr["record_id"]
    assert rec.rec_headers.get_header("WARC-Target-URI") == s + "/img/photo-a.jpg"
    assert rec.content_stream().read() == JPEG
    assert by_url[s + "/img/lazy.png"]["archived"] is True
    assert by_url[s + "/img/missing.jpg"] == {"url": s + "/img/missing.jpg", "caption": "Gone", "archived": False,
                                               "warc": None, "reason": "status 404"}
    assert by_url[cdn.url + "/private/secret.jpg"]["reason"] == "robots.txt disallows it"
    # robots.txt decisions per host (the console's crawl report): the CDN's, not the site's
    from urllib.parse import urlsplit as _split

    assert result.stats[f"robotstxt/forbidden/host/{_split(cdn.url).netloc}"] == 1
    assert f"robotstxt/forbidden/host/{_split(s).netloc}" not in result.stats
    assert by_url[s + "/img/endless.jpg"]["reason"].startswith("too-large")
    assert by_url[s + "/img/bomb.svg"]["reason"].startswith("decompression-bomb")
    # archive-verify opens every archived image's pointer and reports the pages with images not kept.
    proc = subprocess.run([sys.executable, "-m", "scrapy", "archive-verify", "res1", "-s", f"ARCHIVE_URI={archive}"],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    archived_images = sum(1 for r in articles.values() for i in r["images"] if i["archived"])
    assert f"ok     {archived_images} archived image pointers open their records" in proc.stdout
    note = next(line for line in proc.stdout.splitlines() if line.startswith("note"))
    assert note.startswith("note   1 page with images not archived:")
    for reason in ("1 status 404", "1 robots.txt disallows it", "1 too-large", "1 decompression-bomb"):
        assert reason in note, note
    # Resources never become article records.
    assert set(articles) == {s + "/news/a.html", s + "/news/b.html", s + "/news/c.html"}


def test_second_crawl_writes_revisits_for_unchanged_resources(sites, tmp_path):
    site, _cdn = sites
    archive = tmp_path / "archive"
    first = run_crawl(archive, [f"url={site.url}/"], settings(), crawl_id="rev1")
    assert first.returncode == 0, first.log[-3000:]
    second = run_crawl(archive, [f"url={site.url}/"], [*settings(), "NEWS_INCREMENTAL=False"], crawl_id="rev2")
    assert second.returncode == 0, second.log[-3000:]
    assert second.stats.get("resources/revisits", 0) >= 10, {k: v for k, v in second.stats.items() if k.startswith("resources/")}
    revisits = {uri for rtype, uri, *_ in warc_records(second.warc_paths()) if rtype == "revisit"}
    assert site.url + "/css/site.css" in revisits and site.url + "/img/logo.png" in revisits


def test_forgotten_outcomes_bound_memory_and_lose_nothing(sites, tmp_path):
    """With room for 2 outcomes, older ones are forgotten (counted) and a resource needed again is fetched
    again: memory stays bounded, every page still gets its resources' outcomes."""
    site, _cdn = sites
    result = run_crawl(tmp_path / "archive", [f"url={site.url}/"], [*settings(), "ARCHIVE_RESOURCES_REMEMBER=2"],
                       crawl_id="lru")
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["resources/forgotten"] > 0
    assert site.hits["/css/site.css"] >= 1 and site.hits["/img/logo.png"] >= 1
    articles = {r["url"]: r for _, r in result.articles()}
    b = {i["url"]: i for i in articles[site.url + "/news/b.html"]["images"]}
    assert b[site.url + "/img/photo-b.jpg"]["archived"] is True
