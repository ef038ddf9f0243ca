#!/usr/bin/env bash
# Sharded against one server, side by side on this machine (test/scale/nodes.sh:
# a coordinator and two shards; Walmart's stores odd and even, the dresses by
# hash of the row), every backend on one thread (xb.threads = 1) and JIT off
# on every node:
#
#   fit      the per-store GRU fit of Walmart's 45 stores, fixed epochs (no
#            early stop): the partitioned table (the aggregate on the shards,
#            both at once) against the plain table (one server's serial plan).
#            "cold" is a new session (the shards' backends load LibTorch),
#            "warm" the same query again in that session. The two sides take
#            turns going first, ROUNDS times (default 3); the best of each is
#            compared (this VM's timings vary by up to a third run to run).
#   scoring  the dresses repeated to ROWS rows: xb_recommend_agg with the
#            model's bytes on the shards, against xb_recommend by name on the
#            coordinator over the same foreign tables (every row crosses), and
#            against one server's xb_recommend on a plain table. The rows that
#            cross are counted from EXPLAIN ANALYZE.
#
# Usage: bash test/bench/scale_vs_one_server.sh [EPOCHS [ROWS]]
#        (defaults 100, the GRU's default epochs, and 100000: about 7 minutes
#        on 2 cores). Needs xb installed; starts and removes its own clusters.
#        Prints, never asserts.
set -uo pipefail

EPOCHS=${1:-100}
ROWS=${2:-100000}
ROUNDS=${ROUNDS:-3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/test/scale/nodes.sh"

scale_nodes_start >/dev/null || { echo "could not start the clusters" >&2; exit 1; }
trap scale_nodes_stop EXIT
for node in "${SCALE_NODES[@]}"; do
    PGHOST=${NODE_HOST[$node]} PGPORT=${NODE_PORT[$node]} PGUSER=$SCALE_USER \
        psql -X -q -d postgres -c "ALTER DATABASE $SCALE_DB SET jit = off"
done

settings=("SET client_min_messages = warning" "SET enable_partitionwise_aggregate = on"
          "SET max_parallel_workers_per_gather = 0" '\timing on')
options="{\"arch\": \"gru\", \"epochs\": $EPOCHS, \"patience\": 100000, \"seed\": 7, \"horizon\": 13}"
fit="SELECT sum(length(m)) FROM (SELECT store, xb_fit_forecaster(week, sales, '$options') m FROM"

# seconds of each timed statement, in order
timings() { sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | awk '{ printf "%.3f ", $1 / 1000 }'; }

echo "fit: Walmart, 45 stores x 143 weeks, GRU, $EPOCHS epochs, 1 thread per backend"
declare -A cold warm
for ((round = 1; round <= ROUNDS; round++)); do
    order=(sales sales_local)
    ((round % 2 == 0)) && order=(sales_local sales)
    for table in "${order[@]}"; do
        read -r c w < <(on coordinator "${settings[@]}" "$fit $table GROUP BY store) x" "$fit $table GROUP BY store) x" |
            timings)
        cold[$table]+="$c " warm[$table]+="$w "
        echo "  round $round, $table: cold ${c} s, warm ${w} s"
    done
done
best() { tr ' ' '\n' | grep . | sort -n | head -n 1; }
for kind in cold warm; do
    declare -n t=$kind
    s=$(best <<<"${t[sales]}") l=$(best <<<"${t[sales_local]}")
    printf '  %s (best of %s): two shards %.2f s, one server %.2f s, ratio %.2fx\n' "$kind" "$ROUNDS" "$s" "$l" \
        "$(echo "$l / $s" | bc -l)"
done

echo "scoring: the dresses repeated to $ROWS rows, 12 attributes, a classifier (the default MLP)"
on coordinator "SET client_min_messages = warning" \
    "SELECT xb_train_classifier('reco', 'dresses_local', 'recommendation',
       ARRAY['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline', 'material',
             'fabrictype', 'decoration', 'Pattern Type'], '{\"epochs\": 5, \"seed\": 3}')" \
    "CREATE TABLE products AS
       SELECT (k - 1) * 500 + d.row_no AS row_no, dress_id, style, price, rating, size, season, neckline, sleevelength,
              waiseline, material, fabrictype, decoration, \"Pattern Type\", recommendation
       FROM dresses_local d, generate_series(1, ($ROWS + 499) / 500) k WHERE (k - 1) * 500 + d.row_no <= $ROWS" \
    "TRUNCATE dresses" "INSERT INTO dresses SELECT * FROM products" "TRUNCATE dresses_local" \
    "INSERT INTO dresses_local SELECT * FROM products" "ANALYZE dresses_local" >/dev/null
for node in shard0 shard1; do on "$node" "ANALYZE dresses"; done
on coordinator "CREATE FUNCTION score_on_shards(model bytea) RETURNS bigint LANGUAGE plpgsql AS \$\$
                DECLARE n bigint;
                BEGIN
                  EXECUTE 'SELECT count(*) FILTER (WHERE p > 0.5) FROM (SELECT row_no, xb_recommend_agg(\$1, features) p
                           FROM dress_features GROUP BY row_no) s' INTO n USING model;
                  RETURN n;
                END \$\$" \
    "CREATE FUNCTION rows_crossing(query text, model bytea) RETURNS numeric LANGUAGE plpgsql AS \$\$
                DECLARE p jsonb;
                BEGIN
                  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO p USING model;
                  RETURN (SELECT sum((n->>'Actual Rows')::numeric)
                          FROM jsonb_path_query(p, 'strict \$.** ? (@.\"Node Type\" == \"Foreign Scan\")') n);
                END \$\$" >/dev/null
shards="SELECT score_on_shards(xb_model_bytes('reco'))"
coord="SELECT count(*) FILTER (WHERE xb_recommend('reco', d) > 0.5) FROM dresses d"
local="SELECT count(*) FILTER (WHERE xb_recommend('reco', d) > 0.5) FROM dresses_local d"
read -r t_shards t_coord t_local < <(on coordinator "${settings[@]}" "$shards" "$shards" "$coord" "$coord" "$local" "$local" |
    timings | awk '{ print $2, $4, $6 }')
crossing_shards=$(on coordinator "${settings[@]:0:2}" "SELECT rows_crossing(\$q\$SELECT row_no, xb_recommend_agg(\$1, features)
                      FROM dress_features GROUP BY row_no\$q\$, xb_model_bytes('reco'))")
crossing_coord=$(on coordinator "${settings[@]:0:2}" "SELECT rows_crossing(\$q\$SELECT xb_recommend('reco', d) FROM dresses d
                      WHERE \$1 IS NOT NULL\$q\$, ''::bytea)")
rate() { echo "$ROWS / $1" | bc; }
printf '  xb_recommend_agg on the shards: %.2f s (%s rows/s), %s rows cross (one probability each)\n' \
    "$t_shards" "$(rate "$t_shards")" "$crossing_shards"
printf '  xb_recommend on the coordinator over the foreign tables: %.2f s (%s rows/s), %s rows cross (12 attributes each)\n' \
    "$t_coord" "$(rate "$t_coord")" "$crossing_coord"
printf '  xb_recommend on one server, plain table: %.2f s (%s rows/s)\n' "$t_local" "$(rate "$t_local")"
printf '  ratios: shards vs coordinator %.2fx, shards vs one server %.2fx\n' \
    "$(echo "$t_coord / $t_shards" | bc -l)" "$(echo "$t_local / $t_shards" | bc -l)"

# A new backend's first scoring call (the model read and decoded too), on a
# node here (xb preloaded) and on a cluster started without the preload.
row=$(on coordinator "SELECT to_jsonb(d) - 'row_no' - 'dress_id' - 'recommendation' FROM dresses_local d LIMIT 1")
model_hex=$(on coordinator "SELECT encode(xb_model_bytes('reco'), 'hex')")
first_call="SELECT xb_recommend('reco', \$\$$row\$\$::jsonb)"
preloaded=$(for _ in 1 2 3; do on coordinator '\timing on' "$first_call" | timings; done)
plain=$(
    unset XB_CLUSTER_DIR
    XB_CLUSTER_PRELOAD='' xb_cluster_start 2>/dev/null || exit 1
    # the model as a literal on stdin: too long for an argument
    psql -X -q -c "CREATE EXTENSION xb" >/dev/null
    psql -X -q >/dev/null <<<"SELECT xb_model_load('reco', decode('$model_hex', 'hex'))"
    for _ in 1 2 3; do psql -X -q -At -c '\timing on' -c "$first_call" | timings; done
    xb_cluster_stop
)
echo "first xb_recommend in a new backend, seconds, 3 sessions: preloaded $preloaded; not preloaded $plain"
