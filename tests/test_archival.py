"""Archival-grade output, checked with archivists' own tools: dedup with revisit records,
metadata records, CDXJ (cdxj-indexer), WACZ (wacz validate), replay in pywb, archive-verify/pack."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from demo.server import DemoServer
from demo.site import render, render_cdn
from tests.conftest import PROJECT_ROOT, CrawlResult, run_crawl
from tests.tools import tools_bin

CHANGED = "/en/archives/712960"  # an article edited between the two crawls


def captures(result: CrawlResult) -> list[tuple[str, object]]:
    out = []
    for path in result.warc_paths():
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append((path.name, rec, rec.raw_stream.read()))
    return out


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    archive = tmp_path_factory.mktemp("dedup-archive")
    with DemoServer() as server:
        # One request at a time: with a bounded link depth, which pages a crawl reaches depends on the
        # order responses arrive in; serial crawls of the same site fetch the same pages.
        # A full re-crawl (not incremental) so every unchanged page is fetched and becomes a revisit.
        serial = ["CONCURRENT_REQUESTS=1", "NEWS_INCREMENTAL=False"]
        first = run_crawl(archive, ["site=demo", f"url={server.url}"], serial, crawl_id="first")
        assert first.returncode == 0, first.log[-3000:]
        mtimes = {p: p.stat().st_mtime_ns for p, _ in first.articles()}
        status, headers, body = render(CHANGED, base_url=server.base_url)
        text = body.decode("utf-8")
        marker = "<p>"
        changed_body = text.replace(marker, "<p>CORRECTION (updated): ", 1).encode("utf-8")
        assert changed_body != body
        server.overrides[CHANGED] = (status, headers, changed_body)
        second = run_crawl(archive, ["site=demo", f"url={server.url}"], serial, crawl_id="second")
        assert second.returncode == 0, second.log[-3000:]
        base = server.base_url
    return {"first": first, "second": second, "mtimes": mtimes, "base": base, "changed_body": changed_body}


@pytest.fixture(scope="module")
def tools():
    return tools_bin()


def test_second_crawl_is_mostly_revisits(crawls):
    first, second = crawls["first"], crawls["second"]
    c1, c2 = first.manifest["counts"], second.manifest["counts"]
    ok_2xx = second.stats["downloader/response_status_count/200"]
    assert ok_2xx == first.stats["downloader/response_status_count/200"]  # the same pages
    assert c2["warc_revisits"] == ok_2xx - 1  # every 200 but the edited article
    assert c2["warc_responses"] == second.stats["downloader/response_count"] - c2["warc_revisits"]
    # only the changed article is written again; unchanged JSON files are not touched
    assert c2["articles_written"] == 1 and c2["pages_unchanged"] == c1["articles_written"] - 1
    for path, mtime in crawls["mtimes"].items():
        if not path.read_text("utf-8").count("CORRECTION"):
            assert path.stat().st_mtime_ns == mtime
    ratio = c2["warc_bytes"] / c1["warc_bytes"]
    print(f"second crawl WARC bytes / first: {c2['warc_bytes']} / {c1['warc_bytes']} = {ratio:.2f}")
    assert ratio < 0.4


def test_revisits_refer_to_the_first_capture(crawls):
    originals = {}
    for _, rec, _ in captures(crawls["first"]):
        if rec.rec_type == "response":
            originals[rec.rec_headers.get_header("WARC-Record-ID")] = rec
    revisits = [rec for _, rec, _ in captures(crawls["second"]) if rec.rec_type == "revisit"]
    assert revisits
    for rec in revisits:
        h = rec.rec_headers
        assert h.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        original = originals[h.get_header("WARC-Refers-To")]
        assert original.rec_headers.get_header("WARC-Target-URI") == h.get_header("WARC-Target-URI")
        assert h.get_header("WARC-Refers-To-Target-URI") == h.get_header("WARC-Target-URI")
        assert h.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header("WARC-Date")
        assert h.get_header("WARC-Payload-Digest") == original.rec_headers.get_header("WARC-Payload-Digest")
    changed = [rec for _, rec, _ in captures(crawls["second"]) if rec.rec_headers.get_header("WARC-Target-URI", "").endswith(CHANGED)]
    assert [r.rec_type for r in changed if r.rec_type in ("response", "revisit")] == ["response"]


def test_metadata_records(crawls):
    records = captures(crawls["first"])
    capture_ids = {rec.rec_headers.get_header("WARC-Record-ID") for _, rec, _ in records if rec.rec_type in ("response", "revisit")}
    metadata = [(rec, body) for _, rec, body in records if rec.rec_type == "metadata"]
    targets = [rec.rec_headers.get_header("WARC-Concurrent-To") for rec, _ in metadata]
    assert sorted(targets) == sorted(capture_ids)  # exactly one per capture
    discoveries = set()
    for rec, body in metadata:
        assert rec.rec_headers.get_header("Content-Type") == "application/warc-fields"
        fields = body.decode("utf-8")
        discoveries |= {line.split(": ", 1)[1] for line in fields.splitlines() if line.startswith("discovery: ")}
        if urlsplit(rec.rec_headers.get_header("WARC-Target-URI")).path == "/":
            assert "outlink: " in fields and "/archives/" in fields
        if urlsplit(rec.rec_headers.get_header("WARC-Target-URI")).path.startswith("/old-news/"):
            assert " R Location" in fields
    assert {"seed", "sitemap", "feed", "link"} <= discoveries


def test_cdxj_matches_cdxj_indexer(crawls, tools):
    for result in (crawls["first"], crawls["second"]):
        warc_dir = result.archive / "warc" / result.crawl_id
        ours = (warc_dir / "index.cdxj").read_text("utf-8").splitlines()
        names = sorted(p.name for p in warc_dir.glob("*.warc.gz"))
        proc = subprocess.run([str(tools / "cdxj-indexer"), "--sort", *names], cwd=warc_dir, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        theirs = [line for line in proc.stdout.splitlines() if line.strip()]
        assert ours == theirs
        assert len(ours) >= result.stats["downloader/response_count"]


def test_wacz_validates(crawls, tools):
    for result in (crawls["first"], crawls["second"]):
        wacz = result.archive / "warc" / result.crawl_id / f"{result.crawl_id}.wacz"
        proc = subprocess.run([str(tools / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "is valid" in proc.stdout
    import zipfile

    with zipfile.ZipFile(crawls["first"].archive / "warc" / "first" / "first.wacz") as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        assert pages[0]["format"] == "json-pages-1.0"
        assert len(pages) - 1 == crawls["first"].manifest["counts"]["articles_written"]
        assert all(p["title"] and p["ts"].endswith("Z") for p in pages[1:])
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())


def _scrapy(*args: str, archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_URI={archive}"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_archive_verify(crawls, tmp_path):
    for result in (crawls["first"], crawls["second"]):
        proc = _scrapy("archive-verify", result.crawl_id, archive=result.archive)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "0 faults" in proc.stdout and "FAULT" not in proc.stdout
    # a damaged copy fails loudly
    broken = tmp_path / "warc" / "first"
    shutil.copytree(crawls["first"].archive / "warc" / "first", broken)
    warc = next(broken.glob("*.warc.gz"))
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    proc = _scrapy("archive-verify", str(broken), archive=tmp_path)
    assert proc.returncode != 0
    assert "FAULT" in proc.stdout


def test_archive_pack_rebuilds(crawls, tmp_path):
    archive = tmp_path / "copy"
    shutil.copytree(crawls["first"].archive, archive)
    warc_dir = archive / "warc" / "first"
    before = (warc_dir / "index.cdxj").read_text("utf-8")
    (warc_dir / "index.cdxj").unlink()
    (warc_dir / "first.wacz").unlink()
    shutil.rmtree(archive / "crawls" / "first" / "indexes")
    proc = _scrapy("archive-pack", "first", archive=archive)
    assert proc.returncode == 0, proc.stderr
    assert (warc_dir / "index.cdxj").read_text("utf-8") == before
    assert (warc_dir / "first.wacz").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


@pytest.fixture(scope="module")
def wayback(crawls, tools, tmp_path_factory):
    root = tmp_path_factory.mktemp("pywb")
    coll = root / "collections" / "news"
    (coll / "archive").mkdir(parents=True)
    (coll / "indexes").mkdir()
    lines: list[str] = []
    for result in (crawls["first"], crawls["second"]):
        warc_dir = result.archive / "warc" / result.crawl_id
        for warc in warc_dir.glob("*.warc.gz"):
            os.symlink(warc, coll / "archive" / warc.name)
        lines += (warc_dir / "index.cdxj").read_text("utf-8").splitlines()
    (coll / "indexes" / "index.cdxj").write_text("\n".join(sorted(lines)) + "\n", "utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    # pywb logs every request on stderr: into a file, never a pipe nobody reads (a full pipe blocks pywb).
    log = open(root / "wayback.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([str(tools / "wayback"), "-b", "127.0.0.1", "-p", str(port)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if _get(base + "/")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("pywb did not start: " + (root / "wayback.log").read_text("utf-8", "replace")[-3000:])
    yield base
    proc.kill()
    proc.wait()
    log.close()


def test_pywb_replays_every_page_byte_identical(crawls, wayback):
    checked = revisits = 0
    for name in ("first", "second"):
        for _, rec, _ in captures(crawls[name]):
            if rec.rec_type not in ("response", "revisit"):
                continue
            status = int(rec.http_headers.get_statuscode())
            if status != 200:
                continue
            url = rec.rec_headers.get_header("WARC-Target-URI")
            ts = "".join(ch for ch in rec.rec_headers.get_header("WARC-Date") if ch.isdigit())[:14]
            code, headers, body = _get(f"{wayback}/news/{ts}id_/{url}")
            assert code == 200, (url, code)
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            path = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
            if name == "second" and urlsplit(url).path == CHANGED:
                expected = crawls["changed_body"]
            elif urlsplit(url).hostname != urlsplit(crawls["base"]).hostname:
                expected = render_cdn(path)[2]  # the site's image host (a second loopback origin)
            else:
                expected = render(path, base_url=crawls["base"])[2]
            assert body == expected, url
            checked += 1
            revisits += rec.rec_type == "revisit"
    assert checked == sum(crawls[n].stats["downloader/response_status_count/200"] for n in ("first", "second"))
    assert revisits == crawls["second"].manifest["counts"]["warc_revisits"] > 50
