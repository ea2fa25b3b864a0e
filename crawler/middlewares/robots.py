"""ArchiveRobotsTxtMiddleware: Scrapy's RobotsTxtMiddleware with RFC 9309's rules for broken robots.txt.

Scrapy parses whatever body /robots.txt returns and allows everything when
the fetch fails.  This subclass follows RFC 9309 §2.3.1:

* **Unreachable** (5xx after retries, timeout, connection error): the
  origin is treated as **completely disallowed**, and robots.txt is fetched
  again after ``NEWS_ROBOTS_RECHECK`` seconds (the next request to that
  origin after that time triggers the new fetch).
  Stat ``robots/unavailable``.
* **Unavailable** (4xx): no rules apply (everything allowed) and the error
  page is not parsed as rules.  Stat ``robots/missing``.
* **Not robots rules** (a 2xx HTML page, e.g. a soft 404): no rules apply,
  the HTML is not parsed as rules.  Stat ``robots/not_text``.

Each case is logged with the robots.txt URL and the cause; the response is
archived as usual.  robots.txt is fetched for any host a request goes to, the
hosts of page resources outside the crawl's sites included (``allow_offsite``:
Scrapy's own fetch would be refused there by the offsite middleware, which
Scrapy reads as "no rules").

Settings read: ``ROBOTSTXT_OBEY`` (and Scrapy's other ``ROBOTSTXT_*``),
``NEWS_ROBOTS_RECHECK``.
Stats: ``robots/unavailable``, ``robots/missing``, ``robots/not_text``,
``robotstxt/forbidden/host/{host}`` (requests robots.txt disallowed, per host: the crawl
report's per-host table) (plus Scrapy's ``robotstxt/*``).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class ArchiveRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware following RFC 9309 for unreachable and non-text robots.txt."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.recheck = crawler.settings.getfloat("NEWS_ROBOTS_RECHECK")
        self._unreachable: dict[str, float] = {}

    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            # Scrapy counts robotstxt/forbidden for the crawl; the report shows it per host too.
            self._stats.inc_value(f"robotstxt/forbidden/host/{urlparse_cached(request).netloc}")
            raise

    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        netloc = url.netloc
        since = self._unreachable.get(netloc)
        if since is not None and time.monotonic() - since >= self.recheck and netloc in self._parsers:
            del self._unreachable[netloc]
            del self._parsers[netloc]  # fetch robots.txt again
        if netloc not in self._parsers:
            # Scrapy's own fetch of robots.txt, with allow_offsite: the robots.txt of a host outside the
            # crawl's sites (a CDN whose page resources are fetched) would otherwise be refused by the
            # offsite middleware, and a refused robots.txt means no rules at all.
            self._parsers[netloc] = Deferred()
            robotsreq = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True, "allow_offsite": True},
                callback=NO_CALLBACK,
            )
            try:
                resp = await self.crawler.engine.download_async(robotsreq)
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:  # noqa: BLE001 - Scrapy's handling: logged and decided in _robots_error
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def _rules(self, response: Response, netloc: str) -> bytes | None:
        """The body to parse as rules (None: Scrapy's own handling)."""
        url = response.url
        if response.status >= 500:
            self._stats.inc_value("robots/unavailable")
            self._unreachable[netloc] = time.monotonic()
            logger.warning(
                "%s answered HTTP %d: per RFC 9309 the site is treated as disallowed; robots.txt is fetched "
                "again after NEWS_ROBOTS_RECHECK=%gs", url, response.status, self.recheck,
            )
            return DISALLOW_ALL
        if 400 <= response.status < 500:
            self._stats.inc_value("robots/missing")
            logger.info("%s answered HTTP %d: no robots.txt rules apply", url, response.status)
            return b""
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        head = response.body[:512].lstrip().lower()
        if "html" in ctype or head.startswith((b"<!doctype", b"<html", b"<head", b"<body")):
            self._stats.inc_value("robots/not_text")
            logger.warning("%s is an HTML page (%s), not robots.txt rules: no rules apply", url, ctype or "no Content-Type")
            return b""
        return None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        body = self._rules(response, netloc)
        if body is not None:
            response = response.replace(body=body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value("robots/unavailable")
        self._unreachable[netloc] = time.monotonic()
        logger.warning(
            "robots.txt of %s could not be fetched (%s: %s): per RFC 9309 the site is treated as disallowed; "
            "it is fetched again after NEWS_ROBOTS_RECHECK=%gs", netloc, type(exc).__name__, exc, self.recheck,
        )
        rp = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        deferred = self._parsers[netloc]
        self._parsers[netloc] = rp
        if isinstance(deferred, Deferred):
            deferred.callback(rp)
