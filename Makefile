# Watchfloor: `make run` opens the console on its demo, `make test` runs every check.
# Both set everything up first (system packages, .venv, web assets), and only redo what changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.watchfloor-setup
WEB := resources/web
WEB_STAMP := $(WEB)/node_modules/.watchfloor-setup

.PHONY: setup run test lint bench i18n lock clean

setup: $(SETUP_STAMP) $(WEB_STAMP)

$(SETUP_STAMP): pyproject.toml constraints.txt installer/system-packages.sh
	bash installer/system-packages.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

run: setup
	$(PY) main.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m bench

# Developers: after changing user-visible strings, refresh the catalogs, translate, compile.
i18n: setup
	$(VENV)/bin/pybabel extract --no-location --sort-output -F babel.cfg -o i18n/messages.pot \
		--project=Watchfloor --copyright-holder="Watchfloor" app detectors widgets resources
	$(VENV)/bin/pybabel update --no-fuzzy-matching -D watchfloor -i i18n/messages.pot -d i18n
	$(VENV)/bin/pybabel compile --statistics -D watchfloor -d i18n

# Developers: after changing dependencies in pyproject.toml, re-pin every package.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^watchfloor' > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) $(WEB)/node_modules .pytest_cache .ruff_cache
