#!/usr/bin/env bash
# Peak queries/s of floor (bare Node dgram), gdnsd, PowerDNS geoip and geodns, with and without ECS, in one run,
# then each server at half its own peak rate (dnsperf -Q) to show whether it loses queries below saturation.
# Usage: bench/run.sh [server...]        (default: floor gdnsd pdns geodns; also geodns-rrl-exempt, geodns-rrl-under:
#                                        geodns with response rate limiting; geodns-base: geodns from the checkout
#                                        GEODNS_BASE, for a side-by-side A/B; see servers.sh)
# Environment: DURATION (s, default 10), ROUNDS (default 3), CLIENTS (dnsperf -c, 4), OUTSTANDING (-q, 200),
#              WARMUP (s, 2), BASE_PORT (25300), RESULTS_FILE (bench/RESULTS.md; "-" for stdout only),
#              QUERIES ("plain ecs", or one of them), HALF (1: also run each server at half its peak; 0: skip).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/servers.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-200}
WARMUP=${WARMUP:-2}
BASE_PORT=${BASE_PORT:-25300}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
SERVERS=("$@")
((${#SERVERS[@]})) || SERVERS=("${SERVERS_ALL[@]}")

read -r -a QUERY_FILES <<<"${QUERIES:-plain ecs}"
HALF=${HALF:-1}
query_path() { [[ $1 == plain ]] && echo "$OUT/queries-plain.txt" || echo "$OUT/queries-ecs.bin"; }
port_of() {
  local i known=("${SERVERS_ALL[@]}" "${SERVERS_VARIANTS[@]}")
  for i in "${!known[@]}"; do [[ ${known[$i]} == "$1" ]] && echo $((BASE_PORT + 1 + i)); done
}
for s in "${SERVERS[@]}"; do [[ -n $(port_of "$s") ]] || die "unknown server '$s'"; done

"$NODE" "$BENCH_DIR/make-queries.ts" "$OUT" >&2
RAW=$OUT/run-raw.tsv
: >"$RAW"
declare -A COMMANDS=() SKIPPED=()
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# measure SERVER FILE ROUND PORT PID [extra dnsperf options] : one dnsperf run, one line appended to $RAW.
measure() {
  local server=$1 file=$2 round=$3 port=$4 pid=$5
  shift 5
  local result="$OUT/dnsperf-$server-$file-$round.txt" t0 t1 summary cpu_pct
  t0=$(tree_cpu_ticks "$pid")
  run_dnsperf "$result" "$port" "$(query_path "$file")" -l "$DURATION" -c "$CLIENTS" -q "$OUTSTANDING" "$@" ||
    die "dnsperf failed against $server: see $result"
  t1=$(tree_cpu_ticks "$pid")
  summary=$(dnsperf_summary "$result") || die "cannot parse $result"
  cpu_pct=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v s="$DURATION" 'BEGIN { printf "%.0f", d / hz / s * 100 }')
  printf '%s\t%s\t%s\t%s\t%s\n' "$server" "$file" "$round" "$cpu_pct" "${summary// /$'\t'}" >>"$RAW"
  # Half-rate runs are verbose (-v: one line per answer with its latency): their percentiles, one line in $PCT.
  if [[ $round == half ]]; then
    printf '%s\t%s\t%s\n' "$server" "$file" "$(latency_percentiles "$result")" >>"$OUT/run-percentiles.tsv"
  fi
  log "$server $file round $round: $(echo "$summary" | awk '{ print $1 " q/s, lost " $2 ", avg " $4 " ms" }'), server CPU $cpu_pct%"
}

# with_server SERVER BODY... : start SERVER, run BODY with PORT and PID set, stop it. Returns 1 if it cannot run.
with_server() {
  local server=$1 port
  shift
  port=$(port_of "$server")
  SERVER_PID=
  if ! "start_$server" "$port"; then
    [[ -n ${SERVER_PID:-} ]] && stop_pid "$SERVER_PID"
    SKIPPED[$server]=1
    log "$server: not started (see $OUT/$server.log)"
    return 1
  fi
  COMMANDS[$server]=$SERVER_CMD
  if [[ $server != floor* ]]; then
    local got
    got=$(check_geo "$port")
    [[ $got == "$GEO_EXPECTED" ]] || log "warning: $server answers '$got', expected '$GEO_EXPECTED' (US, DE, JP, loopback)"
  fi
  taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -d "$OUT/queries-plain.txt" -l "$WARMUP" \
    -c "$CLIENTS" -q "$OUTSTANDING" >/dev/null 2>&1 || true
  PORT=$port PID=$SERVER_PID "$@"
  stop_pid "$SERVER_PID"
  SERVER_PID=
}

peak_round() {
  local file
  for file in "${QUERY_FILES[@]}"; do measure "$CURRENT" "$file" "$ROUND" "$PORT" "$PID"; done
}

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  for CURRENT in "${SERVERS[@]}"; do
    [[ -n ${SKIPPED[$CURRENT]:-} ]] && continue
    with_server "$CURRENT" peak_round || true
  done
done

# values SERVER FILE COLUMN : one peak-round column of $RAW (4 = CPU %, 5 = q/s, 6 = lost, 8 = avg ms), one per line.
values() { awk -F'\t' -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f && $3 != "half" { print $c }' "$RAW"; }
# median_of : the median of the numbers on stdin (empty if none).
median_of() { sort -g | awk '{ v[n++] = $1 } END { if (n) print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }
median() { values "$@" | median_of; }
all_rounds() { values "$1" "$2" 5 | paste -sd, - | sed 's/,/, /g'; }
# q/s per server CPU-second: how much work one core does, which survives CPU contention from other processes.
efficiency() {
  awk -F'\t' -v s="$1" -v f="$2" '$1 == s && $2 == f && $3 != "half" && $4 > 0 { printf "%.0f\n", $5 / ($4 / 100) }' "$RAW" |
    median_of
}

half_round() {
  local file rate
  for file in "${QUERY_FILES[@]}"; do
    rate=$(awk -v q="$(median "$CURRENT" "$file" 5)" 'BEGIN { printf "%d", q / 2 }')
    ((rate > 0)) || continue
    measure "$CURRENT" "$file" half "$PORT" "$PID" -Q "$rate" -v
    printf '%s\t%s\t%s\n' "$CURRENT" "$file" "$rate" >>"$OUT/run-half-rates.tsv"
  done
}
: >"$OUT/run-half-rates.tsv"
: >"$OUT/run-percentiles.tsv"
for CURRENT in "${SERVERS[@]}"; do
  ((HALF)) || break
  [[ -n ${SKIPPED[$CURRENT]:-} ]] && continue
  with_server "$CURRENT" half_round || true
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the results block -------------------------------------------------------------------------------------------
label() { [[ $1 == plain ]] && echo "no ECS" || echo "ECS"; }
# ran SERVER : whether SERVER was measured in this run.
ran() { [[ " ${SERVERS[*]} " == *" $1 "* && -z ${SKIPPED[$1]:-} ]]; }
report() {
  local s f
  echo
  echo "### bench/run.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_block
  echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER"
  echo "- command: \`QUERIES='${QUERY_FILES[*]}' HALF=$HALF DURATION=$DURATION ROUNDS=$ROUNDS CLIENTS=$CLIENTS OUTSTANDING=$OUTSTANDING bench/run.sh ${SERVERS[*]}\`"
  echo "- dnsperf: \`taskset -c $CLIENT_CPU dnsperf -s 127.0.0.1 -p PORT -d bench/out/queries-plain.txt -l $DURATION -c $CLIENTS -q $OUTSTANDING\`" \
    "(no ECS: www/static 3:1, no EDNS); ECS: \`-B -d bench/out/queries-ecs.bin\` (same mix, EDNS + ECS /24 or /56 spread over bench/fixtures/networks.tsv)"
  echo "- servers (each started with \`taskset -c $SERVER_CPU\`, ${WARMUP} s warm-up, then one run per query file; $ROUNDS rounds interleaved):"
  for s in "${SERVERS[@]}"; do
    if [[ -n ${SKIPPED[$s]:-} ]]; then echo "  - $s: not run (see bench/out/$s.log)"; else echo "  - $s: \`${COMMANDS[$s]}\`"; fi
  done
  echo
  echo "| server | queries | q/s (median) | q/s per round | lost (median) | avg latency ms | server CPU % | q/s per server CPU-s |"
  echo "|---|---|---:|---|---:|---:|---:|---:|"
  for s in "${SERVERS[@]}"; do
    [[ -n ${SKIPPED[$s]:-} ]] && continue
    for f in "${QUERY_FILES[@]}"; do
      echo "| $s | $(label "$f") | $(median "$s" "$f" 5) | $(all_rounds "$s" "$f") | $(median "$s" "$f" 6) | $(median "$s" "$f" 8) | $(median "$s" "$f" 4) | $(efficiency "$s" "$f") |"
    done
  done
  echo
  echo "Ratios of median peak q/s (in brackets: of q/s per server CPU-second):"
  echo
  echo "| ratio | no ECS | ECS |"
  echo "|---|---:|---:|"
  local pair a b
  for pair in geodns/gdnsd geodns/floor floor/gdnsd geodns/pdns geodns-native/geodns-dgram geodns-native/gdnsd \
    geodns-native/floor geodns-native/pdns geodns-dgram/gdnsd geodns-dgram/floor geodns-native-w2/geodns-native \
    geodns-dgram-w2/geodns-dgram geodns-native/floor-native floor-native/gdnsd; do
    a=${pair%/*} b=${pair#*/}
    ran "$a" && ran "$b" || continue
    echo "| $pair | $(ratio "$(median "$a" plain 5)" "$(median "$b" plain 5)") ($(ratio "$(efficiency "$a" plain)" "$(efficiency "$b" plain)")) | $(ratio "$(median "$a" ecs 5)" "$(median "$b" ecs 5)") ($(ratio "$(efficiency "$a" ecs)" "$(efficiency "$b" ecs)")) |"
  done
  # Rate limiting and base-checkout A/B: three decimals, since the question is whether it costs a few percent.
  for pair in geodns-rrl-exempt/geodns geodns-rrl-under/geodns geodns/geodns-base geodns-base/floor; do
    a=${pair%/*} b=${pair#*/}
    ran "$a" && ran "$b" || continue
    echo "| $pair | $(ratio3 "$(median "$a" plain 5)" "$(median "$b" plain 5)") ($(ratio3 "$(efficiency "$a" plain)" "$(efficiency "$b" plain)")) | $(ratio3 "$(median "$a" ecs 5)" "$(median "$b" ecs 5)") ($(ratio3 "$(efficiency "$a" ecs)" "$(efficiency "$b" ecs)")) |"
  done
  echo
  echo "At half of each server's own median peak (dnsperf \`-Q RATE\`, same duration):"
  echo
  echo "| server | queries | -Q | q/s | lost | avg latency ms | p50 / p90 / p99 / p99.9 ms | max latency ms | server CPU % |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  while IFS=$'\t' read -r s f rate; do
    local pct
    pct=$(awk -F'\t' -v s="$s" -v f="$f" '$1 == s && $2 == f { print $3 }' "$OUT/run-percentiles.tsv")
    awk -F'\t' -v s="$s" -v f="$f" -v r="$rate" -v l="$(label "$f")" -v p="$pct" '$1 == s && $2 == f && $3 == "half" {
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, l, r, $5, $6, $8, p, $10, $4 }' "$RAW"
  done <"$OUT/run-half-rates.tsv"
  [[ -n ${SKIPPED[geodns]:-} ]] && { echo; echo "geodns: pending (\`node cli/geodns.ts serve\` not runnable in this checkout); ratios with geodns are n/a."; }
  return 0
}

report >"$OUT/run-report.md"
cat "$OUT/run-report.md"
if [[ $RESULTS_FILE != - ]]; then
  cat "$OUT/run-report.md" >>"$RESULTS_FILE"
  log "appended to $RESULTS_FILE"
fi
