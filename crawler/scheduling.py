"""Crawl plans and the scheduler behind ``scrapy schedule``.

A plan is a TOML file (default ``crawls.toml``) with one ``[[job]]`` table per job::

    [[job]]
    name = "enabbaladi"            # unique, [a-z0-9_-]
    site = "enabbaladi"            # a profile … or url = "https://example.org/"
    every = "6h"                   # "30m", "6h", "1d", "45s" … or cron = "0 */6 * * *"
    paused = true                  # optional: the scheduler skips the job until this is removed
    [job.args]                     # spider arguments
    since = "2024-01-01"
    [job.settings]                 # Scrapy settings for this job
    ARCHIVE_URI = "s3://archive/news"

The scheduler starts due jobs (a job is due at once when it never ran, then
after each interval or cron time), never runs two runs of the same job at
once, and records every run — start, end, outcome, crawl id — in the archive
store at ``schedule/{job}.json``.  With ``SCRAPYD_URL`` set, runs are submitted
to Scrapyd's ``schedule.json`` and followed through ``listjobs.json`` instead
of being started as local processes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from croniter import croniter

from archive.keys import safe_key
from archive.storage import Storage, StorageError
from crawler import settings as defaults

logger = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_EVERY_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_RUNS_KEPT = 200


class PlanError(ValueError):
    """The plan file is invalid; the message names the file, the job and the field."""


@dataclass
class Job:
    name: str
    site: str | None = None
    url: str | None = None
    every: timedelta | None = None
    cron: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    paused: bool = False

    def next_due(self, last_start: datetime | None, now: datetime) -> datetime:
        if last_start is None:
            return now
        if self.every is not None:
            return last_start + self.every
        assert self.cron is not None
        return croniter(self.cron, last_start).get_next(datetime)

    def spider_args(self) -> dict[str, str]:
        args = dict(self.args)
        if self.site:
            args["site"] = self.site
        if self.url:
            args["url"] = self.url
        return args


def parse_every(value: str) -> timedelta:
    m = _EVERY_RE.match(value)
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"{value!r} is not an interval like 30m, 6h or 1d")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def load_plan(path: str | os.PathLike[str]) -> list[Job]:
    path = Path(path)
    if not path.is_file():
        raise PlanError(f"{path}: no such plan file; write one with [[job]] tables (docs/scheduling.md)")
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{path}: not valid TOML: {exc}") from exc
    jobs_data = data.get("job")
    if not isinstance(jobs_data, list) or not jobs_data:
        raise PlanError(f"{path}: no [[job]] tables")
    jobs: list[Job] = []
    for i, raw in enumerate(jobs_data):
        where = f"{path}: job[{i}]"
        unknown = set(raw) - {"name", "site", "url", "every", "cron", "paused", "args", "settings"}
        if unknown:
            raise PlanError(f"{where}: unknown field(s) {sorted(unknown)}; "
                            "allowed: name, site, url, every, cron, paused, args, settings")
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise PlanError(f"{where}: field 'name': {name!r} must be lower-case letters, digits, '_' or '-'")
        where = f"{path}: job {name!r}"
        if any(j.name == name for j in jobs):
            raise PlanError(f"{where}: field 'name': used twice")
        if not raw.get("site") and not raw.get("url"):
            raise PlanError(f"{where}: give 'site' (a profile) or 'url'")
        if ("every" in raw) == ("cron" in raw):
            raise PlanError(f"{where}: give exactly one of 'every' (\"6h\") or 'cron' (\"0 */6 * * *\")")
        every = None
        if "every" in raw:
            try:
                every = parse_every(str(raw["every"]))
            except ValueError as exc:
                raise PlanError(f"{where}: field 'every': {exc}") from exc
        cron = raw.get("cron")
        if cron is not None:
            if not isinstance(cron, str) or len(cron.split()) != 5 or not croniter.is_valid(cron):
                raise PlanError(f"{where}: field 'cron': {cron!r} is not a five-field cron expression like \"0 */6 * * *\"")
        for table in ("args", "settings"):
            if table in raw and not isinstance(raw[table], dict):
                raise PlanError(f"{where}: field '{table}': expected a table")
        if not isinstance(raw.get("paused", False), bool):
            raise PlanError(f"{where}: field 'paused': expected true or false")
        jobs.append(
            Job(
                name=name,
                site=raw.get("site"),
                url=raw.get("url"),
                every=every,
                cron=cron,
                args={str(k): str(v) for k, v in raw.get("args", {}).items()},
                settings={str(k): str(v) for k, v in raw.get("settings", {}).items()},
                paused=bool(raw.get("paused", False)),
            )
        )
    return jobs


def runs_key(job: str) -> str:
    return safe_key(f"schedule/{job}.json")


class RunLog:
    """The runs of one job, kept in the archive store."""

    def __init__(self, storage: Storage, job: str) -> None:
        self.storage = storage
        self.job = job
        raw = None
        try:
            raw = storage.get_bytes(runs_key(job))
        except StorageError as exc:
            logger.warning("Could not read the run log of job %s (%s); starting a new one", job, exc)
        self.runs: list[dict[str, Any]] = json.loads(raw)["runs"] if raw else []

    def save(self) -> None:
        """Store the runs, merged with those stored since this log was read (by crawl id).

        Several writers share a job's log — ``scrapy schedule`` and the web console's "run now" —
        so runs another one recorded are kept, and this log's own entries win for its runs.
        """
        try:
            raw = self.storage.get_bytes(runs_key(self.job))
            stored = json.loads(raw)["runs"] if raw else []
        except (StorageError, ValueError, KeyError) as exc:
            logger.warning("Could not re-read the run log of job %s (%s); writing this one's runs", self.job, exc)
            stored = []
        mine = {r.get("crawl_id") for r in self.runs}
        others = [r for r in stored if r.get("crawl_id") not in mine]
        if others:
            self.runs = sorted([*others, *self.runs], key=lambda r: str(r.get("start") or ""))
        self.runs = self.runs[-MAX_RUNS_KEPT:]
        try:
            self.storage.put_bytes(runs_key(self.job), json.dumps({"job": self.job, "runs": self.runs}, indent=2).encode())
        except StorageError as exc:
            logger.error("Could not save the run log of job %s: %s", self.job, exc)

    @property
    def last_start(self) -> datetime | None:
        return datetime.fromisoformat(self.runs[-1]["start"]) if self.runs else None


@dataclass
class Running:
    run: dict[str, Any]
    proc: subprocess.Popen[bytes] | None = None
    scrapyd_job: str | None = None


# Passed to scheduled runs in their environment, where boto3 reads them, never as -s options.
CREDENTIAL_SETTINGS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class Scheduler:
    def __init__(
        self,
        jobs: list[Job],
        storage: Storage,
        *,
        project_root: Path,
        base_settings: dict[str, str] | None = None,
        scrapyd_url: str | None = None,
        scrapyd_project: str = defaults.SCRAPYD_PROJECT,
        plan_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.jobs = jobs
        # The plan file, read again when it changes (the web console pauses, resumes and adds jobs).
        self.plan_path = Path(plan_path) if plan_path else None
        self._plan_mtime = self._mtime()
        self.storage = storage
        self.project_root = project_root
        self.base_settings = dict(base_settings or {})
        self.scrapyd_url = scrapyd_url.rstrip("/") if scrapyd_url else None
        self.scrapyd_project = scrapyd_project
        self.logs = {job.name: RunLog(storage, job.name) for job in jobs}
        self.running: dict[str, Running] = {}
        self.launched: dict[str, int] = {}
        self.completed: dict[str, int] = {}

    def _mtime(self) -> float | None:
        try:
            return self.plan_path.stat().st_mtime if self.plan_path else None
        except OSError:
            return None

    def reload_plan(self) -> bool:
        """Read the plan file again if it changed since it was read; True when the jobs were replaced.

        A plan that no longer validates is logged and ignored (the jobs stay as they were).
        """
        mtime = self._mtime()
        if self.plan_path is None or mtime is None or mtime == self._plan_mtime:
            return False
        self._plan_mtime = mtime
        try:
            jobs = load_plan(self.plan_path)
        except PlanError as exc:
            logger.error("The changed plan is not valid, keeping the jobs as they were: %s", exc)
            return False
        for job in jobs:
            if job.name not in self.logs:
                self.logs[job.name] = RunLog(self.storage, job.name)
        self.jobs = jobs
        logger.info("Plan %s read again: %d job(s), %d paused", self.plan_path, len(jobs), sum(j.paused for j in jobs))
        return True

    def status(self, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        rows = []
        for job in self.jobs:
            log = self.logs[job.name]
            last = log.runs[-1] if log.runs else None
            rows.append(
                {
                    "job": job.name,
                    "schedule": f"every {job.every}" if job.every else f"cron {job.cron}",
                    "next": job.next_due(log.last_start, now).isoformat(),
                    "last_start": last["start"] if last else None,
                    "last_outcome": last.get("outcome") if last else None,
                    "last_crawl_id": last.get("crawl_id") if last else None,
                    "runs": len(log.runs),
                    "paused": job.paused,
                }
            )
        return rows

    def _settings(self, job: Job, crawl_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """(settings for -s, S3 credentials) of a run: credentials never go on a command line
        (visible in the process list) nor to Scrapyd (kept in its job list)."""
        merged = {**self.base_settings, **job.settings, "ARCHIVE_CRAWL_ID": crawl_id}
        credentials = {k: merged.pop(k) for k in CREDENTIAL_SETTINGS if k in merged}
        return merged, credentials

    def _command(self, job: Job, crawl_id: str) -> tuple[list[str], dict[str, str]]:
        """The crawl's command line, and the credentials for its environment (boto3 reads AWS_* there)."""
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news"]
        for k, v in job.spider_args().items():
            cmd += ["-a", f"{k}={v}"]
        settings, credentials = self._settings(job, crawl_id)
        for k, v in settings.items():
            cmd += ["-s", f"{k}={v}"]
        return cmd, credentials

    def _submit_scrapyd(self, job: Job, crawl_id: str) -> str:
        fields: list[tuple[str, str]] = [("project", self.scrapyd_project), ("spider", "news")]
        fields += list(job.spider_args().items())
        settings, credentials = self._settings(job, crawl_id)
        if credentials:
            logger.warning(
                "Job %s: %s not sent to Scrapyd (it would keep them in its job list); set them in the "
                "environment of the Scrapyd service instead", job.name, ", ".join(sorted(credentials)),
            )
        for k, v in settings.items():
            fields.append(("setting", f"{k}={v}"))
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(f"{self.scrapyd_url}/schedule.json", data=data, timeout=30) as resp:
            answer = json.loads(resp.read())
        if answer.get("status") != "ok":
            raise RuntimeError(f"Scrapyd refused job {job.name}: {answer}")
        return str(answer["jobid"])

    def _scrapyd_state(self, jobid: str) -> str:
        url = f"{self.scrapyd_url}/listjobs.json?project={urllib.parse.quote(self.scrapyd_project)}"
        with urllib.request.urlopen(url, timeout=30) as resp:
            answer = json.loads(resp.read())
        for state in ("pending", "running", "finished"):
            if any(j.get("id") == jobid for j in answer.get(state, [])):
                return state
        return "unknown"

    def start(self, job: Job, now: datetime) -> None:
        crawl_id = f"{job.name}-{now:%Y%m%dT%H%M%SZ}-{os.getpid() % 100000}"
        run: dict[str, Any] = {"start": now.isoformat(), "end": None, "outcome": "running", "crawl_id": crawl_id}
        log = self.logs[job.name]
        log.runs.append(run)
        try:
            if self.scrapyd_url:
                jobid = self._submit_scrapyd(job, crawl_id)
                run["scrapyd_job"] = jobid
                self.running[job.name] = Running(run, scrapyd_job=jobid)
            else:
                cmd, credentials = self._command(job, crawl_id)
                env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
                env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
                env.update(credentials)
                proc = subprocess.Popen(cmd, cwd=self.project_root, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                run["pid"] = proc.pid
                self.running[job.name] = Running(run, proc=proc)
        except Exception as exc:
            run.update(end=datetime.now(UTC).isoformat(), outcome=f"failed to start: {exc}")
            logger.error("Job %s could not start: %s", job.name, exc)
        log.save()
        self.launched[job.name] = self.launched.get(job.name, 0) + 1
        if run["outcome"] != "running":
            self.completed[job.name] = self.completed.get(job.name, 0) + 1
        logger.info("Started job %s (crawl %s)", job.name, crawl_id)

    def poll(self) -> None:
        for name, running in list(self.running.items()):
            outcome = None
            if running.proc is not None:
                code = running.proc.poll()
                if code is not None:
                    outcome = "finished" if code == 0 else f"failed (exit {code})"
            elif running.scrapyd_job is not None:
                try:
                    if self._scrapyd_state(running.scrapyd_job) == "finished":
                        outcome = "finished"
                except OSError as exc:
                    logger.warning("Scrapyd unreachable while following job %s: %s", name, exc)
            if outcome is not None:
                running.run.update(end=datetime.now(UTC).isoformat(), outcome=outcome)
                self.logs[name].save()
                del self.running[name]
                self.completed[name] = self.completed.get(name, 0) + 1
                logger.info("Job %s %s", name, outcome)

    def tick(self, now: datetime | None = None, max_runs: int | None = None) -> None:
        self.poll()
        now = now or datetime.now(UTC)
        for job in self.jobs:
            if job.paused:
                continue  # paused in the plan (paused = true): not started until resumed
            if job.name in self.running:
                continue  # never two runs of the same job at once
            if max_runs is not None and self.launched.get(job.name, 0) >= max_runs:
                continue
            if now >= job.next_due(self.logs[job.name].last_start, now):
                self.start(job, now)

    def run(self, max_runs: int | None = None, duration: float | None = None, interval: float = 1.0) -> None:
        """Loop until stopped, or until every job has completed ``max_runs`` runs, or ``duration`` seconds."""
        deadline = time.monotonic() + duration if duration else None
        while True:
            self.tick(max_runs=max_runs)
            self.reload_plan()
            done = max_runs is not None and not self.running and all(
                self.completed.get(j.name, 0) >= max_runs for j in self.jobs if not j.paused
            )
            if done or (deadline is not None and time.monotonic() > deadline):
                return
            time.sleep(interval)
