"""Score the pipeline and plain trafilatura on ``../shared/datasets/news-pages-dev`` (real pages, hand-checked).

The metrics are the dataset README's (the definitions the project is judged by):

* **title** — exact match of the normalised headline;
* **date** — the extracted publication time falls on the expected calendar day (in the expected offset);
* **authors** — the casefolded name set equals the expected set (exact-set rate over all pages), and
  author recall over the pages with expected authors;
* **body recall** — share of expected paragraphs (>= 20 characters) found in the text, whitespace
  removed; averaged over pages;
* **body precision** — characters of extracted lines that are body (a substring of the expected body, or
  containing an expected piece of >= 20 characters) over all characters; averaged over the pages that
  gave text (a page that gives none counts 0 recall and is listed under ``no text``);
* pages with recall < 0.8 and with precision < 0.8;
* **altered** — expected paragraphs not found whole although an extracted line is that paragraph with
  words dropped or inserted (difflib ratio >= 0.8): a paragraph cut mid-sentence. ``altered where
  trafilatura keeps it whole`` counts those plain trafilatura gives whole.

The pipeline is the crawl's article path (extraction, rule cleaning, dates: :func:`pipelines.offline.process_offline`)
with the project's settings, the fetch time set to the page's crawl date; ``detected`` counts the pages the
crawl's article detection accepts (:func:`crawler.detection.classify_page` with ``defer_date``, and for
a page accepted pending its date, the date the pipeline gives it).

    python -m tests.support.devset [--json] [--detail]
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import trafilatura
from scrapy.settings import Settings

from crawler.detection import classify_page
from crawler.profiles import profile_for_url
from pipelines.article import NotAnArticle
from pipelines.offline import page_from_bytes, process_offline

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEVSET_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "news-pages-dev"

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACE = re.compile(r"\s+")


def norm(text: str | None) -> str:
    """NFC, soft hyphens and zero-width characters removed, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text or "").translate(_INVISIBLE)).strip()


def squash(text: str) -> str:
    """Normalised, all whitespace removed (how paragraphs are compared)."""
    return _SPACE.sub("", norm(text))


@dataclass
class Extraction:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    text: str = ""
    seconds: float = 0.0


@dataclass
class PageScore:
    file: str
    title: bool
    date: bool
    authors_exact: bool
    author_recall: float | None
    recall: float
    precision: float | None
    altered: list[str]
    lost: list[str]


def load_devset(directory: Path = DEVSET_DIR) -> list[tuple[dict[str, Any], bytes]]:
    entries = json.loads((directory / "expect.json").read_text("utf-8"))
    return [(entry, gzip.decompress((directory / entry["file"]).read_bytes())) for entry in entries]


def _fetched_at(entry: dict[str, Any]) -> str:
    when = datetime.fromisoformat(str(entry["crawl_date"]))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("CLEAN_REPEAT_ENABLED", False)  # one page at a time: no site history to learn from
    return settings


class PipelineExtractor:
    """The crawl's article path on one page."""

    def __init__(self) -> None:
        self.settings = project_settings()

    def __call__(self, html: bytes, entry: dict[str, Any]) -> Extraction:
        page = page_from_bytes(html, entry["url"], headers={"Content-Type": "text/html; charset=utf-8"},
                               fetched_at=_fetched_at(entry))
        started = time.perf_counter()
        try:
            record = process_offline(page, self.settings)
        except NotAnArticle:
            return Extraction(seconds=time.perf_counter() - started)
        return Extraction(
            title=record.get("title"),
            authors=list(record.get("authors") or []),
            published=record.get("published"),
            text=record.get("text") or "",
            seconds=time.perf_counter() - started,
        )


def plain_trafilatura(html: bytes, entry: dict[str, Any]) -> Extraction:
    """The baseline: ``bare_extraction(html, url=url, with_metadata=True)``."""
    started = time.perf_counter()
    doc = trafilatura.bare_extraction(html.decode("utf-8", "replace"), url=entry["url"], with_metadata=True)
    seconds = time.perf_counter() - started
    if doc is None:
        return Extraction(seconds=seconds)
    authors = [a.strip() for a in (getattr(doc, "author", None) or "").split(";") if a.strip()]
    return Extraction(title=getattr(doc, "title", None), authors=authors, published=getattr(doc, "date", None),
                      text=getattr(doc, "text", None) or "", seconds=seconds)


def same_day(found: str | None, expected: str) -> bool:
    if not found:
        return False
    want = datetime.fromisoformat(expected)
    try:
        got = datetime.fromisoformat(found.replace("Z", "+00:00"))
    except ValueError:
        return False
    if got.tzinfo is not None and want.tzinfo is not None:
        got = got.astimezone(want.tzinfo)
    day: date = got.date()
    return day == want.date()


def score_page(entry: dict[str, Any], got: Extraction, baseline_text: str | None = None) -> PageScore:
    expected_authors = {norm(a).casefold() for a in entry.get("authors") or []}
    found_authors = {norm(a).casefold() for a in got.authors}
    paragraphs = [p for p in entry.get("paragraphs") or [] if len(norm(p)) >= 20]
    text = squash(got.text)
    lost = [p for p in paragraphs if squash(p) not in text]
    recall = 1 - len(lost) / len(paragraphs) if paragraphs else 1.0
    lines = [norm(line) for line in got.text.splitlines() if norm(line)]
    body = squash(" ".join([*(entry.get("summary") or []), *(entry.get("headlines") or []), *(entry.get("paragraphs") or [])]))
    pieces = [squash(p) for p in [*(entry.get("summary") or []), *(entry.get("headlines") or []), *paragraphs]
              if len(norm(p)) >= 20]
    total = sum(len(line) for line in lines)
    good = sum(len(line) for line in lines if squash(line) in body or any(piece in squash(line) for piece in pieces))
    precision = good / total if total else None
    altered = []
    squashed_lines = [squash(line) for line in lines]
    for p in lost:
        sp = squash(p)
        for line in squashed_lines:
            matcher = difflib.SequenceMatcher(None, sp, line, autojunk=False)
            if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8:
                altered.append(p)
                break
    if baseline_text is not None:
        whole = squash(baseline_text)
        altered = [p for p in altered if squash(p) in whole]
    return PageScore(
        file=entry["file"],
        title=bool(got.title) and norm(got.title) == norm(entry.get("title")),
        date=same_day(got.published, entry["published"]) if entry.get("published") else True,
        authors_exact=found_authors == expected_authors,
        author_recall=len(found_authors & expected_authors) / len(expected_authors) if expected_authors else None,
        recall=recall if got.text else 0.0,
        precision=precision,
        altered=altered,
        lost=lost,
    )


def summarise(scores: list[PageScore], seconds: float) -> dict[str, Any]:
    n = len(scores)
    with_authors = [s.author_recall for s in scores if s.author_recall is not None]
    precisions = [s.precision for s in scores if s.precision is not None]
    return {
        "pages": n,
        "title": sum(s.title for s in scores) / n,
        "date": sum(s.date for s in scores) / n,
        "authors_exact": sum(s.authors_exact for s in scores) / n,
        "author_recall": sum(with_authors) / len(with_authors) if with_authors else 1.0,
        "recall": sum(s.recall for s in scores) / n,
        "precision": sum(precisions) / len(precisions) if precisions else 0.0,
        "recall_below_0_8": sum(s.recall < 0.8 for s in scores),
        "precision_below_0_8": sum(p < 0.8 for p in precisions),
        "no_text": n - len(precisions),
        "altered": sum(len(s.altered) for s in scores),
        "ms_per_page": 1000 * seconds / n,
    }


def evaluate_devset(directory: Path = DEVSET_DIR) -> dict[str, Any]:
    pages = load_devset(directory)
    extractors: dict[str, Callable[[bytes, dict[str, Any]], Extraction]] = {
        "trafilatura": plain_trafilatura,
        "pipeline": PipelineExtractor(),
    }
    results: dict[str, Any] = {}
    outputs: dict[str, list[Extraction]] = {}
    for name, extract in extractors.items():
        outputs[name] = [extract(html, entry) for entry, html in pages]
    baseline_texts = [e.text for e in outputs["trafilatura"]]
    for name, extracted in outputs.items():
        scores = [
            score_page(entry, got, baseline_texts[i] if name == "pipeline" else None)
            for i, ((entry, _), got) in enumerate(zip(pages, extracted, strict=True))
        ]
        summary = summarise(scores, sum(e.seconds for e in extracted))
        summary["detail"] = [
            {"file": s.file, "title": s.title, "date": s.date, "authors": s.authors_exact, "recall": round(s.recall, 3),
             "precision": None if s.precision is None else round(s.precision, 3), "altered": s.altered,
             "got_title": e.title, "got_authors": e.authors, "got_published": e.published}
            for s, e in zip(scores, extracted, strict=True)
        ]
        results[name] = summary
    detected = 0
    for (entry, html), record in zip(pages, outputs["pipeline"], strict=True):
        # As the crawl decides: the spider's verdict, and for a page accepted pending its date, the date
        # the pipeline gave the record (crawler/detection.py, defer_date).
        verdict = classify_page(html, entry["url"], profile_for_url(entry["url"]), defer_date=True)
        detected += verdict.is_article and (not verdict.needs_date or record.published is not None)
    results["pipeline"]["detected"] = detected
    results["pipeline"]["altered_where_trafilatura_whole"] = results["pipeline"].pop("altered")
    return results


FIGURES = ("title", "date", "authors_exact", "author_recall", "recall", "precision")


def print_table(results: dict[str, Any], detail: bool = False) -> None:
    n = results["pipeline"]["pages"]
    print(f"(c) news-pages-dev: {n} real pages, hand-checked (dataset README's metrics)")
    print(f"{'extractor':<14}{'title':>7}{'date':>7}{'authors':>9}{'a.recall':>10}{'recall':>8}{'precis.':>9}"
          f"{'R<.8':>6}{'P<.8':>6}{'no text':>9}{'altered':>9}{'ms/page':>9}")
    for name, r in results.items():
        altered = r.get("altered", r.get("altered_where_trafilatura_whole", 0))
        print(f"{name:<14}{r['title']:>7.3f}{r['date']:>7.3f}{r['authors_exact']:>9.3f}{r['author_recall']:>10.3f}"
              f"{r['recall']:>8.3f}{r['precision']:>9.3f}{r['recall_below_0_8']:>6}{r['precision_below_0_8']:>6}"
              f"{r['no_text']:>9}{altered:>9}{r['ms_per_page']:>9.1f}")
    print(f"pipeline: {results['pipeline']['detected']}/{n} pages detected as articles by the crawl; altered = paragraphs "
          "cut mid-sentence (pipeline: only those plain trafilatura keeps whole)")
    if detail:
        for d in results["pipeline"]["detail"]:
            misses = [k for k in ("title", "date", "authors") if not d[k]]
            if misses or d["recall"] < 0.8 or (d["precision"] is not None and d["precision"] < 0.8) or d["altered"]:
                print(f"  {d['file']}: {', '.join(misses)} R={d['recall']} P={d['precision']} "
                      f"title={d['got_title']!r} authors={d['got_authors']} published={d['got_published']}")
                for p in d["altered"]:
                    print(f"      ALTERED: {p[:100]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=DEVSET_DIR)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--detail", action="store_true", help="list every page the pipeline gets wrong")
    args = parser.parse_args(argv)
    results = evaluate_devset(args.dir)
    if args.json:
        print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "detail"} for k, v in results.items()}, indent=2))
    else:
        print_table(results, args.detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
