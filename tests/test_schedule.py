"""Crawl plans and `scrapy schedule`: validation, --list, and a plan run twice (incremental second run)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from crawler.scheduling import Job, PlanError, load_plan, parse_every
from demo.server import DemoServer
from tests.conftest import PROJECT_ROOT
from tests.test_incremental import NEW, add_new_article


def test_plan_validation(tmp_path):
    plan = tmp_path / "crawls.toml"
    plan.write_text('[[job]]\nname = "a"\nsite = "demo"\nevery = "6h"\n[job.args]\nsince = "2024-01-01"\n'
                    '[[job]]\nname = "b"\nurl = "https://example.org/"\ncron = "0 */6 * * *"\n')
    jobs = load_plan(plan)
    assert [j.name for j in jobs] == ["a", "b"] and jobs[0].every == timedelta(hours=6)
    assert jobs[0].spider_args() == {"since": "2024-01-01", "site": "demo"}
    for body, message in [
        ('[[job]]\nname = "a"\nsite = "demo"\n', "exactly one of 'every'"),
        ('[[job]]\nname = "a"\nsite = "demo"\nevery = "soon"\n', "field 'every'"),
        ('[[job]]\nname = "a"\nsite = "demo"\ncron = "* * *"\n', "field 'cron'"),
        ('[[job]]\nname = "A B"\nsite = "demo"\nevery = "1h"\n', "field 'name'"),
        ('[[job]]\nname = "a"\nevery = "1h"\n', "give 'site'"),
        ('[[job]]\nname = "a"\nsite = "demo"\nevery = "1h"\nretries = 3\n', "unknown field"),
    ]:
        plan.write_text(body)
        with pytest.raises(PlanError, match=message):
            load_plan(plan)
    assert parse_every("30m") == timedelta(minutes=30) and parse_every("1d") == timedelta(days=1)


def test_next_due():
    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    job = Job(name="x", site="demo", every=timedelta(minutes=1))
    assert job.next_due(None, now) == now
    assert job.next_due(now, now) == now + timedelta(minutes=1)
    cron = Job(name="y", site="demo", cron="0 */6 * * *")
    assert cron.next_due(now, now) == datetime(2024, 1, 1, 18, 0, tzinfo=UTC)


def _schedule(*args: str, archive) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", "schedule", *args, "-s", f"ARCHIVE_URI={archive}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def test_plan_every_minute_runs_twice_second_fetches_only_new(tmp_path):
    archive = tmp_path / "archive"
    with DemoServer() as server:
        plan = tmp_path / "crawls.toml"
        plan.write_text(f'[[job]]\nname = "demo"\nsite = "demo"\nurl = "{server.url}"\nevery = "1m"\n'
                        '[job.settings]\nAUTOTHROTTLE_ENABLED = "False"\nDOWNLOAD_DELAY = "0"\n')

        def add_after_first_run() -> None:
            # once the first run has finished, the site publishes a new article
            for _ in range(600):
                runs = archive / "schedule" / "demo.json"
                if runs.exists() and json.loads(runs.read_text())["runs"][0].get("end"):
                    server.clear_requests()
                    add_new_article(server)
                    return
                time.sleep(0.2)

        watcher = threading.Thread(target=add_after_first_run, daemon=True)
        watcher.start()
        proc = _schedule("--plan", str(plan), "--max-runs", "2", archive=archive)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        second_fetches = {p for _, p, _ in server.requests if "/archives/" in p}
    runs = json.loads((archive / "schedule" / "demo.json").read_text())["runs"]
    assert [r["outcome"] for r in runs] == ["finished", "finished"]
    gap = datetime.fromisoformat(runs[1]["start"]) - datetime.fromisoformat(runs[0]["start"])
    assert timedelta(seconds=59) <= gap < timedelta(seconds=75)
    assert datetime.fromisoformat(runs[0]["end"]) <= datetime.fromisoformat(runs[1]["start"])  # never overlapping
    first = json.loads((archive / "crawls" / runs[0]["crawl_id"] / "manifest.json").read_text())
    second = json.loads((archive / "crawls" / runs[1]["crawl_id"] / "manifest.json").read_text())
    assert first["counts"]["articles_written"] == 25
    assert second["counts"]["articles_new"] == 1 and second["counts"]["articles_written"] == 1
    assert NEW in second_fetches
    listing = _schedule("--plan", str(plan), "--list", archive=archive)
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout.strip().splitlines()[-1])
    assert rows[0]["runs"] == 2 and rows[0]["last_outcome"] == "finished"
    assert rows[0]["last_crawl_id"] == runs[1]["crawl_id"]


def test_credentials_never_on_a_command_line_nor_sent_to_scrapyd(tmp_path, caplog):
    import http.server
    import urllib.parse

    from archive.local import LocalStorage
    from crawler.scheduling import Scheduler

    job = Job(name="s3job", site="demo", every=timedelta(hours=1))
    base = {"ARCHIVE_URI": "s3://bucket/prefix", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "very-secret-key"}
    local = Scheduler([job], LocalStorage(tmp_path / "archive"), project_root=PROJECT_ROOT, base_settings=base)
    cmd, env = local._command(job, "crawl-1")
    assert "very-secret-key" not in " ".join(cmd) and "AKIDEXAMPLE" not in " ".join(cmd)
    assert "ARCHIVE_URI=s3://bucket/prefix" in cmd and "AWS_ENDPOINT_URL=http://127.0.0.1:1" in cmd
    assert env == {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "very-secret-key"}

    received: list[bytes] = []

    class Scrapyd(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            body = b'{"status": "ok", "jobid": "j1"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scrapyd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = Scheduler([job], LocalStorage(tmp_path / "archive"), project_root=PROJECT_ROOT, base_settings=base,
                           scrapyd_url=f"http://127.0.0.1:{server.server_address[1]}")
        assert remote._submit_scrapyd(job, "crawl-2") == "j1"
    finally:
        server.shutdown()
    fields = urllib.parse.parse_qs(received[0].decode())
    assert "ARCHIVE_URI=s3://bucket/prefix" in fields["setting"]
    assert b"very-secret-key" not in received[0] and b"AKIDEXAMPLE" not in received[0]
    assert "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not sent to Scrapyd" in caplog.text
    assert "very-secret-key" not in caplog.text


def test_paused_job_is_skipped_and_plan_changes_are_read_again(tmp_path):
    """``paused = true`` in the plan: the scheduler skips the job; a changed plan file is read again."""
    import os

    from archive.local import LocalStorage
    from crawler.scheduling import Scheduler

    plan = tmp_path / "crawls.toml"
    plan.write_text('[[job]]\nname = "a"\nsite = "demo"\nevery = "1h"\npaused = true\n'
                    '[[job]]\nname = "b"\nsite = "demo"\nevery = "1h"\n')
    jobs = load_plan(plan)
    assert [j.paused for j in jobs] == [True, False]
    plan.write_text('[[job]]\nname = "a"\nsite = "demo"\nevery = "1h"\npaused = "yes"\n')
    with pytest.raises(PlanError, match="field 'paused'"):
        load_plan(plan)
    plan.write_text('[[job]]\nname = "a"\nsite = "demo"\nevery = "1h"\npaused = true\n')
    storage = LocalStorage(str(tmp_path / "archive"))
    scheduler = Scheduler(load_plan(plan), storage, project_root=PROJECT_ROOT, plan_path=plan)
    started: list[str] = []
    scheduler.start = lambda job, now: started.append(job.name)  # type: ignore[method-assign]
    scheduler.tick(datetime(2024, 1, 1, tzinfo=UTC))
    assert started == []
    assert scheduler.status()[0]["paused"] is True
    # resumed (and a job added) in the file: read again on the next loop
    plan.write_text('[[job]]\nname = "a"\nsite = "demo"\nevery = "1h"\n[[job]]\nname = "c"\nsite = "demo"\nevery = "1h"\n')
    os.utime(plan, (time.time() + 5, time.time() + 5))
    assert scheduler.reload_plan() is True
    scheduler.tick(datetime(2024, 1, 1, tzinfo=UTC))
    assert started == ["a", "c"]
    # an invalid change is ignored
    plan.write_text('[[job]]\nname = "a"\n')
    os.utime(plan, (time.time() + 10, time.time() + 10))
    assert scheduler.reload_plan() is False and [j.name for j in scheduler.jobs] == ["a", "c"]


def test_run_log_keeps_runs_recorded_by_another_writer(tmp_path):
    from archive.local import LocalStorage
    from crawler.scheduling import RunLog

    storage = LocalStorage(str(tmp_path / "archive"))
    scheduler_log = RunLog(storage, "a")  # read before the console's run was recorded
    console_log = RunLog(storage, "a")
    console_log.runs.append({"start": "2024-01-01T00:00:00+00:00", "outcome": "running", "crawl_id": "a-1"})
    console_log.save()
    scheduler_log.runs.append({"start": "2024-01-01T01:00:00+00:00", "outcome": "finished", "crawl_id": "a-2"})
    scheduler_log.save()
    assert [r["crawl_id"] for r in RunLog(storage, "a").runs] == ["a-1", "a-2"]
