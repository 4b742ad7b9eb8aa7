# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, or a private copy installed with pip on first use.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.uv-bootstrap/bin/uv)
RUN := $(UV) run --frozen

PERSONS ?= 20000
SEED ?= 42
BENCH_PERSONS ?= 1000000
# Identity graph sizes (persons) for the connected-components benchmark against scipy.
IDENTITY_BENCH_PERSONS ?= 1000000 10000000
# Events for the tag benchmark (traits and tags through dbt vs one hand-written DuckDB query).
TAGS_BENCH_EVENTS ?= 10000000

# Trust the platform's certificate store (corporate proxies, custom CAs), as pip does.
export UV_SYSTEM_CERTS ?= 1
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export RUNTIME__DLTHUB_TELEMETRY ?= false
export DO_NOT_TRACK ?= 1

.PHONY: help install prepare demo test ui bench lint validate format clean

help:
	@echo "make demo    install, generate sample data ($(PERSONS) persons), run the whole graph in Dagster"
	@echo "make test    install and run the test suite (what CI runs)"
	@echo "make ui      dagster dev on http://127.0.0.1:3000 with the same graph"
	@echo "make bench   generate $(BENCH_PERSONS) persons and measure loading (rows/s, peak memory),"
	@echo "             then identity graph clustering vs scipy at $(IDENTITY_BENCH_PERSONS) persons,"
	@echo "             then traits and tags over $(TAGS_BENCH_EVENTS) events vs a hand-written query"
	@echo "make lint    ruff and sqlfluff"
	@echo "make validate  check the tag and audience registries (dbt_project/tags/, audiences/)"
	@echo "             and that dbt parses them"

$(CURDIR)/.uv-bootstrap/bin/uv:
	python3 -m venv .uv-bootstrap
	.uv-bootstrap/bin/pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced

# The dbt manifest must exist before the Dagster definitions load.
prepare: install
	$(RUN) cdp prepare

demo: prepare
	$(RUN) cdp demo --persons $(PERSONS) --seed $(SEED)

test: prepare
	$(RUN) pytest

ui: prepare
	$(RUN) dagster dev -h 127.0.0.1 -p 3000

bench: install
	$(RUN) python -m benchmarks.ingestion --persons $(BENCH_PERSONS) --seed $(SEED)
	for n in $(IDENTITY_BENCH_PERSONS); do \
		$(RUN) python -m benchmarks.identity_graph --persons $$n --seed $(SEED) || exit 1; \
	done
	$(RUN) python -m benchmarks.tags --events $(TAGS_BENCH_EVENTS) --seed $(SEED)

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	@mkdir -p data/warehouse
	# sqlfluff compiles the dbt project, whose tag and audience models read the compiled registries.
	$(RUN) cdp tags compile
	$(RUN) cdp audiences compile
	CDP_DUCKDB_PATH=$(CURDIR)/data/warehouse/sqlfluff.duckdb $(RUN) sqlfluff lint dbt_project/models

# The tag registry: types, columns, allow-listed SQL, duplicates, cycles; the audiences: tags,
# values, channels, allow-listed SQL, duplicates; then dbt must parse both.
validate: install
	$(RUN) cdp tags validate
	$(RUN) cdp audiences validate
	$(RUN) cdp prepare

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
	find dagster_home -mindepth 1 -not -name dagster.yaml -exec rm -rf {} +
