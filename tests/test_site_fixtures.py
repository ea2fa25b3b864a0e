"""Per-site fixtures: the pipeline's record for each saved page equals the reviewed expected JSON.

Regenerate after an intended change: python tests/fixtures/sites/regenerate.py (see its docstring).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from crawler.profiles import list_profiles
from crawler.schema import validate_article
from demo.site import article_text, get_article

HERE = Path(__file__).parent / "fixtures" / "sites"
spec = importlib.util.spec_from_file_location("regenerate", HERE / "regenerate.py")
assert spec and spec.loader
regenerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regenerate)

CASES = regenerate.fixtures()


def test_every_profile_has_fixtures():
    assert {name for name, _ in CASES} == set(list_profiles())


@pytest.mark.parametrize("profile_name, html_path", CASES, ids=[f"{n}/{p.stem}" for n, p in CASES])
def test_fixture(profile_name, html_path):
    url = html_path.with_suffix(".url").read_text("utf-8").strip()
    record = regenerate.expected_record(profile_name, html_path.read_bytes(), url)
    expected = json.loads(html_path.with_suffix(".expected.json").read_text("utf-8"))
    assert record == expected
    validate_article({**record, "fetched_at": "2026-01-01T00:00:00+00:00", "warc": None})
    # independent of the golden file: the text is exactly the article as written
    article = get_article(int(html_path.stem))
    assert record["text"] == "\n\n".join(article_text(article).splitlines())
