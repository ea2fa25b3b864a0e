"""Shared fixtures: no proxies, a demo-site server, and crawls run as operators run them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_67afc023dd4f8fc2.txt"

for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


@dataclass
class CrawlResult:
    archive: Path
    crawl_id: str
    returncode: int
    log: str

    @property
    def manifest(self) -> dict:
        return json.loads((self.archive / "crawls" / self.crawl_id / "manifest.json").read_text("utf-8"))

    @property
    def stats(self) -> dict:
        return self.manifest["stats"]

    def warc_paths(self) -> list[Path]:
        return sorted((self.archive / "warc" / self.crawl_id).glob("*.warc.gz"))

    def articles(self) -> list[tuple[Path, dict]]:
        out = []
        for path in sorted((self.archive / "articles").rglob("*.json")):
            out.append((path, json.loads(path.read_text("utf-8"))))
        return out


FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]


def run_crawl(archive: Path, args: list[str], settings: list[str] | None = None, crawl_id: str = "test-crawl",
              timeout: float = 300) -> CrawlResult:
    """Run `scrapy crawl news ...` in a subprocess, exactly as an operator would."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for a in args:
        cmd += ["-a", a]
    cmd += ["-s", f"ARCHIVE_URI={archive}", "-s", f"ARCHIVE_CRAWL_ID={crawl_id}", *FAST]
    for s in settings or []:
        cmd += ["-s", s]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return CrawlResult(archive, crawl_id, proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def demo_server() -> Iterator:
    from demo.server import DemoServer

    with DemoServer() as server:
        yield server


@pytest.fixture(scope="session")
def demo_crawl(demo_server, tmp_path_factory) -> CrawlResult:
    """One full crawl of the demo site, shared by the end-to-end tests."""
    archive = tmp_path_factory.mktemp("archive")
    result = run_crawl(archive, ["site=demo", f"url={demo_server.url}"], crawl_id="demo-e2e")
    assert result.returncode == 0, result.log[-5000:]
    return result


def full_captures(warc_dir: Path, pattern: str = "*.warc.gz*") -> dict[tuple[str, str], str]:
    """(url, record id) -> payload digest of every complete 2xx response record readable in the WARCs
    (a file left open by a kill is read up to its cut tail)."""
    from warcio.archiveiterator import ArchiveIterator

    out: dict[tuple[str, str], str] = {}
    for warc in sorted(warc_dir.glob(pattern)):
        with open(warc, "rb") as fh:
            try:
                for record in ArchiveIterator(fh):
                    headers = record.rec_headers
                    if (record.rec_type != "response" or headers.get_header("WARC-Truncated")
                            or not record.http_headers or not 200 <= int(record.http_headers.get_statuscode()) < 300):
                        continue
                    body = record.content_stream().read()
                    if body:
                        out[(headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Record-ID"))] = \
                            headers.get_header("WARC-Payload-Digest")
            except Exception:  # the partial tail of the file open at the kill
                pass
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    assert binary, "redis-server (Debian package redis-server) is needed; .ci/run installs it"
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()
