"""The web console (``scrapy archive-web``, docs/console.md): a Flask app over the archive store and the crawl plan.

* :mod:`crawler.web.app` — the app factory :func:`crawler.web.app.create_app`, routes, security headers;
* :mod:`crawler.web.auth` — logins (credentials or a one-time token URL), sessions, CSRF tokens;
* :mod:`crawler.web.store` — what the pages read from the archive store (manifests, runs, alerts,
  articles, images out of WARC records, per-host tables from the CDXJ index);
* :mod:`crawler.web.plans` — editing the crawl plan (validated, written atomically, previous version kept);
* :mod:`crawler.web.runner` — "run now": a run started as the scheduler starts it, followed in the background;
* :mod:`crawler.web.render` — server-side rendering helpers (sparklines, word diffs, safe links).
"""
