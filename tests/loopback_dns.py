"""A DNS resolver for crawls in tests: the host names in ``NEWS_TEST_HOSTS`` (``name=address,…``, names in
IDNA form) resolve to the given loopback addresses, every other name as usual.  Used with
``-s DNS_RESOLVER=tests.loopback_dns.LoopbackResolver`` to crawl internationalised domains served locally."""

from __future__ import annotations

import os
from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer


def test_hosts() -> dict[str, str]:
    pairs = (item.split("=", 1) for item in os.environ.get("NEWS_TEST_HOSTS", "").split(",") if "=" in item)
    return {name.strip().lower(): address.strip() for name, address in pairs}


test_hosts.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


class LoopbackResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:  # noqa: N802 (Twisted)
        address = test_hosts().get(name.lower())
        if address is not None:
            return defer.succeed(address)
        return super().getHostByName(name, timeout)
