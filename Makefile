# soapgate — see README.md. `make run` serves the sandbox; `make test` runs every test.
GO      ?= go
BIN     := bin/soapgate
export CGO_ENABLED := 1

.PHONY: all build run test test-short cover generate fuzz bench bench-scale clean deps deps-build

all: build

# The Debian packages the build (cgo: gcc, libssl-dev) and the tests (SOAP clients, Chromium,
# PostgreSQL) need, installed when missing (scripts/deps.sh).
deps-build:
	@scripts/deps.sh build

deps:
	@scripts/deps.sh test

build: deps-build
	$(GO) build -o $(BIN) ./cmd/soapgate

run: build
	./$(BIN) serve --config config.yaml

# Every test: unit, end-to-end over HTTP, the generated-code staleness check and the
# third-party SOAP clients (python3-zeep, PHP SoapClient; .ci/run installs them). The store's
# tests and the end-to-end suite then run again on PostgreSQL (a private cluster the tests
# start; Debian's postgresql package, which .ci/run installs).
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	SOAPGATE_TEST_STORE=postgres $(GO) test -count=1 -timeout 20m ./store/ ./cmd/soapgate/

test-short:
	$(GO) test -short ./...

# Statement coverage of each package by its own tests (the end-to-end tests in cmd/ do not
# count here), one line per package; profiles and logs go to bin/cover/. Exits non-zero when
# a package's tests fail.
COVER_PKGS := gateway server web notify store signer
cover:
	@mkdir -p bin/cover; status=0; \
	printf '%-10s %9s\n' package coverage; \
	for p in $(COVER_PKGS); do \
		if $(GO) test -count=1 -coverprofile=bin/cover/$$p.out ./$$p/ >bin/cover/$$p.log 2>&1; then \
			printf '%-10s %9s\n' $$p "$$($(GO) tool cover -func=bin/cover/$$p.out | awk '$$1 == "total:" {print $$NF}')"; \
		else \
			printf '%-10s %9s  (tests failed, see bin/cover/%s.log)\n' $$p FAIL $$p; status=1; \
		fi; \
	done; exit $$status

generate:
	scripts/generate.sh generated

# A short run of each fuzz target; FUZZTIME=5m for a longer one.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./server/ -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./server/ -run '^$$' -fuzz FuzzScanSOAP -fuzztime $(FUZZTIME)
	$(GO) test ./signer/ -run '^$$' -fuzz FuzzVerifyRequest -fuzztime $(FUZZTIME)
	$(GO) test ./signer/ -run '^$$' -fuzz FuzzVerifyElement -fuzztime $(FUZZTIME)
	$(GO) test ./gateway/ -run '^$$' -fuzz FuzzApplyScheduleRequest -fuzztime $(FUZZTIME)
	$(GO) test ./gateway/ -run '^$$' -fuzz FuzzParseChequeItems -fuzztime $(FUZZTIME)

# The end-to-end benchmarks run on SQLite, then on PostgreSQL (fsync on) with one and with
# three gateways on one database: payments/s and reads/s side by side, in one run.
bench:
	$(GO) test ./signer/ ./store/ ./server/ -run '^$$' -bench . -benchmem
	$(GO) test ./cmd/soapgate/ -run '^$$' -bench . -benchtime 3s
	SOAPGATE_TEST_STORE=postgres PGTEST_DURABLE=1 $(GO) test ./cmd/soapgate/ -run '^$$' -bench . -benchtime 3s
	scripts/bench.sh

# Per-request cost at 10^4, 10^5 and 10^6 seeded orders, each size against 10^4 in the same
# run (cmd/benchscale); SCALE_SIZES=10000,100000 for a shorter run.
SCALE_SIZES ?= 10000,100000,1000000
bench-scale: build
	$(GO) build -o bin/benchscale ./cmd/benchscale
	./bin/benchscale -bin $(BIN) -config config.yaml -sizes $(SCALE_SIZES)

clean:
	rm -rf bin data
