#!/usr/bin/env bash
# Runs every check of partnergraph: the one command of the README and CI.
#   gofmt, go vet, generated code up to date, go test -race (incl. the
#   Chromium end-to-end test).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need (Chromium for the GraphiQL e2e test, Redis
# for shared state, aiosmtpd as a real SMTP server, Node.js and npm for the
# graphql-http audit and the Apollo Client test, whose pinned packages the
# e2e tests install with `npm ci` into the user cache once per lockfile),
# installed only when missing.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  echo "==> installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

echo "==> gofmt"
unformatted=$(gofmt -l $(go list -f '{{.Dir}}' ./...))
if [ -n "$unformatted" ]; then
  echo "gofmt needed:"; echo "$unformatted"; exit 1
fi

echo "==> go vet"
go vet ./...

echo "==> go generate leaves graph/ unchanged"
# Regenerate in a scratch copy so a fresh clone (or uncommitted work) is
# compared with what gqlgen produces from schema.graphqls + gqlgen.yml.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar --exclude=.git -cf - . | tar -xf - -C "$scratch"
(cd "$scratch" && go generate ./...)
if ! diff -r graph "$scratch/graph" >/dev/null || ! diff -r resolvers "$scratch/resolvers" >/dev/null; then
  echo "generated code is stale: run 'go generate ./...' and commit graph/"
  diff -ru graph "$scratch/graph" | head -40 || true
  exit 1
fi

echo "==> go test -race"
PARTNERGRAPH_E2E_REQUIRED=1 go test -race -count=1 ./...
