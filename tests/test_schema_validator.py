"""The fast schema check never accepts a record jsonschema rejects; validate_article is jsonschema's verdict."""

from __future__ import annotations

import copy

import fastjsonschema
import pytest

from crawler.items import PageItem
from crawler.schema import SchemaError, _fast_validator, _validator, article_schema, validate_article
from pipelines.article import NotAnArticle, extract_article
from tests.support.evaluation import load_benchmark

WARC = {"file": "x.warc.gz", "record_id": "<urn:uuid:12345678-1234-1234-1234-123456789012>", "offset": 0, "length": 1}
ODD_VALUES = [None, 0, -1, 1.5, "", "x", "not a date", [], ["x"], [1], {}, {"x": 1}, True]


def _records() -> list[dict]:
    out = []
    for _, url, _, html in load_benchmark()[:12]:
        page = PageItem(url=url or "https://example.org/a", body=html, encoding="utf-8", status=200,
                        headers={"Content-Type": "text/html; charset=utf-8"}, site="bench", profile=None,
                        fetched_at="2026-01-01T00:00:00+00:00", warc=WARC)
        try:
            out.append(extract_article(page).to_dict())
        except NotAnArticle:
            continue
    return out


def _mutations(record: dict):
    for key in list(article_schema()["properties"]):
        missing = copy.deepcopy(record)
        missing.pop(key, None)
        yield missing
        for value in ODD_VALUES:
            changed = copy.deepcopy(record)
            changed[key] = value
            yield changed
            for inner_key in ("url", "caption", "kind", "text", "rule", "file", "record_id", "offset", "length", "name"):
                if isinstance(record.get(key), list) and record[key] and isinstance(record[key][0], dict):
                    nested = copy.deepcopy(record)
                    nested[key][0][inner_key] = value
                    yield nested
                if isinstance(record.get(key), dict):
                    nested = copy.deepcopy(record)
                    nested[key][inner_key] = value
                    yield nested
    extra = copy.deepcopy(record)
    extra["unexpected_field"] = 1
    yield extra


def test_fast_check_never_accepts_what_jsonschema_rejects() -> None:
    records = _records()
    assert len(records) >= 8
    fast, slow = _fast_validator(), _validator()
    checked = rejected = 0
    for record in records:
        validate_article(record)  # the real records are valid
        for candidate in _mutations(record):
            js_ok = not any(True for _ in slow.iter_errors(candidate))
            try:
                fast(candidate)
                fast_ok = True
            except fastjsonschema.JsonSchemaException:
                fast_ok = False
            assert js_ok or not fast_ok, candidate  # never a false accept
            checked += 1
            rejected += not js_ok
            if js_ok:
                validate_article(candidate)
            else:
                with pytest.raises(SchemaError):
                    validate_article(candidate)
    assert checked > 1000 and rejected > 500  # the mutations did exercise rejections


def test_rejection_names_the_field() -> None:
    record = _records()[0]
    record["published"] = "yesterday"
    with pytest.raises(SchemaError, match="^published: "):
        validate_article(record)


def test_schema_version_1_records_still_validate():
    """Records written before schema versions 2 and 3 (images without archived/warc/reason; no
    versions) stay valid."""
    record = next(r for r in _records() if r["images"])
    assert record["schema_version"] == 3
    validate_article(record)
    # A record as version 2 wrote it: no versions list.
    del record["versions"]
    with pytest.raises(SchemaError, match="versions"):
        validate_article(record)  # required from version 3 on
    record["schema_version"] = 2
    validate_article(record)
    # A record as version 1 wrote it: without the version 2 image fields either.
    record["schema_version"] = 1
    record["images"] = [{"url": i["url"], "caption": i["caption"]} for i in record["images"]]
    assert record["schema_version"] == 1 and "archived" not in record["images"][0]
    validate_article(record)
    # Version 2 fields are checked when present: a pointer without its record id is refused.
    record["images"][0].update(archived=True, warc={"file": "x.warc.gz", "offset": 0, "length": 10}, reason=None)
    record["schema_version"] = 2
    with pytest.raises(SchemaError):
        validate_article(record)
