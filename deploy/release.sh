#!/bin/sh
# Cross-compiles tiny's static release binaries with their SHA-256 sums.
#
#   deploy/release.sh [VERSION] [OUTDIR]     (default: git describe, dist/)
#
# Each binary is pure Go (CGO_ENABLED=0: the SQLite driver is pure Go), so
# it runs on any machine of its OS and architecture with nothing else
# installed. The version and the commit are in the binary's build info;
# `tiny version` prints them.
set -eu
cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
out=${2:-dist}
mkdir -p "$out"
for target in linux/amd64 linux/arm64 darwin/arm64 windows/amd64; do
	os=${target%/*}
	arch=${target#*/}
	name="tiny-$version-$os-$arch"
	[ "$os" = windows ] && name="$name.exe"
	echo "building $name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$out/$name" ./cmd/tiny
done
(cd "$out" && sha256sum tiny-"$version"-* > "SHA256SUMS-$version" && cat "SHA256SUMS-$version")
# The binary of this machine's kind says what it is.
here="$out/tiny-$version-$(go env GOOS)-$(go env GOARCH)"
if [ -x "$here" ]; then
	said=$("$here" version)
	echo "$said"
	echo "$said" | grep -q "^tiny $version$"
	echo "$said" | grep -q "^commit $commit"
fi
