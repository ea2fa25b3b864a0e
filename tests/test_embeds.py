"""crawler.embeds: the resources (Heritrix hop E) a browser loads for a page or a stylesheet."""

from __future__ import annotations

import dataclasses
import random
from urllib.parse import urljoin

import pytest
from lxml import etree
from lxml import html as lxml_html

from crawler import embeds as embeds_module
from crawler.embeds import KINDS, Embed, css_embeds, page_embeds, parse_srcset

PAGE = "https://news.example.com/2024/05/17/city-council-budget/"
SHEET = "https://news.example.com/wp-content/themes/paper/style.css"
GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def embeds(markup: str, url: str = PAGE, **kwargs: int) -> list[Embed]:
    found, total = page_embeds(lxml_html.fromstring(markup), url, **kwargs)
    assert total >= len(found)
    return found


def triples(found: list[Embed]) -> list[tuple[str, str, str]]:
    return [(e.url, e.kind, e.context) for e in found]


def urls(found: list[Embed]) -> list[str]:
    return [e.url for e in found]


def sheet(css: str, url: str = SHEET, **kwargs: int) -> list[Embed]:
    found, total = css_embeds(css, url, **kwargs)
    assert total >= len(found)
    return found


# -- parse_srcset ---------------------------------------------------------------------------------------


def test_srcset_jetpack_photon_urls_keep_their_commas() -> None:
    value = (
        "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg?resize=300,200&ssl=1 300w, "
        "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg?resize=768,512&ssl=1 768w,"
        "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg?w=1200&ssl=1 1200w"
    )
    assert parse_srcset(value) == [
        "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg?resize=300,200&ssl=1",
        "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg?resize=768,512&ssl=1",
        "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg?w=1200&ssl=1",
    ]


def test_srcset_cloudinary_commas_in_path_and_density_descriptors() -> None:
    value = (
        "https://res.cloudinary.com/demo/image/upload/w_400,h_300,c_fill,q_auto/v1/news/a.jpg 1x,\n"
        "  https://res.cloudinary.com/demo/image/upload/w_800,h_600,c_fill,q_auto/v1/news/a.jpg 2x"
    )
    assert parse_srcset(value) == [
        "https://res.cloudinary.com/demo/image/upload/w_400,h_300,c_fill,q_auto/v1/news/a.jpg",
        "https://res.cloudinary.com/demo/image/upload/w_800,h_600,c_fill,q_auto/v1/news/a.jpg",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("  ,, ,", []),
        ("a.jpg", ["a.jpg"]),
        ("a.jpg,b.jpg", ["a.jpg,b.jpg"]),  # no whitespace: one URL with a comma, as browsers read it
        ("a.jpg, b.jpg", ["a.jpg", "b.jpg"]),
        ("a.jpg,,, b.jpg 2x", ["a.jpg", "b.jpg"]),  # commas ending a URL separate candidates
        ("a.jpg 1x (a, b), c.jpg 2x", ["a.jpg", "c.jpg"]),  # a comma in parentheses ends no descriptor
        ("a.jpg 100w 50h, b.jpg", ["a.jpg", "b.jpg"]),
        ("\ta.jpg\n300w,\r\nb.jpg\f600w", ["a.jpg", "b.jpg"]),
        ("a.jpg 1x (unclosed, b.jpg 2x", ["a.jpg"]),
    ],
)
def test_srcset_html_parsing(value: str, expected: list[str]) -> None:
    assert parse_srcset(value) == expected


# -- page_embeds: real-world shapes ---------------------------------------------------------------------


def test_wordpress_featured_image_with_jetpack_srcset_and_carousel_sizes() -> None:
    photon = "https://i0.wp.com/news.example.com/wp-content/uploads/2024/05/council.jpg"
    found = embeds(f"""<html><body><figure class="wp-block-post-featured-image">
      <img width="1024" height="683" src="{photon}?fit=1024%2C683&amp;ssl=1"
        class="attachment-post-thumbnail size-post-thumbnail wp-post-image" alt="" decoding="async"
        srcset="{photon}?w=1200&amp;ssl=1 1200w, {photon}?resize=300%2C200&amp;ssl=1 300w,
                {photon}?resize=768,512&amp;ssl=1 768w, {photon}?fit=1024%2C683&amp;ssl=1 1024w"
        sizes="(max-width: 1024px) 100vw, 1024px"
        data-orig-file="https://news.example.com/wp-content/uploads/2024/05/council.jpg"
        data-medium-file="{photon}?fit=300%2C200&amp;ssl=1"
        data-large-file="{photon}?fit=1024%2C683&amp;ssl=1"
        data-image-meta='{{"aperture":"0"}}'>
    </figure></body></html>""")
    assert triples(found) == [
        (f"{photon}?fit=1024%2C683&ssl=1", "image", "img/@src"),
        (f"{photon}?w=1200&ssl=1", "image", "img/@srcset"),
        (f"{photon}?resize=300%2C200&ssl=1", "image", "img/@srcset"),
        (f"{photon}?resize=768,512&ssl=1", "image", "img/@srcset"),
        ("https://news.example.com/wp-content/uploads/2024/05/council.jpg", "image", "img/@data-orig-file"),
        (f"{photon}?fit=300%2C200&ssl=1", "image", "img/@data-medium-file"),
    ]


def test_lazy_load_plugin_placeholder_skipped_lazy_copies_and_noscript_found() -> None:
    found = embeds(f"""<html><body><div class="entry-content">
      <img src="{GIF}" data-src="/wp-content/uploads/2024/05/mayor.jpg"
        data-srcset="/wp-content/uploads/2024/05/mayor-300x200.jpg 300w, /wp-content/uploads/2024/05/mayor.jpg 1024w"
        class="lazyload" alt="The mayor">
      <noscript><img src="/wp-content/uploads/2024/05/mayor.jpg"
        srcset="/wp-content/uploads/2024/05/mayor-768x512.jpg 768w" alt="The mayor"></noscript>
      <img src="data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E"
        data-lazy-src="/wp-content/uploads/2024/05/hall.jpg"
        data-lazy-srcset="/wp-content/uploads/2024/05/hall-300x200.jpg 300w">
      <img src="{GIF}" data-original="/wp-content/uploads/2024/05/old-plugin.jpg">
    </div></body></html>""")
    uploads = "https://news.example.com/wp-content/uploads/2024/05/"
    assert triples(found) == [
        (uploads + "mayor.jpg", "image", "img/@data-src"),  # first occurrence wins over the noscript copy
        (uploads + "mayor-300x200.jpg", "image", "img/@data-srcset"),
        (uploads + "mayor-768x512.jpg", "image", "noscript/img/@srcset"),
        (uploads + "hall.jpg", "image", "img/@data-lazy-src"),
        (uploads + "hall-300x200.jpg", "image", "img/@data-lazy-srcset"),
        (uploads + "old-plugin.jpg", "image", "img/@data-original"),
    ]
    assert not any(e.url.startswith("data:") or "svg" in e.url for e in found)


def test_noscript_kept_as_text_is_parsed_as_a_fragment() -> None:
    # An HTML5 parser keeps <noscript> content as text; libxml2 does too for escaped markup.
    tree = lxml_html.fromstring(
        '<html><head><noscript>&lt;link rel="stylesheet" href="/css/noscript.css"&gt;</noscript></head>'
        '<body><noscript>&lt;img src="/img/escaped.jpg"&gt;</noscript><noscript id="n"></noscript></body></html>'
    )
    built = tree.get_element_by_id("n")
    built.text = '<style>.x{background:url("/img/bg.png")}</style><img srcset="/img/a.jpg 1x, /img/b.jpg 2x">'
    assert [n.text is not None and len(n) == 0 for n in tree.iter("noscript")] == [True, True, True]
    found, total = page_embeds(tree, PAGE)
    assert triples(found) == [
        ("https://news.example.com/css/noscript.css", "stylesheet", "noscript/link/@href"),
        ("https://news.example.com/img/escaped.jpg", "image", "noscript/img/@src"),
        ("https://news.example.com/img/bg.png", "image", "noscript/style/url()"),
        ("https://news.example.com/img/a.jpg", "image", "noscript/img/@srcset"),
        ("https://news.example.com/img/b.jpg", "image", "noscript/img/@srcset"),
    ]
    assert total == 5


def test_noscript_kept_as_elements_and_text_without_markup() -> None:
    found = embeds(
        "<html><head><noscript><link rel='stylesheet' href='/css/ns.css'><style>.lazy{display:none}</style>"
        "</noscript></head><body><noscript>Please enable JavaScript &lt; now</noscript>"
        "<noscript><img src='/img/ns.jpg'></noscript></body></html>"
    )
    assert triples(found) == [
        ("https://news.example.com/css/ns.css", "stylesheet", "noscript/link/@href"),
        ("https://news.example.com/img/ns.jpg", "image", "noscript/img/@src"),
    ]


def test_picture_with_webp_sources() -> None:
    found = embeds("""<html><body><picture>
      <source type="image/avif" srcset="/img/lead.avif 1x, /img/lead@2x.avif 2x">
      <source type="image/webp" srcset="/img/lead.webp" media="(min-width: 800px)">
      <source type="image/webp" data-srcset="/img/lead-lazy.webp">
      <source src="/img/lead-source-src.jpg">
      <img src="/img/lead.jpg" alt="">
    </picture></body></html>""")
    assert triples(found) == [
        ("https://news.example.com/img/lead.avif", "image", "source/@srcset"),
        ("https://news.example.com/img/lead@2x.avif", "image", "source/@srcset"),
        ("https://news.example.com/img/lead.webp", "image", "source/@srcset"),
        ("https://news.example.com/img/lead-lazy.webp", "image", "source/@data-srcset"),
        ("https://news.example.com/img/lead-source-src.jpg", "image", "source/@src"),
        ("https://news.example.com/img/lead.jpg", "image", "img/@src"),
    ]


def test_video_poster_sources_track_and_audio() -> None:
    found = embeds("""<html><body>
      <video controls poster="/media/briefing-poster.jpg" preload="none">
        <source src="/media/briefing.webm" type="video/webm">
        <source src="/media/briefing.mp4" type="video/mp4">
        <track kind="captions" src="/media/briefing.en.vtt" srclang="en">
      </video>
      <video src="https://cdn.example.net/clip.mp4"></video>
      <audio src="/media/podcast.mp3"></audio>
      <audio controls><source src="/media/podcast.ogg" type="audio/ogg"></audio>
    </body></html>""")
    assert triples(found) == [
        ("https://news.example.com/media/briefing-poster.jpg", "image", "video/@poster"),
        ("https://news.example.com/media/briefing.webm", "media", "source/@src"),
        ("https://news.example.com/media/briefing.mp4", "media", "source/@src"),
        ("https://news.example.com/media/briefing.en.vtt", "other", "track/@src"),
        ("https://cdn.example.net/clip.mp4", "media", "video/@src"),
        ("https://news.example.com/media/podcast.mp3", "media", "audio/@src"),
        ("https://news.example.com/media/podcast.ogg", "media", "source/@src"),
    ]


def test_share_images_from_open_graph_twitter_and_microdata() -> None:
    found = embeds("""<html><head>
      <meta property="og:title" content="https://news.example.com/not-an-image.jpg">
      <meta property="og:image" content="https://news.example.com/wp-content/uploads/og.jpg">
      <meta property="og:image:secure_url" content="https://news.example.com/wp-content/uploads/og-secure.jpg">
      <meta property="og:image:url" content="/wp-content/uploads/og-url.jpg">
      <meta property="og:image:width" content="1200">
      <meta property="og:video" content="https://news.example.com/media/og.mp4">
      <meta property="og:audio" content="https://news.example.com/media/og.mp3">
      <meta name="twitter:image" content="https://news.example.com/wp-content/uploads/tw.jpg">
      <meta property="twitter:image:src" content="https://news.example.com/wp-content/uploads/tw-src.jpg">
      <meta name="twitter:card" content="summary_large_image">
      <meta name="description" content="https://news.example.com/not-an-image-either.jpg">
    </head><body><div itemscope itemtype="https://schema.org/NewsArticle">
      <meta itemprop="image" content="https://news.example.com/wp-content/uploads/schema.jpg">
      <meta itemprop="url" content="https://news.example.com/not-an-embed/">
    </div></body></html>""")
    assert triples(found) == [
        ("https://news.example.com/wp-content/uploads/og.jpg", "image", "meta/@content"),
        ("https://news.example.com/wp-content/uploads/og-secure.jpg", "image", "meta/@content"),
        ("https://news.example.com/wp-content/uploads/og-url.jpg", "image", "meta/@content"),
        ("https://news.example.com/media/og.mp4", "media", "meta/@content"),
        ("https://news.example.com/media/og.mp3", "media", "meta/@content"),
        ("https://news.example.com/wp-content/uploads/tw.jpg", "image", "meta/@content"),
        ("https://news.example.com/wp-content/uploads/tw-src.jpg", "image", "meta/@content"),
        ("https://news.example.com/wp-content/uploads/schema.jpg", "image", "meta/@content"),
    ]


def test_icons_and_manifest() -> None:
    found = embeds("""<html><head>
      <link rel="icon" href="/wp-content/uploads/cropped-icon-32x32.png" sizes="32x32">
      <link rel="shortcut icon" href="/favicon.ico">
      <link rel="apple-touch-icon" href="/wp-content/uploads/cropped-icon-180x180.png">
      <link rel="mask-icon" href="/safari-pinned-tab.svg" color="#5bbad5">
      <link rel="manifest" href="/site.webmanifest">
      <meta name="msapplication-TileImage" content="/wp-content/uploads/cropped-icon-270x270.png">
    </head><body></body></html>""")
    assert triples(found) == [
        ("https://news.example.com/wp-content/uploads/cropped-icon-32x32.png", "icon", "link/@href"),
        ("https://news.example.com/favicon.ico", "icon", "link/@href"),
        ("https://news.example.com/wp-content/uploads/cropped-icon-180x180.png", "icon", "link/@href"),
        ("https://news.example.com/safari-pinned-tab.svg", "icon", "link/@href"),
        ("https://news.example.com/site.webmanifest", "other", "link/@href"),
        ("https://news.example.com/wp-content/uploads/cropped-icon-270x270.png", "icon", "meta/@content"),
    ]


def test_link_stylesheets_and_preloads_but_not_page_relations() -> None:
    found = embeds("""<html><head>
      <link rel="canonical" href="https://news.example.com/canonical/">
      <link rel="alternate" type="application/rss+xml" href="https://news.example.com/feed/">
      <link rel="alternate" hreflang="es" href="https://news.example.com/es/">
      <link rel="amphtml" href="https://news.example.com/amp/">
      <link rel="next" href="https://news.example.com/page/2/">
      <link rel="prev" href="https://news.example.com/page/0/">
      <link rel="shortlink" href="https://news.example.com/?p=123">
      <link rel="pingback" href="https://news.example.com/xmlrpc.php">
      <link rel="https://api.w.org/" href="https://news.example.com/wp-json/">
      <link rel="dns-prefetch" href="//fonts.googleapis.com">
      <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
      <link rel="prefetch" href="/next-article/">
      <link rel='stylesheet' id='wp-block-library-css' href='/wp-includes/css/dist/block-library/style.min.css?ver=6.5' media='all'>
      <link rel="alternate stylesheet" title="High contrast" href="/css/contrast.css">
      <link rel="preload" as="style" href="/css/critical.css" onload="this.rel='stylesheet'">
      <link rel="preload" as="font" type="font/woff2" href="/fonts/serif.woff2" crossorigin>
      <link rel="preload" as="image" href="/img/hero.jpg" imagesrcset="/img/hero-800.jpg 800w, /img/hero-1600.jpg 1600w">
      <link rel="preload" as="script" href="/js/app.js">
      <link rel="modulepreload" href="/js/module.mjs">
      <link rel="preload" as="fetch" href="/api/data.json" crossorigin>
      <link rel="preload" as="document" href="/a-page/">
    </head><body></body></html>""")
    assert triples(found) == [
        ("https://news.example.com/wp-includes/css/dist/block-library/style.min.css?ver=6.5", "stylesheet", "link/@href"),
        ("https://news.example.com/css/contrast.css", "stylesheet", "link/@href"),
        ("https://news.example.com/css/critical.css", "stylesheet", "link/@href"),
        ("https://news.example.com/fonts/serif.woff2", "font", "link/@href"),
        ("https://news.example.com/img/hero-800.jpg", "image", "link/@imagesrcset"),
        ("https://news.example.com/img/hero-1600.jpg", "image", "link/@imagesrcset"),
        ("https://news.example.com/img/hero.jpg", "image", "link/@href"),
        ("https://news.example.com/js/app.js", "script", "link/@href"),
        ("https://news.example.com/js/module.mjs", "script", "link/@href"),
        ("https://news.example.com/api/data.json", "other", "link/@href"),
    ]


def test_scripts_by_type() -> None:
    found = embeds("""<html><head>
      <script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
      <script type="text/javascript" src="/js/plain.js"></script>
      <script type="module" src="/js/module.js"></script>
      <script type="application/javascript; charset=utf-8" src="/js/charset.js"></script>
      <script type="TEXT/JAVASCRIPT" src="/js/upper.js"></script>
      <script nomodule src="/js/legacy.js"></script>
      <script type="2f8a1c0e3b-text/javascript" src="/js/rocket-loader.js"></script>
      <script type="rocketlazyloadscript" data-rocket-src="/js/delayed.js"></script>
      <script type="application/ld+json" src="/not-a-script.json">{"@type": "NewsArticle"}</script>
      <script type="text/template" src="/not-a-script.tpl"></script>
      <script>var inline = "/not/a/url.js";</script>
    </head><body></body></html>""")
    assert triples(found) == [
        ("https://news.example.com/wp-includes/js/jquery/jquery.min.js?ver=3.7.1", "script", "script/@src"),
        ("https://news.example.com/js/plain.js", "script", "script/@src"),
        ("https://news.example.com/js/module.js", "script", "script/@src"),
        ("https://news.example.com/js/charset.js", "script", "script/@src"),
        ("https://news.example.com/js/upper.js", "script", "script/@src"),
        ("https://news.example.com/js/legacy.js", "script", "script/@src"),
        ("https://news.example.com/js/rocket-loader.js", "script", "script/@src"),
        ("https://news.example.com/js/delayed.js", "script", "script/@data-rocket-src"),
    ]


def test_inline_style_blocks_and_style_attributes() -> None:
    found = embeds("""<html><head>
      <style id="wp-custom-css">
        @import url("/css/imported.css");
        /* .old { background: url(/img/commented-out.png) } */
        .masthead { background-image: url('/img/masthead.jpg'); }
        @font-face { font-family: "Serif"; src: url(/fonts/serif-inline) format("woff2"); }
      </style></head>
      <body>
        <div class="hero" style="background-image: url(&quot;/img/hero-bg.jpg&quot;); color: red"></div>
        <div style="background: -webkit-image-set('/img/set-1x.png' 1x, '/img/set-2x.png' 2x)"></div>
        <div style="color: red"></div>
        <span style="background:url(#gradient)"></span>
      </body></html>""")
    assert triples(found) == [
        ("https://news.example.com/css/imported.css", "stylesheet", "style/@import"),
        ("https://news.example.com/img/masthead.jpg", "image", "style/url()"),
        ("https://news.example.com/fonts/serif-inline", "font", "style/url()"),
        ("https://news.example.com/img/hero-bg.jpg", "image", "@style/url()"),
        ("https://news.example.com/img/set-1x.png", "image", "@style/image-set()"),
        ("https://news.example.com/img/set-2x.png", "image", "@style/image-set()"),
    ]


def test_old_attributes_input_embed_object_svg() -> None:
    found = embeds("""<html><body background="/img/body-bg.gif">
      <table background="/img/table-bg.gif"><tr><td background="/img/cell-bg.gif">x</td>
        <th background="/img/head-bg.gif">y</th></tr></table>
      <form><input type="image" src="/img/submit.png"><input type="text" src="/img/not-loaded.png"></form>
      <embed src="/media/legacy.swf" type="application/x-shockwave-flash">
      <object data="/media/chart.svg" type="image/svg+xml"></object>
      <svg><image xlink:href="/img/svg-image.png"></image><use href="/img/sprite.svg#icon-x"></use>
        <use href="#local-symbol"></use></svg>
    </body></html>""")
    assert triples(found) == [
        ("https://news.example.com/img/body-bg.gif", "image", "body/@background"),
        ("https://news.example.com/img/table-bg.gif", "image", "table/@background"),
        ("https://news.example.com/img/cell-bg.gif", "image", "td/@background"),
        ("https://news.example.com/img/head-bg.gif", "image", "th/@background"),
        ("https://news.example.com/img/submit.png", "image", "input/@src"),
        ("https://news.example.com/media/legacy.swf", "other", "embed/@src"),
        ("https://news.example.com/media/chart.svg", "other", "object/@data"),
        ("https://news.example.com/img/svg-image.png", "image", "image/@xlink:href"),
        ("https://news.example.com/img/sprite.svg", "image", "use/@href"),
    ]


def test_links_iframes_and_non_http_urls_are_not_embeds() -> None:
    found = embeds(f"""<html><body>
      <a href="/another-article/"><img src="/img/teaser.jpg"></a>
      <iframe src="https://www.youtube.com/embed/abc123" loading="lazy"></iframe>
      <iframe data-src="https://platform.twitter.com/embed/Tweet.html?id=1"></iframe>
      <frameset><frame src="/frame.html"></frameset>
      <img src="javascript:void(0)"><img src="about:blank"><img src="blob:https://news.example.com/uuid">
      <img src="mailto:desk@example.com"><img src="{GIF}"><img src="#top"><img src="">
      <img src="   "><img src="ftp://files.example.com/a.jpg"><img src="http://[::1/broken.jpg">
      <img src="{PAGE}#comments"><img src="?"><img>
      <link rel="stylesheet" href="data:text/css,body{{}}">
    </body></html>""")
    assert triples(found) == [("https://news.example.com/img/teaser.jpg", "image", "img/@src")]


def test_base_href_is_honoured() -> None:
    found = embeds("""<html><head><base href="https://static.example.org/assets/" target="_blank">
      <base href="https://ignored.example.org/"></head>
      <body><img src="photo.jpg"><img src="/root.jpg"><img src="//cdn.example.net/proto.jpg"></body></html>""")
    assert urls(found) == [
        "https://static.example.org/assets/photo.jpg",
        "https://static.example.org/root.jpg",
        "https://cdn.example.net/proto.jpg",
    ]


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ('<base href="../shared/">', "https://news.example.com/2024/05/17/shared/photo.jpg"),  # relative to the page
        ('<base target="_top"><base href="/b/">', "https://news.example.com/b/photo.jpg"),  # first base with href
        ('<base href="javascript:alert(1)">', PAGE + "photo.jpg"),  # unusable: the page URL
        ("", PAGE + "photo.jpg"),
    ],
)
def test_base_href_variants(base: str, expected: str) -> None:
    assert urls(embeds(f"<html><head>{base}</head><body><img src='photo.jpg'></body></html>")) == [expected]


def test_urls_cleaned_whitespace_fragment_backslashes() -> None:
    found = embeds("""<html><body>
      <img src="  /img/a.jpg#section  ">
      <img src="/img/
wrap	ped.jpg">
      <img src="\\img\\windows.jpg?q=a\\b">
      <img src="HTTPS://News.Example.com/img/upper.jpg">
    </body></html>""")
    assert urls(found) == [
        "https://news.example.com/img/a.jpg",
        "https://news.example.com/img/wrapped.jpg",
        "https://news.example.com/img/windows.jpg?q=a\\b",
        "https://News.Example.com/img/upper.jpg",  # scheme lower-cased by the join; the host left as written
    ]


def test_dedup_first_occurrence_wins_in_document_order() -> None:
    found, total = page_embeds(
        lxml_html.fromstring("""<html><head>
          <meta property="og:image" content="https://news.example.com/img/lead.jpg">
          <link rel="preload" as="image" href="/img/lead.jpg">
        </head><body>
          <img src="/img/lead.jpg#x"><img src="/img/second.jpg" srcset="/img/lead.jpg 2x, /img/second.jpg 1x">
          <!-- <img src="/img/in-a-comment.jpg"> -->
        </body></html>"""),
        PAGE,
    )
    assert triples(found) == [
        ("https://news.example.com/img/lead.jpg", "image", "meta/@content"),
        ("https://news.example.com/img/second.jpg", "image", "img/@src"),
    ]
    assert total == 2


def test_accepts_element_tree_and_fragments() -> None:
    markup = "<html><body><img src='/img/a.jpg'></body></html>"
    root = lxml_html.fromstring(markup)
    assert urls(page_embeds(root.getroottree(), PAGE)[0]) == ["https://news.example.com/img/a.jpg"]
    fragment = lxml_html.fragment_fromstring("<p><img src='/img/f.jpg'></p>")
    assert urls(page_embeds(fragment, PAGE)[0]) == ["https://news.example.com/img/f.jpg"]
    assert page_embeds(etree.ElementTree(), PAGE) == ([], 0)


def test_embed_is_frozen_and_kinds_are_the_documented_ones() -> None:
    embed = Embed("https://news.example.com/a.png", "image", "img/@src")
    with pytest.raises(dataclasses.FrozenInstanceError):
        embed.url = "https://elsewhere.example/"  # type: ignore[misc]
    assert KINDS == ("image", "stylesheet", "script", "font", "icon", "media", "other")


def test_every_kind_produced_is_a_documented_kind() -> None:
    markup = """<html><head><link rel=stylesheet href=/a.css><link rel=icon href=/i.ico>
      <link rel=preload as=font href=/f.woff2><script src=/s.js></script><link rel=manifest href=/m.json>
      <style>@font-face{src:url(/g.woff)} .a{background:url(/b.png)}</style></head>
      <body><img src=/c.png><video src=/v.mp4></video></body></html>"""
    found = embeds(markup)
    assert {e.kind for e in found} == set(KINDS)


# -- limits ---------------------------------------------------------------------------------------------


def test_page_with_ten_thousand_images_and_a_limit() -> None:
    body = "".join(
        f'<figure><img src="{GIF}" data-src="/wp-content/uploads/gallery/{i}.jpg" alt="{i}"></figure>'
        for i in range(10_000)
    )
    tree = lxml_html.fromstring(f"<html><body>{body}</body></html>")
    found, total = page_embeds(tree, PAGE, limit=25)
    assert len(found) == 25
    assert total == 10_000
    assert urls(found) == [f"https://news.example.com/wp-content/uploads/gallery/{i}.jpg" for i in range(25)]
    found_all, total_all = page_embeds(tree, PAGE)
    assert len(found_all) == total_all == 10_000


@pytest.mark.parametrize(("limit", "length"), [(0, 0), (-5, 0), (1, 1), (3, 3), (100, 3), (None, 3)])
def test_limit_edges(limit: int | None, length: int) -> None:
    tree = lxml_html.fromstring("<html><body><img src=/a.jpg><img src=/b.jpg><img src=/c.jpg></body></html>")
    found, total = page_embeds(tree, PAGE, limit=limit)
    assert (len(found), total) == (length, 3)
    found_css, total_css = css_embeds("a{background:url(a.png)}b{background:url(b.png)}c{background:url(c.png)}",
                                      SHEET, limit=limit)
    assert (len(found_css), total_css) == (length, 3)


# -- css_embeds -----------------------------------------------------------------------------------------


def test_font_face_woff2_woff_and_eot_are_fonts() -> None:
    found = sheet("""
      @font-face {
        font-family: 'Merriweather';
        font-style: normal;
        font-weight: 400;
        src: url('../fonts/merriweather.eot');
        src: local('Merriweather Regular'), local("Merriweather-Regular"),
             url('../fonts/merriweather.eot?#iefix') format('embedded-opentype'),
             url("../fonts/merriweather.woff2") format("woff2"),
             url(../fonts/merriweather.woff) format("woff"),
             url(https://news.example.com/fonts/merriweather-no-extension) format("truetype");
      }
      body { font-family: 'Merriweather', serif; }
    """)
    fonts = "https://news.example.com/wp-content/themes/fonts/"
    assert triples(found) == [
        (fonts + "merriweather.eot", "font", "css/url()"),  # the ?#iefix copy is the same URL
        (fonts + "merriweather.woff2", "font", "css/url()"),
        (fonts + "merriweather.woff", "font", "css/url()"),
        ("https://news.example.com/fonts/merriweather-no-extension", "font", "css/url()"),
    ]


def test_url_kind_guessed_by_extension_outside_font_face() -> None:
    found = sheet("""
      @media (min-width: 800px) { @font-face { src: url(nested.bin) } .x { background: url(after.bin) } }
      .a { background: url(img/bg.png) repeat-x; }
      .b { background: url(IMG/PHOTO.JPEG?v=2); }
      .c { cursor: url(cursors/hand.cur), pointer; }
      .d { src: url(fonts/stray.woff2); }
      .e { background: url(/styles/odd.css); }
      .f { mask: url(icons/mask.svg#shape); }
      .g { background: url(/images/no-extension); }
    """)
    assert [(e.url.rsplit("/", 1)[-1], e.kind) for e in found] == [
        ("nested.bin", "font"),
        ("after.bin", "image"),
        ("bg.png", "image"),
        ("PHOTO.JPEG?v=2", "image"),
        ("hand.cur", "image"),
        ("stray.woff2", "font"),
        ("odd.css", "stylesheet"),
        ("mask.svg", "image"),
        ("no-extension", "image"),
    ]


def test_background_images_resolve_against_the_stylesheet() -> None:
    found = sheet("""
      .site-header { background: #000 url( "../images/header.jpg" ) no-repeat center / cover; }
      .logo { background-image: URL('https://cdn.example.net/logo.png'); }
      .proto { background-image: url(//cdn.example.net/proto.png); }
      .root { background-image: url(/wp-content/uploads/root.png); }
    """)
    assert urls(found) == [
        "https://news.example.com/wp-content/themes/images/header.jpg",
        "https://cdn.example.net/logo.png",
        "https://cdn.example.net/proto.png",
        "https://news.example.com/wp-content/uploads/root.png",
    ]
    assert {e.context for e in found} == {"css/url()"}


def test_import_forms() -> None:
    found = sheet("""
      @charset "utf-8";
      @import "reset.css";
      @import 'grid.css' screen;
      @import url(print.css) print;
      @import url("https://fonts.googleapis.com/css2?family=Lora&display=swap");
      @IMPORT URL( 'upper.css' );
      @namespace svg url(http://www.w3.org/2000/svg);
      @namespace url(http://www.w3.org/1999/xhtml);
    """)
    assert triples(found) == [
        ("https://news.example.com/wp-content/themes/paper/reset.css", "stylesheet", "css/@import"),
        ("https://news.example.com/wp-content/themes/paper/grid.css", "stylesheet", "css/@import"),
        ("https://news.example.com/wp-content/themes/paper/print.css", "stylesheet", "css/@import"),
        ("https://fonts.googleapis.com/css2?family=Lora&display=swap", "stylesheet", "css/@import"),
        ("https://news.example.com/wp-content/themes/paper/upper.css", "stylesheet", "css/@import"),
    ]


def test_import_loop_each_sheet_lists_the_other_and_never_itself() -> None:
    a, b = "https://news.example.com/css/a.css", "https://news.example.com/css/b.css"
    assert triples(sheet('@import "b.css"; @import "a.css"; .a{color:red}', a)) == [
        (b, "stylesheet", "css/@import")
    ]
    assert triples(sheet("@import url(a.css);\n@import url(/css/b.css#x);", b)) == [(a, "stylesheet", "css/@import")]


def test_comments_and_strings_hide_urls() -> None:
    found = sheet("""
      /* .old { background: url(commented.png) } */
      /*! preserved license comment url("license.png") */
      .q::before { content: "url(in-a-string.png)"; }
      .r::before { content: '/* not a comment */'; background: url(real.png); }
      .s { background: url(after-comment.png) } /* url(unterminated-comment.png)
      .t { background: url(swallowed.png) }
    """)
    assert [e.url.rsplit("/", 1)[-1] for e in found] == ["real.png", "after-comment.png"]


def test_image_set_strings_and_urls() -> None:
    found = sheet("""
      .hero {
        background-image: url(hero.jpg);
        background-image: -webkit-image-set("hero.avif" 1x, url(hero-2x.avif) 2x);
        background-image: image-set(
          "hero.avif" type("image/avif") 1x,
          'hero.webp' type('image/webp'),
          "hero-fallback.jpg");
      }
      .after { content: "not-a-url.png"; font-family: "Serif.woff"; }
    """)
    base = "https://news.example.com/wp-content/themes/paper/"
    assert triples(found) == [
        (base + "hero.jpg", "image", "css/url()"),
        (base + "hero.avif", "image", "css/image-set()"),
        (base + "hero-2x.avif", "image", "css/url()"),
        (base + "hero.webp", "image", "css/image-set()"),
        (base + "hero-fallback.jpg", "image", "css/image-set()"),
    ]


def test_fragment_only_data_and_empty_urls_skipped() -> None:
    found = sheet("""
      .clip { clip-path: url(#clip); filter: url("#blur"); mask: url( '#m' ); }
      .icon { background: url(data:image/svg+xml;charset=utf8,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27%3E%3C/svg%3E); }
      .icon2 { background: url("data:image/png;base64,iVBORw0KGgo="); }
      .e { background: url(); background: url(""); background: url(   ); }
      .j { background: url(javascript:alert(1)); behavior: url(about:blank); }
      .ok { background: url(ok.png); }
    """)
    assert urls(found) == ["https://news.example.com/wp-content/themes/paper/ok.png"]


def test_css_escapes() -> None:
    found = sheet(r"""
      .a { background: url(paren\(1\).png); }
      .b { background: url("sp\61 ce.png"); }
      .c { background: url('quote\'s.png'); }
      .d { background: url("wrapped\
line.png"); }
    """)
    assert [e.url.rsplit("/", 1)[-1] for e in found] == ["paren(1).png", "space.png", "quote's.png", "wrappedline.png"]


def test_malformed_css_does_not_leak_state() -> None:
    found = sheet("""
      .a { background: image-set("open.png" 1x }
      .b::after { content: "not-a-url.png"; }
      .c { background: url(bad url.png); background: url(bad"quote.png); }
      @font-face { src: url(f.woff2) }
      .d { background: url(after-font-face.woff2-looking) }
      } } } .e { background: url(extra-braces.png) }
      .g::before { content: "url(in-a-bad-string.png)
      }
      .f { background: url("unterminated.png
    """)
    assert [(e.url.rsplit("/", 1)[-1], e.kind) for e in found] == [
        ("open.png", "image"),
        ("f.woff2", "font"),
        ("after-font-face.woff2-looking", "image"),
        ("extra-braces.png", "image"),
    ]


@pytest.mark.parametrize(
    "css",
    [
        '.a { background: image-set("open.png" 1x } a[href$="not-a-url.pdf"] { color: red }',
        'image-set("open.png" .b { background: red } .c::after { content: "not-a-url.png" }',
        'image-set("open.png" .b::after { content: "not-a-url.png" }',
    ],
)
def test_unclosed_image_set_ends_at_a_brace(css: str) -> None:
    assert [e.url.rsplit("/", 1)[-1] for e in sheet(css)] == ["open.png"]


def test_dedup_and_total_in_css() -> None:
    found, total = css_embeds(
        ".a{background:url(x.png)}.b{background:url('x.png')}.c{background:url(./x.png#frag)}.d{background:url(y.png)}",
        SHEET,
    )
    assert [e.url.rsplit("/", 1)[-1] for e in found] == ["x.png", "y.png"]
    assert total == 2


def test_two_megabyte_stylesheet_with_a_limit() -> None:
    rule = (
        ".post-{i} .entry-header {{ background: #fafafa url('../img/bg-{i}.png') no-repeat; margin: 0 auto; }}\n"
        "/* url(ignored-{i}.png) padding: 0; */\n"
    )
    css = "".join(rule.format(i=i) for i in range(20_000))
    assert len(css) > 2_000_000
    found, total = css_embeds(css, SHEET, limit=10)
    assert len(found) == 10
    assert total == 20_000
    assert found[0] == Embed("https://news.example.com/wp-content/themes/img/bg-0.png", "image", "css/url()")
    assert found[-1].url.endswith("/bg-9.png")


@pytest.mark.parametrize(
    "css",
    [
        "/*" * 200_000,
        '"' * 400_000,
        "'" * 400_000,
        "url(" * 100_000,
        "url('" * 100_000,
        "(" * 400_000,
        ")" * 400_000,
        "{" * 200_000 + "}" * 200_000,
        "image-set(" * 50_000 + '"a.png"' * 50_000,
        "@import " * 100_000,
        "@font-face" * 100_000,
        "\\" * 400_000,
        "u" * 400_000 + "rl(",
        "@namespace " * 50_000,
        "url(" + "a" * 400_000,
    ],
)
def test_pathological_css_completes(css: str) -> None:
    found, total = css_embeds(css, SHEET, limit=5)
    assert len(found) <= 5
    assert total <= 1


def test_pathological_srcset_and_attributes_complete() -> None:
    huge = "a.jpg 1x (" + "x" * 400_000 + ", b.jpg"
    assert parse_srcset(huge) == ["a.jpg"]
    assert len(parse_srcset(", " * 200_000 + "c.jpg")) == 1
    tree = lxml_html.fromstring(
        f"<html><body><img srcset='{', '.join(f'/s/{i}.jpg {i}w' for i in range(20_000))}'>"
        f"<div style=\"{'background:url(/x.png);' * 20_000}\"></div></body></html>"
    )
    found, total = page_embeds(tree, PAGE, limit=3)
    assert (len(found), total) == (3, 20_001)


# -- the fast paths give the reference results ----------------------------------------------------------

_CSS_PIECES = [
    *("url(", "URL(", "uRl( ", "xurl(", "-url(", "u", "rl(", "@", "@import ", "@IMPORT", "@media "),
    *("@font-face", "@FONT-FACE ", "@font-facex", "@namespace ", "@-moz-document ", "@document"),
    *("@-webkit-keyframes", "{", "}", "(", ")", '"', "'", "/*", "*/", "/", "\\", "\n", " ", ";", ","),
    *("a.png", "x.woff", "f.css", "data:x", "#c", "\u00e9"),
    *("\u0131", "\u0130", "\u017f", "@\u0131mport "),  # dotless i, dotted I, long s: case variants of i, s
]
_IMAGE_SET_PIECES = ["image-set(", "-webkit-image-set(", "\u0131mage-set(", "image-\u017fet(", "1x"]


@pytest.mark.parametrize("image_set", [False, True])
def test_css_scan_finds_what_the_reference_tokenizer_finds(image_set: bool) -> None:
    pieces = _CSS_PIECES + (_IMAGE_SET_PIECES if image_set else [])
    rnd = random.Random(20240517)
    for _ in range(1500):
        css = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 120)))
        assert embeds_module._scan_css(css) == embeds_module._scan_css_tokens(css), css


def test_css_scan_tracks_font_face_blocks_between_tokens() -> None:
    css = (
        '@font-face { src: url(a.bin); .x { } src: url("b.bin") } url(c.bin) '
        "@font-face /* { */ ; .y { url(d.bin) @font-face { url(e.bin) } url(f.bin) } url(g.bin) "
        "} } @font-face \"{\" { { } url(h.bin) } url(i.bin)"
    )
    found = embeds_module._scan_css(css)
    assert found == embeds_module._scan_css_tokens(css)
    assert [(raw, kind) for raw, kind, _ in found] == [
        ("a.bin", "font"), ("b.bin", "font"), ("c.bin", "image"), ("d.bin", "font"), ("e.bin", "font"),
        ("f.bin", "image"), ("g.bin", "image"), ("h.bin", "font"), ("i.bin", "image"),
    ]


_URL_PIECES = [
    *("http://", "https://", "HTTP://", "https:", "//", "/", "\\", "..", ".", "./", "../", "/./", "/../"),
    *("?", "#", ";", "@", ":", "a", "b.jpg", "x.com", "[", "]", "::1", "\t", "\n", " ", "%2e"),
    *("data:", "javascript:", "?q=1", "#frag"),
    *("//[::1]", "\u00e4", "\uff46", "\u2100"),  # non-ASCII hosts, some changed by NFKC
]


@pytest.mark.parametrize(
    "base",
    ["https://news.example.com/a/b.html", "http://news.example.com/a/", "https://ex.com:8080/a;p/b?q=1#f",
     "HTTPS://Ex.com", "ftp://files.example.com/a", "https://[::1/a", "/relative/base"],
)
def test_url_shortcuts_resolve_as_urljoin_does(base: str) -> None:
    rnd = random.Random(base)
    resolver = embeds_module._Resolver(base)
    for _ in range(4000):
        raw = "".join(rnd.choice(_URL_PIECES) for _ in range(rnd.randint(1, 7)))
        expected = embeds_module._absolute(raw, base)  # urljoin
        assert resolver(raw) == expected, raw
        assert resolver(raw) == expected, raw  # again, from the resolver's memo


def test_url_shortcut_shapes() -> None:
    base = "https://news.example.com/2024/05/17/story/"
    cases = {
        "/img/a.jpg?w=300#x": "https://news.example.com/img/a.jpg?w=300",
        "//cdn.example.net/a.js": "https://cdn.example.net/a.js",
        "http://other.example/a.css": "http://other.example/a.css",
        "/img/./a/../b.jpg": "https://news.example.com/img/b.jpg",  # dot segments: urljoin
        "/img/a.jpg?": "https://news.example.com/img/a.jpg",  # an empty query: urljoin drops the "?"
        "//cdn.example.net/a;v=2/b.js": "https://cdn.example.net/a;v=2/b.js",
        "HTTPS://CDN.example.net/x.png": "https://CDN.example.net/x.png",
    }
    resolver = embeds_module._Resolver(base)
    for raw, expected in cases.items():
        assert resolver(raw) == expected == urljoin(base, raw).split("#")[0]


def _reference_page_embeds(tree: etree._Element, url: str, limit: int | None) -> tuple[list[Embed], int]:
    """page_embeds by visiting every element (the walk before element selection)."""
    href = next((b.get("href") for b in tree.iter("base") if b.get("href") is not None), None)
    base = url if href is None else embeds_module._absolute(href, url) or url
    collector = embeds_module._Collector(url, base, limit)
    embeds_module._walk(tree, "", collector.add)
    return collector.result()


def _random_page(rnd: random.Random) -> str:
    def url() -> str:
        return rnd.choice(["/a.jpg", "b.png", "//cdn.x.com/c.js", "https://o.com/d.css", "../e.gif", "#x"])

    def style() -> str:
        return rnd.choice(["color:red", f"b:url({url()})", "width:calc(1px)", f"b:image-set('{url()}')"])

    leaves = [
        lambda: f'<img src="{url()}" srcset="{url()} 1x, {url()} 2x">',
        lambda: f'<div style="{style()}">t</div>',
        lambda: f'<link rel="stylesheet" href="{url()}">',
        lambda: f"<script src='{url()}'></script>",
        lambda: f"<style>.a{{background:url({url()})}} @font-face{{src:url({url()})}}</style>",
        lambda: f'<video poster="{url()}"><source src="{url()}"></video>',
        lambda: f'<base href="{rnd.choice(["/base/", "https://b.example/x/"])}">',
        lambda: f'<noscript>&lt;img src="{url()}"&gt;</noscript>',
        lambda: f'<table background="{url()}"><tr><td style="{style()}">x</td></tr></table>',
        lambda: f'<svg><use href="{url()}"></use></svg><!-- <img src="{url()}"> -->',
        lambda: f'<p style="{style()}">p</p>' * rnd.randint(1, 12),
    ]

    def node(depth: int) -> str:
        if depth > 3 or rnd.random() < 0.4:
            return rnd.choice(leaves)()
        tag = rnd.choice(["div", "section", "noscript", "p", "span"])
        attrs = f' style="{style()}"' if rnd.random() < 0.3 else ""
        return f"<{tag}{attrs}>" + "".join(node(depth + 1) for _ in range(rnd.randint(0, 5))) + f"</{tag}>"

    body = "".join(node(0) for _ in range(5))
    return f"<html><head>{rnd.choice(leaves)()}</head><body>{body}</body></html>"


def test_selected_elements_give_the_embeds_of_the_full_walk() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        tree = lxml_html.fromstring(_random_page(rnd))
        subtree = rnd.choice([el for el in tree.iter() if isinstance(el.tag, str)])
        for root in (tree, subtree):
            for limit in (None, 3):
                assert page_embeds(root, PAGE, limit=limit) == _reference_page_embeds(root, PAGE, limit)


@pytest.mark.parametrize("others", [3, 40])  # put in place among the selected elements; every element walked
def test_styled_elements_keep_their_place_in_document_order(others: int) -> None:
    styled = "".join(f'<p style="background:url(/img/p{i}.png)"></p>' for i in range(others))
    found = embeds(
        '<html><body><div style="background: url(/img/div.png)"><span>text</span><img src="/img/first.jpg">'
        f'</div><section><b style="background:url(/img/b.png)">x</b></section>{styled}<noscript>'
        '<i style="background:url(/img/ns.png)"></i></noscript><img src="/img/last.jpg"></body></html>'
    )
    assert [(e.url.rsplit("/", 1)[-1], e.context) for e in found] == [
        ("div.png", "@style/url()"),
        ("first.jpg", "img/@src"),
        ("b.png", "@style/url()"),
        *((f"p{i}.png", "@style/url()") for i in range(others)),
        ("ns.png", "noscript/@style/url()"),
        ("last.jpg", "img/@src"),
    ]


# -- the inline stylesheet cache ------------------------------------------------------------------------


def test_inline_style_cache_is_bounded_and_returns_the_scan() -> None:
    cache = embeds_module._CssCache(max_entries=4, max_chars=3_000, min_chars=50, max_text_chars=2_000)
    css = ".hero { background: url('/img/hero.jpg') } @font-face { src: url(/f.woff2) }" + " " * 100
    first = cache.scan(css)
    again = cache.scan(css)
    assert again is first  # kept
    assert list(first) == embeds_module._scan_css(css)
    assert (len(cache), cache.chars) == (1, len(css))
    for i in range(20):
        cache.scan(f".b{i} {{ background: url(/img/{i}.png) }}" + " " * 50 * (i % 7))
        assert len(cache) <= 4 and cache.chars <= 3_000
    assert css not in cache._refs  # evicted: scanned again, the same references
    assert cache.scan(css) == first
    cache.clear()
    assert (len(cache), cache.chars) == (0, 0)
    cache.scan(".a{background:url(a.png)}")  # too short to keep
    cache.scan(".a{background:url(a.png)}" + " " * 2_000)  # too long to keep
    assert (len(cache), cache.chars) == (0, 0)


def test_repeated_style_block_resolves_against_each_page() -> None:
    css = ".masthead { background-image: url('../img/masthead.jpg') } " + "/* theme */ " * 40
    markup = f"<html><head><style>{css}</style></head><body></body></html>"
    embeds_module._STYLE_CACHE.clear()
    first = embeds(markup)
    assert css in embeds_module._STYLE_CACHE._refs
    assert first == [Embed("https://news.example.com/2024/05/17/img/masthead.jpg", "image", "style/url()")]
    assert embeds(markup) == first
    other = embeds(markup, url="https://news.example.com/section/page.html")
    assert urls(other) == ["https://news.example.com/img/masthead.jpg"]
