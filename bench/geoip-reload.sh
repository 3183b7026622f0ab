#!/usr/bin/env bash
# GeoIP database swaps under load. geodns serves examples/standalone with --geoip pointing at a file in
# bench/out/geoip-reload/; dnsperf sends a steady RATE q/s of routed and static names from 127.0.0.1. The file is
# replaced RELOADS times the way geoipupdate replaces it (the new version written beside it, then renamed over it):
#   1. placement: test/fixtures/mmdb/swap-eu.mmdb and swap-as.mmdb in turn (127/8 in DE, then JP); the time from
#      the rename until `dig www.geo.example.com` (polled every ~10 ms, from 127.0.0.1) shows the new placement;
#   2. size: the embedded country database (7.8 MB) and a copy whose metadata says another build time, in turn; the
#      server's own time per swap (its 'GeoIP database swapped in' line: read, open and walk the file, compare,
#      hand it to every worker, all acknowledged), after the 200 ms the watcher waits for the file to settle.
# dnsperf reports lost queries (no answer within 5 s) and the longest latency; a run without swaps is the baseline.
# Usage: bench/geoip-reload.sh   Environment: RATE (q/s, default 5000), RELOADS (per part, 4), GAP (s, 3),
#        GEODNS_WORKERS (2), RESULTS_FILE (bench/RESULTS.md; "-" for stdout only).
set -euo pipefail
GEODNS_WORKERS=${GEODNS_WORKERS:-2}
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/servers.sh"

RATE=${RATE:-5000}
RELOADS=${RELOADS:-4}
GAP=${GAP:-3}
PORT=${PORT:-25330}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
LEAD=3 # seconds of steady traffic before the first swap
DURATION=$((LEAD + 2 * RELOADS * GAP + GAP))
DIR=$OUT/geoip-reload
DB=$DIR/GeoLite2-City.mmdb
MMDB_FIXTURES=$ROOT/test/fixtures/mmdb
EMBEDDED=$ROOT/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
ZONE_NAME=geo.example.com

rm -rf "$DIR" && mkdir -p "$DIR"
[[ -f $EMBEDDED ]] || die "no embedded database at $EMBEDDED (npm ci first)"
# The twin of the embedded database: the same tree, another build_epoch (the metadata's last uint64 value).
"$NODE" -e '
  const fs = require("node:fs");
  const bytes = fs.readFileSync(process.argv[1]);
  const key = Buffer.from("build_epoch");
  const at = bytes.lastIndexOf(key) + key.length;
  // control byte 0x02 0x02 (extended uint64, size 8 ... as the writer chose): bump the last byte of the value.
  const size = bytes[at] & 0x1f;
  bytes[at + 2 + size - 1] ^= 1;
  fs.writeFileSync(process.argv[2], bytes);
' "$EMBEDDED" "$DIR/embedded-twin.mmdb"
cp "$EMBEDDED" "$DIR/embedded.mmdb"
cp "$MMDB_FIXTURES/swap-eu.mmdb" "$MMDB_FIXTURES/swap-as.mmdb" "$DIR/"
cp "$DIR/swap-eu.mmdb" "$DB"
{
  for name in www near canary static; do echo "$name.$ZONE_NAME A"; done
  echo "$ZONE_NAME SOA"
} >"$DIR/queries.txt"

# replace SOURCE : geoipupdate's way, a staged copy renamed over the database (on the client's CPU, as dig).
replace() {
  taskset -c "$CLIENT_CPU" cp "$1" "$DIR/.staged"
  mv "$DIR/.staged" "$DB"
}
placement() {
  taskset -c "$CLIENT_CPU" dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 "www.$ZONE_NAME" A 2>/dev/null | sort | tr '\n' ' '
}
swapped_lines() { grep -c '"msg":"GeoIP database swapped in"' "$OUT/geodns-geoip-reload.log" || true; }

start_geodns_with geodns-geoip-reload "$PORT" "$ZONE_NAME" --resources "$ROOT/examples/standalone" --geoip "$DB" ||
  die "geodns did not serve $ZONE_NAME: $OUT/geodns-geoip-reload.log"
GEODNS_PID=$SERVER_PID
EU=$(placement)
log "geodns serves $ZONE_NAME with $GEODNS_WORKERS workers; www from 127.0.0.1 (EU): $EU"

dnsperf_args=(-l "$DURATION" -Q "$RATE" -c 4 -q 200 -S 1)
log "baseline: $DURATION s at $RATE q/s, no swap"
run_dnsperf "$OUT/geoip-reload-baseline.txt" "$PORT" "$DIR/queries.txt" "${dnsperf_args[@]}" || die "dnsperf failed"

log "with swaps: $DURATION s at $RATE q/s, $RELOADS placement swaps then $RELOADS size swaps, $GAP s apart"
start_bg "$OUT/geoip-reload-dnsperf.txt" "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$DIR/queries.txt" "${dnsperf_args[@]}"
DNSPERF_PID=$BG_PID
sleep "$LEAD"
PLACEMENT_MS=()
# examples/standalone: www routes DE to eu-frankfurt, JP to apac-tokyo.
declare -A WANT=([swap-eu]='192.0.2.10 192.0.2.11 ' [swap-as]='203.0.113.10 ')
[[ $EU == "${WANT[swap-eu]}" ]] || die "www from 127.0.0.1 is '$EU', not eu-frankfurt's addresses"
for ((i = 1; i <= RELOADS; i++)); do
  if ((i % 2)); then next=swap-as; else next=swap-eu; fi
  start=$(now_ms)
  replace "$DIR/$next.mmdb"
  deadline=$((SECONDS + 10))
  until [[ $(placement) == "${WANT[$next]}" ]]; do
    ((SECONDS < deadline)) || die "placement unchanged 10 s after swap $i (see $OUT/geodns-geoip-reload.log)"
    sleep 0.01
  done
  PLACEMENT_MS+=($(($(now_ms) - start)))
  log "placement swap $i ($next): answers changed ${PLACEMENT_MS[-1]} ms after the rename"
  sleep "$GAP"
done
SIZE_FROM=$(swapped_lines)
for ((i = 1; i <= RELOADS; i++)); do
  if ((i % 2)); then next=embedded; else next=embedded-twin; fi
  want=$((SIZE_FROM + i))
  start=$(now_ms)
  replace "$DIR/$next.mmdb"
  deadline=$((SECONDS + 10))
  until (($(swapped_lines) >= want)); do
    ((SECONDS < deadline)) || die "size swap $i not logged within 10 s (see $OUT/geodns-geoip-reload.log)"
    sleep 0.01
  done
  log "size swap $i ($next, $(stat -c %s "$DIR/$next.mmdb") bytes): logged $(($(now_ms) - start)) ms after the rename"
  sleep "$GAP"
done
wait "$DNSPERF_PID" || die "dnsperf failed: $OUT/geoip-reload-dnsperf.txt"
stop_pid "$DNSPERF_PID"
RSS_AFTER=$(tree_rss_kib "$GEODNS_PID")
stop_pid "$GEODNS_PID"
SERVER_MS=$(grep '"msg":"GeoIP database swapped in"' "$OUT/geodns-geoip-reload.log" | sed -E 's/.*"ms":([0-9]+).*/\1/' | tr '\n' ' ')
REFUSED=$(grep -c '"msg":"GeoIP database refused' "$OUT/geodns-geoip-reload.log" || true)

row() {
  local label=$1 file=$2 s
  s=($(dnsperf_summary "$file"))
  echo "| $label | ${s[0]} | ${s[1]} | ${s[3]} | ${s[5]} |"
}
{
  echo
  echo "### bench/geoip-reload.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_block
  echo "- command: \`RATE=$RATE RELOADS=$RELOADS GAP=$GAP GEODNS_WORKERS=$GEODNS_WORKERS GEODNS_ENTRY=$GEODNS_ENTRY bench/geoip-reload.sh\`"
  echo "- geodns: \`node $GEODNS_NODE_FLAGS $GEODNS_ENTRY serve --resources examples/standalone --geoip bench/out/geoip-reload/GeoLite2-City.mmdb --workers $GEODNS_WORKERS\`; RSS after the run $((RSS_AFTER / 1024)) MiB"
  echo "- load: \`dnsperf -d bench/out/geoip-reload/queries.txt ${dnsperf_args[*]}\` (www, near, canary, static A and the SOA of $ZONE_NAME)"
  echo "- swap = a staged copy renamed over the --geoip file (as geoipupdate does); the server waits 200 ms for the file to settle"
  echo
  echo "Placement swaps (swap-eu.mmdb ↔ swap-as.mmdb, 1.3 kB), rename → \`dig\` shows the new placement (ms): ${PLACEMENT_MS[*]}"
  echo
  echo "Server's time per swap, from its 'GeoIP database swapped in' lines (ms; read, open and walk, compare, hand to $GEODNS_WORKERS workers, all acknowledged): $SERVER_MS— the first $RELOADS the 1.3 kB databases, the last $RELOADS the $(($(stat -c %s "$EMBEDDED") / 1048576)) MiB embedded country database and its twin. Refused: $REFUSED."
  echo
  echo "Per-second q/s (dnsperf -S 1) with swaps: $(awk -F': ' '/^[0-9]+\.[0-9]+: / { printf "%s%.0f", sep, $2; sep = " " }' "$OUT/geoip-reload-dnsperf.txt")"
  echo
  echo "| dnsperf run | q/s | lost | avg latency ms | max latency ms |"
  echo "|---|---:|---:|---:|---:|"
  row "baseline, no swap" "$OUT/geoip-reload-baseline.txt"
  row "with $((2 * RELOADS)) swaps" "$OUT/geoip-reload-dnsperf.txt"
} >"$OUT/geoip-reload-report.md"
cat "$OUT/geoip-reload-report.md"
[[ $RESULTS_FILE == - ]] || { cat "$OUT/geoip-reload-report.md" >>"$RESULTS_FILE"; log "appended to $RESULTS_FILE"; }
