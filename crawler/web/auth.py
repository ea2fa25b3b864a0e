"""Who may do what in the console: logins, sessions and CSRF tokens.

* **Sessions** are Flask's signed cookies (``HttpOnly``, ``SameSite=Lax``), signed with
  ``ARCHIVE_WEB_SECRET`` or, when it is empty, a random key made at start (every session ends
  when the console restarts).  A session is *authenticated* after a login.
* **Logins**: with ``ARCHIVE_WEB_USER`` and ``ARCHIVE_WEB_PASSWORD`` set, a login form (the
  password is compared with :func:`hmac.compare_digest`, never logged) and every page needs a
  login.  Without them (loopback only: the command refuses any other address), reading needs no
  login, and the command prints a one-time login URL (``/login?token=…``, like Jupyter's) whose
  random token authenticates the browser that opens it, once.
* **Write actions** (add a job, pause, resume, run now, verify, log out) are POSTs that need an
  authenticated session **and** the session's CSRF token (a random per-session token in a hidden
  form field, compared with :func:`hmac.compare_digest`), and a ``Referer`` of the console itself
  (same host and port) outside ``/replay/``.  Archived pages run on the separate replay origin
  (another port, :mod:`crawler.web.replay`): the session cookie reaches it too (cookies are not
  port-isolated), but that app never reads it, and the same-origin policy keeps its scripts from
  reading the console's pages, hence the CSRF token.  Anything else is refused with 403 and nothing is written.

Settings read: ``ARCHIVE_WEB_USER``, ``ARCHIVE_WEB_PASSWORD``, ``ARCHIVE_WEB_SECRET`` (by the app factory).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, request, session

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AuthConfig:
    user: str = ""
    password: str = field(default="", repr=False)
    login_token: str | None = field(default=None, repr=False)

    @property
    def credentials(self) -> bool:
        return bool(self.user and self.password)

    def check_password(self, user: str, password: str) -> bool:
        if not self.credentials:
            return False
        ok_user = hmac.compare_digest(user.encode(), self.user.encode())
        ok_password = hmac.compare_digest(password.encode(), self.password.encode())
        return ok_user and ok_password

    def use_token(self, token: str) -> bool:
        """True (once) for the one-time login token."""
        if not self.login_token or not token:
            return False
        if hmac.compare_digest(token.encode(), self.login_token.encode()):
            self.login_token = None
            return True
        return False


class LoginThrottle:
    """At most ``limit`` failed logins per client address in ``window`` seconds; then refused until the window passes."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> list[float]:
        now = time.monotonic()
        recent = [t for t in self._failures.get(client, []) if now - t < self.window]
        self._failures[client] = recent
        return recent

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(time.monotonic())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = new_token()
        session["csrf"] = token
    return token


def authenticated() -> bool:
    return session.get("auth") is True


def log_in(user: str) -> None:
    session.clear()
    session["auth"] = True
    session["user"] = user
    session["csrf"] = new_token()  # a new token with the new privileges
    session.permanent = False


def csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def same_console_referer() -> bool:
    """The POST comes from a page of the console itself (same host and port), not from the replay origin."""
    referer = request.headers.get("Referer", "")
    if not referer:
        return False
    parts = urlsplit(referer)
    return parts.netloc == request.host and not parts.path.startswith("/replay/")


def write_action(view: F) -> F:
    """Decorator of the console's write actions (POST only): authenticated session, CSRF token, own Referer."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            abort(405)
        if not authenticated():
            logger.warning("Refused %s %s: not logged in", request.method, request.path)
            abort(403, "Log in first: write actions need a login.")
        if not csrf_ok():
            logger.warning("Refused %s %s: missing or wrong CSRF token", request.method, request.path)
            abort(403, "Missing or wrong form token (CSRF): reload the page and try again.")
        if not same_console_referer():
            logger.warning("Refused %s %s: not sent from a console page", request.method, request.path)
            abort(403, "Write actions are accepted only from the console's own pages.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
