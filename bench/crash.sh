#!/usr/bin/env bash
# The crash tests of exactly-once money mutations (e2e/crash), verbosely,
# then their table: real gateway processes in live mode on one private
# redis-server, each scenario with its own standalone sandbox, killed with
# SIGKILL at points fixed by sandbox fault rules, restarted, and retried with
# the same idempotency key; the sandbox's records decide. Every process the
# test starts is stopped by PID and its temporary directory removed.
# Arguments are passed to go test (e.g. -run 'TestCrashExactlyOnce/4').
set -euo pipefail
cd "$(dirname "$0")/.."
for cmd in go redis-server; do
  if ! command -v "$cmd" >/dev/null; then
    hint=
    [[ $cmd == redis-server ]] && hint=" (apt-get install -y redis-server)"
    echo "crash.sh: $cmd is missing$hint" >&2
    exit 1
  fi
done

started=$SECONDS
table=$(mktemp "${TMPDIR:-/tmp}/partnergraph-crash.XXXXXX")
trap 'rm -f "$table"' EXIT
status=0
PARTNERGRAPH_CRASH_TABLE=$table go test -count=1 -v -run TestCrashExactlyOnce "$@" ./e2e/crash/ || status=$?
echo
if [ -s "$table" ]; then
  cat "$table"
else
  echo "crash.sh: the test printed no table" >&2
fi
echo "wall time: $((SECONDS - started)) s"
exit "$status"
