"""The versions of an edited article, read back from the archive, and what changed between them.

Used by ``scrapy archive-history URL|ID`` (and anything else that shows an article's
history).  A record's ``versions`` list (schema version 3, :mod:`pipelines.versions`) names
the key of every version's JSON; :func:`load_versions` reads them, :func:`field_changes`
and :func:`word_diff` say what changed from one to the next.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from archive.storage import Storage

# The fields a reader sees change, in the order they are reported (text last, as a word diff).
COMPARED_FIELDS = ("title", "published", "modified", "authors", "description", "language", "tags", "categories")

_WORD = re.compile(r"\S+")


@dataclass
class Version:
    n: int
    fetched_at: str
    content_sha256: str
    warc: dict[str, Any] | None
    key: str
    record: dict[str, Any] | None  # None: its JSON is missing from the store


def load_versions(storage: Storage, latest: dict[str, Any], latest_key: str) -> list[Version]:
    """Every version of the article whose latest record is ``latest`` (stored at ``latest_key``), oldest first."""
    entries = latest.get("versions") or [
        {"n": 1, "fetched_at": latest.get("fetched_at"), "content_sha256": latest.get("content_sha256"),
         "warc": latest.get("warc"), "key": latest_key}
    ]
    versions: list[Version] = []
    for entry in entries:
        key = entry.get("key") or latest_key
        if key == latest_key:
            record: dict[str, Any] | None = latest
        else:
            raw = storage.get_bytes(key)
            record = json.loads(raw) if raw is not None else None
        versions.append(Version(int(entry.get("n") or len(versions) + 1), str(entry.get("fetched_at") or ""),
                                str(entry.get("content_sha256") or ""), entry.get("warc"), key, record))
    return versions


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "(none)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, old, new) for each compared field that differs (text excluded: see :func:`word_diff`)."""
    return [(name, _show(old.get(name)), _show(new.get(name)))
            for name in COMPARED_FIELDS if old.get(name) != new.get(name)]


def word_diff(old: str, new: str, context: int = 6) -> list[str]:
    """The changes from ``old`` to ``new`` text, word by word: one line per change, ``[-removed-]``
    and ``{+added+}`` with up to ``context`` words either side (``…`` where text is left out)."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    lines = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        parts = []
        first, last = group[0], group[-1]
        if first[1] > 0:
            parts.append("…")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                parts.append(" ".join(a[i1:i2]))
                continue
            if i2 > i1:
                parts.append("[-" + " ".join(a[i1:i2]) + "-]")
            if j2 > j1:
                parts.append("{+" + " ".join(b[j1:j2]) + "+}")
        if last[2] < len(a):
            parts.append("…")
        lines.append(" ".join(p for p in parts if p))
    return lines
