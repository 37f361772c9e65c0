# Quick start: `make demo` brings up the example subgraphs and the router; `make test` runs every test.
# Both create .venv and install from this repository's own files. The tests also need Node 20+ and npm
# (Apollo's reference packages, installed into oracle/node_modules, are the oracle for differential tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install oracle demo test fuzz lint compose check bench-compose bench-plan bench-reload bench clean

$(BIN)/router: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(BIN)/router

install: $(BIN)/router

oracle/node_modules/.package-lock.json: oracle/package.json oracle/package-lock.json
	cd oracle && npm ci --no-audit --no-fund --loglevel=error

oracle: oracle/node_modules/.package-lock.json

demo: install
	$(BIN)/router dev

test: install oracle
	$(BIN)/python -m pytest -q -n 2

# A ground-truth campaign beside CI's (tests/oracle): other worlds and larger operations;
# every disagreement between our router and the monolith is printed minimised.
# SEED=n picks another campaign; WORLDS, OPERATIONS, DEPTH and FIELDS size it; DEFER is the
# share of operations given @defer (also checked streamed); WIDE=1 draws wider worlds.
SEED ?= 11
WORLDS ?= 100
OPERATIONS ?= 40
DEPTH ?= 5
FIELDS ?= 3
DEFER ?= 0.1
fuzz: install
	cd tests && ../$(BIN)/python -m oracle.campaign --seed $(SEED) --worlds $(WORLDS) --operations $(OPERATIONS) --depth $(DEPTH) --fields $(FIELDS) --defer-share $(DEFER) $(if $(WIDE),--wide) --minimise

lint: install
	$(BIN)/ruff check planner router subgraphs tests bench examples
	$(BIN)/mypy

# The Kubernetes ConfigMap serves a copy (kustomize reads no file outside its folder).
compose: install
	$(BIN)/router compose --config router.yaml -o supergraph.graphql
	cp supergraph.graphql deploy/kubernetes/base/supergraph.graphql

check: install
	$(BIN)/router check --config router.yaml --against supergraph.graphql

bench-compose: install oracle
	$(BIN)/python -m bench.compose

bench-plan: install oracle
	$(BIN)/python -m bench.plan

bench-reload: install oracle
	$(BIN)/python -m bench.reload

# Our router against Apollo Gateway on the federation benchmark, one core each (needs wrk).
bench: install oracle
	$(BIN)/python -m bench.gateway

clean:
	rm -rf $(VENV) oracle/node_modules
