"""Bot-check and challenge pages: the detector (crawler/challenge.py) and ChallengePageMiddleware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler import signals as news_signals
from crawler.challenge import detect_challenge
from crawler.middlewares.challenge import ChallengePageMiddleware
from tests import challenge_pages as pages

CHALLENGES = [
    ("cloudflare-js", 403, {"Server": "cloudflare"}, pages.CLOUDFLARE, "cloudflare"),
    ("cloudflare-js-503", 503, {}, pages.CLOUDFLARE, "cloudflare"),
    ("cloudflare-block", 403, {}, pages.CLOUDFLARE_BLOCK, "cloudflare"),
    ("cloudflare-header", 403, {"cf-mitigated": "challenge"}, b"<html><body>x</body></html>", "cloudflare"),
    ("datadome", 403, {}, pages.DATADOME, "datadome"),
    ("datadome-header", 403, {"X-DataDome": "protected"}, b"", "datadome"),
    ("perimeterx", 403, {}, pages.PERIMETERX, "perimeterx"),
    ("akamai", 403, {}, pages.AKAMAI, "akamai"),
    ("sucuri", 403, {}, pages.SUCURI, "sucuri"),
    ("imperva-200", 200, {}, pages.IMPERVA, "imperva"),
    ("recaptcha-only-200", 200, {}, pages.RECAPTCHA_ONLY, "recaptcha"),
    ("hcaptcha-403", 403, {}, pages.HCAPTCHA_403, "hcaptcha"),
    ("browser-check-200", 200, {}, pages.BROWSER_CHECK, "browser-check"),
    ("browser-check-429", 429, {}, b"<html><body><p>Please verify you are human.</p></body></html>", "browser-check"),
]


@pytest.mark.parametrize(("name", "status", "headers", "body", "kind"), CHALLENGES, ids=[c[0] for c in CHALLENGES])
def test_challenge_pages_detected(name, status, headers, body, kind):
    assert detect_challenge(status, headers, body) == kind


ORDINARY = [
    ("article-about-captchas", 200, pages.ARTICLE_ABOUT_CAPTCHAS),
    ("article-about-captchas-403", 403, pages.ARTICLE_ABOUT_CAPTCHAS),
    ("nginx-403", 403, pages.NGINX_403),
    ("contact-form-recaptcha", 200, pages.CONTACT_PAGE_WITH_RECAPTCHA),
    ("datadome-header-on-a-page", 200, pages.ARTICLE_ABOUT_CAPTCHAS),
    ("plain-503", 503, b"Service Unavailable"),
    ("empty", 200, b""),
    ("short-page-mentioning-a-check", 200,
     b"<html><head><title>Letters</title></head><body><p>" + b"A reader writes that sites keep asking her to verify "
     b"you are human, and wonders why the news needs that. We explain the reasons at length in our weekly column, "
     b"where we also look at the trade-offs between protecting servers and keeping pages open to every reader, and "
     b"at how archives such as the national library cope with the checks when they collect the web each year for "
     b"the public record; the answer is longer than you may think, and we give it in full on Sunday.</p>"
     b"<p>More letters on page two.</p></body></html>"),
]


@pytest.mark.parametrize(("name", "status", "body"), ORDINARY, ids=[o[0] for o in ORDINARY])
def test_ordinary_pages_are_not_challenges(name, status, body):
    headers = {"X-DataDome": "protected"} if name.startswith("datadome") else {}
    assert detect_challenge(status, headers, body) is None


def test_headers_of_any_shape():
    assert detect_challenge(200, {b"CF-Mitigated": [b"challenge"]}, b"") == "cloudflare"
    assert detect_challenge(200, {"cf-mitigated": "managed"}, b"") is None


# --- the middleware ---------------------------------------------------------------------------------------------


class Callback:
    def __init__(self, *outputs: Any) -> None:
        self.outputs = outputs
        self.started = False

    async def __call__(self) -> AsyncIterator[Any]:
        self.started = True
        for out in self.outputs:
            yield out


def collect(agen: AsyncIterator[Any]) -> list[Any]:
    async def run() -> list[Any]:
        return [out async for out in agen]

    return asyncio.run(run())


def make_response(url: str, status: int, body: bytes) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, headers={"Content-Type": "text/html"},
                        request=Request(url), encoding="utf-8")


def test_middleware_counts_logs_once_per_host_and_skips_the_callback(caplog):
    crawler = get_crawler(settings_dict={"EXTENSIONS": {}, "ADDONS": {}})
    crawler.stats.open_spider()
    seen: list[dict[str, Any]] = []
    crawler.signals.connect(lambda **kw: seen.append({k: kw[k] for k in ("url", "kind", "status")}),
                            signal=news_signals.challenge_page, weak=False)
    mw = ChallengePageMiddleware.from_crawler(crawler)
    caplog.set_level(logging.WARNING)
    for n, body in enumerate([pages.CLOUDFLARE, pages.CLOUDFLARE]):
        response = make_response(f"https://news.example.org/a{n}", 200, body)
        mw.process_spider_input(response)
        callback = Callback({"item": n})
        assert collect(mw.process_spider_output(response, callback())) == []
        assert not callback.started
    assert crawler.stats.get_value("news/pages/challenge") == 2
    assert crawler.stats.get_value("news/pages/challenge/cloudflare") == 2
    assert [r.getMessage() for r in caplog.records if "Bot-check page" in r.getMessage()] == [
        "Bot-check page (cloudflare challenge, HTTP 200) at https://news.example.org/a0: archived in WARC, not an "
        "article; further ones from news.example.org are only counted (news/pages/challenge)"]
    assert seen == [{"url": f"https://news.example.org/a{n}", "kind": "cloudflare", "status": 200} for n in (0, 1)]
    # An ordinary page goes through untouched.
    article = make_response("https://news.example.org/real", 200, pages.ARTICLE_ABOUT_CAPTCHAS)
    mw.process_spider_input(article)
    callback = Callback({"item": "real"})
    assert collect(mw.process_spider_output(article, callback())) == [{"item": "real"}]
    assert crawler.stats.get_value("news/pages/challenge") == 2
