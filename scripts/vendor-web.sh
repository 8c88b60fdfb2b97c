#!/usr/bin/env bash
# Front-end files the app serves itself, so pages work with no internet: installs the npm
# packages pinned in package-lock.json (`npm ci`, only when the lock changed) and copies the
# files pages load, with their licences, into app/web/static/vendor/. Those copies are
# committed (setup.py says why), so the check below keeps them equal to what the lock gives.
#
#   scripts/vendor-web.sh          copy them again (`make vendor`, after changing the lock)
#   scripts/vendor-web.sh --check  fail when the committed copies differ (`make install`)
set -euo pipefail

check=false
case ${1:-} in
    --check) check=true ;;
    "") ;;
    *) echo "usage: scripts/vendor-web.sh [--check]" >&2; exit 2 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v npm >/dev/null || { echo "vendor-web: npm not found (apt-get install nodejs npm)" >&2; exit 1; }

# npm ci writes node_modules/.package-lock.json; a newer lock means the packages changed.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
fi

committed=app/web/static/vendor
vendor=$committed
if $check; then
    vendor=$(mktemp -d)
    trap 'rm -rf "$vendor"' EXIT
fi
rm -rf "$vendor"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet.markercluster" "$vendor/leaflet.vectorgrid"

cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
    node_modules/leaflet/LICENSE "$vendor/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$vendor/leaflet/images/"

cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
    node_modules/leaflet.markercluster/dist/MarkerCluster.css \
    node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css \
    node_modules/leaflet.markercluster/MIT-LICENCE.txt "$vendor/leaflet.markercluster/"

# Vector tiles (the planner's areas): the bundle holds pbf, vector-tile and topojson-client
# too, so their licences go beside it. Its canvas renderer calls L.DomEvent.fakeStop, which
# Leaflet 1.8 removed; maps.js uses its SVG renderer (patterns need SVG anyway), which does not.
cp node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js \
    "$vendor/leaflet.vectorgrid/"
cp node_modules/leaflet.vectorgrid/README.md "$vendor/leaflet.vectorgrid/README-LICENCE.md"
cp node_modules/pbf/LICENSE "$vendor/leaflet.vectorgrid/LICENSE-pbf"
cp node_modules/vector-tile/LICENSE.txt "$vendor/leaflet.vectorgrid/LICENSE-vector-tile.txt"
cp node_modules/topojson-client/LICENSE.md "$vendor/leaflet.vectorgrid/LICENSE-topojson-client.md"
cp node_modules/ieee754/LICENSE "$vendor/leaflet.vectorgrid/LICENSE-ieee754"

cat > "$vendor/README.txt" <<'TXT'
Copied from the npm packages pinned in package-lock.json by scripts/vendor-web.sh; do not edit.
leaflet (BSD-2-Clause, leaflet/LICENSE); leaflet.markercluster (MIT, leaflet.markercluster/MIT-LICENCE.txt);
leaflet.vectorgrid (Beerware, the end of leaflet.vectorgrid/README-LICENCE.md), bundled with pbf,
vector-tile and ieee754 (BSD-3-Clause), topojson-client (ISC), their licences beside it, and
point-geometry (ISC, no licence file in its package).
TXT
if $check; then
    diff -r "$vendor" "$committed" >/dev/null || {
        echo "vendor-web: $committed differs from the packages in package-lock.json:" \
            "run \`make vendor\` and commit the result" >&2
        diff -rq "$vendor" "$committed" >&2 || true
        exit 1
    }
    echo "vendor-web: $committed matches package-lock.json"
else
    echo "vendor-web: $(find "$vendor" -type f | wc -l) files in $vendor"
fi
