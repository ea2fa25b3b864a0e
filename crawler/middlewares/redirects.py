"""RedirectGuardMiddleware: redirects that must not be followed are recorded and stopped.

Runs on responses after :class:`~crawler.middlewares.warc.WarcCaptureMiddleware`
(so the 3xx is archived, its Location as an outlink of its metadata record)
and before Scrapy's RedirectMiddleware.  A redirect is not followed, with a
log line naming both URLs and the reason, when its target

* is not http(s) (``javascript:``, ``data:``, ``ftp:``, ``file:``, ...):
  ``fetch/redirect/bad_scheme``;
* is outside the crawl's sites (the spider's ``allowed_domains``), unless the
  request allows any host (``meta["allow_offsite"]``: page resources):
  ``fetch/redirect/offsite``;
* is a URL already in this redirect chain (a loop, which Scrapy would
  otherwise follow until ``REDIRECT_MAX_TIMES`` or its duplicate filter
  silently stopped it): ``fetch/redirect/loop``.

URLs are compared after the crawl's canonicalisation (tracking parameters
removed and canonical form, :func:`crawler.urls.normalize_url`).

Settings read: ``REDIRECT_ENABLED``.
Stats: ``fetch/redirect/bad_scheme``, ``fetch/redirect/offsite``, ``fetch/redirect/loop``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from w3lib.url import safe_url_string

from crawler.urls import normalize_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class RedirectRefused(IgnoreRequest):
    """A redirect the crawl does not follow (already logged and counted)."""


class RedirectGuardMiddleware:
    """Downloader middleware stopping unsafe or looping redirects (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        if not crawler.settings.getbool("REDIRECT_ENABLED"):
            raise NotConfigured("REDIRECT_ENABLED is False")
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not (300 <= response.status < 400) or response.status == 304:
            return response
        location = response.headers.get(b"Location")
        if not location or request.meta.get("dont_redirect"):
            return response
        if response.status in request.meta.get("handle_httpstatus_list", ()) or request.meta.get("handle_httpstatus_all"):
            return response
        raw = location.decode("utf-8", "replace").strip()
        scheme = urlsplit(raw).scheme.lower()
        target = urljoin(request.url, safe_url_string(raw)) if scheme in ("", "http", "https") else raw
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            self._refuse("bad_scheme", request, response, target, f"its target scheme {scheme or '(none)'}: is not HTTP(S)")
        allowed = getattr(self.crawler.spider, "_allowed", None)
        if callable(allowed) and not request.meta.get("allow_offsite") and not allowed(target):
            self._refuse("offsite", request, response, target, "its target is outside the crawl's sites")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        seen = {normalize_url(u) for u in chain}
        if normalize_url(target) in seen:
            self._refuse("loop", request, response, target, f"it loops (chain: {' -> '.join(chain)})")
        return response

    def _refuse(self, reason: str, request: Request, response: Response, target: str, why: str) -> None:
        self.stats.inc_value(f"fetch/redirect/{reason}")
        origin = request.meta.get("redirect_urls", [request.url])[0]
        logger.warning(
            "Redirect %d from %s to %s not followed: %s (first requested as %s; the %d is archived)",
            response.status, request.url, target[:300], why, origin, response.status,
        )
        raise RedirectRefused(f"redirect to {target[:300]} not followed: {reason}")
