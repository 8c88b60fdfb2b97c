# assetmap developer commands. `make help` lists them.
#
#   make install   Debian packages (when missing), .venv, editable install with dev extras
#   make run       migrate, load the demo data, serve on http://$(HOST):$(PORT)
#   make test      pytest; PYTEST_ARGS="-k assets -x" passes options through
#   make lint      ruff (lint + format check) and mypy
#   make bench     bench/run.py; BENCH_ARGS passes options through
#
# PostGIS tests need a PostGIS URL in ASSETMAP_TEST_POSTGIS_URL, e.g.
#   export ASSETMAP_TEST_POSTGIS_URL="$$(scripts/postgis.sh start)"; make test; scripts/postgis.sh stop

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEB_PACKAGES := libsqlite3-mod-spatialite gdal-bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install deb-packages run test lint bench

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

install: $(STAMP)

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
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(STAMP): pyproject.toml | deb-packages
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), sys.version' \
		|| { echo "assetmap needs Python 3.11+; run: make PYTHON=python3.11 install" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -e '.[dev]'
	touch $@

run: install
	$(BIN)/assetmap db upgrade
	$(BIN)/assetmap demo
	$(BIN)/assetmap serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy app

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
