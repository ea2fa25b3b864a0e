"""Editing the crawl plan from the console: add a job, pause, resume.

The plan is a text file with comments that are the archivists' own, so changes are made to the
text, not by writing the parsed data back: a new job is a ``[[job]]`` table appended at the end;
pausing puts ``paused = true`` right after the job's ``name`` line, resuming takes it out.

Every change is validated before anything is written: the new text goes to a temporary file
beside the plan and :func:`crawler.scheduling.load_plan` must accept it (its error message, naming
the field, is shown to the archivist otherwise).  Then the current plan is copied to
``.plan-history/{plan name}.{UTC time}`` beside it, and the new text replaces the plan atomically
(:func:`archive.storage.write_atomic`: written, fsynced, renamed).  ``scrapy schedule`` reads the
plan again when it changes (:meth:`crawler.scheduling.Scheduler.reload_plan`).

Settings read: none.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from archive.storage import write_atomic
from crawler.profiles import load_profile
from crawler.scheduling import Job, PlanError, load_plan, parse_every

logger = logging.getLogger(__name__)

HISTORY_DIR = ".plan-history"
_JOB_HEADER = re.compile(r"^\s*\[\[\s*job\s*\]\]\s*(#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_NAME_LINE = re.compile(r"""^\s*name\s*=\s*(["'])(?P<name>[^"']*)\1\s*(#.*)?$""")
_PAUSED_LINE = re.compile(r"^\s*paused\s*=.*$")


@dataclass
class NewJob:
    """What the "add a job" form gives."""

    name: str
    site: str = ""
    url: str = ""
    every: str = ""
    cron: str = ""
    since: str = ""
    until: str = ""


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for these characters)."""
    return json.dumps(value, ensure_ascii=False)


class PlanEditor:
    """Changes to one plan file (see module docstring); one change at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def jobs(self) -> list[Job]:
        return load_plan(self.path)

    def text(self) -> str:
        return self.path.read_text("utf-8") if self.path.is_file() else ""

    # -- changes ---------------------------------------------------------------------------------
    def add_job(self, new: NewJob) -> Job:
        """Append a job; raises PlanError (the message says what is wrong) and writes nothing then."""
        errors = []
        if not new.site and not new.url:
            errors.append("give a site profile or a URL")
        if new.url and not re.match(r"^https?://[^\s/]+", new.url):
            errors.append(f"URL {new.url!r} must start with http:// or https://")
        if new.site:
            try:
                load_profile(new.site)
            except Exception as exc:
                errors.append(f"site profile {new.site!r}: {exc}")
        if bool(new.every) == bool(new.cron):
            errors.append("give either an interval (every, like 6h) or a cron line")
        if new.every:
            try:
                parse_every(new.every)
            except ValueError as exc:
                errors.append(str(exc))
        for label, value in (("since", new.since), ("until", new.until)):
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    errors.append(f"{label} {value!r} is not a date like 2024-01-31")
        if errors:
            raise PlanError("; ".join(errors))
        lines = ["", "[[job]]", f"name = {_toml_string(new.name)}"]
        if new.site:
            lines.append(f"site = {_toml_string(new.site)}")
        if new.url:
            lines.append(f"url = {_toml_string(new.url)}")
        lines.append(f"every = {_toml_string(new.every)}" if new.every else f"cron = {_toml_string(new.cron)}")
        args = [(k, v) for k, v in (("since", new.since), ("until", new.until)) if v]
        if args:
            lines.append("[job.args]")
            lines += [f"{k} = {_toml_string(v)}" for k, v in args]
        with self._lock:
            text = self.text()
            if text and not text.endswith("\n"):
                text += "\n"
            jobs = self._write(text + "\n".join(lines) + "\n", f"added job {new.name}")
        return next(j for j in jobs if j.name == new.name)

    def set_paused(self, name: str, paused: bool) -> Job:
        with self._lock:
            lines = self.text().splitlines(keepends=True)
            start, end = self._job_span(lines, name)
            # only the job's own table (before its [job.args] / [job.settings]) holds `paused`
            body = [line for line in lines[start:end] if not _PAUSED_LINE.match(line)]
            out = lines[:start]
            for line in body:
                out.append(line)
                if paused and _NAME_LINE.match(line):
                    out.append("paused = true\n")
            out += lines[end:]
            jobs = self._write("".join(out), f"{'paused' if paused else 'resumed'} job {name}")
        return next(j for j in jobs if j.name == name)

    # -- helpers ---------------------------------------------------------------------------------
    def _job_span(self, lines: list[str], name: str) -> tuple[int, int]:
        """Lines [start, end) of the job's own table: from its [[job]] header to the next table header."""
        i = 0
        while i < len(lines):
            if _JOB_HEADER.match(lines[i]):
                j = i + 1
                while j < len(lines) and not _TABLE_HEADER.match(lines[j]):
                    j += 1
                for line in lines[i + 1:j]:
                    m = _NAME_LINE.match(line)
                    if m and m.group("name") == name:
                        return i, j
                i = j
            else:
                i += 1
        raise PlanError(f"{self.path}: no job named {name!r} (its name must be on a line of its own)")

    def _write(self, text: str, what: str) -> list[Job]:
        """Validate ``text`` as a plan, keep the current file in the history, replace it; the new jobs."""
        fd, tmp = tempfile.mkstemp(prefix=".plan-check-", suffix=".toml", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            try:
                jobs = load_plan(tmp)
            except PlanError as exc:
                raise PlanError(str(exc).replace(tmp, str(self.path))) from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        if self.path.is_file():
            history = self.path.parent / HISTORY_DIR
            history.mkdir(exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            shutil.copy2(self.path, history / f"{self.path.name}.{stamp}")
        write_atomic(self.path, text.encode("utf-8"))
        logger.info("Plan %s: %s", self.path, what)
        return jobs
