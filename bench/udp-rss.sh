#!/usr/bin/env bash
# Resident memory of geodns over a long run at full speed, per UDP path (issue 24): each path is started pinned to
# SERVER_CPU, dnsperf sends the ECS query file (a different client subnet on most queries) for DURATION seconds
# from CLIENT_CPU, and VmRSS is sampled every STEP seconds. Flat after the first samples means no leak per query.
# Usage: bench/udp-rss.sh [native|dgram ...]     (default: native dgram)
# Environment: DURATION (s, 120), STEP (s, 10), RESULTS_FILE (bench/RESULTS.md; "-" for stdout only), and lib.sh's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/servers.sh"

DURATION=${DURATION:-120}
STEP=${STEP:-10}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
PATHS=("$@")
((${#PATHS[@]})) || PATHS=(native dgram)
PORT=25311

"$NODE" "$BENCH_DIR/make-queries.ts" "$OUT" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A SAMPLES=() QPS=()
for io in "${PATHS[@]}"; do
  start_geodns "$PORT" --udp-io "$io" || die "geodns --udp-io $io did not start (see $OUT/geodns.log)"
  run_dnsperf "$OUT/udp-rss-$io.txt" "$PORT" "$OUT/queries-ecs.bin" -l "$DURATION" -c 4 -q 200 &
  perf_pid=$!
  STARTED_PIDS+=("$perf_pid")
  line="$(($(tree_rss_kib "$SERVER_PID") / 1024))"
  for ((t = STEP; t <= DURATION; t += STEP)); do
    sleep "$STEP"
    line+=" $(($(tree_rss_kib "$SERVER_PID") / 1024))"
  done
  wait "$perf_pid" || true
  SAMPLES[$io]=$line
  QPS[$io]=$(dnsperf_summary "$OUT/udp-rss-$io.txt" | awk '{ print $1 " q/s, lost " $2 }')
  log "$io: RSS MiB every ${STEP} s: $line (${QPS[$io]})"
  stop_pid "$SERVER_PID"
done

{
  echo
  echo "### bench/udp-rss.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_block
  echo "- load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- command: \`DURATION=$DURATION STEP=$STEP bench/udp-rss.sh ${PATHS[*]}\`; geodns \`--workers $GEODNS_WORKERS --udp-io PATH\` on the bench zone, dnsperf \`-B -d queries-ecs.bin -c 4 -q 200 -l $DURATION\`"
  echo
  echo "| --udp-io | throughput | VmRSS MiB at 0, $STEP, 2×$STEP ... $DURATION s |"
  echo "|---|---|---|"
  for io in "${PATHS[@]}"; do echo "| $io | ${QPS[$io]} | ${SAMPLES[$io]// /, } |"; done
} >"$OUT/udp-rss-report.md"
cat "$OUT/udp-rss-report.md"
[[ $RESULTS_FILE == - ]] || cat "$OUT/udp-rss-report.md" >>"$RESULTS_FILE"
