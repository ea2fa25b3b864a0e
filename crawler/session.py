"""Removed: the archive session became :class:`crawler.extensions.archive.ArchiveExtension`.

Kept only until ``scrapy archive-pack`` imports :func:`crawler.packager.pack_crawl` directly.
"""

from crawler.packager import pack_crawl, software_string

__all__ = ["pack_crawl", "software_string"]
