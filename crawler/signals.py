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
