# Pnyx — the two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-data

.PHONY: install system-deps run demo serve test lint typecheck bench clean

install: $(STAMP) system-deps webapp/node_modules/.installed

# The browser code's npm packages (@noble/curves, @noble/hashes, ...), from the lock file.
webapp/node_modules/.installed: webapp/package.json webapp/package-lock.json
	cd webapp && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Re-install only when the project's metadata changed.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian packages the test suite needs (PostgreSQL 15 for the board's second backend).
system-deps:
	@bash scripts/system-deps.sh

run: install
	rm -rf $(DEMO)
	$(BIN)/pnyx --db sqlite:///$(DEMO)/pnyx.db --keys $(DEMO)/keys demo
	$(BIN)/pnyx --db sqlite:///$(DEMO)/pnyx.db --keys $(DEMO)/keys demo election \
		--voters 50 --trustees 4 --threshold 2 --out $(DEMO)/election-record.json
	$(BIN)/pnyx --db sqlite:///$(DEMO)/pnyx.db --keys $(DEMO)/keys serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check crypto ledger services webapp tests benchmarks

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q -n 2

bench: install
	$(BIN)/python benchmarks/board.py
	$(BIN)/python benchmarks/ballot_crypto.py
	$(BIN)/python benchmarks/credentials_backends.py
	$(BIN)/python benchmarks/credentials.py
	$(BIN)/python benchmarks/health.py
	$(BIN)/python benchmarks/voting.py
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
