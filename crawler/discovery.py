"""What a sitemap, news sitemap, feed, robots.txt or page points to: pure functions.

Bytes (or a parsed page) and their URL in; entries out, with the problems met on
the way as :class:`Issue` (a stats key and a log message) for the caller to count
and log.  Nothing here fetches, schedules, logs or counts, so every function can
be tested on its own (tests/test_discovery.py).

* :func:`parse_sitemap`: a sitemap index (``<sitemapindex>``: the sitemaps it
  lists) or a urlset (``<urlset>``: page URLs with ``lastmod`` and, in news
  sitemaps, ``news:publication_date``).
* :func:`parse_feed`: RSS 2.0, RSS 1.0 (RDF) and Atom items: link (``<link>``
  text or ``href``, else a permalink ``<guid>``) and date, at most ``max_items``.
* :func:`robots_sitemaps`: the ``Sitemap:`` lines of a robots.txt.
* :func:`page_links` and :func:`page_feeds`: links and announced feeds of a
  page's lxml tree.
* :func:`xml_kind` and :func:`looks_like_html`: how a response body is read.

XML is read defensively: gzipped bodies are inflated up to ``max_size`` bytes
(a gzip bomb stops there), declared entities are never expanded (an
entity-expansion bomb stays inert) and a document that is not well-formed is
parsed in recovery mode (what can be read is used).

Issues reported (the stats keys the caller counts): ``news/sitemaps/too_large``,
``news/sitemaps/invalid`` (cannot gunzip), ``news/sitemaps/entities_ignored``,
``news/sitemaps/malformed``, ``news/feeds/capped``.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin

from lxml import etree
from scrapy.utils.sitemap import sitemap_urls_from_robots

_XML_PARSER_KW = {"recover": True, "remove_comments": True, "resolve_entities": False, "no_network": True}
_GZIP_MAGIC = b"\x1f\x8b\x08"
# Plain strings, not lxml's "smart" strings that keep a reference to their element.
_HREFS = etree.XPath("//a/@href | //area/@href", smart_strings=False)
_FEED_LINKS = etree.XPath(
    '//link[@rel="alternate"][contains(@type,"rss") or contains(@type,"atom")]/@href', smart_strings=False
)


@dataclass(frozen=True)
class Issue:
    """A problem with a document: the stats key to increment and the message to log (a warning)."""

    stat: str
    message: str


class SitemapEntry(NamedTuple):
    loc: str  # absolute URL
    lastmod: datetime | None
    published: datetime | None  # news:publication_date (news sitemaps)


class FeedEntry(NamedTuple):
    link: str  # absolute URL
    published: datetime | None


@dataclass
class Sitemap:
    """A parsed sitemap: ``kind`` is ``"urlset"``, ``"sitemapindex"`` or None (not a sitemap)."""

    kind: str | None = None
    entries: list[SitemapEntry] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unusable: bool = False  # the body could not be read at all (an issue says why)


@dataclass
class Feed:
    """A parsed feed: ``kind`` is ``"rss"``, ``"feed"`` (Atom), ``"rdf"`` or None (not a feed)."""

    kind: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unusable: bool = False
    items: int = 0  # items in the document (more than ``entries`` when capped)


def parse_any_date(value: str | None) -> datetime | None:
    """Parse sitemap (W3C/ISO 8601) and feed (RFC 822) dates, naive ones as UTC; None when unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def local_name(tag: Any) -> str:
    """``{namespace}name`` -> ``name`` (comments and processing instructions give their str())."""
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


class InflatesTooFar(ValueError):
    """A gzipped body inflates past the size limit (a gzip bomb, or a sitemap too large to read)."""


def gunzip(data: bytes, max_size: int = 0) -> bytes:
    """Inflate a gzip body, stopping with :class:`InflatesTooFar` past ``max_size`` bytes (0: no limit).

    Like Scrapy's own gunzip, a body whose end is damaged (bad CRC, cut short)
    gives what could be inflated; one that gives nothing raises OSError/EOFError.
    """
    out = io.BytesIO()
    size = 0
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
        while True:
            try:
                chunk = fh.read1(65536)
            except (OSError, EOFError, struct.error, zlib.error):
                if size:
                    break
                raise
            if not chunk:
                break
            size += len(chunk)
            if max_size and size > max_size:
                raise InflatesTooFar(f"inflates past {max_size} bytes")
            out.write(chunk)
    return out.getvalue()


def read_xml(body: bytes, url: str, max_size: int = 0) -> tuple[Any, list[Issue], bool]:
    """The root element of a sitemap or feed body (gunzipped; entities never expanded).

    Returns ``(root, issues, unusable)``: ``root`` is None when the body is not
    XML at all; ``unusable`` is True when it could not even be gunzipped.
    """
    issues: list[Issue] = []
    if body[:3] == _GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_size)
        except (InflatesTooFar, OSError, EOFError, struct.error, zlib.error) as exc:
            too_large = isinstance(exc, InflatesTooFar)
            issues.append(Issue(
                "news/sitemaps/too_large" if too_large else "news/sitemaps/invalid",
                f"Sitemap/feed {url}: cannot gunzip ({exc})"
                f"{' - it inflates past DOWNLOAD_MAXSIZE' if too_large else ''}; "
                "skipped (the compressed bytes are in the WARC)",
            ))
            return None, issues, True
    if not body or body.lstrip()[:1] != b"<":
        return None, issues, False
    head = body[:4096]
    if b"<!ENTITY" in head or b"<!entity" in head:
        issues.append(Issue(
            "news/sitemaps/entities_ignored",
            f"XML {url} declares entities (a possible entity-expansion bomb); they are not expanded",
        ))
    parser = etree.XMLParser(**_XML_PARSER_KW)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None, issues, False
    if root is not None and parser.error_log:
        first = next((e for e in parser.error_log if e.level >= 2), None)
        if first is not None:
            issues.append(Issue(
                "news/sitemaps/malformed",
                f"XML {url} is not well-formed (line {first.line}: {first.message}); using what could be read",
            ))
    return root, issues, False


def parse_sitemap(body: bytes, url: str, max_size: int = 0) -> Sitemap:
    """The entries of a sitemap index or urlset (``loc`` made absolute against ``url``)."""
    root, issues, unusable = read_xml(body, url, max_size)
    result = Sitemap(issues=issues, unusable=unusable)
    kind = local_name(root.tag) if root is not None else None
    if kind not in ("urlset", "sitemapindex"):
        return result
    result.kind = kind
    for entry in root:
        if local_name(entry.tag) not in ("url", "sitemap"):
            continue
        fields: dict[str, str] = {}
        for child in entry.iter():
            name = local_name(child.tag)
            if child.text and child.text.strip() and name not in fields:
                fields[name] = child.text.strip()
        loc = fields.get("loc")
        if not loc:
            continue
        result.entries.append(SitemapEntry(
            urljoin(url, loc), parse_any_date(fields.get("lastmod")), parse_any_date(fields.get("publication_date"))
        ))
    return result


def _feed_entry(entry: Any) -> tuple[str | None, str | None]:
    """(link, date text) of one RSS ``<item>`` or Atom ``<entry>``."""
    link = None
    date_text = None
    for child in entry:
        cname = local_name(child.tag)
        if cname == "link":
            href = child.get("href")
            rel = child.get("rel", "alternate")
            if href and rel == "alternate":
                link = href
            elif child.text and child.text.strip():
                link = child.text.strip()
        elif cname == "guid" and not link and child.get("isPermaLink", "true") == "true":
            link = (child.text or "").strip() or None
        elif cname in ("pubDate", "published", "date", "issued") and child.text:
            date_text = child.text
        elif cname == "updated" and child.text and not date_text:
            date_text = child.text
    return link, date_text


def parse_feed(body: bytes, url: str, max_items: int = 0, max_size: int = 0) -> Feed:
    """The items of an RSS, RDF or Atom feed (links made absolute); at most ``max_items`` when not 0."""
    root, issues, unusable = read_xml(body, url, max_size)
    result = Feed(issues=issues, unusable=unusable)
    kind = local_name(root.tag).lower() if root is not None else None
    if kind not in ("rss", "feed", "rdf"):
        return result
    result.kind = kind
    for entry in root.iter():
        if local_name(entry.tag) not in ("item", "entry"):
            continue
        result.items += 1
        if max_items and result.items > max_items:
            result.items = sum(1 for e in root.iter() if local_name(e.tag) in ("item", "entry"))
            issues.append(Issue(
                "news/feeds/capped",
                f"Feed {url} has {result.items} items; only the first {max_items} are followed (NEWS_MAX_FEED_ITEMS)",
            ))
            break
        link, date_text = _feed_entry(entry)
        if link:
            result.entries.append(FeedEntry(urljoin(url, link), parse_any_date(date_text)))
    return result


def robots_sitemaps(body: bytes, url: str) -> list[str]:
    """The sitemap URLs a robots.txt lists (``Sitemap:`` lines), absolute."""
    return list(sitemap_urls_from_robots(body, base_url=url))


def page_links(tree: Any, base_url: str, limit: int = 0) -> tuple[list[str], int]:
    """Absolute http(s) links of ``<a href>``/``<area href>`` in document order, fragments dropped, unique.

    Returns the links (at most ``limit`` when it is not 0) and the number of
    ``href`` attributes on the page.  ``<base href>`` is honoured.
    """
    base = tree.xpath("//base/@href")
    base_url = urljoin(base_url, str(base[0]).strip()) if base else base_url
    seen: dict[str, None] = {}
    joined: dict[str, str] = {}
    hrefs = _HREFS(tree)
    for href in hrefs:
        if limit and len(seen) >= limit:
            break
        href = str(href).strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = joined.get(href)
        if url is None:
            # Absolute links (most of a news page's) need no urljoin, only a dot-segment check.
            if href.startswith(("http://", "https://")) and "/." not in href:
                url = href.split("#", 1)[0]
            else:
                url = urljoin(base_url, href).split("#", 1)[0]
            joined[href] = url
        if url.startswith(("http://", "https://")):
            seen.setdefault(url, None)
    return list(seen), len(hrefs)


def page_feeds(tree: Any, url: str) -> list[str]:
    """The RSS/Atom feeds a page announces (``<link rel="alternate" type="...rss|atom...">``), absolute."""
    return [urljoin(url, str(href)) for href in _FEED_LINKS(tree)]


def xml_kind(content_type: str, body: bytes) -> str | None:
    """``"feed"`` or ``"sitemap"`` when a page URL answered XML (by Content-Type or first bytes), else None."""
    head = body[:512].lstrip().lower()
    if "xml" in content_type.lower() or head.startswith(b"<?xml") or head.startswith(b"<rss"):
        return "feed" if b"<rss" in head or b"<feed" in head or b"<rdf" in head else "sitemap"
    return None


def looks_like_html(body: bytes) -> bool:
    """A sitemap or feed URL that answered an HTML page (read as a page instead)."""
    return b"<html" in body[:2048].lower()
