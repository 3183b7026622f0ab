#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow checker) from its Go module, pinned, into a cache outside the
# repository, and reuses it when it is already there. Prints the binary's path on stdout.
# test/repository/workflows.test.ts runs it on .github/workflows/; where shellcheck is on PATH, actionlint checks
# the workflows' `run:` scripts with it too.
#
#   bash scripts/actionlint.sh                 build it if missing, print its path
#   KUBE_GEODNS_CACHE=/some/dir                another cache root (default: $XDG_CACHE_HOME or ~/.cache)
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12

cache_root=${KUBE_GEODNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-geodns}
bin="$cache_root/bin/actionlint-$ACTIONLINT_VERSION"
if [[ -x "$bin/actionlint" ]]; then
  echo "$bin/actionlint"
  exit 0
fi
command -v go >/dev/null || {
  echo "actionlint: go is not on PATH (Go >= 1.25 builds actionlint $ACTIONLINT_VERSION)" >&2
  exit 1
}
mkdir -p "$bin"
# Into a temporary folder first: an interrupted build leaves no binary that a later run would take as complete.
scratch=$(mktemp -d "$bin/.build-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
GOBIN="$scratch" GOFLAGS=-trimpath GOTOOLCHAIN=local CGO_ENABLED=0 \
  go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
mv "$scratch/actionlint" "$bin/actionlint"
echo "actionlint: built $ACTIONLINT_VERSION into $bin" >&2
echo "$bin/actionlint"
