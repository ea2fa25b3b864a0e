"""Rendering helpers of the console: sparklines, word diffs, links, sizes and times.

Everything that comes from the archive (titles, text, URLs) is untrusted: these helpers return
plain values for Jinja2 to escape, or :class:`markupsafe.Markup` built only from numbers and
escaped text.  A link is made to an archived URL only when it is ``http``/``https``.

Settings read: none.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_WORD = re.compile(r"\S+")


def safe_href(url: Any) -> str | None:
    """``url`` when it is an absolute http(s) URL (a link target), else None (shown as text only)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in url for c in "\r\n\t<>\"'`"):
        return url
    return None


def size(count: Any) -> str:
    try:
        n = int(count)
    except (TypeError, ValueError):
        return "?"
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1_000_000_000:.2f} GB"


def when(value: Any) -> str:
    """An ISO time as ``2026-11-29 18:08 UTC``; other values as they are."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M") if ("T" in str(value) or " " in str(value)) else str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(start: Any, end: Any) -> str:
    try:
        seconds = (datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))).total_seconds()
    except (TypeError, ValueError):
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds / 3600:.0f} h {seconds % 3600 / 60:.0f} min"


def sparkline(values: list[int | None], width: int = 120, height: int = 24) -> Markup:
    """An inline SVG polyline of ``values`` (oldest first; None: a run without a count, drawn as 0)."""
    nums = [float(v or 0) for v in values]
    if not nums:
        return Markup('<span class="muted">no runs</span>')
    top = max(nums) or 1.0
    step = width / max(1, len(nums) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(nums))
    last = values[-1]
    label = f"articles per run, last {len(nums)} runs: " + ", ".join(str(int(v)) for v in nums)
    dot_x = (len(nums) - 1) * step
    dot_y = height - 2 - (nums[-1] / top) * (height - 4)
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="-2 0 {width + 4} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/>'
        f'<circle cx="{dot_x:.1f}" cy="{dot_y:.1f}" r="2.5"/></svg>'
        f' <span class="spark-last">{escape(str(last if last is not None else "—"))}</span>'
    )


def diff_segments(old: str, new: str, context: int = 8) -> list[list[tuple[str, str]]]:
    """The word diff of :func:`archive.history.word_diff` as segments for a template: one list per
    change group of ``(kind, text)`` with kind ``same``, ``del``, ``ins`` or ``gap`` (text left out)."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    groups = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        parts: list[tuple[str, str]] = []
        if group[0][1] > 0:
            parts.append(("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                parts.append(("same", " ".join(a[i1:i2])))
                continue
            if i2 > i1:
                parts.append(("del", " ".join(a[i1:i2])))
            if j2 > j1:
                parts.append(("ins", " ".join(b[j1:j2])))
        if group[-1][2] < len(a):
            parts.append(("gap", "…"))
        groups.append(parts)
    return groups
