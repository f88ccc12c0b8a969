# deepctx — build, test, benchmark and demo targets.
GO      ?= go
BIN     ?= bin/deepctx
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PKGS    := ./...

.PHONY: build test bench demo fmt

## build: compile the CLI to bin/deepctx
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/deepctx

## test: vet, then every test with the race detector (no network needed)
test:
	$(GO) vet $(PKGS)
	$(GO) test -race $(PKGS)

## bench: the Go benchmarks whose results are committed under benchmarks/results
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./benchmarks/... ./agent/graph/...
	cd benchmarks/graphbench && $(GO) test -run '^$$' -bench . -benchmem -count 6 .

## demo: run what deepctx can do today, offline, on the Go documentation
demo: build
	@echo "deepctx demo: offline, no API key. The research agent is not built yet;"
	@echo "this runs what exists today: the model registry and exact token accounting"
	@echo "over the Go specification that ships with the toolchain."
	@echo
	$(BIN) version
	$(BIN) models
	$(BIN) tokens count --model openai:gpt-4.1 "$$($(GO) env GOROOT)/doc/go_spec.html"
	$(BIN) tokens count --model anthropic:claude-sonnet-4-5 "$$($(GO) env GOROOT)/doc/go_spec.html"

## fmt: gofmt every Go file
fmt:
	gofmt -w $$(git ls-files '*.go')
