"""Body-text mechanisms that hold on unseen sites (pipelines/article.py, cleaning.py, scriptbody.py)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import trafilatura
from lxml import html as lxml_html

from crawler.schema import article_schema
from pipelines.article import extract_article, parse_html
from pipelines.cleaning import CleanContext, Cleaner
from pipelines.holes import has_holes, keep_empty_tails, repair_holes
from pipelines.offline import page_from_bytes
from pipelines.options import ExtractOptions
from pipelines.scriptbody import script_body

SENTENCES = [
    "The regional council voted on Thursday to extend the night bus network to the three northern districts.",
    "Bus operators had warned that drivers were in short supply and that new routes would need months of hiring.",
    "The first extended lines are due to start in September, with a review of passenger numbers after six months.",
    "Residents of the northern districts had collected more than four thousand signatures for the extension.",
    "The council also approved money for new shelters at forty stops, most of them along the ring road.",
]


def page(body: str, url: str = "https://news.example.org/2024/05/02/night-buses") -> Any:
    html = f"<html lang='en'><head><title>Night buses extended</title></head><body>{body}</body></html>"
    return page_from_bytes(html.encode(), url, headers={"Content-Type": "text/html; charset=utf-8"},
                           fetched_at="2024-05-02T12:00:00+00:00")


def test_wordpress_font_size_class_is_not_a_widget() -> None:
    """has-normal-font-size is WordPress's paragraph class, not a font-size widget."""
    first = f"<p class='has-normal-font-size'>{SENTENCES[0]}</p>"
    rest = "".join(f"<p>{s}</p>" for s in SENTENCES[1:])
    tree = lxml_html.fromstring(f"<html><body><article class='entry-content'>{first}{rest}"
                                "<div class='font-size-controls'>A A A</div></article></body></html>")
    removed = Cleaner().prune_dom(tree)
    text = tree.text_content()
    assert SENTENCES[0] in text and "A A A" not in text
    assert [r.rule for r in removed] == ["dom:widget"]


def test_donation_news_paragraph_kept_appeal_removed() -> None:
    news = ("A local businessman made a donation of 10,000 euros to the fire brigade, which will buy new breathing "
            "equipment for your village's volunteers.")
    appeal = ["Independent journalism needs you.", "Donate today: support our newsroom from $1 a month."]
    kept, removed = Cleaner().clean_blocks([*SENTENCES[:3], news, *SENTENCES[3:], *appeal], CleanContext())
    assert news in kept and appeal[0] not in kept and appeal[1] not in kept
    assert {r.kind for r in removed} == {"donation"}


def test_precision_hole_prevented_and_repaired() -> None:
    """An empty icon element inside a link: precision mode used to drop the link's words with it."""
    hole = ("Er erklärte im Interview, bei hohen Temperaturen <a href='/x'><span class='icon'></span>dehne der Beton "
            "sich aus</a>. Das führe zu erhöhter Spannung, und die Fahrbahn könne an einzelnen Stellen aufbrechen.")
    body = "<article>" + "".join(f"<p>{s}</p>" for s in SENTENCES[:3]) + f"<p>{hole}</p>" + "".join(
        f"<p>{s}</p>" for s in SENTENCES[3:]) + "</article>"
    tree = parse_html(f"<html><body>{body}</body></html>")
    before = trafilatura.bare_extraction(tree, favor_precision=True, fast=True, with_metadata=False)
    assert "Temperaturen . Das" in before.text  # the mechanism: the tail of an empty element is cut
    assert keep_empty_tails(tree) == 1
    after = trafilatura.bare_extraction(tree, favor_precision=True, fast=True, with_metadata=False)
    assert "bei hohen Temperaturen dehne der Beton sich aus. Das führe" in after.text
    article = extract_article(page(body))
    assert "bei hohen Temperaturen dehne der Beton sich aus. Das führe" in article.text
    # the repair: a line of the precision run that is a gapped version of a default-run line takes that line
    whole = "Bei hohen Temperaturen dehne der Beton sich aus. Das führe zu erhöhter Spannung auf der Fahrbahn."
    gapped = "Bei hohen Temperaturen . Das führe zu erhöhter Spannung auf der Fahrbahn."
    assert has_holes([SENTENCES[0], gapped], [SENTENCES[0], whole])
    assert not has_holes([SENTENCES[0], whole], [SENTENCES[0], whole])
    assert repair_holes([SENTENCES[0], gapped], [SENTENCES[0], whole]) == [SENTENCES[0], whole]
    # a line cut short at a sentence end is not a hole
    assert repair_holes(["Bei hohen Temperaturen dehne der Beton sich aus."], [whole]) == [
        "Bei hohen Temperaturen dehne der Beton sich aus."]


def test_jsonld_article_body_used_and_source_recorded() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Night buses extended",
          "articleBody": "\n".join(SENTENCES)}
    body = f"<script type='application/ld+json'>{json.dumps(ld)}</script><div id='app'></div>"
    article = extract_article(page(body))
    assert article.blocks == SENTENCES
    assert article.extractor["source"] == "jsonld"
    assert set(article_schema()["properties"]["extractor"]["properties"]["source"]["enum"]) >= {"html", "jsonld", "embedded-json"}


def test_next_data_body_used_and_source_recorded() -> None:
    content = "<figure><img src='a.jpg'><figcaption>Photo: a bus at night</figcaption></figure>" + "".join(
        f"<p>{s}</p>" for s in SENTENCES)
    data = {"props": {"pageProps": {"article": {"id": 7, "title": "Night buses extended", "slug": "night-buses",
                                                "content": content}}}, "page": "/[slug]"}
    body = f"<div id='__next'></div><script id='__NEXT_DATA__' type='application/json'>{json.dumps(data)}</script>"
    article = extract_article(page(body))
    assert article.blocks == SENTENCES and "Photo" not in article.text
    assert article.extractor["source"] == "embedded-json"
    # a window state assignment is read the same way
    state = f"<script>window.__INITIAL_STATE__ = {json.dumps(data)};</script>"
    assert script_body(parse_html(f"<html><body><div></div>{state}</body></html>"), {}) == ("embedded-json", SENTENCES)


def test_html_body_keeps_html_source() -> None:
    article = extract_article(page("<article>" + "".join(f"<p>{s}</p>" for s in SENTENCES) + "</article>"))
    assert article.extractor["source"] == "html"


def test_full_pass_when_fast_pass_finds_a_fraction_of_a_long_page(monkeypatch) -> None:
    """EXTRACT_COMPARE_BELOW_SHARE: more than 500 characters found, but a fraction of the page's <p> text."""
    seen: list[tuple[bool, bool]] = []
    real = trafilatura.bare_extraction

    def spy(*args, **kwargs):
        seen.append((kwargs.get("favor_precision"), kwargs.get("fast")))
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)
    # The fast pass finds one long block of this page; the rest sits in teaser-like divs.
    lead = "<p>" + " ".join(SENTENCES) + "</p>"
    rest = "".join(f"<div class='teaser-text'><p>{s} {s}</p></div>" for s in SENTENCES * 3)
    base = ExtractOptions.from_settings()
    assert base.compare_below_share == 0.2
    options = dataclasses.replace(base, favor_precision=False)
    extract_article(page(f"<article>{lead}</article><section>{rest}</section>"), options)
    assert seen[0] == (False, True)
    assert seen[1] == (False, False)  # the fast pass found well under half of the page's <p> text
    seen.clear()
    extract_article(page(f"<article>{lead}</article><section>{rest}</section>"),
                    dataclasses.replace(options, compare_below_share=0.0))
    assert seen == [(False, True)]  # characters only: 500+ found, no comparison


def _sections_page(middle: str) -> tuple[str, list[str]]:
    paras = [
        "The first model heats evenly and folds away into a cupboard after use, which the tester liked a lot.",
        "It holds fifteen kilograms of washing and draws three hundred watts, about ten pence an hour to run.",
        "The second model is built like a ladder and stands against a wall, so it takes very little floor space.",
        "It is sturdy and quiet, although its rungs are far apart and small items slip between them easily.",
    ]
    return (
        "<html><body><article><div>"
        f"<div class='body-text'><p>{paras[0]}</p><p>{paras[1]}</p></div>"
        "<figure class='body-image'><img src='a.jpg'></figure>"
        f"<div class='body-text'>{middle}</div>"
        "<figure class='body-image'><img src='b.jpg'></figure>"
        f"<div class='body-text'><p>{paras[2]}</p><p>{paras[3]}</p></div>"
        "</div></article></body></html>"
    ), paras


def test_section_dropped_between_kept_siblings_restored() -> None:
    middle = ("<h2>2. The ladder airer</h2><p><a href='/shop'>£40, Shop</a></p>"
              "<p><strong>Best for small flats, 8/10</strong></p><p>We like: the low energy use</p>")
    page, paras = _sections_page(middle)
    tree = lxml_html.fromstring(page)
    blocks = Cleaner().restore_sections(tree, list(paras), CleanContext())
    assert blocks == [*paras[:2], "2. The ladder airer", "£40, Shop", "Best for small flats, 8/10",
                      "We like: the low energy use", *paras[2:]]


def test_dropped_section_of_links_or_furniture_not_restored() -> None:
    for middle in ("<p><a href='/a'>Storms expected to hit the coast over the weekend</a></p>"
                   "<p><a href='/b'>Council approves the new budget after long debate</a></p>",
                   "<p>Follow The Ledger on Twitter and Facebook for the latest news updates.</p>"
                   "<p>Got a story? Get in touch with our news team by emailing us at news@example.org.</p>"):
        page, paras = _sections_page(middle)
        assert Cleaner().restore_sections(lxml_html.fromstring(page), list(paras), CleanContext()) == paras
