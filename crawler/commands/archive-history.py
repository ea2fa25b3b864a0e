"""``scrapy archive-history URL|ID``: the versions of an article and what changed between them.

    scrapy archive-history https://www.enabbaladi.net/123456/
    scrapy archive-history 3f2a9c0d1e2b3c4d5e6f7a8b          # an article id
    scrapy archive-history URL --site enabbaladi --json

Finds the article in the site state (``docs/state.md``: the SQLite state of each site in a
directory archive, the snapshot of an ``s3://`` archive, or Redis with ``REDIS_URL``; every
site's state unless ``--site`` names one), reads its latest record and every earlier version
it lists (``versions``, :mod:`pipelines.versions`), and prints them oldest first, then for
each version what changed from the one before: the fields (title, dates, authors, …) as
``old -> new`` and the text as a word diff (``[-removed-]``, ``{+added+}``).  Without a
state, the archive's article records are searched for the id.  Exits 1 if the article is
not in the archive.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from scrapy.exceptions import UsageError

from archive.history import Version, field_changes, load_versions, word_diff
from archive.statestore import ArticleState
from archive.storage import Storage, StorageError
from crawler.cli import QuietCommand, open_archive
from crawler.sitestate import SiteState
from crawler.urls import article_id

_ID = re.compile(r"^[0-9a-f]{24}$")


def state_sites(storage: Storage, settings: Any) -> list[str]:
    """The sites with a state: Redis hashes with ``REDIS_URL``, else ``state/{site}/`` in the archive."""
    if settings.get("REDIS_URL"):
        import redis

        prefix = settings.get("ARCHIVE_STATE_REDIS_PREFIX") or "news-archive:state"
        client = redis.Redis.from_url(settings.get("REDIS_URL"))
        try:
            return sorted({k.decode("utf-8")[len(prefix) + 1:].rsplit(":", 1)[0]
                           for k in client.scan_iter(match=f"{prefix}:*:articles")})
        finally:
            client.close()
    return sorted({key.split("/")[1] for key in storage.keys("state/") if key.count("/") >= 2})


def find_article(storage: Storage, settings: Any, target: str, sites: list[str]) -> tuple[str, str, ArticleState] | None:
    """(site, url, article state) of ``target`` (a URL or an article id) in the sites' states."""
    is_id = bool(_ID.match(target))
    wanted_id = target if is_id else article_id(target)
    for site in sites:
        store = SiteState(storage, site, True, settings=settings).open_readonly()
        if store is None:
            continue
        try:
            url = None if is_id else target
            article = store.get_article(url) if url else None
            if article is None:
                url = store.article_url(wanted_id)
                article = store.get_article(url) if url else None
            if article is not None and url is not None:
                return site, url, article
        finally:
            store.close()
    return None


def scan_records(storage: Storage, wanted_id: str) -> tuple[str, dict[str, Any]] | None:
    """Without a state: the latest record of the article with this id, by walking ``articles/``."""
    for key in storage.keys("articles/"):
        if key.endswith(f"/{wanted_id}.json") and "/versions/" not in key:
            raw = storage.get_bytes(key)
            if raw is not None:
                return key, json.loads(raw)
    return None


def describe_versions(versions: list[Version]) -> list[dict[str, Any]]:
    """Each version with what changed from the one before (the --json output)."""
    out = []
    previous: dict[str, Any] | None = None
    for v in versions:
        entry: dict[str, Any] = {"n": v.n, "fetched_at": v.fetched_at, "content_sha256": v.content_sha256,
                                 "warc": v.warc, "key": v.key, "missing": v.record is None}
        if previous is not None and v.record is not None:
            entry["changed"] = [{"field": f, "old": old, "new": new} for f, old, new in field_changes(previous, v.record)]
            entry["text_diff"] = word_diff(previous.get("text") or "", v.record.get("text") or "")
        previous = v.record if v.record is not None else previous
        out.append(entry)
    return out


class Command(QuietCommand):

    def syntax(self) -> str:
        return "URL|ID"

    def short_desc(self) -> str:
        return "Print the versions of an archived article and what changed between them"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="look only in this site's state (a profile name or an ad-hoc site key)")
        parser.add_argument("--json", action="store_true", help="print the versions and changes as JSON")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one article URL or id (24 hex digits)")
        target = args[0].strip()
        if not _ID.match(target) and not re.match(r"^https?://", target):
            raise UsageError(f"{target!r} is neither an article URL (http:// or https://) nor an article id "
                             "(24 hex digits, the record's \"id\")")
        storage = open_archive(self.settings, start_uploader=False)
        try:
            sites = [opts.site] if opts.site else state_sites(storage, self.settings)
            found = find_article(storage, self.settings, target, sites)
            if found is not None:
                site, url, article = found
                raw = storage.get_bytes(article.key)
                latest_key, latest = article.key, (json.loads(raw) if raw is not None else None)
            else:
                scanned = scan_records(storage, target if _ID.match(target) else article_id(target))
                latest_key, latest = scanned if scanned is not None else ("", None)
                site, url = (latest or {}).get("site", ""), (latest or {}).get("url", target)
            if latest is None:
                print(f"{target}: not in {storage.describe()} (no site state and no article record knows it)")
                self.exitcode = 1
                return
            versions = load_versions(storage, latest, latest_key)
        except StorageError as exc:
            raise UsageError(f"cannot read {storage.describe()}: {exc}") from exc
        described = describe_versions(versions)
        if opts.json:
            json.dump({"url": url, "id": latest.get("id"), "site": site, "latest": latest_key, "versions": described},
                      sys.stdout, ensure_ascii=False, indent=2)
            print()
            return
        print(f"{url}  id {latest.get('id')}  site {site}")
        print(f"latest record: {latest_key}")
        print(f"{len(versions)} version{'s' if len(versions) != 1 else ''}")
        for v in described:
            warc = v["warc"] or {}
            where = f"{warc.get('file')} @{warc.get('offset')}" if warc else "no WARC pointer"
            missing = "  (record missing from the store)" if v["missing"] else ""
            print(f"  v{v['n']}  {v['fetched_at']}  text sha256 {v['content_sha256'][:12]}  {where}{missing}")
        if len(versions) == 1:
            print("No change seen since it was first archived.")
        for v in described[1:]:
            if "changed" not in v:
                continue
            print()
            print(f"Changes in v{v['n']} ({v['fetched_at']}):")
            for change in v["changed"]:
                print(f"  {change['field']}: {change['old']} -> {change['new']}")
            if v["text_diff"]:
                print("  text:")
                for line in v["text_diff"]:
                    print(f"    {line}")
            if not v["changed"] and not v["text_diff"]:
                print("  (no change in the compared fields)")
