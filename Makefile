# Two entry points: `make run` (install + start on embedded defaults) and
# `make test` (install + ruff, import contracts, mypy and the whole test suite).
# Both bootstrap .venv.
# `make run` installs the runtime only; the test tools come with `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# The import contracts (pyproject.toml, [tool.importlinter]) that `make test` enforces.
# ocpp-versions-independent joins them once bench/ocpp/common has taken what
# 2.0.1 still imports from 1.6 (issue 12, phase 1).
IMPORT_CONTRACTS := layers bench-without-qt csms-not-charge-point model-without-ocpp ocpp-versions-independent conformance-through-the-api gevent-only-in-load

.PHONY: run test lint bench clean system-deps system-deps-test conformance-self

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(TEST_STAMP)

system-deps:
	sh packaging/system_deps.sh

system-deps-test:
	sh packaging/system_deps.sh --test

run: system-deps $(RUN_STAMP)
	$(BIN)/ocpp-bench

test: system-deps-test $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo $(IMPORT_CONTRACTS:%=--contract %)
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo $(IMPORT_CONTRACTS:%=--contract %)
	$(BIN)/mypy

bench: $(RUN_STAMP)
	$(BIN)/python benchmarks/run_all.py

# The bench tests itself: every charging-station case of both versions against its
# own station, unattended, on plain ws://; then the security blocks again over TLS with
# a password (security profile 2, 3 where a case renews the client certificate).
# Reports under out/conformance-self/<version>[-tls]/.
SELF_PASSWORD := 0123456789abcdef0123456789abcdef01234567
conformance-self: $(RUN_STAMP)
	$(BIN)/ocpp-bench conformance cs --ocpp 1.6 --dut-id SELF-16 --self ac-11kw --report out/conformance-self/1.6
	$(BIN)/ocpp-bench conformance cs --ocpp 2.0.1 --dut-id SELF-201 --self ac-11kw --report out/conformance-self/2.0.1
	$(BIN)/ocpp-bench conformance cs --ocpp 1.6 --dut-id SELF-16 --self ac-11kw --tls --password $(SELF_PASSWORD) --block 2.24 --report out/conformance-self/1.6-tls
	$(BIN)/ocpp-bench conformance cs --ocpp 2.0.1 --dut-id SELF-201 --self ac-11kw --tls --password $(SELF_PASSWORD) --block A,M --report out/conformance-self/2.0.1-tls

clean:
	rm -rf $(VENV)
