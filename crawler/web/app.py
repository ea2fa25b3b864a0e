"""The console's Flask app: :func:`create_app` and its pages (docs/console.md lists them all).

Pages are rendered on the server by Jinja2 with autoescaping on; they need no script at all (a
running crawl's page reloads itself with ``<meta http-equiv="refresh">``), so the
Content-Security-Policy allows scripts only from the console's origin and none inline.
Every response carries ``Content-Security-Policy``, ``X-Content-Type-Options: nosniff``,
``X-Frame-Options: DENY`` and ``Referrer-Policy: same-origin``; no CORS header is ever sent.  Archived
pages are replayed on another origin (:mod:`crawler.web.replay`, served by ``scrapy archive-web`` on the
replay port): the console's replay page only frames that origin (its CSP's ``frame-src`` allows exactly it).

Settings read: ``ARCHIVE_WEB_USER``, ``ARCHIVE_WEB_PASSWORD``, ``ARCHIVE_WEB_SECRET``,
``ARCHIVE_WEB_REPLAYWEB_DIR``, ``ARCHIVE_WEB_REPLAY_PORT``, ``ARCHIVE_WEB_CACHE_DIR``, ``SCRAPYD_URL``, ``SCRAPYD_PROJECT``
(and ``ARCHIVE_URI`` with the store's own settings when no ``storage`` is given).
"""

from __future__ import annotations

import importlib
import logging
import mimetypes
import os
import secrets
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from scrapy.settings import BaseSettings, Settings

from archive.history import field_changes, load_versions
from archive.keys import UnsafeKeyError, warc_key
from archive.storage import Storage, open_storage
from crawler.scheduling import Job, PlanError
from crawler.web import auth, render
from crawler.web.plans import NewJob, PlanEditor
from crawler.web.replay import host_origin, replay_port_setting, replayweb_dir
from crawler.web.runner import AlreadyRunning, RunStarter
from crawler.web.store import ArchiveView, ArticleRow, Page, parse_time, valid_id

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
SPARK_RUNS = 30
DETAILS_MAX_WARC_BYTES = 512 * 1024 * 1024  # larger crawls: failed fetches and missing images on request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
REPLAY_PORT = "ARCHIVE_REPLAY_PORT"  # app.config key: the replay origin's port (scrapy archive-web sets it)

mimetypes.add_type("application/wacz", ".wacz")


def _load_search() -> Any:
    """:mod:`archive.search` (the article index), or None when this installation has none."""
    try:
        return importlib.import_module("archive.search")
    except ImportError as exc:
        logger.info("Search index not available: %s", exc)
        return None


def _verify_module() -> Any:
    return importlib.import_module("crawler.commands.archive-verify")


def _day(value: str | None) -> str | None:
    """A ``YYYY-MM-DD`` filter value, or None when empty or not a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


class Console:
    """The state of one console: store, plan, search index, runs started, verification results."""

    def __init__(self, settings: BaseSettings, plan_path: Path, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.view = ArchiveView(storage, settings.get("ARCHIVE_WEB_CACHE_DIR") or None)
        self.plan = PlanEditor(plan_path)
        base = {name: str(value) for name, value in settings.items()
                if (settings.getpriority(name) or 0) >= 40 and not name.startswith("ARCHIVE_WEB_")}
        # Runs start where `scrapy schedule` starts them: the project directory (a relative ARCHIVE_URI).
        project_root = Path(os.environ.get("SCRAPY_PROJECT_ROOT") or Path.cwd())
        self.runner = RunStarter(storage, project_root, base, settings.get("SCRAPYD_URL") or None,
                                 settings.get("SCRAPYD_PROJECT") or "crawler")
        self.replayweb_dir = replayweb_dir(settings)
        self.search_module = _load_search()
        self._index: Any = None
        self._index_checked = 0.0
        self.verify_results: dict[str, dict[str, Any]] = {}
        self._images_missing: dict[str, list[dict[str, Any]]] = {}

    # -- search index ------------------------------------------------------------------------------
    def index(self) -> Any:
        """The search index (``archive.search.SearchIndex``), or None; looked for again every 30 s."""
        if self.search_module is None:
            return None
        if self._index is None and time.monotonic() - self._index_checked > 30:
            self._index_checked = time.monotonic()
            try:
                self._index = self.search_module.SearchIndex.for_archive(self.storage, self.settings, readonly=True)
            except Exception as exc:
                logger.warning("Could not open the search index: %s", exc)
                self._index = None
        return self._index

    def index_state(self) -> str:
        if self.search_module is None:
            return "missing"
        if not self.settings.getbool("ARCHIVE_SEARCH_ENABLED", True):
            return "disabled"
        return "ok" if self.index() is not None else "unbuilt"

    # -- jobs --------------------------------------------------------------------------------------
    def jobs(self) -> tuple[list[Job], str | None]:
        if not self.plan.path.exists():
            return [], None  # no plan yet: the first job added creates it
        try:
            return self.plan.jobs(), None
        except PlanError as exc:
            return [], str(exc)

    def job_rows(self, jobs: list[Job]) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        rows = []
        for job in jobs:
            runs = self.view.runs(job.name)
            last = runs[-1] if runs else None
            last_start = parse_time(last.get("start")) if last else None
            manifest = self.view.manifest(str(last["crawl_id"])) if last and last.get("crawl_id") else None
            alerts = self.view.alerts(str(last["crawl_id"]), manifest) if last and last.get("crawl_id") else []
            status, progress = self.run_status(last, manifest, alerts)
            counts: list[int | None] = []
            for run in runs[-SPARK_RUNS:]:
                m = self.view.manifest(str(run.get("crawl_id") or "")) if run.get("crawl_id") else None
                done = m is not None and m.get("status") != "running"
                counts.append((m or {}).get("counts", {}).get("articles_written") if done else None)
            rows.append({
                "job": job,
                "schedule": f"every {_every_text(job.every)}" if job.every else f"cron {job.cron}",
                "next": None if job.paused else job.next_due(last_start, now),
                "last": last,
                "manifest": manifest,
                "status": status,
                "alerts": alerts,
                "progress": progress,
                "spark": render.sparkline(counts),
                "runs": len(runs),
                "running_here": self.runner.running(job.name),
            })
        return rows

    def images_missing(self, crawl_id: str, manifest: dict[str, Any]) -> list[dict[str, Any]]:
        """The images the crawl's article records say were not archived, with the reason; kept for a finished crawl."""
        if crawl_id in self._images_missing:
            return self._images_missing[crawl_id]
        files = {f.get("file") for f in manifest.get("warc_files") or ()}
        out: list[dict[str, Any]] = []
        for key in self.view.article_keys() if files else ():
            record = self.view.record(key)
            if not record or (record.get("warc") or {}).get("file") not in files:
                continue
            for image in record.get("images") or ():
                if isinstance(image, dict) and image.get("archived") is False:
                    out.append({"article": record, "image": image})
        if manifest.get("status") != "running":
            self._images_missing[crawl_id] = out
        return out

    def run_status(self, run: dict[str, Any] | None, manifest: dict[str, Any] | None,
                   alerts: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
        """("never run" | "running" | "ok" | "failed" | "needs attention", live progress of a running crawl)."""
        if run is None:
            return "never run", None
        outcome = str(run.get("outcome") or "")
        manifest_running = manifest is not None and manifest.get("status") == "running"
        if outcome == "running" and manifest is not None and not manifest_running:
            pass  # the run log was not updated (whoever started the run stopped): the manifest says how it ended
        elif outcome == "running" or manifest_running:
            if outcome != "running":
                return "failed", None  # the process ended, the manifest was never finished (killed)
            return "running", self.view.progress(str(run.get("crawl_id") or ""))
        elif outcome != "finished":
            return "failed", None
        if manifest is not None and _failed_manifest(manifest):
            return "failed", None
        return ("needs attention" if alerts else "ok"), None


def _every_text(every: timedelta | None) -> str:
    if every is None:
        return ""
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _failed_manifest(manifest: dict[str, Any]) -> bool:
    reason = str(manifest.get("finish_reason") or "")
    normal = reason in ("finished", "max_articles") or reason.startswith("closespider_")
    return manifest.get("status") != "running" and not normal


def _rows_from_hits(hits: list[Any]) -> list[ArticleRow]:
    return [ArticleRow(str(h.id), str(getattr(h, "key", "") or ""), str(h.site), h.title, h.url, h.published,
                       h.language, list(getattr(h, "snippet", None) or [])) for h in hits]


def create_app(settings: BaseSettings | None, plan_path: str | os.PathLike[str], storage: Storage | None = None,
               *, login_token: str | None = None, replay_port: int | None = None) -> Flask:
    """The console over ``storage`` (default: ``ARCHIVE_URI`` opened with ``settings``) and the plan file.

    ``login_token``: the one-time login token the command prints (loopback without credentials).
    ``replay_port``: the port of the replay origin (:func:`crawler.web.replay.create_replay_app`), on the
    host the browser used; also ``app.config["ARCHIVE_REPLAY_PORT"]``.  None: ``ARCHIVE_WEB_REPLAY_PORT``,
    or when that is None too the console's port + 1.
    """
    settings = settings if settings is not None else Settings()
    if storage is None:
        storage = open_storage(settings.get("ARCHIVE_URI"), settings, start_uploader=False)
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.get("ARCHIVE_WEB_SECRET") or secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="archive_console",
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    auth_config = auth.AuthConfig(settings.get("ARCHIVE_WEB_USER") or "", settings.get("ARCHIVE_WEB_PASSWORD") or "",
                                  login_token)
    console = Console(settings, Path(plan_path), storage)
    throttle = auth.LoginThrottle()
    app.extensions["console"] = console
    app.config[REPLAY_PORT] = replay_port if replay_port is not None else replay_port_setting(settings)
    app.extensions["console_auth"] = auth_config
    app.jinja_env.filters.update(when=render.when, size=render.size, href=render.safe_href)
    app.jinja_env.globals.update(csrf_token=auth.csrf_token, duration=render.duration, pager_args=_pager_args)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"logged_in": auth.authenticated(), "credentials": auth_config.credentials,
                "user": session.get("user")}

    @app.before_request
    def _require_login() -> Any:
        if not auth_config.credentials or auth.authenticated():
            return None
        if request.endpoint in ("login", "static"):
            return None
        return redirect(url_for("login", next=request.full_path if request.method == "GET" else "/"))

    def _replay_origin() -> str:
        port = app.config.get(REPLAY_PORT)
        if not port:  # not told (Flask's test client, a WSGI server of one's own): the console's port + 1
            port = (urlsplit(f"//{request.host}").port or (443 if request.scheme == "https" else 80)) + 1
        return host_origin(int(port))

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(429)
    def _error(exc: Any) -> tuple[str, int]:
        code = getattr(exc, "code", 500) or 500
        return render_template("error.html", code=code, message=getattr(exc, "description", str(exc))), code

    # -- login -----------------------------------------------------------------------------------
    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = request.values.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        token = request.args.get("token")
        if request.method == "GET" and token:
            if auth_config.use_token(token):
                auth.log_in("archivist")
                logger.info("Logged in with the one-time token")
                return redirect(target)
            abort(403, "This login link was already used or is wrong: restart scrapy archive-web for a new one.")
        error = None
        if request.method == "POST":
            if not auth.csrf_ok():
                abort(403, "Missing or wrong form token (CSRF): reload the page and try again.")
            client = str(request.remote_addr)
            if throttle.blocked(client):
                abort(429, "Too many failed logins: wait a minute.")
            if auth_config.check_password(request.form.get("user", ""), request.form.get("password", "")):
                auth.log_in(request.form.get("user", ""))
                return redirect(target)
            throttle.failed(client)
            logger.warning("Failed login for user %r from %s", request.form.get("user", "")[:60], client)
            error = "Wrong user name or password."
        return render_template("login.html", error=error, next=target, has_credentials=auth_config.credentials)

    @app.post("/logout")
    @auth.write_action
    def logout() -> Any:
        session.clear()
        return redirect(url_for("jobs"))

    # -- jobs ------------------------------------------------------------------------------------
    @app.get("/")
    def jobs() -> Any:
        job_list, plan_error = console.jobs()
        rows = console.job_rows(job_list)
        return render_template("jobs.html", rows=rows, plan_error=plan_error, plan_path=str(console.plan.path),
                               plan_exists=console.plan.path.exists(),
                               running=any(r["status"] == "running" for r in rows), now=datetime.now(UTC))

    @app.post("/jobs")
    @auth.write_action
    def add_job() -> Any:
        form = request.form
        new = NewJob(name=form.get("name", "").strip(), site=form.get("site", "").strip(),
                     url=form.get("url", "").strip(), every=form.get("every", "").strip(),
                     cron=form.get("cron", "").strip(), since=form.get("since", "").strip(),
                     until=form.get("until", "").strip())
        try:
            console.plan.add_job(new)
        except PlanError as exc:
            flash(f"The job was not added: {exc}", "error")
            return redirect(url_for("jobs"))
        flash(f"Job {new.name} added to {console.plan.path.name}.", "ok")
        return redirect(url_for("jobs"))

    def _job(name: str) -> Job:
        job_list, plan_error = console.jobs()
        if plan_error:
            abort(400, plan_error)
        job = next((j for j in job_list if j.name == name), None)
        if job is None:
            abort(404, f"No job {name!r} in the plan.")
        return job

    @app.post("/jobs/<name>/pause")
    @auth.write_action
    def pause_job(name: str) -> Any:
        return _set_paused(name, True)

    @app.post("/jobs/<name>/resume")
    @auth.write_action
    def resume_job(name: str) -> Any:
        return _set_paused(name, False)

    def _set_paused(name: str, paused: bool) -> Any:
        _job(name)
        try:
            console.plan.set_paused(name, paused)
        except PlanError as exc:
            flash(f"Not changed: {exc}", "error")
        else:
            flash(f"Job {name} {'paused' if paused else 'resumed'}.", "ok")
        return redirect(url_for("jobs"))

    @app.post("/jobs/<name>/run")
    @auth.write_action
    def run_job(name: str) -> Any:
        job = _job(name)
        try:
            crawl_id = console.runner.start(job)
        except AlreadyRunning as exc:
            flash(str(exc), "error")
            return redirect(url_for("jobs"))
        flash(f"Job {name} started: crawl {crawl_id}.", "ok")
        return redirect(url_for("jobs"))

    # -- crawls ----------------------------------------------------------------------------------
    @app.get("/crawls")
    def crawls() -> Any:
        rows: list[dict[str, Any]] = []
        for crawl_id in console.view.crawl_ids():
            manifest = console.view.manifest(crawl_id)
            if manifest is not None:
                rows.append({"manifest": manifest, "alerts": console.view.alerts(crawl_id, manifest)})
        rows.sort(key=lambda r: str(r["manifest"].get("started_at") or ""), reverse=True)
        return render_template("crawls.html", rows=rows)

    def _crawl_id(crawl_id: str) -> str:
        if not valid_id(crawl_id):
            abort(404)
        return crawl_id

    @app.get("/crawls/<crawl_id>")
    def crawl(crawl_id: str) -> Any:
        crawl_id = _crawl_id(crawl_id)
        manifest = console.view.manifest(crawl_id)
        if manifest is None:
            abort(404, f"No crawl {crawl_id!r} in {console.storage.describe()}.")
        running = manifest.get("status") == "running"
        stats = manifest.get("stats") or {}
        failures = sorted((k.split("/", 2)[2], v) for k, v in stats.items() if k.startswith("fetch/failed/"))
        robots = sorted((k, v) for k, v in stats.items()
                        if k.startswith(("robots/", "robotstxt/")) and "/host/" not in k)
        resources_missing = sorted((k.split("/", 1)[1], v) for k, v in stats.items()
                                   if k.startswith(("resources/failed/", "resources/skipped/")))
        # Reading the article records (for the images not archived) and every WARC (for the failed fetches)
        # costs time on a big crawl: done at once for small crawls, on request (?details=1) for big ones.
        counts = manifest.get("counts") or {}
        details = (request.args.get("details") == "1"
                   or int(counts.get("warc_bytes") or 0) <= DETAILS_MAX_WARC_BYTES and not running)
        images_missing = console.images_missing(crawl_id, manifest) if details else []
        files = []
        for key in console.view.warc_files(crawl_id):
            name = key.rsplit("/", 1)[-1]
            path = console.storage.local_path(key)
            files.append({"name": name, "bytes": path.stat().st_size if path is not None and path.is_file() else None})
        failed_fetches = console.view.failed_fetches(crawl_id) if details else []
        hosts = console.view.hosts(crawl_id)
        by_host: dict[str, Counter[str]] = {}
        for fetch in failed_fetches:
            host = urlsplit(fetch["url"]).netloc or "?"
            by_host.setdefault(host, Counter())[fetch["error"].split(":", 1)[0] or "?"] += 1
        known = {h["host"] for h in hosts}
        for host in sorted(set(by_host) - known):
            hosts.append({"host": host, "captures": 0, "revisits": 0, "status": [], "bytes": 0, "robots": None})
        for h in hosts:
            h["failures"] = sorted(by_host.get(h["host"], Counter()).items())
            h["robots_forbidden"] = int(stats.get(f"robotstxt/forbidden/host/{h['host']}") or 0)
        return render_template(
            "crawl.html", m=manifest, crawl_id=crawl_id, running=running, counts=counts, details=details,
            resources_missing=resources_missing,
            progress=console.view.progress(crawl_id) if running else None,
            hosts=hosts, failures=failures, robots=robots, failed_fetches=failed_fetches, images_missing=images_missing[:500],
            images_missing_total=len(images_missing), files=files,
            alerts=console.view.alerts(crawl_id, manifest), verify=console.verify_results.get(crawl_id),
            status_text=_status_counts(stats),
        )

    @app.post("/crawls/<crawl_id>/verify")
    @auth.write_action
    def verify(crawl_id: str) -> Any:
        crawl_id = _crawl_id(crawl_id)
        current = console.verify_results.get(crawl_id)
        if current is None or current.get("state") != "running":
            console.verify_results[crawl_id] = {"state": "running", "started": datetime.now(UTC).isoformat()}
            threading.Thread(target=_run_verify, args=(crawl_id,), name=f"verify-{crawl_id}", daemon=True).start()
        return redirect(url_for("crawl", crawl_id=crawl_id) + "#verify")

    def _run_verify(crawl_id: str) -> None:
        module = _verify_module()
        from archive.verify import Report

        report = Report()
        try:
            names = [k.rsplit("/", 1)[1] for k in console.storage.keys(f"warc/{crawl_id}/")
                     if k.endswith((".warc.gz", ".warc"))]
            from archive.keys import cdxj_key

            raw = console.storage.get_bytes(cdxj_key(crawl_id))
            module.verify_crawl(report, names, module.store_warc_opener(console.storage, crawl_id),
                                module.store_articles(console.storage), raw.decode("utf-8") if raw else None)
        except Exception as exc:
            report.fault(f"verification stopped: {exc.__class__.__name__}: {exc}")
        console.verify_results[crawl_id] = {
            "state": "done", "finished": datetime.now(UTC).isoformat(), "faults": report.faults,
            "lines": report.lines,
            "summary": (f"{report.warcs} WARC files, {report.records} records, {report.responses} responses, "
                        f"{report.revisits} revisits, {report.articles} articles checked, {report.faults} faults"),
        }

    @app.get("/crawls/<crawl_id>/files/<name>")
    def crawl_file(crawl_id: str, name: str) -> Any:
        crawl_id = _crawl_id(crawl_id)
        try:
            key = warc_key(crawl_id, name)
        except UnsafeKeyError:
            abort(404)
        if not name.endswith((".warc.gz", ".warc", ".wacz", ".cdxj")):
            abort(404)
        path = console.view.local_file(key)
        if path is None:
            abort(404, f"No file {name!r} in crawl {crawl_id}.")
        kind = ("application/wacz" if name.endswith(".wacz") else "application/warc" if ".warc" in name
                else "text/plain; charset=utf-8")
        return send_file(path, mimetype=kind, as_attachment=True, download_name=name, conditional=True)

    # -- articles --------------------------------------------------------------------------------
    def _filters() -> dict[str, Any]:
        args = request.args
        return {"site": args.get("site") or None, "language": args.get("language") or None,
                "since": _day(args.get("since")), "until": _day(args.get("until"))}

    def _offset() -> int:
        try:
            return max(0, int(request.args.get("offset", "0")))
        except ValueError:
            return 0

    @app.get("/articles")
    def articles() -> Any:
        filters, offset = _filters(), _offset()
        index = console.index()
        facets: dict[str, Any] = {}
        if index is not None:
            result = index.browse(**filters, limit=PAGE_SIZE, offset=offset)
            page = Page(result.total, _rows_from_hits(result.hits), bool(getattr(result, "total_capped", False)))
            facets = index.facets()
        else:
            page = console.view.scan_articles(**filters, limit=PAGE_SIZE, offset=offset)
        return render_template("articles.html", page=page, filters=request.args, offset=offset, facets=facets,
                               page_size=PAGE_SIZE, index_state=console.index_state())

    @app.get("/search")
    def search() -> Any:
        query = (request.args.get("q") or "").strip()[:500]
        filters, offset = _filters(), _offset()
        index = console.index()
        page: Page | None = None
        if query:
            if index is not None:
                result = index.search(query, **filters, limit=PAGE_SIZE, offset=offset)
                page = Page(result.total, _rows_from_hits(result.hits), bool(getattr(result, "total_capped", False)))
            else:
                page = console.view.scan_articles(**filters, query=query, limit=PAGE_SIZE, offset=offset)
        return render_template("search.html", q=query, page=page, filters=request.args, offset=offset,
                               page_size=PAGE_SIZE, index_state=console.index_state(),
                               facets=index.facets() if index is not None else {})

    def _article(article_id: str) -> tuple[str, dict[str, Any]]:
        if not valid_id(article_id):
            abort(404)
        key = None
        index = console.index()
        if index is not None:
            hit = index.get(article_id)
            key = getattr(hit, "key", None) if hit is not None else None
        key = key or console.view.find_article_key(article_id)
        record = console.view.record(key) if key else None
        if key is None or record is None:
            abort(404, f"No article {article_id!r} in the archive.")
        return key, record

    @app.get("/articles/<article_id>")
    def article(article_id: str) -> Any:
        key, record = _article(article_id)
        versions = load_versions(console.storage, record, key)
        changes = []
        for older, newer in zip(versions, versions[1:], strict=False):
            if older.record is None or newer.record is None:
                changes.append({"from": older, "to": newer, "missing": True})
                continue
            changes.append({"from": older, "to": newer, "fields": field_changes(older.record, newer.record),
                            "diff": render.diff_segments(str(older.record.get("text") or ""),
                                                         str(newer.record.get("text") or ""))})
        warc = record.get("warc") or {}
        crawl_id = console.view.crawl_of_warc(str(warc.get("file"))) if warc.get("file") else None
        ts = "".join(c for c in str(record.get("fetched_at") or "") if c.isdigit())[:14]
        paragraphs = [p for p in str(record.get("text") or "").split("\n\n") if p.strip()]
        return render_template("article.html", r=record, key=key, versions=versions, changes=changes,
                               paragraphs=paragraphs, crawl_id=crawl_id, ts=ts)

    @app.get("/articles/<article_id>/images/<int:n>")
    def article_image(article_id: str, n: int) -> Any:
        _, record = _article(article_id)
        images = record.get("images") or []
        if not 0 <= n < len(images) or not isinstance(images[n], dict) or not images[n].get("warc"):
            abort(404, "This image was not archived.")
        got = console.view.read_record(images[n]["warc"])
        if got is None:
            abort(404, "The image's WARC record could not be read.")
        rtype, headers, payload = got
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if rtype != "response" or not kind.startswith("image/") or not payload:
            abort(404, f"The record is a {rtype} of {kind or 'unknown type'}, not an image's bytes "
                       "(a revisit: the bytes are in an earlier crawl's record).")
        response = Response(payload, mimetype=kind)
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    # -- alerts ----------------------------------------------------------------------------------
    @app.get("/alerts")
    def alerts() -> Any:
        return render_template("alerts.html", alerts=console.view.all_alerts())

    # -- replay ----------------------------------------------------------------------------------
    @app.get("/replay/<crawl_id>/")
    def replay(crawl_id: str) -> Any:
        """The archived page in a frame of the replay origin (another port: its scripts cannot read the console)."""
        crawl_id = _crawl_id(crawl_id)
        url = request.args.get("url", "")
        if url and urlsplit(url).scheme.lower() not in ("http", "https"):
            abort(400, "Only http and https pages can be replayed.")
        installed = (console.replayweb_dir / "ui.js").is_file() and (console.replayweb_dir / "sw.js").is_file()
        wacz = console.view.wacz_path(crawl_id) if installed else None
        origin = _replay_origin()
        query = urlencode([("url", url)] + ([("ts", request.args["ts"])] if request.args.get("ts") else []))
        frame_url = f"{origin}/replay/{crawl_id}/?{query}" if installed and wacz is not None else ""
        response = Response(render_template(
            "replay.html", crawl_id=crawl_id, url=url, installed=installed, wacz=wacz is not None,
            replayweb_dir=str(console.replayweb_dir), frame_url=frame_url, replay_origin=origin))
        response.headers["Content-Security-Policy"] = f"{CSP}; frame-src {origin}"
        return response

    return app


def _pager_args(offset: int) -> str:
    """The current page's query string with another ``offset``."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "offset"]
    return urlencode([*args, ("offset", str(max(0, offset)))])


def _status_counts(stats: dict[str, Any]) -> list[tuple[str, Any]]:
    prefix = "downloader/response_status_count/"
    return sorted((k[len(prefix):], v) for k, v in stats.items() if k.startswith(prefix))

