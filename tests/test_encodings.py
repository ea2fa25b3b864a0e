"""Arabic pages in windows-1256, ISO-8859-6 and UTF-8 (with BOM), declared only in
<meta http-equiv> or only in the HTTP header: the crawl and `scrapy extract` read them right."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest

from tests.conftest import PROJECT_ROOT, run_crawl

PARAGRAPHS = [
    "قال مسؤول في المجلس المحلي لمدينة إدلب إن العمل جار على إصلاح شبكة المياه في الأحياء الشرقية، بعد انقطاع دام أسبوعين.",
    "وأضاف المسؤول أن الفرق الفنية بدأت منذ صباح السبت بتبديل الأنابيب القديمة، على أن تنتهي الأعمال خلال عشرة أيام.",
    "ويشتكي سكان الأحياء الشرقية من ارتفاع أسعار صهاريج المياه الخاصة، إذ وصل سعر الصهريج الواحد إلى خمسين ليرة تركية.",
    "وكانت منظمات محلية قد وزعت خزانات مياه على عدد من العائلات في المنطقة خلال الأسبوع الماضي.",
]
TITLE = "إصلاح شبكة المياه في إدلب"


def page(meta: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<html lang="ar" dir="rtl"><head>{meta}<title>{TITLE}</title>'
        '<meta property="og:type" content="article"></head>'
        f"<body><h1>{TITLE}</h1><div class='entry-content'>{body}</div></body></html>"
    )


VARIANTS = {
    "/cp1256-meta": ("text/html", page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">').encode("cp1256")),
    "/cp1256-header": ("text/html; charset=windows-1256", page().encode("cp1256")),
    "/iso-8859-6-header": ("text/html; charset=iso-8859-6", page().encode("iso-8859-6")),
    "/iso-8859-6-meta": ("text/html", page('<meta http-equiv="content-type" content="text/html; charset=ISO-8859-6">').encode("iso-8859-6")),
    "/utf8-bom": ("text/html", b"\xef\xbb\xbf" + page().encode("utf-8")),
    "/utf8-meta": ("text/html", page('<meta charset="utf-8">').encode("utf-8")),
}
INDEX = ("<html><body>" + "".join(f"<a href='{p}'>{p}</a> " for p in VARIANTS) + "</body></html>").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/":
            ctype, body = "text/html; charset=utf-8", INDEX
        elif self.path in VARIANTS:
            ctype, body = VARIANTS[self.path]
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def encoded_site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_crawl_decodes_every_variant(encoded_site, tmp_path):
    result = run_crawl(tmp_path, [f"url={encoded_site}"], crawl_id="enc")
    assert result.returncode == 0, result.log[-3000:]
    records = {urlsplit(r["url"]).path: r for _, r in result.articles()}
    assert set(records) == set(VARIANTS)
    for path, rec in records.items():
        assert rec["title"] == TITLE, path
        assert rec["text"] == "\n\n".join(PARAGRAPHS), path
    # the WARC holds the bytes exactly as served (windows-1256, ISO-8859-6, BOM …)
    from warcio.archiveiterator import ArchiveIterator

    stored = {}
    for warc in result.warc_paths():
        with open(warc, "rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type == "response":
                    stored[urlsplit(r.rec_headers.get_header("WARC-Target-URI")).path] = r.raw_stream.read()
    for path, (_ctype, body) in VARIANTS.items():
        assert stored[path] == body, path


@pytest.mark.parametrize("path", sorted(VARIANTS))
def test_scrapy_extract_on_saved_page(path, tmp_path):
    ctype, body = VARIANTS[path]
    saved = tmp_path / "page.html"
    saved.write_bytes(body)
    cmd = [sys.executable, "-m", "scrapy", "extract", str(saved), "--url", f"https://example.org{path}",
           "-s", f"ARCHIVE_URI={tmp_path / 'archive'}"]
    if "charset" in ctype:
        cmd += ["--content-type", ctype]
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json

    record = json.loads(proc.stdout)
    assert record["text"] == "\n\n".join(PARAGRAPHS)
    assert record["title"] == TITLE
