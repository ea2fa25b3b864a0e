"""`make bench`: speed and memory benchmarks (not tests: they print figures to compare).

    python -m crawler.bench upload [--mb 300]

``upload``: starts SeaweedFS on 127.0.0.1, writes a WARC-sized file of random
bytes, and uploads it through the crawler's own storage path (spool →
multipart, Content-MD5, size/ETag verification) in a fresh process that has
the crawler stack imported; prints elapsed time and that process's peak RSS.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UPLOAD_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import scrapy, trafilatura  # the crawler's own footprint
from scrapy.settings import Settings
from archive.storage import open_storage
settings = Settings()
settings.setmodule("crawler.settings")
for pair in sys.argv[2:]:
    k, v = pair.split("=", 1)
    settings.set(k, v)
src = Path(sys.argv[1])
storage = open_storage(settings.get("ARCHIVE_URI"), settings, start_uploader=False)
start = time.perf_counter()
storage.put_file("warc/bench/bench.warc.gz", src)
left = storage.close(600)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "left": len(left),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_upload(mb: int) -> dict[str, float | int | bool]:
    from crawler.demo.seaweed import SeaweedFS

    with tempfile.TemporaryDirectory(prefix="news-bench-") as tmp:
        src = Path(tmp) / "big.warc.gz"
        with open(src, "wb") as fh:
            for _ in range(mb):
                fh.write(os.urandom(1024 * 1024))
        with SeaweedFS(Path(tmp) / "seaweed") as store:
            store.create_bucket("bench")
            settings = [*store.settings("bench", "b"), f"ARCHIVE_SPOOL_DIR={Path(tmp) / 'spool'}"]
            root = Path(__file__).resolve().parents[1]
            proc = subprocess.run([sys.executable, "-c", UPLOAD_CHILD, str(src), *settings], cwd=root,
                                  capture_output=True, text=True, timeout=1800)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-3000:])
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            head = store.client().head_object(Bucket="bench", Key="b/warc/bench/bench.warc.gz")
        return {
            "upload_mb": mb,
            "upload_seconds": round(result["seconds"], 2),
            "upload_mb_per_s": round(mb / result["seconds"], 1),
            "upload_peak_rss_mb": round(result["peak_rss_mb"], 1),
            "upload_verified": head["ContentLength"] == mb * 1024 * 1024 and result["left"] == 0,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    up = sub.add_parser("upload", help="300 MB WARC upload to a local S3 store: time and peak RSS")
    up.add_argument("--mb", type=int, default=300)
    args = parser.parse_args(argv)
    started = time.time()
    if args.what == "upload":
        result = bench_upload(args.mb)
        print(f"Uploaded a {result['upload_mb']} MB WARC to SeaweedFS in {result['upload_seconds']} s "
              f"({result['upload_mb_per_s']} MB/s); peak RSS of the uploading crawler process "
              f"{result['upload_peak_rss_mb']} MB; verified: {result['upload_verified']}")
    result["bench_seconds"] = round(time.time() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
