"""Scrapy settings for the news archiving crawler.

Every project setting is listed here with its default and a comment; the same
list, with more words, is in docs/settings.md.  Settings are grouped by the
feature prefix that names them: ``NEWS_*`` (the spider), ``ARCHIVE_*`` (WARC
and storage), ``EXTRACT_*`` (article extraction), ``ALERTS_*`` (alerts).  S3 credentials reuse
Scrapy's own ``AWS_*`` settings.
"""

from __future__ import annotations

BOT_NAME = "news-archive-crawler"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Politeness (Scrapy's own settings, set to polite archival defaults) -----
# Obey robots.txt: the crawler fetches (and archives) robots.txt first.
ROBOTSTXT_OBEY = True
# AutoThrottle adapts the delay to the server's latency.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# At most this many requests in flight to one domain.
CONCURRENT_REQUESTS_PER_DOMAIN = 4
CONCURRENT_REQUESTS = 16
# Items processed in parallel per response (Scrapy: 100). A page yields at most
# one item; Scrapy starts this many tasks for every response's output.
CONCURRENT_ITEMS = 16
DOWNLOAD_DELAY = 0.25
# Cookies would make captures depend on crawl order; archival crawls go without.
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Retries are archived too (every attempt is a WARC exchange).
RETRY_TIMES = 2
# Scrapy's "Gave up retrying" line (ERROR by default) at DEBUG: FetchFailureMiddleware logs
# each fetch that finally fails once, at WARNING, with its URL, cause and attempts.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
DOWNLOAD_TIMEOUT = 60
# Scrapy's own cap on a response body (1 GiB); larger bodies are cancelled.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# Keep a body the server cut short (flagged "dataloss"): the WARC records what
# was received (WARC-Truncated: disconnect); FaultRetryMiddleware fetches it again.
DOWNLOAD_FAIL_ON_DATALOSS = False
# URLs up to 8 KiB are fetched (Scrapy: 2083, an old browser limit; RFC 9110
# recommends supporting 8000 octets); longer ones are dropped and counted.
URLLENGTH_LIMIT = 8192
# Breadth-first order: with a bounded link depth, a page is reached by its
# shortest path, so crawls of the same site fetch the same pages.
DEPTH_PRIORITY = 1
# Requests waiting to be fetched wait on disk, not in memory, even without JOBDIR
# (a 500,000-URL sitemap is otherwise half a million Request objects in memory).
SCHEDULER = "crawler.scheduler.DiskQueueScheduler"
NEWS_QUEUE_ON_DISK = True
# Where that private queue directory goes ("" = the system's temporary directory);
# deleted at the end of the crawl. With JOBDIR the queue lives in JOBDIR instead.
# The duplicate filter's private file (NEWS_SEEN_ON_DISK) goes there too, with or without JOBDIR.
NEWS_QUEUE_DIR = ""
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Duplicate filter safe for crawls resumed after a kill, with its fingerprints on disk (crawler/dupefilter.py).
DUPEFILTER_CLASS = "crawler.dupefilter.JournalDupeFilter"
# The duplicate filter's fingerprints (and a resumed crawl's stored articles) in a private SQLite file
# in NEWS_QUEUE_DIR, unlinked at once (freed at the end, even by a kill), so memory stays flat however
# many URLs are discovered (crawler/seenset.py); False: in memory (about 70 bytes per URL).
NEWS_SEEN_ON_DISK = True
# SQLite page cache of that file, in MB (memory it takes whatever the number of URLs).
NEWS_SEEN_CACHE_MB = 4.0
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# --- Identification -------------------------------------------------------
# URL (or mailto:) where site owners can reach the archive operator; it goes
# into the User-Agent and every WARC's warcinfo record.
NEWS_CONTACT_URL = "https://github.com/news-archive-crawler/news-archive-crawler"
# User-Agent; "{contact}" is replaced with NEWS_CONTACT_URL.
USER_AGENT = "NewsArchiveCrawler/0.1 (+{contact}; archival crawler)"

# --- Spider (NEWS_*) ------------------------------------------------------
# Link-following depth from the start pages when discovering articles by links
# (sitemaps and feeds do not count as depth).  0 disables link following.
NEWS_LINK_DEPTH = 2
# Follow links found on article pages (not only on home/listing pages).
NEWS_FOLLOW_ARTICLE_LINKS = True
# Try /sitemap.xml, /sitemap_index.xml and /news-sitemap.xml when robots.txt
# lists no sitemap (only for -a url= crawls).
NEWS_GUESS_SITEMAPS = True
# Heuristic article detection for pages without article metadata: minimum
# number of paragraphs and characters of paragraph text (docs/articles.md).
NEWS_ARTICLE_MIN_PARAGRAPHS = 3
NEWS_ARTICLE_MIN_CHARS = 400
# A short news brief (an h1, 2+ paragraphs of 40+ characters, a date or a dateline) needs this many characters.
NEWS_ARTICLE_BRIEF_MIN_CHARS = 200

# Incremental re-crawls: known articles (in the site's dedup index with their
# JSON) are not fetched again unless a sitemap/feed date says they changed, or
# the profile asks to revalidate them with conditional requests.
NEWS_INCREMENTAL = True
# Log a progress line (pages/min, articles, revisits, WARC MB, queue, errors,
# store backlog) every this many seconds; 0 disables.
NEWS_PROGRESS_INTERVAL = 60
# Links recorded (WARC outlinks) and followed per page; a link farm beyond this is cut.
NEWS_MAX_LINKS_PER_PAGE = 5000
# Items followed per RSS/Atom feed (real feeds carry tens; sitemaps are not limited).
NEWS_MAX_FEED_ITEMS = 2000
# Longest Retry-After (seconds) waited for on a 429/503; longer ones give up the URL.
NEWS_RETRY_AFTER_MAX = 120.0
# A site whose robots.txt was unreachable (5xx, timeout) is disallowed; robots.txt
# is fetched again after this many seconds.
NEWS_ROBOTS_RECHECK = 600.0

# --- Archive (ARCHIVE_*) --------------------------------------------------
# Where everything goes: a local directory path or file:// URI, or
# s3://bucket/prefix (docs/storage.md); same key layout (README).
ARCHIVE_URI = "./archive"
# Storage backend per ARCHIVE_URI scheme ("" = a plain path), as dotted class
# paths like Scrapy's FEED_STORAGES_BASE. Add or override schemes in
# ARCHIVE_STORAGES (merged over this; None removes one), e.g.
# -s 'ARCHIVE_STORAGES={"gs": "mypackage.gcs.GCSStorage"}'.
ARCHIVE_STORAGES_BASE = {
    "": "archive.local.LocalStorage",
    "file": "archive.local.LocalStorage",
    "s3": "archive.s3.S3Storage",
}
ARCHIVE_STORAGES: dict[str, str | None] = {}
# Crawl id; empty means "{site}-{UTC timestamp}-{random}" generated per run.
ARCHIVE_CRAWL_ID = ""
# Write every HTTP exchange to WARC.  False disables the WARC middleware.
ARCHIVE_WARC_ENABLED = True
# WARC file name prefix (IIPC: prefix-timestamp-serial-host.warc.gz).
ARCHIVE_WARC_PREFIX = "news"
# Rotate to a new WARC file once the current one reaches this many bytes.
ARCHIVE_WARC_MAX_SIZE = 1024 * 1024 * 1024
# gzip level of WARC records (1-9), compressed by zlib-ng. On news HTML, 5 takes
# 1.2 ms per 170 KB page for 20.0 % of the size; 9 takes 3.0 ms for 19.7 %.
ARCHIVE_WARC_GZIP_LEVEL = 5
# Write WARC records and JSON files on one background thread so the reactor
# keeps fetching while they are compressed, digested and fsynced.
ARCHIVE_IO_THREAD = True
# Directory where WARC files are written while open (suffix .open); empty
# means inside the archive for local storage.
ARCHIVE_WARC_TEMP_DIR = ""
# HTTP/1.x exchanges are fetched by a recording download handler (crawler.wire) that keeps
# the bytes written to and read from each connection (after TLS); the WARC request and
# response records carry them unchanged. Each direction of an exchange is held in memory up
# to this many bytes, then spooled to a temporary file.
ARCHIVE_WIRE_SPOOL_BYTES = 1024 * 1024
DOWNLOAD_HANDLERS = {
    "http": "crawler.wire.RecordingHTTP11DownloadHandler",
    "https": "crawler.wire.RecordingHTTP11DownloadHandler",
}
# Operator (person or institution) recorded in warcinfo.
ARCHIVE_OPERATOR = ""
# Write the article JSON records.
ARCHIVE_JSON_ENABLED = True
# Deduplicate across crawls: an unchanged payload becomes a revisit record.
ARCHIVE_DEDUP_ENABLED = True
# Per-site state (docs/state.md): SQLite in WAL mode (state/{site}/state.sqlite), or Redis with REDIS_URL.
# Commit the SQLite state every N captures (1: each capture is committed as it is recorded, so a
# killed crawl loses none; a commit is one write to the WAL, no fsync).
ARCHIVE_STATE_COMMIT_EVERY = 1
# Seconds a process waits for another process's write on the same SQLite state (same machine).
ARCHIVE_STATE_BUSY_TIMEOUT = 30.0
# Remote (s3://) archive: upload a snapshot of the local state every N seconds (0: only at close).
ARCHIVE_STATE_SNAPSHOT_INTERVAL = 600.0
# Remote (s3://) archive without Redis: a crawl holds a lease on the site (state/{site}/lease.json),
# renewed every third of this many seconds; a lease not renewed for this long is stale (0: no lease).
ARCHIVE_STATE_LEASE_TTL = 300.0
# With REDIS_URL: the site's state lives in the Redis hashes {prefix}:{site}:captures and :meta.
ARCHIVE_STATE_REDIS_PREFIX = "news-archive:state"
# Refresh policy for known articles (crawler/refresh.py, docs/state.md): "due" re-fetches those due,
# "all" every known article of the site, "none" only those a sitemap/feed date says changed.
# The spider argument -a refresh=... overrides it for one crawl.
ARCHIVE_REFRESH = "due"
# Articles younger than this many days (publication date, else first archived) are re-fetched every crawl.
ARCHIVE_REFRESH_RECENT_DAYS = 3.0
# Older ones are due again after age x this factor since their last fetch ...
ARCHIVE_REFRESH_FACTOR = 0.25
# ... but at least every this many days (0: no upper bound).
ARCHIVE_REFRESH_MAX_INTERVAL_DAYS = 180.0
# At most this many due (not "all") re-fetches per crawl, most overdue first (0: no limit).
ARCHIVE_REFRESH_MAX_PER_CRAWL = 5000
# Write metadata records (discovery path, depth, referrer, outlinks) per capture.
ARCHIVE_WARC_METADATA = True
# Build the crawl's CDXJ index and WACZ package when the crawl ends.
ARCHIVE_PACKAGE_ENABLED = True
# Keep the article search index (docs/search.md) up to date as articles are stored.
ARCHIVE_SEARCH_ENABLED = True
# Path of the search index file; "" = {archive}/index/search.sqlite for a directory archive,
# {ARCHIVE_SPOOL_DIR}/index/{store}/search.sqlite (a local working copy) for a remote one.
ARCHIVE_SEARCH_INDEX = ""

# --- S3-compatible storage (ARCHIVE_S3_*, ARCHIVE_SPOOL_*; credentials: AWS_*) --
# S3 URL style: "auto", "path" (MinIO, SeaweedFS, Ceph) or "virtual".
ARCHIVE_S3_ADDRESSING_STYLE = "auto"
# botocore request/response checksum mode; "when_required" works on AWS,
# SeaweedFS and Ceph ("when_supported" sends checksums some stores reject).
ARCHIVE_S3_CHECKSUM = "when_required"
# Multipart part size for WARC/WACZ uploads (bytes, at least 5 MiB).
ARCHIVE_S3_PART_SIZE = 16 * 1024 * 1024
# Keep a local copy of every uploaded object in ARCHIVE_SPOOL_DIR/.../uploaded/.
ARCHIVE_S3_KEEP_LOCAL = False
# Object lock retention for WARCs and article JSON: "GOVERNANCE" or "COMPLIANCE".
ARCHIVE_S3_OBJECT_LOCK_MODE = ""
# Retention period in days (with ARCHIVE_S3_OBJECT_LOCK_MODE).
ARCHIVE_S3_OBJECT_LOCK_DAYS = 0
# Local outbox for a remote store: every output is written here first.
ARCHIVE_SPOOL_DIR = "./archive-spool"
# Longest pause between upload retries while the store is down (seconds).
ARCHIVE_SPOOL_RETRY_MAX_DELAY = 60
# How long the end of a crawl keeps retrying uploads before reporting them unsent.
ARCHIVE_SPOOL_CLOSE_TIMEOUT = 300
# glibc malloc arenas of the crawler process (0: glibc's default, 8 per core); fewer keeps RSS flat on long crawls.
ARCHIVE_MALLOC_ARENAS = 2
# Candidate pages rejected by the article heuristics listed in the crawl manifest (rejected_pages; the total is always counted).
ARCHIVE_MANIFEST_MAX_REJECTED = 1000
# Write the running crawl's live progress (pages/s, queue, articles, failures) to
# crawls/{crawl_id}/progress.json every this many seconds, for the web console; 0 disables.
ARCHIVE_PROGRESS_FILE_INTERVAL = 10.0

# --- Web console (ARCHIVE_WEB_*, `scrapy archive-web`, docs/console.md) ---------------
# Port of `scrapy archive-web` when --port is not given.
ARCHIVE_WEB_PORT = 8600
# Port of the replay origin (`--replay-port`): archived pages are replayed by ReplayWeb.page on the same
# address at this other port, so their scripts cannot read the console's pages (another origin).
# None: the console's port + 1; 0: any free port (printed).
ARCHIVE_WEB_REPLAY_PORT = None
# Login of the console: with both set, every page needs a login; required to bind a non-loopback address.
ARCHIVE_WEB_USER = ""
# The password of ARCHIVE_WEB_USER (never logged).
ARCHIVE_WEB_PASSWORD = ""
# Key that signs the session cookies; empty: a random key per start (sessions end when the console restarts).
ARCHIVE_WEB_SECRET = ""
# ReplayWeb.page's npm package directory (ui.js, sw.js) for the replay page; empty: the one `make replayweb`
# installs in tests/support/replayweb/node_modules/replaywebpage, when present.
ARCHIVE_WEB_REPLAYWEB_DIR = ""
# Local directory where the console keeps copies of WACZ/WARC files of a remote (s3://) store it serves.
ARCHIVE_WEB_CACHE_DIR = ""

# --- Page resources (ARCHIVE_RESOURCES_*): what a reader's browser loaded (docs/resources.md) ---
# Fetch and archive the images, stylesheets, fonts, scripts, icons and media of archived pages.
ARCHIVE_RESOURCES_ENABLED = True
# Whose resources: "articles" (pages that become article records) or "all" (every HTML page).
ARCHIVE_RESOURCES_PAGES = "articles"
# Kinds fetched (of image, stylesheet, font, script, icon, media, other).
ARCHIVE_RESOURCES_KINDS = ["image", "stylesheet", "font", "script", "icon", "media"]
# Largest body kept per kind, in bytes (a bigger one is cut off, recorded as a failed fetch and reported).
ARCHIVE_RESOURCES_MAX_SIZE = {
    "image": 25 * 1024 * 1024,
    "stylesheet": 5 * 1024 * 1024,
    "font": 5 * 1024 * 1024,
    "script": 10 * 1024 * 1024,
    "icon": 2 * 1024 * 1024,
    "media": 100 * 1024 * 1024,
    "other": 10 * 1024 * 1024,
}
# Resources taken per page (in document order; the rest are counted and reported, not fetched).
ARCHIVE_RESOURCES_MAX_PER_PAGE = 300
# Bytes of resources fetched per crawl before new ones are skipped (0: no limit).
ARCHIVE_RESOURCES_MAX_TOTAL_BYTES = 0
# Hosts (and their subdomains) whose resources are never fetched, e.g. ["doubleclick.net"].
ARCHIVE_RESOURCES_SKIP_HOSTS: list[str] = []
# Resource fetches in flight at once, crawl-wide (per-host politeness still applies on top).
ARCHIVE_RESOURCES_CONCURRENCY = 16
# How deep stylesheets are followed: 1 = the page's own resources only; 3 = @import, then their url()s.
ARCHIVE_RESOURCES_MAX_DEPTH = 3
# Resource outcomes kept in memory (least recently used forgotten first; a forgotten one needed again is re-fetched).
ARCHIVE_RESOURCES_REMEMBER = 100_000
# Obey each resource host's robots.txt (ROBOTSTXT_OBEY must be on too).
ARCHIVE_RESOURCES_OBEY_ROBOTS = True

# --- Extraction (EXTRACT_*) ----------------------------------------------
# Minimum length (characters) of extracted text for a page to become an
# article record; shorter pages are dropped (stat extract/dropped/empty).
EXTRACT_MIN_TEXT_CHARS = 200
# Worker processes for extraction and cleaning ("auto": one per core; 0: in
# the reactor process, for debugging).
EXTRACT_WORKERS = "auto"
# A page whose extraction takes longer is abandoned (archived in WARC only).
EXTRACT_TIMEOUT = 60.0
# Pages whose DOM has more elements than this are not extracted (a link farm or
# a 100k-deep nesting costs trafilatura minutes and GBs); 0 disables the check.
EXTRACT_MAX_ELEMENTS = 50000
# trafilatura's favor_precision / favor_recall switches.  Precision mode is the
# default (benchmark F1 0.972 vs 0.964, see `make eval`); when it keeps less
# than 30 % of the page's paragraph text, the default mode is tried as well.
EXTRACT_FAVOR_PRECISION = True
EXTRACT_FAVOR_RECALL = False
# trafilatura runs in fast mode first; its readability/jusText comparison (a
# third of its CPU) runs only when fast mode finds fewer characters than this.
# Benchmark F1 0.972 for 500 vs 0.970 for 0 (always compare, trafilatura's default).
EXTRACT_COMPARE_BELOW_CHARS = 500
# ... or fewer than this share of the page's <p> text (a long article whose fast
# pass found one block of it); 0: the character threshold only.
EXTRACT_COMPARE_BELOW_SHARE = 0.2
# Fast mode only, never the comparison: F1 0.962 for 0.6 ms less per page.
EXTRACT_FAST = False

# --- Cleaning (CLEAN_*) --------------------------------------------------
# Learn blocks repeated verbatim across a site's articles and remove them.
CLEAN_REPEAT_ENABLED = True
# A block seen on this many distinct articles of a site is template.
CLEAN_REPEAT_MIN_PAGES = 3
# At most this many candidate block fingerprints are kept per site, in its state
# store (least recently seen evicted; learned blocks are kept).
CLEAN_REPEAT_MAX_BLOCKS = 50000
# Only blocks up to this many characters can be learned as template.
CLEAN_REPEAT_MAX_CHARS = 500
# At the end of a crawl, re-clean the articles written before a block was learned.
CLEAN_RECLEAN_AT_CLOSE = True

# --- Dates (DATES_*) --------------------------------------------------------
# Decide published/modified from the page's date evidence (DatesPipeline).
DATES_ENABLED = True
# Time zone for times given without an offset when the site profile has none.
DATES_DEFAULT_TIMEZONE = "UTC"
# A date later than fetch time plus this many days is implausible (next source).
DATES_MAX_FUTURE_DAYS = 1.0
# A date before this year is implausible (next source).
DATES_MIN_YEAR = 1990

# --- Distributed crawls -----------------------------------------------------
# Redis URL (redis://host:6379/0); when set, the frontier and duplicate filter
# live in Redis (scrapy-redis) and several processes share one crawl: start
# each with the same ARCHIVE_CRAWL_ID.
REDIS_URL = ""
# Distributed: seconds a process waits, idle, for requests other processes push
# before it closes.
NEWS_DISTRIBUTED_IDLE_CLOSE = 15.0

# --- Scheduling (`scrapy schedule`) ------------------------------------------
# Scrapyd endpoint; when set, scheduled runs are submitted there (schedule.json).
SCRAPYD_URL = ""
# Scrapyd project the crawler is deployed as (scrapy.cfg [deploy] project).
SCRAPYD_PROJECT = "crawler"

# --- Alerts (ALERTS_*): a crawl that went wrong is reported (docs/alerts.md) -------
# Evaluate every crawl at its end; alerts go into the manifest and alerts/{crawl_id}.json.
ALERTS_ENABLED = True
# Causes sent by webhook and e-mail (empty: all of crawl-failed, http-errors, challenge-pages,
# no-new-articles, few-articles, uploads-unsent); every alert is stored whatever this says.
ALERTS_EVENTS: list[str] = []
# http-errors: more than this share of the responses were 403, 429 or 5xx ...
ALERTS_HTTP_ERROR_SHARE = 0.5
# ... over at least this many responses (or every response was one).
ALERTS_MIN_RESPONSES = 5
# challenge-pages: raised from this many bot-check pages on.
ALERTS_CHALLENGE_MIN_PAGES = 1
# no-new-articles / few-articles: compare with the median of the site's last N earlier runs ...
ALERTS_HISTORY_RUNS = 5
# ... when there are at least this many of them.
ALERTS_HISTORY_MIN_RUNS = 2
# few-articles: fewer new articles than this share of that median.
ALERTS_FEW_ARTICLES_RATIO = 0.5
# Webhook (Slack/Matrix-compatible JSON POST, one per crawl with every cause); "" = none.
ALERTS_WEBHOOK_URL = ""
# Seconds per webhook/SMTP attempt, and retries after a failed one.
ALERTS_TIMEOUT = 10.0
ALERTS_RETRIES = 2
# E-mail over SMTP ("" host = none); STARTTLS and login when set.
ALERTS_SMTP_HOST = ""
ALERTS_SMTP_PORT = 25
ALERTS_SMTP_USER = ""
ALERTS_SMTP_PASSWORD = ""
ALERTS_SMTP_STARTTLS = False
ALERTS_EMAIL_FROM = ""
ALERTS_EMAIL_TO: list[str] = []

# --- Components -------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Closest to the network, so it sees requests as sent and responses as
    # received: before decompression, redirects and retries.
    "crawler.middlewares.warc.WarcCaptureMiddleware": 950,
    # Redirect loops, offsite and non-HTTP redirect targets: archived, not followed.
    "crawler.middlewares.redirects.RedirectGuardMiddleware": 940,
    # Retry-After honoured; truncated bodies fetched again (just before RetryMiddleware).
    "crawler.middlewares.faultretry.FaultRetryMiddleware": 560,
    # Decompression bombs counted and logged (replaces Scrapy's, same place).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.compression.BoundedHttpCompressionMiddleware": 590,
    # Meta refresh looked for only in pages that mention "refresh" near the top (no whole-page decode).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.metarefresh.HeadMetaRefreshMiddleware": 580,
    # robots.txt per RFC 9309: 5xx/unreachable disallows, HTML is not rules.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.ArchiveRobotsTxtMiddleware": 100,
    # Final fetch failures counted by cause and logged once (after retries).
    "crawler.middlewares.failures.FetchFailureMiddleware": 50,
}
SPIDER_MIDDLEWARES = {
    # Outermost (before HttpErrorMiddleware at 50): the WARC metadata record, with the
    # outlinks the callback listed, of every response that reaches the spider.
    "crawler.middlewares.capturemeta.CaptureMetadataMiddleware": 10,
    # Also before HttpErrorMiddleware (it sees 403/503 answers): bot-check pages counted, listed, never articles.
    "crawler.middlewares.challenge.ChallengePageMiddleware": 30,
    # Page resources (images, CSS, fonts, scripts) fetched and archived before the page's item goes on.
    "crawler.middlewares.resources.PageResourcesMiddleware": 940,
    # Spider side (after Scrapy's DepthMiddleware at 900), innermost last:
    # resume journal: interrupted requests first; responses with no article journalled done.
    "crawler.middlewares.resume.ResumeJournalMiddleware": 950,
    # Incremental re-crawls: known unchanged articles skipped (or revalidated), 304s and revisits not rewritten.
    "crawler.middlewares.known.KnownArticleMiddleware": 960,
    # Empty, truncated, binary, non-HTML, unparsable and too deep bodies never reach the callback.
    "crawler.middlewares.triage.BodyTriageMiddleware": 970,
}
EXTENSIONS = {
    "crawler.extensions.archive.ArchiveExtension": 100,
    # The article search index (archive/search.py), updated as articles are stored (after the archive extension).
    "crawler.extensions.searchindex.SearchIndexExtension": 150,
    "crawler.extensions.progress.ProgressExtension": 200,
    "crawler.extensions.itemerrors.ItemErrorExtension": 300,
    "crawler.extensions.resume.ResumeExtension": 50,
    # Distributed crawls (REDIS_URL): an idle process waits NEWS_DISTRIBUTED_IDLE_CLOSE before closing.
    "crawler.extensions.distributed.DistributedIdleExtension": 400,
    # Alerts at the end of the crawl (after ArchiveExtension, whose final manifest they go into).
    "crawler.extensions.alerts.AlertsExtension": 500,
}
# Settings derived from other settings (REDIS_URL -> scrapy-redis, {contact} in USER_AGENT).
ADDONS = {
    "crawler.addon.NewsArchiveAddon": 0,
}
ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 100,
    "pipelines.repetition.RepetitionPipeline": 200,
    "pipelines.dates.DatesPipeline": 300,
    "pipelines.window.DateWindowPipeline": 500,
    "pipelines.versions.ArticleVersionsPipeline": 850,
    "pipelines.export.JsonExportPipeline": 900,
}
