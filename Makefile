# Holdfast developer entry points. Each target installs what it needs (idempotently,
# cached in $(HOLDFAST_CACHE)) before it runs.
SHELL := /bin/bash
HOLDFAST_CACHE ?= $(HOME)/.cache/holdfast-dev
export HOLDFAST_CACHE
export PATH := $(HOLDFAST_CACHE)/node24/bin:$(CURDIR)/node_modules/.bin:$(PATH)

TEST_DEBS := postgresql-15 postgresql-client-15 zstd etcd-server openssl mariadb-server mariadb-client redis-server redis-tools etcd-client
BENCH_DEBS := restic linux-source-6.1 postgresql-15 postgresql-client-15 time xz-utils

.PHONY: setup demo test test-unit check bench lint typecheck depcheck

setup:
	@scripts/setup.sh

demo: setup
	@scripts/setup.sh $(TEST_DEBS)
	@node scripts/demo.ts

check: setup
	@tsc -p tsconfig.json --noEmit
	@eslint --max-warnings=0 src test bench scripts
	@depcruise src --config .dependency-cruiser.cjs --output-type err
	@node scripts/gen-crds.ts --check

test: setup
	@scripts/setup.sh $(TEST_DEBS)
	@scripts/install-test-servers.sh
	@$(MAKE) --no-print-directory check
	@node --test --test-concurrency=2 --test-timeout=600000 'src/**/*.test.ts' 'test/**/*.test.ts' 'bench/**/*.test.ts'

test-unit: setup
	@node --test --test-concurrency=2 'src/**/*.test.ts'

bench: setup
	@scripts/setup.sh $(BENCH_DEBS)
	@scripts/install-minio.sh
	@node bench/run.ts $(BENCH_ARGS)
