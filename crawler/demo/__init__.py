"""Bundled demo news site (Enab Baladi style, Arabic + English) for ``make demo`` and tests.

* :mod:`crawler.demo.site` — content (``articles.json``), templates and the pure
  ``render(path, base_url=None) -> (status, headers, body)`` router;
* :mod:`crawler.demo.server` — ``DemoServer`` (threaded HTTP/1.1, gzip) and the
  ``python -m crawler.demo.server`` command.
"""
