#!/usr/bin/env bash
# Packages the chart (helm/kube-geodns) for a release: chart version and appVersion VERSION (so the image's tag
# defaults to VERSION), and image.repository IMAGE, the repository the release pushed the image to. Works on a copy:
# the tree is left as it is. Prints the package's path. The release workflow (.github/workflows/release.yaml) pushes
# it with `helm push`.
#   bash scripts/release/package-chart.sh VERSION IMAGE OUTDIR
set -euo pipefail

if (($# != 3)); then
  echo "usage: bash scripts/release/package-chart.sh VERSION IMAGE OUTDIR" >&2
  exit 2
fi
version=$1 image=$2 out=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! $image =~ ^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$ || ${image##*/} == *:* ]]; then
  echo "release: '$image' is not an image repository (lower case, no tag or digest: ghcr.io/owner/kube-geodns)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$root/helm/kube-geodns" "$work/kube-geodns"
# The first `repository:` of the top-level `image:` block; refused unless there is exactly that one.
awk -v image="$image" '
  /^[^ #]/ { inImage = ($0 == "image:") }
  inImage && !done && /^  repository: / { print "  repository: " image; done = 1; next }
  { print }
  END { if (!done) exit 1 }
' "$root/helm/kube-geodns/values.yaml" >"$work/kube-geodns/values.yaml" || {
  echo "release: no image.repository in helm/kube-geodns/values.yaml" >&2
  exit 1
}
mkdir -p "$out"
helm package "$work/kube-geodns" --version "$version" --app-version "$version" --destination "$out" >&2
echo "$out/kube-geodns-$version.tgz"
