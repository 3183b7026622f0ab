#!/usr/bin/env bash
# The release version of a git tag: v1.2.3 or v1.2.3-rc.1 gives 1.2.3 or 1.2.3-rc.1 (the image tag, and the chart's
# version and appVersion, which Helm wants in SemVer 2). Anything else is refused, saying what a tag must look like.
#   bash scripts/release/version.sh TAG
set -euo pipefail

tag=${1:-}
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
version=${tag#v}
if [[ $tag != v* || ! $version =~ $semver ]]; then
  echo "release: tag '$tag' is not a release tag: use v<major>.<minor>.<patch>, optionally -<pre-release> (v1.2.3, v1.2.3-rc.1)" >&2
  exit 1
fi
echo "$version"
