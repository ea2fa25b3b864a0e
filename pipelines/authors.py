"""The article's authors: bylines split into names, cleaned, and chosen by evidence.

Sources, in order (:func:`choose_authors`):

1. the JSON-LD ``author`` (people: ``Person`` or untyped; organisations: ``Organization`` and its
   kinds, a legal entity's name, the site's own name);
2. trafilatura's page metadata author (meta tags, its JSON-LD reading, then its byline XPaths);
3. the page's byline element (:func:`pipelines.pagemeta.extract_author`), asked only when the
   sources above name no person;
4. a sign-off (:func:`signoff_name`): the first or last paragraph of the article only a bold
   personal name, asked only when no person is named above.

A JSON-LD author whose ``@id``/``url`` is the CMS's default account (``/author/admin/``) is no
byline, and its name counts in no other source either.

People win over organisations: the publisher's or site's name (``"n-tv NACHRICHTEN"``,
``"mdr.de"``, ``"Chemnitzer Verlag und Druck GmbH & Co. KG"``) is the author only when no
person is named anywhere.

Each value is cleaned (:func:`split_authors`): split at separators and conjunctions
(``|``, ``،``, ``,``, ``;``, `` / ``, ``&``, and/et/und/y/ve/و); byline labels cut in several
languages (:data:`BYLINE_LABELS`: "By", "Von", "Autor", "Par", "بقلم", "كتب" …) and trailing role
words (:data:`ROLE_SUFFIXES`: "기자", "記者"); URLs, URL slugs (``"sophie-foster"``), dates and job
descriptions dropped; names equal after folding case and hyphens kept once; "Last, First" kept as
one person; a legal entity's name never split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

# Byline labels, a small multilingual list (matched at the start, case-insensitive, with an optional colon).
BYLINE_LABELS = (
    "written by", "reporting by", "words by", "text by", "story by", "posted by", "by",
    "autorin", "autoren", "autor", "author", "authors", "text von", "text", "von",
    "par", "por", "yazan", "av", "af", "door",
    "بقلم", "كتب", "كتبت", "إعداد", "اعداد", "تحرير", "تقرير", "حوار",
)
BYLINE_PREFIX = re.compile(
    r"^\s*(?:" + "|".join(re.escape(label) for label in sorted(BYLINE_LABELS, key=len, reverse=True)) + r")\b\s*[:：]?\s*",
    re.IGNORECASE,
)
# Role words written after a name (Korean, Japanese, Chinese bylines): "신현주 기자" → "신현주".
ROLE_SUFFIXES = ("기자", "특파원", "선임기자", "記者", "特派員", "编辑", "編集委員")
_ROLE_SUFFIX = re.compile(r"\s*(?:" + "|".join(map(re.escape, ROLE_SUFFIXES)) + r")\s*$")

_AUTHOR_SPLIT = re.compile(
    r"\s*(?:\||،|,|;|\s/\s|&|\band\b|\bet\b|\bund\b|\by\b|\bve\b|\s و\s)\s*", re.IGNORECASE
)
# A company's legal form: the name is an organisation, and its commas and "und" are not lists of people.
LEGAL_FORM = re.compile(
    r"(?:\b(?:GmbH|gGmbH|AG|KG|KGaA|OHG|Co\.?\s*KG|e\.\s?V\.|Ltd|Limited|LLC|LLP|Inc|Corp|PLC|plc|Pty|"
    r"S\.?A\.?S?|S\.?L\.?|S\.?p\.?A\.?|S\.?r\.?l\.?|B\.?V\.?|N\.?V\.?|A/S|AB|ASA|Oy|K\.?K\.?|SARL)\b\.?)"
)
_URL = re.compile(r"^(?:https?://|www\.)|\.(?:com|net|org)/", re.IGNORECASE)
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")
_DATE_OR_TIME = re.compile(r"\d{1,4}\s*[./:-]\s*\d{1,2}|\d{5,}")
# Lower-case words that belong inside names (particles), not to descriptions.
_PARTICLES = frozenset(
    "al el bin bint ibn abu de del della der di da do dos das du la le van von ten ter zu y e".split()
)


def _fold(name: str) -> str:
    """Comparison form: case-folded, hyphens and dots as spaces."""
    return " ".join(re.sub(r"[-‐‑_.]", " ", name.casefold()).split())


def name_key(text: str) -> str:
    """Letters and digits only, case-folded: how site names and author names are compared."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def unique_names(values: Iterable[str]) -> list[str]:
    """Whitespace collapsed; a name equal to an earlier one after folding case and hyphens is dropped."""
    seen: dict[str, str] = {}
    for value in values:
        value = " ".join(value.split())
        folded = _fold(value)
        if value and folded not in seen:
            seen[folded] = value
    return list(seen.values())


def is_legal_entity(name: str) -> bool:
    """``"Chemnitzer Verlag und Druck GmbH & Co. KG"``, ``"Acme Ltd."``: a company, not people."""
    return bool(LEGAL_FORM.search(name))


def _is_description(name: str) -> bool:
    """A job title or institution swallowed into a byline: many words, most of them lower-case."""
    words = name.split()
    if len(words) > 7:
        return True
    cased = [w for w in words if w[:1].isalpha() and w[:1].lower() != w[:1].upper()]
    lower = [w for w in cased if w[:1].islower() and w.casefold() not in _PARTICLES]
    return len(words) >= 4 and len(lower) >= 2


def clean_name(part: str, organisation: bool = False) -> str | None:
    """One name: labels and role words cut; None for URLs, slugs, dates and descriptions."""
    name = part.strip()
    for _ in range(2):
        name = BYLINE_PREFIX.sub("", name, count=1).strip(" -–—:|·•")
    name = _ROLE_SUFFIX.sub("", name).strip(" -–—:|·•")
    if not name or len(name) > 80 or _URL.search(name) or _SLUG.match(name) and "-" in name:
        return None
    if _DATE_OR_TIME.search(name) or not any(ch.isalpha() for ch in name):
        return None
    if not organisation and _is_description(name):
        return None
    return name


def split_authors(values: Iterable[str]) -> list[str]:
    """Bylines into names: "بقلم جنى العيسى | ديانا رحيمة" → ["جنى العيسى", "ديانا رحيمة"]."""
    out: list[str] = []
    for value in values:
        value = " ".join(str(value).split())
        if not value:
            continue
        if is_legal_entity(value):
            name = clean_name(value, organisation=True)
            if name:
                out.append(name)
            continue
        parts = [p for p in _AUTHOR_SPLIT.split(value) if p and p.strip()]
        # "Last, First": two single words around one comma are one person.
        if len(parts) == 2 and "," in value and value.count(",") == 1 and all(len(p.split()) == 1 for p in parts) \
                and not re.search(r"\b(?:and|und|et|y|ve)\b|[|;&/]", value, re.IGNORECASE):
            parts = [f"{parts[1]} {parts[0]}"]
        for part in parts:
            name = clean_name(part)
            if name:
                out.append(name)
    return unique_names(out)


def names_of(value: Any) -> list[tuple[str, str | None]]:
    """``(name, @type)`` pairs of a JSON-LD author value (str, dict or list)."""
    if isinstance(value, str):
        return [(value, None)]
    if isinstance(value, dict):
        name = value.get("name")
        kind = value.get("@type")
        kind = kind[0] if isinstance(kind, list) and kind else kind
        return [(name, kind if isinstance(kind, str) else None)] if isinstance(name, str) else []
    if isinstance(value, list):
        return [pair for v in value for pair in names_of(v)]
    return []


def is_site_name(name: str, site_keys: Iterable[str]) -> bool:
    """The publisher's own name: equal to a site name or host, containing one, or carrying the host's name as a word."""
    key = name_key(name)
    if not key:
        return False
    words = {name_key(w) for w in re.split(r"[\s.\-_/]+", name) if w}
    for site in site_keys:
        if not site:
            continue
        if key == site or (len(site) >= 4 and (site in key or key in site)) or (len(site) >= 2 and site in words):
            return True
    return False


# A CMS's default account (WordPress "admin"): a profile path ending in author/admin is no byline.
_DEFAULT_ACCOUNT = re.compile(r"/(?:author|authors|autor|user|users)/(?:admin|administrator|root|webmaster)/?(?:[#?].*)?$",
                              re.IGNORECASE)
# A word of a personal name: letters, with inner hyphens or apostrophes, optionally an initial's dot.
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?$")


def is_default_account(value: Any) -> bool:
    """A JSON-LD author object whose ``@id`` or ``url`` is the CMS's default account (``/author/admin/``)."""
    if not isinstance(value, dict):
        return False
    return any(isinstance(value.get(k), str) and _DEFAULT_ACCOUNT.search(value[k].strip()) for k in ("@id", "url"))


def signoff_name(tree: Any) -> str | None:
    """A sign-off byline: a paragraph that is only a bold personal name, first or last among its paragraphs.

    ``<p><strong>Lê Phương</strong></p>`` closing the article, ``<p><strong>JANE DOE</strong></p>``
    opening it: two to four capitalised words of letters, nothing else in the paragraph.  A bold
    crosshead between paragraphs is not one.
    """
    if tree is None:
        return None
    for p in tree.iter("p"):
        kids = [k for k in p if isinstance(k.tag, str)]
        if len(kids) != 1 or kids[0].tag not in ("strong", "b") or (p.text or "").strip() or (kids[0].tail or "").strip():
            continue
        text = " ".join(kids[0].text_content().split())
        words = text.split()
        if not 2 <= len(words) <= 4 or len(text) > 40:
            continue
        if not all(_NAME_WORD.match(w) and w[0].isupper() for w in words):
            continue
        parent = p.getparent()
        paragraphs = [q for q in parent if q.tag == "p" and q.text_content().strip()] if parent is not None else []
        if len(paragraphs) >= 2 and (paragraphs[0] is p or paragraphs[-1] is p):
            return text
    return None


def _looks_like_person(name: str) -> bool:
    """A name found outside the JSON-LD is taken for a person's when it has two words (or is in a caseless script)."""
    if len(name.split()) >= 2:
        return True
    letters = [ch for ch in name if ch.isalpha()]
    return bool(letters) and all(ch.lower() == ch.upper() for ch in letters) and len(name) >= 2


def choose_authors(
    ld_author: Any,
    metadata_author: str | None,
    byline: Callable[[], str | None] | None = None,
    site_keys: Iterable[str] = (),
    signoff: Callable[[], str | None] | None = None,
) -> list[str]:
    """The article's authors (see the module docstring).

    ``ld_author``: the JSON-LD ``author`` value; ``metadata_author``: trafilatura's author string
    (``;``-separated); ``byline``: called for the page's byline text when no person is named yet;
    ``site_keys``: the site's names (letters and digits, case-folded); ``signoff``: called for a
    sign-off name (:func:`signoff_name`) when no person is named by the sources before it.
    """
    keys = [k for k in site_keys if k]
    # 1. The JSON-LD authors as listed (people, agencies, desks), unless they are only the site's
    #    own name or a company's legal name: a template's default, not a byline; nor the CMS's
    #    default account (its name is then no byline anywhere on the page).
    listed: list[str] = []
    defaults: list[str] = []
    accounts: set[str] = set()
    for entry in ld_author if isinstance(ld_author, list) else [ld_author]:
        if is_default_account(entry):
            accounts.update(_fold(n) for n, _kind in names_of(entry))
            continue
        for name, _kind in names_of(entry):
            for part in split_authors([name]):
                (defaults if is_legal_entity(part) or name_key(part) in keys else listed).append(part)
    if listed:
        return unique_names(listed)
    # 2. A person named by the meta tags or the page's byline.
    sources: list[list[str]] = []
    if metadata_author:
        sources.append(split_authors(metadata_author.split(";")))
    if byline is not None:
        found = byline()
        if found:
            sources.append(split_authors(found.split(";")))
    sources = [[n for n in names if _fold(n) not in accounts] for names in sources]
    for names in sources:
        people = [n for n in names if not is_legal_entity(n) and not is_site_name(n, keys)]
        if any(_looks_like_person(n) for n in people):
            return unique_names(people)
    # 3. A sign-off: the article's first or last paragraph only a bold name.
    if signoff is not None:
        signed = signoff()
        signer = clean_name(signed) if signed else None
        if signer and not is_site_name(signer, keys) and not is_legal_entity(signer) and _fold(signer) not in accounts:
            return [signer]
    # 4. Nobody: the organisation the JSON-LD names, else what the meta tags say.
    if defaults:
        return unique_names(defaults)
    for names in sources:
        kept = [n for n in names if name_key(n) not in keys] or names
        if kept:
            return unique_names(kept)
    return []


__all__ = [
    "BYLINE_LABELS",
    "BYLINE_PREFIX",
    "ROLE_SUFFIXES",
    "choose_authors",
    "clean_name",
    "is_legal_entity",
    "is_default_account",
    "is_site_name",
    "name_key",
    "names_of",
    "signoff_name",
    "split_authors",
    "unique_names",
]
