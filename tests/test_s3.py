"""S3-compatible storage against a real SeaweedFS server on 127.0.0.1: crawl into it,
survive an outage mid-crawl with nothing lost or duplicated, object lock, no secrets leaked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from demo.seaweed import SeaweedFS
from demo.server import DemoServer
from tests.conftest import FAST, PROJECT_ROOT, run_crawl


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    server = SeaweedFS(tmp_path_factory.mktemp("seaweed")).start()
    yield server
    server.kill()


def bucket_objects(seaweed, bucket) -> dict[str, bytes]:
    client = seaweed.client()
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return out


def test_crawl_into_s3(seaweed, demo_server, tmp_path):
    seaweed.create_bucket("news-crawl")
    spool = tmp_path / "spool"
    result = run_crawl(tmp_path / "unused", ["site=demo", f"url={demo_server.url}"],
                       [*seaweed.settings("news-crawl", "archive"), f"ARCHIVE_SPOOL_DIR={spool}"], crawl_id="s3crawl")
    assert result.returncode == 0, result.log[-3000:]
    objects = bucket_objects(seaweed, "news-crawl")
    warcs = [k for k in objects if k.startswith("archive/warc/s3crawl/") and k.endswith(".warc.gz")]
    articles = [k for k in objects if k.startswith("archive/articles/demo/") and k.endswith(".json")]
    assert warcs and len(articles) == 25
    assert "archive/warc/s3crawl/index.cdxj" in objects and "archive/warc/s3crawl/s3crawl.wacz" in objects
    manifest = json.loads(objects["archive/crawls/s3crawl/manifest.json"])
    assert manifest["unsent"] == [] and manifest["counts"]["articles_written"] == 25
    assert manifest["storage"].startswith("s3://news-crawl/archive")
    assert not [p for p in spool.rglob("*") if p.is_file() and "pending" in p.parts]  # spool drained
    # the search index of a remote archive: a local working copy beside the spool (docs/search.md)
    from archive.search import SearchIndex
    index_file = spool / "index" / "s3-news-crawl-archive" / "search.sqlite"
    index = SearchIndex(index_file, readonly=True)
    assert len(index) == 25 and not any(k.startswith("archive/index/") for k in objects)
    index.close()
    # object metadata links the JSON to its WARC record; content type and MD5 ETag are right
    client = seaweed.client()
    head = client.head_object(Bucket="news-crawl", Key=articles[0])
    record = json.loads(objects[articles[0]])
    assert head["Metadata"]["warc-record-id"] == record["warc"]["record_id"]
    assert head["ContentType"].startswith("application/json")
    # the WARC pointer works on the uploaded object
    import io

    from warcio.archiveiterator import ArchiveIterator

    data = objects[f"archive/warc/s3crawl/{record['warc']['file']}"]
    chunk = data[record["warc"]["offset"]: record["warc"]["offset"] + record["warc"]["length"]]
    assert next(iter(ArchiveIterator(io.BytesIO(chunk)))).rec_headers.get_header("WARC-Target-URI") == record["url"]
    # no secret anywhere: log, manifest, WARCs, JSON
    assert seaweed.secret_key not in result.log
    for key, body in objects.items():
        raw = body if not key.endswith(".gz") else b""
        assert seaweed.secret_key.encode() not in raw, key
    for key in warcs:
        import gzip

        assert seaweed.secret_key.encode() not in gzip.decompress(objects[key])
    assert manifest["settings"]["AWS_SECRET_ACCESS_KEY"] == "***"


def test_store_outage_mid_crawl_loses_nothing(seaweed, tmp_path):
    seaweed.create_bucket("news-outage")
    spool = tmp_path / "spool"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as site:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"url={site.url}"]
        for s in [*seaweed.settings("news-outage", "a"), f"ARCHIVE_SPOOL_DIR={spool}", "ARCHIVE_CRAWL_ID=outage",
                  "ARCHIVE_S3_KEEP_LOCAL=True", "ARCHIVE_WARC_MAX_SIZE=60000", "ARCHIVE_SPOOL_RETRY_MAX_DELAY=2",
                  "ARCHIVE_SPOOL_CLOSE_TIMEOUT=240", *FAST[1::2], "DOWNLOAD_DELAY=0.15"]:
            cmd += ["-s", s]
        log = open(tmp_path / "crawl.log", "w")
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(4)
        assert proc.poll() is None, "the crawl ended before the outage"
        seaweed.kill()  # the store dies mid-crawl
        time.sleep(6)
        seaweed.start()  # and comes back (SeaweedFS needs several seconds)
        code = proc.wait(timeout=400)
        log.close()
    text = (tmp_path / "crawl.log").read_text()
    assert code == 0, text[-3000:]
    assert "failed" in text and "keeping outputs in the spool" in text  # the outage was seen
    root = next(spool.rglob("pending")).parent
    pending = [p for p in (root / "pending").rglob("*") if p.is_file()]
    assert pending == []
    produced = {p.relative_to(root / "uploaded").as_posix(): p.read_bytes()
                for p in (root / "uploaded").rglob("*") if p.is_file()}
    objects = bucket_objects(seaweed, "news-outage")
    stored = {k.removeprefix("a/"): v for k, v in objects.items()}
    # every WARC and article JSON produced is in the bucket, byte-identical; nothing extra, nothing twice
    for prefix in ("warc/outage/", "articles/"):
        mine = {k: v for k, v in produced.items() if k.startswith(prefix)}
        theirs = {k: v for k, v in stored.items() if k.startswith(prefix)}
        assert mine and mine.keys() == theirs.keys(), prefix
        for key in mine:
            assert mine[key] == theirs[key], key
    manifest = json.loads(stored["crawls/outage/manifest.json"])
    assert manifest["unsent"] == []
    assert len([k for k in stored if k.startswith("warc/outage/") and k.endswith(".warc.gz")]) == manifest["counts"]["warc_files"] > 2
    assert len([k for k in stored if k.startswith("articles/")]) == manifest["counts"]["articles_written"] == 25
    assert manifest["stats"].get("archive/upload/failed", 0) >= 1


def test_object_lock(seaweed, demo_server, tmp_path):
    seaweed.create_bucket("news-locked", object_lock=True)
    result = run_crawl(tmp_path, ["site=demo", f"url={demo_server.url}", "max_articles=2"],
                       [*seaweed.settings("news-locked", "x"), f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool'}",
                        "ARCHIVE_S3_OBJECT_LOCK_MODE=GOVERNANCE", "ARCHIVE_S3_OBJECT_LOCK_DAYS=1"], crawl_id="locked")
    assert result.returncode == 0, result.log[-3000:]
    client = seaweed.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="news-locked", Prefix="x/warc/locked/")["Contents"]]
    warc = next(k for k in keys if k.endswith(".warc.gz"))
    assert client.get_object_retention(Bucket="news-locked", Key=warc)["Retention"]["Mode"] == "GOVERNANCE"
    version = client.list_object_versions(Bucket="news-locked", Prefix=warc)["Versions"][0]["VersionId"]
    with pytest.raises(Exception, match="AccessDenied|Access Denied"):
        client.delete_object(Bucket="news-locked", Key=warc, VersionId=version)
    assert client.head_object(Bucket="news-locked", Key=warc)["ContentLength"] > 0
    # a bucket without object lock: a clear error before crawling
    seaweed.create_bucket("news-nolock")
    bad = run_crawl(tmp_path / "b", ["site=demo", f"url={demo_server.url}", "max_articles=1"],
                    [*seaweed.settings("news-nolock", "x"), f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool2'}",
                     "ARCHIVE_S3_OBJECT_LOCK_MODE=GOVERNANCE", "ARCHIVE_S3_OBJECT_LOCK_DAYS=1"], crawl_id="nolock")
    assert bad.returncode != 0
    assert "has no object lock" in bad.log and "ARCHIVE_S3_OBJECT_LOCK_MODE" in bad.log


def test_store_down_for_the_whole_crawl_then_archive_sync(seaweed, demo_server, tmp_path):
    seaweed.create_bucket("news-later")
    spool = tmp_path / "spool"
    dead = [s if not s.startswith("AWS_ENDPOINT_URL=") else "AWS_ENDPOINT_URL=http://127.0.0.1:9" for s in seaweed.settings("news-later", "p")]
    result = run_crawl(tmp_path / "x", ["site=demo", f"url={demo_server.url}", "max_articles=3"],
                       [*dead, f"ARCHIVE_SPOOL_DIR={spool}", "ARCHIVE_SPOOL_CLOSE_TIMEOUT=2"], crawl_id="later")
    assert result.returncode == 0, result.log[-3000:]
    assert "NOT UPLOADED" in result.log and "archive-sync" in result.log
    pending = sorted(p.relative_to(next(spool.rglob("pending"))).as_posix() for p in spool.rglob("*") if p.is_file() and "pending" in p.parts)
    assert len([k for k in pending if k.startswith("articles/")]) == 3 and any(k.endswith(".warc.gz") for k in pending)
    manifest = json.loads((next(spool.rglob("pending")) / "crawls" / "later" / "manifest.json").read_text())
    assert set(manifest["unsent"]) >= {k for k in pending if k.startswith(("articles/", "warc/"))}
    sync = [sys.executable, "-m", "scrapy", "archive-sync", "--timeout", "30", "-s", f"ARCHIVE_SPOOL_DIR={spool}"]
    for s in seaweed.settings("news-later", "p"):
        sync += ["-s", s]
    proc = subprocess.run(sync, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(pending)} object(s) uploaded, 0 left" in proc.stdout
    objects = bucket_objects(seaweed, "news-later")
    assert {k.removeprefix("p/") for k in objects} == set(pending)
    again = subprocess.run(sync, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 object(s) uploaded, 0 left" in again.stdout


def test_state_snapshot_continues_on_another_machine(seaweed, demo_server, tmp_path):
    """Issue 18: with an s3:// archive the site state is a local working copy uploaded as a snapshot at close;
    a crawl on another machine (another spool) downloads it and writes revisits, not the pages again."""
    seaweed.create_bucket("news-state")
    settings = seaweed.settings("news-state", "archive")
    first = run_crawl(tmp_path / "unused", ["site=demo", f"url={demo_server.url}"],
                      [*settings, f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool-a'}"], crawl_id="s3state1")
    assert first.returncode == 0, first.log[-3000:]
    assert any((tmp_path / "spool-a").rglob("state.sqlite"))  # the working copy
    objects = bucket_objects(seaweed, "news-state")
    assert "archive/state/demo/state.sqlite" in objects
    # Machine B: one article changed meanwhile (a new full capture there), the others are revisits.
    from urllib.parse import urlsplit

    changed = urlsplit(json.loads(objects[next(k for k in objects if k.startswith("archive/articles/"))])["url"]).path
    body = (b"<html><head><title>Corrected</title></head><body><h1>Corrected</h1>"
            + b"<p>A corrected paragraph, long enough to be a paragraph of an article. </p>" * 5 + b"</body></html>")
    demo_server.overrides[changed] = (200, [("Content-Type", "text/html; charset=utf-8")], body)
    try:
        second = run_crawl(tmp_path / "unused", ["site=demo", f"url={demo_server.url}"],
                           [*settings, f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool-b'}", "NEWS_INCREMENTAL=False"],
                           crawl_id="s3state2")
        assert second.returncode == 0, second.log[-3000:]
        assert "Downloaded the state snapshot of site demo" in second.log
        manifest = json.loads(bucket_objects(seaweed, "news-state")["archive/crawls/s3state2/manifest.json"])
        assert manifest["counts"]["warc_revisits"] >= 24
        # Machine A again: its working copy predates B's crawl; the snapshot is merged into it, so the
        # page B captured is a revisit here too.
        third = run_crawl(tmp_path / "unused", ["site=demo", f"url={demo_server.url}"],
                          [*settings, f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool-a'}", "NEWS_INCREMENTAL=False"],
                          crawl_id="s3state3")
    finally:
        del demo_server.overrides[changed]
    assert third.returncode == 0, third.log[-3000:]
    assert "Merged the state snapshot of site demo" in third.log
    import io

    from warcio.archiveiterator import ArchiveIterator

    objects = bucket_objects(seaweed, "news-state")
    kinds = {}
    for key in (k for k in objects if k.startswith("archive/warc/s3state") and k.endswith(".warc.gz")):
        for record in ArchiveIterator(io.BytesIO(objects[key])):
            if record.rec_headers.get_header("WARC-Target-URI", "").endswith(changed):
                kinds.setdefault(key.split("/")[2], set()).add(record.rec_type)
    assert "response" in kinds["s3state2"] and "response" not in kinds["s3state3"] and "revisit" in kinds["s3state3"]


def test_second_crawl_of_a_site_refused_from_another_machine(seaweed, tmp_path):
    """Issue 18: two crawls of one site into one s3:// archive from two machines (two spools), without Redis:
    the second is refused with a clear message while the first holds the site's lease; never silently merged."""
    seaweed.create_bucket("news-lease")
    settings = seaweed.settings("news-lease", "archive")
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as site:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"url={site.url}",
               "-s", "ARCHIVE_CRAWL_ID=lease1", "-s", f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool-a'}", *FAST,
               "-s", "DOWNLOAD_DELAY=0.2"]
        for s in settings:
            cmd += ["-s", s]
        with open(tmp_path / "first.log", "w") as log:
            first = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            client = seaweed.client()
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    client.head_object(Bucket="news-lease", Key="archive/state/demo/lease.json")
                    break
                except Exception:
                    time.sleep(0.2)
            second = run_crawl(tmp_path / "unused", ["site=demo", f"url={site.url}"],
                               [*settings, f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool-b'}"], crawl_id="lease2")
            assert first.wait(timeout=600) == 0, (tmp_path / "first.log").read_text()[-3000:]
    assert second.returncode != 0
    assert "Crawl of site demo refused: another crawl of this site is running" in second.log
    assert '"crawl_id": "lease1"' in second.log
    lease = json.loads(bucket_objects(seaweed, "news-lease")["archive/state/demo/lease.json"])
    assert lease["crawl_id"] == "lease1" and lease["expires_at"] == 0  # given back at close
