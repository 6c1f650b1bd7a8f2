#!/usr/bin/env bash
# Load test of the gateway in its production topology: the sandbox runs as
# its own process (`partnergraph sandbox`, the "upstream", with an added
# latency per call), the gateway runs in live mode against it, and wrk drives
# the gateway over loopback. Prints req/s and latency (wrk), the gateway's
# own CPU time per query (from /proc, the sandbox excluded) and upstream
# calls per query (from the sandbox's /_sandbox/stats).
#
#   bench/load.sh [-d 10s] [-c 32] [-l 1] [-n 100]
#     -d duration   -c connections   -l upstream latency in ms   -n page size
#
# Bounded: one wrk run of the given duration, loopback only; every process
# it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s conns=32 latency=1 first=100
while getopts d:c:l:n: o; do
  case $o in
    d) duration=$OPTARG ;; c) conns=$OPTARG ;; l) latency=$OPTARG ;; n) first=$OPTARG ;;
    *) echo "usage: $0 [-d 10s] [-c 32] [-l 1] [-n 100]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/partnergraph" .

# The upstream: a standalone sandbox, 10 000 customers.
"$work/partnergraph" sandbox --listen 127.0.0.1:0 --customers 10000 >"$work/manifest.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/manifest.json" ] && break; sleep 0.05; done
manifest=$(head -n1 "$work/manifest.json")
field() { python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$manifest" "$1"; }
sbx=$(field 'm["endpoint"]')
t1_id=$(field '[p for p in m["partners"] if p["kind"]=="tier1"][0]["id"]')
t1_ak=$(field '[p for p in m["partners"] if p["kind"]=="tier1"][0]["ak"]')
t1_sk=$(field '[p for p in m["partners"] if p["kind"]=="tier1"][0]["sk"]')
t1_agency=$(field '[p for p in m["partners"] if p["kind"]=="tier1"][0]["agency_name"]')
if [ "$latency" != 0 ]; then
  curl -fsS -X POST "$sbx/_sandbox/faults" -d "{\"faults\":[{\"operation\":\"*\",\"latency_ms\":$latency}]}" >/dev/null
fi

# Live mode keeps shared state in Redis: a private redis-server on loopback.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
rport=$(freeport)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done

# The gateway, live mode, HS256 tokens. This load moves no money, so no
# verification code is ever sent: the SMS webhook is configured (live mode
# requires a sender) but never called.
secret=$(openssl rand -hex 32)
port=$(freeport)
"$work/partnergraph" --mode live --listen "127.0.0.1:$port" --bss-endpoint "$sbx" --iam-endpoint "$sbx" \
  --ak "$t1_ak" --sk "$t1_sk" --partner-id "$t1_id" --partner-kind tier1 --agency-name "$t1_agency" \
  --jwt-hs256-secret "$secret" --redis-url "redis://127.0.0.1:$rport/0" \
  --verification-secret "$(openssl rand -hex 32)" --sms-webhook-url "http://127.0.0.1:9/unused" \
  --sms-webhook-secret "$(openssl rand -hex 32)" --audit-log "$work/audit.jsonl" \
  ${PARTNERGRAPH_LOAD_EXTRA_FLAGS:-} >"$work/gw.log" 2>&1 &
gw=$!
pids+=($gw)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the gateway did not start:" >&2; cat "$work/gw.log" >&2; exit 1; }

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
payload=$(printf '{"iss":"partnergraph","aud":["partnergraph"],"sub":"load","iat":%d,"nbf":%d,"exp":%d,"role":"partner","partner_id":"%s"}' \
  "$now" "$((now-60))" "$((now+3600))" "$t1_id" | b64url)
sig=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)
token="$header.$payload.$sig"

# Pages rotate (offset 0..3900 in steps of the page size) so no two
# in-flight requests are identical.
cat >"$work/load.lua" <<LUA
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local function b64(s)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end))
end
request = function()
  n = n + 1
  local offset = (n % 40) * $first
  local after = offset == 0 and "null" or ('"' .. b64("o:" .. (offset - 1)) .. '"')
  local body = '{"query":"query(\$n:Int,\$a:String){customers(first:\$n,after:\$a){edges{node{id name balance{available{amount currency} debt{amount}} newCustomerTag{value}}}}}","variables":{"n":$first,"a":' .. after .. '}}'
  return wrk.format(nil, "/graphql", nil, body)
end
LUA

# Check one request answers data before loading.
curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"query\":\"{customers(first:$first){edges{node{id balance{available{amount}}}}}}\"}" \
  "http://127.0.0.1:$port/graphql" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert "errors" not in r, r; print("smoke ok:", len(r["data"]["customers"]["edges"]), "customers")'

curl -fsS -X POST "$sbx/_sandbox/stats/reset" >/dev/null
ticks() { awk '{print $14+$15}' "/proc/$gw/stat"; }
t0=$(ticks)
wrk -t2 -c"$conns" -d"$duration" --latency -s "$work/load.lua" "http://127.0.0.1:$port/graphql" | tee "$work/wrk.txt"
t1=$(ticks)
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
stats=$(curl -fsS "$sbx/_sandbox/stats"); echo "upstream calls: $stats"
calls=$(echo "$stats" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["calls"].values()))')
hz=$(getconf CLK_TCK)
python3 - "$requests" "$calls" "$((t1-t0))" "$hz" "$first" "$latency" "$conns" <<'PY'
import sys
req, calls, ticks, hz, first, lat, conns = map(int, sys.argv[1:])
print(f"\nsummary: page {first}, upstream latency {lat} ms, {conns} connections")
print(f"  requests               {req}")
print(f"  gateway CPU per query  {ticks / hz / max(req, 1) * 1000:.2f} ms")
print(f"  upstream calls / query {calls / max(req, 1):.2f}")
PY
