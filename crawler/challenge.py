"""Bot-check and challenge pages: the interstitials bot protections answer instead of the page.

:func:`detect_challenge` looks at one response (status, headers, body) and names the kind of
interstitial it is, or returns None.  It works from generic signals, not from a list of
publishers:

* a header that only a challenge carries: Cloudflare's ``cf-mitigated: challenge``; DataDome's
  ``x-datadome`` (or ``x-dd-b``) on a 403/429 answer;
* the marks of a protection vendor's challenge or block page in the body (Cloudflare's
  ``/cdn-cgi/challenge-platform/`` and ``cf_chl_opt``, DataDome's ``captcha-delivery.com``,
  PerimeterX/HUMAN's ``px-captcha``, Akamai's ``errors.edgesuite.net`` reference, Sucuri's
  firewall page, Imperva/Incapsula's incident id), a captcha widget (hCaptcha, reCAPTCHA,
  Turnstile), or the words of a browser check ("Just a moment...", "Checking your browser",
  "Enable JavaScript and cookies to continue", "Verify you are human", "Press & Hold") —

each counted only on a page with almost no readable text (at most :data:`MAX_TEXT_CHARS`
characters, whitespace not counted, once scripts, styles and tags are removed).  A real article is long: one that
mentions captchas, Cloudflare or "verify you are human" is never taken for a challenge.  Some
vendor scripts (Cloudflare's bot-detection script, a reCAPTCHA on a comment form) are also on
ordinary pages, so a vendor mark alone is not enough: the page must also answer a challenge
status (403, 429, 503) or carry a challenge's title or words.

Kinds returned: ``cloudflare``, ``datadome``, ``perimeterx``, ``akamai``, ``sucuri``,
``imperva``, ``hcaptcha``, ``recaptcha``, ``turnstile``, ``browser-check`` (the words of a
check without a known vendor's marks).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: Pages with more readable text than this are pages, not interstitials.
MAX_TEXT_CHARS = 1500
#: A check without a vendor's marks, answered 200 and not titled as one, has at most this much text.
SHORT_CHECK_CHARS = 300
#: Statuses protections answer a challenge or a block with.
CHALLENGE_STATUSES = frozenset({403, 429, 503})
#: Only the start of a body is read (challenge pages are a few KiB; their scripts can be tens).
SCAN_BYTES = 256 * 1024
# A body's head read first: an article's text usually passes the limit there already.
_HEAD_BYTES = 32 * 1024

# Marks of each vendor's challenge or block page (lowercased body text).
_VENDOR_MARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cloudflare", ("/cdn-cgi/challenge-platform/", "cf_chl_opt", "cf-chl-", "cf_chl_", "cf-browser-verification",
                    "attention required! | cloudflare", "cloudflare ray id", "cf-error-details")),
    ("datadome", ("captcha-delivery.com", "geo.captcha-delivery", "dd={'rt':", 'dd={"rt":')),
    ("perimeterx", ("px-captcha", "_pxcaptcha", "captcha.px-cdn.net", "captcha.px-cloud.net", "/_px/",
                    "_pxappid")),
    ("akamai", ("errors.edgesuite.net", "errors&#46;edgesuite&#46;net", "/_sec/cp_challenge/", "sec-if-cpt",
                "reference&#32;&#35;")),
    ("sucuri", ("sucuri website firewall", "sucuri_cloudproxy", "cloudproxy@sucuri.net", "sucuri.net/privacy")),
    ("imperva", ("_incapsula_resource", "incapsula incident id", "pardon our interruption")),
    ("hcaptcha", ("hcaptcha.com/1/api.js", 'class="h-captcha"', "js.hcaptcha.com")),
    ("turnstile", ("challenges.cloudflare.com/turnstile", 'class="cf-turnstile"')),
    ("recaptcha", ("google.com/recaptcha/", "recaptcha/api.js", 'class="g-recaptcha"', "recaptcha.net/recaptcha")),
)
# The words and titles of a browser check (lowercased readable text or title).
_CHECK_WORDS = (
    "just a moment",
    "checking your browser",
    "checking if the site connection is secure",
    "enable javascript and cookies to continue",
    "please enable cookies",
    "please enable javascript",
    "please enable js and disable any ad blocker",
    "verify you are human",
    "verifying you are human",
    "verify you are a human",
    "are you a robot",
    "not a robot",
    "press & hold",
    "press and hold",
    "unusual traffic from your",
    "access to this page has been denied",
    "attention required",
    "needs to review the security of your connection",
    "ddos protection by",
    "complete the security check",
    "please wait while we verify",
    "pardon our interruption",
    "request unsuccessful",
    "access denied",
)

_HIDDEN = re.compile(r"<(script|style|template|svg)\b|<!--", re.IGNORECASE)
_CLOSE = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style", "template", "svg")}
_TAG = re.compile(r"<[^>]*>")
# Markup is stripped of tags in slices of this many characters (a tag cut in two counts a few as text).
_SLICE = 4096
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def _header(headers: Mapping[Any, Any], name: str) -> str:
    """A header's value, whatever the mapping's key and value types (str or bytes, any case)."""
    for key, value in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if k.lower() != name:
            continue
        if isinstance(value, list):
            value = value[0] if value else b""
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""


def _segments(markup: str) -> Iterator[str]:
    """The markup outside scripts, styles, templates, SVG and comments, in order (linear time: an element
    left open hides the rest of the page)."""
    pos = 0
    while (match := _HIDDEN.search(markup, pos)) is not None:
        yield markup[pos:match.start()]
        element = match.group(1)
        if element:
            close = _CLOSE[element.lower()].search(markup, match.end())
            pos = close.end() if close else 0
        else:
            end = markup.find("-->", match.end())
            pos = end + 3 if end >= 0 else 0
        if pos <= 0:
            return
    yield markup[pos:]


def _visible(markup: str, limit: int | None = None) -> str | None:
    """The markup's text outside tags and hidden elements (see :func:`_segments`); None as soon as it has
    more than ``limit`` characters, whitespace not counted (read in slices, so an article stops early)."""
    kept: list[str] = []
    chars = 0
    for segment in _segments(markup):
        for start in range(0, len(segment), _SLICE):
            text = _TAG.sub(" ", segment[start:start + _SLICE])
            kept.append(text)
            if limit is not None:
                chars += len(text) - sum(text.count(space) for space in " \n\t\r\f\xa0")
                if chars > limit:
                    return None
    return "".join(kept)


def page_text(markup: str) -> str:
    """The readable text of an HTML page, roughly (scripts, styles and tags removed; whitespace collapsed)."""
    return " ".join(html.unescape(_visible(markup) or "").split())


def detect_challenge(status: int, headers: Mapping[Any, Any], body: bytes) -> str | None:
    """The kind of bot-check or challenge page this response is, or None for an ordinary response.

    ``headers`` may be Scrapy's :class:`~scrapy.http.headers.Headers` or any mapping of names to
    values (str or bytes).  See the module docstring for the signals used.
    """
    if _header(headers, "cf-mitigated").strip().lower() == "challenge":
        return "cloudflare"
    challenge_status = status in CHALLENGE_STATUSES
    if challenge_status and status != 503 and (_header(headers, "x-datadome") or _header(headers, "x-dd-b")):
        return "datadome"
    if not body:
        return None
    if b"<" not in body[:SCAN_BYTES]:
        return None  # not markup: a plain-text error, JSON
    # Cheap first: an article is given up as soon as its text passes the limit, most often in its head.
    if len(body) > _HEAD_BYTES and _visible(body[:_HEAD_BYTES].decode("utf-8", "replace"), MAX_TEXT_CHARS) is None:
        return None
    markup = body[:SCAN_BYTES].decode("utf-8", "replace")
    visible = _visible(markup, MAX_TEXT_CHARS)
    if visible is None:
        return None  # a page with this much to read is a page
    text = " ".join(html.unescape(visible).split())
    lowered = markup.lower()
    title_match = _TITLE.search(markup)
    title = page_text(title_match.group(1)).lower() if title_match else ""
    words = text.lower()
    check_words = any(w in title or w in words for w in _CHECK_WORDS)
    for kind, marks in _VENDOR_MARKS:
        # A vendor's script on an ordinary short page (a contact form's reCAPTCHA) is no challenge.
        if (challenge_status or check_words) and any(mark in lowered for mark in marks):
            return kind
    # Without a vendor's marks, the check's words must be its title, or nearly all there is to read.
    if any(w in title for w in _STRONG_WORDS) or (
        (challenge_status or len(text) <= SHORT_CHECK_CHARS) and any(w in words for w in _STRONG_WORDS)
    ):
        return "browser-check"
    return None


# Words that on an almost empty page mean a check even without a vendor's marks
# ("access denied" alone is an ordinary 403 page, not a bot check).
_STRONG_WORDS = (
    "just a moment",
    "checking your browser",
    "checking if the site connection is secure",
    "enable javascript and cookies to continue",
    "verify you are human",
    "verifying you are human",
    "verify you are a human",
    "are you a robot",
    "press & hold",
    "press and hold",
    "unusual traffic from your",
    "access to this page has been denied",
    "needs to review the security of your connection",
    "ddos protection by",
    "complete the security check",
    "please wait while we verify",
    "pardon our interruption",
)
