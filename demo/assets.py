"""Page resources of the demo site: images, fonts, theme stylesheets and scripts.

What a reader's browser loads besides the HTML, served by :func:`demo.site.render`
(standard library only; the binary files under ``static/`` were made once by
``demo/make_images.py``):

``/wp-content/uploads/``
    Featured images.  Each article image ``NAME.jpg`` exists in three sizes,
    WordPress style: ``NAME.jpg`` (the "full" size, 160x90, kept under 2,000
    bytes), ``NAME-300x169.jpg`` and ``NAME-768x432.jpg``, and each of them as
    WebP with ``.webp`` appended (``NAME-300x169.jpg.webp``, as WebP plugins
    name them).  The pictures are six drawn scenes (:func:`scene_for` picks
    one per file name); every image is stamped with the name it is served
    under (:func:`stamp_image`), so no two image URLs have the same bytes.
    Also the site icons ``enab-icon-32x32.png`` and ``enab-icon-180x180.png``.
``/wp-content/themes/enab/``
    ``style.css`` (``@import`` of ``css/layout.css``, ``@font-face`` with
    ``fonts/enab-sans.woff2`` and ``.woff``, a header ``background-image``
    ``images/header-pattern.png``), ``css/layout.css`` (a caption icon
    ``../images/camera-icon.png``), ``js/enab.js`` (lazy-loading, font-size
    widget) and ``js/stats.js`` (loaded by an inline snippet).  The texts of
    the stylesheets and scripts are in :mod:`demo.templates`.
The image CDN
    A second origin in the manner of Jetpack's ``i0.wp.com``:
    ``{cdn}/{site host}/wp-content/uploads/NAME.jpg?resize=300%2C169&ssl=1``
    (``resize`` or ``fit`` = one of the sizes above; none means full size).
    :func:`cdn_base_url` derives the CDN origin from the site's: the same
    port on ``127.0.0.2`` for a site on ``127.0.0.1`` or ``localhost``, else
    ``https://i0.wp.com``.  :class:`demo.server.DemoServer` serves it.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from . import templates as T

__all__ = [
    "CDN_HOST",
    "FULL_SIZE",
    "IMAGE_SIZES",
    "IMAGE_SIZES_ATTR",
    "PUBLIC_CDN_URL",
    "STATIC_DIR",
    "THEME_PATH",
    "THEME_VERSION",
    "UPLOADS_PATH",
    "ImageSize",
    "cdn_base_url",
    "cdn_image",
    "cdn_image_url",
    "scene_for",
    "sized_name",
    "stamp_image",
    "theme_file",
    "upload_file",
]

STATIC_DIR = Path(__file__).with_name("static")
UPLOADS_PATH = "/wp-content/uploads/"
THEME_PATH = "/wp-content/themes/enab/"
THEME_VERSION = "5.3.2"
#: Loopback address of the image CDN when the site is on 127.0.0.1 / localhost.
CDN_HOST = "127.0.0.2"
#: CDN origin for a site served anywhere else (as Jetpack's image CDN).
PUBLIC_CDN_URL = "https://i0.wp.com"
SCENES = 6

JPEG_TYPE = "image/jpeg"
PNG_TYPE = "image/png"
WEBP_TYPE = "image/webp"
CSS_TYPE = "text/css; charset=utf-8"
JS_TYPE = "application/javascript; charset=utf-8"

#: ``(content type, body)`` of a served file.
Payload = tuple[str, bytes]


@dataclass(frozen=True)
class ImageSize:
    """One size of a featured image; ``suffix`` goes before ``.jpg``."""

    width: int
    height: int
    suffix: str

    @property
    def cdn_param(self) -> str:
        """Jetpack-style size parameter, e.g. ``resize=300%2C169``."""
        return f"{'fit' if not self.suffix else 'resize'}={self.width}%2C{self.height}"


FULL_SIZE = ImageSize(160, 90, "")
IMAGE_SIZES = (FULL_SIZE, ImageSize(300, 169, "-300x169"), ImageSize(768, 432, "-768x432"))
#: ``sizes`` attribute of the featured images.
IMAGE_SIZES_ATTR = "(max-width: 768px) 100vw, 768px"

_SIZED_RE = re.compile(r"(?P<stem>.+?)(?P<suffix>-\d+x\d+)?\.jpg(?P<webp>\.webp)?")


def scene_for(file: str) -> int:
    """Which of the six drawn scenes (``static/uploads/scene-N*``) shows this image."""
    return hashlib.sha256(file.encode("utf-8")).digest()[0] % SCENES


def sized_name(file: str, size: ImageSize, *, webp: bool = False) -> str:
    """``NAME.jpg`` -> ``NAME-300x169.jpg`` (or ``NAME-300x169.jpg.webp``)."""
    stem = file[: -len(".jpg")] if file.endswith(".jpg") else file
    return f"{stem}{size.suffix}.jpg" + (".webp" if webp else "")


def cdn_base_url(base_url: str) -> str:
    """The image CDN's origin for a site served at ``base_url`` (no trailing slash).

    ``http://127.0.0.1:8123`` -> ``http://127.0.0.2:8123`` (another host, the
    same port; also for ``localhost``); any other site -> :data:`PUBLIC_CDN_URL`.
    """
    parts = urlsplit(base_url)
    if parts.hostname in ("127.0.0.1", "localhost"):
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{CDN_HOST}{port}"
    return PUBLIC_CDN_URL


def cdn_image_url(cdn_url: str, base_url: str, file: str, size: ImageSize) -> str:
    """URL of one size of an article image on the CDN, e.g.
    ``http://127.0.0.2:8123/127.0.0.1:8123/wp-content/uploads/NAME.jpg?resize=300%2C169&ssl=1``.
    """
    site_host = urlsplit(base_url).netloc
    return f"{cdn_url.rstrip('/')}/{site_host}{UPLOADS_PATH}{quote(file)}?{size.cdn_param}&ssl=1"


# --------------------------------------------------------------------------
# Stamping: one name per image, written into the file's own metadata
# --------------------------------------------------------------------------


def _stamp_jpeg(data: bytes, text: bytes) -> bytes:
    """Insert a COM segment after SOI (and after the JFIF APP0, which must come first)."""
    at = 2
    if data[2:4] == b"\xff\xe0":
        at = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:at] + struct.pack(">HH", 0xFFFE, len(text) + 2) + text + data[at:]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _stamp_png(data: bytes, text: bytes) -> bytes:
    """Insert a ``tEXt`` chunk (keyword ``Title``) after IHDR."""
    at = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
    return data[:at] + _png_chunk(b"tEXt", b"Title\x00" + text) + data[at:]


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def _stamp_webp(data: bytes, text: bytes) -> bytes:
    """Turn a simple lossy WebP into the extended format with an ``XMP `` chunk.

    ``VP8X`` (flags: XMP; canvas size from the VP8 frame header), the image's
    ``VP8 `` chunk, then the XMP packet, as the WebP container spec orders them.
    """
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8 ", (
        "simple lossy WebP expected"
    )
    vp8 = data[12:]
    width, height = (v & 0x3FFF for v in struct.unpack("<HH", vp8[8 + 6 : 8 + 10]))
    vp8x = _riff_chunk(
        b"VP8X",
        bytes([0x04, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"),
    )
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:title="' + text + b'"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    body = b"WEBP" + vp8x + vp8 + _riff_chunk(b"XMP ", xmp)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def stamp_image(data: bytes, text: str) -> bytes:
    """``data`` (JPEG, PNG or simple lossy WebP) with ``text`` in its metadata; still a valid image."""
    raw = text.encode("ascii", "replace").replace(b'"', b"'")
    if data[:3] == b"\xff\xd8\xff":
        return _stamp_jpeg(data, raw)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _stamp_png(data, raw)
    return _stamp_webp(data, raw)


@functools.cache
def _static(relative: str) -> bytes:
    return (STATIC_DIR / relative).read_bytes()


# --------------------------------------------------------------------------
# Lookups used by demo.site's router
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def upload_file(name: str, article_files: frozenset[str]) -> Payload | None:
    """The file ``/wp-content/uploads/{name}``, or ``None`` if there is none.

    ``article_files`` are the featured-image names of the articles (their
    other sizes and WebP copies exist too).  ``logo.jpg`` is not served here.
    """
    if name.startswith("enab-icon-") and (STATIC_DIR / "uploads" / name).is_file():
        return PNG_TYPE, _static(f"uploads/{name}")
    m = _SIZED_RE.fullmatch(name)
    if m is None or f"{m['stem']}.jpg" not in article_files:
        return None
    size = next((s for s in IMAGE_SIZES if s.suffix == (m["suffix"] or "")), None)
    if size is None:
        return None
    scene = f"uploads/scene-{scene_for(m['stem'] + '.jpg')}{size.suffix}.jpg" + (".webp" if m["webp"] else "")
    return (WEBP_TYPE if m["webp"] else JPEG_TYPE), stamp_image(_static(scene), name)


@functools.lru_cache(maxsize=1024)
def cdn_image(name: str, query: str, article_files: frozenset[str]) -> Payload | None:
    """What the CDN serves for ``/{host}/wp-content/uploads/{name}?{query}``, or ``None``.

    ``resize=W,H`` or ``fit=W,H`` must be one of :data:`IMAGE_SIZES` (no
    parameter: the full size); other parameters (``ssl=1``) are ignored.
    """
    if name not in article_files:
        return None
    params = parse_qs(query)
    values = params.get("resize") or params.get("fit")
    size: ImageSize | None = FULL_SIZE
    if values:
        wanted = values[0].replace(" ", "")
        size = next((s for s in IMAGE_SIZES if wanted == f"{s.width},{s.height}"), None)
    if size is None:
        return None
    scene = f"uploads/scene-{scene_for(name)}{size.suffix}.jpg"
    return JPEG_TYPE, stamp_image(_static(scene), f"{name} {size.width}x{size.height} via CDN")


@functools.cache
def _theme_files() -> dict[str, Payload]:
    texts = {
        "style.css": (CSS_TYPE, T.STYLESHEET),
        "css/layout.css": (CSS_TYPE, T.LAYOUT_STYLESHEET),
        "js/enab.js": (JS_TYPE, T.THEME_SCRIPT),
        "js/stats.js": (JS_TYPE, T.STATS_SCRIPT),
    }
    files: dict[str, Payload] = {path: (kind, text.encode("utf-8")) for path, (kind, text) in texts.items()}
    files["fonts/enab-sans.woff2"] = ("font/woff2", _static("theme/fonts/enab-sans.woff2"))
    files["fonts/enab-sans.woff"] = ("font/woff", _static("theme/fonts/enab-sans.woff"))
    files["fonts/LICENSE-DejaVu.txt"] = (
        "text/plain; charset=utf-8",
        _static("theme/fonts/LICENSE-DejaVu.txt"),
    )
    files["images/header-pattern.png"] = (PNG_TYPE, _static("theme/images/header-pattern.png"))
    files["images/camera-icon.png"] = (PNG_TYPE, _static("theme/images/camera-icon.png"))
    return files


def theme_file(relative: str) -> Payload | None:
    """The file ``/wp-content/themes/enab/{relative}``, or ``None``."""
    return _theme_files().get(relative)
