# The two commands of the README: `make run` and `make test`. Nothing else needs installing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: setup run test messages clean

setup: $(STAMP) $(MO) node_modules/.installed

# The browser-quality tests' tools (W3C Nu HTML checker, axe-core), pinned in package-lock.json.
# Without node they are skipped (CI sets REQUIRE_BROWSER=1 and fails instead).
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund -q && touch $@; \
	else echo "npm not found: the HTML and accessibility checks will be skipped"; fi

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

# Migrate, seed the demo organisation when empty, start Redis/worker/mail sink/web; Ctrl-C stops all.
# PROFILE=retail make run: another industry profile (profiles/*.yaml) for an empty database.
PROFILE ?= bank
run: setup
	$(BIN)/flask --app app serve --profile $(PROFILE)

# One pytest worker per core (pytest-xdist), each with its own databases (tests/conftest.py).
test: setup
	$(BIN)/python -m pytest -n auto

# Re-extract the UI strings after changing them; then translate the new ones in the .po files.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --project=complaints --ignore-dirs=".venv instance .git" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) $(MO)
