"""Operator commands: `scrapy list`, argument errors, and the `make demo` runner."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def _scrapy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_scrapy_list_shows_news():
    proc = _scrapy("list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["news"]


def test_bad_arguments_say_what_to_do(tmp_path):
    proc = _scrapy("crawl", "news", "-s", f"ARCHIVE_URI={tmp_path}")
    assert proc.returncode != 0
    assert "give -a site=NAME" in proc.stderr
    proc = _scrapy("crawl", "news", "-a", "url=http://127.0.0.1:9/", "-a", "since=2020-13-01", "-s", f"ARCHIVE_URI={tmp_path}")
    assert "expected a date as YYYY-MM-DD" in proc.stderr
    proc = _scrapy("crawl", "news", "-a", "site=nope", "-s", f"ARCHIVE_URI={tmp_path}")
    assert "no site profile 'nope'" in proc.stderr and "enabbaladi" in proc.stderr


def test_demo_runner(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "demo.run", "--archive", str(tmp_path / "archive")],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Demo news site serving at http://127.0.0.1:" in out
    assert "articles written:" in out and "WARC files:" in out
    assert "قيادي يوضح لعنب بلدي" in out  # the seed article is the one shown
    assert list((tmp_path / "archive" / "warc").rglob("*.warc.gz"))
