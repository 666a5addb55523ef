# The two commands a new user needs: `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run build test vet fmt eval bench bench-smoke deps

run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/downloader

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/downloader ./cmd/downloader

deps:
	@scripts/deps.sh

# Starts Redis when none answers on 127.0.0.1:6379 (installing it if
# needed, which needs root), then vets and runs every test with -race.
test: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -race -timeout 15m ./...

# Extraction quality through the running service on ../shared/corpus/aeb.
eval: build
	$(GO) run ./cmd/eval -bin bin/downloader -corpus $(or $(CORPUS),../shared/corpus/aeb)

# Benchmarks (bench/cmd/bench, issue 6). `make bench` installs nginx when
# missing (the reference proxy; needs root), runs every scenario with 3
# runs each and writes BENCHMARKS.md and bench/results/full.json (about
# 15 min; BENCH_FLAGS=-duration=60s shortens the 5-minute mixed run).
# `make bench-smoke` runs every scenario briefly with no goals asserted,
# skipping nginx when it is not installed, and writes nothing in the tree.
BENCH_CORPUS ?= $(or $(CORPUS),../shared/corpus/aeb)
BENCH_FLAGS  ?=
BENCH_SMOKE_OUT ?= $(or $(TMPDIR),/tmp)/downloader-bench-smoke

bench: build
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }
	$(GO) run ./bench/cmd/bench -bin bin/downloader -corpus $(BENCH_CORPUS) \
		-md BENCHMARKS.md -json bench/results/full.json -notes bench/analysis.md $(BENCH_FLAGS)

bench-smoke: build
	@mkdir -p $(BENCH_SMOKE_OUT)
	$(GO) run ./bench/cmd/bench -smoke -bin bin/downloader -corpus $(BENCH_CORPUS) \
		-md $(BENCH_SMOKE_OUT)/BENCHMARKS.md -json $(BENCH_SMOKE_OUT)/smoke.json $(BENCH_FLAGS)
