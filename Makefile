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
