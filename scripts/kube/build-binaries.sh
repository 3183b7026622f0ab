#!/usr/bin/env bash
# Builds the real Kubernetes control plane and helm from their Go modules, pinned, into a cache outside the
# repository (keyed by the versions), and reuses what is already there. Prints the cache's bin folder on stdout.
#
#   bash scripts/kube/build-binaries.sh                    build what is missing, print the bin folder
#   bash scripts/kube/build-binaries.sh --print-versions   the pinned versions
#   KUBE_GEODNS_CACHE=/some/dir                            another cache root (default: $XDG_CACHE_HOME or ~/.cache)
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces every k8s.io/* staging module with a folder
# inside the repository. The scratch module written here requires it and replaces each staging module with its
# published v0.Y.Z instead, generated from the tag's own go.mod.
set -euo pipefail

KUBERNETES_VERSION=v1.36.3
# Kubernetes v1.36 pins etcd v3.6.8 in its go.mod; the newest v3.6 patch release is built.
ETCD_VERSION=v3.6.16
HELM_VERSION=v4.3.2

if [[ "${1:-}" == "--print-versions" ]]; then
  echo "kubernetes=$KUBERNETES_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION"
  exit 0
fi

cache_root=${KUBE_GEODNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-geodns}
bin="$cache_root/bin/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
work="$cache_root/src"
log() { echo "kube-binaries: $*" >&2; }

complete() {
  local b
  for b in kube-apiserver kube-controller-manager kubectl etcd helm; do
    [[ -x "$bin/$b" ]] || return 1
  done
}
if complete; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || {
  log "go is not on PATH (Go >= 1.26 builds the pinned Kubernetes binaries)"
  exit 1
}
mkdir -p "$bin" "$work"
export GOFLAGS=-trimpath GOTOOLCHAIN=local CGO_ENABLED=0
started=$SECONDS

# A scratch module in $1 that imports the packages $2... for the build (a tools file), tidied.
scratch_module() {
  local dir=$1
  shift
  mkdir -p "$dir"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    local p
    for p in "$@"; do printf '\t_ "%s"\n' "$p"; done
    printf ')\n'
  } >"$dir/tools.go"
}

build_kubernetes() {
  local b missing=0
  for b in kube-apiserver kube-controller-manager kubectl; do [[ -x "$bin/$b" ]] || missing=1; done
  ((missing)) || return 0
  local dir="$work/kubernetes-$KUBERNETES_VERSION"
  scratch_module "$dir" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl
  cd "$dir"
  # The tag's go.mod names the staging modules it replaces; each is published as v0.<minor>.<patch>.
  local download upstream info staging published
  download=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION")
  upstream=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$download")
  info=$(sed -n 's/.*"Info": "\(.*\)".*/\1/p' <<<"$download")
  staging=$(sed -n '/^replace (/,/^)/p' "$upstream" | grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging' | awk '{print $1}')
  published="v0.${KUBERNETES_VERSION#v1.}"
  {
    echo "module kube-geodns.test/kubernetes-build"
    echo
    grep -m1 '^go ' "$upstream"
    grep '^godebug ' "$upstream" || true
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    local m
    # A module the build never needs may be unpublished (sample-cli-plugin): replacing it is harmless.
    for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$published"; done
    echo ")"
  } >go.mod
  go mod tidy >&2
  # What /version reports (helm's kubeVersion check reads it): the tag, its major and minor, the tag's date.
  local minor date p ld="-s -w"
  minor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")
  date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$date -X $p.gitCommit="
  done
  for b in kube-apiserver kube-controller-manager kubectl; do
    [[ -x "$bin/$b" ]] && continue
    log "building $b $KUBERNETES_VERSION"
    go build -ldflags "$ld" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$bin/$b.tmp" "$bin/$b"
  done
}

build_etcd() {
  [[ -x "$bin/etcd" ]] && return 0
  local dir="$work/etcd-$ETCD_VERSION"
  scratch_module "$dir" go.etcd.io/etcd/server/v3
  cd "$dir"
  printf 'module kube-geodns.test/etcd-build\n\ngo 1.24\n' >go.mod
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go mod tidy >&2
  log "building etcd $ETCD_VERSION"
  # The etcd binary's main package is the server module's root since v3.5.
  go build -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$bin/etcd.tmp" "$bin/etcd"
}

build_helm() {
  [[ -x "$bin/helm" ]] && return 0
  local dir="$work/helm-$HELM_VERSION"
  scratch_module "$dir" helm.sh/helm/v4/cmd/helm
  cd "$dir"
  printf 'module kube-geodns.test/helm-build\n\ngo 1.25\n' >go.mod
  go get "helm.sh/helm/v4@$HELM_VERSION" >&2
  go mod tidy >&2
  log "building helm $HELM_VERSION"
  go build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    -o "$bin/helm.tmp" helm.sh/helm/v4/cmd/helm
  mv "$bin/helm.tmp" "$bin/helm"
}

build_kubernetes
build_etcd
build_helm
log "built in $((SECONDS - started)) s into $bin"
echo "$bin"
