"""Extraction evaluation (`make eval`).

(a) The Zyte article-extraction benchmark in ``../shared/datasets/article-extraction-benchmark``:
    word-4-gram shingle precision / recall / F1, computed exactly as upstream
    ``evaluate.py`` does (see that dataset's README), for the project's pipeline
    and for plain trafilatura, side by side in one run, with timings.
(b) The project's labelled set (``tests/fixtures/labelled``): pages in Arabic,
    English and French with donation appeals and furniture in different places;
    counts body paragraphs lost and boilerplate fragments leaked.
(c) ``../shared/datasets/news-pages-dev``: 129 real pages from 92 publishers with
    hand-checked title, authors, date and body, scored with that dataset's
    metrics next to plain trafilatura (:mod:`tests.support.devset`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.devset import evaluate_devset, print_table

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCHMARK_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "article-extraction-benchmark"
LABELLED_DIR = PROJECT_ROOT / "tests" / "fixtures" / "labelled"

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = tokenize(text)
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(truth: str, prediction: str) -> tuple[float, float, float]:
    """Per-page (tp, fp, fn), normalised to sum to 1 (upstream evaluate.py)."""
    t, p = shingles(truth), shingles(prediction)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float
    pages: int


def corpus_score(pairs: Iterable[tuple[str, str]]) -> Score:
    precisions: list[float] = []
    recalls: list[float] = []
    exact = n = 0
    for truth, prediction in pairs:
        n += 1
        tp, fp, fn = page_scores(truth, prediction)
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
        if tokenize(truth) == tokenize(prediction):
            exact += 1
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(p, r, f1, exact / n if n else 0.0, n)


def load_benchmark(directory: Path = BENCHMARK_DIR) -> list[tuple[str, str, str, bytes]]:
    """(id, url, ground-truth body, html bytes) for every benchmark page."""
    truth = json.loads((directory / "ground-truth.json").read_text("utf-8"))
    out = []
    for key in sorted(truth):
        html = gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes())
        out.append((key, truth[key].get("url") or "", truth[key].get("articleBody") or "", html))
    return out


def plain_trafilatura(html: bytes, url: str) -> str:
    """Plain trafilatura: bare_extraction with its defaults (the baseline)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    return str(getattr(doc, "text", None) or "")


class ProjectPipeline:
    """The crawl's extraction + cleaning code path; accumulates its timings."""

    def __init__(self) -> None:
        from pipelines.cleaning import Cleaner

        self.cleaner = Cleaner()
        self.timings: dict[str, float] = {}

    def blocks(self, html: bytes, url: str) -> list[str]:
        from pipelines.article import NotAnArticle
        from pipelines.offline import extract_page_bytes

        try:
            article = extract_page_bytes(
                html,
                url or "https://example.org/",
                content_type="text/html; charset=utf-8",
                cleaner=self.cleaner,
                timings=self.timings,
            )
        except NotAnArticle:
            return []
        return article.blocks

    def __call__(self, html: bytes, url: str) -> str:
        return "\n\n".join(self.blocks(html, url))


def run_benchmark(
    extractors: dict[str, Callable[[bytes, str], str]], pages: list[tuple[str, str, str, bytes]]
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, fn in extractors.items():
        predictions = []
        start = time.perf_counter()
        for _key, url, _truth, html in pages:
            predictions.append(fn(html, url))
        elapsed = time.perf_counter() - start
        score = corpus_score((truth, pred) for (_, _, truth, _), pred in zip(pages, predictions, strict=True))
        results[name] = {
            "f1": score.f1,
            "precision": score.precision,
            "recall": score.recall,
            "accuracy": score.accuracy,
            "pages": score.pages,
            "seconds": elapsed,
            "ms_per_page": 1000 * elapsed / max(1, len(pages)),
        }
    return results


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_labelled(directory: Path = LABELLED_DIR) -> list[tuple[dict[str, Any], bytes]]:
    names = json.loads((directory / "index.json").read_text("utf-8"))
    if isinstance(names, dict):
        names = names.get("pages") or names.get("names") or list(names)
    out = []
    for entry in names:
        name = entry if isinstance(entry, str) else entry["name"]
        expected = json.loads((directory / f"{name}.json").read_text("utf-8"))
        out.append((expected, (directory / f"{name}.html").read_bytes()))
    return out


def run_labelled(
    extractors: dict[str, Callable[[bytes, str], list[str]]], pages: list[tuple[dict[str, Any], bytes]]
) -> dict[str, dict[str, Any]]:
    """Per extractor: body paragraphs lost and boilerplate fragments leaked, with details."""
    results: dict[str, dict[str, Any]] = {}
    for name, fn in extractors.items():
        lost: list[tuple[str, str]] = []
        leaked: list[tuple[str, str]] = []
        paragraphs = fragments = 0
        for expected, html in pages:
            blocks = [_norm(b) for b in fn(html, expected["url"])]
            text = "\n".join(blocks)
            for para in expected["paragraphs"]:
                paragraphs += 1
                if _norm(para) not in blocks:
                    lost.append((expected["name"], para))
            for frag in expected["boilerplate"]:
                fragments += 1
                if _norm(frag) in text:
                    leaked.append((expected["name"], frag))
        results[name] = {
            "pages": len(pages),
            "paragraphs": paragraphs,
            "lost": len(lost),
            "fragments": fragments,
            "leaked": len(leaked),
            "lost_detail": lost,
            "leaked_detail": leaked,
        }
    return results


def plain_blocks(html: bytes, url: str) -> list[str]:
    return [line for line in plain_trafilatura(html, url).splitlines() if line.strip()]


def evaluate(benchmark_dir: Path = BENCHMARK_DIR, labelled_dir: Path = LABELLED_DIR) -> dict[str, Any]:
    """The benchmark and the labelled set in one run (``make eval`` adds the news-pages-dev scores)."""
    pipeline = ProjectPipeline()
    bench = run_benchmark({"trafilatura": plain_trafilatura, "pipeline": pipeline}, load_benchmark(benchmark_dir))
    t = pipeline.timings
    cleaning_overhead = t.get("cleaning", 0.0) / max(1e-9, t.get("extraction", 0.0))
    labelled = run_labelled({"trafilatura": plain_blocks, "pipeline": ProjectPipeline().blocks}, load_labelled(labelled_dir))
    return {"benchmark": bench, "timings": t, "cleaning_overhead": cleaning_overhead, "labelled": labelled}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark-dir", type=Path, default=BENCHMARK_DIR)
    parser.add_argument("--labelled-dir", type=Path, default=LABELLED_DIR)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--no-devset", dest="devset", action="store_false",
                        help="leave out (c), the news-pages-dev scores (tests/support/devset.py)")
    args = parser.parse_args(argv)
    result = evaluate(args.benchmark_dir, args.labelled_dir)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    bench = result["benchmark"]
    pages = int(next(iter(bench.values()))["pages"])
    print(f"(a) Zyte article-extraction benchmark: {pages} pages, word-4-gram shingles (P/R means, F1 of means)")
    print(f"{'extractor':<14}{'F1':>8}{'precision':>11}{'recall':>9}{'accuracy':>10}{'ms/page':>10}")
    for name, r in bench.items():
        print(f"{name:<14}{r['f1']:>8.3f}{r['precision']:>11.3f}{r['recall']:>9.3f}{r['accuracy']:>10.3f}{r['ms_per_page']:>10.1f}")
    t = result["timings"]
    print(
        f"pipeline time split: extraction {t.get('extraction', 0):.2f}s, cleaning {t.get('cleaning', 0):.2f}s "
        f"-> cleaning adds {100 * result['cleaning_overhead']:.1f}% to extraction time"
    )
    print()
    lab = result["labelled"]
    first = next(iter(lab.values()))
    print(f"(b) Labelled set: {first['pages']} pages, {first['paragraphs']} body paragraphs, {first['fragments']} boilerplate fragments")
    print(f"{'extractor':<14}{'lost':>8}{'leaked':>9}")
    for name, r in lab.items():
        print(f"{name:<14}{r['lost']:>8}{r['leaked']:>9}")
    for page, para in lab["pipeline"]["lost_detail"]:
        print(f"  LOST   {page}: {para[:100]}")
    for page, frag in lab["pipeline"]["leaked_detail"]:
        print(f"  LEAKED {page}: {frag[:100]}")
    if args.devset:
        print()
        print_table(evaluate_devset())
    return 0


if __name__ == "__main__":
    sys.exit(main())
