"""The article JSON Schema (``crawler/schemas/article.schema.json``) and its validator."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


class SchemaError(ValueError):
    """A record does not match the article schema; the message names the field."""


@cache
def article_schema() -> dict[str, Any]:
    text = resources.files("crawler").joinpath("schemas/article.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = article_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_article(record: dict[str, Any]) -> None:
    """Raise SchemaError naming the first failing field if ``record`` is invalid."""
    errors = sorted(_validator().iter_errors(record), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.path) or "(record)"
        raise SchemaError(f"{where}: {err.message}")
