"""The author choice (pipelines/authors.py): labels, slugs, legal entities, descriptions, site names."""

from __future__ import annotations

import pytest

from pipelines.authors import choose_authors, clean_name, is_legal_entity, split_authors, unique_names

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
