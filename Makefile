# Every target creates .venv on first use, so a machine with only python3 can run them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint map bench schema install clean

# uv installs the dependencies (downloads in parallel, compiles in parallel): about 10 s where
# pip took over a minute, most of a CI run's set-up. pip only brings uv in, and installs the
# same itself where uv cannot (uv reads no pip.conf: an index set only there).
# uv reads its own variables: an index or a wheel folder given to pip by the environment serves
# uv too.
ifneq ($(PIP_INDEX_URL),)
export UV_INDEX_URL ?= $(PIP_INDEX_URL)
endif
ifneq ($(PIP_FIND_LINKS),)
export UV_FIND_LINKS ?= $(PIP_FIND_LINKS)
endif
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv \
	  && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]' \
	  || $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/marketo-sim run scenarios/quickstart.yaml --speed 60 --control-port 0

# The static checks, cheapest first: style, formatting, the fence between the rooms (contracts in
# pyproject.toml), then the types. `make test` runs them before the suite.
lint: $(STAMP)
	$(BIN)/ruff check simulator tests examples
	$(BIN)/ruff format --check simulator tests examples
	$(BIN)/lint-imports
	$(BIN)/mypy

# AsyncAPI's own parser, which tests/test_published_schemas.py runs on schemas/asyncapi.json:
# exactly tests/asyncapi/package-lock.json, without install scripts. Without npm the test is
# skipped, unless CI is set (.ci/run sets it): then it fails.
NODE_TOOLS := tests/asyncapi/node_modules/.package-lock.json
$(NODE_TOOLS): tests/asyncapi/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund --prefix tests/asyncapi; \
	else echo "npm not found: the AsyncAPI parser test will be skipped (failed under CI)"; fi

# The suite on every core (pytest-xdist): `worksteal` gives each worker a contiguous half and
# moves tests from the end of the busier one as the other runs out, so a module's tests mostly
# stay on one worker and its module fixtures are built once. `make test PYTEST_WORKERS=0` runs
# it in one process, like a plain `pytest`.
PYTEST_WORKERS ?= logical
test: lint $(NODE_TOOLS)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal

# Redraw README.md's module map from the package docstrings (a test fails when it is stale).
map: $(STAMP)
	$(BIN)/python tests/module_map.py

bench: $(STAMP)
	$(BIN)/python -m simulator.bench

# The run file's and the result's schemas, and the published event contracts (schemas/).
schema: $(STAMP)
	$(BIN)/marketo-sim schema > scenarios/schema.json
	$(BIN)/marketo-sim schema --result > scenarios/result.schema.json
	$(BIN)/marketo-sim schema --events schemas

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .import_linter_cache
