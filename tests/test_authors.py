"""The author choice (pipelines/authors.py): labels, slugs, legal entities, descriptions, site names."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html

from pipelines.authors import (
    choose_authors,
    clean_name,
    is_default_account,
    is_legal_entity,
    signoff_name,
    split_authors,
    unique_names,
)

SITE = ["dailyexample", "dailyexamplecom", "عنببلدي", "enabbaladi"]


@pytest.mark.parametrize(
    "raw, names",
    [
        (["Autor Monika Bolliger", "Anna Trechsel"], ["Monika Bolliger", "Anna Trechsel"]),
        (["Autorin: Anna Schmidt"], ["Anna Schmidt"]),
        (["By: Jane Roe"], ["Jane Roe"]),
        (["بقلم: جنى العيسى"], ["جنى العيسى"]),
        (["كتبت ديانا رحيمة"], ["ديانا رحيمة"]),
        (["Av Kari Nordmann"], ["Kari Nordmann"]),
        (["신현주 기자"], ["신현주"]),
        (["松岡大地 記者"], ["松岡大地"]),
        # The URL slug of a name already there, URLs, dates.
        (["Sophie Foster", "Sophie-Foster"], ["Sophie Foster"]),
        (["chuck-ross"], []),
        (["https://www.facebook.com/example"], []),
        (["12.03.2024 10:30"], []),
        # "Last, First" is one person; "A, B" of two-word names are two.
        (["Smith, John"], ["John Smith"]),
        (["حسام المحمود، ديانا رحيمة"], ["حسام المحمود", "ديانا رحيمة"]),
        # A company's legal name is not split at its commas and "und".
        (["Chemnitzer Verlag und Druck GmbH & Co. KG"], ["Chemnitzer Verlag und Druck GmbH & Co. KG"]),
        # A job title or institution swallowed into the byline.
        (["Povilas Aleksandravičius, Mykolo Romerio universiteto Žmogaus ir visuomenės studijų fakulteto profesorius"],
         ["Povilas Aleksandravičius"]),
        # A desk with a digit in its name stays.
        (["BR24 Redaktion"], ["BR24 Redaktion"]),
        # Slash-separated names with spaces are split; an agency code "srf/hosb" is not.
        (["Jana al-Issa / Diana Rahima"], ["Jana al-Issa", "Diana Rahima"]),
    ],
)
def test_split_authors(raw: list[str], names: list[str]) -> None:
    assert split_authors(raw) == names


def test_helpers() -> None:
    assert is_legal_entity("Acme Media Ltd.") and is_legal_entity("Grupo Ejemplo S.A.") and not is_legal_entity("Ana Ltdova")
    assert unique_names(["Emma Mackenzie", "emma-mackenzie", "EMMA MACKENZIE"]) == ["Emma Mackenzie"]
    assert clean_name("Von Anna Schmidt") == "Anna Schmidt"


def test_jsonld_people_and_agencies_kept_as_listed() -> None:
    ld = [{"@type": "Person", "name": "Paula Steiger"}, {"@type": "Organization", "name": "SDA"}]
    assert choose_authors(ld, None, None, SITE) == ["Paula Steiger", "SDA"]
    # An editorial desk the JSON-LD names is an author.
    assert choose_authors({"@type": "NewsMediaOrganization", "name": "Redaktion dailyexample.com"}, "Frankfurt; Germany",
                          lambda: "Roman Warschauer", SITE) == ["Redaktion dailyexample.com"]


def test_site_or_company_as_author_gives_way_to_a_person_on_the_page() -> None:
    org = {"@type": "Organization", "name": "Daily Example"}
    assert choose_authors(org, None, lambda: "Seb Dumitru; Lille", SITE) == ["Seb Dumitru", "Lille"]
    company = {"@type": "Organization", "name": "Chemnitzer Verlag und Druck GmbH & Co. KG"}
    assert choose_authors(company, None, lambda: "Jens Kassner", SITE) == ["Jens Kassner"]
    # The meta tags name the site; the byline element a person (and the site's regional desk).
    assert choose_authors(None, "dailyexample.com", lambda: "David Straub; DAILYEXAMPLE WEST", SITE) == ["David Straub"]
    # Initials are no evidence of a person: the organisation stays.
    assert choose_authors(org, None, lambda: "Amw", SITE) == ["Daily Example"]
    # Arabic: the site's name as author, the byline names the reporter.
    assert choose_authors({"@type": "Organization", "name": "عنب بلدي"}, None, lambda: "بقلم جنى العيسى", SITE) == ["جنى العيسى"]
    # Nobody named: the site's name is what there is.
    assert choose_authors(org, None, lambda: None, SITE) == ["Daily Example"]


def test_meta_author_without_jsonld() -> None:
    assert choose_authors(None, "Sophie Foster; Sophie-Foster", None, SITE) == ["Sophie Foster"]
    assert choose_authors(None, "한국일보; 신현주 기자", None, ["한국일보"]) == ["신현주"]
    assert choose_authors(None, None, None, SITE) == []


def test_cms_default_account_is_no_byline() -> None:
    admin = {"@id": "https://example-news.com/author/admin/", "name": "Example D"}
    # The account's name is dropped wherever it appears; the sign-off names the reporter.
    assert choose_authors(admin, "Example D", lambda: "Example D", SITE, lambda: "JANE ROE") == ["JANE ROE"]
    assert choose_authors([admin], "Example D", None, SITE) == []
    assert is_default_account({"url": "https://x.org/author/admin"})
    assert not is_default_account({"url": "https://x.org/author/jane-roe/"})
    # A real account is listed as before.
    assert choose_authors({"@id": "https://x.org/author/jane-roe/", "name": "Jane Roe"}, None, None, SITE) == ["Jane Roe"]


def _tree(body: str) -> object:
    return lxml_html.fromstring(f"<html><body><article>{body}</article></body></html>")


def test_signoff_name() -> None:
    paragraphs = "<p>First paragraph of the story.</p><p>Second paragraph of the story.</p>"
    assert signoff_name(_tree(paragraphs + "<p style='text-align:right'><strong>Lê Phương</strong></p>")) == "Lê Phương"
    assert signoff_name(_tree("<p><strong>JANE ROE&nbsp;</strong></p>" + paragraphs)) == "JANE ROE"
    # A bold crosshead between paragraphs, a sentence, lower-case words, a lone paragraph: no sign-off.
    assert signoff_name(_tree("<p>One.</p><p><b>Potential Damage</b></p><p>Two.</p>")) is None
    assert signoff_name(_tree(paragraphs + "<p><strong>Read more here, 2024</strong></p>")) is None
    assert signoff_name(_tree(paragraphs + "<p><strong>more from us</strong></p>")) is None
    assert signoff_name(_tree("<p><strong>Jane Roe</strong></p>")) is None
    assert signoff_name(_tree(paragraphs + "<p>Text <strong>Jane Roe</strong></p>")) is None


def test_signoff_only_when_no_person_is_named() -> None:
    org = {"@type": "Organization", "name": "Daily Example"}
    # The site's name only: the sign-off names the person.
    assert choose_authors(org, None, lambda: None, SITE, lambda: "Lê Phương") == ["Lê Phương"]
    # A person in the JSON-LD or the byline wins; a sign-off that is the site's name is none.
    assert choose_authors({"name": "Jane Roe"}, None, None, SITE, lambda: "Lê Phương") == ["Jane Roe"]
    assert choose_authors(org, None, lambda: "Seb Dumitru", SITE, lambda: "Lê Phương") == ["Seb Dumitru"]
    assert choose_authors(org, None, lambda: None, SITE, lambda: "Daily Example") == ["Daily Example"]


def test_record_author_from_a_posting_beside_the_webpage_object() -> None:
    from pipelines.article import extract_article
    from pipelines.offline import page_from_bytes

    # The first JSON-LD object with article keys is the WebPage (no author); the BlogPosting names the
    # CMS's admin account, so the article's opening bold name is the byline.
    graph = {"@graph": [
        {"@type": "WebPage", "datePublished": "2024-11-05T13:11:53+02:00", "name": "Council row"},
        {"@type": "BlogPosting", "headline": "Council row", "datePublished": "2024-11-05T13:11:53+02:00",
         "author": {"@id": "https://example-news.com/author/admin/", "name": "Example D"}},
    ]}
    para = "The council met on Tuesday to discuss the school's goats and the rice they ate, said officials. "
    html = (
        "<html><head><title>Council row</title><meta name='author' content='Example D'>"
        f"<script type='application/ld+json'>{json.dumps(graph)}</script></head><body><h1>Council row</h1>"
        "<div class='entry-content'><p><strong>JANE ROE&nbsp;</strong></p>"
        + "".join(f"<p>{para * 3} {n}</p>" for n in range(4)) + "</div></body></html>"
    ).encode()
    article = extract_article(page_from_bytes(html, "https://example-news.com/council-row",
                                              headers={"Content-Type": "text/html; charset=utf-8"}))
    assert article.authors == ["JANE ROE"]
