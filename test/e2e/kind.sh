#!/usr/bin/env bash
# End-to-end on a kind cluster, for a machine with Docker (not run by npm test: no Docker engine in CI here).
#
#   test/e2e/kind.sh            create a cluster, build and load the image, install the chart, apply
#                               examples/cluster exactly as it is (its demo backend included), check routed
#                               answers through the Service and from a pod, fail over, delete a GeoEndpoint,
#                               delete the cluster
#
# Needs docker (with a running engine), kind (>= 0.20), helm (3.x), kubectl and dig. Settings (environment):
#   KIND_CLUSTER=geodns-e2e   the cluster's name (it must not exist yet)
#   IMAGE=kube-geodns:e2e     the image built from this checkout and loaded into the cluster
#   DNS_PORT=30053            the host port (127.0.0.1) mapped to the DNS Service's node port, UDP and TCP
#   FAILOVER_LIMIT=60         seconds the failover may take before the run fails
#   KEEP_CLUSTER=1            keep the cluster afterwards (to look around); default: delete it
# Exit status: 0 when every check passed, 1 when one failed, 2 when a tool is missing (nothing was run).
set -euo pipefail

CLUSTER=${KIND_CLUSTER:-geodns-e2e}
IMAGE=${IMAGE:-kube-geodns:e2e}
DNS_PORT=${DNS_PORT:-30053}
FAILOVER_LIMIT=${FAILOVER_LIMIT:-60}
KEEP_CLUSTER=${KEEP_CLUSTER:-0}
NS=geodns-system
RELEASE=geodns
NODE_PORT=30053 # the node port examples/helm/kind.yaml gives the DNS Service
ZONE=geo.example.com
DIG_IMAGE=registry.k8s.io/e2e-test-images/agnhost:2.57 # has dig; --command runs it, not agnhost

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

missing=()
for tool in docker kind helm kubectl dig; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  printf 'test/e2e/kind.sh needs docker, kind, helm, kubectl and dig; not found on PATH: %s\n' "${missing[*]}" >&2
  printf 'Nothing was run: this is not a pass.\n' >&2
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  printf 'test/e2e/kind.sh: docker is installed but its engine does not answer (docker info failed).\n' >&2
  printf 'Nothing was run: this is not a pass.\n' >&2
  exit 2
fi
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  printf 'test/e2e/kind.sh: a kind cluster named %s exists; delete it (kind delete cluster --name %s) or set KIND_CLUSTER.\n' \
    "$CLUSTER" "$CLUSTER" >&2
  exit 2
fi

workdir=$(mktemp -d)
kubeconfig="$workdir/kubeconfig"
created=0

diagnose() {
  log "diagnostics"
  kubectl get pods -A -o wide || true
  kubectl get gz,ge,hp -A || true
  kubectl -n "$NS" get configmaps || true
  kubectl -n "$NS" logs -l app.kubernetes.io/component=operator --tail=50 --prefix || true
  kubectl -n "$NS" logs -l app.kubernetes.io/component=dns --tail=50 --prefix || true
}

cleanup() {
  local status=$?
  if ((status != 0 && created == 1)); then diagnose; fi
  if ((created == 1)); then
    if [[ $KEEP_CLUSTER == 1 ]]; then
      log "keeping cluster $CLUSTER (KUBECONFIG=$kubeconfig); delete it with: kind delete cluster --name $CLUSTER"
    else
      log "deleting cluster $CLUSTER"
      kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
      rm -rf "$workdir"
    fi
  else
    rm -rf "$workdir"
  fi
  if ((status == 0)); then log "PASS"; fi
  exit "$status"
}
trap cleanup EXIT

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every second until it succeeds, fails after SECONDS.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "timed out after ${limit}s waiting for $what"
    sleep 1
  done
}

# ask NAME TYPE [dig options...]: the answer's data through the Service's node port, one line per record.
ask() {
  dig @127.0.0.1 -p "$DNS_PORT" +short +norecurse +tries=1 +time=2 "$@"
}
answers() {
  local want=$1
  shift
  [[ "$(ask "$@")" == "$want" ]]
}
status_is() {
  local want=$1
  shift
  dig @127.0.0.1 -p "$DNS_PORT" +norecurse +tries=1 +time=2 "$@" | grep -q "status: $want"
}
cluster_ip() {
  kubectl -n web get service "$1" -o jsonpath='{.spec.clusterIP}'
}

log "creating kind cluster $CLUSTER (one node; DNS node port $NODE_PORT on 127.0.0.1:$DNS_PORT)"
cat >"$workdir/kind.yaml" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    labels:
      topology.kubernetes.io/zone: e2e-a
    extraPortMappings:
      - { containerPort: $NODE_PORT, hostPort: $DNS_PORT, listenAddress: 127.0.0.1, protocol: UDP }
      - { containerPort: $NODE_PORT, hostPort: $DNS_PORT, listenAddress: 127.0.0.1, protocol: TCP }
YAML
created=1
kind create cluster --name "$CLUSTER" --config "$workdir/kind.yaml" --kubeconfig "$kubeconfig" --wait 120s
export KUBECONFIG=$kubeconfig

log "building $IMAGE and loading it into the cluster"
docker build -t "$IMAGE" "$root"
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "installing the chart (release $RELEASE in $NS)"
# The node port is reached on the node that has the DNS pods (one node here), so externalTrafficPolicy stays
# Local as in production and the pods see 127.0.0.1's traffic from the node, not a rewritten source.
helm install "$RELEASE" "$root/helm/kube-geodns" -n "$NS" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set dns.replicas=2 --set dns.workers=1 \
  -f "$root/examples/helm/kind.yaml" \
  --set-json 'dns.fallback.zones=["geo-example"]' \
  --set tests.name="$ZONE"
kubectl -n "$NS" rollout status deployment/"$RELEASE"-operator --timeout=180s
kubectl -n "$NS" rollout status deployment/"$RELEASE"-dns --timeout=180s

log "applying examples/cluster as it is (ClusterIP Services in front of its demo backend)"
kubectl apply -f "$root/examples/cluster/"
kubectl -n web rollout status deployment/demo-backend --timeout=240s

log "waiting for the zone to be published and served"
wait_for 120 "the zone ConfigMap" kubectl -n "$NS" get configmap geodns-zone-geo-example
wait_for 120 "an authoritative SOA answer over UDP" status_is NOERROR "$ZONE" SOA
status_is NOERROR "$ZONE" SOA +tcp || fail "no SOA answer over TCP"
dig @127.0.0.1 -p "$DNS_PORT" +norecurse "$ZONE" SOA | grep -q 'flags: qr aa' || fail "the SOA answer is not authoritative"
kubectl get gz,ge,hp -A

primary=$(cluster_ip api-primary)
standby=$(cluster_ip api-standby)
log "failover name api.$ZONE: primary $primary, standby $standby"
wait_for 120 "api.$ZONE to answer the primary ($primary)" answers "$primary" "api.$ZONE" A

log "routing: www.$ZONE answers each client network from its own target (the zone's custom networks)"
frankfurt=$(cluster_ip www-eu-frankfurt)
virginia=$(cluster_ip www-na-virginia)
tokyo=$(cluster_ip www-apac-tokyo)
wait_for 60 "www.$ZONE for Frankfurt ($frankfurt)" answers "$frankfurt" "www.$ZONE" A +subnet=10.1.0.0/16
answers "$virginia" "www.$ZONE" A +subnet=10.2.0.0/16 || fail "www.$ZONE for Virginia: $(ask "www.$ZONE" A +subnet=10.2.0.0/16)"
answers "$tokyo" "www.$ZONE" A +subnet=10.3.0.0/16 || fail "www.$ZONE for Tokyo: $(ask "www.$ZONE" A +subnet=10.3.0.0/16)"

log "asking from a pod through the Service's cluster address"
from_pod=$(kubectl -n "$NS" run e2e-dig --rm -i --quiet --restart=Never --image="$DIG_IMAGE" --command -- \
  dig @"$RELEASE-dns.$NS.svc.cluster.local" +norecurse +nsid +tries=2 +time=3 "api.$ZONE" A)
grep -q "status: NOERROR" <<<"$from_pod" || fail "the query from a pod failed: $from_pod"
grep -q "$primary" <<<"$from_pod" || fail "the pod got another answer than $primary: $from_pod"
grep -q "NSID: .*$RELEASE-dns-" <<<"$from_pod" || fail "no NSID naming a DNS pod in: $from_pod"

log "taking the primary out of service (its Service's label off the backend): api.$ZONE must fail over"
kubectl -n web label pods -l app=demo-backend demo.geodns.io/api-primary- >/dev/null
started=$SECONDS
until answers "$standby" "api.$ZONE" A; do
  ((SECONDS - started < FAILOVER_LIMIT)) || fail "no failover to $standby within ${FAILOVER_LIMIT}s (answer: $(ask "api.$ZONE" A))"
  sleep 0.5
done
failover=$((SECONDS - started))
log "failover took about ${failover}s (limit ${FAILOVER_LIMIT}s)"

log "putting the primary back: api.$ZONE returns to it"
kubectl -n web label pods -l app=demo-backend demo.geodns.io/api-primary=serving >/dev/null
wait_for 120 "api.$ZONE back on the primary" answers "$primary" "api.$ZONE" A

log "deleting the GeoEndpoint canary: its name must go (NXDOMAIN)"
status_is NOERROR "canary.$ZONE" A || fail "canary.$ZONE was not served before the delete"
kubectl -n web delete geoendpoint canary
wait_for 60 "canary.$ZONE to be NXDOMAIN" status_is NXDOMAIN "canary.$ZONE" A

log "helm test"
helm test "$RELEASE" -n "$NS" --timeout 2m

log "all checks passed (failover ${failover}s)"
