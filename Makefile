# deepctx — build, test, benchmark and demo targets.
GO      ?= go
BIN     ?= bin/deepctx
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PKGS    := ./...

.PHONY: build test bench demo fmt eval fuzz

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

## demo: research a question over the Go documentation, offline (no model, no key)
DEMO_DIR      ?= .demo
DEMO_QUESTION ?= How does the Go memory model define happens-before, and how do channels and sync.Mutex synchronize goroutines?
demo: build
	@echo "deepctx demo: the research agent on the offline extractive engine (no LLM, no API key),"
	@echo "over the documentation that ships with Go: $$($(GO) env GOROOT)/doc and the standard library's package docs."
	@echo "The first run indexes the corpus into $(DEMO_DIR)/index; later runs reuse it."
	@echo
	$(BIN) research --no-clarify --db $(DEMO_DIR)/index \
		--corpus "$$($(GO) env GOROOT)/doc" --corpus "$$($(GO) env GOROOT)/src" \
		--out $(DEMO_DIR)/runs/$$(date +%Y%m%d-%H%M%S) "$(DEMO_QUESTION)"

## fmt: gofmt every Go file
fmt:
	gofmt -w $$(git ls-files '*.go')

## eval: run the bundled Go-docs suite offline (every variant) and commit-ready results in benchmarks/results/eval-godocs.{md,html}
EVAL_DIR ?= .eval
eval: build
	rm -rf $(EVAL_DIR)/godocs
	$(BIN) eval run eval/suites/godocs/suite.yaml --db $(EVAL_DIR)/index --out $(EVAL_DIR)/godocs --max-parallel 2
	cp $(EVAL_DIR)/godocs/report.md benchmarks/results/eval-godocs.md
	cp $(EVAL_DIR)/godocs/report.html benchmarks/results/eval-godocs.html

## fuzz: run every Go fuzz target for FUZZTIME each (default 20s); seeds also run in make test
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for fn in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "fuzz $$pkg $$fn"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done
