"""HeadMetaRefreshMiddleware follows meta refreshes as Scrapy's does, without decoding pages that have none."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.middlewares.metarefresh import HeadMetaRefreshMiddleware


def _mw() -> HeadMetaRefreshMiddleware:
    # No extensions: the archive extension would open (and lock) a site state for a crawl never run.
    crawler = get_crawler(settings_dict={k: v for k, v in vars(project_settings).items() if k.isupper()}
                          | {"EXTENSIONS": {}})
    return HeadMetaRefreshMiddleware.from_crawler(crawler)


def test_meta_refresh_followed_and_plain_pages_not_decoded() -> None:
    mw = _mw()
    request = Request("http://127.0.0.1/old")
    refresh = HtmlResponse(
        "http://127.0.0.1/old", request=request, encoding="utf-8",
        body=b'<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; url=/new"></head><body>moved</body></html>',
    )
    out = mw.process_response(request, refresh)
    assert isinstance(out, Request) and out.url == "http://127.0.0.1/new"

    plain = HtmlResponse(
        "http://127.0.0.1/a", request=Request("http://127.0.0.1/a"), encoding="utf-8",
        body=("<html><head><title>خبر</title></head><body>" + "<p>نص عربي طويل</p>" * 5000 + "</body></html>").encode(),
    )
    assert mw.process_response(plain.request, plain) is plain
    assert plain._cached_ubody is None  # the 170 KB page was not decoded to look for a refresh

    # "refresh" in the page but no meta refresh: Scrapy's middleware decides (and finds none).
    worded = HtmlResponse("http://127.0.0.1/b", request=Request("http://127.0.0.1/b"), encoding="utf-8",
                          body=b"<html><body><p>Refresh the page to see updates</p></body></html>")
    assert mw.process_response(worded.request, worded) is worded


def test_installed_in_place_of_scrapys() -> None:
    mws = project_settings.DOWNLOADER_MIDDLEWARES
    assert mws["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert mws["crawler.middlewares.metarefresh.HeadMetaRefreshMiddleware"] == 580
