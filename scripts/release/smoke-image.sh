#!/usr/bin/env bash
# Runs a built image the way the cluster does (UID 65532, read-only root, no capabilities) and checks that it works:
# `geodns operator --help` through the ENTRYPOINT, `geodns` on PATH (what `kubectl exec POD -- geodns route` uses),
# the batched UDP addon loading on the image's architecture, and `geodns serve` answering a DNS query from
# examples/standalone. The release workflow (.github/workflows/release.yaml) runs it on each architecture before it
# pushes anything; run it on an image you built yourself too. Needs Docker and dig.
#   bash scripts/release/smoke-image.sh IMAGE [PLATFORM]      (PLATFORM: linux/amd64, linux/arm64; default: the host's)
set -euo pipefail

if (($# < 1 || $# > 2)); then
  echo "usage: bash scripts/release/smoke-image.sh IMAGE [PLATFORM]" >&2
  exit 2
fi
image=$1 platform=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
for tool in docker dig; do
  command -v "$tool" >/dev/null || {
    echo "smoke: $tool is not on PATH" >&2
    exit 1
  }
done
fail() {
  echo "smoke: $image${platform:+ ($platform)}: $*" >&2
  exit 1
}

run=(docker run --rm --read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges)
[[ -z $platform ]] || run+=(--platform "$platform")

usage=$("${run[@]}" "$image" operator --help) || fail "geodns operator --help failed"
[[ $usage == "Usage: geodns operator"* ]] || fail "geodns operator --help printed: ${usage:0:200}"
usage=$("${run[@]}" --entrypoint geodns "$image" route --help) || fail "geodns is not on the image's PATH"
[[ $usage == "Usage: geodns route"* ]] || fail "geodns route --help printed: ${usage:0:200}"
# dlopen refuses an addon built for another architecture, or none.
"${run[@]}" --entrypoint node "$image" -e \
  "process.dlopen({ exports: {} }, '/app/build/geodns_udp.node'); console.log('addon: ' + process.arch)" ||
  fail "the batched UDP addon does not load"

name="geodns-smoke-$$"
start=(docker run -d --name "$name" --read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges
  -p 127.0.0.1::5353/udp -v "$root/examples/standalone:/resources:ro")
[[ -z $platform ]] || start+=(--platform "$platform")
"${start[@]}" "$image" serve --resources /resources --listen 0.0.0.0:5353 --workers 1 >/dev/null
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
port=$(docker port "$name" 5353/udp | head -n1)
port=${port##*:}
answer=
# Under emulation (another architecture's image) the start takes a while; bounded to about two minutes.
for _ in $(seq 60); do
  answer=$(dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 mail.geo.example.com A || true)
  [[ -z $answer ]] || break
  [[ $(docker inspect -f '{{.State.Running}}' "$name") == true ]] || break
  sleep 2
done
if [[ $answer != 192.0.2.25 ]]; then
  docker logs "$name" >&2 || true
  fail "geodns serve answered '${answer}' for mail.geo.example.com A, not 192.0.2.25 (examples/standalone/zone.yaml)"
fi
echo "smoke: $image${platform:+ ($platform)}: operator, PATH, addon and serve work"
