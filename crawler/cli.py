"""Shared base of the project's `scrapy` commands (outside crawler/commands so Scrapy does not list it)."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand


class QuietCommand(ScrapyCommand):
    """A command that logs warnings only: the project's LOG_LEVEL (INFO) is for crawls; --loglevel still wins."""

    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.settings.set("LOG_LEVEL", "WARNING", priority="command")
