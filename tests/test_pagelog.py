"""PageLog keeps the WACZ page list in a temporary file: appended during the crawl, read at the end."""

from __future__ import annotations

import json

from archive.packaging import PageLog, pages_jsonl


def test_pages_round_trip_in_order_and_reading_does_not_stop_appending(tmp_path) -> None:
    log = PageLog(tmp_path)
    pages = [{"id": f"{i:024x}", "url": f"https://example.org/{i}", "ts": "2026-01-01T00:00:00.000Z",
              "title": "عنوان" if i % 2 else None} for i in range(1000)]
    for page in pages[:600]:
        log.append(page)
    assert len(log) == 600 and list(log) == pages[:600]
    assert next(iter(log))["url"] == "https://example.org/0"
    for page in pages[600:]:
        log.append(page)  # appended after a read: lands at the end, nothing overwritten
    assert list(log) == pages and len(log) == 1000
    lines = pages_jsonl(log).decode("utf-8").splitlines()
    assert json.loads(lines[0])["format"] == "json-pages-1.0" and len(lines) == 1001
    assert json.loads(lines[2])["title"] == "عنوان" and "title" not in json.loads(lines[1])
    log.close()


def test_cdxj_merged_from_files_as_from_memory(tmp_path) -> None:
    """The k-way merge of per-WARC index files gives the globally sorted index."""
    import random

    from archive.packaging import merge_cdxj_files, write_sorted_cdxj

    rng = random.Random(7)
    hosts = ["org,example)/", "net,news)/ar/", "com,enabbaladi)/archives/", "org,example)/a b"]
    parts = []
    for n in range(5):
        lines = [f"{rng.choice(hosts)}{rng.randint(1, 999)} 2026112{rng.randint(0, 9)}0000{rng.randint(10, 99)} "
                 f'{{"url": "https://x/{n}-{i}", "offset": {i}}}' for i in range(rng.randint(0, 300))]
        parts.append("\n".join(lines) + ("\n\n" if n % 2 else ""))
    paths = []
    for n, text in enumerate(parts):
        paths.append(tmp_path / f"part-{n}.cdxj")
        write_sorted_cdxj(text, paths[-1])
    out = tmp_path / "index.cdxj"
    count = merge_cdxj_files(paths, out)
    expected = sorted(line for text in parts for line in text.splitlines() if line.strip())
    assert out.read_text("utf-8") == "".join(line + "\n" for line in expected)
    assert count == len(expected) > 500
