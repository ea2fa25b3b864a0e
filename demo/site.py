"""The bundled demo news site: content model, rendering and URL routing.

A small WordPress-style Syrian news site in the manner of Enab Baladi, with an
Arabic edition at ``/`` and an English edition under ``/en/``.  It exists so
that ``make demo`` and the test-suite have something realistic to crawl:
article pages with and without structured metadata, listing and static pages
that are *not* articles, RSS feeds, sitemaps (index, posts, pages, Google
News), ``robots.txt``, images, redirects and 404s; and what a reader's browser
loads with a page (:mod:`demo.assets`): featured images in several sizes
(JPEG and WebP), the theme's stylesheets, web font, background images, site
icon and scripts, and images on a second origin, the image CDN
(:func:`render_cdn`).

Everything here is pure: :func:`render` maps a request path (optionally with a
query string) to ``(status, headers, body)`` without touching the network, so
tests can call it directly; :mod:`demo.server` serves it over HTTP.

Content comes from ``articles.json`` beside this module (see
:func:`load_articles`).  Each article has a ``metadata`` field:

``"jsonld"``
    JSON-LD ``NewsArticle`` + Open Graph ``og:type=article`` +
    ``article:published_time``; the byline date is wrapped in ``<time>``.
``"opengraph"``
    Open Graph article tags only (no JSON-LD, no ``<time>``).
``"none"``
    No article metadata at all, like an old news site: the publication date
    is visible only in the byline text (``<span class="date">``).

Template variants that make main-text extraction non-trivial:

* the donation appeal is rendered *inside* ``div.entry-content`` after the
  last paragraph when :func:`appeal_inside` is true (``id % 3 == 0``), and
  right after it otherwise;
* articles in :data:`INLINE_READ_ALSO_IDS` get a "Read also: <link>"
  paragraph in the middle of the body;
* article :data:`TRACKED_ARTICLE_ID` is linked from the home page and the
  feed with a ``?utm_source=feed`` query; its canonical URL has no query.

The featured image (``<figure>`` before the body) always has
``src="/wp-content/uploads/NAME.jpg"`` (the 160x90 full size) and a
``srcset`` of the three sizes with ``sizes``; articles with metadata also have
``og:image`` (the same full-size URL).  The markup varies:

* articles in :data:`LAZY_IMAGE_IDS`: lazy-loading markup, a ``<noscript>``
  ``<img>`` then an ``img.lazyload`` with a data-URI GIF ``src`` and
  ``data-src``/``data-srcset``;
* articles in :data:`PICTURE_IMAGE_IDS`: a ``<picture>`` with a WebP
  ``<source>``;
* articles in :data:`CDN_IMAGE_IDS`: the ``srcset`` candidates are on the
  image CDN (:func:`demo.assets.cdn_base_url`), Jetpack style; the ``src``
  stays on the site;
* the others: a plain ``<img>`` with ``srcset`` on the site.

Absolute URLs (canonical, Open Graph, JSON-LD, feeds, sitemaps, robots.txt,
redirect ``Location``, site icons) are built from the ``base_url`` given to
:func:`render`, because the host and port are only known at serve time; the
CDN's origin is derived from it unless ``cdn_url`` is given.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from . import assets
from . import templates as T

__all__ = [
    "ARTICLES_PATH",
    "BROKEN_LINK_PATH",
    "CDN_IMAGE_IDS",
    "DEFAULT_BASE_URL",
    "INLINE_READ_ALSO_IDS",
    "LAZY_IMAGE_IDS",
    "PICTURE_IMAGE_IDS",
    "REDIRECT_LINK_IDS",
    "TRACKED_ARTICLE_ID",
    "TRACKING_QUERY",
    "Article",
    "Headers",
    "Image",
    "Response",
    "Term",
    "appeal_inside",
    "article_path",
    "article_text",
    "article_url",
    "articles_for",
    "cdn_base_url",
    "get_article",
    "jpeg_bytes",
    "load_articles",
    "render",
    "render_cdn",
]

Headers = list[tuple[str, str]]
"""Response headers as ``(name, value)`` pairs; names may repeat."""

Response = tuple[int, Headers, bytes]
"""``(status, headers, body)`` as returned by :func:`render`."""

Lang = Literal["ar", "en"]
MetadataMode = Literal["jsonld", "opengraph", "none"]

ARTICLES_PATH = Path(__file__).with_name("articles.json")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

HTML_TYPE = "text/html; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
CSS_TYPE = "text/css; charset=utf-8"
JPEG_TYPE = "image/jpeg"

#: Linked from both home pages; no such article exists, so the crawl meets a 404.
BROKEN_LINK_PATH = "/archives/999999"
#: ``/old-news/{id}`` links placed on the Arabic and English home pages (301s).
REDIRECT_LINK_IDS: dict[str, int] = {"ar": 345216, "en": 328905}
#: Article linked with a tracking query from the home page and the feed.
TRACKED_ARTICLE_ID = 710577
TRACKING_QUERY = "utm_source=feed"
#: Articles with a "Read also: <a>…</a>" paragraph in the middle of the body.
INLINE_READ_ALSO_IDS = frozenset({556730, 590164})
#: Articles whose featured image has lazy-loading markup (``img.lazyload`` + ``<noscript>``).
LAZY_IMAGE_IDS = frozenset({710577, 411378, 646919, 712960})
#: Articles whose featured image is a ``<picture>`` with a WebP ``<source>``.
PICTURE_IMAGE_IDS = frozenset({696402, 556730, 749063, 478301})
#: Articles whose ``srcset`` (or ``data-srcset``) candidates are on the image CDN.
CDN_IMAGE_IDS = frozenset({372146, 590164, 421657, 646919})

cdn_base_url = assets.cdn_base_url

FEED_SIZE = 10
NEWS_SITEMAP_SIZE = 5
PAGE_SIZE = 10
COPYRIGHT_YEAR = 2025

_HTTP_EPOCH = datetime(2025, 4, 1, tzinfo=UTC)  # Last-Modified of static pages


# --------------------------------------------------------------------------
# Content model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A category or tag (slug is URL-safe or Arabic, name is display text)."""

    slug: str
    name: str


@dataclass(frozen=True)
class Image:
    """Featured image: file under ``/wp-content/uploads/`` and its caption."""

    file: str
    caption: str


@dataclass(frozen=True, eq=False)
class Article:
    """One news article of either edition (see ``articles.json``)."""

    id: int
    slug: str
    lang: Lang
    title: str
    author: str
    published: datetime
    modified: datetime | None
    byline_date: str
    category: Term
    tags: tuple[Term, ...]
    image: Image | None
    summary: str
    paragraphs: tuple[str, ...]
    subheadings: dict[int, str]
    metadata: MetadataMode
    seed: bool = False

    @property
    def path(self) -> str:
        """Site-relative URL path, e.g. ``/archives/372146``."""
        return article_path(self)

    @property
    def authors(self) -> list[str]:
        """Individual bylines (``"A | B"`` means two authors)."""
        return [name.strip() for name in self.author.split(" | ")]

    @property
    def last_modified(self) -> datetime:
        """``modified`` if set, else ``published``."""
        return self.modified or self.published


def _parse_article(raw: dict[str, Any]) -> Article:
    category = raw["category"]
    image = raw.get("image")
    return Article(
        id=int(raw["id"]),
        slug=str(raw["slug"]),
        lang="ar" if raw["lang"] == "ar" else "en",
        title=str(raw["title"]),
        author=str(raw["author"]),
        published=datetime.fromisoformat(raw["published"]),
        modified=datetime.fromisoformat(raw["modified"]) if raw.get("modified") else None,
        byline_date=str(raw["byline_date"]),
        category=Term(category["slug"], category["name"]),
        tags=tuple(Term(t["slug"], t["name"]) for t in raw.get("tags", [])),
        image=Image(image["file"], image["caption"]) if image else None,
        summary=str(raw["summary"]),
        paragraphs=tuple(raw["paragraphs"]),
        subheadings={int(k): str(v) for k, v in (raw.get("subheadings") or {}).items()},
        metadata=raw.get("metadata", "none"),
        seed=bool(raw.get("seed", False)),
    )


@functools.cache
def load_articles() -> tuple[Article, ...]:
    """All articles of both editions, newest first."""
    raw = json.loads(ARTICLES_PATH.read_text(encoding="utf-8"))
    articles = [_parse_article(item) for item in raw]
    articles.sort(key=lambda a: a.published, reverse=True)
    return tuple(articles)


def articles_for(lang: str) -> list[Article]:
    """Articles of one edition (``"ar"`` or ``"en"``), newest first."""
    return [a for a in load_articles() if a.lang == lang]


def get_article(article_id: int) -> Article | None:
    """The article with this id, or ``None``."""
    return _articles_by_id().get(article_id)


@functools.cache
def _articles_by_id() -> dict[int, Article]:
    return {a.id: a for a in load_articles()}


def article_path(article: Article) -> str:
    """``/archives/{id}`` (Arabic) or ``/en/archives/{id}`` (English)."""
    return f"{_EDITIONS[article.lang].prefix}/archives/{article.id}"


def article_url(article: Article, base_url: str | None = None) -> str:
    """Absolute canonical URL of an article."""
    return _base(base_url) + article_path(article)


def article_text(article: Article) -> str:
    """The article's main text as an extractor should find it.

    Subheadings and paragraphs in document order, one per line; no title,
    caption or page furniture.
    """
    lines: list[str] = []
    for index, paragraph in enumerate(article.paragraphs):
        if index in article.subheadings:
            lines.append(article.subheadings[index])
        lines.append(paragraph)
    return "\n".join(lines)


def appeal_inside(article: Article) -> bool:
    """Whether the donation appeal is rendered inside ``div.entry-content``."""
    return article.id % 3 == 0


# --------------------------------------------------------------------------
# Editions (localised strings)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edition:
    lang: Lang
    prefix: str
    direction: str
    locale: str
    site_name: str
    tagline: str
    s: dict[str, str]  # localised UI strings

    def path(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"


_AR_STRINGS: dict[str, str] = {
    "home": "الرئيسية",
    "skip": "انتقل إلى المحتوى",
    "menu": "القائمة الرئيسية",
    "search": "بحث",
    "breaking": "عاجل",
    "most_read": "الأكثر قراءة",
    "newsletter": "النشرة البريدية",
    "subscribe": "اشترك",
    "feed_label": "الخلاصة",
    "latest": "آخر الأخبار",
    "from_archive": "من الأرشيف",
    "older": "الأقدم",
    "newer": "الأحدث",
    "by": "كتب:",
    "share": "شارك",
    "tags": "الكلمات المفتاحية:",
    "read_also": "اقرأ أيضًا",
    "read_also_inline": "اقرأ أيضًا:",
    "comments": "التعليقات",
    "no_comments": "لا توجد تعليقات حتى الآن، كن أول من يعلق على هذا المقال.",
    "leave_comment": "اترك تعليقًا",
    "name": "الاسم",
    "submit": "إرسال التعليق",
    "font_letter": "ع",
    "font_smaller": "تصغير الخط",
    "font_normal": "الخط الافتراضي",
    "font_larger": "تكبير الخط",
    "about": "من نحن",
    "contact": "اتصل بنا",
    "support": "ادعمنا",
    "footer_about_title": "عن عنب بلدي",
    "footer_about_text": "مؤسسة إعلامية سورية مستقلة غير ربحية، تنشر الأخبار والتحقيقات والتقارير عن الشأن السوري منذ عام 2012.",
    "copyright": f"© {COPYRIGHT_YEAR} عنب بلدي. جميع الحقوق محفوظة.",
    "other_edition": "English",
    "category_intro": "أحدث الأخبار والتقارير في قسم {name} من عنب بلدي.",
    "tag_heading": "الوسم: {name}",
    "tag_intro": "المقالات المنشورة تحت وسم {name}.",
    "author_heading": "مقالات {name}",
    "author_intro": "جميع المقالات التي كتبها {name} في عنب بلدي.",
    "page_heading": "آخر الأخبار - الصفحة {n}",
    "page_intro": "أرشيف الأخبار المنشورة في عنب بلدي.",
    "no_posts": "لا توجد مقالات في هذا القسم حاليًا.",
    "broken_title": "ملف خاص: عشر سنوات على انطلاق عنب بلدي",
    "not_found": "الصفحة غير موجودة",
    "not_found_text": "عذرًا، لم نتمكن من العثور على الصفحة التي تبحث عنها. ربما حذفت أو تغير رابطها.",
    "close": "إغلاق",
    "appeal1": "الإعلام الموجّه يشوه الحقيقة في بلادنا ويطيل أمد الحرب..",
    "appeal2": "سوريا بحاجة للصحافة الحرة.. ونحن بحاجتك لنبقى مستقلين",
    "appeal3": "ادعم عنب بلدي",
    "appeal4": "دولار واحد شهريًا يصنع الفرق",
    "appeal5": "اضغط هنا للمساهمة",
}

_EN_STRINGS: dict[str, str] = {
    "home": "Home",
    "skip": "Skip to content",
    "menu": "Main menu",
    "search": "Search",
    "breaking": "Breaking",
    "most_read": "Most read",
    "newsletter": "Newsletter",
    "subscribe": "Subscribe",
    "feed_label": "Feed",
    "latest": "Latest news",
    "from_archive": "From the archive",
    "older": "Older posts",
    "newer": "Newer posts",
    "by": "By",
    "share": "Share",
    "tags": "Tags:",
    "read_also": "Read also",
    "read_also_inline": "Read also:",
    "comments": "Comments",
    "no_comments": "No comments yet. Be the first to comment on this article.",
    "leave_comment": "Leave a comment",
    "name": "Name",
    "submit": "Post comment",
    "font_letter": "A",
    "font_smaller": "Smaller text",
    "font_normal": "Default text size",
    "font_larger": "Larger text",
    "about": "About us",
    "contact": "Contact",
    "support": "Support us",
    "footer_about_title": "About Enab Baladi",
    "footer_about_text": "An independent, non-profit Syrian media organisation publishing news, investigations and reports on Syria since 2012.",
    "copyright": f"© {COPYRIGHT_YEAR} Enab Baladi. All rights reserved.",
    "other_edition": "عربي",
    "category_intro": "The latest news and reports in the {name} section of Enab Baladi.",
    "tag_heading": "Tag: {name}",
    "tag_intro": "Articles published under the tag {name}.",
    "author_heading": "Articles by {name}",
    "author_intro": "All articles written by {name} for Enab Baladi.",
    "page_heading": "Latest news - page {n}",
    "page_intro": "Archive of news published by Enab Baladi.",
    "no_posts": "There are no articles in this section yet.",
    "broken_title": "Special file: ten years of Enab Baladi",
    "not_found": "Page not found",
    "not_found_text": "Sorry, we could not find the page you are looking for. It may have been removed or its address may have changed.",
    "close": "Close",
    "appeal1": "Directed media distorts the truth in our country and prolongs the war..",
    "appeal2": "Syria needs free press.. and we need you to stay independent",
    "appeal3": "Support Enab Baladi",
    "appeal4": "One dollar a month makes the difference",
    "appeal5": "Click here to contribute",
}

_EDITIONS: dict[str, _Edition] = {
    "ar": _Edition("ar", "", "rtl", "ar_AR", "عنب بلدي", "صحيفة سورية مستقلة", _AR_STRINGS),
    "en": _Edition("en", "/en", "ltr", "en_US", "Enab Baladi", "Independent Syrian newspaper", _EN_STRINGS),
}

_CATEGORY_ORDER = ("politics", "economy", "society", "culture", "health", "sport")

_STATIC_PAGES: dict[str, dict[str, tuple[str, list[str]]]] = {
    "ar": {
        "about": (
            "من نحن",
            [
                "عنب بلدي مؤسسة إعلامية سورية مستقلة غير ربحية، انطلقت بصحيفة أسبوعية محلية في مدينة داريا بريف دمشق، ثم توسعت لتصبح منصة إخبارية تغطي الشأن السوري بمختلف جوانبه، عبر موقع إلكتروني وصحيفة مطبوعة وبرامج مرئية ومسموعة.",
                "تعمل في عنب بلدي شبكة من المراسلين والمحررين داخل سوريا وخارجها، وتلتزم بمعايير مهنية واضحة في التحقق من المعلومات والفصل بين الخبر والرأي، وتحرص على نقل أصوات السوريين في مختلف المناطق بعيدًا عن الاستقطاب السياسي.",
                "تنشر المؤسسة الأخبار اليومية والتقارير الميدانية والتحقيقات الاستقصائية، إلى جانب ملفات متخصصة في الاقتصاد والمجتمع والثقافة، وتصدر نسختها الإنجليزية لإيصال القصص السورية إلى القراء حول العالم.",
                "تعتمد عنب بلدي في تمويلها على منح من مؤسسات داعمة لحرية الصحافة وعلى مساهمات القراء، ولا تقبل أي تمويل مشروط يمس استقلالية خطها التحريري.",
            ],
        ),
        "contact": (
            "اتصل بنا",
            [
                "يسعدنا تلقي ملاحظاتكم واقتراحاتكم وتصويباتكم، كما نستقبل القصص والمعلومات التي ترغبون في إيصالها إلى فريق التحرير، مع التزامنا بحماية هوية المصادر.",
                "للتواصل مع فريق التحرير: newsroom@example.org — وللإعلانات والشراكات: partners@example.org.",
            ],
        ),
        "support": (
            "ادعم عنب بلدي",
            [
                "تعتمد استمرارية الصحافة المستقلة على قرائها. مساهمتك، مهما كانت صغيرة، تساعدنا على تغطية تكاليف المراسلين والتحقق من المعلومات والوصول إلى المناطق التي يصعب الوصول إليها.",
                "يمكنك المساهمة بمبلغ شهري أو لمرة واحدة عبر وسائل الدفع الإلكتروني، وستصلك رسالة تأكيد بعد إتمام العملية.",
            ],
        ),
    },
    "en": {
        "about": (
            "About us",
            [
                "Enab Baladi is an independent, non-profit Syrian media organisation. It started as a local weekly newspaper in the town of Daraya, near Damascus, and has grown into a news platform covering Syrian affairs through a website, a printed newspaper and audio-visual programmes.",
                "A network of correspondents and editors inside and outside Syria works for Enab Baladi. The organisation follows clear professional standards for verifying information and for separating news from opinion, and it aims to reflect the voices of Syrians in all regions of the country.",
                "Besides daily news, Enab Baladi publishes field reports, investigations and in-depth files on the economy, society and culture. The English edition brings these Syrian stories to readers around the world.",
                "Enab Baladi is funded by grants from organisations that support press freedom and by contributions from its readers, and it accepts no funding that would compromise its editorial independence.",
            ],
        ),
        "contact": (
            "Contact",
            [
                "We welcome your feedback, suggestions and corrections, as well as stories and information you would like to share with our editorial team. We are committed to protecting the identity of our sources.",
                "Editorial team: newsroom@example.org — Advertising and partnerships: partners@example.org.",
            ],
        ),
        "support": (
            "Support Enab Baladi",
            [
                "Independent journalism depends on its readers. Your contribution, however small, helps us pay our correspondents, verify information and report from places that are hard to reach.",
                "You can contribute monthly or once by electronic payment, and you will receive a confirmation message once the payment is complete.",
            ],
        ),
    },
}


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _base(base_url: str | None) -> str:
    return (base_url or DEFAULT_BASE_URL).rstrip("/")


def _e(text: str) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(text, quote=True)


def _x(text: str) -> str:
    """Escape text for XML element content."""
    return xml_escape(text)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _term_path(edition: _Edition, kind: str, slug: str) -> str:
    return edition.path(f"/{kind}/{quote(slug)}/")


def _author_slug(name: str) -> str:
    if name in ("عنب بلدي", "Enab Baladi"):
        return "enab-baladi"
    slug = re.sub(r"\s+", "-", name.strip())
    return slug.lower() if slug.isascii() else slug


def _categories(lang: str) -> list[Term]:
    found = {a.category.slug: a.category for a in articles_for(lang)}
    return [found[slug] for slug in _CATEGORY_ORDER if slug in found]


def _json_ld(data: object) -> str:
    payload = json.dumps(data, ensure_ascii=False, indent=None).replace("</", "<\\/")
    return f'<script type="application/ld+json">{payload}</script>'


def _meta(prop: str, content: str, attr: str = "property") -> str:
    return f'<meta {attr}="{_e(prop)}" content="{_e(content)}">'


def _html_response(body: str, status: int = 200, extra: Headers | None = None) -> Response:
    headers: Headers = [("Content-Type", HTML_TYPE)]
    if extra:
        headers.extend(extra)
    return status, headers, body.encode("utf-8")


def _redirect(location: str, status: int = 301) -> Response:
    body = f'<!DOCTYPE html><html><head><title>Moved</title></head><body><a href="{_e(location)}">{_e(location)}</a></body></html>'
    return status, [("Content-Type", HTML_TYPE), ("Location", location)], body.encode("utf-8")


def _most_read(lang: str) -> list[Article]:
    """A stable pseudo-random pick of five articles ("most read" widget)."""
    ranked = sorted(articles_for(lang), key=lambda a: hashlib.md5(str(a.id).encode()).hexdigest())
    return ranked[:5]


def _related(article: Article, count: int = 3) -> list[Article]:
    """Same-edition articles, same category first, then nearest in time."""
    others = [a for a in articles_for(article.lang) if a.id != article.id]
    others.sort(
        key=lambda a: (
            a.category.slug != article.category.slug,
            abs((a.published - article.published).total_seconds()),
            a.id,
        )
    )
    return others[:count]


# --------------------------------------------------------------------------
# Page assembly
# --------------------------------------------------------------------------


def _layout(
    edition: _Edition,
    base: str,
    *,
    doc_title: str,
    main: str,
    head_meta: Sequence[str],
    body_class: str,
    current_category: str | None = None,
) -> str:
    s = edition.s
    nav = [
        f'<li class="menu-item menu-item-home"><a href="{base}{edition.path("/")}">{_e(s["home"])}</a></li>'
    ]
    for term in _categories(edition.lang):
        current = " current-menu-item" if term.slug == current_category else ""
        nav.append(
            f'<li class="menu-item menu-item-category{current}"><a href="{base}{_term_path(edition, "category", term.slug)}">{_e(term.name)}</a></li>'
        )
    nav.append(f'<li class="menu-item"><a href="{base}{edition.path("/about/")}">{_e(s["about"])}</a></li>')
    breaking = [
        f'<li><a href="{base}{a.path}">{_e(a.title)}</a></li>' for a in articles_for(edition.lang)[:3]
    ]
    most_read = [f'<li><a href="{base}{a.path}">{_e(a.title)}</a></li>' for a in _most_read(edition.lang)]
    other = _EDITIONS["en" if edition.lang == "ar" else "ar"]
    return T.LAYOUT.substitute(
        base_url=base,
        lang=edition.lang,
        dir=edition.direction,
        doc_title=_e(doc_title),
        head_meta="\n".join(head_meta),
        site_name=_e(edition.site_name),
        tagline=_e(edition.tagline),
        feed_label=_e(s["feed_label"]),
        feed_url=f"{base}{edition.path('/feed/')}",
        body_class=body_class,
        skip_label=_e(s["skip"]),
        other_edition_url=f"{base}{other.path('/')}",
        other_edition_lang=other.lang,
        other_edition_label=_e(s["other_edition"]),
        home_url=f"{base}{edition.path('/')}",
        menu_label=_e(s["menu"]),
        nav_items="\n".join(nav),
        search_label=_e(s["search"]),
        breaking_label=_e(s["breaking"]),
        breaking_items="\n".join(breaking),
        main=main,
        most_read_label=_e(s["most_read"]),
        most_read_items="\n".join(most_read),
        newsletter_label=_e(s["newsletter"]),
        subscribe_label=_e(s["subscribe"]),
        footer_about_title=_e(s["footer_about_title"]),
        footer_about_text=_e(s["footer_about_text"]),
        about_url=edition.path("/about/"),
        about_label=_e(s["about"]),
        contact_url=edition.path("/contact/"),
        contact_label=_e(s["contact"]),
        support_url=edition.path("/support/"),
        support_label=_e(s["support"]),
        copyright=_e(s["copyright"]),
    )


def _website_meta(edition: _Edition, title: str, url: str, description: str) -> list[str]:
    """Head tags of non-article pages (``og:type`` is ``website``)."""
    return [
        f'<meta name="description" content="{_e(description)}">',
        f'<link rel="canonical" href="{_e(url)}">',
        _meta("og:locale", edition.locale),
        _meta("og:type", "website"),
        _meta("og:title", title),
        _meta("og:description", description),
        _meta("og:url", url),
        _meta("og:site_name", edition.site_name),
    ]


def _appeal(edition: _Edition) -> str:
    s = edition.s
    return T.APPEAL.substitute(
        close_label=_e(s["close"]),
        line1=_e(s["appeal1"]),
        line2=_e(s["appeal2"]),
        line3=_e(s["appeal3"]),
        line4=_e(s["appeal4"]),
        line5=_e(s["appeal5"]),
        support_url=edition.path("/support/"),
    )


def _article_head(article: Article, edition: _Edition, base: str, url: str) -> list[str]:
    head = [
        f'<meta name="description" content="{_e(article.summary)}">',
        f'<link rel="canonical" href="{_e(url)}">',
        f'<link rel="shortlink" href="{base}/?p={article.id}">',
    ]
    if article.metadata == "none":
        return head
    image_url = f"{base}/wp-content/uploads/{quote(article.image.file)}" if article.image else None
    head += [
        _meta("og:locale", edition.locale),
        _meta("og:type", "article"),
        _meta("og:title", article.title),
        _meta("og:description", article.summary),
        _meta("og:url", url),
        _meta("og:site_name", edition.site_name),
        _meta("article:published_time", article.published.isoformat()),
    ]
    if article.modified:
        head.append(_meta("article:modified_time", article.modified.isoformat()))
    if article.metadata == "jsonld":
        head.append(_meta("article:section", article.category.name))
        head.extend(_meta("article:tag", tag.name) for tag in article.tags)
    if image_url:
        head.append(_meta("og:image", image_url))
    head.append(_meta("twitter:card", "summary_large_image", attr="name"))
    if article.metadata == "jsonld":
        authors = [
            {"@type": "Organization", "name": name, "url": f"{base}{edition.path('/')}"}
            if _author_slug(name) == "enab-baladi"
            else {
                "@type": "Person",
                "name": name,
                "url": f"{base}{_term_path(edition, 'author', _author_slug(name))}",
            }
            for name in article.authors
        ]
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": article.title,
            "description": article.summary,
            "datePublished": article.published.isoformat(),
            "dateModified": article.last_modified.isoformat(),
            "author": authors if len(authors) > 1 else authors[0],
            "publisher": {
                "@type": "Organization",
                "name": edition.site_name,
                "logo": {"@type": "ImageObject", "url": f"{base}/wp-content/uploads/logo.jpg"},
            },
            "articleSection": article.category.name,
            "keywords": [tag.name for tag in article.tags],
            "inLanguage": article.lang,
        }
        if image_url:
            data["image"] = {"@type": "ImageObject", "url": image_url, "width": 800, "height": 450}
        head.append(_json_ld(data))
    return head


def _article_body(article: Article, edition: _Edition, base: str) -> str:
    parts: list[str] = []
    inline_at = len(article.paragraphs) // 2 if article.id in INLINE_READ_ALSO_IDS else -1
    related_pool = _related(article, count=4)
    for index, paragraph in enumerate(article.paragraphs):
        if index in article.subheadings:
            parts.append(f"<h2>{_e(article.subheadings[index])}</h2>")
        if index == inline_at and related_pool:
            target = related_pool[-1]
            parts.append(
                f'<p class="read-also-inline"><strong>{_e(edition.s["read_also_inline"])}</strong> '
                f'<a href="{base}{target.path}">{_e(target.title)}</a></p>'
            )
        parts.append(f"<p>{_e(paragraph)}</p>")
    if appeal_inside(article):
        parts.append(_appeal(edition))
    return "\n".join(parts)


def _figure(article: Article, base: str, cdn: str) -> str:
    """The featured-image ``<figure>`` of an article (see the module docstring)."""
    image = article.image
    if image is None:
        return ""
    if article.id in CDN_IMAGE_IDS:
        candidates = [assets.cdn_image_url(cdn, base, image.file, size) for size in assets.IMAGE_SIZES]
    else:
        candidates = [
            assets.UPLOADS_PATH + quote(assets.sized_name(image.file, size)) for size in assets.IMAGE_SIZES
        ]
    srcset = ", ".join(
        f"{url} {size.width}w" for url, size in zip(candidates, assets.IMAGE_SIZES, strict=True)
    )
    values = {
        "file": quote(image.file),
        "srcset": _e(srcset),
        "sizes": assets.IMAGE_SIZES_ATTR,
        "alt": _e(article.title),
        "caption": _e(image.caption),
    }
    if article.id in PICTURE_IMAGE_IDS:
        webp = ", ".join(
            f"{assets.UPLOADS_PATH}{quote(assets.sized_name(image.file, size, webp=True))} {size.width}w"
            for size in assets.IMAGE_SIZES
        )
        return T.FIGURE_PICTURE.substitute(values, webp_srcset=_e(webp))
    if article.id in LAZY_IMAGE_IDS:
        return T.FIGURE_LAZY.substitute(values)
    return T.FIGURE.substitute(values)


def _render_article(article: Article, base: str, cdn: str) -> Response:
    edition = _EDITIONS[article.lang]
    s = edition.s
    url = base + article.path
    quoted_url = quote(url, safe="")
    author_links = " | ".join(
        f'<a class="author url fn" href="{base}{_term_path(edition, "author", _author_slug(name))}" rel="author">{_e(name)}</a>'
        for name in article.authors
    )
    date = _e(article.byline_date)
    if article.metadata == "jsonld":
        date = f'<time class="entry-date published" datetime="{article.published.isoformat()}">{date}</time>'
    figure = _figure(article, base, cdn)
    tag_links = " ".join(
        f'<a href="{base}{_term_path(edition, "tag", tag.slug)}" rel="tag">{_e(tag.name)}</a>'
        for tag in article.tags
    )
    related = "\n".join(
        f'<li><a href="{base}{a.path}">{_e(a.title)}</a> <span class="post-date">{_e(a.byline_date)}</span></li>'
        for a in _related(article)
    )
    main = T.ARTICLE.substitute(
        id=article.id,
        thumb_class=" has-post-thumbnail" if article.image else "",
        category_slug=_e(article.category.slug),
        home_url=f"{base}{edition.path('/')}",
        home_label=_e(s["home"]),
        category_url=f"{base}{_term_path(edition, 'category', article.category.slug)}",
        category_name=_e(article.category.name),
        title=_e(article.title),
        by_label=_e(s["by"]),
        author_links=author_links,
        date=date,
        figure=figure,
        font_letter=s["font_letter"],
        font_smaller=_e(s["font_smaller"]),
        font_normal=_e(s["font_normal"]),
        font_larger=_e(s["font_larger"]),
        body=_article_body(article, edition, base),
        appeal_after="" if appeal_inside(article) else _appeal(edition),
        share_label=_e(s["share"]),
        share_facebook=_e(f"https://www.facebook.com/sharer/sharer.php?u={quoted_url}"),
        share_twitter=_e(f"https://twitter.com/intent/tweet?text={quote(article.title)}&url={quoted_url}"),
        share_whatsapp=_e(f"https://api.whatsapp.com/send?text={quote(article.title + ' ' + url, safe='')}"),
        share_telegram=_e(f"https://t.me/share/url?url={quoted_url}&text={quote(article.title)}"),
        tags_label=_e(s["tags"]),
        tag_links=tag_links,
        read_also_label=_e(s["read_also"]),
        related_items=related,
        comments_label=_e(s["comments"]),
        no_comments=_e(s["no_comments"]),
        leave_comment=_e(s["leave_comment"]),
        name_label=_e(s["name"]),
        submit_label=_e(s["submit"]),
    )
    page = _layout(
        edition,
        base,
        doc_title=f"{article.title} | {edition.site_name}",
        main=main,
        head_meta=_article_head(article, edition, base, url),
        body_class=f"post-template-default single single-post postid-{article.id} single-format-standard",
        current_category=article.category.slug,
    )
    return _html_response(
        page,
        extra=[
            ("Last-Modified", _http_date(article.last_modified)),
            ("Link", f"<{base}/?p={article.id}>; rel=shortlink"),
            ("Cache-Control", "max-age=600, public"),
        ],
    )


def _list_items(articles: Iterable[Article], edition: _Edition, base: str, *, tracked: bool = False) -> str:
    items = []
    for index, article in enumerate(articles):
        href = f"{base}{article.path}"
        if tracked and article.id == TRACKED_ARTICLE_ID:
            href += f"?{TRACKING_QUERY}"
        thumb = ""
        if index == 0 and article.image:
            thumb = f'<a class="post-thumb" href="{href}"><img src="/wp-content/uploads/{quote(article.image.file)}" alt="{_e(article.title)}" width="400" height="225"></a>\n'
        items.append(
            T.LIST_ITEM.substitute(
                id=article.id,
                thumb=thumb,
                url=_e(href),
                title=_e(article.title),
                category_url=f"{base}{_term_path(edition, 'category', article.category.slug)}",
                category_name=_e(article.category.name),
                date=_e(article.byline_date),
                summary=_e(article.summary),
            )
        )
    return "\n".join(items) if items else f'<p class="no-posts">{_e(edition.s["no_posts"])}</p>'


def _pagination(edition: _Edition, base: str, page: int, pages: int) -> str:
    links = []
    if page > 1:
        newer = edition.path("/") if page == 2 else edition.path(f"/page/{page - 1}/")
        links.append(f'<a class="prev page-numbers" href="{base}{newer}">{_e(edition.s["newer"])}</a>')
    if page < pages:
        links.append(
            f'<a class="next page-numbers" href="{base}{edition.path(f"/page/{page + 1}/")}">{_e(edition.s["older"])}</a>'
        )
    return f'<nav class="navigation pagination">{" ".join(links)}</nav>' if links else ""


def _render_home(edition: _Edition, base: str, page: int = 1) -> Response:
    s = edition.s
    articles = articles_for(edition.lang)
    pages = max(1, -(-len(articles) // PAGE_SIZE))
    if page < 1 or page > pages:
        return _render_not_found(edition, base)
    chunk = articles[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pagination = _pagination(edition, base, page, pages)
    if page > 1:
        url = f"{base}{edition.path(f'/page/{page}/')}"
        heading = s["page_heading"].format(n=page)
        main = T.LISTING.substitute(
            heading=_e(heading),
            description=_e(s["page_intro"]),
            items=_list_items(chunk, edition, base),
            pagination=pagination,
        )
        head = _website_meta(edition, heading, url, s["page_intro"])
        page_html = _layout(
            edition,
            base,
            doc_title=f"{heading} | {edition.site_name}",
            main=main,
            head_meta=head,
            body_class="home blog paged",
        )
        return _html_response(page_html)

    url = f"{base}{edition.path('/')}"
    redirect_id = REDIRECT_LINK_IDS[edition.lang]
    redirect_article = get_article(redirect_id)
    archive_items = [
        f'<li><a href="/old-news/{redirect_id}">{_e(redirect_article.title if redirect_article else "")}</a></li>',
        f'<li><a href="{edition.path(BROKEN_LINK_PATH)}">{_e(s["broken_title"])}</a></li>',
    ]
    main = T.HOME.substitute(
        site_name=_e(edition.site_name),
        latest_label=_e(s["latest"]),
        items=_list_items(chunk, edition, base, tracked=True),
        pagination=pagination,
        archive_label=_e(s["from_archive"]),
        archive_items="\n".join(archive_items),
    )
    other = _EDITIONS["en" if edition.lang == "ar" else "ar"]
    head = _website_meta(edition, edition.site_name, url, edition.tagline)
    head += [
        f'<link rel="alternate" hreflang="{edition.lang}" href="{url}">',
        f'<link rel="alternate" hreflang="{other.lang}" href="{base}{other.path("/")}">',
        _json_ld(
            {
                "@context": "https://schema.org",
                "@graph": [
                    {
                        "@type": "Organization",
                        "@id": f"{base}/#organization",
                        "name": edition.site_name,
                        "url": f"{base}/",
                        "logo": f"{base}/wp-content/uploads/logo.jpg",
                    },
                    {
                        "@type": "WebSite",
                        "@id": f"{url}#website",
                        "url": url,
                        "name": edition.site_name,
                        "inLanguage": edition.lang,
                        "publisher": {"@id": f"{base}/#organization"},
                        "potentialAction": {
                            "@type": "SearchAction",
                            "target": f"{url}?s={{search_term_string}}",
                            "query-input": "required name=search_term_string",
                        },
                    },
                ],
            }
        ),
    ]
    page_html = _layout(
        edition,
        base,
        doc_title=f"{edition.site_name} | {edition.tagline}",
        main=main,
        head_meta=head,
        body_class="home blog",
    )
    return _html_response(
        page_html,
        extra=[
            ("Set-Cookie", f"wp_lang={edition.lang}; Path=/; Max-Age=31536000; SameSite=Lax"),
            ("Set-Cookie", "enab_visitor=7c9e6679f4; Path=/; HttpOnly; SameSite=Lax"),
            ("Link", f'<{base}/wp-json/>; rel="https://api.w.org/"'),
            ("Cache-Control", "max-age=300, public"),
        ],
    )


def _render_listing(
    edition: _Edition,
    base: str,
    *,
    path: str,
    heading: str,
    description: str,
    articles: list[Article],
    body_class: str,
    current_category: str | None = None,
    collection_ld: bool = False,
) -> Response:
    url = base + path
    main = T.LISTING.substitute(
        heading=_e(heading),
        description=_e(description),
        items=_list_items(articles, edition, base),
        pagination="",
    )
    head = _website_meta(edition, heading, url, description)
    if collection_ld:
        head.append(
            _json_ld(
                {
                    "@context": "https://schema.org",
                    "@type": "CollectionPage",
                    "@id": url,
                    "url": url,
                    "name": heading,
                    "inLanguage": edition.lang,
                }
            )
        )
    page_html = _layout(
        edition,
        base,
        doc_title=f"{heading} | {edition.site_name}",
        main=main,
        head_meta=head,
        body_class=body_class,
        current_category=current_category,
    )
    return _html_response(page_html)


def _render_static(edition: _Edition, base: str, key: str) -> Response:
    heading, paragraphs = _STATIC_PAGES[edition.lang][key]
    url = f"{base}{edition.path(f'/{key}/')}"
    body = "\n".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    if key == "contact":
        body += (
            '\n<form class="contact-form" action="/wp-admin/admin-ajax.php" method="post">'
            f'<input type="text" name="your-name" placeholder="{_e(edition.s["name"])}">'
            '<input type="email" name="your-email" placeholder="email@example.com">'
            '<textarea name="your-message" rows="6"></textarea>'
            f'<button type="submit">{_e(edition.s["submit"])}</button></form>'
        )
    main = T.STATIC_PAGE.substitute(page_id=key, heading=_e(heading), body=body)
    head = _website_meta(edition, heading, url, paragraphs[0])
    page_html = _layout(
        edition,
        base,
        doc_title=f"{heading} | {edition.site_name}",
        main=main,
        head_meta=head,
        body_class=f"page-template-default page page-{key}",
    )
    return _html_response(page_html, extra=[("Last-Modified", _http_date(_HTTP_EPOCH))])


def _render_not_found(edition: _Edition, base: str) -> Response:
    s = edition.s
    body = f"<p>{_e(s['not_found_text'])}</p>"
    if edition.lang != "ar":  # bilingual notice on English pages
        body += f'\n<p lang="ar" dir="rtl">{_e(_AR_STRINGS["not_found"])}</p>'
    main = T.NOT_FOUND.substitute(
        heading=_e(s["not_found"]), body=body, home_url=f"{base}{edition.path('/')}", home_label=_e(s["home"])
    )
    page_html = _layout(
        edition,
        base,
        doc_title=f"{s['not_found']} | {edition.site_name}",
        main=main,
        head_meta=['<meta name="robots" content="noindex, follow">'],
        body_class="error404",
    )
    return _html_response(
        page_html, status=404, extra=[("Cache-Control", "no-cache, must-revalidate, max-age=0")]
    )


# --------------------------------------------------------------------------
# Feeds, sitemaps, robots.txt
# --------------------------------------------------------------------------


def _render_feed(edition: _Edition, base: str) -> Response:
    articles = articles_for(edition.lang)[:FEED_SIZE]
    items = []
    for article in articles:
        link = base + article.path
        if article.id == TRACKED_ARTICLE_ID:
            link += f"?{TRACKING_QUERY}"
        categories = [article.category.name] + [tag.name for tag in article.tags]
        items.append(
            T.RSS_ITEM.substitute(
                title=_x(article.title),
                link=_x(link),
                comments=_x(f"{base}{article.path}#respond"),
                creator=article.author,
                pub_date=format_datetime(article.published),
                categories="\n".join(f"\t\t<category><![CDATA[{name}]]></category>" for name in categories),
                guid=_x(f"{base}/?p={article.id}"),
                description=article.summary,
            )
        )
    body = T.RSS.substitute(
        title=_x(edition.site_name),
        self_url=_x(f"{base}{edition.path('/feed/')}"),
        home_url=_x(f"{base}{edition.path('/')}"),
        description=_x(edition.tagline),
        last_build=format_datetime(max(a.last_modified for a in articles)),
        lang=edition.lang,
        items="\n".join(items),
    )
    return (
        200,
        [("Content-Type", RSS_TYPE), ("Last-Modified", _http_date(articles[0].last_modified))],
        body.encode("utf-8"),
    )


def _xml_response(body: str) -> Response:
    return 200, [("Content-Type", XML_TYPE), ("X-Robots-Tag", "noindex, follow")], body.encode("utf-8")


def _render_sitemap_index(base: str) -> Response:
    newest = load_articles()[0].last_modified.isoformat()
    entries = "\n".join(
        f"<sitemap>\n\t<loc>{_x(base + path)}</loc>\n\t<lastmod>{newest}</lastmod>\n</sitemap>"
        for path in ("/sitemap-posts.xml", "/sitemap-pages.xml", "/news-sitemap.xml")
    )
    return _xml_response(T.SITEMAP_INDEX.substitute(entries=entries))


def _render_sitemap_posts(base: str) -> Response:
    entries = []
    for article in sorted(load_articles(), key=lambda a: (a.lang, a.published)):
        image = ""
        if article.image:
            image = (
                f"\n\t<image:image>\n\t\t<image:loc>{_x(base + '/wp-content/uploads/' + quote(article.image.file))}</image:loc>"
                f"\n\t\t<image:caption>{_x(article.image.caption)}</image:caption>\n\t</image:image>"
            )
        entries.append(
            f"<url>\n\t<loc>{_x(base + article.path)}</loc>\n\t<lastmod>{article.last_modified.isoformat()}</lastmod>{image}\n</url>"
        )
    return _xml_response(T.URLSET.substitute(entries="\n".join(entries)))


def _render_sitemap_pages(base: str) -> Response:
    paths: list[str] = []
    for lang in ("ar", "en"):
        edition = _EDITIONS[lang]
        paths += [edition.path("/"), edition.path("/about/"), edition.path("/contact/")]
        paths += [_term_path(edition, "category", term.slug) for term in _categories(lang)]
    newest = load_articles()[0].last_modified.isoformat()
    entries = "\n".join(
        f"<url>\n\t<loc>{_x(base + path)}</loc>\n\t<lastmod>{newest}</lastmod>\n</url>" for path in paths
    )
    return _xml_response(T.URLSET.substitute(entries=entries))


def _render_news_sitemap(base: str) -> Response:
    entries = "\n".join(
        T.NEWS_ENTRY.substitute(
            loc=_x(base + article.path),
            publication=_x(_EDITIONS[article.lang].site_name),
            lang=article.lang,
            date=article.published.isoformat(),
            title=_x(article.title),
        )
        for article in load_articles()[:NEWS_SITEMAP_SIZE]
    )
    return _xml_response(T.NEWS_URLSET.substitute(entries=entries))


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------

# Baseline JPEG Huffman tables: the standard luminance DC table (categories
# 0-11) and a minimal AC table holding EOB (0x00) and 0x01.  Images are flat
# 8x8 blocks, so only DC coefficients and EOB are ever coded.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALUES = tuple(range(12))
_AC_BITS = (1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
_AC_VALUES = (0x00, 0x01)


def _huffman_codes(bits: Sequence[int], values: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Canonical Huffman codes ``{symbol: (code, length)}`` (JPEG Annex C)."""
    codes: dict[int, tuple[int, int]] = {}
    code = 0
    k = 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


@functools.cache
def jpeg_bytes(name: str, width: int = 32, height: int = 24) -> bytes:
    """A small valid baseline JPEG (a two-tone "landscape") seeded by ``name``.

    Pure standard library: each 8x8 block is a flat colour, so the entropy
    data only holds DC differences and end-of-block codes.  ``width`` and
    ``height`` must be multiples of 8.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    sky = (digest[0] // 2 + 60, digest[1] // 2 + 90, digest[2] // 3 + 150)
    ground = (digest[3] // 2 + 40, digest[4] // 3 + 60, digest[5] // 4 + 30)

    def ycbcr(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
        r, g, b = rgb
        return (
            0.299 * r + 0.587 * g + 0.114 * b,
            128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
            128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
        )

    dc_codes = _huffman_codes(_DC_BITS, _DC_VALUES)
    eob_code, eob_len = _huffman_codes(_AC_BITS, _AC_VALUES)[0x00]
    bits: list[int] = []

    def put(value: int, length: int) -> None:
        bits.extend((value >> shift) & 1 for shift in range(length - 1, -1, -1))

    predictors = [0, 0, 0]
    blocks_x, blocks_y = width // 8, height // 8
    for by in range(blocks_y):
        colour = ycbcr(sky if by < (blocks_y + 1) // 2 else ground)
        for _bx in range(blocks_x):
            for component in range(3):
                # Flat block: DCT DC = 8 * (value - 128); quantiser is 1.
                dc = round(8 * (colour[component] - 128))
                diff = dc - predictors[component]
                predictors[component] = dc
                size = abs(diff).bit_length()
                code, length = dc_codes[size]
                put(code, length)
                if size:
                    put(diff if diff > 0 else diff + (1 << size) - 1, size)
                put(eob_code, eob_len)
    bits.extend([1] * (-len(bits) % 8))  # pad with 1-bits
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i : i + 8])), 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)  # byte stuffing

    out = bytearray(b"\xff\xd8")  # SOI
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00")  # APP0
    out += _segment(0xFE, f"Enab Baladi demo image: {name}".encode())  # COM
    out += _segment(0xDB, b"\x00" + bytes([1] * 64))  # DQT: table 0, all ones
    out += _segment(
        0xC0, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    )  # SOF0
    out += _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES))  # DHT DC 0
    out += _segment(0xC4, b"\x10" + bytes(_AC_BITS) + bytes(_AC_VALUES))  # DHT AC 0
    out += _segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")  # SOS
    out += scan
    out += b"\xff\xd9"  # EOI
    return bytes(out)


@functools.cache
def _article_images() -> frozenset[str]:
    return frozenset(a.image.file for a in load_articles() if a.image)


def _static_response(payload: tuple[str, bytes]) -> Response:
    content_type, body = payload
    return (
        200,
        [
            ("Content-Type", content_type),
            ("Last-Modified", _http_date(_HTTP_EPOCH)),
            ("Cache-Control", "max-age=31536000, public"),
        ],
        body,
    )


_CDN_IMAGE_RE = re.compile(r"/(?P<host>[^/]+)/wp-content/uploads/(?P<file>[^/]+)")


def render_cdn(path: str) -> Response:
    """What the image CDN serves for a request target (see :mod:`demo.assets`).

    ``/{site host}/wp-content/uploads/NAME.jpg?resize=300%2C169&ssl=1``: the
    article image ``NAME.jpg`` in that size (``resize`` or ``fit``; none: full
    size), for any site host; anything else is a plain-text 404.  The
    response allows any origin (``Access-Control-Allow-Origin: *``).
    """
    parts = urlsplit(path)
    m = _CDN_IMAGE_RE.fullmatch(unquote(parts.path or "/"))
    payload = assets.cdn_image(m["file"], parts.query, _article_images()) if m else None
    if payload is None:
        return 404, [("Content-Type", TEXT_TYPE)], b"404 Not Found\n"
    status, headers, body = _static_response(payload)
    return status, [*headers, ("Access-Control-Allow-Origin", "*")], body


# --------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------

_ARTICLE_RE = re.compile(r"(?P<en>/en)?/archives/(?P<id>\d+)(?P<slash>/?)")
_TERM_RE = re.compile(r"(?P<en>/en)?/(?P<kind>category|tag|author)/(?P<slug>[^/]+)(?P<slash>/?)")
_PAGE_RE = re.compile(r"(?P<en>/en)?/page/(?P<n>\d+)/?")
_STATIC_RE = re.compile(r"(?P<en>/en)?/(?P<key>about|contact|support)(?P<slash>/?)")
_FEED_RE = re.compile(r"(?P<en>/en)?/feed(?P<slash>/?)")
_OLD_NEWS_RE = re.compile(r"/old-news/(?P<id>\d+)/?")
_UPLOAD_RE = re.compile(r"/wp-content/uploads/(?P<file>[^/]+)")


def render(path: str, base_url: str | None = None, cdn_url: str | None = None) -> Response:
    """Render any URL of the demo site.

    ``path`` is a request target such as ``/archives/372146`` or
    ``/archives/710577?utm_source=feed`` (a full URL is accepted too; only its
    path and query are used; percent-encoding is decoded).  ``base_url`` is
    the scheme and authority the site is served at, e.g.
    ``"http://127.0.0.1:8123"``; it defaults to :data:`DEFAULT_BASE_URL`.

    ``cdn_url`` is the image CDN's origin; by default
    :func:`demo.assets.cdn_base_url` of ``base_url`` (``127.0.0.2``, same port,
    for a site on ``127.0.0.1``).

    Returns ``(status, headers, body)`` where ``headers`` is a list of
    ``(name, value)`` pairs (``Set-Cookie`` repeats on the home page).
    Content-Length and Content-Encoding are left to the server.
    """
    base = _base(base_url)
    cdn = (cdn_url or assets.cdn_base_url(base)).rstrip("/")
    parts = urlsplit(path)
    route = unquote(parts.path or "/")
    query = parse_qs(parts.query)
    ar, en = _EDITIONS["ar"], _EDITIONS["en"]

    if route == "/":
        if "p" in query and query["p"][0].isdigit():  # WordPress shortlink
            article = get_article(int(query["p"][0]))
            if article is not None:
                return _redirect(base + article.path)
            return _render_not_found(ar, base)
        return _render_home(ar, base)
    if route == "/en/":
        return _render_home(en, base)
    if route == "/en":
        return _redirect(f"{base}/en/")

    if m := _ARTICLE_RE.fullmatch(route):
        edition = en if m["en"] else ar
        article = get_article(int(m["id"]))
        if article is None or article.lang != edition.lang:
            return _render_not_found(edition, base)
        if m["slash"]:
            return _redirect(base + article.path)
        return _render_article(article, base, cdn)

    if m := _PAGE_RE.fullmatch(route):
        edition = en if m["en"] else ar
        page = int(m["n"])
        if page == 1:
            return _redirect(f"{base}{edition.path('/')}")
        return _render_home(edition, base, page)

    if m := _TERM_RE.fullmatch(route):
        edition = en if m["en"] else ar
        kind, slug = m["kind"], m["slug"]
        if not m["slash"]:
            return _redirect(f"{base}{_term_path(edition, kind, slug)}")
        pool = articles_for(edition.lang)
        s = edition.s
        term_path = _term_path(edition, kind, slug)
        if kind == "category":
            matches = [a for a in pool if a.category.slug == slug]
            if not matches:
                return _render_not_found(edition, base)
            name = matches[0].category.name
            return _render_listing(
                edition,
                base,
                path=term_path,
                heading=name,
                description=s["category_intro"].format(name=name),
                articles=matches,
                body_class=f"archive category category-{_e(slug)}",
                current_category=slug,
                collection_ld=True,
            )
        if kind == "tag":
            matches = [a for a in pool if any(t.slug == slug for t in a.tags)]
            if not matches:
                return _render_not_found(edition, base)
            name = next(t.name for t in matches[0].tags if t.slug == slug)
            return _render_listing(
                edition,
                base,
                path=term_path,
                heading=s["tag_heading"].format(name=name),
                description=s["tag_intro"].format(name=name),
                articles=matches,
                body_class="archive tag",
            )
        matches = [a for a in pool if any(_author_slug(n) == slug for n in a.authors)]
        if not matches:
            return _render_not_found(edition, base)
        name = next(n for n in matches[0].authors if _author_slug(n) == slug)
        return _render_listing(
            edition,
            base,
            path=term_path,
            heading=s["author_heading"].format(name=name),
            description=s["author_intro"].format(name=name),
            articles=matches,
            body_class="archive author",
        )

    if m := _STATIC_RE.fullmatch(route):
        edition = en if m["en"] else ar
        if not m["slash"]:
            return _redirect(f"{base}{edition.path('/' + m['key'] + '/')}")
        return _render_static(edition, base, m["key"])

    if m := _FEED_RE.fullmatch(route):
        edition = en if m["en"] else ar
        if not m["slash"]:
            return _redirect(f"{base}{edition.path('/feed/')}")
        return _render_feed(edition, base)

    if m := _OLD_NEWS_RE.fullmatch(route):
        article = get_article(int(m["id"]))
        if article is None:
            return _render_not_found(ar, base)
        return _redirect(base + article.path)

    if route == "/robots.txt":
        return 200, [("Content-Type", TEXT_TYPE)], T.ROBOTS.substitute(base_url=base).encode("utf-8")
    if route == "/sitemap.xml":
        return _render_sitemap_index(base)
    if route == "/sitemap-posts.xml":
        return _render_sitemap_posts(base)
    if route == "/sitemap-pages.xml":
        return _render_sitemap_pages(base)
    if route == "/news-sitemap.xml":
        return _render_news_sitemap(base)

    if m := _UPLOAD_RE.fullmatch(route):
        if m["file"] == "logo.jpg":
            return _static_response((JPEG_TYPE, jpeg_bytes(m["file"])))
        if payload := assets.upload_file(m["file"], _article_images()):
            return _static_response(payload)
        return _render_not_found(ar, base)
    if route.startswith(assets.THEME_PATH):
        if payload := assets.theme_file(route[len(assets.THEME_PATH) :]):
            return _static_response(payload)
        return _render_not_found(ar, base)

    if route in ("/wp-admin", "/wp-admin/"):
        if route == "/wp-admin":
            return _redirect(f"{base}/wp-admin/")
        return _html_response(
            T.WP_ADMIN.substitute(base_url=base), extra=[("X-Robots-Tag", "noindex, nofollow")]
        )
    if route == "/wp-admin/admin-ajax.php":
        return 400, [("Content-Type", TEXT_TYPE), ("X-Robots-Tag", "noindex")], b"0"

    return _render_not_found(en if route.startswith("/en/") else ar, base)
