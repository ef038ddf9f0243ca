#!/usr/bin/env bash
# Issue 15's bar "a parallel aggregate plan is not slower than the serial one
# on Walmart's 45 stores": xb_forecast_agg(date, weekly_sales, 13) grouped by
# store, each run in a new session (psql -c, so a backend's loading of xb and
# LibTorch is counted, as a pg_cron job would pay it), with the serial plan
# (max_parallel_workers_per_gather = 0) and a parallel one (two workers,
# parallel costs at 0 so the planner takes it; EXPLAIN shows the plan once),
# alternating which runs first, in a cluster without and one with
# shared_preload_libraries = 'xb'. Prints each side's median and their ratio.
# Then the same over the table partitioned by store (hash, 4 partitions)
# with enable_partitionwise_aggregate on both sides: there the parallel plan
# runs whole partitions' groups, final functions and trainings included, in
# its workers; the two plans' forecasts are checked to be the same.
#
# Usage: bash test/bench/aggregate_parallel_vs_serial.sh [runs per side, default 5]
# (as root or the cluster's owner, like scripts/cluster.sh; by hand, not in CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
RUNS=${1:-5}
CSV=${XB_DATA_DIR:-$PWD/../shared/data}/walmart_weekly.csv
[[ -r $CSV ]] || { echo "bench: cannot read $CSV (set XB_DATA_DIR)" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR/../..
source scripts/cluster.sh
# PostgreSQL's default JIT thresholds (the throwaway cluster forces JIT on).
export PGOPTIONS="-c jit_above_cost=100000 -c jit_inline_above_cost=500000 -c jit_optimize_above_cost=500000"
SERIAL="SET max_parallel_workers_per_gather = 0;"
PARALLEL="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
          SET min_parallel_table_scan_size = 0;"
# The forecasts are read (their length summed): an output the outer query
# does not use would be dropped by the planner, aggregate and all.
QUERY="SELECT sum(cardinality(f)) FROM (SELECT store, xb_forecast_agg(date, weekly_sales, 13) AS f
       FROM walmart GROUP BY store) s"

PARTITIONED_QUERY="${QUERY/FROM walmart/FROM walmart_by_store}"
PARTITIONWISE="SET enable_partitionwise_aggregate = on;"
# Every store's forecast, for checking that two plans give the same.
FORECASTS="SELECT md5(string_agg(f::text, ';' ORDER BY store)) FROM (SELECT store,
           xb_forecast_agg(date, weekly_sales, 13) AS f FROM walmart_by_store GROUP BY store) s"

# The same plan shapes without xb: what PostgreSQL's own parallel workers cost.
REFERENCE="SELECT sum(cardinality(a)) FROM (SELECT store, array_agg(weekly_sales) AS a FROM walmart GROUP BY store) s"

# Seconds of one new session running the query ($2, default QUERY) under the given settings.
timed() {
    local start end
    start=$(date +%s.%N)
    psql -X -q -At -v ON_ERROR_STOP=1 -c "$1 ${2:-$QUERY}" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Serial against parallel: $1 a label, $2 settings both sides take, $3 the query.
serial_vs_parallel() {
    local label=$1 both=$2 query=$3 serial=() parallel=() i
    echo "$label: parallel plan:"
    psql -X -q -At -c "$both $PARALLEL EXPLAIN (COSTS OFF) $query" | sed 's/^/    /'
    # The parallel side must really run in workers (max_worker_processes or
    # another session's workers could leave it without): else it times the
    # serial plan twice.
    local launched
    launched=$(psql -X -q -At -c "$both $PARALLEL EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $query" |
        sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' | head -1)
    echo "$label: parallel plan, workers launched: ${launched:-none}"
    [[ ${launched:-0} -ge 1 ]] || { echo "bench: the parallel plan launched no worker" >&2; exit 1; }
    timed "$both $SERIAL" "$query" >/dev/null  # one warm-up of each, for the page cache
    timed "$both $PARALLEL" "$query" >/dev/null
    for ((i = 0; i < RUNS; i++)); do
        if ((i % 2)); then
            parallel+=("$(timed "$both $PARALLEL" "$query")")
            serial+=("$(timed "$both $SERIAL" "$query")")
        else
            serial+=("$(timed "$both $SERIAL" "$query")")
            parallel+=("$(timed "$both $PARALLEL" "$query")")
        fi
    done
    local s p
    s=$(printf '%s\n' "${serial[@]}" | median)
    p=$(printf '%s\n' "${parallel[@]}" | median)
    printf '%s: serial %.3f s, parallel %.3f s (medians of %d new sessions each); serial / parallel = %.2fx\n' \
        "$label" "$s" "$p" "$RUNS" "$(echo "$s / $p" | bc -l)"
    echo "    serial:   ${serial[*]}"
    echo "    parallel: ${parallel[*]}"
}

run_cluster() {
    local label=$1 i
    xb_cluster_start >/dev/null || exit 1
    trap xb_cluster_stop EXIT
    psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE EXTENSION xb;
CREATE TABLE walmart (store int, date date, weekly_sales float8, holiday_flag int,
                      temperature float8, fuel_price float8, cpi float8, unemployment float8);
\\copy walmart FROM '${CSV//\'/\'\'}' WITH (FORMAT csv, HEADER true)
ANALYZE walmart;
CREATE TABLE walmart_by_store (LIKE walmart) PARTITION BY HASH (store);
SELECT format('CREATE TABLE walmart_by_store_%s PARTITION OF walmart_by_store
               FOR VALUES WITH (MODULUS 4, REMAINDER %s)', r, r) FROM generate_series(0, 3) r \\gexec
INSERT INTO walmart_by_store SELECT * FROM walmart;
ANALYZE walmart_by_store;
SQL
    echo "$label: the planner's own plan (default settings):"
    psql -X -q -At -c "EXPLAIN (COSTS OFF) $QUERY" | sed 's/^/    /'
    serial_vs_parallel "$label" "" "$QUERY"
    local rs=() rp=()
    for ((i = 0; i < RUNS; i++)); do
        rs+=("$(timed "$SERIAL" "$REFERENCE")")
        rp+=("$(timed "$PARALLEL" "$REFERENCE")")
    done
    printf '%s: without xb (array_agg per store, same plans): serial %.3f s, parallel %.3f s\n' "$label" \
        "$(printf '%s\n' "${rs[@]}" | median)" "$(printf '%s\n' "${rp[@]}" | median)"
    serial_vs_parallel "$label, partitioned by store" "$PARTITIONWISE" "$PARTITIONED_QUERY"
    local serial_forecasts parallel_forecasts
    serial_forecasts=$(psql -X -q -At -c "$PARTITIONWISE $SERIAL $FORECASTS")
    parallel_forecasts=$(psql -X -q -At -c "$PARTITIONWISE $PARALLEL $FORECASTS")
    [[ $serial_forecasts == "$parallel_forecasts" ]] ||
        { echo "bench: the partitionwise plans' forecasts differ" >&2; exit 1; }
    echo "$label, partitioned by store: both plans' forecasts the same (md5 $serial_forecasts)"
    xb_cluster_stop
    trap - EXIT
}

echo "bench: Walmart's 45 stores, xb_forecast_agg(date, weekly_sales, 13) GROUP BY store; $(nproc) cores"
XB_CLUSTER_PRELOAD="" run_cluster "no preload"
XB_CLUSTER_PRELOAD=xb run_cluster "shared_preload_libraries = 'xb'"
