"""The crawl manifest (``crawls/{crawl_id}/manifest.json``) and the redaction of secrets in it.

Settings and arguments are recorded with secrets redacted: any setting whose
name contains KEY, SECRET, TOKEN, PASSWORD, CREDENTIAL or WEBHOOK (a webhook URL's path is its
secret), every ``AWS_*``
setting, and user:password parts of URIs.  Recorded: every ``ARCHIVE_*``,
``NEWS_*``, ``EXTRACT_*``, ``DATES_*``, ``CLEAN_*`` setting and any setting
given on the command line or by the spider.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_SECRET_NAME_RE = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|WEBHOOK", re.IGNORECASE)
_RECORDED_PREFIXES = ("ARCHIVE_", "NEWS_", "EXTRACT_", "DATES_", "CLEAN_")
REDACTED = "***"


def redact_value(name: str, value: Any) -> Any:
    if _SECRET_NAME_RE.search(name):
        return REDACTED if value else value
    if isinstance(value, str) and "@" in value and "://" in value:
        parts = urlsplit(value)
        if parts.password or parts.username:
            host = parts.hostname or ""
            netloc = f"{REDACTED}@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def recorded_settings(crawler: Crawler) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in crawler.settings.items():
        priority = crawler.settings.getpriority(name) or 0
        if name.startswith(_RECORDED_PREFIXES) or priority >= 30:  # 30 = spider, 40 = cmdline
            if name.startswith("AWS_") or _SECRET_NAME_RE.search(name):
                out[name] = REDACTED if value else value
            else:
                out[name] = redact_value(name, jsonable(value))
    return dict(sorted(out.items()))


