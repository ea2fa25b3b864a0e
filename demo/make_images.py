"""Generate the binary files of the demo site under ``demo/static/`` (run once, by hand).

The demo site serves these files as they are (:mod:`demo.assets`); the
server needs only the standard library.  This script, which made them, needs
Pillow (with WebP support), fontTools and brotli, which are *not* project
dependencies: install them in a throwaway environment and run it from the
repository root::

    python -m venv /tmp/imgvenv
    /tmp/imgvenv/bin/pip install Pillow fonttools brotli
    /tmp/imgvenv/bin/python demo/make_images.py

What it writes (sizes are those of the committed files)::

    demo/static/uploads/scene-N.jpg            160x90 JPEG, the "full" size (< 1,850 bytes)
    demo/static/uploads/scene-N-300x169.jpg    300x169 JPEG
    demo/static/uploads/scene-N-768x432.jpg    768x432 JPEG
    demo/static/uploads/scene-N*.jpg.webp      the same three sizes as lossy WebP
    demo/static/uploads/enab-icon-32x32.png    site icon (favicon)
    demo/static/uploads/enab-icon-180x180.png  site icon (apple-touch-icon)
    demo/static/theme/images/header-pattern.png  header background tile (RGBA)
    demo/static/theme/images/camera-icon.png     caption icon (palette PNG)
    demo/static/theme/fonts/enab-sans.woff2    DejaVu Sans, Latin subset, WOFF2
    demo/static/theme/fonts/enab-sans.woff     the same as WOFF 1.0
    demo/static/theme/fonts/LICENSE-DejaVu.txt the font's licence (Bitstream Vera + public domain)

``N`` is 0..5: six drawn "news photo" scenes (city, camp, olive grove, snowy
mountains, market, coast).  Each article's featured image is one of them
(:func:`demo.assets.scene_for`); the server stamps the file name into every
image it serves (a JPEG comment, a PNG ``tEXt`` chunk, a WebP chunk) so that
no two image URLs have the same bytes.

The full-size JPEG is small on purpose: ``tests/test_demo_site.py`` requires
``/wp-content/uploads/{file}`` to be under 2,000 bytes.  Every picture is
drawn at 1536x864 and scaled down, so the sizes are the same picture.

The font is DejaVu Sans (``fonts-dejavu-core``, Debian) cut to printable
ASCII, Latin-1 and typographic punctuation, without hinting.  Its licence
allows modified copies under a name without "Bitstream" or "Vera"; the subset
keeps the DejaVu name, and the licence is copied beside it.
"""

from __future__ import annotations

import hashlib
import io
import math
import shutil
import sys
from pathlib import Path

from fontTools import subset
from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().with_name("static")
UPLOADS = STATIC / "uploads"
THEME = STATIC / "theme"

SCENES = 6
DRAW_SIZE = (1536, 864)
#: (width, height, file-name suffix); the first is the "full" size.
SIZES = ((160, 90, ""), (300, 169, "-300x169"), (768, 432, "-768x432"))
FULL_JPEG_BUDGET = 1850  # bytes; the server adds a comment of about 50 bytes
FONT_SOURCE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_LICENCE = Path("/usr/share/doc/fonts-dejavu-core/copyright")
FONT_UNICODES = "U+0020-007E,U+00A0-00FF,U+2013-2014,U+2018-201D,U+2022,U+2026,U+20AC"

Colour = tuple[int, int, int]


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _gradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: Colour, bottom: Colour) -> None:
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        draw.line([(x0, y), (x1, y)], fill=_mix(top, bottom, (y - y0) / max(1, y1 - y0 - 1)))


def _ridge(width: int, base: int, amplitude: float, waves: float, phase: float) -> list[tuple[int, int]]:
    return [
        (
            x,
            round(
                base
                - amplitude
                * (
                    0.6 * math.sin(x / width * math.pi * waves + phase)
                    + 0.4 * math.sin(x / width * math.pi * waves * 2.7 + phase * 1.9)
                )
            ),
        )
        for x in range(0, width + 1, width // 64)
    ]


def draw_scene(index: int) -> Image.Image:
    """One 1536x864 scene; ``index`` picks the subject and the palette."""
    w, h = DRAW_SIZE
    seed = hashlib.sha256(f"enab-demo-scene-{index}".encode()).digest()
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    horizon = round(h * (0.52 + seed[0] / 255 * 0.1))
    evening = index == 4
    sky_top: Colour = (38, 70, 140) if not evening else (52, 48, 110)
    sky_bottom: Colour = (196, 214, 230) if not evening else (240, 170, 110)
    _gradient(d, (0, 0, w, horizon + 60), sky_top, sky_bottom)
    sun_x = round(w * (0.15 + seed[1] / 255 * 0.7))
    sun_r = round(h * 0.07)
    d.ellipse(
        [sun_x - sun_r, horizon * 0.35 - sun_r, sun_x + sun_r, horizon * 0.35 + sun_r], fill=(252, 236, 180)
    )
    far: Colour = _mix(sky_bottom, (70, 80, 90), 0.45)
    d.polygon([(0, h), *_ridge(w, horizon - 30, h * 0.06, 2 + seed[2] % 3, seed[3] / 40), (w, h)], fill=far)
    ground_top: Colour = (122, 150, 70) if index != 3 else (236, 240, 245)
    ground_bottom: Colour = (64, 92, 40) if index != 3 else (190, 200, 214)
    if index == 5:
        ground_top, ground_bottom = (40, 110, 160), (20, 60, 110)
    if index == 4:
        ground_top, ground_bottom = (196, 170, 130), (150, 120, 90)
    near = _ridge(w, horizon + 20, h * 0.03, 1 + seed[4] % 2, seed[5] / 40)
    d.polygon([(0, h), *near, (w, h)], fill=ground_top)
    _gradient(d, (0, horizon + 60, w, h), ground_top, ground_bottom)
    base = horizon + 50
    if index == 0:  # city skyline
        x = 40
        k = 0
        while x < w - 60:
            bw = 60 + seed[k % 32] % 70
            bh = 90 + seed[(k + 7) % 32] % 220
            shade = 80 + seed[(k + 13) % 32] % 70
            d.rectangle([x, base - bh, x + bw, base], fill=(shade, shade - 8, shade - 16))
            for wy in range(base - bh + 16, base - 20, 34):
                for wx in range(x + 10, x + bw - 14, 24):
                    d.rectangle([wx, wy, wx + 10, wy + 14], fill=(230, 210, 140))
            x += bw + 14
            k += 1
    elif index == 1:  # camp: rows of tents
        for row in range(2):
            y = base + 90 + row * 190
            for col in range(5):
                x = 40 + col * 300 + (row % 2) * 120
                size = 100 + row * 30
                tone = 215 + (col * 7 + row * 11) % 35
                d.polygon(
                    [(x, y), (x + size, y - size * 0.8), (x + 2 * size, y)], fill=(tone, tone - 10, tone - 30)
                )
                d.polygon(
                    [(x + size * 0.8, y), (x + size, y - size * 0.45), (x + size * 1.2, y)], fill=(70, 60, 50)
                )
    elif index == 2:  # olive grove
        for row in range(3):
            for col in range(8):
                x = 90 + col * 190 + (row % 2) * 90
                y = base + 40 + row * 120
                r = 48 + row * 14
                d.rectangle([x - 8, y, x + 8, y + r * 1.1], fill=(96, 70, 46))
                d.ellipse(
                    [x - r * 1.3, y - r, x + r * 1.3, y + r * 0.5], fill=(88 + row * 10, 112 + row * 8, 64)
                )
    elif index == 3:  # snowy mountains and a road
        for k, x in enumerate(range(-200, w, 420)):
            peak = horizon - 220 - (seed[k] % 90)
            d.polygon([(x, base), (x + 260, peak), (x + 520, base)], fill=(110, 118, 130))
            d.polygon([(x + 190, peak + 56), (x + 260, peak), (x + 330, peak + 56)], fill=(245, 248, 252))
        d.polygon(
            [(w * 0.46, h), (w * 0.5, base + 10), (w * 0.52, base + 10), (w * 0.62, h)], fill=(120, 120, 124)
        )
    elif index == 4:  # covered market arches
        d.rectangle([0, base - 260, w, base + 40], fill=(176, 150, 116))
        for k, x in enumerate(range(30, w - 100, 180)):
            d.rectangle([x, base - 170, x + 130, base + 40], fill=(70, 50, 36))
            d.ellipse([x, base - 235, x + 130, base - 105], fill=(70, 50, 36))
            stall = ((190, 60, 50), (220, 170, 60), (80, 130, 70))[k % 3]
            d.rectangle([x + 14, base - 20, x + 116, base + 30], fill=stall)
    else:  # coast with boats
        for k in range(5):
            x = 160 + k * 280 + seed[k] % 60
            y = horizon + 150 + (k % 2) * 120
            d.polygon([(x, y), (x + 170, y), (x + 140, y + 36), (x + 30, y + 36)], fill=(230, 226, 210))
            d.line([(x + 85, y), (x + 85, y - 130)], fill=(80, 70, 60), width=6)
            d.polygon([(x + 90, y - 125), (x + 90, y - 10), (x + 160, y - 10)], fill=(245, 245, 240))
    return img


def encode_jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True, progressive=False, subsampling="4:2:0")
    return buf.getvalue()


def encode_webp(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=quality, method=6)
    return buf.getvalue()


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"{len(data):>7,}  {path.relative_to(STATIC.parent.parent)}")


def make_scenes() -> None:
    for index in range(SCENES):
        big = draw_scene(index)
        for width, height, suffix in SIZES:
            img = big.resize((width, height), Image.Resampling.LANCZOS)
            if suffix:
                jpeg = encode_jpeg(img, 65)
            else:  # the full size must stay under the test's 2,000-byte cap
                jpeg = next(
                    data for q in range(75, 29, -5) if len(data := encode_jpeg(img, q)) <= FULL_JPEG_BUDGET
                )
            write(UPLOADS / f"scene-{index}{suffix}.jpg", jpeg)
            write(UPLOADS / f"scene-{index}{suffix}.jpg.webp", encode_webp(img, 70))


def make_icons() -> None:
    for size in (32, 180):
        scale = 8
        s = size * scale
        img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle([0, 0, s - 1, s - 1], radius=s // 5, fill=(29, 78, 44, 255))
        r = s // 9  # a bunch of grapes ("enab")
        for row, count in enumerate((4, 3, 2, 1)):
            for k in range(count):
                cx = s / 2 + (k - (count - 1) / 2) * r * 1.9
                cy = s * 0.34 + row * r * 1.65
                d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(156, 204, 101, 255))
        d.line(
            [(s / 2, s * 0.34 - r * 1.2), (s / 2 + r, s * 0.12)],
            fill=(156, 204, 101, 255),
            width=max(2, s // 40),
        )
        buf = io.BytesIO()
        img.resize((size, size), Image.Resampling.LANCZOS).save(buf, "PNG", optimize=True)
        write(UPLOADS / f"enab-icon-{size}x{size}.png", buf.getvalue())


def make_theme_images() -> None:
    tile = Image.new("RGBA", (24, 24), (0, 0, 0, 0))
    d = ImageDraw.Draw(tile)
    for offset in (-24, 0, 24):
        d.line([(offset, 24), (offset + 24, 0)], fill=(255, 255, 255, 28), width=3)
    buf = io.BytesIO()
    tile.save(buf, "PNG", optimize=True)
    write(THEME / "images" / "header-pattern.png", buf.getvalue())

    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(icon)
    grey = (110, 110, 110, 255)
    d.rounded_rectangle([4, 18, 60, 54], radius=7, fill=grey)
    d.rectangle([22, 10, 42, 20], fill=grey)
    d.ellipse([20, 24, 44, 48], fill=(255, 255, 255, 255))
    d.ellipse([26, 30, 38, 42], fill=grey)
    small = icon.resize((16, 16), Image.Resampling.LANCZOS).quantize(colors=16)
    buf = io.BytesIO()
    small.save(buf, "PNG", optimize=True)
    write(THEME / "images" / "camera-icon.png", buf.getvalue())


def make_fonts() -> None:
    for flavor in ("woff2", "woff"):
        options = subset.Options()
        options.flavor = flavor
        options.hinting = False
        options.layout_features = ["kern", "liga"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        font = subset.load_font(str(FONT_SOURCE), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(FONT_UNICODES))
        subsetter.subset(font)
        buf = io.BytesIO()
        subset.save_font(font, buf, options)
        write(THEME / "fonts" / f"enab-sans.{flavor}", buf.getvalue())
    licence = THEME / "fonts" / "LICENSE-DejaVu.txt"
    shutil.copyfile(FONT_LICENCE, licence)
    print(f"{licence.stat().st_size:>7,}  {licence.relative_to(STATIC.parent.parent)}")


def main() -> int:
    make_scenes()
    make_icons()
    make_theme_images()
    make_fonts()
    return 0


if __name__ == "__main__":
    sys.exit(main())
