"""Site profiles: per-site knowledge as declarative, validated TOML data.

A profile lives in ``crawler/sites/NAME.toml`` (or any path given to
``-a site=``).  Fields (see docs/profiles.md)::

    name = "enabbaladi"                      # required, [a-z0-9_-]
    title = "Enab Baladi (Arabic)"
    base_url = "https://www.enabbaladi.net/" # required; relative URLs below resolve against it
    allowed_domains = ["www.enabbaladi.net"] # default: the base_url host
    language = "ar"                          # BCP 47 tag of the edition
    timezone = "Asia/Damascus"               # IANA zone used when a page gives no offset
    start_urls = ["/"]                       # pages crawled for links (default ["/"])
    feeds = ["/feed"]                        # RSS/Atom feeds
    sitemaps = ["/sitemap_index.xml"]        # sitemaps (robots.txt sitemaps are added)
    article_patterns = ['/archives/\\d+/?$'] # regexes (search) marking article URLs
    exclude_patterns = ['/wp-admin/']        # regexes of URLs never requested
    link_depth = 2                           # overrides NEWS_LINK_DEPTH
    revalidate = false                       # re-crawls: conditional requests for known articles

    [extraction]
    drop_selectors = [".font-size"]          # CSS selectors removed before extraction
    drop_text_patterns = ["^tag icon"]       # regexes of text lines removed after
    date_selector = ".date"                  # where the visible date is

Loading validates every field and raises :class:`ProfileError` naming the
file and the field, with what to write instead.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError

from archive.keys import idna_host

# importlib.resources: profiles load from an installed package or a zipped egg (Scrapyd) alike.
SITES_DIR = resources.files("crawler") / "sites"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class ProfileError(ValueError):
    """A profile file is missing or invalid; the message names file and field."""


@dataclass
class ExtractionHints:
    drop_selectors: list[str] = field(default_factory=list)
    drop_text_patterns: list[str] = field(default_factory=list)
    date_selector: str | None = None


@dataclass
class SiteProfile:
    name: str
    base_url: str
    title: str = ""
    allowed_domains: list[str] = field(default_factory=list)
    language: str | None = None
    timezone: str | None = None
    start_urls: list[str] = field(default_factory=lambda: ["/"])
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    article_patterns: list[str] = field(default_factory=list)
    exclude_patterns: list[str] = field(default_factory=list)
    link_depth: int | None = None
    revalidate: bool = False
    extraction: ExtractionHints = field(default_factory=ExtractionHints)
    source: str = "<generated>"

    # compiled forms, filled by __post_init__
    _article_res: list[re.Pattern[str]] = field(default_factory=list, repr=False)
    _exclude_res: list[re.Pattern[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._article_res = [re.compile(p) for p in self.article_patterns]
        self._exclude_res = [re.compile(p) for p in self.exclude_patterns]
        if not self.allowed_domains:
            host = urlsplit(self.base_url).hostname
            self.allowed_domains = [_domain(host)] if host else []

    def absolute(self, url: str) -> str:
        return urljoin(self.base_url, url)

    def is_article_url(self, url: str) -> bool:
        return any(r.search(url) for r in self._article_res)

    def is_excluded(self, url: str) -> bool:
        return any(r.search(url) for r in self._exclude_res)

    def rebase(self, base_url: str) -> SiteProfile:
        """The same profile served from another origin (used with ``-a url=``)."""
        old, new = urlsplit(self.base_url), urlsplit(base_url)
        host = _domain(new.hostname) if new.hostname else None

        def move(url: str) -> str:
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc) == (old.scheme, old.netloc):
                return parts._replace(scheme=new.scheme, netloc=new.netloc).geturl()
            return url

        return SiteProfile(
            name=self.name,
            base_url=base_url,
            title=self.title,
            allowed_domains=[host] if host else [],
            language=self.language,
            timezone=self.timezone,
            start_urls=[move(u) for u in self.start_urls],
            feeds=[move(u) for u in self.feeds],
            sitemaps=[move(u) for u in self.sitemaps],
            article_patterns=list(self.article_patterns),
            exclude_patterns=list(self.exclude_patterns),
            link_depth=self.link_depth,
            revalidate=self.revalidate,
            extraction=self.extraction,
            source=self.source,
        )


def _domain(host: str) -> str:
    """A host as requests carry it: internationalised names in IDNA form (Scrapy's URLs are)."""
    try:
        return idna_host(host)
    except ValueError:
        return host


def profile_for_url(url: str) -> SiteProfile:
    """An ad-hoc profile for ``-a url=URL`` crawls of sites without a profile."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"-a url={url!r}: give an absolute http(s) URL such as https://example.org/")
    try:
        host = idna_host(parts.hostname)  # one key per site: مثال.com -> xn--mgbh0fb.com, never "com"
    except ValueError as exc:
        raise ProfileError(f"-a url={url!r}: {exc}") from exc
    name = host + (f"-{parts.port}" if parts.port else "")
    return SiteProfile(name=name, base_url=url, start_urls=[url])


_TOP_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "title": str,
    "base_url": str,
    "allowed_domains": list,
    "language": str,
    "timezone": str,
    "start_urls": list,
    "feeds": list,
    "sitemaps": list,
    "article_patterns": list,
    "exclude_patterns": list,
    "link_depth": int,
    "revalidate": bool,
    "extraction": dict,
}
_EXTRACTION_FIELDS: dict[str, type] = {
    "drop_selectors": list,
    "drop_text_patterns": list,
    "date_selector": str,
}
_LIST_OF_REGEX = {"article_patterns", "exclude_patterns"}


def _fail(source: str, fieldname: str, message: str) -> ProfileError:
    return ProfileError(f"{source}: field '{fieldname}': {message}")


def _check_str_list(source: str, name: str, value: list[Any]) -> list[str]:
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise _fail(source, f"{name}[{i}]", f"expected a non-empty string, got {item!r}")
    return list(value)


def validate_profile(data: dict[str, Any], source: str) -> SiteProfile:
    """Validate parsed TOML ``data`` and build a :class:`SiteProfile`."""
    for key in data:
        if key not in _TOP_FIELDS:
            raise _fail(source, key, f"unknown field; allowed fields: {', '.join(sorted(_TOP_FIELDS))}")
    for required in ("name", "base_url"):
        if required not in data:
            raise _fail(source, required, "missing; every profile needs 'name' and 'base_url'")
    for key, value in data.items():
        expected = _TOP_FIELDS[key]
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            raise _fail(source, key, f"expected {getattr(expected, '__name__', expected)}, got {value!r}")

    name = data["name"]
    if not _NAME_RE.match(name):
        raise _fail(source, "name", f"{name!r} must be lower-case letters, digits, '_' or '-'")
    base = data["base_url"]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(source, "base_url", f"{base!r} must be an absolute http(s) URL")

    lists: dict[str, list[str]] = {}
    for key in ("allowed_domains", "start_urls", "feeds", "sitemaps", "article_patterns", "exclude_patterns"):
        if key in data:
            lists[key] = _check_str_list(source, key, data[key])
    for key in _LIST_OF_REGEX:
        for i, pattern in enumerate(lists.get(key, [])):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _fail(source, f"{key}[{i}]", f"invalid regular expression {pattern!r}: {exc}") from exc
    for i, domain in enumerate(lists.get("allowed_domains", [])):
        if "/" in domain or ":" in domain:
            raise _fail(source, f"allowed_domains[{i}]", f"{domain!r} must be a bare host name like www.example.org")

    tz = data.get("timezone")
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _fail(source, "timezone", f"{tz!r} is not an IANA time zone such as Asia/Damascus") from exc
    depth = data.get("link_depth")
    if depth is not None and not 0 <= depth <= 20:
        raise _fail(source, "link_depth", f"{depth} must be between 0 and 20")

    hints = ExtractionHints()
    ex = data.get("extraction", {})
    for key, value in ex.items():
        if key not in _EXTRACTION_FIELDS:
            raise _fail(source, f"extraction.{key}", f"unknown field; allowed: {', '.join(sorted(_EXTRACTION_FIELDS))}")
        if not isinstance(value, _EXTRACTION_FIELDS[key]):
            raise _fail(source, f"extraction.{key}", f"expected {_EXTRACTION_FIELDS[key].__name__}, got {value!r}")
    if "drop_selectors" in ex:
        hints.drop_selectors = _check_str_list(source, "extraction.drop_selectors", ex["drop_selectors"])
        for i, sel in enumerate(hints.drop_selectors):
            try:
                GenericTranslator().css_to_xpath(sel)
            except SelectorError as exc:
                raise _fail(source, f"extraction.drop_selectors[{i}]", f"invalid CSS selector {sel!r}: {exc}") from exc
    if "drop_text_patterns" in ex:
        hints.drop_text_patterns = _check_str_list(source, "extraction.drop_text_patterns", ex["drop_text_patterns"])
        for i, pattern in enumerate(hints.drop_text_patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _fail(source, f"extraction.drop_text_patterns[{i}]", f"invalid regular expression: {exc}") from exc
    hints.date_selector = ex.get("date_selector")

    profile = SiteProfile(
        name=name,
        base_url=base,
        title=data.get("title", ""),
        language=data.get("language"),
        timezone=tz,
        link_depth=depth,
        revalidate=bool(data.get("revalidate", False)),
        extraction=hints,
        source=source,
        allowed_domains=lists.get("allowed_domains", []),
        start_urls=lists.get("start_urls", ["/"]),
        feeds=lists.get("feeds", []),
        sitemaps=lists.get("sitemaps", []),
        article_patterns=lists.get("article_patterns", []),
        exclude_patterns=lists.get("exclude_patterns", []),
    )
    profile.start_urls = [profile.absolute(u) for u in profile.start_urls]
    profile.feeds = [profile.absolute(u) for u in profile.feeds]
    profile.sitemaps = [profile.absolute(u) for u in profile.sitemaps]
    return profile


def load_profile(name_or_path: str) -> SiteProfile:
    """Load a shipped profile by name, or a profile file by path."""
    path: Any = Path(name_or_path)
    if path.suffix != ".toml":
        if not _NAME_RE.match(name_or_path):
            raise ProfileError(f"-a site={name_or_path!r}: not a profile name; available: {', '.join(list_profiles())}")
        path = SITES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ProfileError(
            f"no site profile {name_or_path!r} (looked for {path}); available: {', '.join(list_profiles())}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    return validate_profile(data, str(path))


def list_profiles() -> list[str]:
    return sorted(p.name.removesuffix(".toml") for p in SITES_DIR.iterdir() if p.name.endswith(".toml"))
