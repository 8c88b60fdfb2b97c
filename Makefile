# assetmap developer commands. `make help` lists them.
#
#   make install   Debian packages (when missing), .venv, editable install with dev extras,
#                  npm ci (checks the committed app/web/static/vendor) and compiled catalogues
#   make vendor    copy the front-end files again from package-lock.json (after changing it)
#   make wheel     dist/assetmap-*.whl: the one artefact, with catalogues, migrations and data
#   make run       migrate, load the demo data, serve on http://$(HOST):$(PORT)
#   make test      pytest on every CPU; PYTEST_ARGS="-k assets -x" passes options through
#   make test-fast the edit loop: SpatiaLite only, no browser, fuzzing or real data
#   make lint      ruff (lint + format check) and mypy
#   make pins      rewrite constraints.txt from .venv (after changing pyproject.toml dependencies)
#   make bench     bench/run.py; BENCH_ARGS passes options through
#   make messages  extract page strings into app/i18n/*.po (then translate the new ones)
#
# PostGIS tests need a PostGIS URL in ASSETMAP_TEST_POSTGIS_URL, e.g.
#   export ASSETMAP_TEST_POSTGIS_URL="$$(scripts/postgis.sh start)"; make test; scripts/postgis.sh stop

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# chromium: the browser tests (tests/web) drive Debian's, never a downloaded one.
# redis-server, nginx-light: shared rate limits and the replica tests (tests/replicas).
DEB_PACKAGES := libsqlite3-mod-spatialite gdal-bin chromium redis-server nginx-light
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
CATALOGUES := $(wildcard app/i18n/*/LC_MESSAGES/messages.po)

.DEFAULT_GOAL := help
.PHONY: help install deb-packages web vendor wheel run test test-fast lint pins bench messages

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

install: $(STAMP) web $(CATALOGUES:.po=.mo)

# Cheap (dpkg only) unless something is missing, so it runs every time.
deb-packages:
	@if ! command -v dpkg >/dev/null; then \
		echo "dpkg not found: install $(DEB_PACKAGES) (or your system's equivalents) yourself" >&2; \
		exit 0; \
	fi; \
	missing=""; \
	for p in $(DEB_PACKAGES); do \
		dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# constraints.txt pins every package to the versions CI uses (`make pins` rewrites it).
$(STAMP): pyproject.toml constraints.txt | deb-packages
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), sys.version' \
		|| { echo "assetmap needs Python 3.11+; run: make PYTHON=python3.11 install" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -c constraints.txt -e '.[dev]'
	touch $@

# Cheap when nothing changed: npm ci runs only when package-lock.json is newer than node_modules.
# The vendored files are committed (setup.py says why): install only checks them.
web: | deb-packages
	scripts/vendor-web.sh --check

vendor: | deb-packages
	scripts/vendor-web.sh

# The image builds it the same way (scripts/build-image-steps.sh, used by the Dockerfile).
wheel: $(STAMP)
	scripts/build-image-steps.sh wheel . dist

app/i18n/%/LC_MESSAGES/messages.mo: app/i18n/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

messages: $(STAMP)
	$(BIN)/pybabel -q extract -F app/i18n/babel.cfg --no-location --sort-output --width 100 \
		--project assetmap --version 0.1.0 --copyright-holder 'assetmap contributors' \
		-o app/i18n/messages.pot .
	$(BIN)/pybabel -q update -i app/i18n/messages.pot -d app/i18n --width 100 --ignore-obsolete \
		--no-fuzzy-matching --ignore-pot-creation-date

run: install
	$(BIN)/assetmap db upgrade
	$(BIN)/assetmap demo
	$(BIN)/assetmap serve --host $(HOST) --port $(PORT)

# One process per CPU (pytest-xdist); each has its own SpatiaLite file and PostGIS database.
test: install
	$(BIN)/python -m pytest -n auto --durations=30 $(PYTEST_ARGS)

FAST_LANE := not browser and not fuzz and not real_data and not postgis and not slow
test-fast: install
	$(BIN)/python -m pytest -n auto -m "$(FAST_LANE)" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy app

# To move a pin: change the range in pyproject.toml if needed, `.venv/bin/pip install -U <package>`
# (or `pip install -e '.[dev]'` for a new dependency), `make pins`, run `make lint test`, and
# commit pyproject.toml with constraints.txt. Editable installs (assetmap itself) are left out.
pins:
	test -x $(BIN)/pip || { echo "no $(VENV): run make install first" >&2; exit 1; }
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
