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

# Cross-check with wrk (a load generator in C, far lighter on the shared cores than the Go
# one), when it is installed: orderstate against the same plain handler, in turn, three
# rounds. Only throughput: wrk has no open-load mode for the p99.
if command -v wrk >/dev/null 2>&1 && [[ -z "${BENCH_ONLY:-}" || ",${BENCH_ONLY}," == *,reads,* ]]; then
	plain_port=$(bin/loadgen -free-port)
	bin/loadgen -serve-plain "127.0.0.1:$plain_port" >"$workdir/plain.log" 2>&1 &
	plain_pid=$!
	bin/loadgen -wait-healthz "http://127.0.0.1:$plain_port" -timeout 10s >/dev/null 2>&1 || true
	curl -fsS -o /dev/null -H 'Content-Type: text/xml; charset=utf-8' --data \
		'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ws:silentpay xmlns:ws="http://www.paysecure.ru/ws/"><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>bench-wrk-1</ordernumber><orderamount>10.00</orderamount><ordercurrency>RUB</ordercurrency><cardnumber>4111111111111111</cardnumber><expiremonth>12</expiremonth><expireyear>2030</expireyear><cvc2>123</cvc2><cardholder>BENCH TESTER</cardholder></ws:silentpay></soap:Body></soap:Envelope>' \
		"$base/pay/silentpay.cfm"
	# req/s of one wrk run, or 0 when an answer was not the order's state
	rate() { wrk -t2 -c"$concurrency" -d3s -s bench/wrk/orderstate.lua "$1" 2>&1 |
		awk '/^Requests\/sec/ {r = $2} /^bad answers:/ {b = $3} END {print (b == 0 && r > 0) ? r : 0}'; }
	echo
	echo "wrk cross-check (orderstate/plain, $concurrency connections, 3 s each, in turn):"
	for round in 1 2 3; do
		p=$(rate "http://127.0.0.1:$plain_port/orderstate/orderstate.cfm")
		o=$(rate "$base/orderstate/orderstate.cfm")
		awk -v p="$p" -v o="$o" -v r="$round" 'BEGIN { if (p > 0 && o > 0) printf "  round %d: plain %.0f req/s, orderstate %.0f req/s, ratio %.2f\n", r, p, o, o / p; else print "  round " r ": wrk failed" }'
	done
	kill "$plain_pid" 2>/dev/null || true
	wait "$plain_pid" 2>/dev/null || true
fi
