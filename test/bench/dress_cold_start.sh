#!/usr/bin/env bash
# Cold start on the dress data (issue: product images, item 4): a dress with
# no sales history forecast from the dresses most like it by their attributes.
#
# The 220 dresses with every count (scripts/dresses.psql, dress_steps: units
# per step, every other day) are split by a hash of their id: a fifth are new
# products, held out. A GRU (default options and a seed) trains on the other
# dresses' first 19 steps with the 12 attributes joined to every row, horizon
# 3. The held-out dresses are then forecast with future_source (their
# attributes on the 3 steps after) and scored outside xb on what they sold.
#
#   xb attributes   the GRU above: each new dress borrows the history of the
#                   10 training dresses most like it
#   xb no attributes  the same GRU trained without them: each borrows the mean
#                   history of all training dresses
#   mean, median    the training dresses' mean (median) units at each step
#   zero            no sales (WAPE 1 by definition)
# and xb's own measure at training (xb.model_metrics, split test, estimators
# cold_start and cold_start_all: each training dress forecast as if new).
#
# Usage: bash test/bench/dress_cold_start.sh [SEEDS]   (default "1 2 3"; about
#        a minute). Needs xb installed. Starts and removes its own cluster.
#        Prints a markdown table; never asserts.
set -uo pipefail

SEEDS=${1:-"1 2 3"}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/scripts/cluster.sh"
xb_cluster_start 2>/dev/null || { echo "could not start a cluster" >&2; exit 1; }
trap 'xb_cluster_stop' EXIT
cd "$REPO" || exit 1

q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@"; }

q -c "CREATE EXTENSION xb" \
  -c "\\i scripts/dresses.psql" \
  -c "CREATE TABLE ds AS
      SELECT s.dress_id::text AS dress, s.t, s.units, a.style, a.price, a.rating, a.size, a.season, a.neckline,
             a.sleevelength, a.waiseline, a.material, a.fabrictype, a.decoration, a.\"Pattern Type\" AS pattern
      FROM dress_steps s JOIN (SELECT DISTINCT ON (dress_id) * FROM dresses ORDER BY dress_id, row_no) a USING (dress_id)" \
  -c "CREATE TABLE held AS SELECT DISTINCT dress FROM ds WHERE abs(hashtext(dress)) % 5 = 0" \
  -c "CREATE TABLE ds_train AS SELECT * FROM ds WHERE dress NOT IN (SELECT dress FROM held) AND t <= '2013-10-06'" \
  -c "CREATE TABLE ds_new AS SELECT * FROM ds WHERE dress IN (SELECT dress FROM held) AND t > '2013-10-06'" \
  -c "CREATE TABLE ds_new_keys AS SELECT dress, t FROM ds_new" >/dev/null || exit 1

ATTRS="ARRAY['style','price','rating','size','season','neckline','sleevelength','waiseline','material','fabrictype','decoration','pattern']"
echo "$(q -c "SELECT count(*) FROM held") new dresses, $(q -c "SELECT count(DISTINCT dress) FROM ds_train") training dresses, horizon 3"
echo
echo "| forecast of the new dresses | seed | WAPE | MAE | coverage of the 80 % interval |"
echo "| --- | --- | --- | --- | --- |"
score() {  # label seed table-of-forecasts
  q -c "SELECT format('| %s | %s | %s | %s | %s |', '$1', '$2', round((sum(abs(f.yhat - d.units)) / sum(d.units))::numeric, 3),
                      round(avg(abs(f.yhat - d.units))::numeric, 2),
                      coalesce(round(avg((d.units BETWEEN f.lo AND f.hi)::int)::numeric, 3)::text, '-'))
        FROM ds_new d JOIN $3 f ON f.series = d.dress AND f.ts = d.t"
}
q -c "CREATE TABLE per_step AS SELECT t + 6 AS t, avg(units) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY units) AS median
      FROM ds_train WHERE t > '2013-09-30' GROUP BY t" \
  -c "CREATE TABLE fc_mean AS SELECT d.dress AS series, d.t AS ts, p.mean AS yhat, NULL::float8 AS lo, NULL::float8 AS hi
      FROM ds_new d JOIN per_step p USING (t)" \
  -c "CREATE TABLE fc_median AS SELECT d.dress AS series, d.t AS ts, p.median AS yhat, NULL::float8 AS lo, NULL::float8 AS hi
      FROM ds_new d JOIN per_step p USING (t)" \
  -c "CREATE TABLE fc_zero AS SELECT dress AS series, t AS ts, 0::float8 AS yhat, NULL::float8 AS lo, NULL::float8 AS hi FROM ds_new" ||
  exit 1
score "mean of the training dresses" - fc_mean
score "median of the training dresses" - fc_median
score "zero" - fc_zero
for seed in $SEEDS; do
  q -c "SELECT xb_train_forecaster('cold_$seed', 'ds_train', 't', 'units', ARRAY['dress'], $ATTRS, 3, 'gru', '{\"seed\": $seed}')" \
    -c "SELECT xb_train_forecaster('plain_$seed', 'SELECT dress, t, units FROM ds_train', 't', 'units', ARRAY['dress'],
                                   NULL, 3, 'gru', '{\"seed\": $seed}')" \
    -c "CREATE TABLE fc_cold_$seed AS SELECT * FROM xb_forecast('cold_$seed', future_source => 'ds_new')" \
    -c "CREATE TABLE fc_plain_$seed AS SELECT * FROM xb_forecast('plain_$seed', future_source => 'ds_new_keys')" >/dev/null ||
    exit 1
  score "xb attributes" "$seed" "fc_cold_$seed"
  score "xb no attributes" "$seed" "fc_plain_$seed"
done
echo
echo "xb's measure at training (split test, each training dress forecast as if new), WAPE:"
echo
echo "| seed | cold_start | cold_start_all | model (the dresses' own history) |"
echo "| --- | --- | --- | --- |"
for seed in $SEEDS; do
  q -c "SELECT format('| %s | %s | %s | %s |', '$seed',
                      round(max(value) FILTER (WHERE estimator = 'cold_start')::numeric, 3),
                      round(max(value) FILTER (WHERE estimator = 'cold_start_all')::numeric, 3),
                      round(max(value) FILTER (WHERE estimator = 'model')::numeric, 3))
        FROM xb.model_metrics m JOIN xb.models x ON x.id = m.model_id
        WHERE x.name = 'cold_$seed' AND split = 'test' AND metric = 'wape'"
done
