"""ArchiveIO: the crawl's one archive I/O thread.

WARC records and JSON files are compressed, digested, written and fsynced on
one background thread, in the order they were submitted, so the reactor keeps
fetching meanwhile.  :meth:`ArchiveIO.run` is awaited (an item never moves on
before its bytes are written); :meth:`ArchiveIO.post` does not wait and calls
back on the event loop's thread.

Without an asyncio event loop (another Twisted reactor), when disabled
(``ARCHIVE_IO_THREAD = False``, read by the archive extension) or once
closed, work runs inline on the caller's thread.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

Done = Callable[[BaseException | None], None]


class ArchiveIO:
    """One ordered worker thread for archive writes (see module docstring)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.closed = False
        self._pool: ThreadPoolExecutor | None = None
        self._done: deque[tuple[Done, BaseException | None]] = deque()

    def _executor(self) -> ThreadPoolExecutor | None:
        if not self.enabled or self.closed:
            return None
        if self._pool is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # no asyncio loop (a non-asyncio reactor): write inline
                self.enabled = False
                return None
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-io")
        return self._pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the I/O thread (in submission order), awaited."""
        pool = self._executor()
        if pool is None:
            return fn(*args)
        return await asyncio.wrap_future(pool.submit(fn, *args))

    def post(self, fn: Callable[..., Any], *args: Any, done: Done) -> None:
        """``fn(*args)`` on the I/O thread without waiting for it.

        ``done(error)`` runs on the event loop's thread afterwards (or at the
        latest in :meth:`close`), with the exception ``fn`` raised or None.
        """

        def call() -> BaseException | None:
            try:
                fn(*args)
            except Exception as exc:
                return exc
            return None

        pool = self._executor()
        if pool is None:
            done(call())
            return
        loop = asyncio.get_running_loop()

        def job() -> None:
            self._done.append((done, call()))
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._drain)

        pool.submit(job)

    def _drain(self) -> None:
        while self._done:
            done, error = self._done.popleft()
            done(error)

    def close(self) -> None:
        """Wait for everything submitted, run the pending callbacks; later work runs inline."""
        if self.closed:
            return
        self.closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._drain()
