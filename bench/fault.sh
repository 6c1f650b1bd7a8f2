#!/usr/bin/env bash
# The fault load test: a gateway in sandbox mode (its embedded sandbox is
# the upstream) driven by bench/faultgen with the dashboard query and money
# mutations from concurrent clients while the sandbox fails 20 % of the
# upstream calls (503, throttling 429 APIG.0308, dropped connections,
# connections dropped after applying, +300 ms). It prints the requests, the
# error codes by count, p50/p99, the gateway's retries and breaker
# refusals, and the ledger check. Loopback only; bounded: the load lasts
# -d, every process started here is stopped by PID on exit.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/fault.sh [-d 20s] [-c 8] [-r 0.2]
  -d DURATION  how long the load runs (default 20s)
  -c CLIENTS   concurrent clients, a quarter of them moving money (default 8)
  -r RATE      share of upstream calls that fail or slow down (default 0.2)
USAGE
}
duration=20s clients=8 rate=0.2
while getopts d:c:r:h opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) clients=$OPTARG ;;
    r) rate=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $duration =~ ^[0-9]+(s|m)$ ]] || { echo "fault.sh: -d $duration: like 20s or 2m" >&2; exit 2; }
[[ $clients =~ ^[1-9][0-9]?$ ]] || { echo "fault.sh: -c $clients: 1 to 99" >&2; exit 2; }
[[ $rate =~ ^0(\.[0-9]+)?$ ]] || { echo "fault.sh: -r $rate: between 0 and 1" >&2; exit 2; }

cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/partnergraph-fault.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building partnergraph and bench/faultgen" >&2
go build -o "$work/partnergraph" .
go build -o "$work/faultgen" ./bench/faultgen

"$work/partnergraph" --listen 127.0.0.1:0 --sandbox-listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --sandbox-customers 200 --rate-limit off --upstream-timeout 3s --audit-log "$work/audit.jsonl" \
  >"$work/stdout" 2>"$work/gateway.log" &
pid=$!
for _ in $(seq 100); do
  grep -q 'metrics:' "$work/stdout" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/gateway.log" >&2; exit 1; }
  sleep 0.1
done
gateway=$(grep -o -m1 'listening on http://[0-9.:]*' "$work/stdout" | cut -d' ' -f3)
sandbox=$(grep -o -m1 'sandbox:  http://[0-9.:]*' "$work/stdout" | awk '{print $2}')
metrics=$(grep -o -m1 'metrics:  http://[0-9.:]*/metrics' "$work/stdout" | awk '{print $2}')

status=0
"$work/faultgen" -gateway "$gateway" -sandbox "$sandbox" -d "$duration" -c "$clients" -rate "$rate" || status=$?

echo "gateway metrics:"
curl -s "$metrics" | grep -E '^partnergraph_upstream_(retries|rejected)_total|^partnergraph_upstream_breaker_state' | sed 's/^/  /' || true
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: the gateway exited during the run; the end of its log:" >&2
  tail -n 20 "$work/gateway.log" >&2
  exit 1
fi
panics=$(grep -c 'graphql panic' "$work/gateway.log" || true)
echo "gateway: alive, $panics panics, $(grep -c 'msg=request' "$work/gateway.log") access lines"
[ "$panics" -eq 0 ] || status=1
exit "$status"
