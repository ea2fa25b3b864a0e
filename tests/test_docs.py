"""Every project setting and every stats key in the code is documented."""

from __future__ import annotations

import re

from crawler import settings as project_settings
from tests.conftest import PROJECT_ROOT

PREFIXES = ("NEWS_", "ARCHIVE_", "EXTRACT_", "DATES_", "CLEAN_", "ALERTS_")


def test_every_setting_documented_with_default():
    doc = (PROJECT_ROOT / "docs" / "settings.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| `([A-Z_0-9]+)` \| ([^|]+) \|", doc, flags=re.M))
    names = [n for n in dir(project_settings) if n.startswith(PREFIXES)]
    assert names
    for name in names:
        assert name in rows, f"{name} is not in docs/settings.md"
        value = getattr(project_settings, name)
        shown = rows[name]
        assert str(value) in shown or (value == "" and '""' in shown), f"{name}: default {value!r} not shown ({shown})"


def test_every_stats_key_documented():
    doc = (PROJECT_ROOT / "docs" / "stats.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `([a-z_/{}0-9]+)` \|", doc, flags=re.M)) | set(re.findall(r"`(clean/removed/[a-z]+)`", doc))
    used: set[str] = set()
    for pkg in ("crawler", "pipelines", "archive"):
        for path in (PROJECT_ROOT / pkg).rglob("*.py"):
            used |= set(re.findall(r"inc_value\(\s*\"([a-z_/0-9]+)\"", path.read_text("utf-8")))
    assert used
    missing = sorted(used - documented)
    assert not missing, f"stats keys missing from docs/stats.md: {missing}"
