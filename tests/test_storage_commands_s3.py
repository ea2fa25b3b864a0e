"""`scrapy archive-verify`, `archive-pack` and `archive-status` on an s3:// archive: a crawl stored in a real
SeaweedFS server on 127.0.0.1 (a custom endpoint, path-style addressing, its own keys), read with the same
`-s` settings as the crawl; and the commands' answer to an ARCHIVE_URI scheme no backend serves."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from demo.seaweed import SeaweedFS
from tests.conftest import PROJECT_ROOT, CrawlResult, run_crawl
from tests.test_s3 import bucket_objects

BUCKET = "news-commands"
CRAWL = "cmds"


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    server = SeaweedFS(tmp_path_factory.mktemp("seaweed")).start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def s3_crawl(seaweed, demo_server, tmp_path_factory) -> CrawlResult:
    """A crawl of the demo site (6 articles) stored under s3://news-commands/arch/."""
    seaweed.create_bucket(BUCKET)
    tmp = tmp_path_factory.mktemp("s3crawl")
    result = run_crawl(tmp / "unused", ["site=demo", f"url={demo_server.url}", "max_articles=6"],
                       [*seaweed.settings(BUCKET, "arch"), f"ARCHIVE_SPOOL_DIR={tmp / 'spool'}"], crawl_id=CRAWL)
    assert result.returncode == 0, result.log[-3000:]
    stored = bucket_objects(seaweed, BUCKET)
    assert len([k for k in stored if k.startswith("arch/articles/")]) == 6, result.log[-3000:]
    return result


def scrapy(seaweed, *args: str, prefix: str, spool: Path, settings: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`python -m scrapy ARGS` against s3://news-commands/PREFIX, as an operator runs it; never prints the secret."""
    cmd = [sys.executable, "-m", "scrapy", *args]
    for s in [*seaweed.settings(BUCKET, prefix), f"ARCHIVE_SPOOL_DIR={spool}", *settings]:
        cmd += ["-s", s]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert seaweed.secret_key not in proc.stdout + proc.stderr
    return proc


def copy_prefix(seaweed, source: str, dest: str) -> dict[str, bytes]:
    """Copy the crawl's objects from one prefix to another; return them by archive key."""
    client = seaweed.client()
    objects = {k.removeprefix(f"{source}/"): v for k, v in bucket_objects(seaweed, BUCKET).items()
               if k.startswith(f"{source}/")}
    for key, body in objects.items():
        client.put_object(Bucket=BUCKET, Key=f"{dest}/{key}", Body=body)
    return objects


def pending(spool: Path) -> list[Path]:
    return [p for p in spool.rglob("*") if p.is_file() and "pending" in p.parts]


def test_archive_verify_reads_the_crawl_from_s3(seaweed, s3_crawl, tmp_path):
    objects = {k.removeprefix("arch/"): v for k, v in bucket_objects(seaweed, BUCKET).items() if k.startswith("arch/")}
    warcs = [k for k in objects if k.startswith(f"warc/{CRAWL}/") and k.endswith(".warc.gz")]
    assert warcs
    proc = scrapy(seaweed, "archive-verify", CRAWL, prefix="arch", spool=tmp_path / "spool")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAULT" not in proc.stdout
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"crawl {CRAWL}: {len(warcs)} WARC files,") and summary.endswith(", 6 articles checked, 0 faults")
    assert "ok     6 article JSON pointers open their response records" in proc.stdout
    assert "ok     CDXJ covers all" in proc.stdout
    assert not pending(tmp_path / "spool")  # reading wrote nothing
    # the status of the same archive, from the same settings
    status = scrapy(seaweed, "archive-status", "--json", prefix="arch", spool=tmp_path / "spool")
    assert status.returncode == 0, status.stderr
    demo = json.loads(status.stdout)["demo"]
    assert demo["last_crawl"] == CRAWL and demo["articles_last"] == 6 and demo["failures"] == 0


def test_archive_pack_rebuilds_index_and_wacz_in_s3(seaweed, s3_crawl, tmp_path):
    original = copy_prefix(seaweed, "arch", "packed")
    client = seaweed.client()
    removed = [k for k in original if k in (f"warc/{CRAWL}/index.cdxj", f"warc/{CRAWL}/{CRAWL}.wacz")
               or k.startswith(f"crawls/{CRAWL}/indexes/")]
    assert len(removed) >= 3
    for key in removed:
        client.delete_object(Bucket=BUCKET, Key=f"packed/{key}")
    spool = tmp_path / "spool"
    proc = scrapy(seaweed, "archive-pack", CRAWL, prefix="packed", spool=spool)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warcs = sorted(k for k in original if k.startswith(f"warc/{CRAWL}/") and k.endswith(".warc.gz"))
    assert proc.stdout.startswith(f"crawl {CRAWL}: {len(warcs)} WARC files, 6 pages -> warc/{CRAWL}/index.cdxj, "
                                  f"warc/{CRAWL}/{CRAWL}.wacz in s3://{BUCKET}/packed at {seaweed.endpoint}")
    assert not pending(spool)  # uploaded before the command ended
    stored = {k.removeprefix("packed/"): v for k, v in bucket_objects(seaweed, BUCKET).items() if k.startswith("packed/")}
    assert set(stored) == set(original)  # everything removed is back, nothing else
    assert stored[f"warc/{CRAWL}/index.cdxj"] == original[f"warc/{CRAWL}/index.cdxj"]
    with zipfile.ZipFile(io.BytesIO(stored[f"warc/{CRAWL}/{CRAWL}.wacz"])) as wacz:
        names = set(wacz.namelist())
        assert {"datapackage.json", "indexes/index.cdx", "pages/pages.jsonl"} <= names
        for key in warcs:
            assert wacz.read(f"archive/{key.rsplit('/', 1)[1]}") == original[key]
        assert wacz.read("indexes/index.cdx") == original[f"warc/{CRAWL}/index.cdxj"]
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
    articles = [json.loads(v) for k, v in original.items() if k.startswith("articles/")]
    assert sorted(p["url"] for p in pages) == sorted(a["url"] for a in articles) and len(pages) == 6
    verify = scrapy(seaweed, "archive-verify", CRAWL, prefix="packed", spool=spool)
    assert verify.returncode == 0 and verify.stdout.strip().endswith(", 6 articles checked, 0 faults"), verify.stdout


def test_archive_verify_fails_on_a_damaged_object(seaweed, s3_crawl, tmp_path):
    original = copy_prefix(seaweed, "arch", "broken")
    client = seaweed.client()
    warc = next(k for k in sorted(original) if k.startswith(f"warc/{CRAWL}/") and k.endswith(".warc.gz"))
    data = bytearray(original[warc])
    data[len(data) // 2] ^= 0xFF
    client.put_object(Bucket=BUCKET, Key=f"broken/{warc}", Body=bytes(data))
    article = next(k for k in sorted(original) if k.startswith("articles/"))
    client.put_object(Bucket=BUCKET, Key=f"broken/{article}", Body=b'{"id": "cut sh')
    proc = scrapy(seaweed, "archive-verify", CRAWL, prefix="broken", spool=tmp_path / "spool")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    faults = [line for line in proc.stdout.splitlines() if line.startswith("FAULT")]
    assert any(warc.rsplit("/", 1)[1] in line for line in faults), proc.stdout
    assert f"FAULT  {article}: not JSON" in proc.stdout
    assert not proc.stdout.strip().endswith(" 0 faults")


def test_a_scheme_without_backend_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "scrapy", "archive-verify", "x", "-s", "ARCHIVE_URI=gopher://host/p"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "no storage backend for scheme 'gopher'" in proc.stderr and "ARCHIVE_STORAGES" in proc.stderr
    assert "Traceback" not in proc.stderr
    # a scheme added with -s ARCHIVE_STORAGES serves the commands
    proc = subprocess.run([sys.executable, "-m", "scrapy", "archive-status", "--json", "-s", "ARCHIVE_URI=mem://x/y",
                           "-s", 'ARCHIVE_STORAGES={"mem": "tests.test_storage.MemoryStorage"}'],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {}
