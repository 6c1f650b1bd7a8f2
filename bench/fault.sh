#!/usr/bin/env bash
# The fault load test: a gateway in sandbox mode (its embedded sandbox is
# the upstream) driven by bench/faultgen with the dashboard query and the
# mutations that move money and quota (customer funds, child coupon quotas,
# coupons, and their reclaims) from concurrent clients while the sandbox
# fails 20 % of the upstream calls (503, throttling 429 APIG.0308, dropped
# connections, connections dropped after applying, +300 ms, and writes
# answered after the gateway's upstream timeout, so they apply late). It
# prints the requests, the moves and how the OUTCOME_UNKNOWN ones settled,
# the error codes by count, p50/p99, the gateway's retries and breaker
# refusals, and the ledger check. With -w the gateway keeps its shared
# state in a private Redis master with replicas and waits for them on each
# idempotency write. Loopback only; bounded: the load lasts -d, the
# settling after it at most 60 s, every process started here is stopped by
# PID on exit.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/fault.sh [-d 20s] [-c 8] [-r 0.2] [-a 1s] [-w N]
  -d DURATION  how long the load runs (default 20s)
  -c CLIENTS   concurrent clients, a quarter of them moving money and quota (default 8)
  -r RATE      share of upstream calls that fail or slow down (default 0.2)
  -a WAIT      how long a client waits before it first retries a move that
               answered OUTCOME_UNKNOWN (default 1s; the gateway answers
               IDEMPOTENCY_IN_PROGRESS until the call's deadline)
  -w REPLICAS  keep the gateway's shared state in a private Redis master with
               REPLICAS replicas (0-4) instead of memory, and with REPLICAS > 0
               make each idempotency write wait for them (--redis-wait-replicas)
USAGE
}
duration=20s clients=8 rate=0.2 retry=1s replicas=
while getopts d:c:r:a:w:h opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) clients=$OPTARG ;;
    r) rate=$OPTARG ;;
    a) retry=$OPTARG ;;
    w) replicas=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $duration =~ ^[0-9]+(s|m)$ ]] || { echo "fault.sh: -d $duration: like 20s or 2m" >&2; exit 2; }
[[ $clients =~ ^[1-9][0-9]?$ ]] || { echo "fault.sh: -c $clients: 1 to 99" >&2; exit 2; }
[[ $rate =~ ^0(\.[0-9]+)?$ ]] || { echo "fault.sh: -r $rate: between 0 and 1" >&2; exit 2; }
[[ $retry =~ ^[0-9]+(ms|s|m)$ ]] || { echo "fault.sh: -a $retry: like 1s or 500ms" >&2; exit 2; }
[[ -z $replicas || $replicas =~ ^[0-4]$ ]] || { echo "fault.sh: -w $replicas: 0 to 4" >&2; exit 2; }
if [ -n "$replicas" ] && ! { command -v redis-server && command -v redis-cli; } >/dev/null; then
  echo "fault.sh: -w needs redis-server and redis-cli (apt-get install -y redis-server)" >&2; exit 2
fi

cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/partnergraph-fault.XXXXXX")
pid=
redis_pids=()
cleanup() {
  for p in $pid "${redis_pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "building partnergraph and bench/faultgen" >&2
go build -o "$work/partnergraph" .
go build -o "$work/faultgen" ./bench/faultgen

# With -w: a private Redis master and its replicas, in sync before the load.
redis_args=()
if [ -n "$replicas" ]; then
  rport=$("$work/faultgen" -freeport)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    --repl-diskless-sync yes --repl-diskless-sync-delay 0 >"$work/redis.log" 2>&1 &
  redis_pids+=($!)
  for i in $(seq "$replicas"); do
    p=$("$work/faultgen" -freeport)
    redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --dbfilename "replica-$i.rdb" \
      --replicaof 127.0.0.1 "$rport" >"$work/redis-$i.log" 2>&1 &
    redis_pids+=($!)
  done
  # in sync: a write on one connection is acknowledged by every replica
  for _ in $(seq 200); do
    acked=$(printf 'SET fault:probe 1\nWAIT %d 100\n' "$replicas" | redis-cli -p "$rport" 2>/dev/null | tail -n 1 || true)
    [ "$acked" = "$replicas" ] && break
    sleep 0.1
  done
  [ "$acked" = "$replicas" ] || { echo "fault.sh: the Redis replicas did not sync" >&2; tail -n 5 "$work"/redis*.log >&2; exit 1; }
  redis_args=(--redis-url "redis://127.0.0.1:$rport/0" --redis-wait-replicas "$replicas")
  echo "shared state: a private Redis master with $replicas replicas, --redis-wait-replicas $replicas"
fi

# The late-answer fault answers writes 0.7 s after this timeout, inside the
# SDK's own HTTP timeout (one second longer): the move applies after the
# gateway gave up on it.
timeout=3s
"$work/partnergraph" --listen 127.0.0.1:0 --sandbox-listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --sandbox-customers 200 --rate-limit off --upstream-timeout "$timeout" --audit-log "$work/audit.jsonl" "${redis_args[@]}" \
  >"$work/stdout" 2>"$work/gateway.log" &
pid=$!
for _ in $(seq 100); do
  grep -qs 'metrics:' "$work/stdout" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/gateway.log" >&2; exit 1; }
  sleep 0.1
done
gateway=$(grep -o -m1 'listening on http://[0-9.:]*' "$work/stdout" | cut -d' ' -f3)
sandbox=$(grep -o -m1 'sandbox:  http://[0-9.:]*' "$work/stdout" | awk '{print $2}')
metrics=$(grep -o -m1 'metrics:  http://[0-9.:]*/metrics' "$work/stdout" | awk '{print $2}')

status=0
"$work/faultgen" -gateway "$gateway" -sandbox "$sandbox" -d "$duration" -c "$clients" -rate "$rate" \
  -upstream-timeout "$timeout" -retry-after "$retry" || status=$?

echo "gateway metrics:"
curl -s "$metrics" | grep -E '^partnergraph_upstream_(retries|rejected)_total|^partnergraph_upstream_breaker_state' | sed 's/^/  /' || true
if [ -n "$replicas" ]; then
  echo "redis master (calls, µs per call):"
  redis-cli -p "$rport" INFO commandstats | tr -d '\r' | grep -E '^cmdstat_(evalsha|eval|wait):' |
    sed -E 's/^cmdstat_([a-z]+):calls=([0-9]+),usec=[0-9]+,usec_per_call=([0-9.]+).*/  \1 \2 calls, \3 µs/' || true
fi
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: the gateway exited during the run; the end of its log:" >&2
  tail -n 20 "$work/gateway.log" >&2
  exit 1
fi
panics=$(grep -c 'graphql panic' "$work/gateway.log" || true)
echo "gateway: alive, $panics panics, $(grep -c 'msg=request' "$work/gateway.log") access lines"
[ "$panics" -eq 0 ] || status=1
exit "$status"
