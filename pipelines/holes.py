"""Holes: paragraphs that trafilatura's precision mode returns with words missing inside (docs/cleaning.md).

Prevention (:func:`keep_empty_tails`, before extraction), detection
(:func:`has_holes`, a cheap test against the page's ``<p>`` texts) and repair
(:func:`repair_holes`, from a default-mode run).  Pure functions, used by
:func:`pipelines.article.extract_article`.
"""

from __future__ import annotations

from typing import Any

_GAP_KEY = 24  # characters (whitespace removed) a line and its source share at one end
_SENTENCE_END = tuple(".!?…:;\"'”’»)]。！？」』")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
# Elements trafilatura's precision mode deletes with their tail text when they are empty (its CUT_EMPTY_ELEMS).
_EMPTY_CUT = ("b", "em", "i", "q", "span", "strong", "div", "p", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "pre", "section", "article", "main")


def _squash(text: str) -> str:
    squashed = "".join(text.split())
    return squashed if squashed.isascii() else squashed.translate(_INVISIBLE)


def keep_empty_tails(tree: Any) -> int:
    """Remove empty elements that carry a tail text, keeping the text; return how many.

    trafilatura's precision mode deletes an element with no text and no
    children *with* the text that follows it: an icon ``<span></span>`` at
    the start of a link takes the link's words out of the sentence ("bei
    hohen Temperaturen . Das führe"); so does an element its cleaning empties
    (a ``<span>`` holding only an ``<svg>``).  Removed here first (any such
    element without text), the words stay.
    """
    doomed = [
        el for el in tree.iter(*_EMPTY_CUT)
        if el.tail and el.tail.strip() and (len(el) == 0 and not el.text or not el.text_content().strip())
    ]
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
        parent.remove(el)
    return len(doomed)


def _subsequence(short: str, long: str) -> bool:
    """Every character of ``short`` occurs in ``long``, in order."""
    chars = iter(long)
    return all(c in chars for c in short)


def _gapped(line: str, source: str) -> bool:
    """``line`` is ``source`` with characters missing mid-sentence (both squashed, same start or end)."""
    if len(source) <= len(line) or not _subsequence(line, source):
        return False
    if source.startswith(line):  # cut short: a hole only if the line stops mid-sentence
        return not line.endswith(_SENTENCE_END)
    if source.endswith(line):  # the beginning missing: a hole only if the line starts mid-sentence
        return line[0].islower() or line[0] in ",;"
    return True


def _by_ends(texts: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    heads: dict[str, str] = {}
    tails: dict[str, str] = {}
    for text in texts:
        squashed = _squash(text)
        if len(squashed) >= 2 * _GAP_KEY:
            heads.setdefault(squashed[:_GAP_KEY], text)
            tails.setdefault(squashed[-_GAP_KEY:], text)
    return heads, tails


def _source(squashed: str, heads: dict[str, str], tails: dict[str, str]) -> str | None:
    return heads.get(squashed[:_GAP_KEY]) or tails.get(squashed[-_GAP_KEY:])


def has_holes(lines: list[str], paragraphs: list[str]) -> bool:
    """Whether an extracted line is one of the page's ``<p>`` texts with words missing inside it.

    trafilatura's precision mode drops the tail text of an element it deletes
    as empty (an icon ``<span>`` inside a link: "bei hohen Temperaturen . Das
    führe"), leaving a sentence with a hole (:func:`keep_empty_tails` prevents
    the known case); :func:`repair_holes` mends such lines from a default-mode
    run.  This is the cheap test that decides whether that run is needed (the
    ``<p>`` texts are whitespace-normalised).
    """
    whole_paragraphs = set(paragraphs)  # both whitespace-normalised: most lines are a whole <p>
    lines = [line for line in lines if line not in whole_paragraphs]
    if not lines:
        return False
    heads, tails = _by_ends(paragraphs)
    if not heads:
        return False
    for line in lines:
        squashed = _squash(line)
        if len(squashed) < _GAP_KEY:
            continue
        source = _source(squashed, heads, tails)
        if source is None:
            continue
        whole = _squash(source)
        # Words missing inside the line (a line that stops early is most often a <br> split).
        if not whole.startswith(squashed) and not whole.endswith(squashed) and _gapped(squashed, whole):
            return True
    return False


def repair_holes(lines: list[str], reference: list[str]) -> list[str]:
    """``lines`` with each line that is a gapped version of a ``reference`` line replaced by that line.

    ``reference``: the same page extracted in trafilatura's default mode, which
    keeps the text the precision run cut out of the middle of a paragraph.
    """
    heads, tails = _by_ends(reference)
    present = {_squash(line) for line in lines}
    out: list[str] = []
    for line in lines:
        squashed = _squash(line)
        whole = _source(squashed, heads, tails) if len(squashed) >= _GAP_KEY else None
        if whole is not None and _squash(whole) not in present and _gapped(squashed, _squash(whole)):
            present.add(_squash(whole))
            line = whole
        out.append(line)
    return out
