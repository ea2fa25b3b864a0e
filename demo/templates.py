"""HTML / XML / text templates of the demo news site.

The templates are :class:`string.Template` strings (``$name`` placeholders) so
that they stay readable as markup.  All values substituted into them must
already be escaped by the caller (``demo.site`` does that); the
templates themselves contain no logic.

The markup imitates a WordPress news theme (Enab Baladi style): a header with
top bar, logo, navigation, search form and breaking-news ticker; the main
column; a "most read" sidebar; and a footer.  Page furniture that text
extraction has to remove (share bar, font-size widget, donation appeal,
related posts, comments form, inline scripts and styles) is deliberately
present.

Page resources, as a browser loads them: the theme stylesheet (which
``@import`` rule, a web font and a background image),
a site icon, the theme script, and featured images with ``srcset`` in three
markups (:data:`FIGURE`, :data:`FIGURE_LAZY`, :data:`FIGURE_PICTURE`).  The
texts of the stylesheets and scripts are at the end of this module; the files
they name are served by :mod:`demo.assets`.
"""

from __future__ import annotations

from string import Template

#: Full HTML document shared by every HTML page of the site.
LAYOUT = Template(
    """<!DOCTYPE html>
<html lang="$lang" dir="$dir" prefix="og: https://ogp.me/ns# article: https://ogp.me/ns/article#">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$doc_title</title>
$head_meta
<link rel="alternate" type="application/rss+xml" title="$site_name &raquo; $feed_label" href="$feed_url">
<link rel="stylesheet" id="enab-style-css" href="/wp-content/themes/enab/style.css?ver=5.3.2" type="text/css" media="all">
<style id="enab-inline-css">
.entry-content p{line-height:1.9;margin:0 0 1.2em}
.font-size a{cursor:pointer;padding:0 .3em}
.enab-appeal{background:#f4f4f4;border-top:3px solid #8bc34a;padding:1em;position:relative}
</style>
<script type="text/javascript">
/* <![CDATA[ */
var enabAjax = {"ajaxurl":"\\/wp-admin\\/admin-ajax.php","lang":"$lang","nonce":"4f1c2e9a7b"};
/* ]]> */
</script>
<link rel="icon" href="$base_url/wp-content/uploads/enab-icon-32x32.png" sizes="32x32">
<link rel="apple-touch-icon" href="$base_url/wp-content/uploads/enab-icon-180x180.png">
</head>
<body class="$body_class">
<a class="skip-link screen-reader-text" href="#main">$skip_label</a>
<div id="page" class="site">
<header id="masthead" class="site-header" role="banner">
<div class="top-bar">
<ul class="social-links">
<li><a class="social-facebook" href="https://www.facebook.com/EnabBaladi" target="_blank" rel="noopener">Facebook</a></li>
<li><a class="social-twitter" href="https://twitter.com/EnabBaladi" target="_blank" rel="noopener">Twitter</a></li>
<li><a class="social-youtube" href="https://www.youtube.com/c/EnabBaladi" target="_blank" rel="noopener">YouTube</a></li>
<li><a class="social-telegram" href="https://t.me/EnabBaladi" target="_blank" rel="noopener">Telegram</a></li>
</ul>
<a class="lang-switch" href="$other_edition_url" hreflang="$other_edition_lang">$other_edition_label</a>
</div>
<div class="site-branding">
<p class="site-title"><a href="$home_url" rel="home">$site_name</a></p>
<p class="site-description">$tagline</p>
</div>
<nav id="site-navigation" class="main-navigation" aria-label="$menu_label">
<ul id="primary-menu" class="menu">
$nav_items
</ul>
</nav>
<form role="search" method="get" class="search-form" action="$home_url">
<label><span class="screen-reader-text">$search_label</span><input type="search" class="search-field" name="s" placeholder="$search_label"></label>
<button type="submit" class="search-submit">$search_label</button>
</form>
<div class="breaking-news">
<span class="breaking-label">$breaking_label</span>
<ul class="ticker">
$breaking_items
</ul>
</div>
</header>
<div id="content" class="site-content">
<main id="main" class="site-main" role="main">
$main
</main>
<aside id="secondary" class="widget-area" role="complementary">
<section class="widget widget-most-read">
<h2 class="widget-title">$most_read_label</h2>
<ol class="most-read">
$most_read_items
</ol>
</section>
<section class="widget widget-newsletter">
<h2 class="widget-title">$newsletter_label</h2>
<form class="newsletter-form" action="/wp-admin/admin-ajax.php" method="post">
<input type="email" name="email" placeholder="email@example.com">
<button type="submit">$subscribe_label</button>
</form>
</section>
</aside>
</div>
<footer id="colophon" class="site-footer" role="contentinfo">
<div class="footer-widgets">
<section class="footer-about">
<h2 class="widget-title">$footer_about_title</h2>
<p>$footer_about_text</p>
</section>
<section class="footer-menu">
<ul>
<li><a href="$about_url">$about_label</a></li>
<li><a href="$contact_url">$contact_label</a></li>
<li><a href="$support_url">$support_label</a></li>
<li><a href="$feed_url">RSS</a></li>
</ul>
</section>
</div>
<p class="copyright">$copyright</p>
</footer>
</div>
<script type="text/javascript" src="/wp-content/themes/enab/js/enab.js?ver=5.3.2" id="enab-script-js"></script>
<script type="text/javascript">
(function(){var d=document,s=d.createElement("script");s.async=true;s.src="/wp-content/themes/enab/js/stats.js";d.body.appendChild(s);})();
</script>
</body>
</html>
"""
)

#: Single article (``/archives/{id}``); goes into ``$main`` of :data:`LAYOUT`.
ARTICLE = Template(
    """<article id="post-$id" class="post-$id post type-post status-publish format-standard$thumb_class category-$category_slug">
<nav class="breadcrumbs" aria-label="breadcrumb"><a href="$home_url">$home_label</a> <span class="sep">&raquo;</span> <a href="$category_url">$category_name</a> <span class="sep">&raquo;</span> <span class="current">$title</span></nav>
<header class="entry-header">
<h1 class="entry-title">$title</h1>
<div class="entry-meta"><span class="byline">$by_label $author_links</span> <span class="date">$date</span></div>
</header>
$figure
<div class="font-size"><i class="tag-icon">tag icon</i> <a href="#" class="font-decrease" title="$font_smaller">$font_letter</a> <a href="#" class="font-reset" title="$font_normal">$font_letter</a> <a href="#" class="font-increase" title="$font_larger">$font_letter</a></div>
<div class="entry-content">
$body
</div>
$appeal_after
<div class="share-bar">
<span class="share-label">$share_label</span>
<a class="share-facebook" href="$share_facebook" target="_blank" rel="noopener">Facebook</a>
<a class="share-twitter" href="$share_twitter" target="_blank" rel="noopener">Twitter</a>
<a class="share-whatsapp" href="$share_whatsapp" target="_blank" rel="noopener">WhatsApp</a>
<a class="share-telegram" href="$share_telegram" target="_blank" rel="noopener">Telegram</a>
</div>
<div class="post-tags"><span class="tags-label">$tags_label</span> $tag_links</div>
<aside class="read-also related-posts">
<h3 class="related-title">$read_also_label</h3>
<ul>
$related_items
</ul>
</aside>
<section id="comments" class="comments-area comments">
<h3 class="comments-title">$comments_label</h3>
<p class="no-comments">$no_comments</p>
<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">$leave_comment</h3>
<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">
<p class="comment-form-comment"><textarea id="comment" name="comment" cols="45" rows="6" required></textarea></p>
<p class="comment-form-author"><input id="author" name="author" type="text" placeholder="$name_label"></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="$submit_label"><input type="hidden" name="comment_post_ID" value="$id"></p>
</form>
</div>
</section>
</article>"""
)

#: Featured image of an article, with ``srcset`` (on the site or on the
#: image CDN) and ``sizes``.  No whitespace between the icon and the caption
#: text, as on the original site ("camera icon" + caption).
FIGURE = Template(
    """<figure class="post-thumbnail wp-caption"><img src="/wp-content/uploads/$file" srcset="$srcset" sizes="$sizes" alt="$alt" width="800" height="450"><figcaption class="wp-caption-text"><span class="camera-icon">camera icon</span>$caption</figcaption></figure>"""
)

#: Featured image lazy-loaded as WordPress optimisation plugins do (here the
#: Autoptimize order: the ``<noscript>`` fallback first, then the
#: ``img.lazyload`` placeholder whose ``data-src``/``data-srcset`` the theme
#: script copies into ``src``/``srcset``).
FIGURE_LAZY = Template(
    """<figure class="post-thumbnail wp-caption"><noscript><img src="/wp-content/uploads/$file" srcset="$srcset" sizes="$sizes" alt="$alt" width="800" height="450"></noscript><img class="lazyload" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" data-src="/wp-content/uploads/$file" data-srcset="$srcset" sizes="$sizes" alt="$alt" width="800" height="450"><figcaption class="wp-caption-text"><span class="camera-icon">camera icon</span>$caption</figcaption></figure>"""
)

#: Featured image in a ``<picture>`` with a WebP ``<source>`` (WebP plugins'
#: "picture" mode: ``NAME.jpg.webp`` beside every ``NAME.jpg``).
FIGURE_PICTURE = Template(
    """<figure class="post-thumbnail wp-caption"><picture><source type="image/webp" srcset="$webp_srcset" sizes="$sizes"><img src="/wp-content/uploads/$file" srcset="$srcset" sizes="$sizes" alt="$alt" width="800" height="450"></picture><figcaption class="wp-caption-text"><span class="camera-icon">camera icon</span>$caption</figcaption></figure>"""
)

#: Donation appeal box, rendered inside or after ``div.entry-content``.
APPEAL = Template(
    """<div class="enab-appeal donation" id="enab-support-box">
<button type="button" class="appeal-close" aria-label="$close_label">×</button>
<p class="appeal-text">$line1</p>
<p class="appeal-text">$line2</p>
<p class="appeal-title"><strong>$line3</strong></p>
<p class="appeal-text">$line4</p>
<p class="appeal-cta"><a class="appeal-button" href="$support_url">$line5</a></p>
</div>"""
)

#: One entry of a list of posts (home, category, tag and author pages).
LIST_ITEM = Template(
    """<article class="post-item post-$id">
$thumb<h2 class="post-title"><a href="$url">$title</a></h2>
<div class="post-meta"><span class="post-category"><a href="$category_url">$category_name</a></span> <span class="post-date">$date</span></div>
<p class="excerpt">$summary</p>
</article>"""
)

#: Listing page body (category, tag, author and paginated home pages).
LISTING = Template(
    """<header class="page-header">
<h1 class="page-title">$heading</h1>
<div class="archive-description"><p>$description</p></div>
</header>
<div class="posts-list">
$items
</div>
$pagination"""
)

#: Home page body.
HOME = Template(
    """<h1 class="screen-reader-text">$site_name</h1>
<section class="latest-news">
<h2 class="section-title">$latest_label</h2>
<div class="posts-list">
$items
</div>
$pagination
</section>
<section class="from-archive">
<h2 class="section-title">$archive_label</h2>
<ul>
$archive_items
</ul>
</section>"""
)

#: Static page body (about, contact, support).
STATIC_PAGE = Template(
    """<article id="page-$page_id" class="page type-page status-publish">
<header class="entry-header"><h1 class="entry-title">$heading</h1></header>
<div class="entry-content page-content">
$body
</div>
</article>"""
)

#: 404 page body.
NOT_FOUND = Template(
    """<section class="error-404 not-found">
<header class="page-header"><h1 class="page-title">$heading</h1></header>
<div class="page-content">
$body
<p><a href="$home_url">$home_label</a></p>
</div>
</section>"""
)

#: Standalone login page served at ``/wp-admin/`` (disallowed by robots.txt).
WP_ADMIN = Template(
    """<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex,nofollow">
<title>تسجيل الدخول &lsaquo; عنب بلدي &#8212; ووردبريس</title>
</head>
<body class="login wp-core-ui">
<div id="login">
<h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>
<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">اسم المستخدم أو البريد الإلكتروني</label><input type="text" name="log" id="user_login"></p>
<p><label for="user_pass">كلمة المرور</label><input type="password" name="pwd" id="user_pass"></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" value="تسجيل الدخول"><input type="hidden" name="redirect_to" value="$base_url/wp-admin/"></p>
</form>
<p id="backtoblog"><a href="$base_url/">&larr; العودة إلى عنب بلدي</a></p>
</div>
</body>
</html>
"""
)

#: RSS 2.0 feed (``/feed/``, ``/en/feed/``).
RSS = Template(
    """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:atom="http://www.w3.org/2005/Atom"
\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
\txmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
\t<title>$title</title>
\t<atom:link href="$self_url" rel="self" type="application/rss+xml" />
\t<link>$home_url</link>
\t<description>$description</description>
\t<lastBuildDate>$last_build</lastBuildDate>
\t<language>$lang</language>
\t<sy:updatePeriod>hourly</sy:updatePeriod>
\t<sy:updateFrequency>1</sy:updateFrequency>
\t<generator>https://wordpress.org/?v=5.3.2</generator>
$items
</channel>
</rss>
"""
)

#: One ``<item>`` of :data:`RSS`.
RSS_ITEM = Template(
    """\t<item>
\t\t<title>$title</title>
\t\t<link>$link</link>
\t\t<comments>$comments</comments>
\t\t<dc:creator><![CDATA[$creator]]></dc:creator>
\t\t<pubDate>$pub_date</pubDate>
$categories
\t\t<guid isPermaLink="false">$guid</guid>
\t\t<description><![CDATA[$description]]></description>
\t\t<slash:comments>0</slash:comments>
\t</item>"""
)

#: Sitemap index (``/sitemap.xml``).
SITEMAP_INDEX = Template(
    """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
$entries
</sitemapindex>
"""
)

#: ``<urlset>`` sitemap (posts and pages).
URLSET = Template(
    """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
$entries
</urlset>
"""
)

#: Google News sitemap (``/news-sitemap.xml``).
NEWS_URLSET = Template(
    """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
$entries
</urlset>
"""
)

#: One ``<url>`` of :data:`NEWS_URLSET`.
NEWS_ENTRY = Template(
    """<url>
\t<loc>$loc</loc>
\t<news:news>
\t\t<news:publication>
\t\t\t<news:name>$publication</news:name>
\t\t\t<news:language>$lang</news:language>
\t\t</news:publication>
\t\t<news:publication_date>$date</news:publication_date>
\t\t<news:title>$title</news:title>
\t</news:news>
</url>"""
)

#: ``/robots.txt``.
ROBOTS = Template(
    """User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

Sitemap: $base_url/sitemap.xml
"""
)

#: Theme stylesheet (``/wp-content/themes/enab/style.css``).  What a browser
#: test can check it applied: ``.site-header`` has background colour
#: ``rgb(29, 78, 44)`` (``#1d4e2c``) and the headlines' ``font-family`` starts
#: with the web font ``"Enab Sans"`` (DejaVu Sans, Latin subset).  Relative
#: URLs resolve against the stylesheet's own URL.
STYLESHEET = """/*
Theme Name: Enab (demo)
Version: 5.3.2
*/
@import url("css/layout.css?ver=5.3.2");
@font-face{font-family:"Enab Sans";font-style:normal;font-weight:400;font-display:swap;src:url("fonts/enab-sans.woff2") format("woff2"),url("fonts/enab-sans.woff") format("woff")}
body{font-family:"Noto Naskh Arabic",Tahoma,sans-serif;margin:0;color:#222}
h1,h2,h3,.site-title,.entry-title,.page-title,.post-title{font-family:"Enab Sans","Noto Naskh Arabic",Tahoma,sans-serif}
.site-header{background-color:#1d4e2c;background-image:url("images/header-pattern.png");background-repeat:repeat;color:#fff;border-bottom:4px solid #8bc34a}
.site-header a{color:#fff}
.breaking-news{background:#f4f4f4;color:#222}
.breaking-news a{color:#1d4e2c}
"""

#: Second stylesheet, ``@import``-ed by :data:`STYLESHEET`
#: (``/wp-content/themes/enab/css/layout.css``): layout, and the caption's
#: camera icon as a background image (``../images/camera-icon.png``).
LAYOUT_STYLESHEET = """/* Enab (demo): layout, imported by style.css */
.main-navigation ul{list-style:none;display:flex;gap:1em}
.site-content{display:flex;gap:2em;max-width:1200px;margin:auto}
.site-main{flex:3}
.widget-area{flex:1}
.entry-title{font-size:2em}
.screen-reader-text{position:absolute;left:-9999px}
.site-footer{background:#222;color:#eee;padding:2em}
.post-thumbnail img{max-width:100%;height:auto}
.camera-icon{display:inline-block;width:16px;height:16px;margin:0 .25em;vertical-align:middle;background-image:url("../images/camera-icon.png");overflow:hidden;text-indent:-9999px}
img.lazyload{opacity:0}
img.lazyloaded{opacity:1;transition:opacity .3s}
"""

#: Theme script (``/wp-content/themes/enab/js/enab.js``), loaded with
#: ``<script src>`` at the end of every page: marks ``<html>`` with the class
#: ``enab-js``, swaps lazy images in (``data-src``/``data-srcset``), drives
#: the font-size widget and sets ``window.enabTheme.ready``.
THEME_SCRIPT = """/*! Enab (demo) theme script 5.3.2 */
(function (window, document) {
  "use strict";
  document.documentElement.className += " enab-js";

  function loadLazyImages() {
    var images = document.querySelectorAll("img.lazyload");
    for (var i = 0; i < images.length; i++) {
      var img = images[i];
      if (img.getAttribute("data-srcset")) { img.setAttribute("srcset", img.getAttribute("data-srcset")); }
      if (img.getAttribute("data-src")) { img.setAttribute("src", img.getAttribute("data-src")); }
      img.className = img.className.replace(/\\blazyload\\b/, "lazyloaded");
    }
  }

  function fontSizeWidget() {
    var content = document.querySelector(".entry-content");
    var size = 100;
    function bind(selector, step) {
      var link = document.querySelector(selector);
      if (!link || !content) { return; }
      link.addEventListener("click", function (event) {
        event.preventDefault();
        size = step === 0 ? 100 : Math.max(70, Math.min(160, size + step));
        content.style.fontSize = size + "%";
      });
    }
    bind(".font-decrease", -10);
    bind(".font-reset", 0);
    bind(".font-increase", 10);
  }

  function ready() {
    loadLazyImages();
    fontSizeWidget();
    window.enabTheme = { version: "5.3.2", ready: true };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})(window, document);
"""

#: Visit counter (``/wp-content/themes/enab/js/stats.js``), added to the page
#: by the inline snippet at the end of :data:`LAYOUT` (not a ``<script src>``).
STATS_SCRIPT = """/* Enab (demo) visit counter */
window.enabStats = { page: window.location.pathname, loaded: true };
"""
