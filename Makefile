# Hookline: `make serve` runs it, `make test` tests it. Both set themselves up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
PYTEST_ARGS ?=

# Two installs into .venv, each done again whenever pyproject.toml changes:
#   server: Hookline and what running it needs            (make serve, make dev, make bench)
#   dev:    that, plus pytest, ruff, mypy, Playwright… and Chromium for the browser tests,
#           faketime and iptables for the clock and connection tests
#           (make install, make test, make lint, make format)
SERVER_STAMP := $(VENV)/.installed-server
DEV_STAMP    := $(VENV)/.installed-dev
# The npm SDK the Svix door's tests run (tests/package-lock.json pins it); again only
# when the lockfile changes.
NODE_DEPS    := tests/node_modules/.installed

.PHONY: install install-server serve dev test lint format bench clean

install: $(DEV_STAMP)  ## the development setup: everything `make test` needs

install-server: $(SERVER_STAMP)  ## only what running Hookline needs

$(SERVER_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server]'
	touch $@

# The dev install holds the server's too, so it leaves both stamps up to date.
$(DEV_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	scripts/ensure-chromium.sh || echo "warning: no Chromium; the dashboard's browser tests cannot run" >&2
	scripts/ensure-test-tools.sh || echo "warning: no faketime or iptables; clock and Happy Eyeballs tests cannot run" >&2
	touch $(SERVER_STAMP) $@

serve: install-server  ## run API + dashboard + worker on 127.0.0.1:8780 (SQLite in ./hookline-data)
	$(BIN)/hookline serve $(ARGS)

dev: install-server  ## same, allowing http:// and loopback endpoints (development only)
	$(BIN)/hookline serve --dev $(ARGS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

$(NODE_DEPS): tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Then the store's tests again on SQLite's stock driver (store/sqlite_driver.py), the
# path beside the fence of private APIs: PostgreSQL is the same either way.
test: install lint $(NODE_DEPS)  ## the whole suite, on SQLite and PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)
	HOOKLINE_SQLITE_DRIVER=stock HOOKLINE_TEST_DATABASES=sqlite $(BIN)/pytest -q tests/store

bench: install-server  ## the benchmark (issue 8): every scenario, a table, bench/results/latest.json
	$(BIN)/python -m bench $(ARGS)

format: install
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts tests/node_modules
