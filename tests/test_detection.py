from __future__ import annotations

import pytest

from crawler.detection import classify_page, classify_url
from crawler.profiles import load_profile
from crawler.urls import article_id, normalize_url, strip_tracking

PARAS = "".join(f"<p>{'This is a real sentence of the article body with enough words. ' * 3}</p>" for _ in range(4))


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.enabbaladi.net/archives/372146", "article"),
        ("https://www.enabbaladi.net/", "listing"),
        ("https://www.enabbaladi.net/en/", "listing"),
        ("https://www.enabbaladi.net/archives/category/news/", "listing"),
        ("https://www.enabbaladi.net/tag/idlib/", "listing"),
        ("https://www.enabbaladi.net/author/someone/", "listing"),
        ("https://www.enabbaladi.net/page/3/", "listing"),
        ("https://www.enabbaladi.net/?s=idlib", "listing"),
        ("https://www.enabbaladi.net/wp-content/uploads/a.jpg", "asset"),
        ("https://www.enabbaladi.net/feed/", "feed"),
        ("https://www.enabbaladi.net/about-us/", "unknown"),
    ],
)
def test_classify_url(url, expected):
    assert classify_url(url, load_profile("enabbaladi")) == expected


def test_jsonld_and_og_win():
    html = '<html><head><script type="application/ld+json">{"@graph":[{"@type":"WebPage"},{"@type":"NewsArticle"}]}</script></head><body><h1>t</h1></body></html>'
    assert classify_page(html, "https://x.org/tag/a/").reason == "jsonld:newsarticle"
    og = '<html><head><meta property="og:type" content="article"></head><body></body></html>'
    assert classify_page(og, "https://x.org/a").is_article


def test_metadata_says_not_article():
    html = f'<html><head><meta property="og:type" content="website"></head><body><h1>About</h1><span class="date">March 3, 2020</span>{PARAS}</body></html>'
    verdict = classify_page(html, "https://x.org/about/")
    assert not verdict.is_article and verdict.reason == "metadata:not-article"


def test_heuristics_for_unmarked_pages():
    article = f"<html><body><nav>menu</nav><h1>Headline</h1><div class='byline'>By A — 24 من آذار 2020</div>{PARAS}</body></html>"
    assert classify_page(article, "https://old.example/story-1").reason == "heuristic:headline+paragraphs+date"
    no_date = f"<html><body><h1>About us</h1>{PARAS}</body></html>"
    assert classify_page(no_date, "https://old.example/about").reason == "heuristic:no-date"
    short = "<html><body><h1>Headline</h1><time>2020-01-01</time><p>short</p></body></html>"
    assert classify_page(short, "https://old.example/s").reason == "heuristic:too-little-text"
    listing = f"<html><body><h1>News</h1><time>2020-01-01</time>{PARAS}</body></html>"
    assert classify_page(listing, "https://old.example/category/news/").reason == "url:listing"
    # paragraphs inside footer/nav do not count
    footer = f"<html><body><h1>H</h1><time>2020-01-01</time><footer>{PARAS}</footer></body></html>"
    assert not classify_page(footer, "https://old.example/x").is_article


def test_profile_pattern():
    profile = load_profile("enabbaladi")
    assert classify_page("<html><body></body></html>", "https://www.enabbaladi.net/archives/1", profile).reason == (
        "profile:article_patterns"
    )


def test_tracking_params_and_ids():
    url = "https://example.org/a/b?id=3&utm_source=x&fbclid=y#frag"
    assert strip_tracking(url) == "https://example.org/a/b?id=3"
    assert strip_tracking("https://example.org/a?b=1&c=2") == "https://example.org/a?b=1&c=2"
    assert normalize_url("HTTPS://Example.org/a/b?utm_medium=m&id=3") == normalize_url(url)
    assert article_id(url) == article_id("https://example.org/a/b?id=3")
    assert article_id("https://example.org/a/b?id=4") != article_id(url)
    assert len(article_id(url)) == 24
