#!/usr/bin/env bash
# The gateway's benchmark, in its production topology: each sandbox runs as
# its own process (the upstream, with a latency added to every call), a
# gateway in live mode runs in front of it with a private redis-server, and
# bench/loadgen drives the gateways over loopback and prints one row per
# workload (see bench/README.md). Bounded: every row lasts its duration (W4
# also stops at the gateway's code sending limit); every process started
# here is stopped by PID on exit and the temporary directory removed.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [-d 10s] [-c 32] [-l 1] [-w W1,W2,W3,W4,W5] [-q] [-o FILE]
  -d DURATION  measured time of each row (default 10s), after a warm-up of min(2s, DURATION/5)
  -c CONNS     connections of the throughput rows (default 32); latency rows use 1
  -l MS        latency the sandbox adds to every upstream call (default 1)
  -w LIST      workloads (default all):
                 W1 the partner dashboard page (100 customers, full and lean), with the static
                    ceiling and the upstream critical path
                 W2 the showcase customer's order page      W3 the tier-1's resellers
                 W4 verified allocateCustomerFunds round trip (code through the SMS webhook)
                 W5 lean pages of 10, 50 and 100 customers on 10 000 and 100 000 customers
  -q           quick smoke run: 2s rows (overrides -d), 10 000 customers only
  -o FILE      the JSON summary (default ${TMPDIR:-/tmp}/partnergraph-bench-<time>.json)
  -h           this help
Needs go and redis-server (apt-get install -y redis-server). The gateways also read
PARTNERGRAPH_* variables for settings this script does not pass, e.g. PARTNERGRAPH_GOGC=100.
EOF
}

duration=10s conns=32 latency=1 workloads=W1,W2,W3,W4,W5 quick=0 out=
while getopts d:c:l:w:o:qh opt; do
  case $opt in
    d) duration=$OPTARG ;;
    c) conns=$OPTARG ;;
    l) latency=$OPTARG ;;
    w) workloads=$OPTARG ;;
    o) out=$OPTARG ;;
    q) quick=1 ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }
bad() { echo "run.sh: $1" >&2; exit 2; }
[[ $duration =~ ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$ ]] || bad "-d $duration: a duration like 10s or 1m30s"
[[ $conns =~ ^[1-9][0-9]*$ ]] || bad "-c $conns: a positive number of connections"
[[ $latency =~ ^[0-9]+$ ]] || bad "-l $latency: milliseconds, 0 or more"
IFS=, read -ra list <<<"${workloads^^}"
for w in "${list[@]}"; do
  [[ $w =~ ^W[1-5]$ ]] || bad "-w $workloads: a comma-separated list of W1 to W5"
done
sizes=(10000)
if ((quick)); then
  duration=2s
elif [[ ,${workloads^^}, == *,W5,* ]]; then
  sizes+=(100000)
fi
out=${out:-${TMPDIR:-/tmp}/partnergraph-bench-$(date +%Y%m%d-%H%M%S).json}

cd "$(dirname "$0")/.."
for cmd in go redis-server redis-cli getconf od; do
  if ! command -v "$cmd" >/dev/null; then
    hint=
    [[ $cmd == redis-* ]] && hint=" (apt-get install -y redis-server)"
    echo "run.sh: $cmd is missing$hint" >&2
    exit 1
  fi
done

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/partnergraph-bench.XXXXXX")
pids=()
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for i in "${pids[@]}"; do wait "$i" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# fail MESSAGE LOG: stops with the end of a process's log.
fail() {
  echo "run.sh: $1; the end of its log:" >&2
  tail -n 20 "$2" >&2
  exit 1
}

# await SECONDS PID CHECK…: runs CHECK every 0.1 s until it succeeds; false
# when PID exits or SECONDS pass first.
await() {
  local deadline=$((SECONDS + $1)) pid=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

echo "building partnergraph and bench/loadgen" >&2
go build -o "$work/partnergraph" .
go build -o "$work/loadgen" ./bench/loadgen
help=$("$work/partnergraph" --help 2>&1 || true)
metrics=0
[[ $help == *metrics-listen* ]] && metrics=1

hex32() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
export BENCH_JWT_SECRET BENCH_WEBHOOK_SECRET
BENCH_JWT_SECRET=$(hex32) BENCH_WEBHOOK_SECRET=$(hex32)
verification_secret=$(hex32)
webhook=127.0.0.1:$("$work/loadgen" freeport)

# Live mode keeps verification codes and idempotency keys in Redis.
rport=$("$work/loadgen" freeport)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
await 10 $! redis-cli -p "$rport" ping || fail "redis-server did not start" "$work/redis.log"

# start_stack N DB: a sandbox of N customers and a live gateway in front of
# it (Redis database DB); adds its -stack argument.
stack_args=()
start_stack() {
  local n=$1 db=$2 manifest=$work/manifest-$1.json log=$work/gateway-$1.log
  "$work/partnergraph" sandbox --listen 127.0.0.1:0 --customers "$n" >"$manifest" 2>"$work/sandbox-$n.log" &
  local sbx=$!
  pids+=("$sbx")
  await 120 "$sbx" grep -q '"endpoint"' "$manifest" || fail "the sandbox ($n customers) did not start" "$work/sandbox-$n.log"
  local endpoint id ak sk agency
  read -r endpoint id ak sk agency < <("$work/loadgen" manifest "$manifest")

  local metrics_flags=() metrics_url=
  if ((metrics)); then
    local mport
    mport=$("$work/loadgen" freeport)
    metrics_flags=(--metrics-listen "127.0.0.1:$mport")
    metrics_url=http://127.0.0.1:$mport/metrics
  fi
  PARTNERGRAPH_JWT_HS256_SECRET=$BENCH_JWT_SECRET PARTNERGRAPH_SMS_WEBHOOK_SECRET=$BENCH_WEBHOOK_SECRET \
    PARTNERGRAPH_VERIFICATION_SECRET=$verification_secret \
    "$work/partnergraph" --mode live --listen 127.0.0.1:0 --bss-endpoint "$endpoint" --iam-endpoint "$endpoint" \
    --ak "$ak" --sk "$sk" --partner-id "$id" --partner-kind tier1 --agency-name "$agency" \
    --redis-url "redis://127.0.0.1:$rport/$db" --sms-webhook-url "http://$webhook/sms" \
    --audit-log "$work/audit-$n.jsonl" --rate-limit off "${metrics_flags[@]}" >"$log" 2>&1 &
  local gw=$!
  pids+=("$gw")
  await 30 "$gw" grep -q 'listening on http://' "$log" || fail "the gateway ($n customers) did not start" "$log"
  local url
  url=$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$log")
  stack_args+=(-stack "customers=$n,manifest=$manifest,gateway=$url,gateway-pid=$gw,sandbox-pid=$sbx${metrics_url:+,metrics=$metrics_url}")
}
for i in "${!sizes[@]}"; do
  echo "starting a sandbox of ${sizes[i]} customers and its gateway" >&2
  start_stack "${sizes[i]}" "$i"
done

"$work/loadgen" run "${stack_args[@]}" -d "$duration" -c "$conns" -l "$latency" -w "$workloads" \
  -webhook "$webhook" -clk-tck "$(getconf CLK_TCK)" -json "$out" \
  -commit "$(git describe --always --dirty 2>/dev/null || echo unknown)" &
pids+=($!)
wait $! || {
  status=$?
  for log in "$work"/gateway-*.log; do
    echo "--- the end of $(basename "$log"):" >&2
    tail -n 20 "$log" >&2
  done
  exit "$status"
}
echo "wall time: $((SECONDS - started)) s"
