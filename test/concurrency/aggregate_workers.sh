#!/usr/bin/env bash
# The parallel workers of a forecasting aggregate load no LibTorch: the
# aggregates name xb_base.so (src/pg_base/module.cpp), and a worker loads
# xb.so only when its leader had loaded it through PostgreSQL before the plan
# started (a worker loads every library its leader has) or when the worker
# itself trains. Seen in the workers' memory maps while they collect rows (a
# sleep per row keeps them alive); the server must run on this machine.
# Also: xb.* settings made before any xb library was loaded apply without a
# warning, and a plan that trains inside its workers (partitionwise) works.
#
# Prints TAP; run through prove (test/run_all.sh does) or alone. Needs a
# running server on this machine reachable through the PG* variables and a
# superuser who may read the server's /proc. Uses and drops the database
# xb_aggregate_workers.

set -uo pipefail

DB=xb_aggregate_workers
TMP=$(mktemp -d)
cleanup() {
    rm -rf "$TMP"
    dropdb --if-exists --force "$DB" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS xb_agg_user" 2>/dev/null
}
trap cleanup EXIT

echo "1..7"
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
q() { psql -X -q -At -d "$DB" -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists --force "$DB" >/dev/null 2>&1
psql -X -q -d postgres -c "DROP ROLE IF EXISTS xb_agg_user" -c "CREATE ROLE xb_agg_user LOGIN" >/dev/null 2>&1
createdb "$DB" || { echo "Bail out! cannot create $DB"; exit 1; }
q <<SQL || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION xb;
CREATE TABLE sales AS SELECT s AS store, DATE '2020-01-01' + i AS day, 100 + s + 5 * sin(i / 3.0) AS units
FROM generate_series(1, 2) s, generate_series(0, 499) i;
ALTER TABLE sales SET (parallel_workers = 2);
ANALYZE sales;
-- Two stores, a partition each, for the partitionwise plan.
CREATE TABLE sales_by_store (store int, day date, units float8) PARTITION BY LIST (store);
CREATE TABLE sales_1 PARTITION OF sales_by_store FOR VALUES IN (1);
CREATE TABLE sales_2 PARTITION OF sales_by_store FOR VALUES IN (2);
INSERT INTO sales_by_store SELECT * FROM sales;
ALTER TABLE sales_1 SET (parallel_workers = 2);
ALTER TABLE sales_2 SET (parallel_workers = 2);
ANALYZE sales_by_store;
GRANT SELECT ON sales TO xb_agg_user;
-- Parallel safe, so the workers sleep: 2 ms a row keeps them alive for a second.
CREATE FUNCTION slowly(x float8) RETURNS float8 LANGUAGE sql PARALLEL SAFE AS
  \$\$ SELECT x FROM pg_sleep(0.002) \$\$;
SQL

PLAN="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
      SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off; SET xb.progress_every = 0;"
QUERY="SELECT store, cardinality(xb_forecast_agg(day, slowly(units), 7)) FROM sales GROUP BY store"

plan=$(q -c "$PLAN" -c "EXPLAIN (COSTS OFF) $QUERY" 2>&1)
grep -q "Partial HashAggregate" <<<"$plan" && grep -q "Workers Planned: 2" <<<"$plan"
tap $? "the plan collects rows in two workers" "$plan"

# The libraries of the session's workers while $1 then QUERY run in a new session.
worker_libraries() {
    psql -X -q -At -d "$DB" -c "$1" -c "$PLAN" -c "$QUERY" >"$TMP/out" 2>&1 &
    local session=$! pids= i pid
    for i in $(seq 100); do
        pids=$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND datname = '$DB'")
        [[ -n $pids ]] && break
        sleep 0.05
    done
    # A worker loads its libraries before it runs the plan: once it sleeps
    # in a row, whatever it loads is mapped.
    for i in $(seq 100); do
        [[ -n $(q -c "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'parallel worker'
                      AND datname = '$DB' AND wait_event = 'PgSleep'") ]] && break
        sleep 0.02
    done
    for pid in $pids; do
        echo "worker $pid: $(grep -oE '(xb|xb_base|libtorch_cpu)\.so[^ ]*' "/proc/$pid/maps" 2>/dev/null | sort -u | tr '\n' ' ')"
    done
    wait "$session"
}

cold=$(worker_libraries "SELECT 1")
grep -q "xb_base.so" <<<"$cold" && ! grep -qE "libtorch|xb\.so" <<<"$cold"
tap $? "a new session: its workers map xb_base.so and neither xb.so nor LibTorch" "$cold"$'\n'"$(cat "$TMP/out")"

# The session's second aggregate: the first kept xb.so out of PostgreSQL's list.
second=$(worker_libraries "SELECT count(*) FROM (SELECT xb_forecast_agg(day, units, 7) FROM sales GROUP BY store) s")
grep -q "xb_base.so" <<<"$second" && ! grep -qE "libtorch|xb\.so" <<<"$second"
tap $? "a session's second aggregate: its workers map neither xb.so nor LibTorch" "$second"$'\n'"$(cat "$TMP/out")"

# The control: once the session has loaded xb.so through PostgreSQL, its workers load it too.
warm=$(worker_libraries "LOAD 'xb'")
grep -q "libtorch_cpu.so" <<<"$warm"
tap $? "after LOAD 'xb' its workers map LibTorch (the check sees it)" "$warm"

# A setting made before any xb library is loaded, in a new session.
out=$(psql -X -At -d "$DB" -c "SET xb.max_train_rows = 100" -c "$PLAN" -c "$QUERY" 2>&1)
grep -q "a group has more than 100 rows" <<<"$out" && ! grep -q WARNING <<<"$out"
tap $? "SET before xb was loaded applies in a parallel plan, without a warning" "$out"

# A role without the right to set xb.max_train_rows sets it before xb is
# loaded (a placeholder takes any value): when xb_base.so defines the
# setting, PostgreSQL refuses the role's value, and the aggregate runs under
# the server's.
out=$(psql -X -At -d "$DB" -U xb_agg_user -c "SET xb.max_train_rows = 5" -c "$PLAN" -c "$QUERY" \
    -c "SHOW xb.max_train_rows" 2>&1)
grep -q "permission denied to set parameter \"xb.max_train_rows\"" <<<"$out" && [[ $(tail -1 <<<"$out") == 10000000 ]] &&
    [[ $(grep -c '|7$' <<<"$out") == 2 ]]
tap $? "a role's SET of xb.max_train_rows before xb was loaded is refused; the server's value applies" "$out"

# Partitionwise: each worker aggregates a store whole and trains it.
PARTITIONWISE="SELECT store, cardinality(xb_forecast_agg(day, units, 7)) FROM sales_by_store GROUP BY store ORDER BY store"
plan=$(q -c "$PLAN SET enable_partitionwise_aggregate = on;" -c "EXPLAIN (COSTS OFF) $PARTITIONWISE" 2>&1)
out=$(psql -X -At -d "$DB" -c "SET xb.threads = 1" -c "$PLAN SET enable_partitionwise_aggregate = on;" \
    -c "$PARTITIONWISE" 2>&1)
grep -q "Parallel Append" <<<"$plan" && ! grep -q "Finalize" <<<"$plan" && [[ $(grep -c '|7$' <<<"$out") == 2 ]] &&
    ! grep -q WARNING <<<"$out"
tap $? "a plan that trains in its workers forecasts each store, without a warning" "$plan"$'\n'"$out"

exit $((TAP_FAILED > 0))
