# backlogbench — `make help` lists the targets.
GO      ?= go
BIN     := bin/backlogbench
SPEEDUP ?= 10
FUZZTIME ?= 30s
KAFKA_VERSION ?= 4.4.0
KAFKA_NODES ?= 1

.PHONY: help build test bench bench-fast perf soak watch-check lint vet fuzz clean kafka-up kafka-down kafka-status

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## //' | awk -F': ' '{printf "  %-12s %s\n", $$1, $$2}'

## build: build bin/backlogbench
build:
	$(GO) build -o $(BIN) .

## test: run every test with the race detector, one package at a time (tests that measure backlogs to a scenario-second must not share the two cores with another package's)
test:
	$(GO) test -race -count=1 -p 1 ./...

## bench: run the seed's flash sale at ×$(SPEEDUP) on the embedded broker, checking every verdict
bench: build
	./$(BIN) run flash-sale --speedup $(SPEEDUP) --check

## bench-fast: the flash sale at ×30 (about 25 s)
bench-fast: build
	./$(BIN) run flash-sale --speedup 30 --check

## perf: the harness against raw franz-go on the embedded broker, a new one for each measurement (ceilings, CPU per event, RSS per million events); writes results/perf-<time>/perf.json (about 7 min)
perf: build
	./$(BIN) perf

## soak: 50 million events through the embedded broker with --data-dir, its RSS read every 10 s (about 14 min; SOAK_EVENTS, SOAK_RATE)
soak:
	scripts/soak.sh

## watch-check: play the recovery scenario (WATCH_CHECK=flash-sale: the flash sale) with run --brokers and judge `watch`'s forecasts from a second process (about 1 min; BROKERS= for a real cluster)
watch-check: build
	SPEEDUP=$(SPEEDUP) scripts/watch-check.sh

## vet: go vet and gofmt
vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

## lint: vet plus staticcheck
lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

## fuzz: fuzz the scenario parser for $(FUZZTIME) (seed corpus: every preset and error case)
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./scenario/

## kafka-up: start Apache Kafka (KRaft, via Maven, no Docker) on 127.0.0.1; KAFKA_NODES=3 for three nodes; prints BACKLOGBENCH_KAFKA=host:port last
kafka-up:
	@KAFKA_VERSION=$(KAFKA_VERSION) KAFKA_NODES=$(KAFKA_NODES) kafka-local/kafka.sh up

## kafka-down: stop the cluster kafka-up started and remove its data
kafka-down:
	@KAFKA_VERSION=$(KAFKA_VERSION) kafka-local/kafka.sh down

## kafka-status: the running cluster's nodes and variables
kafka-status:
	@KAFKA_VERSION=$(KAFKA_VERSION) kafka-local/kafka.sh status

## clean: remove the binary
clean:
	rm -rf bin
