"""`make demo`: serve the bundled demo site on 127.0.0.1 and crawl it into an archive.

Runs ``scrapy crawl news -a site=demo -a url=http://127.0.0.1:PORT/`` in a
subprocess (the same command an operator would type), then prints what was
archived, read back from the crawl's manifest, WARC files and article JSON, and
the command that opens the archive in the web console (``scrapy archive-web``).
The site's image CDN runs alongside it (``http://127.0.0.2:PORT/``, see
:class:`demo.server.DemoServer`); page resources archived are reported when
the crawl's stats count them (:func:`resources_line`).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from demo.server import DemoServer

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def crawl_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,127.0.0.2,localhost"
    return env


def run_crawl(url: str, archive: Path, crawl_id: str, extra: list[str] | None = None) -> int:
    cmd = [
        sys.executable, "-m", "scrapy", "crawl", "news",
        "-a", "site=demo", "-a", f"url={url}",
        "-s", f"ARCHIVE_URI={archive}",
        "-s", f"ARCHIVE_CRAWL_ID={crawl_id}",
        # A local server: keep AutoThrottle on but let it start fast.
        "-s", "AUTOTHROTTLE_START_DELAY=0",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "LOG_LEVEL=WARNING",
        *(extra or []),
    ]  # fmt: skip
    shown = [a.split("=", 1)[0] + "=***" if ("SECRET" in a or "TOKEN" in a) and "=" in a else a for a in cmd[1:]]
    print("$", " ".join(shown), flush=True)
    return subprocess.call(cmd, cwd=PROJECT_ROOT, env=crawl_env())


def _size(count: int) -> str:
    """``1234567`` -> ``"1.2 MB"`` (decimal units)."""
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:,.1f} MB"


def resources_line(stats: dict[str, Any]) -> str | None:
    """``Page resources: 42 archived (1.2 MB), 0 not archived``, or ``None``.

    From the crawl stats ``resources/archived``, ``resources/bytes`` and
    ``resources/failed`` (if absent: the sum of ``resources/failed/{reason}``);
    ``resources/skipped/{reason}`` are added as "N skipped" when there are any.
    ``None`` when the stats have no ``resources/archived`` (the crawl did not
    archive page resources).
    """
    if "resources/archived" not in stats:
        return None
    archived = int(stats["resources/archived"])
    size = _size(int(stats.get("resources/bytes", 0)))
    if "resources/failed" in stats:
        failed = int(stats["resources/failed"])
    else:
        failed = sum(int(v) for k, v in stats.items() if k.startswith("resources/failed/"))
    line = f"Page resources: {archived} archived ({size}), {failed} not archived"
    skipped = sum(int(v) for k, v in stats.items() if k.startswith("resources/skipped/"))
    return line + (f", {skipped} skipped" if skipped else "")


def summarize(archive: Path, crawl_id: str) -> str:
    manifest = json.loads((archive / "crawls" / crawl_id / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    lines = [
        "",
        f"Crawl {crawl_id}: {manifest['finish_reason']}",
        f"  pages fetched:    {counts['responses']} HTTP responses ({counts['requests']} requests)",
        f"  articles written: {counts['articles_written']}  -> {archive / 'articles'}",
        f"  WARC files:       {counts['warc_files']} ({counts['warc_bytes']:,} bytes, {counts['warc_records']} records; "
        f"{counts.get('warc_responses', 0)} responses, {counts.get('warc_revisits', 0)} revisits of unchanged pages)",
    ]
    for f in manifest["warc_files"]:
        lines.append(f"    {archive / f['key']}")
    for name in ("index.cdxj", f"{crawl_id}.wacz"):
        path = archive / "warc" / crawl_id / name
        if path.exists():
            lines.append(f"    {path}  ({'CDXJ index' if name.endswith('cdxj') else 'WACZ package'})")
    lines.append(f"  manifest:         {archive / 'crawls' / crawl_id / 'manifest.json'}")
    if resources := resources_line(manifest.get("stats") or {}):
        lines.append(f"  {resources}")
    records = []
    for path in sorted((archive / "articles").rglob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("warc") and any(rec["warc"]["file"] == f["file"] for f in manifest["warc_files"]):
            records.append((path, rec))
    if not records:
        lines += ["", "No new or changed article in this crawl: unchanged pages were stored as revisit records."]
    else:
        path, rec = next(((p, r) for p, r in records if "jaish-al-izza" in r["url"] or "372146" in r["url"]), records[0])
        first = rec["text"].split("\n\n")[:2]
        lines += [
            "",
            "One article:",
            f"  file:      {path}",
            f"  title:     {rec['title']}",
            f"  published: {rec['published']}",
            f"  url:       {rec['url']}",
            f"  warc:      {rec['warc']['file']} @ {rec['warc']['offset']}",
            "  text:",
            *[f"    {p[:160]}" for p in first],
        ]
    return "\n".join(lines)


def summarize_s3(store: Any, bucket: str, prefix: str, crawl_id: str) -> str:
    client = store.client()
    manifest = json.loads(client.get_object(Bucket=bucket, Key=f"{prefix}/crawls/{crawl_id}/manifest.json")["Body"].read())
    counts = manifest["counts"]
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
            for o in page.get("Contents", [])]
    lines = [
        "",
        f"Crawl {crawl_id}: {manifest['finish_reason']} -> s3://{bucket}/{prefix} on SeaweedFS at {store.endpoint}",
        f"  pages fetched:    {counts['responses']} HTTP responses",
        f"  articles written: {counts['articles_written']}",
        f"  WARC files:       {counts['warc_files']} ({counts['warc_bytes']:,} bytes)",
        f"  objects in the bucket: {len(keys)}; not uploaded: {len(manifest.get('unsent', []))}",
    ]
    if resources := resources_line(manifest.get("stats") or {}):
        lines.append(f"  {resources}")
    lines += [f"    s3://{bucket}/{k}" for k in keys if f"/warc/{crawl_id}/" in k or k.endswith(f"{crawl_id}/manifest.json")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive", default="./archive", help="archive directory (default ./archive)")
    parser.add_argument(
        "--port",
        type=int,
        default=8765,  # the README shows this address
        help="port of the demo site (default 8765; a fixed port keeps URLs stable, so a second demo "
        "crawl deduplicates against the first; a free port is used if it is taken)",
    )
    parser.add_argument("--s3", action="store_true", help="archive into a local SeaweedFS S3 server instead of a directory")
    args = parser.parse_args(argv)
    archive = Path(args.archive).resolve()
    crawl_id = f"demo-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    if args.s3:
        return main_s3(archive, crawl_id, args.port)
    try:
        server = DemoServer(port=args.port).start()
    except OSError:
        server = DemoServer().start()
    with server:
        print(f"Demo news site serving at {server.url} (image CDN at {server.cdn_url}/)", flush=True)
        code = run_crawl(server.url, archive, crawl_id)
    if code != 0:
        print(f"crawl failed with exit code {code}", file=sys.stderr)
        return code
    print(summarize(archive, crawl_id))
    print(console_hint(f"ARCHIVE_URI={archive}"))
    return 0


def console_hint(*settings: str) -> str:
    """The command that opens the demo archive in the web console (scrapy archive-web, docs/console.md)."""
    options = " ".join(f"-s {shlex.quote(s)}" for s in settings)
    return (f"\nBrowse it in the web console (jobs, crawl report, articles, search, replay):\n"
            f"  .venv/bin/scrapy archive-web {options}\n"
            f"  then open http://127.0.0.1:8600/ (the one-time login link it prints lets you add and run jobs)")


def main_s3(archive: Path, crawl_id: str, port: int) -> int:
    """`make demo-s3`: the same crawl into a SeaweedFS S3 store started on 127.0.0.1."""
    from demo.seaweed import SeaweedFS

    workdir = PROJECT_ROOT / ".seaweed-demo"
    store = SeaweedFS(workdir)
    print(f"Starting SeaweedFS (S3) on {store.endpoint} (data in {workdir}) ...", flush=True)
    with store:
        bucket, prefix = "news-archive", "archive"
        try:
            store.create_bucket(bucket)
        except Exception:  # already there from an earlier run
            pass
        try:
            server = DemoServer(port=port).start()
        except OSError:
            server = DemoServer().start()
        with server:
            print(f"Demo news site serving at {server.url} (image CDN at {server.cdn_url}/)", flush=True)
            extra: list[str] = []
            for setting in [*store.settings(bucket, prefix), f"ARCHIVE_SPOOL_DIR={archive}-spool"]:
                extra += ["-s", setting]
            code = run_crawl(server.url, archive, crawl_id, extra)
        if code != 0:
            print(f"crawl failed with exit code {code}", file=sys.stderr)
            return code
        print(summarize_s3(store, bucket, prefix, crawl_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
