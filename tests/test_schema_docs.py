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
    assert set(schema["required"]) == set(schema["properties"])
    exported = {n for n, f in ArticleItem.__dataclass_fields__.items() if f.metadata.get("export", True)}
    assert exported == set(schema["properties"])
