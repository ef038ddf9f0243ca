# shellcheck shell=bash
# Three throwaway clusters on this machine, as a DBA would shard Walmart with
# PostgreSQL alone (source this file; used by test/scale/run.sh and
# test/bench/scale_vs_one_server.sh):
#
#   coordinator   xb, postgres_fdw; table sales PARTITION BY LIST (store),
#                 even stores on shard0 and odd ones on shard1 (22 and 23),
#                 its partitions foreign tables on the shards (servers with
#                 extensions 'xb', so xb's aggregates are shipped, and
#                 async_capable, so the shards work at once); table dresses
#                 (the dress attributes) PARTITION BY HASH (row_no) the same
#                 way, and dress_features (row_no, features jsonb) over the
#                 shards' views of the same name; sales_local and
#                 dresses_local, the same rows in plain tables, are the
#                 single-server reference
#   shard0/shard1 xb; tables sales and dresses with their part of the rows;
#                 view dress_features, each dress's attributes as jsonb (built
#                 on the shard: postgres_fdw ships no cast to text and no
#                 to_jsonb, which are not immutable)
#
# Each node listens on its own Unix socket only (scripts/cluster.sh) and
# preloads xb (shared_preload_libraries, SCALE_PRELOAD to change it), so a
# new backend, as postgres_fdw opens on a shard, does not load LibTorch
# itself. Every node sets xb.threads = 1 for database xb_scale, so a backend
# trains on one thread on both sides of a comparison.
#
#   scale_nodes_start || exit 1; trap scale_nodes_stop EXIT
#   on coordinator "SELECT ..."   # one query, unaligned output
#
# REPO must be set (the repository root; Walmart comes from ../shared/data).

SCALE_DB=xb_scale
SALES_COLUMNS="store int NOT NULL, week date NOT NULL, at timestamptz NOT NULL, sales float8"
DRESS_COLUMNS="row_no int NOT NULL, dress_id bigint, style text, price text, rating float8, size text, season text,
               neckline text, sleevelength text, waiseline text, material text, fabrictype text, decoration text,
               \"Pattern Type\" text, recommendation int"
declare -A NODE_DIR NODE_HOST NODE_PORT
SCALE_NODES=(coordinator shard0 shard1)

# start_node NAME: one more cluster; its settings go to NODE_* (the caller's
# PG* variables and XB_CLUSTER_* are left as they were).
start_node() {
    local XB_CLUSTER_DIR XB_CLUSTER_LOG PGHOST PGPORT PGUSER PGDATABASE XB_CLUSTER_PRELOAD=${SCALE_PRELOAD-xb}
    unset XB_CLUSTER_DIR XB_CLUSTER_LOG
    local log
    log=$(mktemp)
    if ! xb_cluster_start 2>"$log"; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    NODE_DIR[$1]=$XB_CLUSTER_DIR NODE_HOST[$1]=$PGHOST NODE_PORT[$1]=$PGPORT SCALE_USER=$PGUSER
}

# on NODE SQL...: runs the SQL (psql -c each) in xb_scale on NODE.
on() {
    local node=$1 args=()
    shift
    for sql in "$@"; do args+=(-c "$sql"); done
    PGHOST=${NODE_HOST[$node]} PGPORT=${NODE_PORT[$node]} PGUSER=$SCALE_USER \
        psql -X -q -At -v ON_ERROR_STOP=1 -d "$SCALE_DB" "${args[@]}"
}

# stop_node NAME [MODE]: stops NAME's server (pg_ctl -m MODE, default fast).
stop_node() {
    (
        export XB_CLUSTER_DIR=${NODE_DIR[$1]}
        _xb_as_cluster_owner "$(_xb_pg_bindir)/pg_ctl" -D "$XB_CLUSTER_DIR/data" -m "${2:-fast}" -w -t 60 stop \
            >/dev/null 2>&1
    )
}

scale_nodes_stop() {
    local node
    for node in "${SCALE_NODES[@]}"; do
        [[ -n ${NODE_DIR[$node]:-} ]] || continue
        (export XB_CLUSTER_DIR=${NODE_DIR[$node]}; xb_cluster_stop)
        unset "NODE_DIR[$node]"
    done
}

scale_nodes_start() {
    local node i
    # shellcheck source-path=SCRIPTDIR/../..
    source "$REPO/scripts/cluster.sh"
    for node in "${SCALE_NODES[@]}"; do
        start_node "$node" || { echo "scale: could not start $node" >&2; return 1; }
        PGHOST=${NODE_HOST[$node]} PGPORT=${NODE_PORT[$node]} PGUSER=$SCALE_USER \
            psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $SCALE_DB" \
                -c "ALTER DATABASE $SCALE_DB SET xb.threads = 1" || return 1
        on "$node" "CREATE EXTENSION xb" "CREATE TABLE sales ($SALES_COLUMNS)" \
            "CREATE TABLE dresses ($DRESS_COLUMNS)" \
            "CREATE VIEW dress_features AS
               SELECT row_no, to_jsonb(d) - 'row_no' - 'dress_id' - 'recommendation' AS features FROM dresses d" || return 1
    done
    on coordinator "CREATE EXTENSION postgres_fdw" \
        "ALTER TABLE sales RENAME TO sales_local" "ALTER TABLE dresses RENAME TO dresses_local" \
        "CREATE TABLE sales ($SALES_COLUMNS) PARTITION BY LIST (store)" \
        "CREATE TABLE dresses ($DRESS_COLUMNS) PARTITION BY HASH (row_no)" \
        "DROP VIEW dress_features" \
        "CREATE TABLE dress_features (row_no int NOT NULL, features jsonb) PARTITION BY HASH (row_no)" || return 1
    for i in 0 1; do
        on coordinator "CREATE SERVER shard$i FOREIGN DATA WRAPPER postgres_fdw
                          OPTIONS (host '${NODE_HOST[shard$i]}', port '${NODE_PORT[shard$i]}', dbname '$SCALE_DB',
                                   extensions 'xb', async_capable 'true', batch_size '1000')" \
            "CREATE USER MAPPING FOR CURRENT_USER SERVER shard$i OPTIONS (user '$SCALE_USER')" \
            "CREATE FOREIGN TABLE sales_$i PARTITION OF sales FOR VALUES IN ($(seq -s, $((2 - i)) 2 45))
               SERVER shard$i OPTIONS (table_name 'sales')" \
            "CREATE FOREIGN TABLE dresses_$i PARTITION OF dresses FOR VALUES WITH (MODULUS 2, REMAINDER $i)
               SERVER shard$i OPTIONS (table_name 'dresses')" \
            "CREATE FOREIGN TABLE dress_features_$i PARTITION OF dress_features
               FOR VALUES WITH (MODULUS 2, REMAINDER $i) SERVER shard$i OPTIONS (table_name 'dress_features')" || return 1
    done
    # An insert into the partitioned table routes each row to its shard.
    on coordinator "CREATE TEMP TABLE walmart (store int, date date, weekly_sales float8, holiday_flag int,
                      temperature float8, fuel_price float8, cpi float8, unemployment float8)" \
        "\\copy walmart FROM '$REPO/../shared/data/walmart_weekly.csv' WITH (FORMAT csv, HEADER true)" \
        "INSERT INTO sales_local SELECT store, date, date::timestamp AT TIME ZONE 'UTC', weekly_sales FROM walmart" \
        "INSERT INTO sales SELECT * FROM sales_local" \
        "CREATE TEMP TABLE dress_file (dress_id bigint, style text, price text, rating float8, size text,
                      season text, neckline text, sleevelength text, waiseline text, material text, fabrictype text,
                      decoration text, \"Pattern Type\" text, recommendation int)" \
        "\\copy dress_file FROM '$REPO/../shared/data/dress_attributes.csv' WITH (FORMAT csv, HEADER true)" \
        "INSERT INTO dresses_local SELECT row_number() OVER (), * FROM dress_file" \
        "INSERT INTO dresses SELECT * FROM dresses_local" || return 1
    for node in "${SCALE_NODES[@]}"; do on "$node" "ANALYZE"; done
}
