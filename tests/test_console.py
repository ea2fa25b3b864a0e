"""The web console (scrapy archive-web): untrusted text rendered inert, CSRF and login on every write action,
the plan validated and its previous version kept, pause/resume, the search form for a plain HTTP client, the
refusal to listen publicly without credentials, and what the pages show of an archive."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import crawler.settings as project_settings
from archive.local import LocalStorage
from crawler.scheduling import load_plan
from crawler.web.app import create_app
from crawler.web.replay import create_replay_app
from tests.conftest import PROJECT_ROOT

XSS_TITLE = '<script>alert("title")</script> Headline'
XSS_ATTR = '"><img src=x onerror=alert(1)>'
XSS_URL = "javascript:alert(document.cookie)"
ARTICLE_ID = "0123456789abcdef01234567"
CRAWL_ID = "demo-20260101T000000Z-1"
PLAN = '# the archivists\' plan\n[[job]]\nname = "demo"\nsite = "demo"\nevery = "6h"\n[job.args]\nsince = "2024-01-01"\n'
WACZ = b"PK\x03\x04" + bytes(range(256)) * 4  # only its bytes are served (range requests)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def _warc(path: Path) -> dict[str, dict[str, Any]]:
    """A WARC with an image response and an HTML response; their pointers."""
    pointers: dict[str, dict[str, Any]] = {}
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for name, url, ctype, body in (("image", "http://example.org/a.png", "image/png", PNG),
                                       ("html", "http://example.org/x", "text/html", b"<script>alert(1)</script>")):
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            offset = fh.tell()
            writer.write_record(record)
            pointers[name] = {"file": path.name, "record_id": record.rec_headers.get_header("WARC-Record-ID"),
                              "offset": offset, "length": fh.tell() - offset}
        block = b"fetchError: TimeoutError: no answer within 180s\r\nattempt: 3\r\n"
        writer.write_record(writer.create_warc_record("http://slow.example.org/news/1", "metadata",
                                                      payload=io.BytesIO(block),
                                                      warc_content_type="application/warc-fields"))
    return pointers


def make_archive(root: Path) -> Path:
    archive = root / "archive"
    warc_dir = archive / "warc" / CRAWL_ID
    warc_dir.mkdir(parents=True)
    pointers = _warc(warc_dir / "test.warc.gz")
    (warc_dir / f"{CRAWL_ID}.wacz").write_bytes(WACZ)
    (warc_dir / "index.cdxj").write_text(
        'org,example)/robots.txt 20240305100000 {"url": "http://example.org/robots.txt", "status": "200", "length": "300"}\n'
        'org,example)/x 20240305100000 {"url": "http://example.org/x", "status": "403", "length": "700"}\n', "utf-8")
    record = {
        "schema_version": 3, "id": ARTICLE_ID, "url": XSS_URL, "canonical_url": XSS_URL, "site": "demo",
        "language": "ar", "title": XSS_TITLE, "authors": [XSS_ATTR], "published": "2024-03-05T10:00:00+02:00",
        "published_source": "jsonld:datePublished", "modified": None, "modified_source": None,
        "text": f"مقدمة الخبر عن الإدارة الذاتية\n\n{XSS_ATTR} paragraph <b>bold</b>", "description": XSS_ATTR,
        "tags": [], "categories": [], "fetched_at": "2024-03-05T10:00:00.000000+00:00", "http_status": 200,
        "warc": pointers["html"], "content_sha256": "0" * 64, "versions": [],
        "images": [
            {"url": "http://example.org/a.png", "caption": XSS_ATTR, "archived": True, "warc": pointers["image"]},
            {"url": "http://example.org/page", "caption": None, "archived": True, "warc": pointers["html"]},
            {"url": XSS_URL, "caption": None, "archived": False, "reason": "robots.txt disallows it"},
        ],
        "removed": [{"kind": "donation", "text": "ادعم عنب بلدي <script>alert(2)</script>", "rule": "donation:ar"}],
        "extractor": {"name": "trafilatura", "version": "2", "profile": "demo", "detection": "jsonld:newsarticle"},
    }
    key = archive / "articles" / "demo" / "2024" / "03" / "05" / f"{ARTICLE_ID}.json"
    key.parent.mkdir(parents=True)
    key.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    manifest = {
        "crawl_id": CRAWL_ID, "site": "demo", "status": "finished", "finish_reason": "finished",
        "started_at": "2024-03-05T10:00:00+00:00", "finished_at": "2024-03-05T10:01:00+00:00",
        "arguments": {"site": "demo"}, "storage": str(archive),
        "counts": {"requests": 2, "responses": 2, "articles_written": 1, "warc_files": 1, "warc_bytes": 100},
        "warc_files": [{"file": "test.warc.gz", "key": f"warc/{CRAWL_ID}/test.warc.gz", "bytes": 100}],
        "rejected_pages": {"total": 1, "listed": [{"url": XSS_URL, "reason": XSS_TITLE}]},
        "challenge_pages": {"total": 3, "listed": [{"url": "http://example.org/c", "kind": XSS_ATTR, "status": 403}]},
        "stats": {"fetch/failed/timeout": 2, "downloader/response_status_count/200": 2,
                  "robotstxt/forbidden": 3, "robotstxt/forbidden/host/example.org": 3}, "unsent": [],
    }
    (archive / "crawls" / CRAWL_ID).mkdir(parents=True)
    (archive / "crawls" / CRAWL_ID / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (archive / "alerts").mkdir()
    (archive / "alerts" / f"{CRAWL_ID}.json").write_text(json.dumps([
        {"crawl_id": CRAWL_ID, "site": "demo", "cause": "http-errors", "message": f"30% 403 {XSS_ATTR}",
         "at": "2024-03-05T10:01:00+00:00"}]), "utf-8")
    (archive / "schedule").mkdir()
    (archive / "schedule" / "demo.json").write_text(json.dumps({"job": "demo", "runs": [
        {"start": "2024-03-05T10:00:00+00:00", "end": "2024-03-05T10:01:00+00:00", "outcome": "finished",
         "crawl_id": CRAWL_ID}]}), "utf-8")
    return archive


def settings_for(archive: Path, **extra: Any) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings)
    settings.set("ARCHIVE_URI", str(archive), priority="cmdline")
    for name, value in extra.items():
        settings.set(name, value)
    return settings


@pytest.fixture()
def console(tmp_path: Path) -> Iterator[tuple[Any, Path, Path]]:
    archive = make_archive(tmp_path)
    plan = tmp_path / "crawls.toml"
    plan.write_text(PLAN, "utf-8")
    app = create_app(settings_for(archive), plan, LocalStorage(archive), login_token="one-time-token")
    app.testing = True
    yield app, plan, archive


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


REFERER = {"Referer": "http://localhost/"}


def _login(client: Any) -> str:
    response = client.get("/login?token=one-time-token")
    assert response.status_code == 302
    return _token(client.get("/").get_data(as_text=True))


# -- untrusted text ----------------------------------------------------------------------------------


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html.lower() and "src=\"javascript:" not in html.lower()
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")  # only as escaped text


@pytest.mark.parametrize("path", ["/", "/crawls", f"/crawls/{CRAWL_ID}", "/articles", f"/articles/{ARTICLE_ID}",
                                  "/search?q=Headline", "/alerts",
                                  f"/replay/{CRAWL_ID}/?url=http://example.org/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"])
def test_untrusted_text_is_rendered_inert(console: Any, path: str) -> None:
    app, _, _ = console
    response = app.test_client().get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    html = response.get_data(as_text=True)
    _assert_inert(html)
    if path.startswith("/articles/"):
        assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; Headline" in html
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
        assert "ادعم عنب بلدي" in html and "donation:ar" in html  # the removed audit
        assert "from jsonld:datePublished" in html
        assert "Open the archived page" in html
    # no inline script anywhere: the CSP forbids it
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_replay_only_http_pages(console: Any, tmp_path: Path) -> None:
    app, _, archive = console
    assert app.test_client().get(f"/replay/{CRAWL_ID}/?url={XSS_URL}").status_code == 400
    replay = create_replay_app(_replay_settings(archive, tmp_path), LocalStorage(archive))
    assert replay.test_client().get(f"/replay/{CRAWL_ID}/?url={XSS_URL}").status_code == 400


def test_security_headers_and_cookie_flags(console: Any) -> None:
    app, _, _ = console
    client = app.test_client()
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    login = client.get("/login?token=one-time-token")
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # no CORS: a page of another origin (the replay origin, another port) cannot read the console's responses
    for path in ("/", f"/articles/{ARTICLE_ID}", f"/replay/{CRAWL_ID}/?url=http://example.org/"):
        response = client.get(path, headers={"Origin": "http://localhost:81"})
        assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")], path


def test_crawl_report_per_host_table_and_failed_fetches(console: Any) -> None:
    app, _, _ = console
    html = app.test_client().get(f"/crawls/{CRAWL_ID}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "example.org 2 0 200: 1 403: 1 none 200: rules obeyed 3 1.0 kB" in text  # 3 disallowed by robots.txt
    assert "slow.example.org 0 0 TimeoutError: 1 not fetched 0" in text
    assert "robotstxt/forbidden: 3" in text and "robotstxt/forbidden/host/" not in text  # crawl-wide line
    assert "http://slow.example.org/news/1 TimeoutError: no answer within 180s 3" in text
    assert "timeout: 2" in text  # failures by cause, from the stats
    assert "1 candidate page rejected" in text
    assert "robots.txt disallows it" in text  # the image not archived, and why
    assert "http-errors" in text  # the crawl's alert
    assert "3 pages answered with a bot check" in text and "http://example.org/c" in text


def test_images_served_from_the_warc_only_when_they_are_images(console: Any) -> None:
    app, _, _ = console
    client = app.test_client()
    image = client.get(f"/articles/{ARTICLE_ID}/images/0")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert client.get(f"/articles/{ARTICLE_ID}/images/1").status_code == 404  # an HTML record: never served
    assert client.get(f"/articles/{ARTICLE_ID}/images/2").status_code == 404  # not archived
    assert client.get(f"/articles/{ARTICLE_ID}/images/9").status_code == 404


def test_downloads_and_unsafe_paths(console: Any) -> None:
    app, _, _ = console
    client = app.test_client()
    warc = client.get(f"/crawls/{CRAWL_ID}/files/test.warc.gz")
    assert warc.status_code == 200 and warc.mimetype == "application/warc"
    assert "attachment" in warc.headers["Content-Disposition"]
    ranged = client.get(f"/crawls/{CRAWL_ID}/files/test.warc.gz", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and len(ranged.data) == 10
    for path in (f"/crawls/{CRAWL_ID}/files/..%2F..%2Fcrawls.toml", "/crawls/..%2F..%2Fetc/files/passwd",
                 f"/crawls/{CRAWL_ID}/files/%2Fetc%2Fpasswd", "/crawls/../files/x.warc.gz",
                 f"/articles/..%2F{ARTICLE_ID}", "/replay/..%2F..%2F/crawl.wacz"):
        assert client.get(path).status_code == 404, path


# -- write actions: login, CSRF ----------------------------------------------------------------------


ADD = {"name": "second", "site": "demo", "url": "http://127.0.0.1:9/", "every": "1h", "since": "2024-01-01"}


def test_write_without_a_session_is_refused_and_nothing_written(console: Any) -> None:
    app, plan, _ = console
    client = app.test_client()
    token = "a-valid-csrf-token-of-an-anonymous-session-0123456789"
    with client.session_transaction() as session:  # a session with a CSRF token, but not logged in
        session["csrf"] = token
    for path, data in (("/jobs", ADD), ("/jobs/demo/pause", {}), ("/jobs/demo/run", {}),
                       (f"/crawls/{CRAWL_ID}/verify", {})):
        response = client.post(path, data={**data, "csrf_token": token}, headers=REFERER)
        assert response.status_code == 403, path
    assert plan.read_text("utf-8") == PLAN
    assert not (plan.parent / ".plan-history").exists()


@pytest.mark.parametrize("token", [None, "", "wrong-token-" + "x" * 30])
def test_csrf_missing_or_wrong_is_refused_and_nothing_written(console: Any, token: str | None) -> None:
    app, plan, archive = console
    client = app.test_client()
    _login(client)
    data = dict(ADD) if token is None else {**ADD, "csrf_token": token}
    for path in ("/jobs", "/jobs/demo/pause", "/jobs/demo/run"):
        response = client.post(path, data=data, headers=REFERER)
        assert response.status_code == 403, path
        assert "CSRF" in response.get_data(as_text=True)
    assert plan.read_text("utf-8") == PLAN
    assert json.loads((archive / "schedule" / "demo.json").read_text())["runs"][-1]["crawl_id"] == CRAWL_ID


def test_get_never_writes_and_foreign_referer_refused(console: Any) -> None:
    app, plan, _ = console
    client = app.test_client()
    token = _login(client)
    assert client.get("/jobs/demo/pause").status_code == 405
    # the right token, but sent from a replayed archived page (same origin, under /replay/) or another site
    for referer in ("http://localhost/replay/x/replay/w/id/mp_/http://example.org/", "http://evil.example/", None):
        headers = {"Referer": referer} if referer else {}
        assert client.post("/jobs/demo/pause", data={"csrf_token": token}, headers=headers).status_code == 403
    assert plan.read_text("utf-8") == PLAN


def test_one_time_login_token(console: Any) -> None:
    app, _, _ = console
    assert app.test_client().get("/login?token=wrong").status_code == 403
    assert app.test_client().get("/login?token=one-time-token").status_code == 302
    assert app.test_client().get("/login?token=one-time-token").status_code == 403  # used once


# -- the plan ----------------------------------------------------------------------------------------


def test_add_job_validated_written_atomically_previous_version_kept(console: Any) -> None:
    app, plan, _ = console
    client = app.test_client()
    token = _login(client)
    # invalid: refused with the reason, nothing written
    for bad in ({**ADD, "every": "soon"}, {**ADD, "name": "demo"}, {**ADD, "name": "Bad Name"},
                {**ADD, "url": "javascript:alert(1)"}, {**ADD, "site": "no-such-profile", "url": ""},
                {**ADD, "since": "yesterday"}, {**ADD, "cron": "0 * * * *"}):
        response = client.post("/jobs", data={**bad, "csrf_token": token}, headers=REFERER, follow_redirects=True)
        assert response.status_code == 200
        assert "The job was not added" in response.get_data(as_text=True), bad
        assert plan.read_text("utf-8") == PLAN
    assert not (plan.parent / ".plan-history").exists()
    response = client.post("/jobs", data={**ADD, "csrf_token": token}, headers=REFERER, follow_redirects=True)
    assert "Job second added" in response.get_data(as_text=True)
    text = plan.read_text("utf-8")
    assert text.startswith(PLAN)  # comments and the existing job kept as they were
    jobs = {j.name: j for j in load_plan(plan)}
    assert jobs["second"].url == "http://127.0.0.1:9/" and jobs["second"].args == {"since": "2024-01-01"}
    history = list((plan.parent / ".plan-history").iterdir())
    assert len(history) == 1 and history[0].read_text("utf-8") == PLAN
    assert not list(plan.parent.glob(".plan-check-*"))


def test_pause_and_resume(console: Any) -> None:
    app, plan, _ = console
    client = app.test_client()
    token = _login(client)
    response = client.post("/jobs/demo/pause", data={"csrf_token": token}, headers=REFERER, follow_redirects=True)
    assert "Job demo paused" in response.get_data(as_text=True)
    assert load_plan(plan)[0].paused is True
    assert load_plan(plan)[0].args == {"since": "2024-01-01"}  # the job's tables untouched
    page = client.get("/").get_data(as_text=True)
    assert 'class="badge paused"' in page and ">Resume</button>" in page
    client.post("/jobs/demo/resume", data={"csrf_token": token}, headers=REFERER)
    assert load_plan(plan)[0].paused is False
    assert plan.read_text("utf-8") == PLAN
    assert len(list((plan.parent / ".plan-history").iterdir())) == 2
    assert client.post("/jobs/nope/pause", data={"csrf_token": token}, headers=REFERER).status_code == 404


def test_run_now_starts_and_records_the_run(console: Any) -> None:
    app, plan, archive = console
    plan.write_text('[[job]]\nname = "down"\nurl = "http://127.0.0.1:9/"\nevery = "1h"\n'
                    '[job.settings]\nRETRY_ENABLED = "False"\n', "utf-8")
    client = app.test_client()
    token = _login(client)
    response = client.post("/jobs/down/run", data={"csrf_token": token}, headers=REFERER, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Job down started: crawl down-" in html
    runs = json.loads((archive / "schedule" / "down.json").read_text())["runs"]
    assert len(runs) == 1 and runs[0]["crawl_id"].startswith("down-")
    console_state = app.extensions["console"]
    console_state.runner.wait(120)
    runs = json.loads((archive / "schedule" / "down.json").read_text())["runs"]
    assert runs[0]["outcome"] != "running" and runs[0]["end"]
    assert (archive / "crawls" / runs[0]["crawl_id"] / "manifest.json").is_file()


# -- logins with credentials -------------------------------------------------------------------------


def test_credentials_every_page_needs_login_and_password_never_logged(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    archive = make_archive(tmp_path)
    plan = tmp_path / "crawls.toml"
    plan.write_text(PLAN, "utf-8")
    secret = "correct horse battery staple"
    app = create_app(settings_for(archive, ARCHIVE_WEB_USER="archivist", ARCHIVE_WEB_PASSWORD=secret), plan,
                     LocalStorage(archive))
    client = app.test_client()
    for path in ("/", f"/articles/{ARTICLE_ID}", "/search?q=x", f"/crawls/{CRAWL_ID}/files/test.warc.gz"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    token = _token(client.get("/login").get_data(as_text=True))
    caplog.set_level("DEBUG")
    bad = client.post("/login", data={"user": "archivist", "password": secret + "!", "csrf_token": token})
    assert "Wrong user name or password" in bad.get_data(as_text=True)
    assert client.post("/login", data={"user": "archivist", "password": secret}).status_code == 403  # no CSRF
    good = client.post("/login", data={"user": "archivist", "password": secret, "csrf_token": token})
    assert good.status_code == 302
    assert client.get("/").status_code == 200
    assert secret not in caplog.text
    # failed logins are throttled per address (one failed above, four more allowed in the minute)
    fresh = app.test_client()
    token = _token(fresh.get("/login").get_data(as_text=True))
    codes = [fresh.post("/login", data={"user": "archivist", "password": "guess", "csrf_token": token}).status_code
             for _ in range(7)]
    assert codes[:4] == [200] * 4 and codes[4:] == [429] * 3
    assert app.test_client().get("/login?token=").status_code == 200  # no token login with credentials


# -- the command -------------------------------------------------------------------------------------


def _command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", "archive-web", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_public_bind_without_credentials_refused(tmp_path: Path) -> None:
    for bind in ("0.0.0.0", "192.0.2.10", "::"):
        proc = _command("--bind", bind, "--port", "0", "-s", f"ARCHIVE_URI={tmp_path}")
        assert proc.returncode != 0, proc.stdout
        assert "ARCHIVE_WEB_USER" in proc.stderr and "ARCHIVE_WEB_PASSWORD" in proc.stderr
        assert "serving at" not in proc.stdout
    # only one of the two is not enough
    proc = _command("--bind", "0.0.0.0", "--port", "0", "-s", f"ARCHIVE_URI={tmp_path}", "-s", "ARCHIVE_WEB_USER=a")
    assert proc.returncode != 0 and "ARCHIVE_WEB_PASSWORD" in proc.stderr


class Served:
    """``scrapy archive-web`` in a subprocess on a free port, as an archivist starts it."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "scrapy", "archive-web", "--port", "0", *args],
                                     cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        self.url = self.login_url = self.replay_url = ""
        while time.monotonic() < deadline and not (self.url and self.login_url and self.replay_url):
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if m := re.search(r"Replay .* serving at (http://\S+)", line):
                self.replay_url = m.group(1)
            elif m := re.search(r"serving at (http://\S+)", line):
                self.url = m.group(1)
            if m := re.search(r"(http://\S+/login\?token=\S+)", line):
                self.login_url = m.group(1)
        assert self.url and self.login_url and self.replay_url, self.lines + [self.proc.stderr.read() if self.proc.poll() else ""]
        # keep both pipes drained while it serves (a full pipe would stall the server)
        self.errors: list[str] = []
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        threading.Thread(target=lambda: self.errors.extend(iter(self.proc.stderr.readline, "")),  # type: ignore[union-attr]
                         daemon=True).start()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def test_command_serves_and_search_form_works_with_a_plain_http_client(tmp_path: Path) -> None:
    archive = make_archive(tmp_path)
    plan = tmp_path / "crawls.toml"
    plan.write_text(PLAN, "utf-8")
    # the search index of the archive, built as an operator builds it
    built = subprocess.run([sys.executable, "-m", "scrapy", "archive-index", "--rebuild", "-s", f"ARCHIVE_URI={archive}"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    served = Served("--plan", str(plan), "-s", f"ARCHIVE_URI={archive}")
    try:
        assert served.url.startswith("http://127.0.0.1:")
        assert not any("Scrapy" in line and "started" in line for line in served.lines)  # no banner
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        # The form is a GET form: its fields in the query string, as a browser submits it.
        home = opener.open(served.url, timeout=30).read().decode()
        assert re.search(r'<form[^>]*method="get"[^>]*action="/search"', home)
        query = urllib.parse.urlencode({"q": "الادارة"})  # typed without hamza
        with opener.open(f"{served.url}search?{query}", timeout=30) as response:
            assert response.status == 200
            html = response.read().decode()
        # the index answered, and it normalises hamza: الادارة finds الإدارة (marked in the snippet)
        assert "Search index not available" not in html and "has not been built" not in html
        assert f"/articles/{ARTICLE_ID}" in html, html[:3000]
        assert "<mark>الإدارة</mark>" in html
        query = urllib.parse.urlencode({"q": "Headline", "site": "demo", "language": "ar"})
        html = opener.open(f"{served.url}search?{query}", timeout=30).read().decode()
        assert f"/articles/{ARTICLE_ID}" in html
        _assert_inert(html)
        # a POST without a session from a plain client: refused, nothing written
        request = urllib.request.Request(f"{served.url}jobs/demo/pause", data=b"csrf_token=x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=30)
        assert refused.value.code == 403
        assert plan.read_text("utf-8") == PLAN
        # the replay origin: the same address, the next port; the WACZ by ranges, nothing else, no write route
        console_at, replay_at = urllib.parse.urlsplit(served.url), urllib.parse.urlsplit(served.replay_url)
        assert replay_at.hostname == console_at.hostname == "127.0.0.1" and replay_at.port != console_at.port
        # the next port by default, unless it was taken (then any free port, and the command says so)
        assert replay_at.port == console_at.port + 1 or any("is taken" in line for line in served.lines)
        ranged = urllib.request.Request(f"{served.replay_url}replay/{CRAWL_ID}/crawl.wacz", headers={"Range": "bytes=0-3"})
        with opener.open(ranged, timeout=30) as response:
            assert response.status == 206 and response.read() == b"PK\x03\x04"
        for method, path in (("GET", ""), ("GET", "articles"), ("POST", "jobs/demo/pause"),
                             ("POST", f"replay/{CRAWL_ID}/crawl.wacz")):
            request = urllib.request.Request(f"{served.replay_url}{path}", data=b"csrf_token=x" if method == "POST" else None,
                                             method=method)
            with pytest.raises(urllib.error.HTTPError) as refused:
                opener.open(request, timeout=30)
            assert refused.value.code in (404, 405), (method, path)
        # the console's replay page frames the replay origin; the console sends no CORS header
        request = urllib.request.Request(f"{served.url}replay/{CRAWL_ID}/?url=http://example.org/",
                                         headers={"Origin": served.replay_url.rstrip("/")})
        with opener.open(request, timeout=30) as response:
            assert "Access-Control-Allow-Origin" not in response.headers
            assert response.headers["Content-Security-Policy"].endswith(f"frame-src {served.replay_url.rstrip('/')}")
    finally:
        served.stop()


def test_make_demo_prints_the_console_command(tmp_path: Path) -> None:
    from demo.run import console_hint

    hint = console_hint(f"ARCHIVE_URI={tmp_path / 'my archive'}")
    assert f".venv/bin/scrapy archive-web -s 'ARCHIVE_URI={tmp_path / 'my archive'}'" in hint


def test_job_status_from_run_log_and_manifest(console: Any) -> None:
    app, _, _ = console
    state = app.extensions["console"]
    finished = {"status": "finished", "finish_reason": "finished"}
    alert = [{"cause": "few-articles"}]
    assert state.run_status(None, None, [])[0] == "never run"
    assert state.run_status({"outcome": "finished"}, finished, [])[0] == "ok"
    assert state.run_status({"outcome": "finished"}, finished, alert)[0] == "needs attention"
    assert state.run_status({"outcome": "failed (exit 1)"}, None, [])[0] == "failed"
    assert state.run_status({"outcome": "finished"}, {"status": "stopped", "finish_reason": "shutdown"}, [])[0] == "failed"
    assert state.run_status({"outcome": "running", "crawl_id": "x"}, None, [])[0] == "running"
    assert state.run_status({"outcome": "running", "crawl_id": "x"}, {"status": "running"}, [])[0] == "running"
    # a run log left at "running" (its starter stopped): the finished manifest decides
    assert state.run_status({"outcome": "running", "crawl_id": "x"}, finished, [])[0] == "ok"
    # the process ended but the manifest still says running (killed)
    assert state.run_status({"outcome": "failed (exit -9)"}, {"status": "running"}, [])[0] == "failed"


def test_article_versions_with_word_diff(console: Any) -> None:
    app, _, archive = console
    key = next((archive / "articles").rglob(f"{ARTICLE_ID}.json"))
    record = json.loads(key.read_text("utf-8"))
    old = dict(record, title="Old <b>headline</b>", text="first words stay, a removed phrase, last words")
    old_key = f"articles/demo/versions/{ARTICLE_ID}/1.json"
    (archive / old_key).parent.mkdir(parents=True)
    (archive / old_key).write_text(json.dumps(old), "utf-8")
    record["text"] = "first words stay, an added phrase, last words"
    record["versions"] = [
        {"n": 1, "fetched_at": "2024-03-04T10:00:00+00:00", "content_sha256": "1" * 64, "warc": None, "key": old_key},
        {"n": 2, "fetched_at": record["fetched_at"], "content_sha256": "2" * 64, "warc": record["warc"],
         "key": str(key.relative_to(archive))},
    ]
    key.write_text(json.dumps(record), "utf-8")
    html = app.test_client().get(f"/articles/{ARTICLE_ID}").get_data(as_text=True)
    assert "Version 1 → 2" in html
    assert "<del>a removed</del>" in html and "<ins>an added</ins>" in html
    assert "Old &lt;b&gt;headline&lt;/b&gt;" in html  # the changed title, escaped
    _assert_inert(html)


def test_a_crawl_of_bot_checks_needs_attention(tmp_path: Path) -> None:
    """Run now of a site whose articles are bot checks: the job needs attention, the report lists the pages."""
    from tests.test_alerts import Site

    archive = tmp_path / "archive"
    plan = tmp_path / "crawls.toml"
    with Site("challenged") as site:
        plan.write_text(f'[[job]]\nname = "checked"\nurl = "{site.url}"\nevery = "1d"\n', "utf-8")
        settings = settings_for(archive, AUTOTHROTTLE_ENABLED=False)
        settings.set("AUTOTHROTTLE_ENABLED", "False", priority="cmdline")
        app = create_app(settings, plan, LocalStorage(archive), login_token="one-time-token")
        client = app.test_client()
        token = _login(client)
        client.post("/jobs/checked/run", data={"csrf_token": token}, headers=REFERER)
        app.extensions["console"].runner.wait(180)
    jobs = client.get("/").get_data(as_text=True)
    assert 'data-testid="status">needs attention<' in jobs
    assert "challenge-pages" in jobs
    crawl_id = json.loads((archive / "schedule" / "checked.json").read_text())["runs"][-1]["crawl_id"]
    report = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/crawls/{crawl_id}").get_data(as_text=True)))
    assert "3 pages answered with a bot check" in report and "cloudflare" in report and "perimeterx" in report
    assert "challenge-pages" in client.get("/alerts").get_data(as_text=True)


def test_browse_and_search_through_the_index(tmp_path: Path) -> None:
    from archive.search import SearchIndex

    archive = make_archive(tmp_path)
    settings = settings_for(archive)
    storage = LocalStorage(archive)
    index = SearchIndex.for_archive(storage, settings)
    assert index is not None
    key = next(k for k in storage.keys("articles/") if k.endswith(".json"))
    index.add(json.loads(storage.get_bytes(key) or b"{}"), key)
    index.close()
    client = create_app(settings, tmp_path / "crawls.toml", storage).test_client()
    for path in ("/articles?site=demo&language=ar&since=2024-03-01&until=2024-03-31", "/search?q=الادارة",
                 "/search?q=Headline&site=demo"):
        html = client.get(path).get_data(as_text=True)
        assert "has not been built" not in html and "not available" not in html
        assert f"/articles/{ARTICLE_ID}" in html, path
        assert '<option value="demo">demo (1)</option>' in html  # the index's facets
        _assert_inert(html)
    for path in ("/articles?site=other", "/articles?until=2024-03-01", "/search?q=الادارة&language=en"):
        assert f"/articles/{ARTICLE_ID}" not in client.get(path).get_data(as_text=True), path
    assert client.get(f"/articles/{ARTICLE_ID}").status_code == 200  # found through index.get


def test_search_index_switched_off(tmp_path: Path) -> None:
    archive = make_archive(tmp_path)
    app = create_app(settings_for(archive, ARCHIVE_SEARCH_ENABLED=False), tmp_path / "crawls.toml", LocalStorage(archive))
    html = app.test_client().get("/search?q=Headline").get_data(as_text=True)
    assert "switched off" in html and f"/articles/{ARTICLE_ID}" in html  # the records read one by one


# -- replay: a separate origin -----------------------------------------------------------------------


def _replay_settings(archive: Path, tmp_path: Path, **extra: Any) -> Settings:
    """Settings with a stand-in ReplayWeb.page package (``ui.js``, ``sw.js``)."""
    package = tmp_path / "replaywebpage"
    package.mkdir(exist_ok=True)
    (package / "ui.js").write_text("/* ui */", "utf-8")
    (package / "sw.js").write_text("/* sw */", "utf-8")
    return settings_for(archive, ARCHIVE_WEB_REPLAYWEB_DIR=str(package), **extra)


def test_replay_origin_serves_replayweb_and_the_wacz_and_nothing_else(console: Any, tmp_path: Path) -> None:
    """The replay app: ReplayWeb.page's files, its pages and the crawl's WACZ (range requests); no session,
    no login, no cookie, no write route, no CORS header, none of the console's pages."""
    _, plan, archive = console
    # with credentials set: the replay origin still needs no login (it has nothing but the replay to show)
    settings = _replay_settings(archive, tmp_path, ARCHIVE_WEB_USER="archivist", ARCHIVE_WEB_PASSWORD="secret")
    app = create_replay_app(settings, LocalStorage(archive), console_port=8600)
    client = app.test_client()
    client.set_cookie("archive_console", "a console session cookie: never read here")
    base = f"/replay/{CRAWL_ID}"
    ranged = client.get(f"{base}/crawl.wacz", headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.data == b"PK\x03\x04" and ranged.mimetype == "application/wacz"
    assert ranged.headers["Content-Range"] == f"bytes 0-3/{len(WACZ)}"
    tail = client.get(f"{base}/crawl.wacz", headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.data == WACZ[1000:]
    assert client.get(f"{base}/crawl.wacz").data == WACZ
    assert client.head(f"{base}/crawl.wacz").status_code == 200
    assert client.get("/replay/nope-1/crawl.wacz").status_code == 404
    # the app page the replay frame loads before ReplayWeb.page's service worker controls it (never a 404)
    page = client.get(f"{base}/replay/?source=x#url=y")
    assert page.status_code == 200 and b"<replay-app-main>" in page.data and b'src="./ui.js"' in page.data
    assert client.get(f"{base}/replay/index.html").status_code == 200
    assert client.get(f"{base}/replay/ui.js").data == b"/* ui */" and client.get(f"{base}/ui.js").data == b"/* ui */"
    sw = client.get(f"{base}/replay/sw.js")
    assert sw.data == b"/* sw */" and sw.mimetype == "text/javascript"
    # the page holding <replay-web-page>, framed by the console's origin only
    frame = client.get(f"{base}/?url=http://example.org/a%22b&ts=20240305100000", base_url="http://127.0.0.1:8601")
    html = frame.get_data(as_text=True)
    assert frame.status_code == 200
    assert (f'<replay-web-page source="{base}/crawl.wacz" url="http://example.org/a&#34;b" ts="20240305100000" '
            f'replaybase="{base}/replay/">') in html
    csp = frame.headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors 'self' http://127.0.0.1:8600") and "form-action 'none'" in csp
    assert client.get(f"{base}/?url=http://example.org/").status_code == 200
    responses = [ranged, tail, page, sw, frame]
    # none of the console's pages, and no write route: every POST is refused, nothing written
    for path in ("/", "/articles", f"/articles/{ARTICLE_ID}", f"/crawls/{CRAWL_ID}", "/login",
                 f"/crawls/{CRAWL_ID}/files/test.warc.gz", "/static/console.css", "/replay/..%2F..%2F/crawl.wacz"):
        responses.append(client.get(path))
        assert responses[-1].status_code == 404, path
    for path in ("/jobs", "/jobs/demo/pause", "/jobs/demo/run", f"/crawls/{CRAWL_ID}/verify", "/logout", "/login",
                 f"{base}/", f"{base}/crawl.wacz", f"{base}/replay/", f"{base}/replay/sw.js"):
        responses.append(client.post(path, data={"csrf_token": "x"}))
        assert responses[-1].status_code in (404, 405), path
    assert plan.read_text("utf-8") == PLAN
    for response in responses:
        assert "Set-Cookie" not in response.headers
        assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert app.secret_key is None  # no session can be read or made here
    # without ReplayWeb.page: 404s that say how to install it
    app.config["REPLAYWEB_DIR"] = tmp_path / "none"
    missing = client.get(f"{base}/replay/")
    assert missing.status_code == 404 and b"make replayweb" in missing.data
    assert client.get(f"{base}/?url=http://example.org/").status_code == 404


def test_console_replay_page_frames_the_replay_origin(console: Any, tmp_path: Path) -> None:
    """The console's replay page holds no ReplayWeb.page and no script: a frame of the replay origin (the host
    the browser used, the replay port), which its CSP's frame-src allows and nothing else."""
    app, _, archive = console
    app.extensions["console"].replayweb_dir = Path(_replay_settings(archive, tmp_path)["ARCHIVE_WEB_REPLAYWEB_DIR"])
    client = app.test_client()
    path = f"/replay/{CRAWL_ID}/?url=http://example.org/x&ts=20240305100000"
    for base_url, replay_port, origin in (("http://127.0.0.1:8600", 8601, "http://127.0.0.1:8601"),
                                          ("http://127.0.0.1:8600", None, "http://127.0.0.1:8601"),  # port + 1
                                          ("http://archive.example:9000", 9100, "http://archive.example:9100"),
                                          ("http://[::1]:8600", 8700, "http://[::1]:8700")):
        app.config["ARCHIVE_REPLAY_PORT"] = replay_port
        response = client.get(path, base_url=base_url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:1000]
        src = f"{origin}/replay/{CRAWL_ID}/?url=http%3A%2F%2Fexample.org%2Fx&amp;ts=20240305100000"
        assert f'<iframe class="replayframe" src="{src}"' in html, html
        csp = response.headers["Content-Security-Policy"]
        assert csp.endswith(f"; frame-src {origin}") and csp.count("frame-src") == 1
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "<script" not in html and "<replay-web-page" not in html
    # the console serves none of ReplayWeb.page or the WACZ on its own origin any more
    for old in (f"/replay/{CRAWL_ID}/crawl.wacz", f"/replay/{CRAWL_ID}/replay/", f"/replay/{CRAWL_ID}/replay/sw.js",
                f"/replay/{CRAWL_ID}/ui.js"):
        assert client.get(old).status_code == 404, old
    # the article's "Open the archived page" leads there
    article = client.get(f"/articles/{ARTICLE_ID}").get_data(as_text=True)
    assert f'href="/replay/{CRAWL_ID}/?' in article
    app.extensions["console"].replayweb_dir = tmp_path / "none"
    html = client.get(f"/replay/{CRAWL_ID}/?url=http://example.org/").get_data(as_text=True)
    assert "ReplayWeb.page is not installed" in html and "make replayweb" in html and "<iframe" not in html
