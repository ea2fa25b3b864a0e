"""The article search index (archive/search.py): normalisation, search semantics, filters, upsert,
hostile queries, snippets, and the index a demo crawl keeps (plus `scrapy archive-index --rebuild`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from archive.local import LocalStorage
from archive.search import TOTAL_CAP, SearchIndex, normalise
from tests.conftest import PROJECT_ROOT


def record(article_id: str, text: str, *, title: str | None = None, site: str = "demo", language: str | None = "ar",
           published: str | None = "2025-03-01T10:00:00+03:00", fetched_at: str = "2025-03-02T00:00:00Z") -> dict:
    return {"id": article_id, "url": f"https://{site}.example/{article_id}", "site": site, "title": title,
            "text": text, "language": language, "published": published, "fetched_at": fetched_at}


@pytest.fixture()
def index(tmp_path):
    ix = SearchIndex(tmp_path / "search.sqlite")
    yield ix
    ix.close()


def ids(result) -> set[str]:
    return {h.id for h in result.hits}


@pytest.mark.parametrize(("typed", "stored"), [
    ("الرئيس", "قال الرَّئِيسُ إن المفاوضات مستمرة"),
    ("مدرسة", "افتتحت مدرسه جديدة في الحي"),
    ("مدرسه", "افتتحت مدرسة جديدة في الحي"),
    ("اسد", "شوهد أسد في الحديقة"),
    ("ادعم", "قال اُدعم المشروع"),
    ("إسلام", "كتاب عن اسلام اليوم"),
    ("مستشفى", "في مستشفي المدينة"),
    ("مسؤول", "قال مسوول في الوزارة"),
    ("كتاب", "کتاب جديد"),  # Persian keheh
    ("العلم", "رفع العلـــم"),  # tatweel
    ("cafe", "We met at the Café de Flore."),
    ("ÉLÈVE", "un eleve du lycée"),
    ("Ankara", "officials in ANKARA said"),
    ("strasse", "Die Straße ist lang"),  # casefold: ß -> ss
])
def test_normalised_search_finds_what_a_reader_types(index, typed, stored):
    index.add(record("a1", stored), "articles/demo/a1.json")
    index.add(record("other", "نص آخر لا علاقة له another text"), "articles/demo/other.json")
    assert ids(index.search(typed)) == {"a1"}


def test_normalise_table():
    assert normalise("الرَّئِيسُ") == normalise("الرئيس")
    assert normalise("أإآٱ") == "اااا"
    assert normalise("ةىؤئ") == "هيوي"
    assert normalise("یک") == "يك"
    assert normalise("Élève") == "eleve"
    assert normalise("ﻻ") == "لا"  # NFKC: presentation form
    assert normalise("हिन्दी") == "हिन्दी"  # other scripts' marks are kept
    assert normalise("") == ""


def test_words_are_anded_and_ranked_title_first(index):
    index.add(record("both", "the minister spoke about the budget"), "k/both")
    index.add(record("one", "the minister spoke"), "k/one")
    index.add(record("title", "something else about the budget and the minister", title="Minister resigns"), "k/title")
    result = index.search("minister budget")
    assert ids(result) == {"both", "title"} and result.total == 2 and not result.total_capped
    assert index.search("minister").hits[0].id == "title"  # the title weighs more than the text
    assert index.search("minister nowhere").total == 0


def test_filters_site_language_dates(index):
    index.add(record("a", "election news", site="one", language="en", published="2024-01-15T09:00:00Z"), "k/a")
    index.add(record("b", "election news", site="two", language="en", published="2024-02-01T09:00:00Z"), "k/b")
    index.add(record("c", "election news", site="one", language="fr", published="2024-01-31T23:00:00+02:00"), "k/c")
    index.add(record("d", "election news", site="one", language=None, published=None), "k/d")
    assert ids(index.search("election", site="one")) == {"a", "c", "d"}
    assert ids(index.search("election", language="en")) == {"a", "b"}
    assert ids(index.search("election", language="fr", site="one")) == {"c"}
    assert ids(index.search("election", since="2024-01-20")) == {"b", "c"}
    assert ids(index.search("election", until="2024-01-31")) == {"a", "c"}  # the whole last day
    assert ids(index.search("election", since="2024-01", until="2024-01")) == {"a", "c"}
    assert ids(index.search("election", site="nowhere")) == set()
    browse = index.browse(site="one")
    assert [h.id for h in browse.hits] == ["c", "a", "d"]  # newest published first, undated last
    assert [h.id for h in index.browse(language="en").hits] == ["b", "a"]
    assert [h.id for h in index.browse(since="2024-02-01").hits] == ["b"]
    assert index.browse(limit=2, offset=1).total == 4 and len(index.browse(limit=2, offset=3).hits) == 1
    facets = index.facets()
    assert facets["site"] == [("one", 3), ("two", 1)]
    assert dict(facets["language"]) == {"en": 2, "fr": 1, "": 1}
    assert len(index) == 4


def test_upsert_replaces_the_row_and_its_words(index):
    index.add(record("x", "old wording", title="First"), "articles/demo/x.json")
    index.add(record("x", "new wording", title="Second", fetched_at="2025-04-01T00:00:00Z"), "articles/demo/x.json")
    assert len(index) == 1
    assert index.search("old").total == 0
    assert ids(index.search("new")) == {"x"}
    assert index.get("x").title == "Second"
    # an older version does not replace a newer one
    index.add(record("x", "stale wording", fetched_at="2025-01-01T00:00:00Z"), "articles/demo/x.json")
    assert index.search("stale").total == 0 and index.get("x").title == "Second"
    assert index.get("missing") is None
    index.add(record("x", "newest text", fetched_at="2025-04-01T00:00:00Z", site="moved"), "k2")
    assert index.search("wording").total == 0 and ids(index.search("newest", site="moved")) == {"x"}
    assert index.search("newest", site="demo").total == 0
    assert index.get("x").key == "k2"


@pytest.mark.parametrize("query", ['"', '""', "*", "NEAR(", "NEAR(a b)", "-", "a:b", "", "   ", "(", ")", "AND",
                                   "OR", "NOT x", "title:x", "{title}: x", "^x", "x*", "a - b", "'", "+", "\\",
                                   '"unbalanced', "ا:ب", "\x00", "_"])
def test_hostile_queries_do_not_raise(index, query):
    index.add(record("a", "a b text with AND and OR not x near words"), "k/a")
    result = index.search(query)
    assert result.total == len(result.hits)


def test_syntax_characters_are_plain_words(index):
    index.add(record("a", "the word near here, and another"), "k/a")
    assert ids(index.search("NEAR(")) == {"a"}
    assert ids(index.search('"word"')) == {"a"}
    assert ids(index.search("word*")) == {"a"}
    assert ids(index.search("-another")) == {"a"}
    assert index.search("OR").total == 0


def test_snippet_marks_the_match_and_is_plain_text(index):
    text = ("<script>alert(1)</script> " + "filler " * 40 + "قال الرَّئِيسُ <b>كلمة</b> & more " + "tail " * 40)
    index.add(record("a", text, title="<i>t</i>"), "k/a")
    hit = index.search("الرئيس").hits[0]
    marked = [seg for seg, m in hit.snippet if m]
    assert marked == ["الرَّئِيسُ"]
    joined = "".join(seg for seg, _ in hit.snippet)
    assert "<b>كلمة</b> &" in joined  # the text as it is: segments are plain text, never HTML
    assert "<mark>" not in joined and "&amp;" not in joined
    assert joined.startswith("…") and joined.endswith("…") and len(joined) < 300
    assert hit.title == "<i>t</i>" and hit.key == "k/a"
    # every segment is a slice of the original text, in order
    assert joined.strip("…") in text
    # no match in the text (a title match): the beginning of the text, unmarked
    index.add(record("b", "plain body", title="Zebra"), "k/b")
    hit = index.search("zebra").hits[0]
    assert hit.snippet == [("plain body", False)]


def test_total_is_capped(index):
    index.add_many((record(f"{n}", "common word"), f"k/{n}") for n in range(TOTAL_CAP + 5))
    result = index.search("common", limit=5)
    assert result.total == TOTAL_CAP and result.total_capped and len(result.hits) == 5
    browse = index.browse(limit=1)
    assert browse.total == TOTAL_CAP and browse.total_capped
    assert len(index) == TOTAL_CAP + 5


def test_readonly_reader_beside_a_writer(tmp_path):
    writer = SearchIndex(tmp_path / "s.sqlite")
    writer.add(record("a", "first"), "k/a")
    reader = SearchIndex(tmp_path / "s.sqlite", readonly=True)
    assert ids(reader.search("first")) == {"a"}
    writer.add(record("b", "first again"), "k/b")
    assert reader.search("first").total == 2
    reader.close()
    writer.close()
    with pytest.raises(FileNotFoundError):
        SearchIndex(tmp_path / "missing.sqlite", readonly=True)


def test_for_archive_paths(tmp_path):
    settings = Settings({"ARCHIVE_SEARCH_ENABLED": True, "ARCHIVE_SEARCH_INDEX": "", "ARCHIVE_SPOOL_DIR": str(tmp_path / "spool")})
    storage = LocalStorage(tmp_path / "arch")
    ix = SearchIndex.for_archive(storage, settings)
    assert ix is not None and ix.path == tmp_path / "arch" / "index" / "search.sqlite"
    ix.close()

    class Remote(LocalStorage):
        def local_path(self, key: str) -> None:  # type: ignore[override]
            return None

        def describe(self) -> str:
            return "s3://bucket/prefix at http://127.0.0.1:8333 (spool /x)"

    remote = Remote(tmp_path / "r")
    remote.uri = "s3://bucket/prefix"
    ix = SearchIndex.for_archive(remote, settings)
    assert ix is not None and ix.path == tmp_path / "spool" / "index" / "s3-bucket-prefix" / "search.sqlite"
    ix.close()
    settings.set("ARCHIVE_SEARCH_INDEX", str(tmp_path / "custom.sqlite"))
    ix = SearchIndex.for_archive(storage, settings)
    assert ix is not None and ix.path == tmp_path / "custom.sqlite"
    ix.close()
    settings.set("ARCHIVE_SEARCH_ENABLED", False)
    assert SearchIndex.for_archive(storage, settings) is None


# --- a crawl keeps the index -----------------------------------------------------------------------------------

def latest_records(archive: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((archive / "articles").rglob("*.json")):
        if "versions" in path.relative_to(archive / "articles").parts[1:2]:
            continue
        rec = json.loads(path.read_text("utf-8"))
        out[rec["id"]] = rec
    return out


def test_demo_crawl_keeps_the_index(demo_crawl):
    archive = demo_crawl.archive
    records = latest_records(archive)
    assert records
    assert demo_crawl.stats.get("search/indexed") == len(records)
    assert not demo_crawl.stats.get("search/errors")
    index = SearchIndex(archive / "index" / "search.sqlite", readonly=True)
    try:
        assert len(index) == len(records)
        for rec in records.values():
            hit = index.get(rec["id"])
            assert hit is not None and hit.url == rec["url"] and hit.site == rec["site"]
        arabic = [r for r in records.values() if r.get("language") == "ar"]
        assert arabic, "the demo site has Arabic articles"
        # a word of an article typed as a reader types it: no diacritics, bare alef, ha for ta marbuta
        pairs = [(r, w) for r in arabic for w in re.findall(r"[\u0621-\u064a\u064b-\u0652]{5,}", r["text"])
                 if re.search("[\u064b-\u0652]", w) and re.search("[أإآة]", w)]
        pairs = pairs or [(r, w) for r in arabic for w in re.findall(r"[\u0621-\u064a\u064b-\u0652]{5,}", r["text"])
                          if re.search("[\u064b-\u0652أإآة]", w)]
        assert pairs, "the demo's Arabic articles have diacritics or hamza forms"
        rec, word = pairs[len(pairs) // 2]
        typed = (re.sub("[\u064b-\u0652]", "", word).replace("أ", "ا").replace("إ", "ا").replace("ة", "ه"))
        result = index.search(typed, limit=50)
        assert rec["id"] in ids(result), (word, typed)
        assert any(m for hit in result.hits if hit.id == rec["id"] for _, m in hit.snippet)
        assert index.search(typed, site=rec["site"], language="ar").total >= 1
        assert index.search(typed, language="en").total <= result.total
    finally:
        index.close()
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    proc = subprocess.run([sys.executable, "-m", "scrapy", "archive-index", "--rebuild", "-s", f"ARCHIVE_URI={archive}"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Indexed {len(records)} articles ({len(records)} in the index)"), proc.stdout
    assert "Scrapy" not in proc.stderr  # no banner
    index = SearchIndex(archive / "index" / "search.sqlite", readonly=True)
    try:
        assert len(index) == len(records)
        assert rec["id"] in ids(index.search(typed, limit=50))
    finally:
        index.close()


def test_date_filters_at_month_and_year_edges(index):
    dates = {"a": "2014-12-31T23:00:00Z", "b": "2015-01-01", "c": "2015-03-31T10:00:00+03:00", "d": "2015-04-01",
             "e": "2016-06-15", "f": "2019-12-01", "g": None, "h": "2015"}
    for article_id, published in dates.items():
        index.add(record(article_id, "common words", published=published), f"k/{article_id}")
    assert ids(index.search("common", until="2015-03-31")) == {"a", "b", "c", "h"}
    assert ids(index.search("common", since="2015-01-01", until="2015-03-31")) == {"b", "c"}
    assert ids(index.search("common", since="2015-04")) == {"d", "e", "f"}
    assert ids(index.search("common", since="2015", until="2016")) == {"b", "c", "d", "e", "h"}
    assert ids(index.search("common", since="2016-01-01", until="2019-12-01")) == {"e", "f"}
    assert ids(index.search("common", since="2020")) == set()
    assert ids(index.search("common", since="2019", until="2015")) == set()
    assert ids(index.search("common", since="soon")) == set()  # no date: compared as text, digits sort first
    assert ids(index.search("common", until="soon")) == {"a", "b", "c", "d", "e", "f", "h"}
    # the date tokens follow an edit of the publication date
    index.add(record("e", "common words", published="2030-01-01", fetched_at="2026-01-01T00:00:00Z"), "k/e")
    assert ids(index.search("common", since="2016-01-01", until="2019-12-31")) == {"f"}
    assert ids(index.search("common", since="2030")) == {"e"}


def test_facets_follow_writes(index):
    index.add(record("a", "x", site="one"), "k/a")
    assert index.facets()["site"] == [("one", 1)]
    index.add(record("b", "x", site="two"), "k/b")
    index.add(record("c", "x", site="two"), "k/c")
    assert index.facets()["site"] == [("two", 2), ("one", 1)]


def test_extension_not_configured_without_the_setting_or_the_archive():
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from crawler.extensions.searchindex import SearchIndexExtension

    with pytest.raises(NotConfigured):
        SearchIndexExtension.from_crawler(get_crawler(settings_dict={"ARCHIVE_SEARCH_ENABLED": False}))
    with pytest.raises(NotConfigured):  # no archive extension in EXTENSIONS
        SearchIndexExtension.from_crawler(get_crawler(settings_dict={"ARCHIVE_SEARCH_ENABLED": True}))
    crawler = get_crawler(settings_dict={"ARCHIVE_SEARCH_ENABLED": True})
    crawler.settings = Settings({"ARCHIVE_SEARCH_ENABLED": True,
                                 "EXTENSIONS": {"crawler.extensions.archive.ArchiveExtension": 100}})
    assert isinstance(SearchIndexExtension.from_crawler(crawler), SearchIndexExtension)
