# Two commands matter: `make demo` (the whole pipeline offline) and `make test` (every gate CI runs).
# Each target installs what it needs by itself: .venv (tests, demo), .venv-sam (SAM CLI), node_modules (asl-validator).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
PYTEST_ARGS ?= -n auto
LAMBDA_PYTHON := python3.12
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help demo test test-fast lint imports pytest validate build serve bench bench-quick clean venv sam-venv node-tools local-cloud local-cloud-down test-deployed console test-browser checkov-venv drop invoke

help:
	@echo "make demo   - run the retraining pipeline end to end offline (Personalize Local + moto), show results"
	@echo "              DROP=dir: on your own Kaggle files; RESET=1: forget earlier runs (state is kept by default)"
	@echo "make test   - ruff, the import graph check, pytest (all suites), cfn-lint, sam validate --lint, asl-validator"
	@echo "make imports - no import cycle, every package on its floor (tools/check_imports.py; GRAPH=1 prints the floors)"
	@echo "make test-fast - ruff and the unit tier (tests/unit: no emulator, no server, no child process; seconds)"
	@echo "make build  - sam build (needs $(LAMBDA_PYTHON) on the machine)"
	@echo "make console - the execution console on http://127.0.0.1:8765 (recorded demo runs; CONSOLE_ARGS=--local-cloud|--aws)"
	@echo "make test-browser - the console's browser test (needs chromium: apt-get install -y chromium)"
	@echo "make serve  - the recommendations REST API on http://127.0.0.1:8080 (Swagger UI at /swagger)"
	@echo "make fuzz   - the hostile-input property tests (pytest -m fuzz) with many examples (HYPOTHESIS_PROFILE=fuzz)"
	@echo "make drop DROP_ARGS='--bucket B' - download the Kaggle dataset, verify it, upload it as a drop (--dry-run, --from DIR)"
	@echo "make invoke FN=<function> EVENT=events/<file>.json - one function with an event, offline (sam local invoke without Docker)"
	@echo "make bench  - benchmarks (prepare step, training, serving, forwarder); bench-quick for CI-size"
	@echo "make local-cloud  - deploy template.yaml onto ministack + Personalize Local on 127.0.0.1 (local-cloud-down stops it)"
	@echo "make test-deployed - local-cloud, tests/deployed, local-cloud-down"
	@echo "make clean  - remove build output and local state (keeps the virtualenvs)"

# ---------------------------------------------------------------- environments
$(VENV)/.installed: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found - install Python 3.11 or newer"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make: Python 3.11 or newer is required ($(PYTHON) is $$($(PYTHON) -V))"; exit 1; }
	@echo "==> installing the Python environment in $(VENV) (pinned by constraints.txt)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

$(SAM_VENV)/.installed: requirements-sam.txt
	@echo "==> installing SAM CLI in its own virtualenv $(SAM_VENV) (its pins clash with the test environment)"
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	@$(SAM_VENV)/bin/pip install -q -r requirements-sam.txt
	@touch $@

sam-venv: $(SAM_VENV)/.installed

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@echo "==> installing checkov in its own virtualenv $(CHECKOV_VENV) (its pins clash with the test environment)"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	@touch $@

checkov-venv: $(CHECKOV_VENV)/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm not found - install Node.js 18+ and npm (needed for asl-validator)"; exit 1; }
	@echo "==> installing node tools (asl-validator) with npm ci"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node-tools: node_modules/.installed

# ---------------------------------------------------------------- the two commands
# make demo [DROP=path/to/kaggle-files] [RESET=1]: your own Kaggle files instead of a generated drop; RESET=1 forgets
# the earlier runs (Personalize Local's state is kept from one run to the next otherwise).
demo: venv
	@$(PY) -m offline.demo $(if $(DROP),--drop "$(DROP)") $(if $(RESET),--reset)

test: lint pytest validate
	@echo "==> all gates passed"

# The unit tier alone, for the edit-run loop: tests/unit refuses emulators, servers and child processes
# The unit tier needs none of the schema-fuzzing plugin (its tests live in tests/component): not loading it saves a second.
test-fast: lint
	@echo "==> pytest tests/unit"
	@$(VENV)/bin/pytest tests/unit -n 2 -p no:cacheprovider -p no:schemathesis -q

lint: venv
	@echo "==> ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check . >/dev/null || { echo "ruff format would change files - run: $(VENV)/bin/ruff format ."; exit 1; }
	@$(MAKE) --no-print-directory imports

# The import graph: no cycle between modules, each package imports only the floors below it (docs in the script).
imports: venv
	@echo "==> import graph (tools/check_imports.py)"
	@$(PY) tools/check_imports.py $(if $(GRAPH),--graph)

pytest: venv
	@echo "==> pytest (unit, component, contract, integration)"
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: fuzz
fuzz: venv
	@echo "==> pytest -m fuzz (HYPOTHESIS_PROFILE=fuzz)"
	@HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest $(PYTEST_ARGS) -m fuzz

validate: venv sam-venv checkov-venv node-tools
	@echo "==> cfn-lint template.yaml"
	@$(VENV)/bin/cfn-lint template.yaml
	@echo "==> sam validate --lint"
	@$(SAM) validate --lint --template template.yaml
	@echo "==> asl-validator statemachine/*.asl.json"
	@for f in statemachine/*.asl.json; do [ -e $$f ] || continue; node_modules/.bin/asl-validator --json-path $$f || exit 1; done
	@echo "==> checkov template.yaml (every skip is in the template's Metadata with its reason: docs/security.md)"
	@$(CHECKOV) --file template.yaml --framework cloudformation --quiet --compact --skip-download

# ---------------------------------------------------------------- build, serve, bench
build: venv sam-venv
	@PY312_DIR=$$($(PY) -c 'from local_cloud.sam import lambda_python_dir; print(lambda_python_dir())' 2>/dev/null); \
	if [ -z "$$PY312_DIR" ]; then echo "make build: $(LAMBDA_PYTHON) not found - the Lambda runtime is python3.12; install it (e.g. pyenv install 3.12) and retry"; exit 1; fi; \
	echo "==> sam build (Lambda runtime python3.12 from $$PY312_DIR)"; \
	PATH="$$PY312_DIR:$$PATH" $(SAM) build --template template.yaml

serve: venv
	@$(PY) -m offline.serve_api $(SERVE_ARGS)

CONSOLE_ARGS ?=

console: venv
	@$(PY) -m console $(CONSOLE_ARGS)

test-browser: venv
	@command -v chromium >/dev/null || { echo "make test-browser: chromium not found - install it (Debian: apt-get install -y chromium)"; exit 1; }
	@echo "==> pytest tests/browser (headless chromium)"
	@$(VENV)/bin/pytest tests/browser -n 0 -p no:cacheprovider

# One function with an event file, like `sam local invoke FN -e EVENT`, on the offline stack (no Docker)
invoke: venv
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<ResolveDropFunction|resolve_drop|...> EVENT=events/<file>.json"; exit 2; }
	@$(PY) -m offline.invoke "$(FN)" "$(EVENT)"

# The Kaggle dataset into a deployed stack (docs/pipeline.md, "Real data"): DROP_ARGS="--bucket <DataBucketName> ..."
DROP_ARGS ?=
drop: venv
	@$(PY) -m kaggle_drop $(DROP_ARGS)

bench: venv
	@$(PY) -m bench

bench-quick: venv
	@$(PY) -m bench --quick

clean:
	@test ! -f .local-cloud/state.json || $(PY) -m local_cloud down
	rm -rf .aws-sam .personalize-local .offline-runs demo-output .bench-data .pytest_cache .ruff_cache

# ---------------------------------------------------------------- deployment tier (docs/local-cloud.md)
LOCAL_CLOUD_ARGS ?=

local-cloud: venv sam-venv
	@$(PY) -m local_cloud up $(LOCAL_CLOUD_ARGS)

local-cloud-down: venv
	@$(PY) -m local_cloud down

test-deployed: venv sam-venv
	@$(PY) -m local_cloud test $(LOCAL_CLOUD_ARGS)
