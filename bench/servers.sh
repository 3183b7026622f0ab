# The servers under comparison (sourced by run.sh). Each start_<name> PORT starts one server pinned to
# SERVER_CPU, waits until it answers, and sets SERVER_PID and SERVER_CMD (the command, for the record);
# it returns 1 if the server cannot run here.
# shellcheck shell=bash

SERVERS_ALL=(floor gdnsd pdns geodns)
# geodns with response rate limiting, for A/B runs against plain geodns (bench/run.sh geodns geodns-rrl-exempt
# geodns-rrl-under); not in the default set. exempt: the benchmark's client network is exempt; under: every
# response goes through the buckets, at a rate (per bucket) the benchmark never reaches.
SERVERS_VARIANTS=(geodns-rrl-exempt geodns-rrl-under geodns-native geodns-dgram geodns-native-w2 geodns-dgram-w2
  floor-native geodns-base geodns-native-no-reply-cache geodns-native-big-reply-cache)
# geodns on each UDP path (--udp-io, issue 24): bench/run.sh floor gdnsd pdns geodns-native geodns-dgram; the -w2
# variants run --workers 2 on both CPUs (SERVER_CPU and CLIENT_CPU, so sharing the client's), for scaling. The
# native path without its reply cache (every query through the handler) and with one larger than the benchmark's
# distinct queries (no set of the cache overflows).

start_floor() {
  SERVER_CMD="$NODE bench/floor-server.ts --listen 127.0.0.1:$1"
  start_bg "$OUT/floor.log" "$SERVER_CPU" "$NODE" "$BENCH_DIR/floor-server.ts" --listen "127.0.0.1:$1"
  SERVER_PID=$BG_PID
  wait_answer "$1" "www.$ZONE" A 198.51.100.21 "$SERVER_PID"
}

# The floor through the native UDP path (bench/floor-server.ts --udp-io native): the batched I/O alone.
start_floor-native() {
  SERVER_CMD="$NODE bench/floor-server.ts --listen 127.0.0.1:$1 --udp-io native"
  start_bg "$OUT/floor-native.log" "$SERVER_CPU" "$NODE" "$BENCH_DIR/floor-server.ts" --listen "127.0.0.1:$1" --udp-io native
  SERVER_PID=$BG_PID
  wait_answer "$1" "www.$ZONE" A 198.51.100.21 "$SERVER_PID"
}

start_gdnsd() {
  local dir=$OUT/gdnsd
  rm -rf "$dir" && mkdir -p "$dir/zones"
  render "$FIXTURES/gdnsd/config.template" "$dir/config" "$1" "$dir"
  cp "$FIXTURES/gdnsd/zones/"* "$dir/zones/"
  SERVER_CMD="gdnsd -c bench/out/gdnsd start   # config from bench/fixtures/gdnsd, udp_threads 1"
  start_bg "$OUT/gdnsd.log" "$SERVER_CPU" gdnsd -c "$dir" start
  SERVER_PID=$BG_PID
  wait_answer "$1" "static.$ZONE" A 192.0.2.100 "$SERVER_PID"
}

start_pdns() {
  local dir=$OUT/pdns
  rm -rf "$dir" && mkdir -p "$dir"
  render "$FIXTURES/pdns/pdns.conf.template" "$dir/pdns.conf" "$1" "$dir"
  SERVER_CMD="pdns_server --config-dir=bench/out/pdns   # from bench/fixtures/pdns: launch=geoip, daemon=no, guardian=no, disable-syslog, 1 receiver + 1 distributor thread"
  start_bg "$OUT/pdns.log" "$SERVER_CPU" pdns_server --config-dir="$dir"
  SERVER_PID=$BG_PID
  wait_answer "$1" "static.$ZONE" A 192.0.2.100 "$SERVER_PID"
}

# start_geodns PORT [SERVE_ARGS...] : the bench zone, with any further `geodns serve` options.
start_geodns() {
  geodns_ready || { log "geodns: 'node $GEODNS_ENTRY serve --help' fails in $ROOT: geodns is pending"; return 1; }
  local port=$1
  shift
  local args=(serve --resources "$FIXTURES/geodns" --listen "127.0.0.1:$port" --workers "$GEODNS_WORKERS" --geoip "$MMDB"
    --metrics "127.0.0.1:$((port + 100))" "$@")
  SERVER_CMD="node $GEODNS_NODE_FLAGS $GEODNS_ENTRY serve --resources bench/fixtures/geodns --listen 127.0.0.1:$port --workers $GEODNS_WORKERS --geoip bench/fixtures/bench-geo.mmdb --metrics 127.0.0.1:$((port + 100))${*:+ $*}"
  [[ $SERVER_CPU == *,* ]] && SERVER_CMD+="   # pinned to CPUs $SERVER_CPU"
  # shellcheck disable=SC2086 # GEODNS_NODE_FLAGS is a list of flags
  start_bg "$OUT/geodns.log" "$SERVER_CPU" "$NODE" $GEODNS_NODE_FLAGS "$ROOT/$GEODNS_ENTRY" "${args[@]}"
  SERVER_PID=$BG_PID
  wait_answer "$port" "static.$ZONE" A 192.0.2.100 "$SERVER_PID"
}

start_geodns-rrl-exempt() { start_geodns "$1" --rrl-rate 100 --rrl-exempt 127.0.0.0/8; }
start_geodns-rrl-under() { start_geodns "$1" --rrl-rate 1000000; }
start_geodns-native() { start_geodns "$1" --udp-io native; }
start_geodns-native-no-reply-cache() { start_geodns "$1" --udp-io native --reply-cache 0; }
start_geodns-native-big-reply-cache() { start_geodns "$1" --udp-io native --reply-cache 262144; }
start_geodns-dgram() { start_geodns "$1" --udp-io dgram; }
start_geodns-native-w2() { GEODNS_WORKERS=2 SERVER_CPU=$SERVER_CPU,$CLIENT_CPU start_geodns "$1" --udp-io native; }
start_geodns-dgram-w2() { GEODNS_WORKERS=2 SERVER_CPU=$SERVER_CPU,$CLIENT_CPU start_geodns "$1" --udp-io dgram; }

# geodns from another checkout, for a change measured side by side with the commit before it in one run:
# `git worktree add ../base COMMIT`, then GEODNS_BASE=../base bench/run.sh floor geodns-base geodns. The same
# fixtures and Node; GEODNS_ENTRY is built there as here.
GEODNS_BASE_BUILT=
start_geodns-base() {
  [[ -n ${GEODNS_BASE:-} ]] || { log "geodns-base: set GEODNS_BASE to the checkout to compare with"; return 1; }
  local base
  base=$(cd "$GEODNS_BASE" && pwd) || return 1
  if [[ $GEODNS_ENTRY == dist/* && -z $GEODNS_BASE_BUILT ]]; then
    (cd "$base" && PATH="$(dirname "$NODE"):$PATH" npm run --silent build >&2) || return 1
    GEODNS_BASE_BUILT=1
  fi
  ROOT=$base GEODNS_BUILT=1 start_geodns "$1" || return 1
  SERVER_CMD+="   # in $base ($(git -C "$base" rev-parse --short HEAD))"
}

# check_geo PORT : the answers each server must agree on (ECS for US, DE, JP clients and the static record).
check_geo() {
  local port=$1 got
  got=$(
    dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 "www.$ZONE" A +subnet=3.1.2.0/24 | sort | head -1
    dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 "www.$ZONE" A +subnet=5.1.2.0/24 | sort | head -1
    dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 "www.$ZONE" A +subnet=43.1.2.0/24 | sort | head -1
    dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 "www.$ZONE" A | sort | head -1
  )
  echo "$got" | tr '\n' ' '
}
GEO_EXPECTED='192.0.2.11 198.51.100.21 203.0.113.31 198.51.100.21 '

# start_geodns_with LOGNAME PORT ZONE SERVE_ARGS... : `geodns serve SERVE_ARGS --listen 127.0.0.1:PORT --workers N`
# (metrics on 127.0.0.1:PORT+100, so nothing listens beyond loopback)
# pinned to SERVER_CPU; waits until ZONE's SOA is served; sets SERVER_PID and READY_MS (start to first answer).
start_geodns_with() {
  local logname=$1 port=$2 zone=$3 t0
  shift 3
  geodns_ready || { log "geodns: 'node $GEODNS_ENTRY serve --help' fails in $ROOT: geodns is pending"; return 1; }
  t0=$(now_ms)
  # shellcheck disable=SC2086 # GEODNS_NODE_FLAGS is a list of flags
  start_bg "$OUT/$logname.log" "$SERVER_CPU" "$NODE" $GEODNS_NODE_FLAGS "$ROOT/$GEODNS_ENTRY" serve "$@" --listen "127.0.0.1:$port" --workers "$GEODNS_WORKERS" \
    --metrics "127.0.0.1:$((port + 100))"
  SERVER_PID=$BG_PID
  wait_soa "$port" "$zone" "" "$SERVER_PID" || return 1
  READY_MS=$(($(now_ms) - t0))
}
