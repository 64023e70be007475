# Every target creates .venv and installs the project on first use, so a fresh clone needs
# nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_OUT := .
PROTOS := $(shell find protos -name '*.proto')
PYTEST_ARGS ?=
# Two pytest-xdist workers, each taking whole files (module fixtures start once): the suite is
# mostly waiting on servers, so two workers fit two cores. TEST_WORKERS=0 runs it in-process.
TEST_WORKERS ?= 2

.PHONY: help demo test check proto proto-check proto-breaking lint fmt up down status bench deploy-check lock clean

help:
	@echo "make demo        run the sample city's whole year-end cycle on the embedded stack (KEEP=1 leaves it up)"
	@echo "make test        run the whole test suite (real PostgreSQL, Temporal and gRPC)"
	@echo "make up|down     start|stop the local stack; make status shows it"
	@echo "make proto       regenerate Python code from protos/; make proto-check verifies it is in sync"
	@echo "make check       everything CI checks before the tests: ruff, format, buf lint, proto sync, import layers"
	@echo "make lint        ruff and buf lint; make proto-breaking BASE=rev checks protos against rev"
	@echo "make bench       run the benchmarks under bench/"

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/oneassess demo $(if $(KEEP),--keep,)

test: $(STAMP)
	$(BIN)/pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

up: $(STAMP)
	$(BIN)/oneassess up

down: $(STAMP)
	$(BIN)/oneassess down

status: $(STAMP)
	$(BIN)/oneassess status

# The one place generated code comes from: protoc from grpcio-tools, output next to the
# hand-written `oneassess` package (protos/oneassess/x/v1 -> oneassess/x/v1).
proto: $(STAMP)
	$(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=$(PROTO_OUT) --pyi_out=$(PROTO_OUT) \
		--grpc_python_out=$(PROTO_OUT) $(PROTOS)

proto-check: $(STAMP)
	@tmp=$$(mktemp -d) && \
	$(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=$$tmp --pyi_out=$$tmp \
		--grpc_python_out=$$tmp $(PROTOS) && \
	for f in $$(cd $$tmp && find . -type f); do \
		cmp -s "$$tmp/$$f" "$$f" || { echo "out of sync: $$f (run 'make proto')"; rm -rf $$tmp; exit 1; }; \
	done; \
	for f in $$(find oneassess -name '*_pb2*.py*'); do \
		test -f "$$tmp/$$f" || { echo "stale generated file: $$f (run 'make proto')"; rm -rf $$tmp; exit 1; }; \
	done; \
	rm -rf $$tmp; echo "generated code is in sync with protos/"

# The contract must not break for existing clients: compare protos/ with another revision.
BASE ?= main
proto-breaking: $(STAMP)
	cd protos && ../$(BIN)/buf breaking --against '../.git#ref=$(BASE),subdir=protos'

# What CI checks before the tests (.ci/run): lint, formatting, the contract, generated code in
# sync, and the import layers declared in pyproject.toml.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd protos && ../$(BIN)/buf lint
	@$(MAKE) --no-print-directory proto-check
	$(BIN)/lint-imports
	$(BIN)/python -m oneassess.i18n check

lint: $(STAMP)
	$(BIN)/ruff check .
	cd protos && ../$(BIN)/buf lint

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

deploy-check: $(STAMP)
	$(BIN)/pytest -q tests/deploy

# The production image's exact dependencies (deploy/Dockerfile installs them with hashes).
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --generate-hashes --no-emit-index-url --no-emit-find-links \
		-o deploy/requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
