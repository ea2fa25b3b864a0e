"""crawler.memory: the crawler process limits glibc's malloc arenas (ARCHIVE_MALLOC_ARENAS)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawler.memory import limit_malloc_arenas
from tests.conftest import PROJECT_ROOT

# Six threads hashing and allocating at once (hashlib releases the GIL), then glibc's own arena report.
PROBE = """
import ctypes, hashlib, os, sys, threading
from crawler.memory import limit_malloc_arenas
if int(sys.argv[1]):
    assert limit_malloc_arenas(int(sys.argv[1]))
data = os.urandom(1 << 20)
def work():
    for _ in range(200):
        hashlib.sha256(data).digest(); bytearray(300_000); hashlib.sha1(data * 2).digest()
threads = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in threads]; [t.join() for t in threads]
ctypes.CDLL("libc.so.6").malloc_stats()
"""


def arenas(limit: int) -> int:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(limit)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return sum(1 for line in proc.stderr.splitlines() if line.startswith("Arena "))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_arenas_are_limited():
    assert limit_malloc_arenas(0) is False  # 0 leaves glibc's default
    unlimited, limited = arenas(0), arenas(2)
    assert unlimited > 2, unlimited  # the probe does make glibc open more arenas
    assert limited <= 2, limited
