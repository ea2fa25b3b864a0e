"""The item pipelines' processing as plain functions, for ``scrapy extract`` and tools.

:func:`process_offline` runs the same steps the crawl's pipelines run on an
article page — extraction and rule cleaning (:func:`pipelines.article.extract_article`),
site-level repetition removal with the blocks learned for the site (its
state store in ``ARCHIVE_URI`` or Redis, read only), dates — with options taken from the same settings
(:mod:`pipelines.options`), and returns the record as the export pipeline
would write it.

Settings read: ``ARCHIVE_URI`` (and what :func:`archive.storage.open_storage`
reads), ``REDIS_URL``, ``ARCHIVE_STATE_REDIS_PREFIX``, ``CLEAN_REPEAT_ENABLED``, ``CLEAN_REPEAT_MIN_PAGES``,
``CLEAN_REPEAT_MAX_BLOCKS``, ``CLEAN_REPEAT_MAX_CHARS``, the ``EXTRACT_*``
settings that shape the extraction pass, and the ``DATES_*`` settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from archive.storage import StorageError
from crawler.items import ArticleItem, PageItem
from crawler.schema import validate_article
from pipelines.article import extract_article
from pipelines.cleaning import Cleaner
from pipelines.dates import apply_dates
from pipelines.options import DateOptions, ExtractOptions
from pipelines.repetition import RepetitionLearner, apply_removal, load_learned


def page_from_bytes(
    body: bytes,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    status: int = 200,
    profile: Any = None,
    warc: dict[str, Any] | None = None,
    fetched_at: str | None = None,
) -> PageItem:
    """A PageItem for raw page bytes, as the spider would build it for ``url``."""
    return PageItem(
        url=url,
        body=body,
        encoding="",  # decided from headers, BOM and <meta>, as Scrapy does
        status=status,
        headers=dict(headers or {}),
        site=profile.name if profile is not None else (urlsplit(url).hostname or "unknown"),
        profile=profile.name if profile is not None else None,
        fetched_at=fetched_at or datetime.now(UTC).isoformat(),
        warc=warc,
        language_hint=profile.language if profile is not None else None,
        timezone=profile.timezone if profile is not None else None,
        detection="extract-command",
        drop_selectors=list(profile.extraction.drop_selectors) if profile is not None else [],
        drop_text_patterns=list(profile.extraction.drop_text_patterns) if profile is not None else [],
        date_selector=profile.extraction.date_selector if profile is not None else None,
    )


def extract_page_bytes(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    profile: Any = None,
    options: ExtractOptions | None = None,
    cleaner: Cleaner | None = None,
    timings: dict[str, float] | None = None,
) -> ArticleItem:
    """Extract an article (rule cleaning included) from raw page bytes (``make eval``)."""
    headers = {"Content-Type": content_type} if content_type else {}
    return extract_article(page_from_bytes(body, url, headers=headers, profile=profile), options, cleaner, timings)


def process_offline(page: PageItem, settings: BaseSettings) -> dict[str, Any]:
    """Run the article steps of the pipeline on ``page``; return the validated record."""
    article = extract_article(page, ExtractOptions.from_settings(settings))
    learner = RepetitionLearner.from_settings(settings)
    if learner is not None:
        try:
            # Read-only use of the archive and the site's state (no uploader thread for a remote store).
            load_learned(settings, article.site, learner)
        except (StorageError, ValueError):
            pass  # no archive or no state yet: rules only
        kept, removed = learner.split(article.blocks)
        if removed:
            apply_removal(article, kept, removed, learner.min_pages)
    dates = DateOptions.from_settings(settings)
    if dates.enabled:
        apply_dates(article, dates)
    record = article.to_dict()
    validate_article(record)
    return record
