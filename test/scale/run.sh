#!/usr/bin/env bash
# Scale-out with PostgreSQL alone: Walmart and the dress attributes sharded
# over two clusters with postgres_fdw (test/scale/nodes.sh), xb's aggregates
# pushed down to the shards, checked against one server running the same
# queries on the same rows:
#   - the per-store fit is an Async Foreign Scan per shard whose remote SQL
#     holds the aggregate, and only the 45 models cross (EXPLAIN ANALYZE);
#   - the same model bytes per store, by default and for a GRU; the same
#     forecasts from xb_forecast_agg, also for a timestamptz column read from
#     a coordinator session in Asia/Tokyo (the shards' sessions run in UTC);
#   - a classifier's bytes shipped as a value score the dresses on the shards
#     (xb_recommend_agg), as xb_recommend scores them on one server;
#   - a shard stopped mid-query fails the statement and leaves nothing
#     written on the coordinator, and the other shard's training is cancelled.
# Starts and removes its own three clusters (needs postgres_fdw, which
# postgresql-15 ships, and xb installed); about 30 s on 2 cores. TAP.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/test/tap.sh"
source "$REPO/test/scale/nodes.sh"

echo "1..15"
trap scale_nodes_stop EXIT
if ! scale_nodes_start; then
    echo "Bail out! the coordinator and the two shards could not be set up"
    exit 1
fi

# Preloaded, xb starts no thread in a postmaster (LibTorch's pools start on
# first use, in a backend), so every backend forks from one thread.
threads=""
for node in "${SCALE_NODES[@]}"; do
    pid=$(head -n 1 "${NODE_DIR[$node]}/data/postmaster.pid")
    threads+="$node $(on "$node" "SHOW shared_preload_libraries") $(awk '/^Threads:/ { print $2 }' "/proc/$pid/status"); "
done
[[ $threads == "coordinator xb 1; shard0 xb 1; shard1 xb 1; " ]]
tap $? "every node preloads xb and its postmaster has one thread ($threads)"

# Each check compares the sharded table (sales, dresses) with the local one.
pushdown="SET enable_partitionwise_aggregate = on"
quiet="SET client_min_messages = warning"

# fits TABLE OPTIONS: (store, model) of each store's xb_fit_forecaster.
fits() {
    echo "SELECT store, xb_fit_forecaster(week, sales, '$2') AS model FROM $1 GROUP BY store"
}

plan=$(on coordinator "$pushdown" "EXPLAIN VERBOSE $(fits sales '{"horizon": 13}')")
[[ $(grep -c 'Async Foreign Scan' <<<"$plan") == 2 &&
   $(grep -c 'Remote SQL: SELECT store, public.xb_fit_forecaster(week, sales, .*GROUP BY 1' <<<"$plan") == 2 ]]
tap $? "the per-store fit runs on both shards at once: two Async Foreign Scans, the aggregate in their remote SQL" "$plan"

# What crosses to the coordinator: the rows each node of the plan returned.
on coordinator "CREATE FUNCTION plan_rows(query text) RETURNS TABLE (node text, relations text, actual_rows numeric)
                LANGUAGE plpgsql AS \$\$
                DECLARE p jsonb;
                BEGIN
                  EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || query INTO p;
                  RETURN QUERY SELECT n->>'Node Type', n->>'Relations', (n->>'Actual Rows')::numeric
                               FROM jsonb_path_query(p, 'strict \$.** ? (exists(@.\"Node Type\"))') n;
                END \$\$" >/dev/null
crossing=$(on coordinator "$quiet" "$pushdown" \
    "SELECT string_agg(node || CASE WHEN relations LIKE 'Aggregate on %' THEN ' (aggregate)' ELSE '' END
                       || ': ' || actual_rows, '; ' ORDER BY node, actual_rows)
     FROM plan_rows(\$q\$$(fits sales '{"horizon": 13}')\$q\$)")
[[ $crossing == "Append: 45; Foreign Scan (aggregate): 22; Foreign Scan (aggregate): 23" ]]
tap $? "only the 45 models cross: no row of sales reaches the coordinator" "$crossing"

# same_models OPTIONS: stores whose models are byte for byte the same.
same_models() {
    on coordinator "$quiet" "$pushdown" "SET max_parallel_workers_per_gather = 0" \
        "SELECT count(*) FILTER (WHERE a.model = b.model) || '/' || count(*)
         FROM ($(fits sales "$1")) a JOIN ($(fits sales_local "$1")) b USING (store)"
}
got=$(same_models '{"horizon": 13}')
[[ $got == 45/45 ]]
tap $? "default options: every store's model bytes equal one server's ($got)"

got=$(same_models '{"arch": "gru", "epochs": 3, "seed": 7, "horizon": 13}')
[[ $got == 45/45 ]]
tap $? "GRU, 3 epochs, seed 7, one thread per backend: every store's model bytes equal one server's ($got)"

# same_forecasts TIME: stores whose xb_forecast_agg arrays are equal.
same_forecasts() {
    on coordinator "$quiet" "$pushdown" "SET TimeZone = 'Asia/Tokyo'" \
        "SELECT count(*) FILTER (WHERE a.f = b.f) || '/' || count(*)
         FROM (SELECT store, xb_forecast_agg($1, sales, 13) f FROM sales GROUP BY store) a
         JOIN (SELECT store, xb_forecast_agg($1, sales, 13) f FROM sales_local GROUP BY store) b USING (store)"
}
got=$(same_forecasts week)
[[ $got == 45/45 ]]
tap $? "xb_forecast_agg on the shards gives one server's forecast points for every store ($got)"

got=$(same_forecasts at)
[[ $got == 45/45 ]]
tap $? "a timestamptz column counts in UTC on both sides, whatever the session's TimeZone ($got)"

ts=$(on coordinator "$pushdown" "SET TimeZone = 'Asia/Tokyo'" \
    "SELECT (xb_forecast_agg(at, sales, 13))[1].ts FROM sales WHERE store = 1 GROUP BY store")
[[ $ts == "2012-11-02 00:00:00" ]]
tap $? "the forecast's calendar is UTC midnights, as the data's (first step $ts)"

zones=$(on coordinator "$pushdown" "SET TimeZone = 'Asia/Tokyo'" \
    "SELECT string_agg(DISTINCT coalesce(xb_model_info(m)->'options'->>'time_zone', 'none'), ',')
     FROM (SELECT store, xb_fit_forecaster(at, sales, '{\"horizon\": 13}') m FROM sales GROUP BY store) s")
[[ $zones == UTC ]]
tap $? "and the models fitted on the shards from a timestamptz record time_zone UTC (got $zones)"

# Scoring: a classifier trained here, its bytes shipped as a query parameter.
on coordinator "$quiet" \
    "SELECT xb_train_classifier('reco', 'dresses_local', 'recommendation',
       ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline', 'material',
             'fabrictype', 'decoration', 'Pattern Type'], '{\"epochs\": 5, \"seed\": 3}')" >/dev/null
# The bytes must reach the shards as a value: a constant or a parameter (a
# subquery's result stays on the coordinator, and the rows would cross).
scored="SELECT row_no, xb_recommend_agg(\$1, features) FROM dress_features GROUP BY row_no"
on coordinator "CREATE FUNCTION score_sharded(model bytea) RETURNS TABLE (row_no int, p float8)
                LANGUAGE plpgsql AS \$\$
                BEGIN RETURN QUERY EXECUTE \$q\$$scored\$q\$ USING model; END \$\$" \
    "CREATE FUNCTION explain_score_sharded(model bytea) RETURNS SETOF text
                LANGUAGE plpgsql AS \$\$
                BEGIN RETURN QUERY EXECUTE \$q\$EXPLAIN VERBOSE $scored\$q\$ USING model; END \$\$" >/dev/null
plan=$(on coordinator "$pushdown" "SELECT explain_score_sharded(xb_model_bytes('reco'))")
[[ $(grep -c 'Remote SQL: SELECT row_no, public.xb_recommend_agg(.*, features) FROM public.dress_features GROUP BY 1' <<<"$plan") == 2 ]]
tap $? "xb_recommend_agg with the model's bytes as a parameter runs on the shards" "$(cut -c1-300 <<<"$plan")"

got=$(on coordinator "$quiet" "$pushdown" \
    "SELECT count(*) FILTER (WHERE abs(s.p - xb_recommend('reco', d)) < 1e-12) || '/' || count(*)
     FROM score_sharded(xb_model_bytes('reco')) s JOIN dresses_local d USING (row_no)")
[[ $got == 500/500 ]]
tap $? "every dress gets xb_recommend's probability from the shards ($got)"

# A shard stopped while both train: the statement fails, nothing is written.
on coordinator "CREATE TABLE store_models (store int, model bytea)"
err=$(mktemp)
on coordinator "$quiet" "$pushdown" \
    "INSERT INTO store_models $(fits sales '{"arch": "gru", "epochs": 1000, "patience": 1000, "horizon": 13}')" \
    >/dev/null 2>"$err" &
insert=$!
# postgres_fdw's backend on a shard runs the aggregate while it answers a
# FETCH from its cursor: it is the active session named postgres_fdw.
fdw_active="SELECT count(*) FROM pg_stat_activity WHERE application_name = 'postgres_fdw' AND state = 'active'"
# poll NODE SQL WANT TRIES: runs SQL on NODE every half second until it
# answers WANT or TRIES run out; prints the last answer.
poll() {
    local got
    for _ in $(seq 1 "$4"); do
        got=$(on "$1" "$2")
        [[ $got == "$3" ]] && break
        sleep 0.5
    done
    echo "$got"
}
training=$(poll shard1 "$fdw_active" 1 60)
stop_node shard1 immediate
rc=timeout
for _ in $(seq 1 120); do
    if ! kill -0 "$insert" 2>/dev/null; then
        wait "$insert"
        rc=$?
        break
    fi
    sleep 0.5
done
[[ $rc == timeout ]] && kill "$insert" 2>/dev/null
[[ $training == 1 && $rc != 0 && $(on coordinator "SELECT count(*) FROM store_models") == 0 ]]
tap $? "stopping a shard mid-training fails the INSERT cleanly and leaves no row on the coordinator" \
    "exit status $rc; $(cat "$err")"

[[ $(poll shard0 "$fdw_active" 0 40) == 0 ]]
tap $? "the other shard's training is cancelled with the statement"

rm -f "$err"
[[ $(on coordinator "SELECT count(*) FROM sales_local") == 6435 ]]
tap $? "the coordinator answers afterwards"

# No backend of the coordinator or of the shard left running crashed.
# (The filter of test/run_all.sh: a cancelled parallel worker exits with 1.)
crashes=$(cat "${NODE_DIR[coordinator]}/server.log" "${NODE_DIR[shard0]}/server.log" |
    grep -E 'terminated by signal|exited with exit code' |
    grep -vE 'background worker "(logical replication launcher|parallel worker)" \(PID [0-9]+\) exited with exit code 1$')
[[ -z $crashes ]]
tap $? "no server process of the coordinator or shard0 crashed" "$crashes"

exit $((TAP_FAILED > 0))
