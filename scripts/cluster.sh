# shellcheck shell=bash
# Throwaway PostgreSQL 15 cluster for tests and the demo.  Source this file,
# then:
#
#   xb_cluster_start || exit 1
#   trap xb_cluster_stop EXIT
#   psql -c 'select 1'          # PGHOST, PGPORT, PGUSER, PGDATABASE are set
#
# xb_cluster_start creates /tmp/xb-cluster.XXXXXX holding the data directory
# (data/), the Unix socket directory (sock/) and the server log (server.log),
# runs initdb and starts the server on a free port with JIT forced on for every
# query (jit=on, jit_above_cost=0), listening on the Unix socket only.  It
# exports PGHOST, PGPORT, PGUSER, PGDATABASE, XB_CLUSTER_DIR and XB_CLUSTER_LOG.
# XB_CLUSTER_PRELOAD names libraries for shared_preload_libraries (test/run_all.sh
# preloads pg_cron for test/cron/run.sh).
#
# When run as root, the cluster belongs to the `postgres` system user (created
# by postgresql-common) and PGUSER=postgres; otherwise it belongs to, and PGUSER
# is, the current user.
#
# xb_cluster_halt stops the server (fast shutdown) and keeps the files, so the
# log can still be read; xb_cluster_stop halts and removes the directory unless
# XB_KEEP_CLUSTER=1.  Both are no-ops when there is nothing left to do, so they
# are safe to call twice and from a trap.

_xb_pg_bindir() {
    pg_config --bindir
}

# XB_CLUSTER_PRELOAD=pg_cron loads pg_cron at start, its jobs run by
# background workers (no connection to make) from the postgres database.
# One line: pg_ctl hands the options to a shell, where a newline would end
# the server's command (and its log redirection) early.
_xb_preload_options() {
    local opts="-c shared_preload_libraries='${XB_CLUSTER_PRELOAD:-}'"
    if [[ ,${XB_CLUSTER_PRELOAD:-}, == *,pg_cron,* ]]; then
        opts+=" -c cron.use_background_workers=on -c cron.database_name=postgres -c max_worker_processes=16"
    fi
    printf '%s' "$opts"
}

# Run a command as the cluster's owner, from inside the cluster directory (the
# caller's cwd, e.g. /root, may not be readable by postgres).
_xb_as_cluster_owner() {
    (
        cd "$XB_CLUSTER_DIR" || exit 1
        if [[ $EUID -eq 0 ]]; then
            runuser -u postgres -- "$@"
        else
            "$@"
        fi
    )
}

# First port from 54329 upwards with no lock file in the usual socket
# directories or in another xb cluster, and no server answering on it over TCP.
# (With a private socket directory a clash would be harmless, but distinct
# ports keep concurrent clusters apart in logs and ps.)
_xb_free_port() {
    local bindir=$1 port rc
    for ((port = 54329; port < 54429; port++)); do
        if [[ -e /tmp/.s.PGSQL.$port.lock || -e /var/run/postgresql/.s.PGSQL.$port.lock ]] ||
            compgen -G "/tmp/xb-cluster.*/sock/.s.PGSQL.$port.lock" >/dev/null; then
            continue
        fi
        # pg_isready: 0 accepting, 1 rejecting, 2 no response, 3 no attempt.
        rc=0
        "$bindir/pg_isready" -q -h localhost -p "$port" -t 1 >/dev/null 2>&1 || rc=$?
        if [[ $rc -eq 2 ]]; then
            echo "$port"
            return 0
        fi
    done
    echo "xb_cluster_start: no free port in 54329..54428" >&2
    return 1
}

xb_cluster_start() {
    local bindir dir port owner
    if [[ -n ${XB_CLUSTER_DIR:-} && -d $XB_CLUSTER_DIR ]]; then
        echo "xb_cluster_start: a cluster is already running in $XB_CLUSTER_DIR" >&2
        return 1
    fi
    bindir=$(_xb_pg_bindir) || { echo "xb_cluster_start: pg_config not found" >&2; return 1; }
    if [[ $EUID -eq 0 ]]; then
        owner=postgres
        if ! id -u postgres >/dev/null 2>&1; then
            echo "xb_cluster_start: system user 'postgres' is missing (install postgresql-common)" >&2
            return 1
        fi
    else
        owner=$(id -un)
    fi
    port=$(_xb_free_port "$bindir") || return 1

    dir=$(mktemp -d /tmp/xb-cluster.XXXXXX) || return 1
    mkdir "$dir/sock"
    # The socket directory must be reachable by root and by postgres.
    chmod 755 "$dir" "$dir/sock"
    if [[ $EUID -eq 0 ]]; then
        chown -R postgres:postgres "$dir"
    fi

    export XB_CLUSTER_DIR=$dir
    export XB_CLUSTER_LOG=$dir/server.log

    if ! _xb_as_cluster_owner "$bindir/initdb" -D "$dir/data" -U "$owner" \
            --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        echo "xb_cluster_start: initdb failed:" >&2
        cat "$dir/initdb.log" >&2
        xb_cluster_stop
        return 1
    fi
    if ! _xb_as_cluster_owner "$bindir/pg_ctl" -D "$dir/data" -l "$XB_CLUSTER_LOG" -w -t 60 \
            -o "-p $port -k $dir/sock -c listen_addresses='' -c jit=on -c jit_above_cost=0 $(_xb_preload_options)" \
            start >/dev/null; then
        echo "xb_cluster_start: server failed to start; log:" >&2
        tail -n 50 "$XB_CLUSTER_LOG" >&2
        xb_cluster_stop
        return 1
    fi

    export PGHOST=$dir/sock PGPORT=$port PGUSER=$owner PGDATABASE=postgres
    echo "xb_cluster_start: PostgreSQL running on $PGHOST port $PGPORT (user $PGUSER, log $XB_CLUSTER_LOG)" >&2
}

xb_cluster_halt() {
    [[ -n ${XB_CLUSTER_DIR:-} && -f $XB_CLUSTER_DIR/data/postmaster.pid ]] || return 0
    _xb_as_cluster_owner "$(_xb_pg_bindir)/pg_ctl" -D "$XB_CLUSTER_DIR/data" -m fast -w -t 60 stop >/dev/null ||
        echo "xb_cluster_halt: pg_ctl stop failed for $XB_CLUSTER_DIR" >&2
}

xb_cluster_stop() {
    [[ -n ${XB_CLUSTER_DIR:-} ]] || return 0
    xb_cluster_halt
    if [[ ${XB_KEEP_CLUSTER:-0} == 1 ]]; then
        echo "xb_cluster_stop: kept $XB_CLUSTER_DIR (XB_KEEP_CLUSTER=1)" >&2
    elif [[ $XB_CLUSTER_DIR == /tmp/xb-cluster.* ]]; then
        rm -rf -- "$XB_CLUSTER_DIR"
    fi
    unset XB_CLUSTER_DIR XB_CLUSTER_LOG PGHOST PGPORT PGUSER PGDATABASE
    return 0
}
