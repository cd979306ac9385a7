# backlogbench — `make help` lists the targets.
GO      ?= go
BIN     := bin/backlogbench
SPEEDUP ?= 10

.PHONY: help build test bench bench-fast lint vet fuzz clean

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## //' | awk -F': ' '{printf "  %-12s %s\n", $$1, $$2}'

## build: build bin/backlogbench
build:
	$(GO) build -o $(BIN) .

## test: run every test with the race detector
test:
	$(GO) test -race -count=1 ./...

## bench: run the seed's flash sale at ×$(SPEEDUP) on the embedded broker, checking every verdict
bench: build
	./$(BIN) run flash-sale --speedup $(SPEEDUP) --check

## bench-fast: the flash sale at ×30 (about 25 s)
bench-fast: build
	./$(BIN) run flash-sale --speedup 30 --check

## vet: go vet and gofmt
vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

## lint: vet plus staticcheck
lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

## fuzz: fuzz the scenario parser for 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./scenario/

## clean: remove the binary
clean:
	rm -rf bin
