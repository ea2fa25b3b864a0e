"""Other metadata: authors, language, tags/categories, canonical URL, description."""

from __future__ import annotations

import json

import pytest

from pipelines.article import extract_article, split_authors
from pipelines.language import choose_language
from pipelines.offline import page_from_bytes

ARABIC = "قال مسؤول في المجلس المحلي لمدينة إدلب إن العمل جار على إصلاح شبكة المياه في الأحياء الشرقية بعد انقطاع دام أسبوعين."
FRENCH = "Le conseil municipal a adopté mardi le nouveau budget après un long débat, a indiqué le maire dans un communiqué."


@pytest.mark.parametrize(
    "raw, names",
    [
        (["Jana al-Issa | Diana Rahima"], ["Jana al-Issa", "Diana Rahima"]),
        (["بقلم جنى العيسى"], ["جنى العيسى"]),
        (["كتب: حسام المحمود، ديانا رحيمة"], ["حسام المحمود", "ديانا رحيمة"]),
        (["By John Smith and Jane Doe"], ["John Smith", "Jane Doe"]),
        (["Par Marie Dupont et Jean Martin"], ["Marie Dupont", "Jean Martin"]),
        (["Von Anna Schmidt"], ["Anna Schmidt"]),
        (["Por Luis García y Ana Pérez"], ["Luis García", "Ana Pérez"]),
        (["Yazan Ayşe Yılmaz"], ["Ayşe Yılmaz"]),
        (["Enab Baladi", "enab baladi"], ["Enab Baladi"]),
    ],
)
def test_split_authors(raw, names):
    assert split_authors(raw) == names


def test_language_choice():
    assert choose_language(["ar"], ARABIC, None) == "ar"
    assert choose_language([None, None, None], FRENCH * 2, "en") == "fr"  # detection from the text
    assert choose_language([None, "fr-FR"], FRENCH, None) == "fr-FR"  # Content-Language
    assert choose_language(["en"], ARABIC * 2, None) == "ar"  # an Arabic text in a template saying lang="en"
    assert choose_language([None], "short", "ar") == "ar"  # too short to detect: the profile's language


def test_page_metadata():
    ld = {"@type": "NewsArticle", "headline": "H", "keywords": "إدلب, مياه", "articleSection": "محليات",
          "author": [{"@type": "Person", "name": "بقلم جنى العيسى"}], "datePublished": "2024-01-02T10:00:00+03:00"}
    html = (
        "<html><head><title>H | Site</title>"
        f"<script type='application/ld+json'>{json.dumps(ld, ensure_ascii=False)}</script>"
        "<meta name='description' content='وصف المقال'>"
        "<meta property='article:tag' content='خدمات'><meta property='article:section' content='اقتصاد'>"
        "<link rel='canonical' href='/news/1'></head>"
        "<body><h1>H</h1><div class='entry-content'>" + "".join(f"<p>{ARABIC} {n}</p>" for n in ("الأولى", "الثانية", "الثالثة")) + "</div></body></html>"
    ).encode()
    article = extract_article(page_from_bytes(html, "https://x.org/news/1?utm_source=fb", headers={"Content-Type": "text/html; charset=utf-8"}))
    assert article.language == "ar"
    assert article.authors == ["جنى العيسى"]
    assert article.tags[:3] == ["إدلب", "مياه", "خدمات"]
    assert article.categories[:2] == ["محليات", "اقتصاد"]
    assert article.canonical_url == "https://x.org/news/1"
    assert article.description == "وصف المقال"


def test_record_title_and_authors_come_from_the_choosers():
    ld = {"@type": "NewsArticle", "headline": "درعا.. احتجاجات على انقطاع الكهرباء &#8211; عنب بلدي",
          "author": {"@type": "Organization", "name": "عنب بلدي"}}
    html = (
        "<html><head><title>درعا.. احتجاجات على انقطاع الكهرباء - عنب بلدي</title>"
        "<meta property='og:site_name' content='عنب بلدي'>"
        f"<script type='application/ld+json'>{json.dumps(ld, ensure_ascii=False)}</script></head>"
        "<body><h1>درعا.. احتجاجات على انقطاع الكهرباء</h1><span class='author-name'>بقلم جنى العيسى</span>"
        "<div class='entry-content'>" + "".join(f"<p>{ARABIC} {n}</p>" for n in ("الأولى", "الثانية", "الثالثة")) + "</div></body></html>"
    ).encode()
    article = extract_article(page_from_bytes(html, "https://www.enabbaladi.net/archives/1", headers={"Content-Type": "text/html; charset=utf-8"}))
    assert article.title == "درعا.. احتجاجات على انقطاع الكهرباء"
    assert article.authors == ["جنى العيسى"]
