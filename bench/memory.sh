#!/usr/bin/env bash
# Resident memory (VmRSS, summed over the server and its child processes) of geodns serving
#   - examples/standalone (resources, --resources),
#   - the bench zone (bench/fixtures/geodns, --resources),
#   - a generated 100,000-name zone (bench/gen-big-zone.ts: 95,000 static A + 5,000 geo-routed names, --config),
# each measured once the zone answers and again after a warm-up of dnsperf traffic over its names; and, for
# scale, gdnsd, PowerDNS geoip and the Node floor server serving the bench zone.
# Usage: bench/memory.sh     Environment: WARMUP (s of dnsperf, default 5), RESULTS_FILE (bench/RESULTS.md; "-").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/servers.sh"

WARMUP=${WARMUP:-5}
PORT=${PORT:-25310}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
ROWS=$OUT/memory-rows.md
: >"$ROWS"

"$NODE" "$BENCH_DIR/make-queries.ts" "$OUT" >&2
"$NODE" "$BENCH_DIR/gen-big-zone.ts" --out "$OUT/big/config/big.example.json" --queries "$OUT/big/queries.txt" >&2
(cd "$ROOT" && "$NODE" cli/geodns.ts compile examples/standalone) >"$OUT/standalone.json"
"$NODE" "$BENCH_DIR/zone-queries.ts" "$OUT/standalone.json" >"$OUT/standalone-queries.txt"
BIG_BYTES=$(stat -c %s "$OUT/big/config/big.example.json")

# measure LABEL QUERYFILE READY_MS : RSS now, dnsperf warm-up, RSS again; one table row.
measure() {
  local label=$1 queries=$2 ready_ms=$3 idle warm summary
  idle=$(tree_rss_kib "$SERVER_PID")
  run_dnsperf "$OUT/memory-dnsperf.txt" "$PORT" "$queries" -l "$WARMUP" -c 4 -q 100 || die "dnsperf failed: $OUT/memory-dnsperf.txt"
  summary=$(dnsperf_summary "$OUT/memory-dnsperf.txt")
  warm=$(tree_rss_kib "$SERVER_PID")
  printf '| %s | %s | %.1f | %.1f | %s | %s |\n' "$label" "$ready_ms" "$(awk -v k="$idle" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$warm" 'BEGIN { print k / 1024 }')" "$(echo "$summary" | cut -d' ' -f1)" \
    "$(tree_pids "$SERVER_PID" | wc -l)" >>"$ROWS"
  log "$label: RSS $((idle / 1024)) MiB loaded, $((warm / 1024)) MiB after ${WARMUP}s of traffic"
  stop_pid "$SERVER_PID"
}

GEODNS_STATUS=ok
if start_geodns_with geodns-standalone "$PORT" geo.example.com --resources "$ROOT/examples/standalone" --geoip "$MMDB"; then
  measure "geodns, examples/standalone (--resources)" "$OUT/standalone-queries.txt" "$READY_MS"
  start_geodns_with geodns-bench "$PORT" "$ZONE" --resources "$FIXTURES/geodns" --geoip "$MMDB" || die "geodns did not serve the bench zone: $OUT/geodns-bench.log"
  measure "geodns, bench zone (--resources)" "$OUT/queries-plain.txt" "$READY_MS"
  start_geodns_with geodns-big "$PORT" big.example --config "$OUT/big/config" --geoip "$MMDB" || die "geodns did not serve big.example: $OUT/geodns-big.log"
  measure "geodns, 100,000-name zone (--config, $((BIG_BYTES / 1048576)) MiB JSON)" "$OUT/big/queries.txt" "$READY_MS"
else
  [[ -n ${SERVER_PID:-} ]] && stop_pid "$SERVER_PID"
  GEODNS_STATUS=pending
fi

for peer in gdnsd pdns floor; do
  t0=$(now_ms)
  "start_$peer" "$PORT" || die "$peer did not start: $OUT/$peer.log"
  what="bench zone"
  [[ $peer == floor ]] && what="fixed answer"
  measure "$peer, $what" "$OUT/queries-plain.txt" "$(($(now_ms) - t0))"
done

{
  echo
  echo "### bench/memory.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_block
  echo "- command: \`WARMUP=$WARMUP bench/memory.sh\`; RSS = VmRSS from /proc/PID/status summed over the server process and its children;"
  echo "  warm-up = \`dnsperf -l $WARMUP -c 4 -q 100\` over every name of the zone (examples: bench/zone-queries.ts; big zone: every 10th static name and the routed names)"
  echo "- geodns: \`node $GEODNS_NODE_FLAGS $GEODNS_ENTRY serve (--resources DIR | --config DIR) --listen 127.0.0.1:$PORT --workers $GEODNS_WORKERS --geoip bench/fixtures/bench-geo.mmdb\`"
  echo
  echo "| server, zone | start to first answer (ms) | RSS loaded (MiB) | RSS after warm-up (MiB) | warm-up q/s | processes |"
  echo "|---|---:|---:|---:|---:|---:|"
  cat "$ROWS"
  [[ $GEODNS_STATUS == pending ]] && { echo; echo "geodns: pending (\`node cli/geodns.ts serve\` not runnable in this checkout)."; }
  true
} >"$OUT/memory-report.md"
cat "$OUT/memory-report.md"
[[ $RESULTS_FILE == - ]] || { cat "$OUT/memory-report.md" >>"$RESULTS_FILE"; log "appended to $RESULTS_FILE"; }
