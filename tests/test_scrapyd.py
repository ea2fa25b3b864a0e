"""Scrapyd: deploy the project with scrapyd-deploy from scrapy.cfg to a real Scrapyd on 127.0.0.1,
then let `scrapy schedule` submit a demo-site crawl there and wait for the archive."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from demo.server import DemoServer
from tests.conftest import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture()
def scrapyd(tmp_path):
    port = _free_port()
    (tmp_path / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = {tmp_path}/eggs\nlogs_dir = {tmp_path}/logs\n"
        f"dbs_dir = {tmp_path}/dbs\nitems_dir =\nmax_proc = 2\npoll_interval = 0.5\n"
    )
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("scrapyd"))], cwd=tmp_path, env=env,
                            stdout=open(tmp_path / "scrapyd.log", "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if _get(url + "/daemonstatus.json").get("status") == "ok":
                break
        except OSError:
            time.sleep(0.25)
    else:
        proc.kill()
        pytest.fail("Scrapyd did not start: " + (tmp_path / "scrapyd.log").read_text()[-2000:])
    yield url
    proc.kill()
    proc.wait()


def test_deploy_and_scheduled_crawl(scrapyd, tmp_path):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["SCRAPYD_URL"] = scrapyd
    deploy = subprocess.run([str(Path(sys.executable).with_name("scrapyd-deploy")), "env"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert '"status": "ok"' in deploy.stdout + deploy.stderr
    assert _get(scrapyd + "/listspiders.json?project=crawler")["spiders"] == ["news"]

    archive = tmp_path / "archive"
    with DemoServer() as server:
        plan = tmp_path / "crawls.toml"
        plan.write_text(f'[[job]]\nname = "demo-scrapyd"\nsite = "demo"\nurl = "{server.url}"\nevery = "1h"\n'
                        f'[job.args]\nmax_articles = "5"\n[job.settings]\nARCHIVE_URI = "{archive}"\n'
                        'AUTOTHROTTLE_ENABLED = "False"\n')
        proc = subprocess.run([sys.executable, "-m", "scrapy", "schedule", "--plan", str(plan), "--max-runs", "1",
                               "-s", f"SCRAPYD_URL={scrapyd}", "-s", f"ARCHIVE_URI={archive}"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = json.loads((archive / "schedule" / "demo-scrapyd.json").read_text())["runs"]
    assert runs[0]["outcome"] == "finished" and runs[0]["scrapyd_job"]
    manifest = json.loads((archive / "crawls" / runs[0]["crawl_id"] / "manifest.json").read_text())
    assert manifest["status"] in ("finished", "stopped") and manifest["counts"]["articles_written"] == 5
    assert list((archive / "warc" / runs[0]["crawl_id"]).glob("*.warc.gz"))
    jobs = _get(scrapyd + "/listjobs.json?project=crawler")
    assert [j["id"] for j in jobs["finished"]] == [runs[0]["scrapyd_job"]]
