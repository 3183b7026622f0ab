#!/usr/bin/env bash
# The prometheus-operator CustomResourceDefinitions the chart's monitoring toggles need (ServiceMonitor,
# PrometheusRule), generated as prometheus-operator generates them: controller-gen over the API types of the Go
# module github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring, both pinned. Written into a cache
# outside the repository (keyed by the versions) and reused when present; prints the folder, which holds one
# monitoring.coreos.com_<plural>.yaml per kind of the group's v1 API.
#
#   bash scripts/kube/prometheus-operator-crds.sh                    generate what is missing, print the folder
#   bash scripts/kube/prometheus-operator-crds.sh --print-versions   the pinned versions
#   KUBE_GEODNS_CACHE=/some/dir                                      another cache root (as build-binaries.sh)
#
# Only the Go module proxy is needed (the operator's own module, which holds the YAML, is not required).
set -euo pipefail

PROMETHEUS_OPERATOR_VERSION=v0.95.2
# The controller-tools release that builds against the Kubernetes libraries the API module requires (v0.37).
CONTROLLER_TOOLS_VERSION=v0.23.0
API_MODULE=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring

if [[ "${1:-}" == "--print-versions" ]]; then
  echo "prometheus-operator=$PROMETHEUS_OPERATOR_VERSION controller-tools=$CONTROLLER_TOOLS_VERSION"
  exit 0
fi

cache_root=${KUBE_GEODNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-geodns}
out="$cache_root/crds/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION-controller-tools-$CONTROLLER_TOOLS_VERSION"
log() { echo "prometheus-operator-crds: $*" >&2; }

if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi

# One generation at a time (test runs in one working tree may start together); the winner's result is reused.
mkdir -p "$cache_root/crds"
exec 9>"$cache_root/crds/.lock"
flock 9
if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || {
  log "go is not on PATH (Go >= 1.26 generates the prometheus-operator CRDs)"
  exit 1
}
export GOFLAGS=-trimpath GOTOOLCHAIN=local CGO_ENABLED=0
started=$SECONDS
dir="$cache_root/src/prometheus-operator-crds-$PROMETHEUS_OPERATOR_VERSION-$CONTROLLER_TOOLS_VERSION"
mkdir -p "$dir"
cd "$dir"
printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "%s/v1"\n\t_ "sigs.k8s.io/controller-tools/cmd/controller-gen"\n)\n' \
  "$API_MODULE" >tools.go
printf 'module kube-geodns.test/prometheus-operator-crds\n\ngo 1.26\n' >go.mod
go get "$API_MODULE@$PROMETHEUS_OPERATOR_VERSION" "sigs.k8s.io/controller-tools@$CONTROLLER_TOOLS_VERSION" >&2
go mod tidy >&2
log "building controller-gen $CONTROLLER_TOOLS_VERSION"
go build -o controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen
log "generating the monitoring.coreos.com CRDs of $API_MODULE $PROMETHEUS_OPERATOR_VERSION"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
./controller-gen crd:crdVersions=v1 paths="$API_MODULE/v1" output:crd:dir="$out.tmp" >&2
touch "$out.tmp/.complete"
rm -rf "$out"
mv "$out.tmp" "$out"
log "generated in $((SECONDS - started)) s into $out"
echo "$out"
