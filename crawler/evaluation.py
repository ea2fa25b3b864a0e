"""Extraction evaluation (`make eval`).

(a) The Zyte article-extraction benchmark in ``../shared/datasets/article-extraction-benchmark``:
    word-4-gram shingle precision / recall / F1, computed exactly as upstream
    ``evaluate.py`` does (see that dataset's README), for the project's pipeline
    and for plain trafilatura, side by side in one run, with timings.
(b) The project's labelled set (``tests/fixtures/labelled``): pages in Arabic,
    English and French with donation appeals and furniture in different places;
    counts body paragraphs lost and boilerplate fragments leaked.
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

PROJECT_ROOT = Path(__file__).resolve().parents[1]
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
    return (doc.text if doc is not None else "") or ""


def project_pipeline(html: bytes, url: str) -> str:
    """The crawl's extraction + cleaning code path on one page."""
    from pipelines.extraction import NotAnArticle, extract_page_bytes

    try:
        return extract_page_bytes(html, url or "https://example.org/", content_type="text/html; charset=utf-8").text
    except NotAnArticle:
        return ""


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark-dir", type=Path, default=BENCHMARK_DIR)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)
    pages = load_benchmark(args.benchmark_dir)
    bench = run_benchmark({"trafilatura": plain_trafilatura, "pipeline": project_pipeline}, pages)
    if args.json:
        print(json.dumps({"benchmark": bench}, indent=2))
        return 0
    print(f"(a) Zyte article-extraction benchmark: {len(pages)} pages, word-4-gram shingles")
    print(f"{'extractor':<14}{'F1':>8}{'precision':>11}{'recall':>9}{'accuracy':>10}{'ms/page':>10}")
    for name, r in bench.items():
        print(f"{name:<14}{r['f1']:>8.3f}{r['precision']:>11.3f}{r['recall']:>9.3f}{r['accuracy']:>10.3f}{r['ms_per_page']:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
