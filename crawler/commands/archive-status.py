"""``scrapy archive-status``: recent crawls from the archive store, per site.

For every site: its last crawl (when, outcome), how many crawls, article records
written in all of them and in the last one (new and changed), and failures
(crawls that did not finish, or left objects unsent).  ``--json`` prints one
JSON object instead of the table.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any

from crawler.cli import QuietCommand, open_archive


def failed(manifest: dict[str, Any]) -> bool:
    """A crawl that did not end normally, logged errors, or left objects unsent."""
    reason = str(manifest.get("finish_reason") or "")
    normal = reason in ("finished", "max_articles") or reason.startswith("closespider_")
    return not normal or bool(manifest.get("unsent")) or bool(manifest.get("stats", {}).get("log_count/ERROR"))


class Command(QuietCommand):

    def syntax(self) -> str:
        return "[--json]"

    def short_desc(self) -> str:
        return "Summarise recent crawls in ARCHIVE_URI per site"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        storage = open_archive(self.settings, start_uploader=False)  # reads only: nothing is uploaded
        sites: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for key in storage.keys("crawls/"):
            name = key.rsplit("/", 1)[-1]
            if not (name.startswith("manifest") and name.endswith(".json")):
                continue
            raw = storage.get_bytes(key)
            if raw is None:
                continue
            manifest = json.loads(raw)
            sites[manifest.get("site", "?")].append(manifest)
        summary = {}
        for site, crawls in sorted(sites.items()):
            crawls.sort(key=lambda m: m.get("started_at") or "")
            last = crawls[-1]
            counts = last.get("counts", {})
            summary[site] = {
                "crawls": len(crawls),
                "last_crawl": last.get("crawl_id"),
                "last_started": last.get("started_at"),
                "last_status": last.get("finish_reason") or last.get("status"),
                "articles_total": sum(m.get("counts", {}).get("articles_written", 0) for m in crawls),
                "articles_last": counts.get("articles_written", 0),
                "articles_new_last": counts.get("articles_new", 0),
                "failures": sum(1 for m in crawls if failed(m)),
            }
        if opts.json:
            print(json.dumps(summary, indent=2))
            return
        print(f"{'site':<18}{'crawls':>7}  {'last run (UTC)':<34}{'outcome':<14}{'articles':>9}{'last':>6}{'new':>5}{'failures':>10}")
        for site, row in summary.items():
            print(f"{site:<18}{row['crawls']:>7}  {str(row['last_started']):<34}{str(row['last_status']):<14}"
                  f"{row['articles_total']:>9}{row['articles_last']:>6}{row['articles_new_last']:>5}{row['failures']:>10}")
