# Helpdesk for Tryton
#
#   make demo    install everything, build var/demo.sqlite, serve it on
#                http://127.0.0.1:8000/
#   make serve   install everything and serve on PostgreSQL the production
#                way: gunicorn workers, trytond-cron, trytond-worker
#                (tools/serve, doc/deployment.rst; ARGS="..." passes options)
#   make test    install everything and run the whole suite on SQLite and
#                PostgreSQL (tools/run-tests; ARGS="..." passes options)
#   make bench   run the benchmarks (bench/run.py)
#   make lint    flake8 and isort --check
#   make clean   remove what the targets above built (not .venv: distclean)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip
ADDONS := helpdesk_core helpdesk_sla helpdesk_aftersales helpdesk_website \
	helpdesk_crm
PYPROJECTS := $(foreach a,$(ADDONS),addons/$(a)/pyproject.toml)
SAO := web/node_modules/tryton-sao
CONF := var/trytond.conf
DEMO_DB := var/demo.sqlite
# What the demo database is built from: rebuilt when one of them changes
DEMO_SOURCES := $(shell find addons tools/demo.py \
	\( -name tests -o -name doc -o -name '*.egg-info' -o -name __pycache__ \) \
	-prune -o -type f \( -name '*.py' -o -name '*.xml' -o -name '*.cfg' \
	-o -name '*.po' \) -print 2>/dev/null)
LINT_PATHS := addons tests bench tools tools/run-tests tools/serve deploy

INSTALL_STAMP := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed

.PHONY: help venv install web system demo serve test bench lint clean \
	distclean

help:
	@sed -n '3,12s/^# \{0,1\}//p' Makefile

# --- Python: virtual environment, requirements, the five addons (editable)

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(INSTALL_STAMP): requirements.txt $(PYPROJECTS) | $(VPY)
	$(PIP) install --disable-pip-version-check -q -r requirements.txt
	$(PIP) install --disable-pip-version-check -q \
		$(foreach a,$(ADDONS),-e addons/$(a))
	touch $@

venv install: $(INSTALL_STAMP)

# --- Web client: tryton-sao from npm (web/package-lock.json)

# sao's index.html loads node_modules/... relative to its own directory: the
# symbolic link node_modules -> .. in it makes them resolve; custom.js and
# custom.css are the local customisation hooks index.html loads too.
$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { \
		echo "npm is required to install the web client:" \
			"apt-get install npm" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	ln -sfn .. $(SAO)/node_modules
	ln -sfn ../../custom.js $(SAO)/custom.js
	ln -sfn ../../custom.css $(SAO)/custom.css
	touch $@

web: $(WEB_STAMP)

# --- System services the tests need (PostgreSQL, Chromium)

system:
	tools/ensure-system

# --- Demo

$(CONF): trytond.conf
	@mkdir -p var
	sed -e 's|^\([a-z_]* *= *\)\./|\1$(CURDIR)/|' trytond.conf > $@

$(DEMO_DB): $(DEMO_SOURCES) | $(INSTALL_STAMP)
	@test -f tools/demo.py || { echo "tools/demo.py is missing" >&2; exit 1; }
	@mkdir -p var
	rm -f $@
	$(VPY) tools/demo.py --database $@ 2>&1 | tee var/demo.log

demo: $(INSTALL_STAMP) $(WEB_STAMP) $(CONF) $(DEMO_DB)
	tools/serve-demo $(CONF) demo

serve: $(INSTALL_STAMP) $(WEB_STAMP) system
	tools/serve $(ARGS)

# --- Tests, benchmarks, lint

test: $(INSTALL_STAMP) $(WEB_STAMP) system
	tools/run-tests $(ARGS)

bench: $(INSTALL_STAMP)
	$(VPY) bench/run.py $(ARGS)

lint: $(INSTALL_STAMP)
	$(VENV)/bin/flake8 $(LINT_PATHS)
	$(VENV)/bin/isort --check-only --diff $(LINT_PATHS)

clean:
	rm -rf var web/node_modules .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 \
		| xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) addons/*/*.egg-info
