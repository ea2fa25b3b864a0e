"""Process memory: glibc's malloc arenas.

glibc gives each thread that allocates concurrently its own malloc arena (up to eight per core), and memory
freed in one arena is not reused by another. A crawl allocates on several threads at once — the reactor, the
archive I/O thread compressing WARC records, the upload and DNS threads — so with page resources (many
mid-sized bodies passing between threads) the crawler process's RSS grew with the length of the crawl although
the Python objects alive did not: measured with ``make bench``, 10,000 pages with their resources, crawler
process 221 MB with glibc's default, 168 MB with two arenas (157 MB for 2,000 pages either way).

:func:`limit_malloc_arenas` sets that limit from inside the process (``mallopt(M_ARENA_MAX)``, what the
``MALLOC_ARENA_MAX`` environment variable does at start-up); arenas made before the call are kept.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

logger = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(count: int) -> bool:
    """Limit glibc's malloc arenas to ``count``; False where that is not possible (not glibc, count <= 0)."""
    if count <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(_M_ARENA_MAX, count))
    if not ok:
        logger.debug("mallopt(M_ARENA_MAX, %d) was refused", count)
    return ok
