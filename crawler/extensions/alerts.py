"""AlertsExtension: a crawl that went wrong is reported — stored in the archive, sent to a webhook and by e-mail.

When the crawl ends, once the archive extension knows its final counts (the
:data:`crawler.signals.manifest_closing` signal, sent just before the final manifest is
written), the crawl is evaluated for these causes (docs/alerts.md):

* ``crawl-failed``: the crawl ended for another reason than ``finished``, ``max_articles``,
  ``closespider_timeout``, ``closespider_itemcount`` or ``closespider_pagecount`` (a kill, a
  shutdown, ``closespider_errorcount``), got no response at all, or logged errors (``log_count/ERROR``:
  spider exceptions, item pipeline errors; as ``scrapy archive-status`` counts failures);
* ``http-errors``: more than ``ALERTS_HTTP_ERROR_SHARE`` of the responses were 403, 429 or 5xx,
  over at least ``ALERTS_MIN_RESPONSES`` responses (or every response was one);
* ``challenge-pages``: at least ``ALERTS_CHALLENGE_MIN_PAGES`` bot-check or challenge pages
  were answered instead of pages (:mod:`crawler.middlewares.challenge`);
* ``no-new-articles``: no new article, while the median of new articles over the site's last
  ``ALERTS_HISTORY_RUNS`` earlier runs (their manifests under ``crawls/``; at least
  ``ALERTS_HISTORY_MIN_RUNS`` of them) is above 0;
* ``few-articles``: some new articles, but fewer than ``ALERTS_FEW_ARTICLES_RATIO`` times that median;
* ``uploads-unsent``: objects the remote store could not take are still in the local spool.

Each alert is a dict ``{"crawl_id", "site", "cause", "message", "at"}``.  The list goes into
the final manifest (``alerts``) and, when not empty, into ``alerts/{crawl_id}.json`` in the
archive (``alerts/{crawl_id}.{worker}.json`` for one worker of a distributed crawl).  Then,
off the reactor thread and with the crawl waiting for it, the alerts whose cause is in
``ALERTS_EVENTS`` (empty: all) are sent: ONE webhook POST per crawl with every cause in it
(a Slack/Matrix-compatible JSON body with a ``text`` field) and one e-mail over SMTP.  A failed
delivery is retried, logged (URLs without credentials) and counted; it never fails the crawl.

Settings read: ``ALERTS_ENABLED`` (NotConfigured when False), ``ALERTS_EVENTS``,
``ALERTS_HTTP_ERROR_SHARE``, ``ALERTS_MIN_RESPONSES``, ``ALERTS_CHALLENGE_MIN_PAGES``,
``ALERTS_HISTORY_RUNS``, ``ALERTS_HISTORY_MIN_RUNS``, ``ALERTS_FEW_ARTICLES_RATIO``,
``ALERTS_WEBHOOK_URL``, ``ALERTS_TIMEOUT``, ``ALERTS_RETRIES``, ``ALERTS_SMTP_HOST``,
``ALERTS_SMTP_PORT``, ``ALERTS_SMTP_USER``, ``ALERTS_SMTP_PASSWORD``, ``ALERTS_SMTP_STARTTLS``,
``ALERTS_EMAIL_FROM``, ``ALERTS_EMAIL_TO``.
Stats: ``alerts/raised``, ``alerts/webhook/sent``, ``alerts/webhook/failed``,
``alerts/email/sent``, ``alerts/email/failed``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import smtplib
import ssl
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import threads

from archive.keys import safe_key, slug
from crawler import signals as archive_signals
from crawler.extensions.archive import ArchiveExtension

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from archive.storage import Storage

logger = logging.getLogger(__name__)

CAUSES = ("crawl-failed", "http-errors", "challenge-pages", "no-new-articles", "few-articles", "uploads-unsent")
#: Close reasons of a crawl that ended as planned.
OK_REASONS = frozenset({"finished", "max_articles", "closespider_timeout", "closespider_itemcount",
                        "closespider_pagecount"})
_STATUS_STAT = "downloader/response_status_count/"
_TOKENISH = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$")


def is_error_status(status: int) -> bool:
    """403, 429 and 5xx: the answers of a site that refuses or fails (404 is an ordinary answer)."""
    return status in (403, 429) or 500 <= status <= 599


def safe_url(url: str) -> str:
    """A URL fit for a log line: no user:password, no query, and token-like path segments masked
    (a Slack webhook's path is its secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    path = "/".join("***" if _TOKENISH.match(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "", ""))


@dataclass(frozen=True)
class Thresholds:
    http_error_share: float = 0.5
    min_responses: int = 5
    challenge_min_pages: int = 1
    history_runs: int = 5
    history_min_runs: int = 2
    few_articles_ratio: float = 0.5


def site_history(storage: Storage, site: str, crawl_id: str, runs: int) -> list[int]:
    """New articles of the site's last ``runs`` earlier crawls that ended as planned, oldest first
    (from their manifests ``crawls/{id}/manifest.json``)."""
    found: list[tuple[str, int]] = []
    for key in storage.keys("crawls/"):
        parts = key.split("/")
        if len(parts) != 3 or parts[2] != "manifest.json" or parts[1] == crawl_id:
            continue
        try:
            data = storage.get_bytes(key)
            manifest = json.loads(data) if data else None
        except (ValueError, OSError) as exc:
            logger.debug("Alerts: manifest %s unreadable (%s); not in the history", key, exc)
            continue
        if not isinstance(manifest, dict) or manifest.get("site") != site:
            continue
        if manifest.get("finish_reason") not in OK_REASONS:
            continue  # running, killed or failed runs say nothing of what the site usually has
        counts = manifest.get("counts") or {}
        found.append((str(manifest.get("started_at") or ""), int(counts.get("articles_new") or 0)))
    found.sort()
    return [n for _, n in found[-runs:]] if runs > 0 else []


def evaluate(crawl_id: str, site: str, reason: str, stats: Mapping[str, Any], *, unsent: list[str] | None = None,
             history: list[int] | None = None, challenge_urls: list[str] | None = None,
             thresholds: Thresholds = Thresholds(), now: datetime | None = None) -> list[dict[str, Any]]:
    """The alerts one crawl raises (see module docstring), in the order of :data:`CAUSES`."""
    at = (now or datetime.now(UTC)).isoformat()
    alerts: list[dict[str, Any]] = []

    def raise_(cause: str, message: str) -> None:
        alerts.append({"crawl_id": crawl_id, "site": site, "cause": cause, "message": message, "at": at})

    responses = int(stats.get("downloader/response_count", 0) or 0)
    new = int(stats.get("export/articles/new", 0) or 0)
    if reason not in OK_REASONS:
        raise_("crawl-failed", f"Crawl {crawl_id} of {site} did not finish: it ended with reason {reason!r} "
                               f"after {responses} responses and {new} new articles.")
    elif responses == 0:
        failures = int(stats.get("downloader/exception_count", 0) or 0)
        raise_("crawl-failed", f"Crawl {crawl_id} of {site} got no response at all "
                               f"({failures} requests failed without one: DNS, connection, timeout).")
    elif int(stats.get("log_count/ERROR", 0) or 0):
        logged = int(stats["log_count/ERROR"])
        exceptions = int(stats.get("spider_exceptions/count", 0) or 0)
        pipeline = int(stats.get("pipeline/errors", 0) or 0)
        raise_("crawl-failed", f"Crawl {crawl_id} of {site} finished but logged {logged} error(s) "
                               f"({exceptions} spider exception(s), {pipeline} item pipeline error(s)); see its log.")
    errors = {int(k[len(_STATUS_STAT):]): int(v) for k, v in stats.items()
              if k.startswith(_STATUS_STAT) and k[len(_STATUS_STAT):].isdigit()
              and is_error_status(int(k[len(_STATUS_STAT):]))}
    n_errors = sum(errors.values())
    if responses and n_errors / responses > thresholds.http_error_share and (
        responses >= thresholds.min_responses or n_errors == responses
    ):
        by_status = ", ".join(f"{code}: {n}" for code, n in sorted(errors.items()))
        raise_("http-errors", f"{n_errors} of {responses} responses ({n_errors / responses:.0%}) of crawl {crawl_id} "
                              f"were 403/429/5xx ({by_status}); the threshold is "
                              f"{thresholds.http_error_share:.0%}.")
    challenges = int(stats.get("news/pages/challenge", 0) or 0)
    if challenges and challenges >= thresholds.challenge_min_pages:
        kinds = ", ".join(f"{k.rsplit('/', 1)[1]}: {v}" for k, v in sorted(stats.items())
                          if k.startswith("news/pages/challenge/"))
        first = f"; first: {challenge_urls[0]}" if challenge_urls else ""
        raise_("challenge-pages", f"{challenges} bot-check or challenge page(s) ({kinds}) were answered instead of "
                                  f"pages in crawl {crawl_id}; archived in WARC, not as articles{first}.")
    past = list(history or [])
    if len(past) >= max(1, thresholds.history_min_runs):
        median = statistics.median(past)
        runs = ", ".join(map(str, past))
        if median > 0 and new == 0:
            raise_("no-new-articles", f"Crawl {crawl_id} found no new article, while the last {len(past)} runs of "
                                      f"{site} found a median of {median:g} (runs: {runs}).")
        elif median > 0 and new < thresholds.few_articles_ratio * median:
            raise_("few-articles", f"Crawl {crawl_id} found {new} new articles, fewer than "
                                   f"{thresholds.few_articles_ratio:g} x the median of {median:g} of the last "
                                   f"{len(past)} runs of {site} (runs: {runs}).")
    unsent = list(unsent or [])
    n_unsent = max(len(unsent), int(stats.get("archive/upload/unsent", 0) or 0))
    if n_unsent:
        first = f"; first: {', '.join(unsent[:3])}" if unsent else ""
        raise_("uploads-unsent", f"{n_unsent} object(s) of crawl {crawl_id} could not be uploaded and are still in "
                                 f"the local spool; run `scrapy archive-sync` to send them{first}.")
    return alerts


def webhook_body(crawl_id: str, site: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON body of the one POST per crawl: Slack's and Matrix (hookshot) webhooks read ``text``."""
    lines = [f"News archive: {len(alerts)} alert(s) for crawl {crawl_id} of {site}"]
    lines += [f"- {a['cause']}: {a['message']}" for a in alerts]
    return {"text": "\n".join(lines), "crawl_id": crawl_id, "site": site, "alerts": alerts}


def post_json(url: str, body: dict[str, Any], timeout: float, retries: int,
              sleep: Callable[[float], None] = time.sleep) -> None:
    """POST ``body`` as JSON (a user:password in the URL is sent as HTTP Basic authentication); raise the
    last error after ``retries`` retries (a non-2xx answer is one)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    parts = urlsplit(url)
    if parts.username is not None:  # user:password@ in the URL: HTTP Basic authentication
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        host = parts.hostname or ""
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    last: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            sleep(min(5.0, 0.5 * 2 ** (attempt - 1)))
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (the operator's URL)
                answer.read()
            return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = exc
    assert last is not None
    raise last


def send_email(settings: Mapping[str, Any], subject: str, text: str, timeout: float) -> None:
    """One plain-text e-mail over SMTP (STARTTLS and login when configured)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings["from"]
    message["To"] = ", ".join(settings["to"])
    message.set_content(text)
    with smtplib.SMTP(settings["host"], settings["port"], timeout=timeout) as smtp:
        if settings["starttls"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["user"]:
            smtp.login(settings["user"], settings["password"])
        smtp.send_message(message)


class AlertsExtension:
    """See module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.events = set(s.getlist("ALERTS_EVENTS"))
        unknown = self.events - set(CAUSES)
        if unknown:
            raise ValueError(f"ALERTS_EVENTS: unknown cause(s) {sorted(unknown)}; known: {', '.join(CAUSES)}")
        self.thresholds = Thresholds(
            http_error_share=s.getfloat("ALERTS_HTTP_ERROR_SHARE"),
            min_responses=s.getint("ALERTS_MIN_RESPONSES"),
            challenge_min_pages=s.getint("ALERTS_CHALLENGE_MIN_PAGES"),
            history_runs=s.getint("ALERTS_HISTORY_RUNS"),
            history_min_runs=s.getint("ALERTS_HISTORY_MIN_RUNS"),
            few_articles_ratio=s.getfloat("ALERTS_FEW_ARTICLES_RATIO"),
        )
        self.webhook_url: str = s.get("ALERTS_WEBHOOK_URL") or ""
        self.timeout = s.getfloat("ALERTS_TIMEOUT")
        self.retries = s.getint("ALERTS_RETRIES")
        self.email_to: list[str] = s.getlist("ALERTS_EMAIL_TO")
        self.smtp: dict[str, Any] = {
            "host": s.get("ALERTS_SMTP_HOST") or "",
            "port": s.getint("ALERTS_SMTP_PORT"),
            "user": s.get("ALERTS_SMTP_USER") or "",
            "password": s.get("ALERTS_SMTP_PASSWORD") or "",
            "starttls": s.getbool("ALERTS_SMTP_STARTTLS"),
            "from": s.get("ALERTS_EMAIL_FROM") or "",
            "to": self.email_to,
        }
        self.alerts: list[dict[str, Any]] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AlertsExtension:
        if not crawler.settings.getbool("ALERTS_ENABLED"):
            raise NotConfigured("ALERTS_ENABLED is False")
        ext = cls(crawler)
        crawler.signals.connect(ext.manifest_closing, signal=archive_signals.manifest_closing)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def archive(self) -> ArchiveExtension:
        """The crawl's archive (looked up once the extensions are all built)."""
        archive = self.crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise NotConfigured("AlertsExtension needs ArchiveExtension in EXTENSIONS")
        return archive

    # -- evaluation -----------------------------------------------------------
    def manifest_closing(self, manifest: dict[str, Any], reason: str) -> None:
        """Evaluate with the final counts; the alerts go into the manifest about to be written."""
        alerts = self.evaluate(reason, manifest.get("unsent") or [])
        manifest["alerts"] = alerts
        manifest.setdefault("stats", {})["alerts/raised"] = len(alerts)

    def evaluate(self, reason: str, unsent: list[str]) -> list[dict[str, Any]]:
        archive = self.archive
        stats = self.stats.get_stats() if self.stats is not None else {}
        try:
            history = site_history(archive.storage, archive.site, archive.crawl_id, self.thresholds.history_runs)
        except Exception:  # a store that cannot be listed: the other causes still count
            logger.exception("Alerts: cannot read the earlier runs of %s; no-new-articles/few-articles not checked",
                             archive.site)
            history = []
        alerts = evaluate(archive.crawl_id, archive.site, reason, stats, unsent=unsent, history=history,
                          challenge_urls=[c["url"] for c in archive.challenges], thresholds=self.thresholds)
        self.alerts = alerts
        if self.stats is not None:
            self.stats.set_value("alerts/raised", len(alerts))
        for alert in alerts:
            logger.warning("ALERT %s: %s", alert["cause"], alert["message"])
        if alerts:
            name = f"{archive.crawl_id}.{slug(archive.worker)}" if archive.worker else archive.crawl_id
            data = (json.dumps(alerts, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            try:
                archive.storage.put_bytes(safe_key(f"alerts/{name}.json"), data, "application/json; charset=utf-8")
            except Exception:
                logger.exception("Alerts: cannot write alerts/%s.json", name)
        return alerts

    # -- delivery ---------------------------------------------------------------
    def spider_closed(self, reason: str) -> Deferred[Any] | None:
        if self.alerts is None:  # the archive extension did not get to its final manifest
            try:
                self.alerts = self.evaluate(reason, list(self.archive.unsent))
            except NotConfigured as exc:
                logger.error("Alerts: %s; no alert evaluated", exc)
                return None
        chosen = [a for a in self.alerts if not self.events or a["cause"] in self.events]
        if not chosen or not (self.webhook_url or self._email_configured()):
            return None
        d = threads.deferToThread(self._deliver, chosen)
        d.addCallback(self._delivered)
        d.addErrback(lambda failure: logger.error("Alerts: delivery failed: %s", failure.getErrorMessage()))
        return d

    def _email_configured(self) -> bool:
        return bool(self.smtp["host"] and self.smtp["to"] and self.smtp["from"])

    def _deliver(self, alerts: list[dict[str, Any]]) -> dict[str, bool]:
        """On a thread: the webhook POST and the e-mail; outcome per channel (True: sent)."""
        archive = self.archive
        body = webhook_body(archive.crawl_id, archive.site, alerts)
        outcome: dict[str, bool] = {}
        if self.webhook_url:
            try:
                post_json(self.webhook_url, body, self.timeout, self.retries)
                outcome["webhook"] = True
                logger.info("Alerts of crawl %s sent to the webhook %s", archive.crawl_id, safe_url(self.webhook_url))
            except Exception as exc:
                outcome["webhook"] = False
                logger.error("Alerts: webhook %s failed after %d attempt(s): %s; the alerts are in the archive "
                             "(alerts/%s.json)", safe_url(self.webhook_url), self.retries + 1, exc, archive.crawl_id)
        if self._email_configured():
            subject = f"[news archive] {len(alerts)} alert(s): crawl {archive.crawl_id} of {archive.site}"
            last: Exception | None = None
            for attempt in range(self.retries + 1):
                if attempt:
                    time.sleep(min(5.0, 0.5 * 2 ** (attempt - 1)))
                try:
                    send_email(self.smtp, subject, body["text"] + "\n", self.timeout)
                    last = None
                    break
                except (smtplib.SMTPException, OSError) as exc:
                    last = exc
            outcome["email"] = last is None
            if last is None:
                logger.info("Alerts of crawl %s e-mailed to %s", archive.crawl_id, ", ".join(self.email_to))
            else:
                logger.error("Alerts: e-mail through %s:%s failed after %d attempt(s): %s", self.smtp["host"],
                             self.smtp["port"], self.retries + 1, last)
        return outcome

    def _delivered(self, outcome: dict[str, bool]) -> None:
        if self.stats is None:
            return
        for channel, sent in outcome.items():
            self.stats.inc_value(f"alerts/{channel}/{'sent' if sent else 'failed'}")
