"""URL normalisation and stable article ids."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track a click; they never change the page.
TRACKING_PARAM_RE = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|gclsrc|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|"
    r"ref_src|ref_url|__twitter_impression|spm|cmpid|ocid|wt_mc|mkt_tok)$",
    re.IGNORECASE,
)


def strip_tracking(url: str) -> str:
    """Remove tracking parameters (utm_*, fbclid, …) and the fragment; keep the rest as is."""
    parts = urlsplit(url)
    if parts.query:
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAM_RE.match(k)]
        query = urlencode(kept, doseq=True) if len(kept) != len(parse_qsl(parts.query, keep_blank_values=True)) else parts.query
    else:
        query = ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def normalize_url(url: str) -> str:
    """A comparison key for URLs: tracking removed, then w3lib canonical form."""
    return canonicalize_url(strip_tracking(url), keep_fragments=False)


def article_id(canonical_url: str) -> str:
    """Stable record id: first 24 hex digits of SHA-256 of the normalised canonical URL."""
    return hashlib.sha256(normalize_url(canonical_url).encode("utf-8")).hexdigest()[:24]
