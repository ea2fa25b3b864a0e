# Quick start: `make demo` and `make test` (each sets up .venv on its own).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-s3 test system-deps replayweb tools lint typecheck bench eval clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## Serve the bundled demo site on 127.0.0.1 and crawl it into ./archive.
demo: $(STAMP)
	$(BIN)/python -m demo.run --archive ./archive

## The same demo crawl into a local S3 store (SeaweedFS on 127.0.0.1).
demo-s3: $(STAMP)
	$(BIN)/python -m demo.run --archive ./archive --s3

## Servers and the browser the tests start that come from Debian, not PyPI (installed when missing and root).
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing redis-server (Debian) for the distributed-crawl tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else echo "redis-server is missing: install the Debian package redis-server"; exit 1; fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium (Debian) for the browser replay tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "chromium is missing: install the Debian package chromium"; exit 1; fi; }

## ReplayWeb.page (npm package replaywebpage, pinned by tests/support/replayweb/package-lock.json) for the replay
## tests: its ui.js and sw.js are served with a crawl's WACZ (tests/support/replay.py).
REPLAYWEB := tests/support/replayweb
REPLAYWEB_STAMP := $(REPLAYWEB)/node_modules/.installed
$(REPLAYWEB_STAMP): $(REPLAYWEB)/package.json $(REPLAYWEB)/package-lock.json
	cd $(REPLAYWEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

replayweb: $(REPLAYWEB_STAMP)

## pywb, cdxj-indexer and py-wacz in .venv-tools (pywb pins redis 2.x, which scrapy-redis cannot share a venv
## with: tests/tools.py); created here so that no test has to, reused while its pins do not change.
tools: $(STAMP)
	$(BIN)/python -m tests.tools

## The whole test suite (plus the linter).
test: $(STAMP) system-deps replayweb tools
	$(BIN)/ruff check crawler pipelines archive demo tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## The suite on the newest Scrapy release, ignoring the pin in pyproject.toml: a separate venv (.venv-latest) with
## the project and its test extras, then `pip install --upgrade` of LATEST. Not part of `make test` or CI; run it
## before widening the pin. `make test-scrapy-latest LATEST="scrapy warcio"` moves warcio too.
LATEST_VENV := .venv-latest
LATEST ?= scrapy
.PHONY: test-scrapy-latest
test-scrapy-latest: system-deps
	$(PYTHON) -m venv $(LATEST_VENV)
	echo '*' > $(LATEST_VENV)/.gitignore
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet -e '.[test]'
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade $(LATEST)
	$(LATEST_VENV)/bin/python -c "import scrapy, warcio.warcwriter, importlib.metadata as m; \
	  print('Scrapy', scrapy.__version__, '/ warcio', m.version('warcio'), '/ Twisted', m.version('twisted'))"
	$(LATEST_VENV)/bin/ruff check crawler pipelines archive demo tests
	$(LATEST_VENV)/bin/mypy
	$(LATEST_VENV)/bin/python -m pytest -q

## Extraction quality: Zyte benchmark F1 (pipeline vs plain trafilatura) and the labelled set.
eval: $(STAMP)
	$(BIN)/python -m tests.support.evaluation

## Benchmarks (figures, not pass/fail): full-pipeline crawl of the benchmark pages (pages/s vs plain
## trafilatura, peak RSS at 2,000 and 10,000 pages, time shares), then a 300 MB WARC upload to local S3,
## the site state of 1,000,000 URLs, the repetition learner's state per backend, the article search index
## of 1,000,000 articles (first page of 20 queries), the web console's jobs page for 50 jobs with 1,000
## recorded runs (under 300 ms), and a local link farm crawl discovering 2,000,000 URLs (peak RSS vs
## 20,000 URLs; about 20 minutes).
bench: $(STAMP)
	$(BIN)/python -m tests.support.bench upload --mb 300
	$(BIN)/python -m tests.support.bench crawl --pages 2000 --scale 10000 --compare-resources
	$(BIN)/python -m tests.support.bench state --urls 1000000
	$(BIN)/python -m tests.support.bench repeat --pages 20000
	$(BIN)/python -m tests.support.bench search --articles 1000000
	$(BIN)/python -m tests.support.bench console --jobs 50 --runs 1000
	$(BIN)/python -m tests.support.bench linkfarm --urls 2000000 --baseline 20000

lint: $(STAMP)
	$(BIN)/ruff check crawler pipelines archive demo tests

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(REPLAYWEB)/node_modules .pytest_cache .ruff_cache .mypy_cache archive/warc archive/articles archive/crawls archive/index
