#!/usr/bin/env bash
# The operator benchmarks of issue 12, one after the other (see bench/README.md, "Operator benchmarks"): builds
# dist/, runs each bench/operator/*.ts scenario and appends its results block to RESULTS_FILE. Each scenario starts
# its own real control plane (etcd, kube-apiserver, kube-controller-manager: scripts/kube/build-binaries.sh builds
# them once) and two pod hosts (network namespaces: run as root), and stops every child process it started, by PID.
# Usage: bench/operator.sh [endpoint-unready probe-failure scale idle flap]
# Environment: RESULTS_FILE (bench/RESULTS.md; "-" for stdout only), NODE, and each scenario's knobs (TRIALS,
#              COUNT, MODE, DURATION, ...; see the head of each script).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(endpoint-unready probe-failure scale idle flap)

cd "$ROOT"
log "building dist/"
PATH="$(dirname "$NODE"):$PATH" npm run --silent build
mkdir -p "$OUT/operator"
for scenario in "${SCENARIOS[@]}"; do
  [[ -f $BENCH_DIR/operator/$scenario.ts ]] || die "no such scenario: $scenario"
  log "bench/operator/$scenario.ts"
  "$NODE" "$BENCH_DIR/operator/$scenario.ts" >"$OUT/operator/$scenario.md"
  cat "$OUT/operator/$scenario.md"
  [[ $RESULTS_FILE == - ]] || { cat "$OUT/operator/$scenario.md" >>"$RESULTS_FILE"; log "appended to $RESULTS_FILE"; }
done
