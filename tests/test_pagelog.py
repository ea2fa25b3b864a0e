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
