"""The project's own Scrapy signals (connect with ``crawler.signals.connect(handler, signal=...)``)."""

from __future__ import annotations

#: Sent by :class:`pipelines.export.JsonExportPipeline` once an article's JSON is
#: in the store.  Arguments: ``item`` (the :class:`crawler.items.ArticleItem`)
#: and ``key`` (its storage key).  The archive extension records the page for
#: the WACZ and the article key in the site state; the repetition pipeline
#: remembers which key to re-clean.
article_stored = object()

#: Sent by the news spider for a page its heuristics rejected although it looked like a
#: candidate article (:attr:`crawler.detection.PageVerdict.candidate`: a date, a dateline or
#: body text; not a home, category or tag page).  Arguments: ``url`` and ``reason`` (the
#: verdict's reason, e.g. ``heuristic:no-date``).  The archive extension lists these pages
#: in the crawl manifest (``rejected_pages``).
page_rejected = object()

#: Sent by :class:`crawler.middlewares.challenge.ChallengePageMiddleware` for a response that is a
#: bot-check or challenge page (:func:`crawler.challenge.detect_challenge`).  Arguments: ``url``,
#: ``kind`` (e.g. ``cloudflare``) and ``status``.  The archive extension lists these pages in the
#: crawl manifest (``challenge_pages``).
challenge_page = object()

#: Sent by the archive extension at ``spider_closed`` once the crawl's final counts are known
#: (everything written, uploads tried) and just before the final manifest is written.
#: Arguments: ``manifest`` (the dict about to be written: receivers may add keys to it) and
#: ``reason`` (the close reason).  The alerts extension evaluates the crawl here.
manifest_closing = object()
