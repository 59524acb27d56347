# FieldLedger developer commands. Every target uses .venv/bin/... directly: no activation needed.
#   make run    create .venv, install, migrate, load demo data, serve on http://127.0.0.1:8000 (PORT=…)
#   make test   the whole suite (SQLite unless DATABASE_URL is set; extra pytest options in PYTEST_ARGS)
#   make lint   ruff check + ruff format --check + mypy (config in pyproject.toml)
#   make worker / make beat    Celery worker / beat (need REDIS_URL; see README)
#   make bench  seed PostgreSQL (DATABASE_URL) with 100k cases and 1M audit events, measure, write bench/RESULTS.md
#   make diagram               regenerate docs/case-stage.{dot,svg} from the case state machine
#   make constraints           re-pin constraints.txt after a change to pyproject.toml

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependency declarations change; deleting .venv removes the stamp too.
INSTALL_STAMP := $(VENV)/.installed
# Collect static files again only when the installed packages or our own static files change.
STATIC_STAMP := staticfiles/.collected
STATIC_SOURCES := $(shell find static -type f 2>/dev/null)
PYTEST_ARGS ?=
# e.g. make bench BENCH_ARGS="--cases 1000 --events 10000" (a quick run; bench/README.md)
BENCH_ARGS ?=

.PHONY: help install run test lint worker beat diagram constraints bench fonts

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

install: $(INSTALL_STAMP)

$(INSTALL_STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { \
		echo "creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: sudo apt-get install python3-venv" >&2; exit 1; }; \
	}
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,s3]'
	@touch $@

$(STATIC_STAMP): $(INSTALL_STAMP) $(STATIC_SOURCES)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@touch $@

# `make run PORT=8107`: the server's port; the public link base (SMS signing links) follows it unless
# PUBLIC_BASE_URL is set.
PORT ?= 8000

run: install $(STATIC_STAMP)
	@$(MAKE) --no-print-directory fonts
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# No unreadable legal document: Chinese PDFs need a CJK font. As root on Debian/Ubuntu it is installed;
# otherwise make stops here, before seeding, with the command to run (seed_demo refuses too).
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing the Chinese font PDFs need (fonts-wqy-zenhei)..." >&2; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends fontconfig fonts-wqy-zenhei libharfbuzz-subset0 >/dev/null; \
	  else \
	    echo "No Chinese font: agreements and reports in Chinese cannot be printed. Install one, then run make run again:" >&2; \
	    echo "  sudo apt-get install fontconfig fonts-wqy-zenhei libharfbuzz-subset0   (as root: without sudo)" >&2; \
	    exit 1; \
	  fi; }

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# A worker on the embedded default would use an in-memory broker that nobody else sees.
worker: install
	@test -n "$${REDIS_URL:-}" || { echo "set REDIS_URL (e.g. redis://127.0.0.1:6379/0); see README" >&2; exit 1; }
	$(BIN)/celery -A config worker -l info

beat: install
	@test -n "$${REDIS_URL:-}" || { echo "set REDIS_URL (e.g. redis://127.0.0.1:6379/0); see README" >&2; exit 1; }
	@mkdir -p var
	$(BIN)/celery -A config beat -l info --schedule var/celerybeat-schedule

# The benchmark appends to the audit chain of the database it is given: a PostgreSQL database of its own.
bench: install
	@case "$${DATABASE_URL:-}" in postgres://*|postgresql://*|pgsql://*) ;; \
	  *) echo "make bench needs PostgreSQL: DATABASE_URL=postgres://USER@HOST:5432/DBNAME (a database of its own); SQLite is refused" >&2; exit 2;; esac
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# django-fsm-2's graph_transitions renders with Graphviz (Debian package graphviz) and leaves the
# source beside the picture without an extension; a fixed hash seed keeps the .dot diff-stable.
diagram: install
	PYTHONHASHSEED=0 $(BIN)/python manage.py graph_transitions -o docs/case-stage.svg cases.Case
	mv docs/case-stage docs/case-stage.dot

# Resolves in a scratch venv so that nothing installed by hand in .venv gets pinned. Existing pins are
# kept; to upgrade a package, delete its line first. A new dependency gets its newest matching release.
constraints:
	lock=$$(mktemp -d); trap 'rm -rf "$$lock"' EXIT; \
	$(PYTHON) -m venv "$$lock"; \
	"$$lock/bin/python" -m pip install --quiet -c constraints.txt -e '.[dev,s3]'; \
	{ sed -n '/^#/p' constraints.txt; \
	  "$$lock/bin/python" -m pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)=='; \
	} > constraints.txt.new; \
	mv constraints.txt.new constraints.txt

# Translations. makemessages adds new marked strings to locale/zh_Hans/LC_MESSAGES/django.po (empty)
# and marks changed ones fuzzy; translate those, remove the fuzzy flags, then run it again so that
# django.mo is rebuilt. Commit both files: Django reads the .mo, and users need no gettext.
#   make messages              extract UI strings to locale/zh_Hans/.../django.po and compile django.mo
.PHONY: messages
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=media

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans $(MESSAGES_IGNORE) --no-obsolete
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv
