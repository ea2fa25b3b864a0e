"""The extraction and dates steps' options, read from settings in one place.

:meth:`ExtractOptions.from_settings` is the only reader of the ``EXTRACT_*``
settings and :meth:`DateOptions.from_settings` the only reader of the
``DATES_*`` settings; the pipelines, the extraction workers and
``scrapy extract`` (:mod:`pipelines.offline`) all take their options from
them.  Given no settings, both read the project's defaults
(:func:`project_defaults`), so every default lives in crawler/settings.py.

Settings read: ``EXTRACT_MIN_TEXT_CHARS``, ``EXTRACT_MAX_ELEMENTS``,
``EXTRACT_FAVOR_PRECISION``, ``EXTRACT_FAVOR_RECALL``, ``EXTRACT_FAST``,
``EXTRACT_COMPARE_BELOW_CHARS``, ``EXTRACT_COMPARE_BELOW_SHARE``, ``EXTRACT_WORKERS``, ``EXTRACT_TIMEOUT``,
``DATES_ENABLED``, ``DATES_DEFAULT_TIMEZONE``, ``DATES_MIN_YEAR``,
``DATES_MAX_FUTURE_DAYS``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from scrapy.settings import BaseSettings, Settings


@functools.cache
def project_defaults() -> BaseSettings:
    """Scrapy's default settings overridden by crawler/settings.py: a crawl's settings without ``-s`` (frozen)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.freeze()
    return settings


@dataclass(frozen=True)
class ExtractOptions:
    """How pages are extracted (the ``EXTRACT_*`` settings)."""

    min_text_chars: int  # EXTRACT_MIN_TEXT_CHARS: shorter text is not an article
    max_elements: int  # EXTRACT_MAX_ELEMENTS: larger DOMs are not extracted (0: no limit)
    favor_precision: bool  # EXTRACT_FAVOR_PRECISION
    favor_recall: bool  # EXTRACT_FAVOR_RECALL
    # trafilatura's fast mode only: never the readability/jusText comparison (EXTRACT_FAST).
    fast: bool
    # Fast mode first; the comparison only when fast mode finds fewer characters (EXTRACT_COMPARE_BELOW_CHARS).
    compare_below_chars: int
    # ... or fewer than this share of the page's <p> text (EXTRACT_COMPARE_BELOW_SHARE; 0: characters only).
    compare_below_share: float
    workers: int  # EXTRACT_WORKERS as a number of processes ("auto": one per core; 0: in the reactor process)
    timeout: float  # EXTRACT_TIMEOUT: seconds a page may keep a worker busy

    @classmethod
    def from_settings(cls, settings: BaseSettings | None = None) -> ExtractOptions:
        """Options from the ``EXTRACT_*`` settings (the project's defaults when ``settings`` is None)."""
        if settings is None:
            settings = project_defaults()
        workers = settings.get("EXTRACT_WORKERS")
        return cls(
            min_text_chars=settings.getint("EXTRACT_MIN_TEXT_CHARS"),
            max_elements=settings.getint("EXTRACT_MAX_ELEMENTS"),
            favor_precision=settings.getbool("EXTRACT_FAVOR_PRECISION"),
            favor_recall=settings.getbool("EXTRACT_FAVOR_RECALL"),
            fast=settings.getbool("EXTRACT_FAST"),
            compare_below_chars=settings.getint("EXTRACT_COMPARE_BELOW_CHARS"),
            compare_below_share=settings.getfloat("EXTRACT_COMPARE_BELOW_SHARE"),
            # Unset or empty (-s EXTRACT_WORKERS=) means "auto" as well.
            workers=(os.cpu_count() or 1) if workers in (None, "", "auto") else int(workers),
            timeout=settings.getfloat("EXTRACT_TIMEOUT"),
        )


@dataclass(frozen=True)
class DateOptions:
    """How publication and modification dates are decided (the ``DATES_*`` settings)."""

    enabled: bool  # DATES_ENABLED: decide dates at all
    # DATES_DEFAULT_TIMEZONE: the zone of times given without an offset when the site profile has none;
    # empty or not an IANA zone name: UTC (pipelines.dates.resolve_dates).
    default_timezone: str
    min_year: int  # DATES_MIN_YEAR: earlier dates are implausible
    max_future_days: float  # DATES_MAX_FUTURE_DAYS: dates later than fetch time plus this are implausible

    @classmethod
    def from_settings(cls, settings: BaseSettings | None = None) -> DateOptions:
        """Options from the ``DATES_*`` settings (the project's defaults when ``settings`` is None)."""
        if settings is None:
            settings = project_defaults()
        return cls(
            enabled=settings.getbool("DATES_ENABLED"),
            default_timezone=settings.get("DATES_DEFAULT_TIMEZONE"),
            min_year=settings.getint("DATES_MIN_YEAR"),
            max_future_days=settings.getfloat("DATES_MAX_FUTURE_DAYS"),
        )
