#!/usr/bin/env bash
# Reload time of the 100,000-name zone under load. geodns serves bench/out/reload/config (--config, compiled
# documents); dnsperf sends a steady RATE q/s over the zone's names; RELOADS times, a new document (serial + 1,
# one static address changed) prepared beforehand is renamed into the config folder (an atomic replace, as the
# operator and the kubelet's ConfigMap swap do), and the time from that rename until `dig SOA` (polled every
# ~10 ms) shows the new serial is recorded. A first dnsperf run without reloads gives the baseline.
# dnsperf reports per-second q/s (-S 1), lost queries (no answer within 5 s) and max latency (the longest stall).
# Usage: bench/reload.sh   Environment: RATE (q/s, default 5000), RELOADS (3), GAP (s between reloads, 8),
#        STATIC / ROUTED (names, 95000 / 5000), RESULTS_FILE (bench/RESULTS.md; "-" for stdout only).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/servers.sh"

RATE=${RATE:-5000}
RELOADS=${RELOADS:-3}
GAP=${GAP:-8}
STATIC=${STATIC:-95000}
ROUTED=${ROUTED:-5000}
PORT=${PORT:-25320}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
LEAD=5 # seconds of steady traffic before the first reload
DURATION=$((LEAD + RELOADS * GAP))
DIR=$OUT/reload
BIG=big.example

rm -rf "$DIR" && mkdir -p "$DIR/config" "$DIR/staged"
gen() { "$NODE" "$BENCH_DIR/gen-big-zone.ts" --static "$STATIC" --routed "$ROUTED" "$@" >&2; }
gen --out "$DIR/config/$BIG.json" --serial 1 --queries "$DIR/queries.txt"
for ((i = 1; i <= RELOADS; i++)); do gen --out "$DIR/staged/$((i + 1)).json" --serial $((i + 1)) --variant $((i % 2)); done
DOC_BYTES=$(stat -c %s "$DIR/config/$BIG.json")

report_pending() {
  {
    echo
    echo "### bench/reload.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "geodns: pending (\`node cli/geodns.ts serve --config\` not runnable in this checkout); nothing measured."
  } | tee -a "$([[ $RESULTS_FILE == - ]] && echo /dev/null || echo "$RESULTS_FILE")"
  exit 0
}

start_geodns_with geodns-reload "$PORT" "$BIG" --config "$DIR/config" --geoip "$MMDB" || {
  [[ -n ${SERVER_PID:-} ]] && kill -0 "$SERVER_PID" 2>/dev/null && die "geodns did not serve $BIG: $OUT/geodns-reload.log"
  geodns_ready && die "geodns exited: $OUT/geodns-reload.log"
  report_pending
}
GEODNS_PID=$SERVER_PID
log "geodns serves $BIG (serial 1) $READY_MS ms after start"

dnsperf_args=(-l "$DURATION" -Q "$RATE" -c 4 -q 200 -S 1)
log "baseline: $DURATION s at $RATE q/s, no reload"
run_dnsperf "$OUT/reload-baseline.txt" "$PORT" "$DIR/queries.txt" "${dnsperf_args[@]}" || die "dnsperf failed"

log "under reloads: $DURATION s at $RATE q/s, $RELOADS reloads $GAP s apart"
start_bg "$OUT/reload-dnsperf.txt" "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$DIR/queries.txt" "${dnsperf_args[@]}"
DNSPERF_PID=$BG_PID
sleep "$LEAD"
TIMES=()
for ((i = 1; i <= RELOADS; i++)); do
  serial=$((i + 1))
  start=$(now_ms)
  mv "$DIR/staged/$serial.json" "$DIR/config/$BIG.json"
  deadline=$((SECONDS + GAP * 4))
  until [[ $(taskset -c "$CLIENT_CPU" dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 "$BIG" SOA 2>/dev/null | awk '{ print $3 }') == "$serial" ]]; do
    ((SECONDS < deadline)) || die "serial $serial not served after $((GAP * 4)) s (see $OUT/geodns-reload.log)"
    kill -0 "$GEODNS_PID" 2>/dev/null || die "geodns exited during reload (see $OUT/geodns-reload.log)"
    sleep 0.01
  done
  TIMES+=($(($(now_ms) - start)))
  log "reload $i: serial $serial served ${TIMES[-1]} ms after the rename"
  elapsed=$(($(now_ms) - start))
  ((i < RELOADS)) && sleep "$(awk -v g="$GAP" -v e="$elapsed" 'BEGIN { s = g - e / 1000; print (s > 0) ? s : 0 }')"
done
wait "$DNSPERF_PID" || die "dnsperf failed: $OUT/reload-dnsperf.txt"
stop_pid "$DNSPERF_PID"
RSS_AFTER=$(tree_rss_kib "$GEODNS_PID")
stop_pid "$GEODNS_PID"

# per_second FILE : "min median" of dnsperf's per-second q/s lines, without the first second (dnsperf's start-up).
per_second() {
  awk -F': ' '/^[0-9]+\.[0-9]+: / && seen++ { print $2 }' "$1" | sort -g |
    awk '{ v[n++] = $1 } END { if (n) printf "%.0f %.0f\n", v[0], v[int(n / 2)]; else print "- -" }'
}
row() {
  local label=$1 file=$2 s p
  s=($(dnsperf_summary "$file"))
  p=($(per_second "$file"))
  echo "| $label | ${s[0]} | ${p[0]} | ${p[1]} | ${s[1]} | ${s[3]} | ${s[5]} |"
}

{
  echo
  echo "### bench/reload.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_block
  echo "- command: \`RATE=$RATE RELOADS=$RELOADS GAP=$GAP STATIC=$STATIC ROUTED=$ROUTED bench/reload.sh\`"
  echo "- zone: $BIG, $STATIC static A + $ROUTED geo-routed names, compiled document $((DOC_BYTES / 1048576)) MiB" \
    "(bench/gen-big-zone.ts); geodns: \`node $GEODNS_NODE_FLAGS $GEODNS_ENTRY serve --config bench/out/reload/config --listen 127.0.0.1:$PORT --workers $GEODNS_WORKERS --geoip bench/fixtures/bench-geo.mmdb\`," \
    "first answer $READY_MS ms after start, RSS after the run $((RSS_AFTER / 1024)) MiB"
  echo "- load: \`dnsperf -d bench/out/reload/queries.txt ${dnsperf_args[*]}\` (static and routed names of $BIG)"
  echo "- reload = rename of a prepared document (serial + 1) into the config folder, until \`dig SOA\` shows the new serial"
  echo
  echo "Reload times (ms): ${TIMES[*]}"
  echo
  echo "Per-second q/s (dnsperf -S 1) with reloads: $(awk -F': ' '/^[0-9]+\.[0-9]+: / { printf "%s%.0f", sep, $2; sep = " " }' "$OUT/reload-dnsperf.txt")"
  echo
  echo "| dnsperf run | q/s | min q/s in a second (after the 1st) | median q/s per second | lost | avg latency ms | max latency ms |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row "baseline, no reload" "$OUT/reload-baseline.txt"
  row "with $RELOADS reloads" "$OUT/reload-dnsperf.txt"
} >"$OUT/reload-report.md"
cat "$OUT/reload-report.md"
[[ $RESULTS_FILE == - ]] || { cat "$OUT/reload-report.md" >>"$RESULTS_FILE"; log "appended to $RESULTS_FILE"; }
