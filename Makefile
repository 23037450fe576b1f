# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app nrm
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
TSTAMP := $(VENV)/.installed-test-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
PG_BIN := /usr/lib/postgresql/15/bin
APT    := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help run test install install-test system-deps compile translations lint serve test-sqlite test-postgres bench loadtest clean

help:
	@echo "make run    - set everything up (venv, keys, database, demo accounts) and serve http://127.0.0.1:5000"
	@echo "make test   - install what the tests need (incl. chromium, PostgreSQL 15) and run the whole suite"
	@echo "make translations - re-extract strings and update the ky/ru/en catalogs"

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-*; touch $@

$(TSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)
install-test: $(TSTAMP)

compile: $(STAMP)
	$(BIN)/pybabel -q compile -d nrm/translations

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o nrm/translations/messages.pot .
	$(BIN)/pybabel update -i nrm/translations/messages.pot -d nrm/translations --no-fuzzy-matching --ignore-obsolete

run: compile
	NRM_ENV=$${NRM_ENV:-development} $(FLASK) init --demo
	NRM_ENV=$${NRM_ENV:-development} NRM_SCHEDULER_IN_PROCESS=true $(FLASK) run --host 127.0.0.1 --port 5000

# Debian's chromium (Playwright drives it; it cannot download its own browser here), PostgreSQL 15,
# and what the PDF referral letters need: WeasyPrint's Pango and the DejaVu fonts (Cyrillic and the
# Kyrgyz letters).
PDF_FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
SYSTEM_PACKAGES := chromium postgresql-15 fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x $(PG_BIN)/initdb ] || [ ! -f $(PDF_FONT) ] || \
	    ! ldconfig -p | grep -q libpangoft2-1.0.so.0; then \
	  echo "Installing system packages: $(SYSTEM_PACKAGES)"; \
	  $(APT) update -qq && $(APT) install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi
	@test -x /usr/bin/chromium || { echo "chromium is missing: apt-get install chromium"; exit 1; }
	@test -x $(PG_BIN)/initdb || { echo "PostgreSQL 15 is missing: apt-get install postgresql-15"; exit 1; }
	@test -f $(PDF_FONT) || { echo "The PDF font is missing: apt-get install fonts-dejavu-core"; exit 1; }
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 || { echo "Pango is missing (PDF letters): apt-get install libpango-1.0-0 libpangoft2-1.0-0"; exit 1; }

# ruff (with the bandit rules, S) and pip-audit: a known vulnerability fails the build; a vulnerability
# service that does not answer (a closed network) is reported and skipped.
lint: install-test
	$(BIN)/ruff check .
	@$(BIN)/pip-audit --progress-spinner off --skip-editable > $(VENV)/pip-audit.log 2>&1; rc=$$?; \
	  if grep -Eq "Found [0-9]+ known vulnerabilit" $(VENV)/pip-audit.log; then cat $(VENV)/pip-audit.log; exit 1; fi; \
	  audited=$$(grep -c "could not be audited" $(VENV)/pip-audit.log); \
	  if [ $$rc -ne 0 ] || [ $$audited -gt 0 ]; then \
	    echo "pip-audit: the vulnerability service did not answer for $$audited package(s); not audited here"; \
	  else echo "pip-audit: no known vulnerabilities"; fi

test: system-deps install-test compile lint test-sqlite test-postgres

test-sqlite: install-test compile
	CI=$${CI:-} $(BIN)/python -m pytest

# The same suite against a throwaway PostgreSQL 15 cluster on 127.0.0.1, removed afterwards.
test-postgres: install-test compile
	tests/postgres.sh $(BIN)/python -m pytest -m "not scale and not attack"

# Benchmarks (docs/performance.md); the web section runs against PostgreSQL like production.
# `make bench SECTIONS="web pages"` runs some sections and keeps the others' figures.
bench: system-deps install-test compile
	tests/postgres.sh $(BIN)/python -m bench $(SECTIONS)

# 50 signed-in users of mixed roles for 60 s against gunicorn with PostgreSQL, loopback only.
loadtest: system-deps install-test compile
	tests/postgres.sh $(BIN)/python -m bench.loadtest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
