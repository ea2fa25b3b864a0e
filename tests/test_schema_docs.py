"""The documented table (docs/schema.md) and the JSON Schema list the same fields."""

from __future__ import annotations

import re

from crawler.items import ArticleItem
from crawler.schema import article_schema
from tests.conftest import PROJECT_ROOT


def test_docs_table_matches_schema_and_item():
    text = (PROJECT_ROOT / "docs" / "schema.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `([a-z_0-9]+)` \|", text, flags=re.M))
    schema = article_schema()
    assert documented == set(schema["properties"])
    # Fields added by a later schema version are required from that version on (allOf if/then),
    # so the records of earlier versions still validate.
    later = {name for rule in schema.get("allOf", []) for name in rule["then"]["required"]}
    assert set(schema["required"]) | later == set(schema["properties"])
    assert later == {"versions"}
    exported = {n for n, f in ArticleItem.__dataclass_fields__.items() if f.metadata.get("export", True)}
    assert exported == set(schema["properties"])


def test_versions_required_from_schema_version_3_only():
    from crawler.schema import SchemaError, validate_article

    schema = article_schema()
    record = {name: None for name in schema["properties"]}
    del record["versions"]
    record["schema_version"] = 3
    try:
        validate_article(record)
    except SchemaError as exc:
        assert "versions" in str(exc)
    else:
        raise AssertionError("a version 3 record without versions validated")
