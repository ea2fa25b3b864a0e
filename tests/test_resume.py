"""A crawl killed with SIGKILL and restarted with the same JOBDIR continues: same crawl id,
every article stored exactly once, the WARC open at the kill closed out and readable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from demo.server import DemoServer
from tests.conftest import PROJECT_ROOT, full_captures

ARTICLES = json.loads((Path(__file__).parents[1] / "demo" / "articles.json").read_text("utf-8"))


def test_sigkill_and_resume(tmp_path):
    archive, jobdir = tmp_path / "archive", tmp_path / "job"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as server:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"url={server.url}",
               "-s", f"ARCHIVE_URI={archive}", "-s", f"JOBDIR={jobdir}", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "DOWNLOAD_DELAY=0.12", "-s", "LOG_LEVEL=INFO"]
        with open(tmp_path / "run1.log", "w") as log:
            proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 120
            while time.time() < deadline and len(list(archive.glob("articles/**/*.json"))) < 6:
                time.sleep(0.1)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        written_before = len(list(archive.glob("articles/**/*.json")))
        assert 0 < written_before < 25
        crawl_id = (jobdir / "archive-crawl-id").read_text().strip()
        assert list((archive / "warc" / crawl_id).glob("*.warc.gz.open"))  # killed with a WARC open
        run2 = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = run2.stdout + run2.stderr
    (tmp_path / "run2.log").write_text(log)
    assert run2.returncode == 0, log[-3000:]
    assert "Closed out" in log and "partial tail cut" in log
    manifest = json.loads((archive / "crawls" / crawl_id / "manifest.json").read_text())
    assert manifest["crawl_id"] == crawl_id and manifest["status"] == "finished"
    # every article exactly once
    records = [json.loads(p.read_text()) for p in archive.glob("articles/**/*.json")]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(ARTICLES)
    # every WARC of the crawl is readable to the end, none left open
    warc_dir = archive / "warc" / crawl_id
    assert not list(warc_dir.glob("*.open"))
    for warc in warc_dir.glob("*.warc.gz"):
        with open(warc, "rb") as fh:
            assert sum(1 for _ in ArchiveIterator(fh)) > 0
    verify = subprocess.run([sys.executable, "-m", "scrapy", "archive-verify", crawl_id, "-s", f"ARCHIVE_URI={archive}"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout[-3000:]
    # each article's pointer opens a response in one of the crawl's WARCs
    names = {p.name for p in warc_dir.glob("*.warc.gz")}
    assert all(r["warc"]["file"] in names for r in records)


def test_sigkill_keeps_every_archived_capture_in_the_state(tmp_path):
    """Issue 18: every capture whose WARC record was written before a SIGKILL is in the site state, and the
    resumed crawl writes no full duplicate of any of them (revisits instead)."""
    from archive.statestore import SQLiteStateStore

    archive, jobdir = tmp_path / "archive", tmp_path / "job"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    with DemoServer() as server:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"url={server.url}",
               "-s", f"ARCHIVE_URI={archive}", "-s", f"JOBDIR={jobdir}", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "DOWNLOAD_DELAY=0.1", "-s", "LOG_LEVEL=INFO"]
        with open(tmp_path / "run1.log", "w") as log:
            proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 120
            while time.time() < deadline and len(list(archive.glob("articles/**/*.json"))) < 5:
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        crawl_id = (jobdir / "archive-crawl-id").read_text().strip()
        before = full_captures(archive / "warc" / crawl_id)
        assert len(before) >= 5, (tmp_path / "run1.log").read_text()[-3000:]
        state = SQLiteStateStore(archive / "state" / "demo" / "state.sqlite", readonly=True)
        missing = [url for (url, _) in before if state.get(url) is None]
        assert not missing, missing
        once = Counter(url for url, _ in before)
        for (url, record_id), digest in before.items():
            capture = state.get(url)
            assert capture is not None and capture.digest == digest
            if once[url] == 1:
                assert capture.record_id == record_id, url
        state.close()
        run2 = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run2.returncode == 0, (run2.stdout + run2.stderr)[-3000:]
    after = full_captures(archive / "warc" / crawl_id)
    earlier = {(url, digest) for (url, _), digest in before.items()}
    duplicates = [url for (url, record_id), digest in after.items()
                  if (url, record_id) not in before and (url, digest) in earlier]
    assert not duplicates, duplicates
