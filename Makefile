# soapgate — see README.md. `make run` serves the sandbox; `make test` runs every test.
GO      ?= go
BIN     := bin/soapgate
export CGO_ENABLED := 1

.PHONY: all build run test test-short generate fuzz bench lint clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/soapgate

run: build
	./$(BIN) serve --config config.yaml

# Every test: unit, end-to-end over HTTP, the generated-code staleness check and the
# third-party SOAP clients (python3-zeep, PHP SoapClient; .ci/run installs them).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short ./...

generate:
	scripts/generate.sh generated

# A short run of each fuzz target; FUZZTIME=5m for a longer one.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./server/ -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./signer/ -run '^$$' -fuzz FuzzVerifyRequest -fuzztime $(FUZZTIME)
	$(GO) test ./signer/ -run '^$$' -fuzz FuzzVerifyElement -fuzztime $(FUZZTIME)

bench:
	$(GO) test ./signer/ ./store/ -run '^$$' -bench . -benchmem
	$(GO) test ./cmd/soapgate/ -run '^$$' -bench . -benchtime 3s
	scripts/bench.sh

clean:
	rm -rf bin data
