"""PageResourcesMiddleware: the images, stylesheets, fonts, scripts and media a reader's browser loaded.

The spider lists each HTML page's embeds (:func:`crawler.embeds.page_embeds`: ``<img>``
``src``/``srcset`` and the lazy-load attributes, ``<picture>``, ``<noscript>``
fallbacks, stylesheets, scripts, icons, ``og:image``, video posters, audio and
video sources, inline ``url()``) in ``response.meta["embeds"]``; they go into the
page's WARC metadata record as ``outlink: URL E img/@src``.  This spider
middleware then fetches them for the pages ``ARCHIVE_RESOURCES_PAGES`` names
(``articles``: pages that yield an article item; ``all``: every HTML page), with
:meth:`scrapy.core.engine.ExecutionEngine.download_async`:

* through every downloader middleware, so each exchange is archived by the WARC
  middleware (request, response and a metadata record with ``via`` the page,
  ``hopsFromSeed`` ``E`` — ``EE`` for what a stylesheet references — and the
  embedding context), robots.txt is obeyed per host (``ARCHIVE_RESOURCES_OBEY_ROBOTS``),
  retries and per-host politeness (download slots, AutoThrottle) apply as to pages;
* on any host (``allow_offsite``: CDNs and image services are part of the page),
  except ``ARCHIVE_RESOURCES_SKIP_HOSTS``;
* once per crawl: a URL another page already fetched (or is fetching) is not
  fetched again — among the ``ARCHIVE_RESOURCES_REMEMBER`` most recently used
  resources, so memory stays bounded on long crawls (shared stylesheets and logos
  stay remembered; a photo forgotten and needed again is fetched again and
  written as a revisit); across crawls an unchanged body is a ``revisit`` record
  (the WARC middleware's payload-digest dedup);
* never as a link to follow, never into article JSON; at most
  ``ARCHIVE_RESOURCES_CONCURRENCY`` in flight crawl-wide, outside Scrapy's
  scheduler, so they never hold back the pages' own requests, which the page's
  callback output releases before the resources are fetched;
* capped: ``ARCHIVE_RESOURCES_MAX_SIZE`` per kind (the body is cut off and
  recorded as a failed fetch), ``ARCHIVE_RESOURCES_MAX_PER_PAGE`` (the spider
  lists no more), ``ARCHIVE_RESOURCES_MAX_TOTAL_BYTES`` per crawl, and stylesheets
  followed ``ARCHIVE_RESOURCES_MAX_DEPTH`` levels deep (``@import`` loops end there
  and at the once-per-crawl rule).

A page's article item waits until its resources are settled, and carries the
outcome per URL in ``PageItem.resources``: the WARC pointer of the capture
(``archived: true``), or ``archived: false`` with the reason (``robots``,
``too-large``, ``status 404``, ``skipped-host``, ...).  The article's ``images[]``
say which photos were kept (docs/schema.md).

Settings read: ``ARCHIVE_RESOURCES_ENABLED``, ``ARCHIVE_RESOURCES_PAGES``,
``ARCHIVE_RESOURCES_KINDS``, ``ARCHIVE_RESOURCES_MAX_SIZE``,
``ARCHIVE_RESOURCES_MAX_TOTAL_BYTES``, ``ARCHIVE_RESOURCES_SKIP_HOSTS``,
``ARCHIVE_RESOURCES_CONCURRENCY``, ``ARCHIVE_RESOURCES_MAX_DEPTH``,
``ARCHIVE_RESOURCES_OBEY_ROBOTS``, ``ARCHIVE_RESOURCES_REMEMBER``, ``ROBOTSTXT_OBEY``.
Stats: ``resources/requested``, ``resources/archived``, ``resources/revisits``,
``resources/bytes``, ``resources/shared`` (settled by an earlier page),
``resources/failed/{reason}`` (``status``, ``too_large``, ``timeout``, ``connection``, ...),
``resources/skipped/{reason}`` (``robots``, ``host``, ``kind``, ``total_bytes``),
``resources/capped_pages`` (pages with more embeds than ``ARCHIVE_RESOURCES_MAX_PER_PAGE``),
``resources/forgotten`` (outcomes dropped from memory, ``ARCHIVE_RESOURCES_REMEMBER``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from crawler.embeds import Embed, css_embeds
from crawler.extensions.archive import ArchiveExtension
from crawler.items import PageItem
from crawler.middlewares.capturemeta import post_counted_metadata
from crawler.middlewares.failures import REPORTED
from crawler.middlewares.warc import capture_fields

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

KINDS = ("image", "stylesheet", "font", "script", "icon", "media", "other")


@dataclass(slots=True)
class ResourceResult:
    """What became of one resource URL in this crawl."""

    archived: bool
    pointer: dict[str, Any] | None = None  # the WARC response/revisit record: file, record_id, offset, length
    status: int | None = None
    reason: str | None = None  # why not archived
    revisit: bool = False
    content_type: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The resource's entry in ``PageItem.resources`` (and an article's ``images[]``)."""
        if self.archived:
            out: dict[str, Any] = {"archived": True, "warc": dict(self.pointer or {}), "status": self.status}
            if self.revisit:
                out["revisit"] = True
            return out
        return {"archived": False, "reason": self.reason or "unknown"}


def _host_matches(host: str, suffixes: list[str]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


class PageResourcesMiddleware:
    """Spider middleware fetching and archiving page resources (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        # Writes the metadata records of stylesheets (with what they reference); None: no metadata records.
        archive = crawler.get_extension(ArchiveExtension) if s.getbool("ARCHIVE_WARC_METADATA") else None
        self.archive: ArchiveExtension | None = archive
        self.all_pages = s.get("ARCHIVE_RESOURCES_PAGES", "articles") == "all"
        self.kinds = set(s.getlist("ARCHIVE_RESOURCES_KINDS"))
        sizes = s.getdict("ARCHIVE_RESOURCES_MAX_SIZE")
        self.max_size = {kind: int(sizes.get(kind, sizes.get("other", 0)) or 0) for kind in KINDS}
        self.max_total = s.getint("ARCHIVE_RESOURCES_MAX_TOTAL_BYTES")
        self.skip_hosts = [h.lower().lstrip(".") for h in s.getlist("ARCHIVE_RESOURCES_SKIP_HOSTS")]
        self.concurrency = max(1, s.getint("ARCHIVE_RESOURCES_CONCURRENCY"))
        self.max_depth = max(1, s.getint("ARCHIVE_RESOURCES_MAX_DEPTH"))
        self.obey_robots = s.getbool("ARCHIVE_RESOURCES_OBEY_ROBOTS")
        self.max_per_stylesheet = max(1, s.getint("ARCHIVE_RESOURCES_MAX_PER_PAGE"))
        unknown = self.kinds - set(KINDS)
        if unknown:
            raise ValueError(f"ARCHIVE_RESOURCES_KINDS: unknown kind(s) {sorted(unknown)}; use some of {list(KINDS)}")
        # URL -> its outcome, or the future of a fetch in progress (once per crawl).
        # The most recently used ARCHIVE_RESOURCES_REMEMBER outcomes (an LRU): memory stays bounded on
        # crawls of millions of pages; a resource forgotten and needed again is fetched again (a revisit).
        self._results: OrderedDict[str, ResourceResult | asyncio.Future[ResourceResult]] = OrderedDict()
        self.remember = max(1, s.getint("ARCHIVE_RESOURCES_REMEMBER"))
        self._slots: asyncio.Semaphore | None = None
        self._total_bytes = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageResourcesMiddleware:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_RESOURCES_ENABLED"):
            raise NotConfigured("ARCHIVE_RESOURCES_ENABLED is False")
        if not settings.getbool("ARCHIVE_WARC_ENABLED"):
            raise NotConfigured("ARCHIVE_WARC_ENABLED is False: page resources would not be archived")
        return cls(crawler)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        held: list[PageItem] = []
        try:
            async for out in result:
                if isinstance(out, PageItem):
                    held.append(out)  # released once its resources are settled
                else:
                    yield out  # requests (discovery) go on at once
        except BaseException:
            for item in held:
                yield item
            raise
        embeds = response.meta.get("embeds")
        # An article page, or one that was an article in an earlier crawl and is unchanged (its item was
        # dropped by KnownArticleMiddleware): its resources are fetched again, unchanged ones as revisits.
        article_page = bool(held) or bool(response.meta.get("warc_revisit_article"))
        if embeds and (article_page or self.all_pages):
            if response.meta.get("embeds_total", 0) > len(embeds):
                self.stats.inc_value("resources/capped_pages")
                logger.warning(
                    "Page %s references %d resources; only the first %d are fetched (ARCHIVE_RESOURCES_MAX_PER_PAGE)",
                    response.url, response.meta["embeds_total"], len(embeds),
                )
            resources = await self.fetch_all(embeds, via=response.url, hops="E", depth=1, wait_shared=True)
            for item in held:
                item.resources = resources
        for item in held:
            yield item

    async def fetch_all(
        self, embeds: list[tuple[str, str, str]], *, via: str, hops: str, depth: int, wait_shared: bool
    ) -> dict[str, dict[str, Any]]:
        """Settle ``embeds`` ((url, kind, context) each); their outcomes by URL.

        ``wait_shared``: also wait for URLs another page is fetching (a page's own resources);
        a stylesheet's references do not, so that an ``@import`` loop never waits on itself.
        """
        urls: list[str] = []
        waits: list[Any] = []
        for url, kind, context in embeds:
            if url in urls:
                continue
            known = self._results.get(url)
            if known is not None:
                self._results.move_to_end(url)
                self.stats.inc_value("resources/shared")
                if isinstance(known, ResourceResult):
                    urls.append(url)
                    waits.append(_done(known))
                elif wait_shared:
                    urls.append(url)
                    waits.append(asyncio.shield(known))
                continue
            urls.append(url)
            # Registered now, not when the coroutine starts: a page settled in the same tick sees it.
            future: asyncio.Future[ResourceResult] = asyncio.get_running_loop().create_future()
            self._results[url] = future
            waits.append(self._settle(future, url, kind, context, via, hops, depth))
        outcomes = await asyncio.gather(*waits)
        return {url: outcome.as_json() for url, outcome in zip(urls, outcomes, strict=True)}

    async def _settle(
        self, future: asyncio.Future[ResourceResult], url: str, kind: str, context: str, via: str, hops: str, depth: int
    ) -> ResourceResult:
        try:
            outcome = await self._fetch(url, kind, context, via, hops, depth)
        except Exception as exc:  # never lose the page's item over one resource
            logger.error("Page resource %s (from %s) could not be fetched: %r", url, via, exc)
            outcome = ResourceResult(False, reason=f"error: {type(exc).__name__}")
            self.stats.inc_value("resources/failed/error")
        if url in self._results:
            self._results[url] = outcome
        self._forget()
        future.set_result(outcome)
        return outcome

    def _forget(self) -> None:
        """Drop the least recently used settled outcomes beyond ``ARCHIVE_RESOURCES_REMEMBER``."""
        while len(self._results) > self.remember:
            url, oldest = next(iter(self._results.items()))
            if not isinstance(oldest, ResourceResult):
                break  # a fetch in progress is never forgotten; it settles soon
            del self._results[url]
            self.stats.inc_value("resources/forgotten")

    def _skip(self, url: str, kind: str) -> str | None:
        if kind not in self.kinds:
            return "kind"
        host = (urlsplit(url).hostname or "").lower()
        if self.skip_hosts and _host_matches(host, self.skip_hosts):
            return "host"
        if self.max_total and self._total_bytes >= self.max_total:
            return "total_bytes"
        return None

    async def _fetch(self, url: str, kind: str, context: str, via: str, hops: str, depth: int) -> ResourceResult:
        skip = self._skip(url, kind)
        if skip is not None:
            self.stats.inc_value(f"resources/skipped/{skip}")
            logger.debug("Page resource %s (from %s) not fetched: %s", url, via, skip)
            return ResourceResult(False, reason={"kind": f"kind {kind} not in ARCHIVE_RESOURCES_KINDS",
                                                 "host": "host in ARCHIVE_RESOURCES_SKIP_HOSTS",
                                                 "total_bytes": "ARCHIVE_RESOURCES_MAX_TOTAL_BYTES reached"}[skip])
        maxsize = self.max_size.get(kind) or 0
        request = Request(
            url,
            callback=NO_CALLBACK,  # never a page: the WARC middleware writes its metadata record
            headers={"Referer": via},
            meta={
                "allow_offsite": True,
                "discovery": "embed",
                "embed": {"via": via, "hops": hops, "context": context, "kind": kind},
                "download_maxsize": maxsize,
                "download_warnsize": 0,
                "dont_obey_robotstxt": not self.obey_robots,
                # A 2xx stylesheet's metadata record is written here, with the references read from it.
                "warc_metadata_deferred": kind == "stylesheet" and self.archive is not None,
            },
        )
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        self.stats.inc_value("resources/requested")
        async with self._slots:
            try:
                response = await self.crawler.engine.download_async(request)
            except IgnoreRequest as exc:
                if request.meta.get("warc") and type(exc.__cause__).__name__ == "_DecompressionMaxSizeExceeded":
                    # Archived as sent (compressed) by the WARC middleware; it inflates past the cap.
                    self.stats.inc_value("resources/failed/decompression_bomb")
                    return ResourceResult(False, pointer=request.meta["warc"],
                                          reason="decompression-bomb (archived compressed, as sent)")
                # A decision taken elsewhere: robots.txt, a refused redirect.
                reason = "robots" if "robots" in str(exc).lower() else "ignored"
                self.stats.inc_value(f"resources/skipped/{reason}")
                logger.info("Page resource %s (from %s) not fetched: %s", url, via, exc)
                return ResourceResult(False, reason="robots.txt disallows it" if reason == "robots" else str(exc)[:200])
            except Exception as exc:
                cause = getattr(exc, REPORTED, None) or type(exc).__name__
                self.stats.inc_value(f"resources/failed/{cause}")
                detail = f" (over {maxsize} bytes, ARCHIVE_RESOURCES_MAX_SIZE[{kind!r}])" if cause == "too_large" else ""
                logger.info("Page resource %s (from %s) not archived: %s%s", url, via, cause, detail)
                return ResourceResult(False, reason=f"{cause.replace('_', '-')}{detail}")
        pointer = response.meta.get("warc")
        status = response.status
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower() or None
        if not pointer:
            self.stats.inc_value("resources/failed/not_recorded")
            return ResourceResult(False, status=status, reason="not recorded in WARC (see the WARC errors in the log)")
        if not 200 <= status < 300:
            self.stats.inc_value("resources/failed/status")
            logger.info("Page resource %s (from %s) not archived: HTTP %d", url, via, status)
            return ResourceResult(False, pointer=pointer, status=status, reason=f"status {status}")
        size = len(response.body)
        self._total_bytes += size
        revisit = bool(response.meta.get("warc_revisit"))
        self.stats.inc_value("resources/revisits" if revisit else "resources/archived")
        self.stats.inc_value("resources/bytes", size)
        outcome = ResourceResult(True, pointer=pointer, status=status, revisit=revisit, content_type=ctype)
        if kind == "stylesheet" or ctype == "text/css":
            found = self._stylesheet_embeds(response)
            if request.meta.get("warc_metadata_deferred"):
                self._write_metadata(request, response, found)
            if found and depth < self.max_depth:
                await self.fetch_all([(e.url, e.kind, e.context) for e in found], via=response.url,
                                     hops=hops + "E", depth=depth + 1, wait_shared=False)
        return outcome

    def _stylesheet_embeds(self, response: Response) -> list[Embed]:
        """What a stylesheet references (``@import``, ``url()``: fonts, background images)."""
        found, total = css_embeds(_css_text(response), response.url, limit=self.max_per_stylesheet)
        if total > len(found):
            self.stats.inc_value("resources/capped_stylesheets")
            logger.warning("Stylesheet %s references %d resources; only the first %d are fetched",
                           response.url, total, len(found))
        return found

    def _write_metadata(self, request: Request, response: Response, found: list[Embed]) -> None:
        """The stylesheet capture's metadata record, its references listed as ``outlink: URL E css/url()``."""
        pointer = response.meta.get("warc")
        if self.archive is None or not pointer or self.archive.closed:
            return
        fields = capture_fields(request, response, embeds=[(e.url, e.kind, e.context) for e in found])
        post_counted_metadata(self.archive, self.stats, response.url, pointer["record_id"], fields)


def _css_text(response: Response) -> str:
    """A stylesheet's text: its declared charset, a BOM, ``@charset``, else UTF-8 (CSS Syntax §3.2).

    Not ``TextResponse.text``, whose charset detection (charset_normalizer when nothing is declared)
    costs milliseconds per stylesheet in the reactor process.
    """
    body = response.body
    ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    encoding = ctype.split("charset=", 1)[1].split(";")[0].strip(" \"'") if "charset=" in ctype else ""
    if body.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8", body[3:]
    elif not encoding and body.startswith(b'@charset "'):
        encoding = body[10:body.find(b'"', 10)].decode("latin-1") if body.find(b'"', 10) > 0 else ""
    try:
        return body.decode(encoding or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


async def _done(result: ResourceResult) -> ResourceResult:
    return result
