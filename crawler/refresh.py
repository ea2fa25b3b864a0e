"""RefreshPolicy: when a known article is fetched again, so a quiet correction is caught.

A known article (its JSON is in the archive) with no sign of change — no newer sitemap
``lastmod`` or feed date — is fetched again when its refresh is *due*:

* an article younger than ``ARCHIVE_REFRESH_RECENT_DAYS`` (its publication date, else the
  date it was first archived) is due at every crawl;
* an older one is due once ``age × ARCHIVE_REFRESH_FACTOR`` has passed since it was last
  fetched, but at least every ``ARCHIVE_REFRESH_MAX_INTERVAL_DAYS`` (0: no upper bound):
  with the defaults a 10-day-old article is checked every 2.5 days, a month-old one weekly,
  a year-old one every 91 days, anything older every 180 days.

A re-fetch is a conditional request when the server gave an ETag or Last-Modified, so an
unchanged page costs a ``304``; otherwise an unchanged page is a revisit record and its
JSON is kept.  The mode is the spider argument ``-a refresh=due|all|none`` (default
``ARCHIVE_REFRESH``): ``all`` re-fetches every known article of the site in this crawl
(those the crawl does not discover are added from the site state), ``none`` never
re-fetches an article without a sign of change.  With ``due``, the due articles the crawl
does not discover are added from the state too, most overdue first, at most
``ARCHIVE_REFRESH_MAX_PER_CRAWL`` per crawl (0: no limit).

Settings read (by :meth:`RefreshPolicy.from_settings`): ``ARCHIVE_REFRESH``,
``ARCHIVE_REFRESH_RECENT_DAYS``, ``ARCHIVE_REFRESH_FACTOR``,
``ARCHIVE_REFRESH_MAX_INTERVAL_DAYS``, ``ARCHIVE_REFRESH_MAX_PER_CRAWL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

MODES = ("due", "all", "none")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z`` (sorts as time in the state's index)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RefreshPolicy:
    mode: str = "due"
    recent_days: float = 3.0
    factor: float = 0.25
    max_interval_days: float = 180.0
    max_per_crawl: int = 5000

    @classmethod
    def from_settings(cls, settings: Any, mode: str | None = None) -> RefreshPolicy:
        """The crawl's policy; ``mode`` (the spider argument ``refresh``) overrides ``ARCHIVE_REFRESH``."""
        chosen = (mode or settings.get("ARCHIVE_REFRESH") or "due").strip().lower()
        if chosen not in MODES:
            raise ValueError(f"refresh={chosen!r}: use one of {', '.join(MODES)} (spider argument -a refresh=… or "
                             "the setting ARCHIVE_REFRESH)")
        return cls(
            mode=chosen,
            recent_days=settings.getfloat("ARCHIVE_REFRESH_RECENT_DAYS", 3.0),
            factor=settings.getfloat("ARCHIVE_REFRESH_FACTOR", 0.25),
            max_interval_days=settings.getfloat("ARCHIVE_REFRESH_MAX_INTERVAL_DAYS", 180.0),
            max_per_crawl=settings.getint("ARCHIVE_REFRESH_MAX_PER_CRAWL", 5000),
        )

    def interval(self, published: str | None, now: datetime) -> timedelta:
        """How long after a fetch the article is due again, from its age at ``now``."""
        born = _when(published)
        age = now - born if born is not None else timedelta(0)
        if age < timedelta(days=self.recent_days):
            return timedelta(0)
        wait = age * self.factor
        if self.max_interval_days > 0:
            wait = min(wait, timedelta(days=self.max_interval_days))
        return wait

    def next_due(self, published: str | None, checked: str) -> str | None:
        """When an article published at ``published`` and fetched at ``checked`` is due again."""
        fetched = _when(checked)
        if fetched is None:
            return None
        return iso(fetched + self.interval(published, fetched))

    def is_due(self, due: str | None, now: datetime | None = None) -> bool:
        if self.mode == "all":
            return True
        if self.mode == "none":
            return False
        moment = _when(due)
        return moment is not None and moment <= (now or datetime.now(UTC))
