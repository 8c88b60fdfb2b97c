#!/usr/bin/env bash
# The container image's build steps, one command per step: every RUN line of the Dockerfile
# calls this script, and CI runs the web, wheel and install steps in a temp dir and serves
# every page from the result (tests/packaging/test_wheel.py), because no container builder
# works on CI's machines (podman/buildah: no registry to pull a base image from, and crun
# cannot start containers there).
#
#   scripts/build-image-steps.sh web SRC                 npm ci from SRC/package-lock.json and
#                                                        the front-end files into SRC/app/web/static/vendor
#   scripts/build-image-steps.sh wheel SRC OUT           the wheel of SRC into OUT (catalogues
#                                                        compiled, migrations and data inside)
#   scripts/build-image-steps.sh install WHEEL [CONSTRAINTS | --no-deps]
#                                                        install the wheel with $PYTHON (python3)'s
#                                                        pip (PIP_PYTHON: into another one):
#                                                        dependencies at the versions in
#                                                        CONSTRAINTS, or none (CI reuses .venv's)
#   scripts/build-image-steps.sh system                  Debian packages the app runs with
#   scripts/build-image-steps.sh user DATA_DIR           the non-root user `assetmap` (uid 10001)
#                                                        and its writable DATA_DIR
set -euo pipefail

PYTHON=${PYTHON:-python3}
# Run time only: SpatiaLite (the default database) and ogr2ogr (GeoPackage imports, exports).
DEB_PACKAGES=(libsqlite3-mod-spatialite gdal-bin)

usage() { sed -n '/^#   scripts/,/^set /p' "${BASH_SOURCE[0]}" | sed '$d' >&2; exit 2; }

step=${1:-}
shift || true
case $step in
    web)
        [[ $# -eq 1 ]] || usage
        "$1/scripts/vendor-web.sh"
        ;;
    wheel)
        [[ $# -eq 2 ]] || usage
        src=$1
        out=$2
        # setuptools builds in SRC/build and would carry a stale file from an earlier build
        # (a removed module) into the wheel.
        rm -rf "$src/build"
        mkdir -p "$out"
        "$PYTHON" -m pip wheel --no-deps --wheel-dir "$out" "$src"
        rm -rf "$src/build"
        ;;
    install)
        [[ $# -eq 2 ]] || usage
        wheel=$1
        if [[ $2 == --no-deps ]]; then
            "$PYTHON" -m pip install --no-deps "$wheel"
        else
            # With the redis extra: replicas share rate limits through Redis (docker-compose.yml).
            "$PYTHON" -m pip install --constraint "$2" "${wheel}[redis]"
        fi
        ;;
    system)
        [[ $# -eq 0 ]] || usage
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${DEB_PACKAGES[@]}"
        rm -rf /var/lib/apt/lists/*
        ;;
    user)
        [[ $# -eq 1 ]] || usage
        useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin assetmap
        mkdir -p "$1"
        chown assetmap:assetmap "$1"
        ;;
    *)
        usage
        ;;
esac
