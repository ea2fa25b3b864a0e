"""BodyTriageMiddleware: responses whose body cannot be read as a page never reach the callback.

A spider middleware.  The spider says how each callback reads its responses
in its ``body_triage`` attribute (callback name -> ``"page"`` or ``"xml"``);
responses to other callbacks are left alone.  Before the callback's output is
iterated (so before the callback runs at all), the body is checked, in this order:

* empty (``news/pages/empty``, logged);
* cut short by the server after the retries, flagged ``dataloss``
  (``news/pages/truncated``, logged with the bytes received);
* not text (``news/pages/not_html``);
* a binary served as a page: PDF, image, archive, NUL bytes (``news/pages/binary``, logged);
* XML answered at a page URL (a feed or sitemap): passed on, the spider reads it as one;
* not HTML (``news/pages/not_html``);
* HTML that lxml cannot parse (``news/pages/unparsable``, logged) or nested
  deeper than libxml2's limit (``news/pages/too_deep``, logged);
* HTML that stops mid-document although the body is complete
  (``news/pages/unterminated``, logged): used all the same.

A response found unusable is counted and logged, and the callback's output is
dropped without being iterated: the callback never runs (the WARC already has
the bytes).  A usable page's parsed tree is handed to the callback in
``response.meta["html_tree"]`` so the page is parsed once.

``"xml"`` callbacks (sitemaps, feeds) read their own bodies (:mod:`crawler.discovery`);
only when such a URL answered an HTML page (``<html`` in its first 2 KiB and
no sitemap or feed root element) is it triaged as a page, since the spider
then reads it as one.

Settings read: none (the spider's ``body_triage``; NotConfigured when it has none).
Stats: ``news/pages/empty``, ``news/pages/truncated``, ``news/pages/not_html``,
``news/pages/binary``, ``news/pages/unparsable``, ``news/pages/too_deep``,
``news/pages/unterminated``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from lxml import etree
from lxml import html as lxml_html
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse

from crawler.detection import sniff_binary
from crawler.discovery import looks_like_html, xml_kind
from crawler.middlewares.faultretry import received_size

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# The root element of a sitemap or feed near the top: an XML document, not an HTML page.
_XML_ROOT = re.compile(rb"<(?:[\w-]+:)?(?:urlset|sitemapindex|rss|feed|rdf)[\s>/]", re.IGNORECASE)


def _header(response: Response, name: bytes, default: bytes) -> str:
    return (response.headers.get(name) or default).decode("latin-1")


class BodyTriageMiddleware:
    """Spider middleware: count, log and drop responses whose body cannot be read (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyTriageMiddleware:
        if not getattr(crawler.spider, "body_triage", None):
            raise NotConfigured("the spider declares no body_triage")
        return cls(crawler)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        # ``result`` is the callback's output, not started yet: not iterating it skips the callback.
        if self.usable(response):
            async for out in result:
                yield out

    def reading(self, response: Response) -> str | None:
        """How the callback reads this response: ``"page"``, ``"xml"`` or None (not triaged)."""
        callback = getattr(response.request, "callback", None)
        name = getattr(callback, "__name__", None)
        readings: dict[str, str] = getattr(self.crawler.spider, "body_triage", {})
        return readings.get(name) if isinstance(name, str) else None

    def usable(self, response: Response) -> bool:
        reading = self.reading(response)
        if reading is None:
            return True
        body = response.body
        if reading == "xml" and not (
            isinstance(response, TextResponse) and looks_like_html(body) and not _XML_ROOT.search(body[:2048])
        ):
            return True  # a sitemap or feed: the callback reads it
        stats = self.stats
        if not body.strip():
            stats.inc_value("news/pages/empty")
            logger.warning("Page %s: HTTP %d with an empty body; nothing to parse", response.url, response.status)
            return False
        if "dataloss" in response.flags:
            stats.inc_value("news/pages/truncated")
            logger.warning(
                "Page %s: the server closed the connection before the body was complete (%s, "
                "Content-Length %s); archived as received (WARC-Truncated), not parsed",
                response.url, received_size(response), _header(response, b"Content-Length", b"?"),
            )
            return False
        if not isinstance(response, TextResponse):
            stats.inc_value("news/pages/not_html")
            return False
        binary = sniff_binary(body)
        if binary is not None:
            stats.inc_value("news/pages/binary")
            logger.warning(
                "Page %s: served as %s but the body is %s; archived in WARC only",
                response.url, _header(response, b"Content-Type", b"no Content-Type"), binary,
            )
            return False
        if reading == "page":
            ctype = _header(response, b"Content-Type", b"").lower()
            if xml_kind(ctype, body):
                return True  # a feed or sitemap at a page URL: the spider reads it as one
            head = body[:512].lstrip().lower()
            if "html" not in ctype and b"<html" not in head and b"<!doctype html" not in head:
                stats.inc_value("news/pages/not_html")
                return False
        tree = self.parse(response)
        if tree is None:
            return False
        response.meta["html_tree"] = tree
        return True

    def parse(self, response: Response) -> Any:
        """The page's lxml tree, or None when it cannot be used (counted and logged)."""
        try:
            parser = lxml_html.HTMLParser()
            tree = lxml_html.fromstring(response.body, parser=parser)
        except (ValueError, etree.ParserError) as exc:
            self.stats.inc_value("news/pages/unparsable")
            logger.warning("Page %s: cannot parse HTML (%s); archived in WARC only", response.url, exc)
            return None
        too_deep = next((e for e in parser.error_log if e.type_name == "ERR_RESOURCE_LIMIT"), None)
        if too_deep is not None:
            self.stats.inc_value("news/pages/too_deep")
            logger.warning(
                "Page %s: HTML nested deeper than the parser's limit (%s); archived in WARC only",
                response.url, too_deep.message,
            )
            return None
        tail = response.body[-256:].rstrip()
        if tail and not tail.endswith(b">"):
            # Complete HTML ends with a tag; this one stops mid-text (a wrong Content-Length, a cut upstream).
            self.stats.inc_value("news/pages/unterminated")
            logger.warning(
                "Page %s: the HTML stops mid-document (%d bytes, Content-Length %s): a wrong Content-Length or a "
                "cut upstream; using what arrived", response.url, len(response.body),
                _header(response, b"Content-Length", b"none"),
            )
        return tree
