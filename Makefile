# Two commands on a fresh machine: `make run` (set up and serve) and `make test` (set up and test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bytecode test-deps system-deps runtime-deps translations assets fonts lint bench lock clean

run: install
	$(BIN)/wallet db upgrade
	$(BIN)/wallet demo --if-empty
	$(BIN)/wallet run --host 127.0.0.1 --port 5000

test: system-deps test-deps
	bash scripts/run_tests.sh

install: $(STAMP) translations assets fonts runtime-deps bytecode

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

test-deps: install $(VENV)/.test-installed
	$(BIN)/python scripts/fetch_npm_interop.py --quiet
	$(BIN)/python scripts/fetch_axe.py --quiet
	$(BIN)/python scripts/fetch_dcc_verifier.py --quiet

$(VENV)/.test-installed: requirements-test.lock requirements-interop.lock $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-interop.lock
	$(BIN)/python -m pip check
	touch $@

system-deps:
	bash scripts/system_deps.sh

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy --statistics -d wallet/translations

assets: $(STAMP)
	$(BIN)/python scripts/fetch_contexts.py --quiet
	$(BIN)/python scripts/fetch_htmx.py --quiet
	$(BIN)/python scripts/fetch_jsqr.py --quiet

# Compiled once here: where PYTHONDONTWRITEBYTECODE is set, every `wallet verify` would
# otherwise compile each module it imports (about 40 ms a run).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q wallet

# libcairo draws issuers' SVG badge images (without it holders see a placeholder image).
runtime-deps:
	bash scripts/system_deps.sh libcairo2

# The Japanese PDF font (Debian package when root; reasons in scripts/fonts.sh).
fonts:
	bash scripts/fonts.sh

lint: test-deps
	$(BIN)/ruff check wallet tests scripts
	$(BIN)/mypy --follow-imports=silent wallet/openbadges

bench: test-deps
	bash scripts/system_deps.sh wrk redis-server
	bash scripts/bench.sh

# Regenerate the pinned locks from the ranges in pyproject.toml (needs the package index).
lock:
	bash scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
