"""Shared base of the project's `scrapy` commands (outside crawler/commands so Scrapy does not list it)."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from archive.storage import Storage, StorageError, open_storage


def open_archive(settings: BaseSettings | None, *, start_uploader: bool = True) -> Storage:
    """Open ``ARCHIVE_URI`` with the command's settings (project settings and ``-s`` options), as a crawl does.

    A store that cannot be opened (unknown scheme, bad S3 settings) is a usage error, said in one line.
    """
    assert settings is not None
    try:
        return open_storage(settings.get("ARCHIVE_URI"), settings, start_uploader=start_uploader)
    except StorageError as exc:
        raise UsageError(str(exc)) from exc


class QuietCommand(ScrapyCommand):
    """A command that logs warnings only: the project's LOG_LEVEL (INFO) is for crawls; --loglevel still wins."""

    requires_project = True

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # Over the project's LOG_LEVEL (crawler/settings.py, project priority), under -s and --loglevel.
        if (self.settings.getpriority("LOG_LEVEL") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            self.settings.set("LOG_LEVEL", "WARNING", priority="project")
