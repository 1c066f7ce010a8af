# bargaining-chip: the two set-up commands are `make report` and `make test`.
# Everything runs in the project's own virtual environment (.venv), built from requirements.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
RAW    := $(wildcard data/raw/*/*.csv)
PROCESSED_STAMP := data/processed/.built
CALIBRATION := data/processed/calibration/v2.csv

.PHONY: help env data calibration report export screenshot test unit nbtest lab lint lock bench clean
.PHONY: db serve release screenshot-db

help:
	@echo "make report   build the environment, data/processed, run every notebook, write reports/"
	@echo "make test     unit tests (pytest) and notebook tests (nbval)"
	@echo "make lab      JupyterLab on the project kernel"
	@echo "make data     validate data/raw and rebuild data/processed"
	@echo "make calibration  size and power of every plan-v2 test on record-shaped series (cached)"
	@echo "make export   exports/<country>/: tables and panels as Stata .dta, Parquet, CSV + codebook"
	@echo "make screenshot  PNGs of reports/index.html and the timeline (needs chromium)"
	@echo "make db       data/processed/record.db: the record as one SQLite database (sqlite-utils)"
	@echo "make serve    browse and search the record with Datasette on http://127.0.0.1:8001"
	@echo "make release  dist/bargaining-chip-data-<version>.zip with DATA_CHANGELOG.md and SHA-256 sums"
	@echo "make lint     ruff"
	@echo "make bench    benchmarks/ (speed, side by side with baselines)"
	@echo "make lock     regenerate requirements.lock from the ranges in pyproject.toml"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

env: $(STAMP)

$(PROCESSED_STAMP): $(STAMP) $(RAW) $(wildcard src/analysis/data.py src/analysis/schemas.py src/analysis/settings.py)
	$(PY) -m analysis.record.data build

data: $(PROCESSED_STAMP)

# the record-shaped calibration of every plan-v2 test (about 1-2 minutes on 2 cores); cached
# (copied from the committed data/calibration/ when its content key matches; --recompute reruns)
$(CALIBRATION): $(PROCESSED_STAMP) $(wildcard data/calibration/v2.* src/analysis/inference/calibration.py src/analysis/inference/simulate.py src/analysis/inference/plan.py src/analysis/timing/exact.py)
	$(PY) -m analysis.inference.calibration $(CALIBRATION_ARGS)

calibration: $(CALIBRATION)

report: $(PROCESSED_STAMP) $(CALIBRATION)
	$(PY) -m analysis.reports $(REPORT_ARGS)

export: $(PROCESSED_STAMP)
	$(PY) -m analysis.record.export

# what a reader sees: headless Chromium renders the index and the timeline page, when installed
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
screenshot:
	@test -f reports/index.html || { echo "no reports/index.html: run make report first"; exit 1; }
	@if [ -z "$(CHROMIUM)" ]; then echo "chromium not found: apt-get install chromium"; exit 0; fi; \
	$(CHROMIUM) --headless --no-sandbox --hide-scrollbars --window-size=1280,2400 \
	  --screenshot=reports/index.png file://$(CURDIR)/reports/index.html 2>/dev/null; \
	$(CHROMIUM) --headless --no-sandbox --hide-scrollbars --virtual-time-budget=8000 \
	  --window-size=1280,1600 --screenshot=reports/timeline.png \
	  file://$(CURDIR)/reports/01_data_overview.html 2>/dev/null; \
	echo "reports/index.png reports/timeline.png written"

# the record as one SQLite database with its Datasette metadata (browse it with make serve)
DB := data/processed/record.db
DB_METADATA := data/processed/record.metadata.json
$(DB): $(PROCESSED_STAMP) $(wildcard src/analysis/record/database.py src/analysis/record/dictionary.py data/README.md CITATION.cff)
	$(PY) -m analysis.record.database

db: $(DB)

# Datasette on this machine only (127.0.0.1); SERVE_PORT=8002 make serve for another port
SERVE_PORT ?= 8001
serve: $(DB)
	$(BIN)/datasette serve $(DB) --metadata $(DB_METADATA) --host 127.0.0.1 --port $(SERVE_PORT)

# dist/bargaining-chip-data-<version>.zip; the changelog compares with the newest earlier zip in
# dist/ (keep it there), or with RELEASE_ARGS="--previous path/to/old.zip"
release: $(PROCESSED_STAMP)
	$(PY) -m analysis.record.release $(RELEASE_ARGS)

# a table page of the record as a reader sees it (Datasette on 127.0.0.1 for a few seconds)
SCREENSHOT_PORT ?= 8765
screenshot-db: $(DB)
	@if [ -z "$(CHROMIUM)" ]; then echo "chromium not found: apt-get install chromium"; exit 0; fi; \
	mkdir -p reports; \
	$(BIN)/datasette serve $(DB) --metadata $(DB_METADATA) --host 127.0.0.1 \
	  --port $(SCREENSHOT_PORT) >/dev/null 2>&1 & pid=$$!; \
	for i in $$(seq 50); do $(PY) -c "import urllib.request as u; \
	  u.urlopen('http://127.0.0.1:$(SCREENSHOT_PORT)/-/versions.json', timeout=1)" \
	  2>/dev/null && break; sleep 0.2; done; \
	$(CHROMIUM) --headless --no-sandbox --hide-scrollbars --window-size=1280,1600 \
	  --screenshot=reports/record-releases.png \
	  "http://127.0.0.1:$(SCREENSHOT_PORT)/record/releases?_facet=country&_facet=year" 2>/dev/null; \
	kill $$pid; echo "reports/record-releases.png written"

screenshot: screenshot-db

unit: $(PROCESSED_STAMP)
	$(PY) -m pytest -q tests

nbtest: $(PROCESSED_STAMP) $(CALIBRATION)
	$(PY) -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

test: lint unit nbtest

# Jupyter refuses to run as root without --allow-root (containers, CI machines)
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(PROCESSED_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(PROCESSED_STAMP)
	$(PY) benchmarks/run_all.py

lock:
	rm -rf .lockenv
	$(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lockenv/bin/python -m pip install --quiet ".[test,dev]"
	{ echo "# Exact versions for bargaining-chip. Generated by 'make lock' (do not edit by hand)."; \
	  echo "# Python 3.11; regenerate after changing dependency ranges in pyproject.toml."; \
	  .lockenv/bin/python -m pip freeze --exclude-editable | grep -vi '^bargaining-chip'; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) data/processed/* $(PROCESSED_STAMP)
