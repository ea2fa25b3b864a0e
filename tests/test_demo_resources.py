"""The demo site serves what a reader's browser loads with a page (``demo.assets``).

Each article page is fetched from a running :class:`demo.server.DemoServer`
with urllib, and every resource its own HTML names is collected the way a
browser would find it: ``<img>`` ``src`` and every ``srcset`` candidate, the
``<noscript>`` fallback and the lazy-load ``data-src``/``data-srcset``,
``<picture><source>``, ``og:image``, the stylesheet and what it names
(``@import``, ``@font-face`` ``url()``, ``background-image``; followed
recursively, relative to each stylesheet), site icons and ``<script src>``.
Each must answer 200 with the right ``Content-Type`` and a body that is a real
file of that type: magic number, and a structural check (JPEG segments up to
EOI, PNG chunk CRCs and inflatable IDAT, WebP RIFF length, WOFF/WOFF2 length
field), and, for images named in a ``srcset``, the width its ``w`` descriptor
says.  Also: the image CDN is another origin (``127.0.0.2``, the site's port,
when the machine has that loopback address), unknown resource paths are 404s,
and theme stylesheets and scripts are gzipped on request.
"""

from __future__ import annotations

import gzip
import re
import socket
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from demo import assets, site
from demo.server import DemoServer

ARTICLES = site.load_articles()
WITH_IMAGE = [a for a in ARTICLES if a.image]

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

#: Content-Type (without parameters) expected for each file kind found by magic number.
CONTENT_TYPES = {
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "webp": {"image/webp"},
    "woff2": {"font/woff2"},
    "woff": {"font/woff"},
    "css": {"text/css"},
    "js": {"application/javascript", "text/javascript"},
}


@dataclass(frozen=True)
class Ref:
    """One resource a page names: absolute URL, where it was found, its ``w`` descriptor."""

    url: str
    where: str
    width: int | None = None


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def media_type(headers: dict[str, str]) -> str:
    return headers.get("Content-Type", "").split(";")[0].strip()


# ---------------------------------------------------------------------------
# File checks (standard library only)
# ---------------------------------------------------------------------------


def sniff(body: bytes) -> str | None:
    """The file type by magic number."""
    if body[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if body[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    if body[:4] == b"wOF2":
        return "woff2"
    if body[:4] == b"wOFF":
        return "woff"
    if body[:4] == b"\x00\x01\x00\x00":
        return "ttf"
    return None


def jpeg_width(body: bytes) -> int:
    """Walk the JPEG segments to the scan and the EOI; the SOF's width."""
    assert body.endswith(b"\xff\xd9")
    at, width = 2, None
    while True:
        assert body[at] == 0xFF, at
        marker = body[at + 1]
        length = struct.unpack(">H", body[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            width = struct.unpack(">H", body[at + 7 : at + 9])[0]
        if marker == 0xDA:  # start of scan: entropy-coded data runs to EOI
            break
        at += 2 + length
    assert width is not None, "no SOF segment"
    return width


def png_width(body: bytes) -> int:
    """Check every chunk's CRC, inflate IDAT, require IEND; IHDR's width."""
    at, chunks, idat = 8, [], b""
    while at < len(body):
        (length,) = struct.unpack(">I", body[at : at + 4])
        kind, payload = body[at + 4 : at + 8], body[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", body[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + payload) == crc, kind
        chunks.append(kind)
        if kind == b"IDAT":
            idat += payload
        at += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and idat
    width, height = struct.unpack(">II", body[16:24])
    assert len(zlib.decompress(idat)) >= height  # one filter byte per row at least
    return width


def webp_width(body: bytes) -> int:
    """RIFF length and chunk walk; the canvas width (VP8X) or the VP8 frame's."""
    assert struct.unpack("<I", body[4:8])[0] == len(body) - 8
    at, kinds, width = 12, [], None
    while at < len(body):
        kind, (size,) = body[at : at + 4], struct.unpack("<I", body[at + 4 : at + 8])
        payload = body[at + 8 : at + 8 + size]
        kinds.append(kind)
        if kind == b"VP8X":
            width = int.from_bytes(payload[4:7], "little") + 1
        elif kind == b"VP8 " and width is None:
            assert payload[3:6] == b"\x9d\x01\x2a"  # key frame start code
            width = struct.unpack("<H", payload[6:8])[0] & 0x3FFF
        at += 8 + size + (size % 2)
    assert at == len(body) and (b"VP8 " in kinds or b"VP8L" in kinds)
    assert width is not None
    return width


def check_file(body: bytes, headers: dict[str, str], url: str) -> tuple[str, int | None]:
    """Assert ``body`` is a real file matching its Content-Type; ``(kind, image width)``."""
    kind = sniff(body)
    if kind is None:  # text resources
        kind = {"text/css": "css", "application/javascript": "js", "text/javascript": "js"}.get(
            media_type(headers)
        )
        assert kind, (url, headers.get("Content-Type"), body[:16])
        body.decode("utf-8")
    assert media_type(headers) in CONTENT_TYPES[kind], (url, headers.get("Content-Type"), kind)
    width = None
    if kind == "jpeg":
        width = jpeg_width(body)
    elif kind == "png":
        width = png_width(body)
    elif kind == "webp":
        width = webp_width(body)
    elif kind in ("woff", "woff2"):
        assert struct.unpack(">I", body[8:12])[0] == len(body), url  # header: total length
    return kind, width


# ---------------------------------------------------------------------------
# Collecting a page's resources from its own HTML and CSS
# ---------------------------------------------------------------------------


def srcset_refs(value: str, base: str, where: str) -> list[Ref]:
    refs = []
    for candidate in value.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        width = int(descriptor.strip()[:-1]) if descriptor.strip().endswith("w") else None
        refs.append(Ref(urljoin(base, url), where, width))
    return refs


def page_refs(page_url: str, body: bytes) -> list[Ref]:
    doc = lxml_html.fromstring(body)
    refs: list[Ref] = []
    for img in doc.iter("img"):
        where = "noscript img" if img.getparent().tag == "noscript" else "img"
        for attr in ("src", "data-src"):
            value = img.get(attr)
            if value and not value.startswith("data:"):
                refs.append(Ref(urljoin(page_url, value), f"{where}/@{attr}"))
        for attr in ("srcset", "data-srcset"):
            if value := img.get(attr):
                refs += srcset_refs(value, page_url, f"{where}/@{attr}")
    for source in doc.xpath("//picture/source"):
        refs += srcset_refs(source.get("srcset"), page_url, f"source[{source.get('type')}]/@srcset")
    for content in doc.xpath('//meta[@property="og:image"]/@content'):
        refs.append(Ref(urljoin(page_url, content), "og:image"))
    for link in doc.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        if {"stylesheet", "icon", "apple-touch-icon"} & set(rel):
            refs.append(Ref(urljoin(page_url, link.get("href")), f"link[rel={' '.join(rel)}]"))
    for src in doc.xpath("//script/@src"):
        refs.append(Ref(urljoin(page_url, src), "script/@src"))
    return refs


_IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""")
_URL_RE = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")


def css_refs(css_url: str, text: str) -> list[Ref]:
    """What a stylesheet names, resolved against the stylesheet's own URL."""
    imports = [Ref(urljoin(css_url, u), "css @import") for u in _IMPORT_RE.findall(text)]
    without_imports = _IMPORT_RE.sub("", text)
    urls = []
    for block in re.findall(r"@font-face\s*{[^}]*}", without_imports):
        urls += [Ref(urljoin(css_url, u), "css @font-face") for u in _URL_RE.findall(block)]
    rest = re.sub(r"@font-face\s*{[^}]*}", "", without_imports)
    urls += [Ref(urljoin(css_url, u), "css url()") for u in _URL_RE.findall(rest)]
    return imports + urls


def crawl_resources(page_url: str) -> tuple[bytes, dict[str, tuple[Ref, int, dict[str, str], bytes]]]:
    """Fetch a page and, transitively through stylesheets, everything it names."""
    status, _, body = fetch(page_url)
    assert status == 200
    queue = page_refs(page_url, body)
    fetched: dict[str, tuple[Ref, int, dict[str, str], bytes]] = {}
    while queue:
        ref = queue.pop(0)
        if ref.url in fetched:
            continue
        status, headers, data = fetch(ref.url)
        fetched[ref.url] = (ref, status, headers, data)
        if status == 200 and media_type(headers) == "text/css":
            queue += css_refs(ref.url, data.decode("utf-8"))
    return body, fetched


def all_refs(page_url: str, body: bytes, fetched: dict) -> list[Ref]:
    """Every reference (repeats included), page and stylesheets."""
    refs = page_refs(page_url, body)
    for url, (_, status, headers, data) in fetched.items():
        if status == 200 and media_type(headers) == "text/css":
            refs += css_refs(url, data.decode("utf-8"))
    return refs


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: f"{a.lang}-{a.id}")
def test_every_resource_an_article_names_is_a_real_file(server: DemoServer, article: site.Article) -> None:
    page_url = server.base_url + article.path
    body, fetched = crawl_resources(page_url)
    refs = all_refs(page_url, body, fetched)
    wheres = {ref.where for ref in refs}

    # what every page names
    assert "link[rel=stylesheet]" in wheres and "css @import" in wheres
    assert "css @font-face" in wheres and "css url()" in wheres
    assert {"link[rel=icon]", "link[rel=apple-touch-icon]", "script/@src"} <= wheres

    kinds: set[str] = set()
    for ref in refs:
        _, status, headers, data = fetched[ref.url]
        assert status == 200, (ref, status)
        kind, width = check_file(data, headers, ref.url)
        kinds.add(kind)
        if ref.width is not None:
            assert width == ref.width, (ref, width)
    assert {"css", "js", "png", "woff2", "woff"} <= kinds

    # no two image URLs serve the same bytes (each is stamped with its name)
    images = [
        data for _, status, headers, data in fetched.values() if media_type(headers).startswith("image/")
    ]
    assert len({*images}) == len(images)

    if article.image is None:
        assert not any(r.where.startswith(("img", "noscript", "source")) for r in refs)
        return
    assert "jpeg" in kinds
    src = f"{server.base_url}/wp-content/uploads/{article.image.file}"
    srcset = [r for r in refs if r.where.endswith("srcset") and not r.where.startswith("source")]
    assert len({r.width for r in srcset}) == len(assets.IMAGE_SIZES) >= 3
    if article.metadata != "none":
        assert Ref(src, "og:image") in refs
    if article.id in site.LAZY_IMAGE_IDS:
        assert {Ref(src, "noscript img/@src"), Ref(src, "img/@data-src")} <= set(refs)
        assert any(r.where == "img/@data-srcset" for r in refs)
        (lazy,) = lxml_html.fromstring(body).xpath('//img[contains(@class, "lazyload")]')
        assert lazy.get("src").startswith("data:image/gif;base64,")
    else:
        assert Ref(src, "img/@src") in refs
    if article.id in site.PICTURE_IMAGE_IDS:
        webp = [r for r in refs if r.where == "source[image/webp]/@srcset"]
        assert len(webp) == len(assets.IMAGE_SIZES) and "webp" in kinds
    if article.id in site.CDN_IMAGE_IDS:
        assert srcset and all(r.url.startswith(server.cdn_url + "/") for r in srcset)
    else:
        assert all(r.url.startswith(server.base_url + "/") for r in srcset)


def test_one_article_of_each_image_markup() -> None:
    variants = [site.LAZY_IMAGE_IDS, site.PICTURE_IMAGE_IDS, site.CDN_IMAGE_IDS]
    plain = {a.id for a in WITH_IMAGE} - set().union(*variants)
    for ids in [*variants, plain]:
        chosen = [a for a in WITH_IMAGE if a.id in ids]
        assert chosen and {a.lang for a in chosen} == {"ar", "en"}
    assert not site.PICTURE_IMAGE_IDS & (site.LAZY_IMAGE_IDS | site.CDN_IMAGE_IDS)


def test_cdn_is_another_origin(server: DemoServer) -> None:
    site_parts, cdn_parts = urlsplit(server.base_url), urlsplit(server.cdn_url)
    assert (cdn_parts.scheme, cdn_parts.netloc) != (site_parts.scheme, site_parts.netloc)
    if cdn_parts.hostname == assets.CDN_HOST:  # the usual case: another host, the same port
        assert cdn_parts.port == site_parts.port
        assert server.cdn_url == site.cdn_base_url(server.base_url)
    article = site.get_article(next(iter(site.CDN_IMAGE_IDS)))
    assert article is not None and article.image is not None
    status, _, body = fetch(server.base_url + article.path)
    assert body == site.render(article.path, base_url=server.base_url, cdn_url=server.cdn_url)[2]

    url = assets.cdn_image_url(server.cdn_url, server.base_url, article.image.file, assets.IMAGE_SIZES[1])
    server.clear_requests()
    status, headers, data = fetch(url)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert check_file(data, headers, url) == ("jpeg", assets.IMAGE_SIZES[1].width)
    (record,) = server.cdn_requests
    assert record[1] == url[len(server.cdn_url) :]
    assert record[2]["Host"] == cdn_parts.netloc
    assert record in server.requests
    # the CDN serves images only: the site's pages are not there
    assert fetch(server.cdn_url + article.path)[0] == 404


def test_cdn_falls_back_to_a_port_when_127_0_0_2_is_taken() -> None:
    probe = socket.socket()
    try:
        probe.bind((assets.CDN_HOST, 0))
    except OSError:
        pytest.skip("no 127.0.0.2 loopback address here")
    finally:
        probe.close()
    with socket.socket() as site_probe:
        site_probe.bind(("127.0.0.1", 0))
        port = site_probe.getsockname()[1]
    with socket.socket() as blocker:
        blocker.bind((assets.CDN_HOST, port))
        blocker.listen()
        with DemoServer(port=port) as srv:
            assert srv.port == port
            assert urlsplit(srv.cdn_url).hostname == "127.0.0.1" and urlsplit(srv.cdn_url).port != port
            article = site.get_article(next(iter(site.CDN_IMAGE_IDS)))
            assert article is not None
            _, fetched = crawl_resources(srv.base_url + article.path)
            cdn = [v for url, v in fetched.items() if url.startswith(srv.cdn_url + "/")]
            assert cdn and all(status == 200 for _, status, _, _ in cdn)


@pytest.mark.parametrize(
    "path",
    [
        "/wp-content/uploads/missing.jpg",
        "/wp-content/uploads/missing-300x169.jpg",
        "/wp-content/uploads/jaish-al-izza-prisoners-1024x576.jpg",
        "/wp-content/uploads/jaish-al-izza-prisoners.webp",
        "/wp-content/uploads/enab-icon-64x64.png",
        "/wp-content/themes/enab/style2.css",
        "/wp-content/themes/enab/fonts/missing.woff2",
        "/wp-content/themes/enab/images/missing.png",
        "/wp-content/themes/enab/js/missing.js",
        "/wp-content/themes/other/style.css",
    ],
)
def test_unknown_site_resources_are_404(server: DemoServer, path: str) -> None:
    assert fetch(server.base_url + path)[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/{host}/wp-content/uploads/missing.jpg?resize=300%2C169&ssl=1",
        "/{host}/wp-content/uploads/jaish-al-izza-prisoners.jpg?resize=1024%2C576&ssl=1",
        "/{host}/wp-content/uploads/jaish-al-izza-prisoners-300x169.jpg",
        "/wp-content/uploads/jaish-al-izza-prisoners.jpg",
        "/robots.txt",
        "/",
    ],
)
def test_unknown_cdn_paths_are_404(server: DemoServer, path: str) -> None:
    status, headers, _ = fetch(server.cdn_url + path.format(host=urlsplit(server.base_url).netloc))
    assert status == 404 and media_type(headers) == "text/plain"


@pytest.mark.parametrize("name", ["style.css", "css/layout.css", "js/enab.js", "js/stats.js"])
def test_theme_text_files_gzip_on_request(server: DemoServer, name: str) -> None:
    url = server.base_url + assets.THEME_PATH + name
    status, headers, plain = fetch(url)
    assert status == 200 and "Content-Encoding" not in headers
    status, headers, packed = fetch(url, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    status, headers, _ = fetch(
        server.base_url + "/wp-content/uploads/enab-icon-32x32.png", {"Accept-Encoding": "gzip"}
    )
    assert status == 200 and "Content-Encoding" not in headers


def test_resources_answer_if_modified_since(server: DemoServer) -> None:
    for path in ["/wp-content/uploads/jaish-al-izza-prisoners-768x432.jpg", assets.THEME_PATH + "style.css"]:
        status, headers, _ = fetch(server.base_url + path)
        assert status == 200
        assert fetch(server.base_url + path, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_stylesheet_styles_the_page() -> None:
    """What a browser test can rely on: header colour, web-font headlines, background images."""
    _, _, css = site.render(assets.THEME_PATH + "style.css")
    text = css.decode()
    assert re.search(r"\.site-header\{[^}]*background-color:#1d4e2c", text)
    assert re.search(r"\.entry-title[^{]*\{font-family:\"Enab Sans\"", text)
    assert re.search(r"\.site-header\{[^}]*background-image:url\(", text)
    assert text.index("@import") < text.index("{")  # @import comes before any rule
