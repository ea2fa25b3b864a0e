"""Line shapes the block rules recognise without vocabulary lists: timestamp lines, byline lines, staff credits.

Pure functions of one extracted line, used by :class:`pipelines.cleaning.Cleaner`
(docs/cleaning.md); multilingual word lists kept small and inline.
"""

from __future__ import annotations

import re

# A line that is only a date, a time, a duration or a "published/updated" label (with digits).
_STAMP_WORDS = re.compile(
    r"\b(?:jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|févr(?:ier)?|mar(?:ch)?|märz|mars|marzo|apr(?:il)?|avril|abril|may|mai|mayo|"
    r"jun(?:e|i)?|juin|junio|jul(?:y|i)?|juil(?:let)?|julio|aug(?:ust)?|août|agosto|sep(?:t|tember)?|septembre|septiembre|"
    r"oct(?:ober)?|okt(?:ober)?|octobre|octubre|nov(?:ember)?|novembre|noviembre|dec(?:ember)?|dez(?:ember)?|décembre|diciembre|"
    r"ocak|şubat|mart|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım|aralık|"
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"uhr|min|mins|minutes?|minuten|sek|h|am|pm|a\.m|p\.m|gmt|utc|bst|cet|cest|est|edt|pst|pdt|mez|mesz|"
    r"stand|updated?|last updated|published|posted|aktualisiert|veröffentlicht|erstellt|güncelleme|güncellenme|yayınlanma|"
    r"mis à jour|publié(?: le)?|actualizado|publicado|verfügbar bis|on|at|um|am|le|à|de|del|el|il|um)\b", re.IGNORECASE)
# A time, a numeric date, a duration or a publication label must be there: a written-out date
# alone ("Dienstag, 27. August 2024") is a live blog's day heading.
_STAMP_SHAPE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|\d\s*min|\b(?:stand|updated?|published|posted|aktualisiert|"
    r"veröffentlicht|güncelleme|güncellenme|yayınlanma|mis à jour|publié|actualizado|publicado)\b")
_STAMP_REST = re.compile(r"[\d\s.,:;/|•·()\-–—+]+")
# "By Jane Doe", "Von Anna Sleegers, Frankfurt": a byline line (names capitalised, no sentence).
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door|av|af|från|tarafından)\s+(\S.{0,70})$", re.IGNORECASE)
_BYLINE_JOIN = {"and", "und", "et", "y", "e", "og", "och", "en", "ve", "&", "|", "-", "–", "de", "van", "von", "der", "da", "del", "la", "le", "di"}
# "Reporting by Jane Doe in Paris; Editing by John Smith": an agency's staff credit.
_STAFF_CREDIT = re.compile(r"^[-–—\s]*(?:additional\s+)?(?:reporting|writing|editing|edited|translated)\s+by\s+(.{1,250})$", re.IGNORECASE)
_STAFF_JOIN = {"in", "and", "by", "from", "the", "at", "additional", "reporting", "writing", "editing", "edited", "de", "van", "von", "da", "di", "del", "la", "le"}

def is_timestamp(norm: str) -> bool:
    """A line that only dates the page: dates, times, durations, "updated"/"Stand" labels, nothing else."""
    if len(norm) > 80 or not any(c.isdigit() for c in norm):
        return False
    if not _STAMP_SHAPE.search(norm):
        return False
    rest = _STAMP_REST.sub(" ", _STAMP_WORDS.sub(" ", norm)).strip()
    return not rest


def is_byline(line: str) -> bool:
    """A byline on its own line: "By"/"Von"/"Par"... and capitalised names (optionally a place), no sentence."""
    match = _BYLINE.match(line.strip())
    if not match:
        return False
    words = [w for w in re.split(r"[\s,;/]+", match.group(1).strip(" .")) if w]
    if not 1 <= len(words) <= 8 or match.group(1).rstrip().endswith(("?", "!")):
        return False
    names = [w for w in words if w.casefold() not in _BYLINE_JOIN]
    if not all(w[:1].isupper() for w in names):
        return False
    # One name alone only in capitals ("By AFP"): "By Tuesday" is a sentence fragment.
    return len(names) >= 2 or (len(names) == 1 and names[0].isupper() and len(names[0]) > 1)


def is_staff_credit(line: str) -> bool:
    """"Reporting by A in Paris; Writing by B; Editing by C": names and places only after the label."""
    match = _STAFF_CREDIT.match(line.strip())
    if not match:
        return False
    words = [w for w in re.split(r"[\s,;/&]+", match.group(1).strip(" .")) if w]
    return bool(words) and all(w[:1].isupper() or w.casefold() in _STAFF_JOIN for w in words)
