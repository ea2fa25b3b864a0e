"""The article JSON Schema (``crawler/schemas/article.schema.json``) and its validator.

Every record is validated before it is written.  A record is accepted by the
schema compiled to Python code (fastjsonschema: 0.02 ms per record instead of
jsonschema's 0.5, on the reactor thread); one it does not accept is judged by
jsonschema, which decides and names the failing field.  fastjsonschema also
checks ``format`` (``uri``), which jsonschema does not by default: such a
record is still written if jsonschema accepts it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema


class SchemaError(ValueError):
    """A record does not match the article schema; the message names the field."""


@cache
def article_schema() -> dict[str, Any]:
    text = resources.files("crawler").joinpath("schemas/article.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _fast_validator() -> Callable[[dict[str, Any]], Any]:
    return fastjsonschema.compile(article_schema())


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = article_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_article(record: dict[str, Any]) -> None:
    """Raise SchemaError naming the first failing field if ``record`` is invalid."""
    try:
        _fast_validator()(record)
        return
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema decides, and says why
    errors = sorted(_validator().iter_errors(record), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.path) or "(record)"
        raise SchemaError(f"{where}: {err.message}")
