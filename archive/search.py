"""The article search index: SQLite (WAL) with an FTS5 full-text index over normalised text.

One file (``{archive}/index/search.sqlite`` for a directory archive, see
:meth:`SearchIndex.for_archive`) holds:

* ``articles``: one row per article id (url, site, title, published, language, the
  article's JSON key in the store, fetched_at) with indexes for browsing by site,
  language and publication date, and the article's original text, zlib-compressed
  (``body``), from which snippets are cut;
* ``fts``: a contentless FTS5 table (``content=''``, the index only, no second copy of
  the text) over the *normalised* title, text and a ``meta`` column of filter tokens
  (the site, the language, the publication year and month), so that a filtered search
  is an FTS5 intersection rather than a scan of every match.  A date range becomes the
  year and month tokens that cover it; the exact bounds are then checked on ``articles``.

Normalisation (:func:`normalise`) is applied to what is indexed and to every query
word, so a search finds what a reader types: NFKC, casefold, Latin accents and
Arabic diacritics (tashkeel) and tatweel stripped, the alef forms, ta marbuta, alef
maqsura and the hamza carriers folded (docs/search.md has the table).

Search: the words of a query (split on white space) are normalised and each becomes
one quoted FTS5 string, so FTS5 syntax in a query (quotes, ``*``, ``-``, ``:``,
parentheses, ``NEAR``, ``AND``/``OR``/``NOT``) is plain text; the words are ANDed and
ranked by bm25 with the title weighted over the text (:data:`TITLE_WEIGHT`).  Counting
and ranking stay fast on a million articles by capping both at :data:`TOTAL_CAP`
matches: the total is counted up to ``TOTAL_CAP`` (``SearchResult.total_capped`` says
"at least"), and a query matching more than that many articles is ranked among its
``TOTAL_CAP`` most recently indexed matches (the rest are reachable with a narrower
query or a filter).  ``since``/``until`` compare with ``published`` as text
(ISO 8601 dates: ``"2024-01"`` and ``"2024-01-31"`` both work; ``until`` includes
that whole day).

Upsert: :meth:`SearchIndex.add` replaces the row of the same id unless the stored
one was fetched later (a rebuild never puts an older version over a newer one).

Writers and readers: one writing connection per file (the crawl's extension or
``scrapy archive-index``); any number of readers (``readonly=True``, the web console)
at the same time thanks to WAL.  A :class:`SearchIndex` may be used from several
threads (calls are serialised by a lock).

Settings read (by :meth:`SearchIndex.for_archive`): ``ARCHIVE_SEARCH_ENABLED``,
``ARCHIVE_SEARCH_INDEX``, ``ARCHIVE_SPOOL_DIR``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.keys import slug

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from archive.storage import Storage

logger = logging.getLogger(__name__)

#: Totals are counted up to this many matches; broader searches are ranked among this many (newest indexed).
TOTAL_CAP = 10_000
#: bm25 weight of the title column against the text (1.0).
TITLE_WEIGHT = 5.0
#: Characters of original text on each side of the first match in a snippet.
SNIPPET_CONTEXT = 90

# --- normalisation -----------------------------------------------------------------------------------------

_ARABIC_MARKS = "".join(chr(c) for c in [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), 0x0640])
_FOLD = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    "ی": "ي", "ک": "ك",  # Persian yeh and keheh
}
# Latin, Greek and Cyrillic letters with accents (precomposed after NFKC): é -> e.  Other scripts' marks are kept.
_ACCENTED = re.compile("[\u00c0-\u04ff\u1e00-\u1fff]")
_MARKS = re.compile(f"[{_ARABIC_MARKS}\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@lru_cache(maxsize=4096)
def _strip_accent(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", char) if not _MARKS.match(c))


def _strip_match(m: re.Match[str]) -> str:
    return _strip_accent(m.group())


def normalise(text: str) -> str:
    """The searchable form of ``text``: NFKC, casefold, Arabic folded, diacritics stripped (docs/search.md)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    text = _MARKS.sub("", _ACCENTED.sub(_strip_match, text))
    for old, new in _FOLD.items():  # str.replace is much faster than str.translate on non-Latin text
        if old in text:
            text = text.replace(old, new)
    return text


# A word of original text as a reader sees it: letters/digits with their marks (the marks \w does not match).
_WORD = re.compile(r"[^\W_][\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]*")
_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)
def _norm_tokens(word: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(normalise(word)))


def _query_words(query: str) -> list[str]:
    """The normalised words of a query; each keeps only what FTS5's tokenizer reads as a token."""
    words = []
    for chunk in normalise(query).split():
        tokens = _TOKEN.findall(chunk)
        if tokens:
            words.append(" ".join(tokens))
    return words


def _fts_query(words: list[str]) -> str:
    # Each word a quoted FTS5 string (a phrase of its tokens): no query syntax gets through.
    # Restricted to title and text (the meta column holds the filter tokens).
    return "{title text} : (" + " AND ".join('"' + w.replace('"', '""') + '"' for w in words) + ")"


def _year_month(value: str | None, default_month: int) -> tuple[int, int] | None:
    """(year, month) of an ISO date or month; a bare year gets ``default_month``; None if no such date."""
    m = re.match(r"(\d{4})(?:-(\d{2}))?", value or "")
    if not m:
        return None
    month = int(m.group(2)) if m.group(2) else default_month
    return (int(m.group(1)), month) if 1 <= month <= 12 else None


def _meta(site: str, language: str | None, published: str | None) -> str:
    """The filter tokens of an article: site, language, publication year and month."""
    tokens = [_site_token(site), _language_token(language) if language else "lnone"]
    ym = _year_month(published, 1)  # a bare year counts as its January (a superset of the text comparison)
    if ym is not None:
        tokens += [f"y{ym[0]}", f"m{ym[0]}{ym[1]:02d}"]
    return " ".join(tokens)


def _site_token(site: str) -> str:
    return "s" + hashlib.blake2b(site.encode("utf-8"), digest_size=8).hexdigest()


def _language_token(language: str) -> str:
    return "l" + hashlib.blake2b(language.casefold().encode("utf-8"), digest_size=6).hexdigest()


def _until_bound(until: str) -> str:
    # "2024-01-31" includes every time of that day; "2024-01" the whole month.
    return until + "\uffff"


# --- results -----------------------------------------------------------------------------------------------

@dataclass
class Hit:
    id: str
    url: str
    site: str
    title: str | None
    published: str | None
    language: str | None
    key: str
    snippet: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    total_capped: bool = False  # True: at least ``total`` (counting stopped at TOTAL_CAP)


def _snippet(text: str, terms: set[tuple[str, ...]], context: int = SNIPPET_CONTEXT) -> list[tuple[str, bool]]:
    """Plain-text segments of ``text`` around its first word matching a query word; True marks a match."""
    if not text:
        return []
    singles = {t[0] for t in terms if len(t) == 1}

    def matches(word: str) -> bool:
        toks = _norm_tokens(word)
        return bool(toks) and (toks in terms or (len(toks) == 1 and toks[0] in singles))

    first: re.Match[str] | None = None
    if terms:
        first = next((m for m in _WORD.finditer(text) if matches(m.group())), None)
    if first is None:
        end = min(len(text), 2 * context)
        if end < len(text):
            cut = text.rfind(" ", 0, end)
            end = cut if cut > context else end
        return [(text[:end] + ("…" if end < len(text) else ""), False)]
    start = max(0, first.start() - context)
    if start:
        space = text.find(" ", start, first.start())
        start = space + 1 if space >= 0 else start
    end = min(len(text), first.end() + context)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space >= 0 else end
    out: list[tuple[str, bool]] = []
    pos = start
    for m in _WORD.finditer(text, start, end):
        if matches(m.group()):
            if m.start() > pos:
                out.append((text[pos:m.start()], False))
            out.append((m.group(), True))
            pos = m.end()
    if pos < end:
        out.append((text[pos:end], False))
    if start > 0:
        out.insert(0, ("…", False))
    if end < len(text):
        out.append(("…", False))
    return out


# --- the index ---------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    site TEXT NOT NULL,
    title TEXT,
    published TEXT,
    language TEXT,
    key TEXT NOT NULL,
    fetched_at TEXT,
    body BLOB
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_site ON articles(site, published);
CREATE INDEX IF NOT EXISTS articles_language ON articles(language, published);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, text, meta, content='', tokenize='unicode61 remove_diacritics 0'
);
"""

_COLUMNS = "a.id, a.url, a.site, a.title, a.published, a.language, a.key"


class SearchIndex:
    """See module docstring."""

    def __init__(self, path: str | os.PathLike[str], readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._facets: tuple[tuple[int, int], dict[str, list[tuple[str, int]]]] | None = None
        if readonly:
            if not self.path.exists():
                raise FileNotFoundError(f"no search index at {self.path} (run `scrapy archive-index`)")
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.commit()
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("PRAGMA cache_size=-32000")

    @classmethod
    def for_archive(cls, storage: Storage, settings: BaseSettings, readonly: bool = False) -> SearchIndex | None:
        """The index of the archive ``storage``; None when ``ARCHIVE_SEARCH_ENABLED`` is False.

        ``ARCHIVE_SEARCH_INDEX`` if set; else ``index/search.sqlite`` in a directory archive; else (a remote
        store) ``{ARCHIVE_SPOOL_DIR}/index/{slug of the store's URI}/search.sqlite``, a local working copy that
        ``scrapy archive-index --rebuild`` rebuilds from the store.
        """
        if not settings.getbool("ARCHIVE_SEARCH_ENABLED"):
            return None
        return cls(index_path(storage, settings), readonly=readonly)

    # -- writing ------------------------------------------------------------------------------------------
    def add(self, record: dict[str, Any], key: str) -> None:
        """Index ``record`` (an article JSON record) stored under ``key``; replaces the row of the same id."""
        with self._lock:
            self._add(record, key)
            self.db.commit()

    def add_many(self, items: Iterable[tuple[dict[str, Any], str]], batch: int = 1000) -> int:
        """:meth:`add` of many (record, key) pairs, committed every ``batch``; returns how many were given."""
        n = 0
        with self._lock:
            for record, key in items:
                self._add(record, key)
                n += 1
                if n % batch == 0:
                    self.db.commit()
            self.db.commit()
        return n

    def _add(self, record: dict[str, Any], key: str) -> None:
        article_id = str(record["id"])
        fetched_at = record.get("fetched_at")
        old = self.db.execute(
            "SELECT rowid, title, body, site, language, fetched_at, published FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if old is not None:
            if old[5] and fetched_at and str(old[5]) > str(fetched_at):
                return  # the index holds a later version
            old_text = zlib.decompress(old[2]).decode("utf-8") if old[2] else ""
            self.db.execute(
                "INSERT INTO fts(fts, rowid, title, text, meta) VALUES('delete', ?, ?, ?, ?)",
                (old[0], normalise(old[1] or ""), normalise(old_text), _meta(old[3], old[4], old[6])),
            )
            self.db.execute("DELETE FROM articles WHERE rowid = ?", (old[0],))
        text = str(record.get("text") or "")
        title = record.get("title")
        published = record.get("published")
        site = str(record.get("site") or "")
        language = record.get("language")
        cur = self.db.execute(
            "INSERT INTO articles (id, url, site, title, published, language, key, fetched_at, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article_id, str(record.get("url") or ""), site, title, published, language, key,
             fetched_at, zlib.compress(text.encode("utf-8"), 6)),
        )
        self.db.execute(
            "INSERT INTO fts(rowid, title, text, meta) VALUES (?, ?, ?, ?)",
            (cur.lastrowid, normalise(title or ""), normalise(text), _meta(site, language, published)),
        )

    # -- reading ------------------------------------------------------------------------------------------
    @staticmethod
    def _date_filter(since: str | None, until: str | None) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if since:
            where.append("a.published >= ?")
            args.append(since)
        if until:
            where.append("a.published <= ?")
            args.append(_until_bound(until))
        return where, args

    def _date_cover(self, since: str | None, until: str | None) -> list[str] | None:
        """Year and month tokens covering [since, until]; None when a bound is no ISO date or the range is open
        on a side with no dated article."""
        lo, hi = _year_month(since, 1), _year_month(until, 12)
        if (since and lo is None) or (until and hi is None):
            return None
        if lo is None or hi is None:
            first, last = self.db.execute(
                "SELECT min(published), max(published) FROM articles WHERE published IS NOT NULL").fetchone()
            lo = lo or _year_month(str(first or "")[:4], 1)
            hi = hi or _year_month(str(last or "")[:4], 12)
            if lo is None or hi is None:
                return None
        if lo > hi:
            return ["none"]  # an empty range: nothing matches
        if lo[0] == hi[0]:
            if lo[1] == 1 and hi[1] == 12:
                return [f"y{lo[0]}"]
            return [f"m{lo[0]}{m:02d}" for m in range(lo[1], hi[1] + 1)]
        tokens = [f"m{lo[0]}{m:02d}" for m in range(lo[1], 13)] if lo[1] > 1 else [f"y{lo[0]}"]
        tokens += [f"y{y}" for y in range(lo[0] + 1, hi[0])]
        tokens += [f"m{hi[0]}{m:02d}" for m in range(1, hi[1] + 1)] if hi[1] < 12 else [f"y{hi[0]}"]
        return tokens if len(tokens) <= 200 else None

    def search(self, query: str, *, site: str | None = None, language: str | None = None,
               since: str | None = None, until: str | None = None, limit: int = 20, offset: int = 0) -> SearchResult:
        """Articles holding every word of ``query`` (normalised), best first (bm25, title over text).

        An empty query (or one of punctuation only) finds nothing.  See the module docstring for the cap.
        """
        words = _query_words(query)
        if not words:
            return SearchResult(0, [])
        match = _fts_query(words)
        if site is not None:
            match += f' AND meta:"{_site_token(site)}"'
        if language is not None:
            match += f' AND meta:"{_language_token(language)}"'
        dates, date_args = self._date_filter(since, until)
        if dates:
            # Narrow to the years and months of the range inside FTS5 (exact bounds: the join below).
            cover = self._date_cover(since, until)
            if cover:
                match += " AND meta:(" + " OR ".join(cover) + ")"
        limit, offset = max(0, int(limit)), max(0, int(offset))
        with self._lock:
            if dates:
                matches = (f"SELECT f.rowid AS rowid, bm25(fts, {TITLE_WEIGHT}, 1.0, 0.0) AS score FROM fts f "
                           f"JOIN articles a ON a.rowid = f.rowid WHERE fts MATCH ? AND {' AND '.join(dates)} "
                           "ORDER BY f.rowid DESC LIMIT ?")
                args: list[Any] = [match, *date_args, TOTAL_CAP + 1]
            else:
                matches = (f"SELECT rowid, bm25(fts, {TITLE_WEIGHT}, 1.0, 0.0) AS score FROM fts WHERE fts MATCH ? "
                           "ORDER BY rowid DESC LIMIT ?")
                args = [match, TOTAL_CAP + 1]
            rows = self.db.execute(
                f"WITH m AS MATERIALIZED ({matches}) "
                f"SELECT (SELECT count(*) FROM m), {_COLUMNS}, a.body FROM "
                f"(SELECT rowid, score FROM m ORDER BY score LIMIT ? OFFSET ?) r "
                "JOIN articles a ON a.rowid = r.rowid ORDER BY r.score",
                (*args, min(limit, TOTAL_CAP), offset),
            ).fetchall()
            if rows:
                total = rows[0][0]
            else:
                total = self.db.execute(f"SELECT count(*) FROM ({matches})", args).fetchone()[0]
        capped = total > TOTAL_CAP
        terms = {tuple(w.split(" ")) for w in words}
        hits = [self._hit(row[1:8], row[8], terms) for row in rows]
        return SearchResult(min(total, TOTAL_CAP), hits, capped)

    def browse(self, *, site: str | None = None, language: str | None = None, since: str | None = None,
               until: str | None = None, limit: int = 50, offset: int = 0) -> SearchResult:
        """Articles newest published first (undated last), filtered; total counted up to TOTAL_CAP."""
        where, args = self._date_filter(since, until)
        if site is not None:
            where.insert(0, "a.site = ?")
            args.insert(0, site)
        if language is not None:
            where.insert(0, "a.language = ?")
            args.insert(0, language)
        cond = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            total = self.db.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM articles a {cond} LIMIT ?)", (*args, TOTAL_CAP + 1)
            ).fetchone()[0]
            rows = self.db.execute(
                f"SELECT {_COLUMNS}, a.body FROM articles a {cond} "
                "ORDER BY a.published DESC, a.rowid DESC LIMIT ? OFFSET ?",  # NULL sorts last in DESC: the index serves
                (*args, max(0, int(limit)), max(0, int(offset))),
            ).fetchall()
        hits = [self._hit(row[:7], row[7], set()) for row in rows]
        return SearchResult(min(total, TOTAL_CAP), hits, total > TOTAL_CAP)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Article counts per site and per language (most first; an unknown language is ``""``).

        Cached until the file changes (this connection's or another's commit).
        """
        with self._lock:
            version = (self.db.execute("PRAGMA data_version").fetchone()[0], self.db.total_changes)
            if self._facets is not None and self._facets[0] == version:
                return {k: list(v) for k, v in self._facets[1].items()}
            sites = self.db.execute(
                "SELECT site, count(*) AS n FROM articles GROUP BY site ORDER BY n DESC, site").fetchall()
            languages = self.db.execute(
                "SELECT coalesce(language, ''), count(*) AS n FROM articles GROUP BY language ORDER BY n DESC, 1"
            ).fetchall()
            facets = {"site": [(s, n) for s, n in sites], "language": [(lang, n) for lang, n in languages]}
            self._facets = (version, facets)
        return {k: list(v) for k, v in facets.items()}

    def get(self, article_id: str) -> Hit | None:
        with self._lock:
            row = self.db.execute(f"SELECT {_COLUMNS}, a.body FROM articles a WHERE a.id = ?", (article_id,)).fetchone()
        return None if row is None else self._hit(row[:7], row[7], set())

    def __len__(self) -> int:
        with self._lock:
            return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def clear(self) -> None:
        """Empty the index (``scrapy archive-index --rebuild``)."""
        with self._lock:
            self.db.execute("DELETE FROM articles")
            self.db.execute("INSERT INTO fts(fts) VALUES('delete-all')")
            self.db.commit()

    def close(self) -> None:
        with self._lock:
            try:
                if not self.readonly:
                    self.db.execute("PRAGMA optimize")
                    self.db.commit()
            finally:
                self.db.close()

    @staticmethod
    def _hit(row: tuple[Any, ...], body: bytes | None, terms: set[tuple[str, ...]]) -> Hit:
        text = zlib.decompress(body).decode("utf-8") if body else ""
        article_id, url, site, title, published, language, key = row
        return Hit(article_id, url, site, title, published, language, key, _snippet(text, terms))


def index_path(storage: Storage, settings: BaseSettings) -> Path:
    """Where :meth:`SearchIndex.for_archive` keeps the index of ``storage`` (see there)."""
    configured = settings.get("ARCHIVE_SEARCH_INDEX")
    if configured:
        return Path(configured)
    local = storage.local_path("index/search.sqlite")
    if local is not None:
        return Path(local)
    # The store's URI (s3://bucket/prefix), not describe(): that adds the endpoint and the spool's own path.
    location = str(getattr(storage, "uri", "") or storage.describe())
    spool = settings.get("ARCHIVE_SPOOL_DIR") or "./archive-spool"
    return Path(spool) / "index" / slug(location, "store") / "search.sqlite"
