"""Layered cleaning of extracted article text (docs/cleaning.md).

trafilatura stays the main-text extractor; this module removes what it leaves
behind, in layers, and records every cut (``removed`` in the JSON):

1. **DOM pruning before extraction** (:meth:`Cleaner.prune_dom`): the site
   profile's ``drop_selectors`` and generic furniture containers recognised by
   their class/id tokens (share bars, donation boxes, newsletter forms, related
   links, cookie banners, font-size widgets, author boxes).  A container that
   holds a large part of the page's paragraph text is never pruned.
2. **Block rules after extraction** (:meth:`Cleaner.clean_blocks`): each
   extracted block (paragraph, heading, list item) is classified with the
   multilingual rules in ``pipelines/rules/furniture.toml`` and features of the
   block — position, length, link density of its source element, whether it
   addresses the reader or names the site, reported-speech markers — so an
   article *about* a fundraising campaign keeps every sentence while the
   site's own appeal goes.  Appeals usually come as a run of short lines; a
   short line next to a removed appeal line that carries appeal vocabulary is
   removed with it.
3. **Site-level repetition** lives in :mod:`pipelines.repetition`.

Everything here is pure (no Scrapy state), so the crawl, ``scrapy extract``
and ``make eval`` share it, and it can run in worker processes.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cssselect import GenericTranslator, SelectorError

from pipelines.lineshapes import is_byline, is_staff_credit, is_timestamp

RULES_FILE = "furniture.toml"  # in pipelines/rules/, read with importlib.resources (works from eggs too)

KINDS = ("donation", "newsletter", "share", "related", "caption", "widget", "cookie", "repeated", "other")

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# Line-rule families of furniture.toml [lines] reported under an audit kind of KINDS.
_LINE_KINDS = {"follow": "share", "most_read": "related", "credit": "caption"}
_ICON_WORD = re.compile(r"^\s*(camera|image|photo|picture|video|tag|clock|time|calendar|user|author|eye|views|comment|comments|print|share|font)[ -]icon\s*", re.IGNORECASE)


def normalize(text: str) -> str:
    """Text form used for matching: NFKC, Arabic diacritics/tatweel removed, letters folded, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_DIACRITICS.sub("", text).translate(_FOLD)
    return " ".join(text.casefold().replace("\u0307", "").split())


def block_hash(text: str, normalized: str | None = None) -> str:
    """Repetition hash of a block's normalised text (``normalized``: ``normalize(text)``, when already known)."""
    return hashlib.sha1((normalize(text) if normalized is None else normalized).encode("utf-8")).hexdigest()[:20]


def strip_icon_prefix(text: str) -> str:
    """'camera iconSome caption' → 'Some caption' (icon-font labels glued to text)."""
    return _ICON_WORD.sub("", text, count=1).strip()


@dataclass
class Removal:
    kind: str
    text: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "rule": self.rule}


@dataclass
class BlockInfo:
    """Features of the DOM element an extracted block came from."""

    link_ratio: float = 0.0
    tokens: frozenset[str] = frozenset()


class DomLookup:
    """Finds the DOM element an extracted block came from, lazily (built on first use)."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree
        self._index: dict[str, Any] | None = None
        self._cache: dict[str, BlockInfo | None] = {}

    def _build(self) -> dict[str, Any]:
        index: dict[str, Any] = {}
        for el in self.tree.iter(*_LEAF_TAGS):
            if el.tag in ("div", "span") and any(c.tag in _BLOCK_CHILDREN for c in el):
                continue
            text = el.text_content()
            if not text or len(text) > 2000:
                continue
            index.setdefault(" ".join(text.split()), el)
        return index

    def get(self, line: str) -> BlockInfo | None:
        """Features of the element whose text is ``line`` (whitespace-normalised), if any."""
        if line in self._cache:
            return self._cache[line]
        if self._index is None:
            self._index = self._build()
        el = self._index.get(line)
        info = None
        if el is not None:
            text_len = max(1, len(_text(el)))
            link_chars = sum(len(_text(a)) for a in el.iter("a"))
            tokens: set[str] = set()
            for anc in [el, *el.iterancestors()]:
                tokens |= class_tokens(anc)
            info = BlockInfo(link_ratio=min(1.0, link_chars / text_len), tokens=frozenset(tokens))
        self._cache[line] = info
        return info


@dataclass
class CleanContext:
    site_names: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    drop_text_patterns: list[str] = field(default_factory=list)
    dom: DomLookup | None = None
    # normalised lines clean_blocks removed (restore_headings does not put them back)
    cut: set[str] = field(default_factory=set)
    title: str = ""  # the page's headline (normalised): a body line repeating it is removed near the top
    # block -> normalize(block), filled by clean_blocks (reused for the blocks' repetition hashes)
    normalized: dict[str, str] = field(default_factory=dict)


_REGEX_META = re.compile(r"[\\^$.|?*+()\[\]{}]")
_WHOLE_WORD = re.compile(r"^\\b([^\\^$.|?*+()\[\]{}]+)\\b$")


class PhraseSet:
    """Fast phrase matching: plain phrases by substring test, the rest by one regex.

    Whole-word phrases (``\\bsaid\\b``) share one ``\\b(?:said|says|...)\\b`` group:
    Python's re tries every alternative of ``(?:\\bsaid\\b)|(?:\\bsays\\b)|...`` at
    every position of the text (the narrative markers cost 41 µs per line so).
    """

    def __init__(self, patterns: list[str]) -> None:
        normalized = [normalize(p) for p in patterns]
        self.literals = [p for p in normalized if not _REGEX_META.search(p)]
        regexes = [p for p in normalized if _REGEX_META.search(p)]
        words = [m.group(1) for p in regexes if (m := _WHOLE_WORD.match(p))]
        parts = [r"\b(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"] if words else []
        parts += [f"(?:{p})" for p in regexes if not _WHOLE_WORD.match(p)]
        self.regex = re.compile("|".join(parts)) if parts else None

    def search(self, text: str) -> bool:
        return any(lit in text for lit in self.literals) or (self.regex is not None and self.regex.search(text) is not None)

    def count(self, text: str) -> int:
        """Number of different phrases present in ``text``."""
        hits = sum(1 for lit in self.literals if lit in text)
        if self.regex is not None:
            hits += len({m.group(0) for m in self.regex.finditer(text)})
        return hits


class Rules:
    """The furniture rules file, compiled."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.dom: dict[str, set[str]] = {k: {t.lower() for t in v} for k, v in data.get("dom", {}).items()}
        # Patterns and lines are both in normalize()'s case-folded form: no IGNORECASE (which
        # makes every pattern several times slower on Unicode text).
        self.lines: dict[str, re.Pattern[str]] = {
            kind: re.compile("|".join(f"(?:{normalize(p)})" for p in pats))
            for kind, pats in data.get("lines", {}).items()
        }
        rel = [normalize(p) for p in data.get("related", {}).get("prefixes", [])]
        self.related = re.compile(r"^(?:[-–•]\s*)?(?:" + "|".join(re.escape(p) for p in sorted(rel, key=len, reverse=True)) + r")\s*[:：\-–—|»>]")
        self.related_bare = re.compile(r"^(?:" + "|".join(re.escape(p) for p in rel) + r")\s*$")
        don = data.get("donation", {})
        self.don_phrases = PhraseSet(don.get("phrases", []))
        self.don_imperative = re.compile(r"^(?:" + "|".join(normalize(p) for p in don.get("imperatives", [])) + ")")
        self.address = PhraseSet(don.get("address", []))
        self.weak = PhraseSet(don.get("weak", []))
        self.cta = PhraseSet(don.get("cta", []))
        news = data.get("newsletter", {})
        self.newsletter = PhraseSet(news.get("phrases", []))
        self.newsletter_imperative = re.compile(r"^(?:" + "|".join(normalize(p) for p in news.get("imperatives", [])) + ")")
        cookie = data.get("cookie", {})
        self.cookie = re.compile("|".join(f"(?:{normalize(p)})" for p in cookie.get("phrases", [])))
        self.cookie_address = PhraseSet(cookie.get("address", []))
        self.narrative = PhraseSet(data.get("narrative", {}).get("markers", []))
        self.quotes = re.compile("|".join(data.get("narrative", {}).get("quotes", [])) or "$^")
        self.newsletter_companions = PhraseSet(news.get("companions", []))

        all_tokens = sorted({t for names in self.dom.values() for t in names}, key=len, reverse=True)
        # Fast pre-filter on the raw class/id string before tokenising; only the
        # shortest token of each family is needed (a token containing another is implied).
        stems = sorted({t for t in all_tokens if not any(o != t and o in t for o in all_tokens)})
        self.dom_prefilter = re.compile("|".join(re.escape(t) for t in stems)) if stems else None

    def phrase_hits(self, norm: str) -> int:
        """How many different appeal phrases occur in ``norm``."""
        return self.don_phrases.count(norm)

    def dom_kind(self, tokens: set[str]) -> str | None:
        for kind, names in self.dom.items():
            if tokens & names:
                return kind
        return None


@cache
def load_rules(path: str | None = None) -> Rules:
    """The rules file (default: the packaged pipelines/rules/furniture.toml)."""
    if path is None:
        text = resources.files("pipelines").joinpath("rules", RULES_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return Rules(tomllib.loads(text))


_SEPARATOR = re.compile(r"[-_]+")


def class_tokens(el: Any) -> set[str]:
    """Class and id words of an element, their hyphen/underscore parts, and their anchored prefixes.

    ``social-share-buttons`` gives ``social``, ``share``, ``buttons`` and the
    prefixes ``social-share`` and ``social-share-buttons``; a rule token of
    several parts matches only a whole word or such a prefix (of the word or of
    a BEM element after ``__``), never the middle of a word:
    WordPress's ``has-normal-font-size`` is not a ``font-size`` widget.
    """
    raw = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    tokens: set[str] = set()
    for word in raw.split():
        tokens.add(word)
        tokens.update(p for p in _SEPARATOR.split(word) if p)
        for component in {word, *word.split("__")[1:]}:
            tokens.add(component)
            tokens.update(component[: m.start()] for m in _SEPARATOR.finditer(component) if m.start())
    return tokens


_PRUNABLE = {"div", "section", "aside", "ul", "ol", "p", "span", "form", "figure", "nav", "footer", "a"}
_LEAF_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "dd", "figcaption", "a", "div", "span")
_BLOCK_CHILDREN = {"p", "div", "ul", "ol", "table", "section", "article", "blockquote", "h1", "h2", "h3", "h4"}


def _text(el: Any) -> str:
    return " ".join(el.text_content().split())


def _visible_text(el: Any) -> str:
    return " ".join(" ".join(el.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")).split())


class Cleaner:
    """Rule-based cleaning (layers 1 and 2; see module docstring)."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or load_rules()

    # -- layer 1: DOM -----------------------------------------------------------
    def prune_dom(self, tree: Any, drop_selectors: list[str] | None = None) -> list[Removal]:
        """Remove furniture elements from ``tree`` in place; return the audit entries."""
        removed: list[Removal] = []
        total = sum(len(_text(p)) for p in tree.iter("p")) or 1
        doomed: list[tuple[Any, str, str]] = []
        for sel in drop_selectors or []:
            try:
                xpath = GenericTranslator().css_to_xpath(sel, prefix="descendant-or-self::")
            except SelectorError:
                continue
            for el in tree.xpath(xpath):
                kind = self.rules.dom_kind(class_tokens(el)) or "other"
                doomed.append((el, kind if kind in KINDS else "other", f"profile:drop_selectors:{sel}"))
        prefilter = self.rules.dom_prefilter or re.compile("$^")
        for el in tree.iter(*_PRUNABLE):
            cls, ident = el.get("class"), el.get("id")
            if (cls is None and ident is None) or not prefilter.search(f"{cls or ''} {ident or ''}".lower()):
                continue
            tokens = class_tokens(el)
            if not tokens:
                continue
            found = self.rules.dom_kind(tokens)
            if found is None:
                continue
            doomed.append((el, found if found in KINDS else "other", f"dom:{found}"))
        seen: set[int] = set()
        for el, kind, rule in doomed:
            if id(el) in seen or el.getparent() is None:
                continue
            text = _visible_text(el)
            # Never prune a container holding much of the article: the tokens lied.
            if len(text) > 0.4 * total and len(el.xpath(".//p")) >= 3:
                continue
            seen.add(id(el))
            if text and not el.xpath("ancestor::nav|ancestor::header|ancestor::footer|ancestor::aside") and rule.startswith(("profile", "dom:donation", "dom:newsletter", "dom:related", "dom:widget", "dom:share", "dom:cookie", "dom:author")):
                if el.xpath("ancestor::article|ancestor::main|ancestor::*[contains(@class,'content') or contains(@class,'entry') or contains(@class,'post') or contains(@class,'article') or contains(@class,'story')]"):
                    removed.append(Removal(kind, text[:500], rule))
            tail = el.tail
            parent = el.getparent()
            if tail and tail.strip():
                prev = el.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            parent.remove(el)
        return removed

    def restore_headings(self, tree: Any, blocks: list[str], ctx: CleanContext) -> list[str]:
        """Put back subheadings the extractor dropped between two kept paragraphs.

        trafilatura (precision mode especially) drops some ``<h2>``-``<h4>`` inside
        the article body; a heading whose previous and next sibling paragraphs
        are both kept is part of the article.
        """
        if not blocks:
            return blocks
        position = {b: i for i, b in enumerate(blocks)}
        inserts: list[tuple[int, str]] = []
        for h in tree.iter("h2", "h3", "h4"):
            text = _text(h)
            if not text or len(text) > 200 or text in position:
                continue
            nxt = h.getnext()
            while nxt is not None and not _text(nxt):
                nxt = nxt.getnext()
            after = position.get(_text(nxt)) if nxt is not None else None
            if after is None:
                continue
            prev = h.getprevious()
            while prev is not None and not _text(prev):
                prev = prev.getprevious()
            before = position.get(_text(prev)) if prev is not None else None
            if before is not None and after != before + 1:
                continue
            kept_siblings = 0
            for el in h.getparent():
                if el.tag == "p" and _text(el) in position:
                    kept_siblings += 1
                    if kept_siblings >= 2:
                        break
            if kept_siblings >= 2 and normalize(text) not in ctx.cut and self._line_kind(text, normalize(text), ctx) is None:
                inserts.append((after, text))
        for index, text in sorted(inserts, reverse=True):
            blocks.insert(index, text)
        return blocks

    def restore_sections(self, tree: Any, blocks: list[str], ctx: CleanContext) -> list[str]:
        """Put back a body section the extractor dropped whole between two kept sections of the same template.

        Sites build the body from repeated containers (``<div class="body-text">``
        chunks between figures); trafilatura's precision mode sometimes drops
        one short chunk (a heading, a link-only price line and two short
        paragraphs) although its siblings of the same tag and class are kept.
        A container is restored when the nearest same-class sibling before it
        and the nearest after it both have kept lines, these lines follow each
        other in the output (nothing else was kept in between), the container
        is not mostly links, and none of its lines is furniture by the rules.
        """
        if len(blocks) < 2:
            return blocks
        position = {b: i for i, b in enumerate(blocks)}
        present = set(blocks)

        def lines_of(el: Any) -> list[str]:
            return [t for e in el.iter("p", "h2", "h3", "h4") if (t := _text(e))]

        def texts_of(els: list[Any]) -> set[str]:
            # paragraphs and headings, and list items in trafilatura's "- item" form
            found: set[str] = set()
            for el in els:
                found.update(lines_of(el))
                found.update(f"- {item}" for e in el.iter("li") if (item := _text(e)))
            return found

        inserts: list[tuple[int, list[str]]] = []
        for parent in tree.iter("div", "section", "article", "main", "body"):
            children = [c for c in parent if isinstance(c.tag, str)]
            groups: dict[tuple[str, str], list[int]] = {}
            for i, child in enumerate(children):
                if child.get("class"):
                    groups.setdefault((child.tag, child.get("class") or ""), []).append(i)
            for group in groups.values():
                if len(group) < 3:
                    continue
                for k in range(1, len(group) - 1):
                    el = children[group[k]]
                    lines = lines_of(el)
                    if not lines or present & texts_of([el]) or next(el.iter("li"), None) is not None:
                        continue
                    prev_lines = [position[t] for t in lines_of(children[group[k - 1]]) if t in position]
                    if not prev_lines or not present & texts_of([children[group[k + 1]]]):
                        continue
                    # Walk past what the siblings before it gave; the next kept line must come from those after it.
                    before = texts_of(children[group[k - 1]:group[k]])
                    after = texts_of(children[group[k] + 1:group[k + 1] + 1])
                    at = max(prev_lines) + 1
                    while at < len(blocks) and blocks[at] in before:
                        at += 1
                    if at >= len(blocks) or blocks[at] not in after:
                        continue
                    text_len = sum(map(len, lines))
                    if not 80 <= text_len <= 3000 or el.xpath("ancestor::nav|ancestor::aside|ancestor::footer"):
                        continue
                    if sum(len(_text(a)) for a in el.iter("a")) > 0.5 * len(_text(el)):
                        continue
                    if any(self._line_kind(t, normalize(t), ctx) is not None or normalize(t) in ctx.cut for t in lines):
                        continue
                    inserts.append((at, lines))
        for index, texts in sorted(inserts, key=lambda x: x[0], reverse=True):
            blocks[index:index] = texts
        return blocks

    # -- layer 2: blocks --------------------------------------------------------
    def _line_kind(self, line: str, norm: str, ctx: CleanContext) -> tuple[str, str] | None:
        for pattern in ctx.drop_text_patterns:
            if re.search(pattern, line, re.IGNORECASE):
                return "other", f"profile:drop_text_patterns:{pattern}"
        for kind, regex in self.rules.lines.items():
            if regex.search(norm):
                kind_out = _LINE_KINDS.get(kind, kind)
                return (kind_out if kind_out in KINDS else "other"), f"line:{kind}"
        stripped = strip_icon_prefix(line)
        if stripped != line:
            if not stripped or self.rules.lines.get("widget", re.compile("$^")).search(normalize(stripped)):
                return "widget", "icon-label"
            return "caption", "icon-label"
        if ctx.captions:
            n = normalize(stripped)
            if any(n == c or (len(c) > 20 and n.endswith(c)) for c in ctx.captions):
                return "caption", "image-caption"
        if len(norm) <= 300 and (self.rules.related.search(norm) or self.rules.related_bare.search(norm)):
            return "related", "related-prefix"
        if is_timestamp(norm):
            return "widget", "timestamp"
        if is_byline(line):
            return "other", "byline"
        if is_staff_credit(line):
            return "other", "staff-credit"
        return None

    def _title_repeat(self, norm: str, title: str) -> bool:
        """The headline again (alone, after a kicker, or before a site-name suffix)."""
        if len(title) < 15 or title not in norm:
            return False
        if norm == title:
            return True
        if norm.endswith(title):
            return len(norm) - len(title) <= 80
        return norm.startswith(title) and len(norm) - len(title) <= 40 and norm[len(title):].lstrip()[:1] in ("|", "-", "–", "—", ":", "·")

    def _donation_score(self, norm: str, info: BlockInfo | None, ctx: CleanContext, tail: bool) -> tuple[float, bool]:
        """(score, decisive): an appeal must address the reader and name the appeal or the site."""
        rules = self.rules
        hits = rules.phrase_hits(norm)
        score = 2.0 * min(hits, 2)
        imperative = bool(rules.don_imperative.search(norm))
        addressed = bool(rules.address.search(norm)) or imperative
        if rules.cta.search(norm) or (info is not None and info.link_ratio > 0.8):
            score += 2
            addressed = True
        site_ref = any(name and name in norm for name in ctx.site_names)
        if site_ref:
            score += 1.5
            addressed = True
        if info is not None and info.tokens & rules.dom.get("donation", set()):
            score += 2
            addressed = True
        if addressed:
            score += 1.5
        n = len(norm)
        score += 1.0 if n < 120 else 0.5 if n < 250 else -2.0 if n > 350 else 0.0
        if tail:
            score += 1.0
        if rules.quotes.search(norm):
            score -= 3.0
        if rules.narrative.search(norm):
            # Reported speech ("قال … لعنب بلدي", "said") is article text, whatever words it quotes.
            return score, False
        # The shape of an appeal, not its words alone: a short block that calls on the reader
        # (an imperative opening one of its sentences, or a call to action), or a block inside a
        # donation container or made of links.  A news paragraph about a donation has none of these.
        in_box = info is not None and (bool(info.tokens & rules.dom.get("donation", set())) or info.link_ratio > 0.8)
        calls = imperative or rules.cta.search(norm) or self._imperative_sentence(norm)
        shaped = in_box or (calls and n <= 300)
        return score, shaped and addressed and (hits > 0 or (site_ref and imperative))

    _SENTENCE_SPLIT = re.compile(r"(?<=[.!?؟…:])\s+|\s+[-–—]\s+")

    def _imperative_sentence(self, norm: str) -> bool:
        """An appeal imperative opens one of the block's sentences ("Please give. Donate today")."""
        imperative = self.rules.don_imperative
        return any(imperative.search(part.lstrip("«“\"'( ")) for part in self._SENTENCE_SPLIT.split(norm)[1:])

    def clean_blocks(self, blocks: list[str], ctx: CleanContext) -> tuple[list[str], list[Removal]]:
        """Classify ``blocks`` (extracted lines); return (kept blocks, removals)."""
        rules = self.rules
        n = len(blocks)
        norms = [normalize(b) for b in blocks]
        ctx.normalized.update(zip(blocks, norms, strict=True))
        verdicts: list[tuple[str, str] | None] = [None] * n
        for i, (line, norm) in enumerate(zip(blocks, norms, strict=True)):
            hit = self._line_kind(line, norm, ctx)
            if hit is None and i < 5 and ctx.title and self._title_repeat(norm, ctx.title):
                hit = ("other", "title-repeat")
            if hit is None:
                appeal_words = rules.don_phrases.search(norm) or any(
                    name in norm for name in ctx.site_names
                )
                newsletter_words = rules.newsletter.search(norm)
                # DOM features only for the few blocks that need them.
                info = ctx.dom.get(line) if ctx.dom is not None and (appeal_words or newsletter_words) else None
                score, addressed = (
                    self._donation_score(norm, info, ctx, i >= n * 0.6) if appeal_words else (0.0, False)
                )
                if addressed and score >= 4.0:
                    hit = ("donation", "donation-appeal")
                elif (newsletter_words or rules.newsletter_companions.search(norm)) and len(norm) <= 300 and not rules.narrative.search(norm) and (
                    rules.address.search(norm)
                    or rules.cta.search(norm)
                    or rules.newsletter_imperative.search(norm)
                    or (info is not None and info.link_ratio > 0.5)
                ):
                    hit = ("newsletter", "newsletter")
                elif len(norm) <= 400 and ("cookie" in norm or "çerez" in norm or "الارتباط" in norm or "كوكيز" in norm) and (
                    rules.cookie_address.search(norm)
                ):
                    hit = ("cookie", "cookie-notice")
            verdicts[i] = hit
        # An appeal split over two short lines: one names it ("readers chip in every
        # month"), the other addresses the reader ("needs readers like you").
        for i in range(n - 1):
            if verdicts[i] is not None or verdicts[i + 1] is not None:
                continue
            a, b = norms[i], norms[i + 1]
            if len(a) > 200 or len(b) > 200 or rules.narrative.search(a) or rules.narrative.search(b):
                continue
            if rules.quotes.search(a) or rules.quotes.search(b):
                continue
            hits = rules.phrase_hits(a) + rules.phrase_hits(b)
            addressed = any(rules.address.search(x) or rules.don_imperative.search(x) for x in (a, b))
            weak = any(rules.weak.search(x) for x in (a, b))
            if hits and addressed and weak:
                verdicts[i] = verdicts[i + 1] = ("donation", "donation-appeal-pair")
        # Appeals and sign-up boxes come as runs of short lines: extend a removed
        # line to its short neighbours that carry the same vocabulary and no reported speech.
        changed = True
        while changed:
            changed = False
            for i in range(n):
                if verdicts[i] is not None:
                    continue
                kinds = {verdicts[j][0] for j in (i - 1, i + 1) if 0 <= j < n and verdicts[j] is not None}  # type: ignore[index]
                norm = norms[i]
                if not kinds & {"donation", "newsletter"} or len(norm) > 250 or rules.narrative.search(norm):
                    continue
                if rules.quotes.search(norm):
                    continue
                if "donation" in kinds and (
                    rules.don_phrases.search(norm) or rules.weak.search(norm) or rules.address.search(norm) or rules.cta.search(norm)
                ):
                    verdicts[i] = ("donation", "donation-appeal-run")
                    changed = True
                elif "newsletter" in kinds and (
                    rules.newsletter.search(norm)
                    or rules.newsletter_companions.search(norm)
                    or rules.newsletter_imperative.search(norm)
                ):
                    verdicts[i] = ("newsletter", "newsletter-run")
                    changed = True
        # A read-also teaser whose headline also stands on a line of its own: that line is the same teaser.
        teasers = set()
        for i in range(n):
            if verdicts[i] is not None and verdicts[i][1] == "related-prefix":  # type: ignore[index]
                rest = self.rules.related.sub("", norms[i], count=1).strip()
                if len(rest) >= 20 and rest != norms[i]:
                    teasers.add(rest)
        if teasers:
            for i in range(n):
                if verdicts[i] is None and norms[i] in teasers:
                    verdicts[i] = ("related", "related-teaser-title")
        kept: list[str] = []
        removed: list[Removal] = []
        for line, norm, verdict in zip(blocks, norms, verdicts, strict=True):
            if verdict is None:
                kept.append(line)
            else:
                ctx.cut.add(norm)
                removed.append(Removal(verdict[0], line[:500], verdict[1]))
        return kept, removed
