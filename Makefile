# Pnyx — the two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-data
HOST   ?= 127.0.0.1
PORT   ?= 8000
PNYX   := $(BIN)/pnyx --db sqlite:///$(DEMO)/pnyx.db --keys $(DEMO)/keys

.PHONY: install system-deps run demo serve test check lint typecheck bench clean clean-demo

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

# `make run`: the demo data once (kept between runs), then the web app on HOST:PORT.
run: install demo serve

# The demo board in $(DEMO)/, built once; an existing one is kept with all you made there.
demo: install $(DEMO)/.built

$(DEMO)/.built:
	@if [ -e $(DEMO) ]; then \
	  echo "$(DEMO)/ exists but its demo did not finish; 'make clean-demo' deletes it (it asks)"; \
	  exit 1; fi
	$(PNYX) demo
	$(PNYX) demo election --voters 50 --trustees 4 --threshold 2 --out $(DEMO)/election-record.json
	$(PNYX) demo health
	$(PNYX) demo open-election
	touch $@

# What the demo's e-ID issuer certifies for every wallet that asks (a real issuer
# checks the holder first): enough to vote in the open election demo-open.
DEMO_EID := --attr givenName=Ada --attr familyName=Demo --attr birthDate=1990-01-01 --attr district=7

# Restart the web app on the existing demo data (no rebuild): make serve PORT=8080.
# Beside it, the demo's e-ID issuer answers the wallets' credential requests and
# the demo's witnesses cosign the board every 10 s when it grew (ballots, reads).
serve: install
	@test -f $(DEMO)/pnyx.db || { echo "no demo data in $(DEMO)/: run 'make demo' first"; exit 1; }
	@$(PNYX) identity mailbox answer --issuer eid-office $(DEMO_EID) --watch 2 & issuer=$$!; \
	$(PNYX) witness cosign --watch 10 & witnesses=$$!; \
	trap 'kill $$issuer $$witnesses 2>/dev/null' EXIT INT TERM; \
	$(PNYX) serve --host $(HOST) --port $(PORT)

# Deletes the demo data, after asking (CONFIRM=yes skips the question).
clean-demo:
	@if [ "$(CONFIRM)" != yes ]; then \
	  printf 'delete $(DEMO)/ and everything in it? [y/N] '; read answer; \
	  [ "$$answer" = y ] || [ "$$answer" = yes ] || { echo kept; exit 1; }; fi
	rm -rf $(DEMO)

lint: install
	$(BIN)/ruff check crypto ledger services webapp tests benchmarks

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q -n 2

# The fast lane for the inner loop: lint, types and the tests that need no
# PostgreSQL, no browser and no long run (a few minutes on two cores).
check: install lint typecheck
	$(BIN)/python -m pytest -q -n 2 -m "not slow and not postgres and not browser"

bench: install
	$(BIN)/python benchmarks/board.py
	$(BIN)/python benchmarks/ballot_crypto.py
	$(BIN)/python benchmarks/credentials_backends.py
	$(BIN)/python benchmarks/credentials.py
	$(BIN)/python benchmarks/health.py
	$(BIN)/python benchmarks/voting.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/cli_startup.py

# The installed tools and caches; the demo data stays (see clean-demo).
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
