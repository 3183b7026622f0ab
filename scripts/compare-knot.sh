#!/usr/bin/env bash
# Serves the same zone from geodns and from Knot (knotd, foreground, loopback, high ports) and compares their
# answers to a battery of edge-case queries (scripts/compare-knot-cases.ts). Prints a markdown table.
# Needs knotd (apt-get install knot); run from the repository root: scripts/compare-knot.sh [RESOURCES_DIR]
# The table in docs/conformance.md comes from this script. DNSSEC_KEYS=DIR serves geodns with --dnssec-keys DIR
# (docs/dnssec.md): every row without the DO bit must stay as it is.
set -euo pipefail

RESOURCES=${1:-examples/standalone}
KNOT_PORT=${KNOT_PORT:-15301}
GEODNS_PORT=${GEODNS_PORT:-15302}
WORK=$(mktemp -d /tmp/compare-knot.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v knotd >/dev/null || { echo "knotd not found (apt-get install knot)" >&2; exit 1; }

# The example zone plus a few records the edge cases need: a CNAME chain, a CNAME out of the zone, a CNAME loop,
# and a TXT rrset too large for 512 bytes.
mkdir -p "$WORK/resources"
cp -r "$RESOURCES"/. "$WORK/resources/"
big_values=$(for i in $(seq 1 12); do printf "'%s', " "$(printf 'x%.0s' $(seq 1 60))-$i"; done)
awk -v big="[${big_values%, }]" '
  { print }
  /^  records:$/ && !done {
    print "    - { name: alias, type: CNAME, values: [docs.geo.example.com.] }"
    print "    - { name: ext, type: CNAME, values: [www.example.net.] }"
    print "    - { name: loop1, type: CNAME, values: [loop2.geo.example.com.] }"
    print "    - { name: loop2, type: CNAME, values: [loop1.geo.example.com.] }"
    print "    - { name: deep.ent, type: A, values: [192.0.2.77] }"
    print "    - { name: deleg-alias, type: CNAME, values: [host.lab.geo.example.com.] }"
    print "    - { name: \"*.wild\", type: A, values: [192.0.2.88] }"
    print "    - { name: \"*.wild\", type: TXT, values: [wildcard] }"
    print "    - { name: exists.wild, type: AAAA, values: [\"2001:db8::88\"] }"
    print "    - { name: \"*.wcname\", type: CNAME, values: [mail.geo.example.com.] }"
    print "    - { name: mxlab, type: MX, values: [\"10 ns1.lab.geo.example.com.\"] }"
    ns = ""
    for (i = 1; i <= 10; i++) {
      ns = ns (i > 1 ? ", " : "") "a-long-name-server-label-" i ".wide.geo.example.com."
      print "    - { name: a-long-name-server-label-" i ".wide, type: A, values: [192.0.2." (100 + i) "] }"
      print "    - { name: a-long-name-server-label-" i ".wide, type: AAAA, values: [\"2001:db8::" (100 + i) "\"] }"
    }
    print "    - { name: wide, type: NS, values: [" ns "] }"
    print "    - { name: big, type: TXT, values: " big " }"
    done = 1
  }' "$RESOURCES/zone.yaml" >"$WORK/resources/zone.yaml"

node cli/geodns.ts compile --out-dir "$WORK/compiled" "$WORK/resources" >/dev/null 2>"$WORK/compile.log" || { cat "$WORK/compile.log" >&2; exit 1; }
APEX=$(node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1]+"/"+require("fs").readdirSync(process.argv[1]).find(f=>f.endsWith(".json"))));console.log(d.zone)' "$WORK/compiled")
node scripts/export-zonefile.ts "$WORK/compiled/$APEX.json" >"$WORK/zone.db"

mkdir -p "$WORK/knot"
cat >"$WORK/knot/knot.conf" <<CONF
server:
    rundir: "$WORK/knot"
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: stderr
    any: warning
database:
    storage: "$WORK/knot"
template:
  - id: default
    storage: "$WORK"
    semantic-checks: off
    # DNS Cookies (RFC 7873), as geodns serves them.
    global-module: mod-cookies
zone:
  - domain: $APEX
    file: "zone.db"
CONF
knotd -c "$WORK/knot/knot.conf" 2>"$WORK/knot.log" &
PIDS+=($!)
node cli/geodns.ts serve --config "$WORK/compiled" --listen "127.0.0.1:$GEODNS_PORT" --metrics off --workers 1 \
  ${DNSSEC_KEYS:+--dnssec-keys "$DNSSEC_KEYS"} --log-level warn 2>"$WORK/geodns.log" &
PIDS+=($!)

for _ in $(seq 1 50); do
  if kdig @127.0.0.1 -p "$KNOT_PORT" +time=1 +tries=1 "$APEX" SOA >/dev/null 2>&1 &&
    kdig @127.0.0.1 -p "$GEODNS_PORT" +time=1 +tries=1 "$APEX" SOA 2>/dev/null | grep -q 'status: NOERROR'; then
    break
  fi
  sleep 0.2
done

node scripts/compare-knot-cases.ts "$APEX" "$KNOT_PORT" "$GEODNS_PORT"

# The same kind of check with the stock tools: dig and kdig output, minus what differs per run (ids, times,
# cookies, serial-free noise), diffed between the two servers.
normalize() {
  # Knot's mod-cookies answers BADCOOKIE to a query without a valid server cookie first; dig retries.
  grep -v -E '^;; (Query time|SERVER|WHEN|MSG SIZE|Received|Time|From|BADCOOKIE)|^;; ->>HEADER|^$|^; <<>>|^;; global|^;; Got answer' |
    sed -E 's/id: [0-9]+/id: N/; s/COOKIE: [0-9a-f]+( \(good\)| \(bad\))?/COOKIE: X/; s/[[:space:]]+[0-9]+[[:space:]]+IN/ TTL IN/' |
    sed -E 's/^;; ->>HEADER<<- opcode: ([A-Z0-9]+), status: ([A-Z0-9]+).*/\1 \2/' | sort
}
dig_cases=(
  "dig +norec $APEX NS"
  "dig +norec +dnssec $APEX SOA"
  "dig +norec nope.$APEX A"
  "dig +norec host.lab.$APEX A"
  "dig +norec lab.$APEX DS"
  "dig +norec deleg-alias.$APEX A"
  "dig +norec $APEX ANY"
  "dig +norec mail.$APEX TYPE65280"
  "dig +norec +edns=1 mail.$APEX A"
  "dig +norec +noedns mail.$APEX A"
  "dig +norec +bufsize=512 big.$APEX TXT +ignore"
  "dig +norec +tcp big.$APEX TXT"
  "dig +norec +opcode=status mail.$APEX"
  "dig +norec +header-only mail.$APEX"
  "dig +norec -c CH mail.$APEX"
  "dig +norec example.org A"
  "kdig +norec +nsid mail.$APEX A"
  "kdig +norec +cd mail.$APEX A"
  "kdig +norec +ednsopt=65001:abcd mail.$APEX A"
  "kdig +norec +tcp +keepopen mail.$APEX A nope.$APEX A"
)
echo
echo '| dig/kdig command | verdict |'
echo '|---|---|'
for cmd in "${dig_cases[@]}"; do
  read -r tool args <<<"$cmd"
  # shellcheck disable=SC2086
  if [ "$tool" = kdig ]; then limits="+time=2 +retry=0"; else limits="+time=2 +tries=1"; fi
  # shellcheck disable=SC2086
  knot=$($tool @127.0.0.1 -p "$KNOT_PORT" $limits $args 2>&1 | normalize || true)
  # shellcheck disable=SC2086
  geodns=$($tool @127.0.0.1 -p "$GEODNS_PORT" $limits $args 2>&1 | normalize || true)
  if [ "$knot" = "$geodns" ]; then
    echo "| \`$cmd\` | same |"
  else
    echo "| \`$cmd\` | differs |"
    echo "  $cmd (< knot, > geodns)" >&2
    diff <(echo "$knot") <(echo "$geodns") | sed 's/^/    /' >&2 || true
  fi
done
