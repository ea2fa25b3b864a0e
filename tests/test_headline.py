"""The headline choice (pipelines/headline.py): entities, site-name segments, overlines, source order."""

from __future__ import annotations

import json

from lxml import html as lxml_html

from crawler.htmlmeta import meta_index
from pipelines.headline import choose_title, clean_title, decode_entities, host_names, strip_site_segments


def _title(head: str, body: str = "", ld: dict | None = None, url: str = "https://www.example-news.com/a/1") -> str | None:
    script = f"<script type='application/ld+json'>{json.dumps(ld, ensure_ascii=False)}</script>" if ld else ""
    tree = lxml_html.fromstring(f"<html><head>{head}{script}</head><body>{body}<p>text</p></body></html>")
    return choose_title(tree, ld or {}, meta_index(tree), url)


def test_entities_decoded_once() -> None:
    assert decode_entities("Kohberger&#8217;s &quot;plan&quot;") == "Kohberger’s \"plan\""
    assert decode_entities("zerst&ouml;ren") == "zerstören"
    assert decode_entities("AT&T and R&D") == "AT&T and R&D"  # no entity: left alone
    # A JSON-LD headline written with HTML escapes.
    assert _title("", ld={"headline": "Türkiye&#039;de orman yangınları"}) == "Türkiye'de orman yangınları"
    # og:title entity-encoded twice in the HTML: one layer left after parsing, decoded here.
    assert _title("<meta property='og:title' content='&amp;quot;شعر وردي&amp;quot; يُشعل السخرية'>") == '"شعر وردي" يُشعل السخرية'


def test_site_name_segments_cut() -> None:
    sites = ["börsenzeitung", "毎日新聞", "thenamibian", "namibian"]
    assert strip_site_segments("Steigende US-Zinsen setzen Dax zu | Börsen-Zeitung", sites) == "Steigende US-Zinsen setzen Dax zu"
    assert strip_site_segments("イスラエルとハマスの停戦 - 毎日新聞", sites) == "イスラエルとハマスの停戦"
    assert strip_site_segments("Nam, SA Green hydrogen pipeline flagged - The Namibian", sites) == "Nam, SA Green hydrogen pipeline flagged"
    # A hyphen inside the headline is not a separator, and a segment not naming the site stays.
    assert strip_site_segments("Wi-Fi 7 - what changes", sites) == "Wi-Fi 7 - what changes"
    # The section glued on, then the site: "Headline-정치ㅣ한국일보".
    assert strip_site_segments("장동혁, 한동훈 제명했지만-정치ㅣ한국일보", ["한국일보"], ["정치"]) == "장동혁, 한동훈 제명했지만"
    # A byline appended to the title.
    assert strip_site_segments("Roommate agrees to interview | The Gateway | by Jane Roe", ["thegateway"]) == "Roommate agrees to interview"
    # Nothing but the site's name: no headline.
    assert clean_title("Freie Presse", ["freiepresse"]) is None


def test_host_names() -> None:
    assert host_names("https://www.globalnews.ca/news/1") == ["globalnews.ca", "globalnews"]
    assert host_names("https://www.bbc.co.uk/news/1") == ["bbc.co.uk", "bbc"]
    assert host_names("https://www.enabbaladi.net/123/") == ["enabbaladi.net", "enabbaladi"]


def test_og_title_first_and_site_name_from_host() -> None:
    head = ("<title>درعا.. احتجاجات على انقطاع الكهرباء - عنب بلدي</title>"
            "<meta property='og:site_name' content='عنب بلدي'>"
            "<meta property='og:title' content='درعا.. احتجاجات على انقطاع الكهرباء'>")
    assert _title(head, url="https://www.enabbaladi.net/1/") == "درعا.. احتجاجات على انقطاع الكهرباء"
    # og:title carrying the site name, h1 without it.
    head = "<meta property='og:title' content='Wero besteht Praxistest im digitalen Handel | Börsen-Zeitung'>"
    assert _title(head, "<h1>Wero besteht Praxistest im digitalen Handel</h1>",
                  url="https://www.boersen-zeitung.de/x") == "Wero besteht Praxistest im digitalen Handel"


def test_generic_site_title_is_not_the_headline() -> None:
    ld = {"@type": "NewsArticle", "headline": "Freie Presse"}
    assert _title("<title>Freie Presse</title>", "<h1>Chemnitzer Hutfestival: Wann das Fest steigt</h1>", ld,
                  url="https://www.freiepresse.de/x") == "Chemnitzer Hutfestival: Wann das Fest steigt"


def test_section_label_and_overline_reduced_to_the_shared_headline() -> None:
    # JSON-LD "Headline | Sport" where og:title and the h1 say "Headline".
    ld = {"@type": "NewsArticle", "headline": "Thioune fordert Geduld mit Niemiec | Sport"}
    assert _title("<title>Thioune fordert Geduld mit Niemiec | Sport | BILD.de</title>",
                  "<h1>Thioune fordert Geduld mit Niemiec</h1>", ld, url="https://www.bild.de/x") == \
        "Thioune fordert Geduld mit Niemiec"
    # Two different overlines before the same headline (og:title and the h1): the headline.
    head = "<meta property='og:title' content='Iranischer Angriff auf Israel: «Die Zurückhaltung hat mit den USA zu tun»'>"
    body = ("<h1><span class='overline'>Eskalation im Nahen Osten</span><span class='sr-only'> - </span>"
            "<span>«Die Zurückhaltung hat mit den USA zu tun»</span></h1>")
    assert _title(head, body) == "«Die Zurückhaltung hat mit den USA zu tun»"
    # A kicker that is part of every source stays.
    head = "<meta property='og:title' content='Evangelische Kirche: Landeskirche will Missbrauch aufarbeiten'>"
    assert _title(head, "<h1>Evangelische Kirche: Landeskirche will Missbrauch aufarbeiten</h1>") == \
        "Evangelische Kirche: Landeskirche will Missbrauch aufarbeiten"


def test_source_order_without_og() -> None:
    ld = {"@type": "NewsArticle", "headline": "Mbumba recounts Geingob’s last days"}
    assert _title("<title>Other title - The Namibian</title>", "<h1>Something else</h1>", ld) == "Mbumba recounts Geingob’s last days"
    assert _title("<title>Only a title | Example News</title>") == "Only a title"
    assert _title("", "<h1> Only an   h1 </h1>") == "Only an h1"


def test_meta_headline_is_a_source_and_reduces_a_glued_section_label() -> None:
    # og:title carries the section glued on with a bare hyphen; <meta name="headline"> has the headline alone.
    head = ("<title>Budget talks stall again-Politics | Example News</title>"
            "<meta property='og:title' content='Budget talks stall again-Politics'>"
            "<meta name='headline' content='Budget talks stall again'>")
    assert _title(head) == "Budget talks stall again"
    # Alone, it is taken before the <title>.
    assert _title("<title>Other words | Example News</title><meta itemprop='headline' content='The headline'>") == \
        "The headline"
