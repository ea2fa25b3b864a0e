""""Run now" from the console: a run started exactly as ``scrapy schedule`` starts one.

:class:`RunStarter` gives each job a one-job :class:`crawler.scheduling.Scheduler` over the same
archive store, with the console's ``-s`` settings as the runs' base settings (the store, its S3
settings; a job's own ``[job.settings]`` win), and calls its ``start``: the same command line
(``python -m scrapy crawl news -a … -s ARCHIVE_CRAWL_ID=…``), the same crawl id form
(``{job}-{UTC time}-{pid}``), S3 credentials in the environment only, or a submission to Scrapyd
when ``SCRAPYD_URL`` is set; the run is recorded in the job's run log (``schedule/{job}.json``).
A daemon thread polls it every second until it ends and records the outcome there.

A job already running (started from this console) is not started twice; the site's lock in the
state store (docs/state.md) refuses a second crawl of a site started elsewhere.

Settings read: ``SCRAPYD_URL``, ``SCRAPYD_PROJECT``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from archive.storage import Storage
from crawler.scheduling import Job, Scheduler

logger = logging.getLogger(__name__)


class AlreadyRunning(RuntimeError):
    """The job has a run this console started that has not ended."""


class RunStarter:
    def __init__(self, storage: Storage, project_root: Path, base_settings: dict[str, str],
                 scrapyd_url: str | None = None, scrapyd_project: str = "crawler", poll_interval: float = 1.0) -> None:
        self.storage = storage
        self.project_root = project_root
        self.base_settings = dict(base_settings)
        self.scrapyd_url = scrapyd_url
        self.scrapyd_project = scrapyd_project
        self.poll_interval = poll_interval
        self._lock = threading.Lock()
        self._running: dict[str, Scheduler] = {}
        self._threads: list[threading.Thread] = []

    def running(self, job: str) -> bool:
        return job in self._running

    def start(self, job: Job) -> str:
        """Start a run of ``job`` now; its crawl id.  Raises :class:`AlreadyRunning`."""
        with self._lock:
            if job.name in self._running:
                raise AlreadyRunning(f"job {job.name} is already running")
            scheduler = Scheduler([job], self.storage, project_root=self.project_root,
                                  base_settings=self.base_settings, scrapyd_url=self.scrapyd_url,
                                  scrapyd_project=self.scrapyd_project)
            scheduler.start(job, datetime.now(UTC))
            run = scheduler.logs[job.name].runs[-1]
            if job.name in scheduler.running:
                self._running[job.name] = scheduler
                thread = threading.Thread(target=self._follow, args=(job.name, scheduler),
                                          name=f"console-run-{job.name}", daemon=True)
                self._threads.append(thread)
                thread.start()
        logger.info("Console started job %s now (crawl %s): %s", job.name, run["crawl_id"], run["outcome"])
        return str(run["crawl_id"])

    def _follow(self, name: str, scheduler: Scheduler) -> None:
        try:
            while scheduler.running:
                time.sleep(self.poll_interval)
                scheduler.poll()
        finally:
            with self._lock:
                self._running.pop(name, None)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the runs started here to end (tests, shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)
