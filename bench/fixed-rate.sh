#!/usr/bin/env bash
# Server CPU per query of geodns and geodns-base (the checkout GEODNS_BASE, see servers.sh) at one offered rate
# below both peaks (dnsperf -Q RATE): the clients' pace and the batching of the UDP path are then the same for
# both, so the CPU per query compares the code, where peak runs (run.sh) also compare how much CPU the neighbours
# left. Prints one line per server, query file and round, then the load average.
# Usage: GEODNS_BASE=../base bench/fixed-rate.sh [SERVER...]   servers of servers.sh (default: geodns-base geodns;
#        e.g. geodns-base geodns-native gdnsd for the native path against its base and gdnsd at the same rate)
#        Environment: RATE (q/s, 30000), ROUNDS (4), DURATION (s, 10), NICE, SERVER_CPU, CLIENT_CPU, NODE as run.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/servers.sh"
SERVERS=("$@")
((${#SERVERS[@]})) || SERVERS=(geodns-base geodns)
RATE=${RATE:-30000}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-10}

"$NODE" "$BENCH_DIR/make-queries.ts" "$OUT" >&2
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!SERVERS[@]}"; do
    server=${SERVERS[$i]}
    port=$((25351 + i))
    "start_$server" "$port" >&2 || die "$server cannot run here"
    sleep 2
    for file in plain ecs; do
      data=$OUT/queries-plain.txt
      [[ $file == ecs ]] && data=$OUT/queries-ecs.bin
      t0=$(tree_cpu_ticks "$SERVER_PID")
      run_dnsperf "$OUT/fixed-$server-$file.txt" "$port" "$data" -l "$DURATION" -c 4 -q 200 -Q "$RATE" ||
        die "dnsperf failed against $server"
      t1=$(tree_cpu_ticks "$SERVER_PID")
      read -r qps lost _ <<<"$(dnsperf_summary "$OUT/fixed-$server-$file.txt")"
      awk -v s="$server" -v f="$file" -v r="$round" -v q="$qps" -v l="$lost" -v d=$((t1 - t0)) -v hz="$CLK_TCK" \
        -v t="$DURATION" 'BEGIN { printf "round %s\t%s\t%s\t%d q/s\tlost %d\tserver CPU %.0f%%\t%.2f us CPU/query\n",
          r, s, f, q, l, d / hz / t * 100, d / hz / (q * t) * 1e6 }'
    done
    stop_pid "$SERVER_PID"
  done
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
