#!/usr/bin/env bash
# Benchmark report (make bench): builds soapgate and the load generator, starts the server
# on a free port with a fresh database, drives it with bench/loadgen beside a plain
# net/http baseline and raw SQLite commits, prints the table and stops the server.
#
# Environment: BENCH_DURATION (default 10s per scenario), BENCH_CONCURRENCY (default 32),
# BENCH_WARMUP (default 1s), BENCH_ROUNDS (default 5: compared scenarios take turns, each
# BENCH_DURATION/BENCH_ROUNDS at a time), BENCH_JSON (optional file for the JSON results),
# BENCH_HEALTH_TIMEOUT (default 30s), BENCH_ONLY (optional: reads, sign, pay, page, comma-separated).
# Targets are informational; the exit status is non-zero only when the build, the server
# start or a scenario fails (more than 1 % errors).
set -euo pipefail

cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10s}
concurrency=${BENCH_CONCURRENCY:-32}
warmup=${BENCH_WARMUP:-1s}
rounds=${BENCH_ROUNDS:-5}
health_timeout=${BENCH_HEALTH_TIMEOUT:-30s}
config=${BENCH_CONFIG:-config.yaml}

mkdir -p bin
echo "bench: building bin/soapgate and bin/loadgen" >&2
go build -o bin/soapgate ./cmd/soapgate
go build -o bin/loadgen ./bench/loadgen

workdir=$(mktemp -d "${TMPDIR:-/tmp}/soapgate-bench.XXXXXX")
server_pid=""

cleanup() {
	local rc=$?
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 1 100); do # up to 10 s for a graceful stop
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$server_pid" 2>/dev/null; then
			echo "bench: server $server_pid ignored SIGTERM for 10s, killing it" >&2
			kill -KILL "$server_pid" 2>/dev/null || true
		fi
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ $rc -ne 0 && -s "$workdir/server.log" ]]; then
		echo "bench: last lines of the server log:" >&2
		tail -n 40 "$workdir/server.log" >&2 || true
	fi
	rm -rf "$workdir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(bin/loadgen -free-port)
base="http://127.0.0.1:$port"

echo "bench: starting soapgate on $base (database in $workdir)" >&2
SOAPGATE_LISTEN="127.0.0.1:$port" \
SOAPGATE_DATABASE_PATH="$workdir/bench.db" \
	bin/soapgate serve --config "$config" >"$workdir/server.log" 2>&1 &
server_pid=$!

bin/loadgen -wait-healthz "$base" -timeout "$health_timeout" -pid "$server_pid"

json_args=()
if [[ -n "${BENCH_JSON:-}" ]]; then
	json_args=(-json "$BENCH_JSON")
fi

bin/loadgen -url "$base" -pid "$server_pid" \
	-c "$concurrency" -d "$duration" -warmup "$warmup" -rounds "$rounds" \
	-sqlite-dir "$workdir" -only "${BENCH_ONLY:-}" "${json_args[@]}"
