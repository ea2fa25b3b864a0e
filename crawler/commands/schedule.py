"""``scrapy schedule``: run the crawl plan (crawls.toml), or list its jobs.

    scrapy schedule                       # run crawls.toml until stopped
    scrapy schedule --plan plans/news.toml
    scrapy schedule --list                # next and last run of every job
    scrapy schedule --max-runs 2          # stop once every job has run twice

Runs are recorded in the archive store (``schedule/{job}.json``).  With
``SCRAPYD_URL`` set (e.g. ``-s SCRAPYD_URL=http://127.0.0.1:6800``), runs are
submitted to Scrapyd (project ``SCRAPYD_PROJECT``) instead of started here.
See docs/scheduling.md.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.cli import open_archive
from crawler.scheduling import PlanError, Scheduler, load_plan


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[--plan FILE] [--list] [--max-runs N] [--duration SECONDS]"

    def short_desc(self) -> str:
        return "Run scheduled crawls from a crawl plan (crawls.toml), or list them"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--plan", default="crawls.toml", help="plan file (default crawls.toml)")
        parser.add_argument("--list", action="store_true", help="show next and last runs, then exit")
        parser.add_argument("--max-runs", type=int, default=None, help="stop after every job has run N times")
        parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("scrapy schedule takes no positional arguments")
        assert self.settings is not None
        try:
            jobs = load_plan(opts.plan)
        except PlanError as exc:
            raise UsageError(str(exc)) from exc
        storage = open_archive(self.settings)
        project_root = Path(os.environ.get("SCRAPY_PROJECT_ROOT") or Path.cwd())
        # Runs get this command's -s options (the archive store with its AWS_*/ARCHIVE_S3_* settings
        # included); a job's own settings win.
        base = {name: str(value) for name, value in self.settings.items()
                if self.settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"]}
        scheduler = Scheduler(
            jobs,
            storage,
            project_root=project_root,
            base_settings=base,
            scrapyd_url=self.settings.get("SCRAPYD_URL") or None,
            scrapyd_project=self.settings.get("SCRAPYD_PROJECT"),
            plan_path=opts.plan,
        )
        if opts.list:
            rows = scheduler.status()
            print(f"{'job':<20}{'schedule':<24}{'next run (UTC)':<34}{'last run':<34}{'outcome':<18}runs")
            for r in rows:
                print(f"{r['job']:<20}{r['schedule']:<24}{r['next']:<34}{str(r['last_start']):<34}"
                      f"{str(r['last_outcome']):<18}{r['runs']}")
            print(json.dumps(rows))
            return
        scheduler.run(max_runs=opts.max_runs, duration=opts.duration)
        storage.close(60)
