# shopstream — the two commands: `make demo` and `make test`.
# Needs Python 3.11, a JDK 17+ and Maven; everything else is installed by these targets.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps

BENCH_SCRIPTS := bench/ingestion_bench.py bench/pipelines_bench.py bench/serving_bench.py bench/models_bench.py bench/sessions_bench.py bench/cluster_bench.py

.PHONY: bench bench-deps report demo test lint typecheck unit integration setup tools jars stack-up stack-down cluster-up cluster-down clean help

help:
	@echo "make demo   - install, start the local stack, run the whole pipeline, serve the API"
	@echo "make test   - install, start the local stack, ruff + mypy + unit + integration tests"
	@echo "make bench  - run the benchmark scripts and regenerate the README results table"
	@echo "make stack-down - stop the local services"
	@echo "make cluster-up / cluster-down - the cluster profile (docs/cluster.md)"

tools:
	@command -v java >/dev/null 2>&1 || { echo "error: java not found. Install a JDK 17+ (apt-get install openjdk-17-jdk-headless)."; exit 1; }
	@command -v mvn  >/dev/null 2>&1 || { echo "error: mvn not found. Install Apache Maven 3.8+ (apt-get install maven)."; exit 1; }
	@java -version 2>&1 | head -1 | grep -Eq '"(1[7-9]|[2-9][0-9])' || { echo "error: Java 17+ required, found: $$(java -version 2>&1 | head -1)"; exit 1; }

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(STAMPS)/jars: $(STAMPS)/venv infra/maven/kafka/pom.xml infra/maven/s3proxy/pom.xml infra/maven/spark/pom.xml
	$(BIN)/python -m infra.jars
	@touch $@

$(STAMPS)/browser:
	@mkdir -p $(STAMPS)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: install Debian's chromium for the browser test (it is skipped otherwise)"; fi; }
	@touch $@

# PostgreSQL's server binaries for the cluster profile (MLflow's backend store); see
# docs/cluster.md. Installed with apt-get when root, as chromium is.
$(STAMPS)/postgres:
	@mkdir -p $(STAMPS)
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else echo "note: install PostgreSQL's server (apt-get install postgresql) for the cluster profile (its tests are skipped otherwise)"; fi; }
	@touch $@

setup: tools $(STAMPS)/venv $(STAMPS)/jars

stack-up: setup
	$(BIN)/shopstream stack up

stack-down:
	$(BIN)/shopstream stack down

lint: $(STAMPS)/venv
	$(BIN)/ruff check .

typecheck: $(STAMPS)/venv
	$(BIN)/mypy

unit: $(STAMPS)/venv
	$(BIN)/pytest tests/unit -q

cluster-up: setup $(STAMPS)/postgres
	$(BIN)/shopstream stack up --profile cluster

cluster-down:
	$(BIN)/shopstream stack down --profile cluster

integration: stack-up $(STAMPS)/browser $(STAMPS)/postgres
	$(BIN)/pytest tests/integration -q

test: setup lint typecheck unit integration

demo: stack-up
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/shopstream demo

$(STAMPS)/wrk:
	@mkdir -p $(STAMPS)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
	  else echo "note: install Debian's wrk for the serving bench (a Python client is used otherwise)"; fi; }
	@touch $@

bench-deps: $(STAMPS)/wrk

# Benchmarks: baseline and ours in the same run; then the README table is regenerated.
bench: stack-up bench-deps $(STAMPS)/postgres
	@for script in $(BENCH_SCRIPTS); do \
	  if [ -f $$script ]; then echo "== $$script"; PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python $$script || exit 1; fi; \
	done
	$(BIN)/python bench/report.py

report: $(STAMPS)/venv
	$(BIN)/python bench/report.py

clean: stack-down
	rm -rf $(STAMPS) $(VENV) infra/jars
