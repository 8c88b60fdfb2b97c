#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + PostGIS 3 cluster for tests and CI.
#
#   scripts/postgis.sh start [STATE_FILE]   start a cluster; print ONE line on stdout:
#                                           postgresql+psycopg://postgres@127.0.0.1:PORT/assetmap_test
#   scripts/postgis.sh stop  [TARGET]       stop cluster(s) and delete their files
#   scripts/postgis.sh url   [TARGET]       print the URL of running cluster(s) again
#
# STATE_FILE defaults to $ASSETMAP_POSTGIS_STATE, else .postgis-state in the repository root.
# `start` appends the new cluster's directory to it (one line per cluster); TARGET is such a
# state file (every cluster listed is stopped, then the file is removed) or one cluster
# directory. Typical use:
#
#   export ASSETMAP_TEST_POSTGIS_URL="$(scripts/postgis.sh start)"
#   .venv/bin/python -m pytest
#   scripts/postgis.sh stop
#
# Two sessions at once: give each its own state file (`start /tmp/a.state` ... `stop /tmp/a.state`).
#
# The cluster lives in a fresh directory under /tmp (override: ASSETMAP_POSTGIS_TMPDIR), listens
# on 127.0.0.1 only, on a free port, with its unix socket in that directory. Authentication is
# `trust` (127.0.0.1 and the socket only) and durability is off (fsync, full_page_writes,
# synchronous_commit): never put data you want to keep in it. initdb refuses to run as root, so
# as root the cluster runs as the `postgres` system user (ASSETMAP_POSTGIS_OS_USER to change it).
# Needs the Debian package postgresql-15-postgis-3 (binaries: $PG_BIN, default
# /usr/lib/postgresql/15/bin) and python3 (to find a free port).
set -euo pipefail

readonly PROG=postgis.sh
readonly PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
readonly DB_NAME=assetmap_test
readonly DB_USER=postgres
readonly MARKER=.assetmap-postgis # only directories holding this file are ever deleted
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly DEFAULT_STATE=${ASSETMAP_POSTGIS_STATE:-$REPO_ROOT/.postgis-state}

die() { echo "$PROG: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

usage() {
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Run a command as the user owning the cluster (ourselves unless we are root).
as_owner() {
    if [[ $(id -u) -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null; then
        runuser -u "$OS_USER" -- "$@"
    else
        su -s /bin/sh "$OS_USER" -c "$(printf '%q ' "$@")"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The cluster directories named by TARGET (a cluster directory or a state file). Refuses
# anything else, since `stop` deletes what is listed and then the state file itself.
clusters_of() {
    local target=$1 line
    if [[ -d $target ]]; then
        [[ -f $target/$MARKER ]] || die "$target is not a cluster made by $PROG"
        echo "$target"
    elif [[ -f $target ]]; then
        while read -r line; do
            [[ -z $line ]] && continue
            [[ $line == /*/assetmap-postgis.* ]] || die "$target is not a $PROG state file"
            echo "$line"
        done <"$target"
    else
        die "no cluster directory or state file at $target"
    fi
}

discard_cluster() {
    as_owner "$PG_BIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$1"
}

cmd_start() {
    local state base
    state=$(realpath -m -- "${1:-$DEFAULT_STATE}") # absolute: we cd below
    base=$(realpath -m -- "${ASSETMAP_POSTGIS_TMPDIR:-/tmp}")
    [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found: install postgresql-15-postgis-3"
    OS_USER=${ASSETMAP_POSTGIS_OS_USER:-postgres}
    if [[ $(id -u) -eq 0 ]]; then
        id "$OS_USER" >/dev/null 2>&1 || die "running as root needs the system user '$OS_USER'"
    fi

    local dir
    dir=$(mktemp -d "$base/assetmap-postgis.XXXXXX")
    touch "$dir/$MARKER"
    # Until the URL is printed, any failure removes what was started. (The trap runs after
    # this function's locals are gone, so the path is expanded into it now.)
    # shellcheck disable=SC2064
    trap "discard_cluster $(printf %q "$dir")" EXIT
    if [[ $(id -u) -eq 0 ]]; then
        chown -R "$OS_USER": "$dir"
    fi
    cd "$dir" # the owner may not be allowed into the caller's working directory

    as_owner "$PG_BIN/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust --encoding=UTF8 \
        --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF
    as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# assetmap test cluster: local only, not durable
listen_addresses = '127.0.0.1'
port = 0
unix_socket_directories = '$dir'
fsync = off
full_page_writes = off
synchronous_commit = off
EOF

    # A port found free may be taken before the server binds it: retry with another.
    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        as_owner sed -i "s/^port = .*/port = $port/" "$dir/data/postgresql.conf"
        rm -f "$dir/server.log"
        if as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            >/dev/null 2>&1; then
            break
        fi
        if ! grep -q 'could not bind\|could not create any TCP/IP sockets' "$dir/server.log" \
            || [[ $attempt -eq 5 ]]; then
            cat "$dir/server.log" >&2
            die "postgres failed to start (log above)"
        fi
        note "port $port was taken, retrying"
    done

    local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$DB_USER")
    "${psql[@]}" -d postgres -c "CREATE DATABASE $DB_NAME" >&2 \
        || die "could not create the database $DB_NAME"
    "${psql[@]}" -d "$DB_NAME" -c "CREATE EXTENSION postgis" >&2 \
        || die "could not create the postgis extension: is postgresql-15-postgis-3 installed?"

    local url="postgresql+psycopg://$DB_USER@127.0.0.1:$port/$DB_NAME"
    echo "$url" >"$dir/url"
    echo "$dir" >>"$state"
    trap - EXIT
    note "cluster in $dir (stop: scripts/postgis.sh stop $state)"
    echo "$url"
}

cmd_stop() {
    local target=${1:-$DEFAULT_STATE} dirs dir failed=0
    [[ -e $target ]] || { note "nothing to stop ($target does not exist)"; return 0; }
    dirs=$(clusters_of "$target")
    cd / # the owner may not be allowed into the caller's working directory
    while read -r dir; do
        if [[ ! -f $dir/$MARKER ]]; then
            [[ -d $dir ]] && { note "$dir is not a cluster made by $PROG; left alone"; failed=1; }
            continue
        fi
        OS_USER=$(stat -c %U "$dir")
        if [[ -f $dir/data/postmaster.pid ]]; then
            as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null \
                || { note "could not stop the server in $dir"; failed=1; continue; }
        fi
        rm -rf "$dir"
        note "stopped and removed $dir"
    done <<<"$dirs"
    if [[ -f $target && $failed -eq 0 ]]; then
        rm -f "$target"
    fi
    return "$failed"
}

cmd_url() {
    local target=${1:-$DEFAULT_STATE} dirs dir
    [[ -e $target ]] || die "no cluster: $target does not exist"
    dirs=$(clusters_of "$target")
    while read -r dir; do
        if [[ -f $dir/url ]]; then cat "$dir/url"; fi
    done <<<"$dirs"
}

case ${1:-} in
    start) shift; [[ $# -le 1 ]] || usage; cmd_start "$@" ;;
    stop) shift; [[ $# -le 1 ]] || usage; cmd_stop "$@" ;;
    url) shift; [[ $# -le 1 ]] || usage; cmd_url "$@" ;;
    *) usage ;;
esac
