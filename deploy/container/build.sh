#!/bin/sh
# Builds the tiny container image (localhost/tiny:TAG, default latest)
# with podman, or docker when podman is missing.
#
#   deploy/container/build.sh [TAG]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tag=${1:-latest}
engine=$(command -v podman || command -v docker || true)
[ -n "$engine" ] || { echo "build.sh: needs podman or docker" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$ctx/tiny" ./cmd/tiny)
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
echo 'tiny:x:65532:65532:tiny:/data:/sbin/nologin' > "$ctx/passwd"
echo 'tiny:x:65532:' > "$ctx/group"
mkdir "$ctx/data"
fmt=""
[ "$(basename "$engine")" = podman ] && fmt="--format docker" # keeps HEALTHCHECK, which the OCI format drops
"$engine" build $fmt -f "$here/Containerfile" -t "localhost/tiny:$tag" "$ctx"
