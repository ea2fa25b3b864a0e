"""Bundled demo news site (Enab Baladi style, Arabic + English) for ``make demo`` and tests.

* :mod:`demo.site` — content (``articles.json``), templates and the pure
  ``render(path, base_url=None) -> (status, headers, body)`` router, and
  ``render_cdn(path)`` for the site's image CDN;
* :mod:`demo.assets` — what a browser loads with a page: featured images in
  three sizes (JPEG, WebP), theme stylesheets, web font, background images,
  site icons and scripts (binary files in ``demo/static/``, made once by
  ``demo/make_images.py``);
* :mod:`demo.server` — ``DemoServer`` (threaded HTTP/1.1, gzip; the image CDN
  on ``127.0.0.2``) and the ``python -m demo.server`` command.
"""
