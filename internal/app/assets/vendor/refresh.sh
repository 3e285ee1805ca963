#!/bin/sh
# Refreshes the vendored front-end libraries from the npm registry, at the
# pinned versions below, with their licences. Run it after changing a
# version, and commit what it writes. Nothing is fetched at build or run
# time; the binary embeds these files.
#
#   internal/app/assets/vendor/refresh.sh
set -eu

HTMX=2.0.11      # htmx.org: partial updates of the links list
UPLOT=1.6.32     # uplot: the clicks-over-time charts
AXE=4.14.1       # axe-core: accessibility checks, for the browser tests only

here=$(cd "$(dirname "$0")" && pwd)
testdata="$here/../../testdata/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch NAME VERSION: unpacks the package's tarball into $work/NAME.
fetch() {
	(cd "$work" && npm pack --silent "$1@$2" >/dev/null)
	mkdir -p "$work/$1"
	tar -xzf "$work/$1-$2.tgz" -C "$work/$1" --strip-components=1
}

fetch htmx.org "$HTMX"
mkdir -p "$here/htmx"
cp "$work/htmx.org/dist/htmx.min.js" "$here/htmx/htmx.min.js"
cp "$work/htmx.org/LICENSE" "$here/htmx/LICENSE"

fetch uplot "$UPLOT"
mkdir -p "$here/uplot"
cp "$work/uplot/dist/uPlot.iife.min.js" "$here/uplot/uPlot.iife.min.js"
cp "$work/uplot/dist/uPlot.min.css" "$here/uplot/uPlot.min.css"
cp "$work/uplot/LICENSE" "$here/uplot/LICENSE"

fetch axe-core "$AXE"
mkdir -p "$testdata/axe-core"
cp "$work/axe-core/axe.min.js" "$testdata/axe-core/axe.min.js"
cp "$work/axe-core/LICENSE" "$testdata/axe-core/LICENSE"

cat > "$here/VERSIONS" <<VERSIONS
htmx.org $HTMX (0BSD, htmx/LICENSE)
uplot $UPLOT (MIT, uplot/LICENSE)
axe-core $AXE (MPL-2.0, testdata/vendor/axe-core/LICENSE; tests only, not embedded)
VERSIONS
echo "vendored: htmx.org $HTMX, uplot $UPLOT, axe-core $AXE"
