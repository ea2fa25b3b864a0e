"""Bundled demo news site (Enab Baladi style, Arabic + English) for ``make demo`` and tests.

* :mod:`demo.site` — content (``articles.json``), templates and the pure
  ``render(path, base_url=None) -> (status, headers, body)`` router;
* :mod:`demo.server` — ``DemoServer`` (threaded HTTP/1.1, gzip) and the
  ``python -m demo.server`` command.
"""
